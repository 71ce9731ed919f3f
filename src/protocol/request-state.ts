/**
 * `requestState` for input-required results (2026-07-28, multi round-trip requests). The client
 * echoes it on its retry, so it is attacker-controlled: it is sealed with HMAC-SHA256 under a key
 * of the daemon's, and names what it may be used for. A sealed state binds
 *   - the held call it resumes, and which round of it (a round is used once: replays fail),
 *   - the principal that started the call,
 *   - the original method and a digest of its params (without the retry's own fields),
 *   - an expiry.
 * Pure: sealing and opening take the key and the clock as arguments.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { canonicalJson } from './canonical-json.js';

export interface StatePayload {
  /** The held call. */
  call: string;
  round: number;
  principal: string;
  method: string;
  digest: string;
  /** Epoch milliseconds after which the state is refused. */
  expiresAt: number;
}

/** Why a presented state is refused; each is said to the client in one sentence. */
export type StateProblem = 'malformed' | 'tampered' | 'expired' | 'principal' | 'request';

/** The retry's own fields: they differ between rounds and are not part of what the state names. */
const RETRY_FIELDS = new Set(['inputResponses', 'requestState', '_meta']);

/** A digest of a request's params as the original request had them. */
export function paramsDigest(params: Record<string, unknown> | undefined): string {
  const kept: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(params ?? {})) if (!RETRY_FIELDS.has(key)) kept[key] = value;
  return createHash('sha256').update(canonicalJson(kept)).digest('base64url');
}

function mac(key: Buffer, body: string): Buffer {
  return createHmac('sha256', key).update(body).digest();
}

export function sealState(key: Buffer, payload: StatePayload): string {
  const body = Buffer.from(JSON.stringify(payload)).toString('base64url');
  return `${body}.${mac(key, body).toString('base64url')}`;
}

/**
 * The payload of a state this daemon sealed, checked against the request presenting it; or what
 * is wrong with it. The MAC is checked first, so nothing of an unsealed state is believed.
 */
export function openState(
  key: Buffer,
  state: string,
  presented: { principal: string; method: string; digest: string },
  now: number,
): StatePayload | { problem: StateProblem } {
  const dot = state.indexOf('.');
  if (dot <= 0 || dot !== state.lastIndexOf('.')) return { problem: 'malformed' };
  const body = state.slice(0, dot);
  const given = Buffer.from(state.slice(dot + 1), 'base64url');
  const expected = mac(key, body);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return { problem: 'tampered' };
  let payload: StatePayload;
  try {
    payload = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as StatePayload;
  } catch {
    return { problem: 'malformed' }; // Sealed by us, so never: but a key shared with another program could.
  }
  if (typeof payload !== 'object' || payload === null || typeof payload.call !== 'string' || typeof payload.round !== 'number') return { problem: 'malformed' };
  if (now > payload.expiresAt) return { problem: 'expired' };
  if (payload.principal !== presented.principal) return { problem: 'principal' };
  if (payload.method !== presented.method || payload.digest !== presented.digest) return { problem: 'request' };
  return payload;
}

export const STATE_PROBLEMS: Readonly<Record<StateProblem | 'used', string>> = {
  malformed: 'requestState is not one this server issued',
  tampered: 'requestState failed its integrity check',
  expired: 'requestState has expired (--input-required-timeout)',
  principal: 'requestState was issued to another principal',
  request: 'requestState was issued for another request (method or params differ)',
  used: 'requestState was already used, or its call has ended',
};
