/**
 * Session ids: `<instance>.<random>`. The instance id (--instance-id) names the daemon that holds
 * the session's child, so a proxy in front of several daemons can route a session's requests by
 * the id alone (deploy/nginx/); the random part is what makes the id unguessable.
 */
import { randomBytes } from 'node:crypto';

/** What --instance-id accepts: no `.` (it ends the instance part) and nothing a proxy's pattern must escape. */
export const INSTANCE_ID = /^[A-Za-z0-9_-]{1,63}$/;
export const INSTANCE_ID_FORMAT = 'letters, digits, - or _ (1 to 63 of them)';

/**
 * The default instance id: the host name's first label (a pod's name under a StatefulSet, a
 * container's id under Docker), with anything --instance-id would refuse made `-`.
 */
export function instanceIdOf(hostname: string): string {
  const label = (hostname.split('.')[0] ?? '').replace(/[^A-Za-z0-9_-]/g, '-').slice(0, 63);
  return label === '' ? 'mcp-sidecar' : label;
}

/**
 * `<instance>.<192 random bits, base64url>`: visible ASCII only, as the spec asks of
 * Mcp-Session-Id. The random part has no `.`, so the instance is everything before the last one.
 */
export function newSessionId(instanceId: string): string {
  return `${instanceId}.${randomBytes(24).toString('base64url')}`;
}

const VISIBLE_ASCII = /^[\x21-\x7E]{1,256}$/;

/**
 * Whether an incoming id can be a session id at all (else SESSION_ID_MALFORMED). Deliberately no
 * stricter than the spec: an id of another instance, or one minted before ids named instances, is
 * well-formed and simply not found here (404), so its client starts a new session.
 */
export function isWellFormedSessionId(value: string): boolean {
  return VISIBLE_ASCII.test(value);
}
