/**
 * When the child fails, the client hears it, promptly and in the child's own words: a server that
 * dies before initialize, a command that is not there, a server that crashes mid-session. And what
 * is not a failure is not treated as one: a client that walks away from a request does not cancel
 * it, and a DELETE stops the session's child and nothing else.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { connectClient, textOf } from '../helpers/mcp-client.js';
import { startDaemon, type LogLine, type TestDaemon } from '../helpers/daemon.js';
import { openSession, rawRequest, sessionHeaders } from '../helpers/http.js';
import { waitFor } from '../helpers/poll.js';
import { assertNoneTagged, isAlive, newTag, processesTagged, type ProcessInfo } from '../helpers/process-table.js';

/** The daemon's children: processes carrying its tag, other than the daemon itself. */
function childrenOf(daemon: TestDaemon): ProcessInfo[] {
  return processesTagged(daemon.tag).filter((info) => info.pid !== daemon.pid);
}

function toolCall(id: number, name: string, args: Record<string, unknown>, meta?: Record<string, unknown>): string {
  return JSON.stringify({ jsonrpc: '2.0', id, method: 'tools/call', params: { name, arguments: args, ...(meta ? { _meta: meta } : {}) } });
}

/** Connects and expects the connect to fail; returns the error and when it arrived. */
async function failedConnect(url: string): Promise<{ error: Error; at: number }> {
  const outcome = await connectClient(url).then(
    async (connected) => {
      await connected.close();
      return undefined;
    },
    (error: unknown) => ({ error: error as Error, at: Date.now() }),
  );
  assert.ok(outcome, 'connect() should have rejected');
  assert.ok(outcome.error instanceof Error);
  return outcome;
}

const noErrorsLogged = (daemon: TestDaemon): LogLine[] => daemon.logs.filter((line) => line.level === 'error' || line.level === 'fatal');

describe('a child that exits before answering initialize', () => {
  for (const on of ['initialize', 'start']) {
    it(`fails connect() within 1 s of the exit, quoting its stderr (--on=${on})`, async () => {
      const daemon = await startDaemon({ fixture: { name: 'crash-before-init', args: [`--on=${on}`] } });
      try {
        const { error, at } = await failedConnect(daemon.url);
        const exited = await daemon.waitForLog((line) => line.msg.startsWith('child exited'), 5000, 'the child exit line');
        const exit = exited.exit as { result: string; exitCode: number };
        assert.equal(exit.result, 'exit-code');
        assert.equal(exit.exitCode, 3);
        const exitedAt = Date.parse(exited.time as string);
        assert.ok(at - exitedAt >= 0 && at - exitedAt <= 1000, `rejected ${at - exitedAt}ms after the exit`);
        assert.match(error.message, /missing API_KEY/);
        assert.match(error.message, /exited with code 3/);
        await waitFor(() => childrenOf(daemon).length === 0, { what: 'the child to be gone' });
      } finally {
        await daemon.close();
      }
    });
  }
});

describe('a command that does not exist', () => {
  it('fails connect() saying it could not be started, and /readyz says why', async () => {
    const tag = newTag();
    const command = `/nonexistent/mcp-server-${tag}`;
    const daemon = await startDaemon({ command: [command] });
    try {
      const readyBefore = await rawRequest(`${daemon.baseUrl}/readyz`, { method: 'GET' });
      assert.equal(readyBefore.status, 503);
      const { error } = await failedConnect(daemon.url);
      assert.match(error.message, /could not be started/);
      assert.match(error.message, /ENOENT/);
      const ready = await rawRequest(`${daemon.baseUrl}/readyz`, { method: 'GET' });
      assert.equal(ready.status, 503);
      const body = ready.json as { status: string; reason: string };
      assert.equal(body.status, 'not-ready');
      assert.ok(body.reason.includes(command), `reason: ${body.reason}`);
      assert.equal((await rawRequest(`${daemon.baseUrl}/healthz`, { method: 'GET' })).status, 200);
      assert.deepEqual(noErrorsLogged(daemon), []);
    } finally {
      await daemon.close();
      await assertNoneTagged(tag);
    }
  });
});

