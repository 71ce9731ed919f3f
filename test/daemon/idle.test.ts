/**
 * Idle sessions end on their own (--idle-timeout): a session with no client traffic, no request in
 * flight and no open standalone stream is ended and its child stopped. An open GET stream or a
 * long request keeps a session alive however long it lasts.
 *
 * "Not reaped" cannot be observed directly, so each such test opens a control session at the same
 * time: once the control has been reaped, the idle timeout has passed for both.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startDaemon, type TestDaemon } from '../helpers/daemon.js';
import { openSession, rawRequest, type RawResponse, sessionHeaders } from '../helpers/http.js';
import { connectClient, textOf } from '../helpers/mcp-client.js';
import { waitFor } from '../helpers/poll.js';
import { isAlive } from '../helpers/process-table.js';

const IDLE_TIMEOUT = '500ms';
const PROTOCOL_VERSION = '2025-06-18';

function postRequest(daemon: TestDaemon, sessionId: string, id: number, method: string, params: Record<string, unknown> = {}): Promise<RawResponse> {
  return rawRequest(daemon.url, {
    method: 'POST',
    headers: sessionHeaders(sessionId),
    body: JSON.stringify({ jsonrpc: '2.0', id, method, params }),
  });
}

// The tests use separate sessions of one daemon and mostly wait: they run side by side.
describe('idle sessions', { concurrency: true }, () => {
  let daemon: TestDaemon;
  before(async () => {
    daemon = await startDaemon({ fixture: { name: 'echo-server' }, args: ['--idle-timeout', IDLE_TIMEOUT] });
  });
  after(async () => {
    await daemon.close();
  });

  const endedLine = (sessionId: string) => daemon.logs.find((line) => line.msg === 'session ending' && line.sessionId === sessionId);
  const waitForIdleEnd = async (sessionId: string, what: string): Promise<void> => {
    const line = await daemon.waitForLog((log) => log.msg === 'session ending' && log.sessionId === sessionId, 10_000, `${what} to end`);
    assert.equal(line.reason, 'idle', `${what} ended for being idle`);
  };
  const childOf = async (sessionId: string): Promise<number> => {
    const opened = await daemon.waitForLog((line) => line.msg === 'session opened' && line.sessionId === sessionId, 5000, 'the session to open');
    return opened.pid as number;
  };

  it('ends a session with no traffic, stops its child, and answers 404 on it afterwards', async () => {
    const sessionId = await openSession(daemon.url);
    const pid = await childOf(sessionId);
    assert.equal((await postRequest(daemon, sessionId, 2, 'tools/list')).status, 200, 'the session works at first');

    await waitForIdleEnd(sessionId, 'the idle session');
    await daemon.waitForLog((line) => line.msg.startsWith('child was stopped (idle)') && line.pid === pid, 10_000, 'the child stop to be logged');
    await waitFor(() => !isAlive(pid), { timeoutMs: 10_000, what: `child ${pid} to exit` });

    const late = await postRequest(daemon, sessionId, 3, 'tools/list');
    assert.equal(late.status, 404);
    assert.equal((late.json as { error: { code: number } }).error.code, -32001);
  });

  it('keeps a session whose standalone GET stream is open, and ends it once the stream closes', async () => {
    const sessionId = await openSession(daemon.url);
    const stream = new AbortController();
    const get = await fetch(daemon.url, {
      method: 'GET',
      headers: { accept: 'text/event-stream', 'mcp-session-id': sessionId, 'mcp-protocol-version': PROTOCOL_VERSION },
      signal: stream.signal,
    });
    assert.equal(get.status, 200);
    try {
      const control = await openSession(daemon.url);
      await waitForIdleEnd(control, 'the control session');
      assert.equal(endedLine(sessionId), undefined, 'the session with an open stream was ended');
      assert.equal((await postRequest(daemon, sessionId, 2, 'tools/list')).status, 200);
    } finally {
      stream.abort();
      await get.body?.cancel().catch(() => undefined);
    }
    await waitForIdleEnd(sessionId, 'the session whose stream closed');
  });

  it('keeps an SDK client session alive: the client holds a standalone GET stream open', async () => {
    const { client, transport, close } = await connectClient(daemon.url);
    try {
      const sessionId = transport.sessionId ?? '';
      const control = await openSession(daemon.url);
      await waitForIdleEnd(control, 'the control session');
      assert.equal(endedLine(sessionId), undefined, 'the SDK client session was ended');
      assert.equal(textOf(await client.callTool({ name: 'echo', arguments: { text: 'still here' } })), 'still here');
    } finally {
      await close();
    }
  });

  it('does not cut a request that runs longer than the idle timeout', async () => {
    const [control, sessionId] = await Promise.all([openSession(daemon.url), openSession(daemon.url)]);
    const started = Date.now();
    const call = postRequest(daemon, sessionId, 2, 'tools/call', { name: 'slow', arguments: { ms: 1500 } });

    // The control is reaped while the call runs; the call then runs on for about twice the timeout.
    await waitForIdleEnd(control, 'the control session');
    assert.equal(endedLine(sessionId), undefined, 'the session was ended with a request in flight');

    const response = await call;
    assert.ok(Date.now() - started >= 1500);
    assert.equal(response.status, 200);
    const body = response.json as { id: number; result?: unknown; error?: unknown };
    assert.equal(body.error, undefined, JSON.stringify(body.error));
    assert.equal(textOf(body.result), 'slept 1500');
    assert.equal(endedLine(sessionId), undefined, 'the session was ended while its request ran');

    // Once answered, the session is idle like any other.
    await waitForIdleEnd(sessionId, 'the session after its request');
  });
});
