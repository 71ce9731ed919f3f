/**
 * The credential watch on its own: a static token is re-checked on `recheck()` (the reload), a
 * JWT ends by a timer at its expiry, each connection ends once, and one that stopped being watched
 * never hears anything.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { NO_CREDENTIAL, type CredentialEnd } from '../../src/auth/credential.js';
import { CredentialWatch } from '../../src/auth/credential-watch.js';
import { TokenSet, type TokenMatch } from '../../src/auth/token-file.js';
import { waitFor } from '../helpers/poll.js';

const ALICE = 'alice-0123456789abcdef';
const BOB = 'bob-0123456789abcdefgh';

function tokens(text: string): TokenSet {
  return TokenSet.parse({ text, source: { kind: 'file', path: 'tokens' } });
}

describe('CredentialWatch', () => {
  it('ends, on recheck, exactly the connections whose token the current set no longer holds', () => {
    let current = tokens(`alice:${ALICE}\nbob:${BOB}\n`);
    const watch = new CredentialWatch((token) => current.holds(token));
    const alice = current.match(ALICE) as TokenMatch;
    const bob = current.match(BOB) as TokenMatch;
    const ended: string[] = [];
    watch.watch({ kind: 'token', token: alice }, (cause) => ended.push(`alice ${cause}`));
    watch.watch({ kind: 'token', token: bob }, (cause) => ended.push(`bob ${cause}`));
    assert.equal(watch.recheck(), 0);
    current = tokens(`bob:${BOB}\n`);
    assert.equal(watch.recheck(), 1);
    assert.deepEqual(ended, ['alice revoked']);
    assert.equal(watch.recheck(), 0, 'an ended connection is not ended again');
    assert.equal(watch.size, 1);
  });

  it('treats a token that now names another principal as revoked', () => {
    let current = tokens(`alice:${ALICE}\n`);
    const watch = new CredentialWatch((token) => current.holds(token));
    const ended: CredentialEnd[] = [];
    watch.watch({ kind: 'token', token: current.match(ALICE) as TokenMatch }, (cause) => ended.push(cause));
    current = tokens(`mallory:${ALICE}\n`);
    watch.recheck();
    assert.deepEqual(ended, ['revoked']);
  });

  it('keeps the digest, not the token', () => {
    const match = tokens(`alice:${ALICE}\n`).match(ALICE) as TokenMatch;
    assert.deepEqual(Object.keys(match).sort(), ['digest', 'name']);
    assert.ok(!match.digest.toString('latin1').includes(ALICE));
  });

  it('stops watching when told: a closed connection hears nothing', () => {
    let current = tokens(`alice:${ALICE}\n`);
    const watch = new CredentialWatch((token) => current.holds(token));
    let heard = 0;
    const stop = watch.watch({ kind: 'token', token: current.match(ALICE) as TokenMatch }, () => (heard += 1));
    stop();
    current = tokens('');
    assert.equal(watch.recheck(), 0);
    assert.equal(heard, 0);
  });

  it('ends a JWT connection at its expiry, not before, and never synchronously', async () => {
    const watch = new CredentialWatch(() => true);
    const started = Date.now();
    let endedAt = 0;
    let cause: CredentialEnd | undefined;
    watch.watch({ kind: 'jwt', expiresAtMs: started + 300 }, (why) => {
      endedAt = Date.now();
      cause = why;
    });
    await waitFor(() => endedAt > 0, { what: 'the expiry' });
    assert.equal(cause, 'expired');
    assert.ok(endedAt - started >= 290, `ended after ${endedAt - started}ms`);
    let past = false;
    watch.watch({ kind: 'jwt', expiresAtMs: started - 1000 }, () => (past = true));
    assert.equal(past, false, 'an expiry already past ends on the next turn, not inside watch()');
    await waitFor(() => past, { what: 'the past expiry' });
  });

  it('cancels the expiry timer when told', async () => {
    const watch = new CredentialWatch(() => true);
    let heard = false;
    const stop = watch.watch({ kind: 'jwt', expiresAtMs: Date.now() + 50 }, () => (heard = true));
    stop();
    await new Promise((resolve) => setTimeout(resolve, 150));
    assert.equal(heard, false);
  });

  it('has nothing to watch without authentication', () => {
    const watch = new CredentialWatch(() => false);
    watch.watch(NO_CREDENTIAL, () => assert.fail('ended'))();
    assert.equal(watch.recheck(), 0);
  });
});
