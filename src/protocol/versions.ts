/**
 * The protocol revisions the daemon serves and how a request says which it speaks: one place for
 * the versions, the 2026-07-28 `_meta` keys and headers, and the era rules both transports read.
 *
 * Two eras share one endpoint. Legacy (2024-11-05 … 2025-11-25): `initialize`, then a session named
 * by `Mcp-Session-Id`. Modern (2026-07-28): no initialize and no session; every request carries its
 * protocol version and the client's capabilities in `params._meta`, and `server/discover` tells a
 * client what the server is.
 */

/** Legacy revisions, oldest first (an absent MCP-Protocol-Version header means 2025-03-26). */
export const LEGACY_VERSIONS = ['2024-11-05', '2025-03-26', '2025-06-18', '2025-11-25'] as const;
/** Modern revisions, oldest first. */
export const MODERN_VERSIONS = ['2026-07-28'] as const;

/** The newest legacy revision: what a 2025-era child is asked to speak on a modern client's behalf. */
export const NEWEST_LEGACY_VERSION = '2025-11-25';

/** The per-request `_meta` keys of a modern request, and the per-result ones of its answer. */
export const META = {
  protocolVersion: 'io.modelcontextprotocol/protocolVersion',
  clientCapabilities: 'io.modelcontextprotocol/clientCapabilities',
  clientInfo: 'io.modelcontextprotocol/clientInfo',
  logLevel: 'io.modelcontextprotocol/logLevel',
  serverInfo: 'io.modelcontextprotocol/serverInfo',
  /** On every message of a subscriptions/listen stream: the id of the listen request. */
  subscriptionId: 'io.modelcontextprotocol/subscriptionId',
} as const;

const legacy = new Set<string>(LEGACY_VERSIONS);
const modern = new Set<string>(MODERN_VERSIONS);

export function isLegacyVersion(version: unknown): boolean {
  return typeof version === 'string' && legacy.has(version);
}

export function isModernVersion(version: unknown): boolean {
  return typeof version === 'string' && modern.has(version);
}

/**
 * Whether a header or `_meta` version names the modern era or later. Versions are dates, so a
 * string compare orders them; anything that is not a date is not modern (and not supported).
 */
export function claimsModernEra(version: unknown): boolean {
  return typeof version === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(version) && version >= MODERN_VERSIONS[0];
}

/** The `_meta` of a request's params, when it has one. */
export function metaOf(message: unknown): Record<string, unknown> | undefined {
  const params = (message as { params?: unknown } | null)?.params;
  if (typeof params !== 'object' || params === null) return undefined;
  const meta = (params as { _meta?: unknown })._meta;
  return typeof meta === 'object' && meta !== null && !Array.isArray(meta) ? (meta as Record<string, unknown>) : undefined;
}

/** Whether a message claims the modern era: its `_meta` names a protocol version. */
export function hasModernClaim(message: unknown): boolean {
  const meta = metaOf(message);
  return meta !== undefined && META.protocolVersion in meta;
}
