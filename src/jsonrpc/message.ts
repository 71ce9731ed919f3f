/**
 * JSON-RPC 2.0 message shapes and their classification. The relay parses every line once and keeps
 * the original text, so forwarding never re-serializes a message.
 */
export type JsonRpcId = string | number;

export interface JsonRpcRequest {
  jsonrpc: '2.0';
  id: JsonRpcId;
  method: string;
  params?: Record<string, unknown>;
}

export interface JsonRpcNotification {
  jsonrpc: '2.0';
  method: string;
  params?: Record<string, unknown>;
}

export interface JsonRpcResponse {
  jsonrpc: '2.0';
  id: JsonRpcId | null;
  result?: unknown;
  error?: { code: number; message: string; data?: unknown };
}

export type JsonRpcMessage = JsonRpcRequest | JsonRpcNotification | JsonRpcResponse;

export type MessageKind = 'request' | 'notification' | 'response';

/** A message with the exact text it arrived as, and that text's size in bytes. */
export interface Framed<M extends JsonRpcMessage = JsonRpcMessage> {
  kind: MessageKind;
  message: M;
  raw: string;
  bytes: number;
}

function isId(value: unknown): value is JsonRpcId {
  return typeof value === 'string' || (typeof value === 'number' && Number.isFinite(value));
}

/** The kind of a parsed value, or `undefined` when it is not a JSON-RPC 2.0 message. */
export function classify(value: unknown): MessageKind | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const candidate = value as Record<string, unknown>;
  if (candidate.jsonrpc !== '2.0') return undefined;
  if (typeof candidate.method === 'string') {
    const params = candidate.params;
    if (params !== undefined && (typeof params !== 'object' || params === null)) return undefined;
    if (!('id' in candidate)) return 'notification';
    return isId(candidate.id) ? 'request' : undefined;
  }
  if (!('id' in candidate) || !(isId(candidate.id) || candidate.id === null)) return undefined;
  const hasResult = 'result' in candidate;
  const hasError = 'error' in candidate;
  if (hasResult === hasError) return undefined;
  if (hasError) {
    const error = candidate.error as Record<string, unknown> | null;
    if (typeof error !== 'object' || error === null || typeof error.code !== 'number') return undefined;
  }
  return 'response';
}

/** Parses one line into a framed message, or `undefined` when it is not JSON-RPC. Never throws. */
export function parseLine(raw: string, bytes = Buffer.byteLength(raw)): Framed | undefined {
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    return undefined; // Not JSON: the caller logs and drops it.
  }
  const kind = classify(value);
  return kind ? { kind, message: value as JsonRpcMessage, raw, bytes } : undefined;
}

export function isRequest(framed: Framed): framed is Framed<JsonRpcRequest> {
  return framed.kind === 'request';
}

export function isResponse(framed: Framed): framed is Framed<JsonRpcResponse> {
  return framed.kind === 'response';
}

export function isNotification(framed: Framed): framed is Framed<JsonRpcNotification> {
  return framed.kind === 'notification';
}

/** The progress token a request asked for, if any. */
export function progressTokenOf(request: JsonRpcRequest): JsonRpcId | undefined {
  const meta = request.params?._meta as Record<string, unknown> | undefined;
  const token = meta?.progressToken;
  return isId(token) ? token : undefined;
}
