/**
 * --max-concurrent-per-principal: while a principal has that many requests in flight, across all
 * its sessions, one more gets 429 CONCURRENCY_LIMIT with Retry-After: 1 and never reaches a child;
 * other principals are not affected, and the slot comes back when the request is answered. A `slow`
 * call with progress is in flight at the child once its first progress event has arrived.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startDaemon, type TestDaemon } from '../helpers/daemon.js';
import { startSlowCall as startSlow } from '../helpers/http.js';
import { waitFor } from '../helpers/poll.js';
import { assertNothingLogged, assertWireError, bearer, callAs, initializeAs, metric, newToken, openSessionAs, postAs } from './auth-helpers.js';

const tokens = { alice: newToken('alice'), bob: newToken('bob') };

interface SlowCall {
  /** Sends notifications/cancelled for it; the fixture then answers at once. */
  cancel(): Promise<void>;
  /** The rest of its SSE body. */
  rest: Promise<string>;
}

/** Starts `slow` (a minute long, progress every 100 ms) and resolves once it is in flight at the child. */
async function startSlowCall(daemon: TestDaemon, token: string, sessionId: string, id: number): Promise<SlowCall> {
  const { rest } = await startSlow(daemon.url, sessionId, id, { ms: 60_000, steps: 600, headers: bearer(token) });
  const cancel = async (): Promise<void> => {
    const sent = await postAs(daemon.url, token, sessionId, { jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: id, reason: 'test over' } });
    assert.equal(sent.status, 202, sent.text);
  };
  return { cancel, rest };
}

function inFlight(daemon: TestDaemon): Promise<number> {
  return metric(daemon, 'mcp_sidecar_requests_in_flight');
}

describe('--max-concurrent-per-principal', () => {
  let daemon: TestDaemon;

  before(async () => {
    daemon = await startDaemon({
      fixture: { name: 'echo-server' },
      args: ['--max-concurrent-per-principal', '1'],
      env: { MCP_SIDECAR_AUTH_TOKENS: `alice:${tokens.alice},bob:${tokens.bob}` },
    });
  });
  after(async () => {
    await daemon?.close();
  });

  it('refuses a second request in flight with 429 CONCURRENCY_LIMIT in any of the principal’s sessions, then frees the slot', async () => {
    const first = await openSessionAs(daemon.url, tokens.alice);
    const second = await openSessionAs(daemon.url, tokens.alice);
    const slow = await startSlowCall(daemon, tokens.alice, first, 10);

    for (const [session, id] of [[second, 11], [first, 12]] as const) {
      const refused = await callAs(daemon.url, tokens.alice, session, id, 'echo', { text: 'too many' });
      assert.equal(assertWireError(refused, 429, 'CONCURRENCY_LIMIT').id, id);
      assert.equal(refused.headers.get('retry-after'), '1');
    }
    assert.equal(await metric(daemon, 'mcp_sidecar_policy_refusals_total', ['reason="CONCURRENCY_LIMIT"']), 2);

    const bob = await openSessionAs(daemon.url, tokens.bob);
    assert.equal((await callAs(daemon.url, tokens.bob, bob, 2, 'echo', { text: 'bob is fine' })).status, 200);

    await slow.cancel();
    await slow.rest;
    await waitFor(async () => (await inFlight(daemon)) === 0, { what: 'the cancelled call to be answered' });
    const freed = await callAs(daemon.url, tokens.alice, second, 13, 'echo', { text: 'my turn' });
    assert.equal(freed.status, 200, freed.text);
    // The refused calls never reached the child: only the answered ones were audited.
    await daemon.waitForLog((line) => line.audit === 'tool-call' && line.tool === 'echo' && line.principal === 'alice');
    const echoes = daemon.logs.filter((line) => line.audit === 'tool-call' && line.tool === 'echo' && line.principal === 'alice');
    assert.equal(echoes.length, 1);
  });

  it('opens a new session while the principal is at its cap (initialize is not capped), whose first request gets 429 CONCURRENCY_LIMIT', async () => {
    const session = await openSessionAs(daemon.url, tokens.alice);
    const slow = await startSlowCall(daemon, tokens.alice, session, 20);
    try {
      const response = await initializeAs(daemon.url, tokens.alice, {}, AbortSignal.timeout(3000));
      assert.equal(response.status, 200, response.text);
      const fresh = response.headers.get('mcp-session-id') as string;
      assertWireError(await callAs(daemon.url, tokens.alice, fresh, 7, 'echo', { text: 'over the cap' }), 429, 'CONCURRENCY_LIMIT');
    } finally {
      await slow.cancel();
      await slow.rest;
    }
  });

  it('never logs a token', async () => {
    await assertNothingLogged(daemon, Object.values(tokens));
  });
});
