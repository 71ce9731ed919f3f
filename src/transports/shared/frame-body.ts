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

/** One parsed value as a framed message; `text` is its source when it has one of its own. */
export function frameValue(value: unknown, text?: string, bytes?: number): Framed | FrameRefusal {
  const kind = classify(value);
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
