/**
 * Each limit, hit on purpose, answers with its own status and body: --max-sessions (503, nothing
 * spawned), --max-in-flight (429), --request-timeout (a JSON-RPC error, and the child told to
 * cancel), --session-ttl (the session ends, busy or not) and --idle-timeout-unused (a probe that
 * never sent a request is ended; a session that did is kept). All with Retry-After where a retry
 * makes sense, and each with a control showing the limit is what refused.
 *
 * The timing limits are short (300 ms to 1 s), shorter than a cold start on a busy CI machine, so
 * those daemons keep warm spares and the test opens a session only once a spare has printed its
 * startup banner: initialize is then answered in milliseconds.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startDaemon, type LogLine, type TestDaemon } from '../helpers/daemon.js';
import { initializeBody, MCP_ACCEPT, openSession, rawRequest, type RawResponse, sessionHeaders, deleteSession, startSlowCall } from '../helpers/http.js';
import { waitFor } from '../helpers/poll.js';
import { isAlive, processesTagged } from '../helpers/process-table.js';

interface ErrorBody {
  jsonrpc: string;
  id: number | string | null;
  error: { code: number; message: string; data: { reason: string } };
}

function childPids(daemon: TestDaemon): number[] {
  return processesTagged(daemon.tag).filter((info) => info.pid !== daemon.pid).map((info) => info.pid);
}

function post(daemon: TestDaemon, sessionId: string, body: unknown): Promise<RawResponse> {
  return rawRequest(daemon.url, { method: 'POST', headers: sessionHeaders(sessionId), body: JSON.stringify(body) });
}

function ping(daemon: TestDaemon, sessionId: string, id: number): Promise<RawResponse> {
  return post(daemon, sessionId, { jsonrpc: '2.0', id, method: 'ping' });
}

function initialize(daemon: TestDaemon): Promise<RawResponse> {
  return rawRequest(daemon.url, { method: 'POST', headers: { 'content-type': 'application/json', accept: MCP_ACCEPT }, body: initializeBody(1) });
}

/** Pids of spares that printed their banner (so they answer at once) and no session took yet. */
function readySpares(daemon: TestDaemon): number[] {
  const taken = new Set(daemon.logs.filter((line) => line.msg === 'session opened').map((line) => line.pid));
  return daemon.logs
    .filter((line) => line.stream === 'stderr' && line.msg.startsWith('echo-fixture starting pid='))
    .map((line) => line.pid as number)
    .filter((pid) => !taken.has(pid) && isAlive(pid));
}

function waitForReadySpares(daemon: TestDaemon, count: number): Promise<true> {
  return waitFor(() => readySpares(daemon).length >= count, { timeoutMs: 10_000, what: `${count} ready spares` });
}

const sessionEnding = (sessionId: string) => (line: LogLine): boolean => line.sessionId === sessionId && line.msg === 'session ending';
const errorsLogged = (daemon: TestDaemon): LogLine[] => daemon.logs.filter((line) => line.level === 'error' || line.level === 'fatal');

