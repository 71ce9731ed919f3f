/**
 * A 2026-07-28 client's POST in raw HTTP: the `_meta` envelope in the body and the headers the
 * revision derives from it, so a test can also send what no SDK would; and a
 * `subscriptions/listen` stream read event by event.
 */
import { rawRequest, type RawResponse } from './http.js';
import { openSse, type SseReader } from './sse.js';

export const MODERN_VERSION = '2026-07-28';

export function modernMeta(capabilities: Record<string, unknown> = {}): Record<string, unknown> {
  return { 'io.modelcontextprotocol/protocolVersion': MODERN_VERSION, 'io.modelcontextprotocol/clientCapabilities': capabilities, 'io.modelcontextprotocol/clientInfo': { name: 't', version: '1' } };
}

export interface ModernCall {
  method: string;
  params?: Record<string, unknown>;
  id?: number | string;
  headers?: Record<string, string>;
  /** The request's `_meta`; null sends none. Default: the envelope with `capabilities`. */
  meta?: Record<string, unknown> | null;
  /** Client capabilities in the default envelope (they choose the lease); none by default. */
  capabilities?: Record<string, unknown>;
}

/** The headers a 2026-07-28 client derives from its body. */
export function modernHeaders(method: string, params: Record<string, unknown> | undefined): Record<string, string> {
  const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-protocol-version': MODERN_VERSION, 'mcp-method': method };
  const name = method === 'resources/read' ? params?.uri : method === 'tools/call' || method === 'prompts/get' ? params?.name : undefined;
  if (typeof name === 'string') headers['mcp-name'] = name;
  return headers;
}

export function postModern(url: string, call: ModernCall): Promise<RawResponse> {
  const params = { ...call.params, ...(call.meta === null ? {} : { _meta: call.meta ?? modernMeta(call.capabilities) }) };
  const body = JSON.stringify({ jsonrpc: '2.0', id: call.id ?? 1, method: call.method, params });
  return rawRequest(url, { method: 'POST', headers: { ...modernHeaders(call.method, call.params), ...call.headers }, body });
}

/** Opens `subscriptions/listen` with `notifications` as its filter; resolves once the headers are in. */
export function openListen(url: string, id: number | string, notifications: unknown, options: { headers?: Record<string, string>; capabilities?: Record<string, unknown> } = {}): Promise<SseReader> {
  const params = { notifications };
  const body = JSON.stringify({ jsonrpc: '2.0', id, method: 'subscriptions/listen', params: { ...params, _meta: modernMeta(options.capabilities) } });
  return openSse(url, { method: 'POST', headers: { ...modernHeaders('subscriptions/listen', params), ...options.headers }, body });
}
