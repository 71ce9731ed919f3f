/**
 * Loopback names and addresses, for the DNS rebinding guard (origin-policy.ts): a daemon bound to
 * loopback trusts that only this machine reaches it, and a web page can break that by pointing a
 * name it controls at 127.0.0.1. Such requests carry the attacker's Host (and Origin).
 */
import { isIP } from 'node:net';

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
