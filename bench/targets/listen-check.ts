/**
 * Proof that a bridge listens on loopback only: every TCP socket in LISTEN state on its port, read
 * from /proc/net/tcp and /proc/net/tcp6, must be 127.0.0.1 (or its v4-mapped form, or ::1).
 */
import { readFileSync } from 'node:fs';

const LISTEN = '0A';
const LOOPBACK = new Set([
  '0100007F', // 127.0.0.1
  '0000000000000000FFFF00000100007F', // ::ffff:127.0.0.1
  '00000000000000000000000001000000', // ::1
]);

function listeners(file: string, port: number): string[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return []; // No IPv6 on this machine.
  }
  const found: string[] = [];
  for (const line of text.split('\n').slice(1)) {
    const [, local, , state] = line.trim().split(/\s+/);
    if (!local || state !== LISTEN) continue;
    const [address, hexPort] = local.split(':');
    if (address !== undefined && parseInt(hexPort ?? '', 16) === port) found.push(address);
  }
  return found;
}

/** Throws unless something listens on `port` and all of it is loopback. */
export function assertLoopbackOnly(name: string, port: number): void {
  const addresses = [...listeners('/proc/net/tcp', port), ...listeners('/proc/net/tcp6', port)];
  if (addresses.length === 0) throw new Error(`${name}: nothing listens on port ${port}`);
  const exposed = addresses.filter((address) => !LOOPBACK.has(address));
  if (exposed.length > 0) throw new Error(`${name}: listens on port ${port} beyond loopback (address ${exposed.join(', ')} in /proc/net/tcp*)`);
}
