/** The `server/discover` result the daemon answers for the server behind it. Pure. */
import type { ServerView } from '../session/lease.js';
import { completeResult, modernCapabilities, type CacheHints } from './modern-result.js';
import { LEGACY_VERSIONS, MODERN_VERSIONS } from './versions.js';

/** Every version served on this endpoint, newest first: 2026-07-28 without a session, the 2025 ones with one. */
export const DISCOVERED_VERSIONS: readonly string[] = [...[...MODERN_VERSIONS].reverse(), ...[...LEGACY_VERSIONS].reverse()];

export function discoverResult(view: ServerView, cache: CacheHints): Record<string, unknown> {
  const result: Record<string, unknown> = { supportedVersions: [...DISCOVERED_VERSIONS], capabilities: modernCapabilities(view.capabilities) };
  if (view.instructions !== undefined) result.instructions = view.instructions;
  return completeResult(result, { method: 'server/discover', serverInfo: view.serverInfo, cache });
}
