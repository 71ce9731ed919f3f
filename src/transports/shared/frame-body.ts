/**
 * A client's body (a POST, a WebSocket frame) as one framed JSON-RPC message, a batch of parsed
 * values, or the registry reason it is refused for. Never throws.
 */
import { describeProblem, initializeParamsProblem } from '../../jsonrpc/initialize-params.js';
import { classify, type Framed, type JsonRpcRequest } from '../../jsonrpc/message.js';
import { hasModernClaim } from '../../protocol/versions.js';
import { idProblem, representableId } from '../../jsonrpc/request-id.js';

export interface FrameRefusal {
  reason: 'PARSE_ERROR' | 'EMPTY_BATCH' | 'INVALID_MESSAGE' | 'INVALID_ID' | 'INVALID_INITIALIZE_PARAMS';
  /** The id to answer with: the message's own when a client could match it, else `null`. */
  id: string | number | null;
  detail?: string;
  data?: Record<string, unknown>;
}

export type FramedBody = Framed | { kind: 'batch'; items: unknown[] } | FrameRefusal;

export function frameBody(text: string, bytes: number): FramedBody {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { reason: 'PARSE_ERROR', id: null };
  }
  if (Array.isArray(value)) return value.length === 0 ? { reason: 'EMPTY_BATCH', id: null } : { kind: 'batch', items: value };
  return frameValue(value, text, bytes);
}

const REQUEST_MEMBERS = new Set(['jsonrpc', 'id', 'method', 'params']);
const RESPONSE_MEMBERS = new Set(['jsonrpc', 'id', 'result', 'error']);

/**
 * MCP's stricter shape of a client message: `params` an object (never an array), and no members
 * beyond JSON-RPC's. A stdio server drops anything else without an answer, which would hold an
 * in-flight slot until --request-timeout; refused here, the client learns at once.
 */
function isMcpShaped(value: unknown): boolean {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return true; // classify() refuses it
  const allowed = 'method' in value ? REQUEST_MEMBERS : RESPONSE_MEMBERS;
  // A parsed value's members are its own (JSON.parse makes plain objects): no array of keys per message.
  for (const member in value) if (!allowed.has(member)) return false;
  return !Array.isArray((value as { params?: unknown }).params);
}

/**
 * INVALID_ID when `value` carries an id a client may not use: not a string or an integer, an
 * integer JSON cannot carry exactly (12345678901234567890 parses to a float), or an over-long
 * string. Such a request would reach the child and never be answered under the id that was sent.
 * A response may carry `null` (JSON-RPC's id of an error that has none to echo).
 */
export function idRefusal(value: unknown): FrameRefusal | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value) || !('id' in value)) return undefined;
  const { id } = value;
  if (id === null && !('method' in value)) return undefined;
  const problem = idProblem(id);
  return problem === undefined ? undefined : { reason: 'INVALID_ID', id: null, detail: problem };
}

/** One parsed value as a framed message; `text` is its source when it has one of its own. */
export function frameValue(value: unknown, text?: string, bytes?: number): Framed | FrameRefusal {
  const badId = idRefusal(value);
  if (badId) return badId;
  const kind = isMcpShaped(value) ? classify(value) : undefined;
  if (!kind) return { reason: 'INVALID_MESSAGE', id: representableId((value as { id?: unknown } | null)?.id) };
  // A 2026-07-28 initialize is refused by the modern front (the method is gone), not checked as 2025's.
  if (kind === 'request' && (value as JsonRpcRequest).method === 'initialize' && !hasModernClaim(value)) {
    const { id, params } = value as JsonRpcRequest;
    const problem = initializeParamsProblem(params);
    if (problem) return { reason: 'INVALID_INITIALIZE_PARAMS', id, detail: describeProblem(problem, params), data: { field: problem.field } };
  }
  // The child reads one message per line: a pretty-printed body is re-serialized onto one.
  if (text !== undefined && bytes !== undefined && !text.includes('\n') && !text.includes('\r')) {
    return { kind, message: value as Framed['message'], raw: text, bytes };
  }
  const raw = JSON.stringify(value);
  return { kind, message: value as Framed['message'], raw, bytes: Buffer.byteLength(raw) };
}
