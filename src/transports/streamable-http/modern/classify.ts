/**
 * Which era a Streamable HTTP POST belongs to, decided once per POST after its body is read (the
 * SDK's model: the body decides, the header backs it). A request whose `_meta` claims a protocol
 * version and that names no session, or any `server/discover`, is modern; a request with no claim
 * whose header names 2026-07-28 or later is a broken modern request (never served as 2025-era);
 * everything else takes the session path, unchanged.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { Framed } from '../../../jsonrpc/message.js';
import { claimsModernEra, hasModernClaim } from '../../../protocol/versions.js';

export type Era = 'modern' | 'legacy' | 'modern-batch';

export function eraOf(headers: IncomingHttpHeaders, framed: Framed | { kind: 'batch'; items: unknown[] }): Era {
  if (framed.kind === 'batch') return framed.items.some(hasModernClaim) ? 'modern-batch' : 'legacy';
  const message = framed.message as { method?: unknown };
  if (message.method === 'server/discover') return 'modern';
  if (headers['mcp-session-id'] !== undefined) return 'legacy';
  if (hasModernClaim(message)) return 'modern';
  if (framed.kind !== 'response' && claimsModernEra(headers['mcp-protocol-version'])) return 'modern';
  return 'legacy';
}

/** A GET or DELETE of a modern client: it has no session to name. */
export function isSessionlessModern(headers: IncomingHttpHeaders): boolean {
  return headers['mcp-session-id'] === undefined && claimsModernEra(headers['mcp-protocol-version']);
}
