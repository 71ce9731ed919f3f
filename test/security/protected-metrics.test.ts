/**
 * --protect-metrics: /metrics and /status need a valid token, on the main port and on
 * --metrics-port alike, while /healthz and /readyz stay open for probes. (Without the option /metrics
 * is open: see guarded-transports.test.ts; /status needs a token: internal-endpoints.test.ts.)
 * /status names each session's principal, never its token.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startDaemon, type TestDaemon } from '../helpers/daemon.js';
import { rawRequest } from '../helpers/http.js';
import { assertNothingLogged, assertWireError, bearer, newToken, openSessionAs } from './auth-helpers.js';

const alice = newToken('alice');
const wrong = newToken('alice');
const env = { MCP_SIDECAR_AUTH_TOKENS: `alice:${alice}` };

async function assertGuarded(url: string): Promise<string> {
  assertWireError(await rawRequest(url, {}), 401, 'UNAUTHORIZED');
  assertWireError(await rawRequest(url, { headers: bearer(wrong) }), 401, 'INVALID_TOKEN');
  const response = await rawRequest(url, { headers: bearer(alice) });
  assert.equal(response.status, 200, `${url}: ${response.text}`);
  return response.text;
}

describe('--protect-metrics on the main port', () => {
  let daemon: TestDaemon;

  before(async () => {
    daemon = await startDaemon({ fixture: { name: 'echo-server' }, args: ['--protect-metrics', '--status'], env });
  });
  after(async () => {
    await daemon?.close();
  });

  it('keeps /healthz and /readyz open', async () => {
    for (const path of ['/healthz', '/readyz']) {
      for (const method of ['GET', 'HEAD']) {
        const response = await rawRequest(`${daemon.baseUrl}${path}`, { method });
        assert.equal(response.status, 200, `${method} ${path}: ${response.text}`);
      }
    }
  });

  it('answers /metrics only with a valid token', async () => {
    const text = await assertGuarded(`${daemon.baseUrl}/metrics`);
    assert.match(text, /^mcp_sidecar_sessions_active/m);
  });

  it('answers /status only with a valid token, naming principals and never their tokens', async () => {
    const sessionId = await openSessionAs(daemon.url, alice);
    const text = await assertGuarded(`${daemon.baseUrl}/status`);
    const status = JSON.parse(text) as { sessions: { id: string; principal: string }[] };
    assert.deepEqual(status.sessions.find((session) => session.id === sessionId)?.principal, 'alice');
    assert.ok(!text.includes(alice), '/status shows the token');
  });

  it('never logs a token', async () => {
    await assertNothingLogged(daemon, [alice, wrong]);
  });
});

describe('--protect-metrics on --metrics-port', () => {
  let daemon: TestDaemon;
  let metricsUrl: string;

  before(async () => {
    daemon = await startDaemon({ fixture: { name: 'echo-server' }, args: ['--protect-metrics', '--metrics-port', '0'], env });
    const listening = await daemon.waitForLog((line) => line.msg === 'metrics listening');
    metricsUrl = String(listening.url);
  });
  after(async () => {
    await daemon?.close();
  });

  it('answers /metrics on the metrics port only with a valid token, and not at all on the main port', async () => {
    assert.notEqual(new URL(metricsUrl).port, new URL(daemon.baseUrl).port);
    await assertGuarded(metricsUrl);
    assertWireError(await rawRequest(`${daemon.baseUrl}/metrics`, { headers: bearer(alice) }), 404, 'NOT_FOUND');
  });
});
