/**
 * DNS rebinding guard. A daemon bound to loopback trusts that only this machine reaches it; a web
 * page can break that by pointing a name it controls at 127.0.0.1 and having the browser post to
 * it. Such requests carry the attacker's Host (and Origin), so while we listen on loopback, a
 * request whose Host is not a loopback name, or whose Origin is not a loopback origin, is refused
 * with 403. Health endpoints are exempt (probes address the daemon by any name).
 */
import type { IncomingHttpHeaders } from 'node:http';
import { isIP } from 'node:net';
import type { WireErrorReason } from '../errors/wire.js';

/** Whether `host` (an address or name, brackets allowed) is this machine's loopback. */
export function isLoopback(host: string): boolean {
  const bare = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  const lower = bare.toLowerCase();
  if (lower === 'localhost' || lower.endsWith('.localhost')) return true;
  if (isIP(lower) === 4) return lower.startsWith('127.');
  if (isIP(lower) === 6) return lower === '::1' || lower === '0:0:0:0:0:0:0:1';
  return false;
}

/** The host name of a Host header value, without its port. */
export function hostnameOf(hostHeader: string): string {
  if (hostHeader.startsWith('[')) {
    const close = hostHeader.indexOf(']');
    return close === -1 ? hostHeader : hostHeader.slice(0, close + 1);
  }
  const colon = hostHeader.lastIndexOf(':');
  return colon === -1 ? hostHeader : hostHeader.slice(0, colon);
}

export function checkRebinding(headers: IncomingHttpHeaders): WireErrorReason | undefined {
  const host = headers.host;
  if (!host || !isLoopback(hostnameOf(host))) return 'FORBIDDEN_HOST';
  const origin = headers.origin;
  if (origin === undefined) return undefined;
  try {
    return isLoopback(new URL(origin).hostname) ? undefined : 'FORBIDDEN_ORIGIN';
  } catch {
    return 'FORBIDDEN_ORIGIN'; // "null" or garbage: not a loopback origin.
  }
}
