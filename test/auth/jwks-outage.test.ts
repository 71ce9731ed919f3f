/**
 * A failing authorization server, end to end: the daemon's JWKS answers 500, then hangs, then
 * comes back. Every token meanwhile gets 503 AUTH_UNAVAILABLE (fail closed), the JWKS sees a
 * handful of fetches rather than one per request, /metrics counts them by outcome, and once the
 * JWKS is back a session opens.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { metricSum } from '../helpers/metrics.js';
import { waitFor } from '../helpers/poll.js';
import { assertWireError, initializeAs } from '../security/auth-helpers.js';
import { JwtDaemon } from '../security/jwt-daemon.js';

const FETCHES = 'mcp_sidecar_jwks_fetches_total';

describe('JWKS outage: the daemon fails closed without hammering the authorization server', () => {
  let server: JwtDaemon;

  before(async () => {
    server = await JwtDaemon.start();
  });
  after(async () => {
    await server.close();
  });

  it('JWKS answering 500: 200 requests → 503 each, a handful of fetches, counted in /metrics', async () => {
    server.jwks.setBehaviour('status-500');
    const token = await server.token('user-1');
    for (let wave = 0; wave < 10; wave += 1) {
      const responses = await Promise.all(Array.from({ length: 20 }, () => initializeAs(server.daemon.url, token)));
      for (const response of responses) {
        assertWireError(response, 503, 'AUTH_UNAVAILABLE');
        assert.ok(response.headers.get('retry-after'));
      }
    }
    // 1 s doubling: however slow this machine, 200 refusals fit in very few delays.
    assert.ok(server.jwks.fetches >= 1 && server.jwks.fetches <= 4, `${server.jwks.fetches} fetches for 200 requests`);
    assert.equal(await metricSum(server.daemon.baseUrl, FETCHES, { outcome: 'error' }), server.jwks.fetches);
    assert.ok(server.daemon.logs.some((line) => line.msg.startsWith('JWKS fetch failed')));
  });

  it('JWKS back: a session opens once the retry delay has passed, and the fetch is counted ok', async () => {
    server.jwks.setBehaviour('serve');
    const token = await server.token('user-1');
    await waitFor(async () => (await initializeAs(server.daemon.url, token)).status === 200, { timeoutMs: 40_000, intervalMs: 100, what: 'a session once the JWKS is back' });
    assert.equal(await metricSum(server.daemon.baseUrl, FETCHES, { outcome: 'ok' }), 1);
  });
});
