/**
 * A 2025-era child's answer in the 2026-07-28 shape: `resultType`, the server's identity in
 * `_meta`, cache hints where the revision requires them, nothing the revision removed, and error
 * codes it no longer uses mapped to the ones it does. Pure.
 */
import type { JsonRpcResponse } from '../jsonrpc/message.js';
import { CACHEABLE_METHODS } from './modern-methods.js';
import { META } from './versions.js';

export interface CacheHints {
  ttlMs: number;
  cacheScope: 'public' | 'private';
}

export interface ModernContext {
  method: string;
  serverInfo: Record<string, unknown> | undefined;
  cache: CacheHints;
  /** The server speaks 2026-07-28 itself: its answers go out as they are. */
  passthrough?: boolean;
}

/** 2025's resource-not-found; 2026 says -32602 and forbids this code. */
const RESOURCE_NOT_FOUND_2025 = -32002;

/** The codes 2026 defines in its reserved range (header mismatch, missing capability, unsupported version). */
const DEFINED_CODES = new Set([-32020, -32021, -32022]);

/** Codes 2026 reserves (-32020 … -32099) but does not define: a child's or ours in that range goes out as -32603. */
function isReservedCode(code: number): boolean {
  return code <= -32020 && code >= -32099 && !DEFINED_CODES.has(code);
}

function modernError(error: NonNullable<JsonRpcResponse['error']>, method: string): NonNullable<JsonRpcResponse['error']> {
  const fromDaemon = typeof (error.data as { reason?: unknown } | undefined)?.reason === 'string';
  if (error.code === RESOURCE_NOT_FOUND_2025) return { ...error, code: !fromDaemon && method === 'resources/read' ? -32602 : -32603 };
  if (isReservedCode(error.code)) return { ...error, code: -32603 };
  return error;
}

/** Removes what 2026 no longer has from a result of `method`. */
function withoutRemoved(method: string, result: Record<string, unknown>): Record<string, unknown> {
  if (method === 'tools/list' && Array.isArray(result.tools)) {
    return { ...result, tools: (result.tools as unknown[]).map((tool) => {
      if (typeof tool !== 'object' || tool === null || !('execution' in tool)) return tool;
      const kept = { ...tool } as Record<string, unknown>;
      delete kept.execution;
      return kept;
    }) };
  }
  return result;
}

/**
 * A server's capabilities as a 2026-07-28 client may rely on them through this front: `tasks` is
 * gone (an extension now). `listChanged` and `subscribe` stay as the server declared them: its
 * list changes and resource updates reach a modern client on `subscriptions/listen` streams.
 */
export function modernCapabilities(capabilities: Record<string, unknown>): Record<string, unknown> {
  const kept: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(capabilities)) if (name !== 'tasks') kept[name] = value;
  return kept;
}

/** Stamps a result as complete and from this server, with cache hints where required. */
export function completeResult(result: Record<string, unknown>, context: ModernContext): Record<string, unknown> {
  const meta = typeof result._meta === 'object' && result._meta !== null ? result._meta as Record<string, unknown> : {};
  const stamped: Record<string, unknown> = {
    ...result,
    resultType: 'complete',
    _meta: context.serverInfo ? { ...meta, [META.serverInfo]: context.serverInfo } : meta,
  };
  if (CACHEABLE_METHODS.has(context.method)) {
    stamped.ttlMs ??= context.cache.ttlMs;
    stamped.cacheScope ??= context.cache.cacheScope;
  }
  return stamped;
}

/**
 * The answer to a call whose server asked for input (session/input/): the questions under their
 * keys and the state the retry echoes. Never cacheable: no cache hints.
 */
export function inputRequiredResult(inputRequests: Record<string, unknown>, requestState: string, serverInfo: Record<string, unknown> | undefined): Record<string, unknown> {
  return {
    resultType: 'input_required',
    inputRequests,
    requestState,
    ...(serverInfo ? { _meta: { [META.serverInfo]: serverInfo } } : {}),
  };
}

/** The answer a modern client gets for a child's `response` (already under the client's id). */
export function modernResponse(response: JsonRpcResponse, context: ModernContext): JsonRpcResponse {
  if (context.passthrough) return response;
  if (response.error) return { jsonrpc: '2.0', id: response.id, error: modernError(response.error, context.method) };
  const result = typeof response.result === 'object' && response.result !== null ? response.result as Record<string, unknown> : {};
  return { jsonrpc: '2.0', id: response.id, result: completeResult(withoutRemoved(context.method, result), context) };
}
