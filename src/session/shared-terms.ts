/**
 * The rules a shared child's sessions live by, pure: what a client's initialize is answered with
 * (the child was initialized once, by the daemon), which server→client requests a session's client
 * can take, and which log messages a session asked to see. No state, no I/O; table-tested.
 */
import { isLegacyVersion } from '../protocol/versions.js';

/**
 * The protocol version a client is answered with. The child agreed to `childVersion` with the
 * daemon (which asked for the newest 2025-era revision). A client asking for a revision we serve
 * that is not newer gets its own (what the child would have answered it: a server that supports
 * a newer revision speaks the older ones too, and the SDK's servers send one message shape for
 * every version); a client asking for anything else gets the child's, as from any server that
 * speaks one version, and may disconnect if it does not speak it.
 */
export function negotiatedVersion(requested: unknown, childVersion: string): string {
  return isLegacyVersion(requested) && (requested as string) <= childVersion ? (requested as string) : childVersion;
}

/**
 * The initialize result a client of a shared child is answered with: the child's own, with the
 * version negotiated for this client, and without `tasks` (tasks are kept per child, so one
 * session's tasks would be listed to every session sharing it).
 */
export function clientInitializeResult(childResult: Record<string, unknown>, requested: unknown): Record<string, unknown> {
  const childVersion = typeof childResult.protocolVersion === 'string' ? childResult.protocolVersion : '';
  const result: Record<string, unknown> = { ...childResult, protocolVersion: negotiatedVersion(requested, childVersion) };
  const capabilities = childResult.capabilities;
  if (typeof capabilities === 'object' && capabilities !== null && 'tasks' in capabilities) {
    const rest: Record<string, unknown> = { ...(capabilities as Record<string, unknown>) };
    delete rest.tasks;
    result.capabilities = rest;
  }
  return result;
}

/** The client capability a server→client request needs, by method; none for the rest (ping, unknown ones). */
const NEEDS: Readonly<Record<string, string>> = {
  'sampling/createMessage': 'sampling',
  'elicitation/create': 'elicitation',
  'roots/list': 'roots',
};

/** The capability `method` needs that `capabilities` (the client's, from its initialize) lacks, if any. */
export function missingCapability(method: string, capabilities: Record<string, unknown> | undefined): string | undefined {
  const needed = NEEDS[method];
  if (needed === undefined) return undefined;
  return capabilities !== undefined && needed in capabilities ? undefined : needed;
}

/** RFC 5424 severities, least severe first, as MCP's logging names them. */
export const LOG_LEVELS = ['debug', 'info', 'notice', 'warning', 'error', 'critical', 'alert', 'emergency'] as const;

function rank(level: unknown): number {
  return LOG_LEVELS.indexOf(level as (typeof LOG_LEVELS)[number]);
}

/** Whether a session that set `wanted` (or set nothing) sees a log message of `level`. */
export function wantsLog(wanted: string | undefined, level: unknown): boolean {
  if (wanted === undefined || rank(wanted) < 0) return true;
  const own = rank(level);
  return own < 0 || own >= rank(wanted);
}

/**
 * The level the shared child is set to: the most verbose any of its sessions asked for (each
 * session then sees only what it asked for, `wantsLog`). `undefined` when none asked.
 */
export function mostVerbose(levels: Iterable<string | undefined>): string | undefined {
  let best: string | undefined;
  for (const level of levels) {
    if (level === undefined || rank(level) < 0) continue;
    if (best === undefined || rank(level) < rank(best)) best = level;
  }
  return best;
}
