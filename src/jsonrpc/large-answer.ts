/**
 * A large answer from a child, kept as the bytes it arrived as. Only its envelope is read (a
 * validating scan, scan-json.ts); its result is parsed, and its text decoded, only if something
 * asks (a tool policy filtering tools/list, an SSE stream, a WebSocket frame). A JSON answer goes
 * to its client as these very bytes, so an answer in flight costs the daemon about its own size
 * instead of four or five times it (bytes, string, parsed copy, socket copy).
 */
import type { Framed, JsonRpcId, JsonRpcResponse } from './message.js';
import { scanObject, type Member } from './scan-json.js';

/** Lines from this size up are framed as bytes (below it, parsing is cheaper than scanning). */
export const LARGE_LINE_BYTES = 64 * 1024;

export class LargeAnswer implements Framed<JsonRpcResponse> {
  readonly kind = 'response';
  readonly data: Buffer;
  readonly bytes: number;
  readonly message: JsonRpcResponse;
  private readonly resultMembers: Member[] | undefined;
  private text: string | undefined;

  private constructor(data: Buffer, id: JsonRpcId | null, result: Member, resultMembers: Member[] | undefined) {
    this.data = data;
    this.bytes = data.length;
    this.resultMembers = resultMembers;
    let parsed: { value: unknown } | undefined;
    const message = { jsonrpc: '2.0', id } as JsonRpcResponse;
    Object.defineProperty(message, 'result', {
      enumerable: true,
      get: (): unknown => (parsed ??= { value: JSON.parse(data.toString('utf8', result.start, result.end)) as unknown }).value,
    });
    this.message = message;
  }

  /**
   * The answer in `data`, or `undefined` when it is not a plain successful JSON-RPC answer (a
   * request, a notification, an error, invalid JSON): those take the ordinary path.
   */
  static from(data: Buffer): LargeAnswer | undefined {
    const scanned = scanObject(data, 'result');
    if (!scanned) return undefined;
    let jsonrpc: Member | undefined;
    let id: Member | undefined;
    let result: Member | undefined;
    for (const member of scanned.members) {
      if (member.key === 'jsonrpc') jsonrpc = member;
      else if (member.key === 'id') id = member;
      else if (member.key === 'result') result = member;
      else return undefined; // method, error, or a member JSON-RPC does not have
    }
    if (!jsonrpc || !id || !result || valueOf(data, jsonrpc) !== '2.0') return undefined;
    const idValue = valueOf(data, id);
    if (idValue !== null && typeof idValue !== 'string' && !(typeof idValue === 'number' && Number.isFinite(idValue))) return undefined;
    return new LargeAnswer(data, idValue, result, scanned.inner);
  }

  /** The text of the answer (decoded once, when first asked). */
  get raw(): string {
    this.text ??= this.data.toString('utf8');
    return this.text;
  }

  /** Whether the result says `isError: true` (a tool error), read without parsing the result. */
  get isToolError(): boolean {
    const member = this.resultMembers?.find(({ key }) => key === 'isError');
    return member !== undefined && valueOf(this.data, member) === true;
  }
}

function valueOf(data: Buffer, member: Member): unknown {
  return JSON.parse(data.toString('utf8', member.start, member.end));
}

/** Whether a child's answer to a tools/call is a tool error (`isError: true`). */
export function isToolError(framed: Framed<JsonRpcResponse>): boolean {
  if (framed instanceof LargeAnswer) return framed.isToolError;
  return (framed.message.result as { isError?: unknown } | undefined)?.isError === true;
}

/** The bytes to write for a framed message: a large answer's own, otherwise its text. */
export function bodyOf(framed: Framed): string | Buffer {
  return framed instanceof LargeAnswer ? framed.data : framed.raw;
}
