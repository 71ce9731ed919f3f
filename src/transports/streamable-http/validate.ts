/**
 * Header checks of the Streamable HTTP transport. Each returns the registry reason to answer with,
 * or `undefined` when the header is acceptable; none throws.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { WireErrorReason } from '../../errors/wire.js';
import { LEGACY_VERSIONS, isLegacyVersion } from '../../protocol/versions.js';
import { isWellFormedSessionId } from '../../session/session-id.js';

/** Protocol versions a session speaks (an absent header means 2025-03-26, per the spec). */
export const SUPPORTED_PROTOCOL_VERSIONS = LEGACY_VERSIONS;

function mediaRanges(header: string | undefined): string[] {
  if (!header) return [];
  return header.split(',').map((part) => (part.split(';')[0] ?? '').trim().toLowerCase());
}

/** Whether an Accept header admits `type` (exactly, by `type/*`, or by `*\/*`). */
export function accepts(header: string | undefined, type: string): boolean {
  const major = `${type.split('/')[0]}/*`;
  return mediaRanges(header).some((range) => range === type || range === major || range === '*/*');
}

/** Verdicts on Accept headers seen: a client sends the same one with every POST. Bounded. */
const postAcceptVerdicts = new Map<string, boolean>();
const MAX_CACHED_VERDICTS = 64;

export function checkPostAccept(headers: IncomingHttpHeaders): WireErrorReason | undefined {
  const header = headers.accept ?? '';
  let ok = postAcceptVerdicts.get(header);
  if (ok === undefined) {
    ok = accepts(header, 'application/json') && accepts(header, 'text/event-stream');
    if (postAcceptVerdicts.size < MAX_CACHED_VERDICTS) postAcceptVerdicts.set(header, ok);
  }
  return ok ? undefined : 'NOT_ACCEPTABLE';
}

export function checkGetAccept(headers: IncomingHttpHeaders): WireErrorReason | undefined {
  return accepts(headers.accept, 'text/event-stream') ? undefined : 'NOT_ACCEPTABLE';
}

export function checkContentType(headers: IncomingHttpHeaders): WireErrorReason | undefined {
  const header = headers['content-type'];
  if (header === 'application/json') return undefined; // what nearly every POST says, taken apart for nothing
  const type = (header ?? '').split(';')[0]?.trim().toLowerCase();
  return type === 'application/json' ? undefined : 'UNSUPPORTED_MEDIA_TYPE';
}

export function checkProtocolVersion(headers: IncomingHttpHeaders): WireErrorReason | undefined {
  const version = headers['mcp-protocol-version'];
  if (version === undefined) return undefined;
  return isLegacyVersion(version) ? undefined : 'UNSUPPORTED_PROTOCOL_VERSION';
}

/** The session id a request names, or the reason it is missing or malformed. */
export function sessionIdOf(headers: IncomingHttpHeaders): { id: string } | { reason: WireErrorReason } {
  const id = headers['mcp-session-id'];
  if (id === undefined || id === '') return { reason: 'SESSION_ID_REQUIRED' };
  if (typeof id !== 'string' || !isWellFormedSessionId(id)) return { reason: 'SESSION_ID_MALFORMED' };
  return { id };
}
