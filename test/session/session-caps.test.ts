/** The per-principal session caps, settled once from the config (session-caps.ts). A table. */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { sessionCaps, type SessionCaps } from '../../src/session/session-caps.js';

const CASES: [string, { maxSessions: number; maxSessionsPerPrincipal: number }, boolean, SessionCaps][] = [
  ['no authentication: no cap but the configured one', { maxSessions: 256, maxSessionsPerPrincipal: 0 }, false, { perPrincipal: 0, uninitializedPerPrincipal: 0, fairShare: false }],
  ['no authentication, a cap set', { maxSessions: 256, maxSessionsPerPrincipal: 3 }, false, { perPrincipal: 3, uninitializedPerPrincipal: 0, fairShare: false }],
  ['authentication, unset: a quarter', { maxSessions: 256, maxSessionsPerPrincipal: 0 }, true, { perPrincipal: 64, uninitializedPerPrincipal: 4, fairShare: true }],
  ['authentication, unset: a quarter rounded up', { maxSessions: 10, maxSessionsPerPrincipal: 0 }, true, { perPrincipal: 3, uninitializedPerPrincipal: 3, fairShare: true }],
  ['authentication, unset, one slot: 1', { maxSessions: 1, maxSessionsPerPrincipal: 0 }, true, { perPrincipal: 1, uninitializedPerPrincipal: 1, fairShare: true }],
  ['authentication, set: kept, even above a quarter', { maxSessions: 10, maxSessionsPerPrincipal: 10 }, true, { perPrincipal: 10, uninitializedPerPrincipal: 4, fairShare: false }],
];

for (const [what, limits, authenticated, expected] of CASES) {
  it(what, () => assert.deepEqual(sessionCaps(limits, authenticated), expected));
}
