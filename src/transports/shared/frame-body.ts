/**
 * A client's body (a POST, a WebSocket frame) as one framed JSON-RPC message, a batch of parsed
 * values, or the registry reason it is refused for. Never throws.
 */
import { classify, type Framed } from '../../jsonrpc/message.js';

export type FrameRefusal = { reason: 'PARSE_ERROR' | 'EMPTY_BATCH' | 'INVALID_MESSAGE'; id: string | number | null };

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
  const members = Object.keys(value);
  const allowed = 'method' in value ? REQUEST_MEMBERS : RESPONSE_MEMBERS;
  if (!members.every((member) => allowed.has(member))) return false;
  return !Array.isArray((value as { params?: unknown }).params);
}

/** One parsed value as a framed message; `text` is its source when it has one of its own. */
export function frameValue(value: unknown, text?: string, bytes?: number): Framed | FrameRefusal {
  const kind = isMcpShaped(value) ? classify(value) : undefined;
  if (!kind) {
    const id = (value as { id?: unknown } | null)?.id;
    return { reason: 'INVALID_MESSAGE', id: typeof id === 'string' || typeof id === 'number' ? id : null };
  }
  // The child reads one message per line: a pretty-printed body is re-serialized onto one.
  if (text !== undefined && bytes !== undefined && !text.includes('\n') && !text.includes('\r')) {
    return { kind, message: value as Framed['message'], raw: text, bytes };
  }
  const raw = JSON.stringify(value);
  return { kind, message: value as Framed['message'], raw, bytes: Buffer.byteLength(raw) };
}
