/**
 * --resume-timeout against the real daemon and the echo fixture recording its stdin: a POST's SSE
 * stream cut during a long call and not resumed is let go after the bound (the child gets
 * notifications/cancelled, the in-flight slot frees, the metric counts it, the session serves on);
 * one resumed within the bound runs to its answer with nothing cancelled.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startDaemon, type TestDaemon } from '../../helpers/daemon.js';
import { openSession, rawRequest, sessionHeaders } from '../../helpers/http.js';
import { metricSum } from '../../helpers/metrics.js';
import { waitFor } from '../../helpers/poll.js';
import { openSse, type SseEvent, type SseReader } from '../../helpers/sse.js';

const LATEST = '2025-11-25';
const RESUME_TIMEOUT_MS = 600;

function slowCall(id: string, ms: number, steps: number): string {
  return JSON.stringify({ jsonrpc: '2.0', id, method: 'tools/call', params: { name: 'slow', arguments: { ms, steps }, _meta: { progressToken: `tok-${id}` } } });
}

/** The requestIds of every notifications/cancelled the fixture read on stdin. */
function cancelledAtChild(dir: string): unknown[] {
  const ids: unknown[] = [];
  for (const file of readdirSync(dir)) {
    for (const line of readFileSync(path.join(dir, file), 'utf8').split('\n')) {
      if (!line.includes('notifications/cancelled')) continue;
      ids.push((JSON.parse(line) as { params: { requestId: unknown } }).params.requestId);
    }
  }
  return ids;
}

describe('--resume-timeout', () => {
  let daemon: TestDaemon;
  let dir: string;
  let session: string;
  const abandoned = (): Promise<number> => metricSum(daemon.baseUrl, 'mcp_sidecar_streams_abandoned_total');

  before(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'mcp-sidecar-resume-timeout-'));
    daemon = await startDaemon({
      fixture: { name: 'echo-server', args: [`--record-dir=${dir}`] },
      args: ['--sse-retry', '100ms', '--resume-timeout', `${RESUME_TIMEOUT_MS}ms`],
    });
    session = await openSession(daemon.url, LATEST);
  });
  after(async () => {
    await daemon.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const post = (body: string): Promise<SseReader> => openSse(daemon.url, { method: 'POST', headers: sessionHeaders(session, LATEST), body });

  it('ends a cut stream nobody resumes: cancelled at the child, counted, logged, the slot freed', async () => {
    const stream = await post(slowCall('gone', 60_000, 600));
    assert.equal(stream.headers['content-type'], 'text/event-stream');
    await stream.nextEvent(); // priming
    await stream.nextEvent(); // the first progress: the call runs
    const cutAt = Date.now();
    stream.cut();

    await waitFor(async () => (await abandoned()) === 1, { timeoutMs: 10_000, what: 'the abandoned stream to be counted' });
    assert.ok(Date.now() - cutAt >= RESUME_TIMEOUT_MS - 20, 'not before --resume-timeout');
    await waitFor(() => cancelledAtChild(dir).includes('gone') || undefined, { timeoutMs: 5000, what: 'notifications/cancelled for "gone" to reach the child' });
    await waitFor(async () => (await metricSum(daemon.baseUrl, 'mcp_sidecar_requests_in_flight')) === 0, { timeoutMs: 5000, what: 'the in-flight slot to free' });
    assert.equal(await metricSum(daemon.baseUrl, 'mcp_sidecar_requests_total', { outcome: 'cancelled' }), 1);
    const logged = await daemon.waitForLog((line) => line.msg.startsWith('POST stream cut and not resumed'), 5000, 'the abandonment to be logged');
    assert.deepEqual(logged.cancelled, ['gone']);

    // The session serves on.
    const echo = await rawRequest(daemon.url, {
      method: 'POST', headers: sessionHeaders(session, LATEST), signal: AbortSignal.timeout(10_000),
      body: JSON.stringify({ jsonrpc: '2.0', id: 'after', method: 'tools/call', params: { name: 'echo', arguments: { text: 'still here' } } }),
    });
    assert.equal(echo.status, 200, echo.text);
    assert.match(echo.text, /still here/);
  });

  it('keeps a stream resumed within the bound: the whole call arrives and nothing is cancelled', async () => {
    const before = await abandoned();
    const stream = await post(slowCall('kept', 2 * RESUME_TIMEOUT_MS, 8));
    await stream.nextEvent(); // priming
    const seen = (await stream.nextEvent()) as SseEvent;
    stream.cut();
    const resumed = await openSse(daemon.url, {
      headers: { accept: 'text/event-stream', 'mcp-session-id': session, 'mcp-protocol-version': LATEST, 'last-event-id': seen.id as string },
    });
    assert.equal(resumed.status, 200);
    const rest = await resumed.readToEnd();
    const answer = JSON.parse((rest.at(-1) as SseEvent).data) as { id: string; result?: { content: { text: string }[] } };
    assert.equal(answer.id, 'kept');
    assert.equal(answer.result?.content[0]?.text, `slept ${2 * RESUME_TIMEOUT_MS}`);
    // Past the bound since the cut: still nothing abandoned or cancelled for it.
    await new Promise((resolve) => setTimeout(resolve, RESUME_TIMEOUT_MS));
    assert.equal(await abandoned(), before);
    assert.ok(!cancelledAtChild(dir).includes('kept'), 'no notifications/cancelled for "kept"');
  });
});
