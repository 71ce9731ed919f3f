/**
 * Raw 2026-07-28 requests: the headers a modern client derives from its body, a request with the
 * per-request `_meta` envelope, and a `subscriptions/listen` stream read event by event.
 */
import { rawRequest, type RawResponse } from './http.js';
import { openSse, type SseReader } from './sse.js';

export const MODERN_VERSION = '2026-07-28';

/** The `_meta` envelope of a modern request; `capabilities` are the client's. */
export function envelope(capabilities: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    'io.modelcontextprotocol/protocolVersion': MODERN_VERSION,
    'io.modelcontextprotocol/clientCapabilities': capabilities,
    'io.modelcontextprotocol/clientInfo': { name: 'raw-modern-test', version: '1.0.0' },
  };
}

/** The headers a 2026-07-28 client derives from its body. */
export function modernHeaders(method: string, params: Record<string, unknown> | undefined): Record<string, string> {
  const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-protocol-version': MODERN_VERSION, 'mcp-method': method };
  const name = method === 'resources/read' ? params?.uri : method === 'tools/call' || method === 'prompts/get' ? params?.name : undefined;
  if (typeof name === 'string') headers['mcp-name'] = name;
  return headers;
}

export interface ModernCall {
  method: string;
  id?: number | string;
  params?: Record<string, unknown>;
  /** Client capabilities in the envelope (they choose the lease). */
  capabilities?: Record<string, unknown>;
  headers?: Record<string, string>;
}

function bodyOf(call: ModernCall): string {
  return JSON.stringify({ jsonrpc: '2.0', id: call.id ?? 1, method: call.method, params: { ...call.params, _meta: envelope(call.capabilities) } });
}

export function modernPost(url: string, call: ModernCall): Promise<RawResponse> {
  return rawRequest(url, { method: 'POST', headers: { ...modernHeaders(call.method, call.params), ...call.headers }, body: bodyOf(call) });
}

/** Opens `subscriptions/listen` with `notifications` as its filter; resolves once the headers are in. */
export function openListen(url: string, id: number | string, notifications: unknown, options: { headers?: Record<string, string>; capabilities?: Record<string, unknown> } = {}): Promise<SseReader> {
  const call: ModernCall = { method: 'subscriptions/listen', id, params: { notifications }, ...(options.capabilities ? { capabilities: options.capabilities } : {}) };
  return openSse(url, { method: 'POST', headers: { ...modernHeaders(call.method, call.params), ...options.headers }, body: bodyOf(call) });
}
