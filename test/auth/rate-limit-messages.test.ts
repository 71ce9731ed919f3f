/**
 * --rate-limit counts every message a principal sends, not only requests: notifications (and
 * responses) take from the same bucket on Streamable HTTP, legacy SSE and WebSocket. Over the
 * rate a POST gets 429 with Retry-After and a WebSocket an error frame; what reaches the child
 * (counted by the child itself) stays within burst + rate × elapsed. The notification that
 * completes the opening is not charged again (the opening was).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startDaemon, type TestDaemon } from '../helpers/daemon.js';
import { openSession, rawRequest, sessionHeaders, type RawResponse } from '../helpers/http.js';
import { INITIALIZED, initializeMessage, RawSse, RawWs } from '../helpers/legacy-clients.js';
import { metricSum } from '../helpers/metrics.js';
import { waitFor } from '../helpers/poll.js';
import { assertWireError } from '../security/auth-helpers.js';

const RATE = 5; // per second
const BURST = 5;
const NOTIFICATION = { jsonrpc: '2.0', method: 'notifications/roots/list_changed' };
const COUNT_CALL = (id: number): Record<string, unknown> => ({ jsonrpc: '2.0', id, method: 'tools/call', params: { name: 'notifications-received', arguments: {} } });

/** The most a bucket lets through in `elapsedMs` from full, with a token of slack for timer edges. */
function ceiling(elapsedMs: number): number {
  return BURST + Math.ceil((RATE * elapsedMs) / 1000) + 1;
}

function assertLimited(response: RawResponse): void {
  assertWireError(response, 429, 'RATE_LIMITED');
  const retryAfter = Number(response.headers.get('retry-after'));
  assert.ok(Number.isInteger(retryAfter) && retryAfter >= 1, `Retry-After: ${response.headers.get('retry-after')}`);
}

/** What the child counted, by method; asks until the bucket has a token for the call. */
async function childCounts(ask: (id: number) => Promise<unknown>): Promise<Record<string, number>> {
  let id = 100;
  const text = await waitFor(async () => {
    const answer = (await ask(id++)) as { result?: { content?: { text?: string }[] } } | undefined;
    return answer?.result?.content?.[0]?.text;
  }, { timeoutMs: 10_000, intervalMs: 250, what: 'the child to tell its count' });
  return JSON.parse(text) as Record<string, number>;
}

describe('--rate-limit counts notifications', () => {
  let daemon: TestDaemon;

  before(async () => {
    daemon = await startDaemon({ fixture: { name: 'notification-counter' }, args: ['--rate-limit', `${RATE}/s`] });
  });
  after(async () => {
    await daemon?.close();
  });

  it('Streamable HTTP: 60 notifications in a row, most refused 429, the child gets at most burst + rate × elapsed', async () => {
    const sessionId = await openSession(daemon.url);
    const refusedBefore = await metricSum(daemon.baseUrl, 'mcp_sidecar_policy_refusals_total', { reason: 'RATE_LIMITED' });
    const started = Date.now();
    const statuses: number[] = [];
    for (let i = 0; i < 60; i += 1) {
      const response = await rawRequest(daemon.url, { method: 'POST', headers: sessionHeaders(sessionId), body: JSON.stringify(NOTIFICATION) });
      if (response.status !== 202) assertLimited(response);
      statuses.push(response.status);
    }
    const elapsed = Date.now() - started;
    const accepted = statuses.filter((status) => status === 202).length;
    assert.ok(accepted <= ceiling(elapsed), `${accepted} of 60 accepted in ${elapsed} ms`);
    assert.ok(statuses.length - accepted >= 30, `only ${statuses.length - accepted} refused`);

    const counts = await childCounts(async (id) => {
      const response = await rawRequest(daemon.url, { method: 'POST', headers: { ...sessionHeaders(sessionId), accept: 'application/json, text/event-stream' }, body: JSON.stringify(COUNT_CALL(id)) });
      if (response.status !== 200) return undefined;
      const data = /^data: (.*)$/m.exec(response.text)?.[1];
      return data ? (JSON.parse(data) as unknown) : response.json;
    });
    assert.equal(counts['notifications/roots/list_changed'], accepted, 'the child got exactly the notifications answered 202');
    assert.equal(counts['notifications/initialized'], 1);
    const refused = await metricSum(daemon.baseUrl, 'mcp_sidecar_policy_refusals_total', { reason: 'RATE_LIMITED' });
    assert.ok(refused - refusedBefore >= 60 - accepted, `refusals counted: ${refused - refusedBefore}`);
  });

  it('legacy SSE: notifications over the rate get 429 with Retry-After; the child gets the rest only', async () => {
    // GET /sse is the opening: it takes from the bucket too.
    const sse = await waitFor(() => RawSse.open(daemon).catch(() => undefined), { timeoutMs: 10_000, intervalMs: 250, what: 'GET /sse to be admitted' });
    try {
      const url = `${daemon.baseUrl}${sse.endpoint}`;
      const post = (body: unknown): Promise<RawResponse> => rawRequest(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      await waitFor(async () => (await post(initializeMessage('init'))).status === 202, { timeoutMs: 10_000, intervalMs: 250, what: 'initialize to be admitted' });
      await sse.answerTo('init');
      assert.equal((await post(INITIALIZED)).status, 202);
      const started = Date.now();
      let accepted = 0;
      for (let i = 0; i < 30; i += 1) {
        const response = await post(NOTIFICATION);
        if (response.status === 202) accepted += 1;
        else assertLimited(response);
      }
      const elapsed = Date.now() - started;
      assert.ok(accepted <= ceiling(elapsed) && accepted < 30, `${accepted} of 30 accepted in ${elapsed} ms`);
      const counts = await childCounts(async (id) => {
        if ((await post(COUNT_CALL(id))).status !== 202) return undefined;
        return sse.answerTo(id);
      });
      assert.equal(counts['notifications/roots/list_changed'], accepted);
    } finally {
      sse.close();
    }
  });

  it('WebSocket: each message over the rate is answered with a RATE_LIMITED error frame and not forwarded', async () => {
    const ws = await waitFor(() => RawWs.open(daemon).catch(() => undefined), { timeoutMs: 10_000, intervalMs: 250, what: 'the upgrade to be admitted' });
    try {
      await ws.initialize();
      const started = Date.now();
      for (let i = 0; i < 30; i += 1) ws.send(NOTIFICATION);
      // Refused notifications are answered with id null (refused count calls below carry their id).
      const refusedFrames = (): number => ws.messages.filter((message) => message.id === null && (message.error as { data?: { reason?: string } } | undefined)?.data?.reason === 'RATE_LIMITED').length;
      const counts = await childCounts(async (id) => {
        ws.send(COUNT_CALL(id));
        const answer = await ws.answerTo(id, 5000);
        return 'result' in answer ? answer : undefined;
      });
      const elapsed = Date.now() - started;
      const accepted = counts['notifications/roots/list_changed'] ?? 0;
      assert.ok(accepted <= ceiling(elapsed) && accepted < 30, `${accepted} of 30 forwarded in ${elapsed} ms`);
      await waitFor(() => refusedFrames() === 30 - accepted, { what: `${30 - accepted} error frames` });
    } finally {
      await ws.close();
    }
  });
});
