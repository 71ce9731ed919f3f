/**
 * Token buckets per principal: --rate-limit over all of a principal's requests and sessions, and
 * --tool-rate-limit per principal and tool. Over either: 429 with Retry-After and a JSON-RPC error
 * body answering the request's id; the request never reaches the child; other principals (and
 * other tools) are not affected; every refusal is counted in mcp_sidecar_policy_refusals_total.
 * The rates are per minute, so no bucket refills while a test runs.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startDaemon, type TestDaemon } from '../helpers/daemon.js';
import { textOf } from '../helpers/mcp-client.js';
import { assertNothingLogged, assertWireError, callAs, connectAs, initializeAs, metric, newToken, openSessionAs, postAs } from './auth-helpers.js';
import type { RawResponse } from '../helpers/http.js';

const tokens = { alice: newToken('alice'), bob: newToken('bob') };
const env = { MCP_SIDECAR_AUTH_TOKENS: `alice:${tokens.alice},bob:${tokens.bob}` };

function refusals(daemon: TestDaemon, reason: string): Promise<number> {
  return metric(daemon, 'mcp_sidecar_policy_refusals_total', [`reason="${reason}"`]);
}

/** A 429 of `reason` answering request `id`, with a Retry-After of 1 to 60 seconds (the bucket refills in a minute). */
function assertLimited(response: RawResponse, reason: string, id: number): void {
  const body = assertWireError(response, 429, reason);
  assert.equal(body.id, id);
  assert.equal(body.error.code, -32000);
  const retryAfter = Number(response.headers.get('retry-after'));
  assert.ok(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 60, `Retry-After: ${response.headers.get('retry-after')}`);
}

describe('--rate-limit (per principal, across its sessions)', () => {
  let daemon: TestDaemon;

  before(async () => {
    daemon = await startDaemon({ fixture: { name: 'echo-server' }, args: ['--rate-limit', '1/min:3'], env });
  });
  after(async () => {
    await daemon?.close();
  });

  it('refuses the request after the burst with 429 RATE_LIMITED, in any of the principal’s sessions', async () => {
    // Three requests in the burst: two initializes and one call.
    const first = await openSessionAs(daemon.url, tokens.alice);
    const second = await openSessionAs(daemon.url, tokens.alice);
    assert.equal((await callAs(daemon.url, tokens.alice, first, 2, 'echo', { text: 'third' })).status, 200);

    assertLimited(await callAs(daemon.url, tokens.alice, second, 3, 'echo', { text: 'fourth' }), 'RATE_LIMITED', 3);
    assertLimited(await postAs(daemon.url, tokens.alice, first, { jsonrpc: '2.0', id: 4, method: 'ping' }), 'RATE_LIMITED', 4);
    assert.equal(await refusals(daemon, 'RATE_LIMITED'), 2);
    // Only the call in the burst reached a child: the audit log and the metrics count calls a child answered.
    await daemon.waitForLog((line) => line.audit === 'tool-call' && line.principal === 'alice');
    assert.equal(await metric(daemon, 'mcp_sidecar_tool_calls_total', ['tool="echo"']), 1);
    assert.equal(daemon.logs.filter((line) => line.audit === 'tool-call').length, 1);
  });

  it('gives every other principal a bucket of its own', async () => {
    const bob = await connectAs(daemon.url, tokens.bob);
    try {
      assert.equal(textOf(await bob.client.callTool({ name: 'echo', arguments: { text: 'bob is fine' } })), 'bob is fine');
    } finally {
      await bob.close();
    }
  });

  it('refuses a new session of a principal over its rate with 429 RATE_LIMITED, spawning nothing', async () => {
    const started = await metric(daemon, 'mcp_sidecar_sessions_started_total');
    const response = await initializeAs(daemon.url, tokens.alice, {}, AbortSignal.timeout(3000));
    assertLimited(response, 'RATE_LIMITED', 1);
    assert.equal(await metric(daemon, 'mcp_sidecar_sessions_started_total'), started);
  });

  it('never logs a token', async () => {
    await assertNothingLogged(daemon, Object.values(tokens));
  });
});

describe('--tool-rate-limit (per principal and tool)', () => {
  let daemon: TestDaemon;

  before(async () => {
    daemon = await startDaemon({ fixture: { name: 'env-dump' }, args: ['--tool-rate-limit', '1/min:2'], env });
  });
  after(async () => {
    await daemon?.close();
  });

  it('refuses a tool called over its rate with 429 TOOL_RATE_LIMITED; the child never sees it, other tools still work', async () => {
    const session = await openSessionAs(daemon.url, tokens.alice);
    for (const id of [2, 3]) assert.equal((await callAs(daemon.url, tokens.alice, session, id, 'echo', { text: 'in the burst' })).status, 200);
    assertLimited(await callAs(daemon.url, tokens.alice, session, 4, 'echo', { text: 'over' }), 'TOOL_RATE_LIMITED', 4);
    // Requests that are not tool calls have no tool bucket.
    assert.equal((await postAs(daemon.url, tokens.alice, session, { jsonrpc: '2.0', id: 5, method: 'tools/list' })).status, 200);

    const calls = await callAs(daemon.url, tokens.alice, session, 6, 'calls');
    assert.equal(calls.status, 200, calls.text);
    assert.deepEqual(JSON.parse(textOf((calls.json as { result: unknown }).result)), ['echo', 'echo', 'calls']);
    assert.equal(await refusals(daemon, 'TOOL_RATE_LIMITED'), 1);
  });

  it('keeps another principal’s bucket for the same tool apart', async () => {
    const bob = await connectAs(daemon.url, tokens.bob);
    try {
      for (const text of ['one', 'two']) assert.equal(textOf(await bob.client.callTool({ name: 'echo', arguments: { text } })), text);
    } finally {
      await bob.close();
    }
  });

  it('never logs a token', async () => {
    await assertNothingLogged(daemon, Object.values(tokens));
  });
});