describe('--max-sessions 2 and --max-in-flight 2', () => {
  let daemon: TestDaemon;
  before(async () => {
    daemon = await startDaemon({ fixture: { name: 'echo-server' }, args: ['--max-sessions', '2', '--max-in-flight', '2'] });
  });
  after(async () => {
    await daemon.close();
  });

  it('answers a third initialize with 503 SESSION_LIMIT and Retry-After, spawning nothing for it', async () => {
    const first = await openSession(daemon.url);
    const second = await openSession(daemon.url);
    const before = childPids(daemon);
    assert.equal(before.length, 2);

    const refused = await initialize(daemon);
    assert.equal(refused.status, 503);
    assert.equal(refused.headers.get('retry-after'), '5');
    assert.equal(refused.headers.get('mcp-session-id'), null);
    assert.match(refused.headers.get('content-type') ?? '', /^application\/json/);
    const body = refused.json as ErrorBody;
    assert.equal(body.jsonrpc, '2.0');
    assert.equal(body.id, 1);
    assert.equal(body.error.code, -32000);
    assert.equal(body.error.data.reason, 'SESSION_LIMIT');
    assert.match(body.error.message, /--max-sessions/);
    assert.deepEqual(childPids(daemon), before, 'no process was spawned for the refused session');
    // Lines arrive in order: once the refusal is logged, every session opened before it is too.
    await daemon.waitForLog((line) => line.msg === 'new session refused' && line.reason === 'SESSION_LIMIT', 5000, 'the refusal to be logged');
    assert.equal(daemon.logs.filter((line) => line.msg === 'session opened').length, 2);

    // The two sessions still work, and a freed place is taken again.
    assert.equal((await ping(daemon, first, 2)).status, 200);
    assert.equal(await deleteSession(daemon, second), 200);
    const admitted = await initialize(daemon);
    assert.equal(admitted.status, 200);
    const third = admitted.headers.get('mcp-session-id');
    assert.ok(third);
    assert.equal(await deleteSession(daemon, first), 200);
    assert.equal(await deleteSession(daemon, third), 200);
    await waitFor(() => childPids(daemon).length === 0, { what: 'every child to be gone' });
  });

  it('answers a third concurrent request with 429 TOO_MANY_IN_FLIGHT and Retry-After', async () => {
    const sessionId = await openSession(daemon.url);
    const one = await startSlowCall(daemon.url, sessionId, 11, { ms: 600, steps: 6 });
    const two = await startSlowCall(daemon.url, sessionId, 12, { ms: 600, steps: 6 });

    const refused = await post(daemon, sessionId, { jsonrpc: '2.0', id: 13, method: 'tools/call', params: { name: 'echo', arguments: { text: 'third' } } });
    assert.equal(refused.status, 429);
    assert.equal(refused.headers.get('retry-after'), '1');
    const body = refused.json as ErrorBody;
    assert.equal(body.id, 13);
    assert.equal(body.error.code, -32000);
    assert.equal(body.error.data.reason, 'TOO_MANY_IN_FLIGHT');
    assert.match(body.error.message, /--max-in-flight/);

    // The two in flight are untouched, and once they are done the next request goes through.
    assert.match(await one.rest, /slept 600/);
    assert.match(await two.rest, /slept 600/);
    const next = await post(daemon, sessionId, { jsonrpc: '2.0', id: 14, method: 'tools/call', params: { name: 'echo', arguments: { text: 'fourth' } } });
    assert.equal(next.status, 200);
    assert.match(next.text, /fourth/);
    assert.equal(await deleteSession(daemon, sessionId), 200);
    assert.deepEqual(errorsLogged(daemon), []);
  });
});

describe('--request-timeout 300ms', () => {
  it('fails a request unanswered for 300 ms with REQUEST_TIMEOUT and tells the child to cancel it', async () => {
    const daemon = await startDaemon({
      fixture: { name: 'echo-server', args: ['--stderr-banner'] },
      args: ['--request-timeout', '300ms', '--pool-min', '1'],
    });
    try {
      // initialize is a request too: a ready spare answers it well within the 300 ms.
      await waitForReadySpares(daemon, 1);
      const sessionId = await openSession(daemon.url);
      const sentAt = Date.now();
      const timedOut = await post(daemon, sessionId, { jsonrpc: '2.0', id: 7, method: 'tools/call', params: { name: 'slow', arguments: { ms: 2000 } } });
      const waited = Date.now() - sentAt;
      assert.equal(timedOut.status, 200);
      const body = timedOut.json as ErrorBody;
      assert.equal(body.id, 7);
      assert.equal(body.error.code, -32005);
      assert.equal(body.error.data.reason, 'REQUEST_TIMEOUT');
      assert.match(body.error.message, /300ms \(--request-timeout\)/);
      assert.ok(waited >= 290 && waited < 2000, `answered after ${waited}ms`);

      // notifications/cancelled reached the child: its tool saw the abort and said so on stderr.
      await daemon.waitForLog((line) => line.sessionId === sessionId && line.stream === 'stderr' && line.msg === 'cancelled 7', 5000, "the child's 'cancelled 7'");
      assert.ok(daemon.logs.some((line) => line.sessionId === sessionId && line.msg === 'request timed out; cancelled at the child' && line.id === 7));
      // The session outlives the timeout.
      assert.equal((await ping(daemon, sessionId, 8)).status, 200);
      assert.equal(await deleteSession(daemon, sessionId), 200);
      assert.deepEqual(errorsLogged(daemon), []);
    } finally {
      await daemon.close();
    }
  });
});

