/**
 * What a 2026-07-28 client may ask, what the revision removed, and which results carry cache
 * hints. Read by the modern front before anything reaches a child.
 */

/** Methods a modern client may call; everything else is 404 / -32601 (removed ones included). */
export const MODERN_METHODS: ReadonlySet<string> = new Set([
  'server/discover',
  'tools/list', 'tools/call',
  'resources/list', 'resources/templates/list', 'resources/read',
  'prompts/list', 'prompts/get',
  'completion/complete',
  'subscriptions/listen',
]);

/** Notifications a modern client may send (cancellation is a closed response, not a message). */
export const MODERN_NOTIFICATIONS: ReadonlySet<string> = new Set(['notifications/cancelled', 'notifications/progress']);

/** Results that must carry `ttlMs` and `cacheScope` (caching.mdx). */
export const CACHEABLE_METHODS: ReadonlySet<string> = new Set([
  'server/discover', 'tools/list', 'prompts/list', 'resources/list', 'resources/templates/list', 'resources/read',
]);

/** Methods whose request names its subject in `Mcp-Name`, and the param that holds it. */
export const NAMED_BY: Readonly<Record<string, 'name' | 'uri'>> = {
  'tools/call': 'name',
  'prompts/get': 'name',
  'resources/read': 'uri',
};

/** Child→client requests a 2025-era child may send that the daemon answers itself. */
export const ANSWERED_BY_DAEMON: ReadonlySet<string> = new Set(['ping']);