// With --restart no; restarts inside a session are test/session/restart.test.ts.
describe('a session whose child fails mid-session', () => {
  let daemon: TestDaemon;
  before(async () => {
    daemon = await startDaemon({ fixture: { name: 'echo-server' }, args: ['--restart', 'no'] });
  });
  after(async () => {
    await daemon.close();
  });

  it('fails the call in flight at once, ends only that session, and leaves others working', async () => {
    const a = await connectClient(daemon.url);
    const b = await connectClient(daemon.url);
    const pidB = (JSON.parse(textOf(await b.client.callTool({ name: 'pid', arguments: {} }))) as { pid: number }).pid;
    try {
      // Progress proves the slow call reached the child before the crash does.
      let reachedChild: () => void = () => undefined;
      const inChild = new Promise<void>((resolve) => { reachedChild = resolve; });
      const slow = a.client.callTool({ name: 'slow', arguments: { ms: 5000, steps: 50 } }, undefined, { onprogress: () => reachedChild() })
        .then(() => undefined, (error: unknown) => ({ error: error as Error, at: Date.now() }));
      await inChild;
      const crashedAt = Date.now();
      await assert.rejects(a.client.callTool({ name: 'crash', arguments: {} }), /exited/);
      const failed = await slow;
      assert.ok(failed, 'the slow call should have failed');
      assert.ok(failed.at - crashedAt < 2000, `the in-flight call failed ${failed.at - crashedAt}ms after the crash`);
      assert.match(failed.error.message, /exited with code 1/);
      assert.match(failed.error.message, /crashing now/);

      const next = await rawRequest(daemon.url, {
        method: 'POST',
        headers: sessionHeaders(a.transport.sessionId ?? ''),
        body: JSON.stringify({ jsonrpc: '2.0', id: 99, method: 'tools/list' }),
      });
      assert.equal(next.status, 404);

      assert.equal(textOf(await b.client.callTool({ name: 'echo', arguments: { text: 'still here' } })), 'still here');
      assert.ok(isAlive(pidB));
    } finally {
      await a.close();
      await b.close();
    }
    await waitFor(() => childrenOf(daemon).length === 0, { what: 'every child to be gone' });
  });

  it('keeps running a request whose client disconnected', async () => {
    const sessionId = await openSession(daemon.url);
    const controller = new AbortController();
    // A progress token turns the answer into an SSE stream, so the response headers (and the
    // first event) prove the request reached the child before the client walks away.
    const response = await fetch(daemon.url, {
      method: 'POST',
      headers: sessionHeaders(sessionId),
      body: toolCall(7, 'slow', { ms: 300, steps: 3 }, { progressToken: 'p7' }),
      signal: controller.signal,
    });
    assert.equal(response.status, 200);
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    const first = Buffer.from((await reader.read()).value ?? []).toString('utf8');
    assert.match(first, /notifications\/progress/);
    const lastEventId = /^id: (\S+)$/m.exec(first)?.[1];
    assert.ok(lastEventId, 'the first event has an id');
    controller.abort();
    await reader.closed.catch(() => undefined);

    // The child finished the call (it was not cancelled), and its answer waits for the client to
    // resume the stream it lost.
    const resumed = await rawRequest(daemon.url, { method: 'GET', headers: { ...sessionHeaders(sessionId), accept: 'text/event-stream', 'last-event-id': lastEventId } });
    assert.equal(resumed.status, 200);
    assert.match(resumed.text, /^data: .*"text":"slept 300"/m);
    assert.ok(!daemon.logs.some((line) => line.stream === 'stderr' && line.msg === 'cancelled 7'), 'the child saw a cancellation');
    assert.deepEqual(noErrorsLogged(daemon), []);

    const again = await rawRequest(daemon.url, { method: 'POST', headers: sessionHeaders(sessionId), body: toolCall(8, 'echo', { text: 'after' }) });
    assert.equal(again.status, 200);
    assert.equal(textOf((again.json as { result: unknown }).result), 'after');
    assert.equal((await rawRequest(`${daemon.baseUrl}/healthz`, { method: 'GET' })).status, 200);
    assert.equal((await rawRequest(daemon.url, { method: 'DELETE', headers: sessionHeaders(sessionId) })).status, 200);
    await waitFor(() => childrenOf(daemon).length === 0, { what: 'the child to be gone' });
  });

  it('stops the child when the session is DELETEd', async () => {
    const { client, close } = await connectClient(daemon.url);
    const pid = (JSON.parse(textOf(await client.callTool({ name: 'pid', arguments: {} }))) as { pid: number }).pid;
    assert.ok(childrenOf(daemon).some((info) => info.pid === pid));
    await close();
    const stopped = await daemon.waitForLog(
      (line) => line.msg.startsWith('child was stopped (session-end)') && line.pid === pid, 10_000, 'the child to be stopped',
    );
    assert.equal((stopped.exit as { stoppedBy: string }).stoppedBy, 'eof');
    await waitFor(() => childrenOf(daemon).length === 0, { what: 'nothing tagged to remain' });
    assert.equal(isAlive(pid), false);
    assert.deepEqual(noErrorsLogged(daemon), []);
  });
});