describe('an initialize that times out', () => {
  it('answers REQUEST_TIMEOUT without a session id, and ends the session and its child (no client can reach it)', async () => {
    const daemon = await startDaemon({ fixture: { name: 'stall' }, args: ['--request-timeout', '300ms'] });
    try {
      const response = await initialize(daemon);
      assert.equal(response.status, 200);
      assert.equal((response.json as ErrorBody).error.data.reason, 'REQUEST_TIMEOUT');
      assert.equal(response.headers.get('mcp-session-id'), null);
      await daemon.waitForLog((line) => line.msg === 'initialize timed out: ending the session', 5000, 'the session to be ended');
      await daemon.waitForLog((line) => line.msg.startsWith('child was stopped (timeout)'), 10_000, 'the child to be stopped');
      await waitFor(() => childPids(daemon).length === 0, { what: 'no child left', timeoutMs: 10_000 });
    } finally {
      await daemon.close();
    }
  });
});

// 1 s rather than 300 ms: the control must send its first request within the limit of the
// initialize answer, and on a loaded 2-core machine round trips alone took a good part of 300 ms.
describe('--idle-timeout-unused 1s', () => {
  it('ends a session that sent no request after initialize, and keeps one that did', async () => {
    const daemon = await startDaemon({
      fixture: { name: 'echo-server', args: ['--stderr-banner'] },
      args: ['--idle-timeout-unused', '1s', '--pool-min', '2'],
    });
    try {
      await waitForReadySpares(daemon, 2);
      // The control pings as soon as it has its id (ping may precede notifications/initialized):
      // it must be used within 1 s of opening, and every round trip spent first eats into that.
      const opened = await initialize(daemon);
      const used = opened.headers.get('mcp-session-id');
      assert.ok(used, `initialize failed: ${opened.status} ${opened.text}`);
      assert.equal((await ping(daemon, used, 2)).status, 200);
      assert.equal((await post(daemon, used, { jsonrpc: '2.0', method: 'notifications/initialized' })).status, 202);
      const probe = await openSession(daemon.url);

      const ending = await daemon.waitForLog(sessionEnding(probe), 5000, 'the probe session to be ended');
      assert.equal(ending.reason, 'idle');
      assert.equal((await ping(daemon, probe, 3)).status, 404);

      // The control, opened before the probe, was past 1 s too when the sweep ended the probe, and
      // is still there after it.
      assert.equal((await ping(daemon, used, 4)).status, 200);
      assert.ok(!daemon.logs.some(sessionEnding(used)), 'the session that sent a request was ended');
      assert.equal(await deleteSession(daemon, used), 200);
      assert.deepEqual(errorsLogged(daemon), []);
    } finally {
      await daemon.close();
    }
  });
});

describe('--session-ttl 500ms', () => {
  it('ends a session 500 ms after it opened, busy or not; the call in flight fails and 404 follows', async () => {
    const daemon = await startDaemon({
      fixture: { name: 'echo-server', args: ['--stderr-banner'] },
      args: ['--session-ttl', '500ms', '--pool-min', '1'],
    });
    try {
      await waitForReadySpares(daemon, 1);
      const sessionId = await openSession(daemon.url);
      // In flight when the ttl strikes: answered SESSION_ENDED (one arriving after the end gets 404).
      const busy = post(daemon, sessionId, { jsonrpc: '2.0', id: 5, method: 'tools/call', params: { name: 'slow', arguments: { ms: 10_000 } } });

      const ending = await daemon.waitForLog(sessionEnding(sessionId), 5000, 'the session to reach its ttl');
      assert.equal(ending.reason, 'ttl');
      const opened = daemon.logs.find((line) => line.msg === 'session opened' && line.sessionId === sessionId) as LogLine;
      const lived = Date.parse(ending.time as string) - Date.parse(opened.time as string);
      assert.ok(lived >= 500 && lived < 2000, `the session lived ${lived}ms`);

      const failed = await busy;
      assert.equal(failed.status, 200);
      const body = failed.json as ErrorBody;
      assert.equal(body.id, 5);
      assert.equal(body.error.code, -32004);
      assert.equal(body.error.data.reason, 'SESSION_ENDED');
      assert.match(body.error.message, /session ended \(ttl\)/);
      assert.equal((await ping(daemon, sessionId, 6)).status, 404);
      await daemon.waitForLog((line) => line.sessionId === sessionId && line.msg.startsWith('child was stopped (ttl)'), 5000, 'the child to be stopped');
      assert.deepEqual(errorsLogged(daemon), []);
    } finally {
      await daemon.close();
    }
  });
});
