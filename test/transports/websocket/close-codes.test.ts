/**
 * Every way the daemon ends a WebSocket connection, each with the close code that says why
 * (src/transports/websocket/close-codes.ts), against the real daemon: idle, ttl, the child exiting
 * without a restart, memory, shutdown, a binary frame, an oversized frame and a peer that does not
 * answer pings. And the one way it does not: a child restarted under --restart on-failure.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { startDaemon, type DaemonOptions, type TestDaemon } from '../../helpers/daemon.js';
import { metricSum } from '../../helpers/metrics.js';
import { childPidOf, connectWsClient, RawWs, type Message } from '../../helpers/legacy-clients.js';
import { textOf } from '../../helpers/mcp-client.js';
import { waitFor } from '../../helpers/poll.js';
import { isAlive } from '../../helpers/process-table.js';

/** Runs `test` against a daemon of its own in front of the echo fixture, and always stops it. */
async function withDaemon(args: string[], test: (daemon: TestDaemon) => Promise<void>, options: DaemonOptions = {}): Promise<void> {
  const daemon = await startDaemon({ fixture: { name: 'echo-server' }, ...options, args });
  try {
    await test(daemon);
  } finally {
    await daemon.close();
  }
}

/** An initialized raw connection and its child's pid. */
async function openSession(daemon: TestDaemon): Promise<{ ws: RawWs; pid: number }> {
  const ws = await RawWs.open(daemon);
  await ws.initialize();
  const answer = await ws.request('pid', 'tools/call', { name: 'pid', arguments: {} });
  return { ws, pid: (JSON.parse(textOf(answer.result)) as { pid: number }).pid };
}

function childStopped(daemon: TestDaemon, pid: number, result: string): Promise<unknown> {
  return daemon.waitForLog((line) => line.msg.startsWith(`child was stopped (${result})`) && line.pid === pid, 10_000, `child ${pid} stopped (${result})`);
}


describe('WebSocket close codes', () => {
  it('4001 after --idle-timeout with no message either way, though the connection stayed open', async () => {
    await withDaemon(['--idle-timeout', '300ms'], async (daemon) => {
      const { ws, pid } = await openSession(daemon);
      const quietSince = Date.now();
      const closed = await ws.waitClosed();
      assert.equal(closed.code, 4001, closed.reason);
      assert.match(closed.reason, /idle/);
      assert.ok(Date.now() - quietSince >= 250, 'not before the idle timeout');
      await childStopped(daemon, pid, 'idle');
      await waitFor(() => !isAlive(pid), { what: `child ${pid} to exit` });
    });
  });

  it('4002 at --session-ttl, however busy the session is', async () => {
    // Long enough for opening the session (and its pid call) on a loaded machine, short enough to test.
    await withDaemon(['--session-ttl', '3s'], async (daemon) => {
      const { ws, pid } = await openSession(daemon);
      let calls = 0;
      await waitFor(async () => {
        if (ws.closed || ws.ws.readyState !== ws.ws.OPEN) return true;
        await ws.request(`busy-${calls++}`, 'tools/call', { name: 'echo', arguments: { text: 'busy' } }, 2000).catch(() => undefined);
        return false;
      }, { timeoutMs: 15_000, what: 'the ttl to end the session' });
      const closed = await ws.waitClosed();
      assert.equal(closed.code, 4002, closed.reason);
      assert.ok(calls > 1);
      await childStopped(daemon, pid, 'ttl');
    });
  });

  it('4000 when the child exits under --restart no; the call in flight gets CHILD_EXITED first', async () => {
    await withDaemon(['--restart', 'no'], async (daemon) => {
      const { ws, pid } = await openSession(daemon);
      const answer = await ws.request('crash', 'tools/call', { name: 'crash', arguments: { code: 3 } });
      const error = answer.error as { code: number; message: string; data: { reason: string } };
      assert.equal(error.code, -32003);
      assert.equal(error.data.reason, 'CHILD_EXITED');
      assert.match(error.message, /exited with code 3/);
      const closed = await ws.waitClosed();
      assert.equal(closed.code, 4000, closed.reason);
      assert.match(closed.reason, /exited with code 3/);
      assert.ok(!isAlive(pid));
      // The crash answer came before the close frame, and nothing after it.
      assert.equal(ws.messages.at(-1), answer);
    });
  });

  it('stays open across a restart under --restart on-failure: the same connection keeps working', async () => {
    await withDaemon(['--restart', 'on-failure', '--restart-sec', '100ms'], async (daemon) => {
      const { client, close } = await connectWsClient(daemon);
      let closes = 0;
      client.onclose = () => closes++;
      try {
        const before = await childPidOf(client);
        await assert.rejects(client.callTool({ name: 'crash', arguments: { code: 3 } }), /exited with code 3/);
        // The call waits for the restarted child.
        assert.equal(textOf(await client.callTool({ name: 'echo', arguments: { text: 'after the crash' } })), 'after the crash');
        const after = await childPidOf(client);
        assert.notEqual(after, before);
        assert.ok(!isAlive(before));
        assert.equal(closes, 0);
        await daemon.waitForLog((line) => line.msg.startsWith('child restarted') && line.pid === after, 5000, 'the restart');
      } finally {
        await close();
      }
    });
  });

  it('4003 when the child goes over --memory-max and is not restarted', async () => {
    const leaky = { fixture: { name: 'memory-leak', args: ['--leak-mb-per-sec=100', '--leak-cap-mb=400'] } };
    await withDaemon(['--memory-max', '150mb', '--watchdog-interval', '200ms', '--restart', 'no'], async (daemon) => {
      const ws = await RawWs.open(daemon);
      await ws.initialize();
      const closed = await ws.waitClosed(20_000);
      assert.equal(closed.code, 4003, `close ${closed.code} ${closed.reason}`);
    }, leaky);
  });

  it('1001 to every connection when the daemon gets SIGTERM', async () => {
    await withDaemon([], async (daemon) => {
      const a = await openSession(daemon);
      const b = await openSession(daemon);
      assert.equal(await daemon.stop('SIGTERM'), 0);
      for (const { ws, pid } of [a, b]) {
        const closed = await ws.waitClosed();
        assert.equal(closed.code, 1001, closed.reason);
        assert.match(closed.reason, /shutdown/);
        assert.ok(daemon.logs.some((line) => line.msg.startsWith('child was stopped (shutdown)') && line.pid === pid));
      }
    });
  });

  it('1003 for a binary frame; another connection keeps working', async () => {
    await withDaemon([], async (daemon) => {
      const bystander = await connectWsClient(daemon);
      try {
        const { ws, pid } = await openSession(daemon);
        const before = ws.messages.length;
        ws.ws.send(Buffer.from(JSON.stringify({ jsonrpc: '2.0', id: 9, method: 'tools/list' })), { binary: true });
        const closed = await ws.waitClosed();
        assert.equal(closed.code, 1003, closed.reason);
        assert.equal(ws.messages.length, before, 'the frame was not forwarded');
        await childStopped(daemon, pid, 'session-end');
        assert.equal(textOf(await bystander.client.callTool({ name: 'echo', arguments: { text: 'still here' } })), 'still here');
      } finally {
        await bystander.close();
      }
    });
  });

  it('1009 for a frame over --max-body; another connection keeps working', async () => {
    await withDaemon(['--max-body', '64kb'], async (daemon) => {
      const bystander = await connectWsClient(daemon);
      try {
        const { ws, pid } = await openSession(daemon);
        ws.send({ jsonrpc: '2.0', id: 'big', method: 'tools/call', params: { name: 'echo', arguments: { text: 'x'.repeat(100 * 1024) } } });
        const closed = await ws.waitClosed();
        assert.equal(closed.code, 1009, closed.reason);
        assert.ok(!ws.messages.some((message: Message) => message.id === 'big'), 'the frame was not forwarded');
        await childStopped(daemon, pid, 'session-end');
        // Just under the limit still goes through, on the other connection.
        const text = 'y'.repeat(60 * 1024);
        assert.equal(textOf(await bystander.client.callTool({ name: 'echo', arguments: { text } })), text);
      } finally {
        await bystander.close();
      }
    });
  });

  it('drops a peer that does not answer a ping within --ws-ping-interval, and counts it', async () => {
    await withDaemon(['--ws-ping-interval', '500ms'], async (daemon) => {
      const alive = await RawWs.open(daemon);
      let pings = 0;
      alive.ws.on('ping', () => pings++);
      const deaf = await RawWs.open(daemon, { autoPong: false });
      const closed = await deaf.waitClosed();
      // Terminated without a close frame: it would not have read one.
      assert.equal(closed.code, 1006);
      const logged = await daemon.waitForLog((line) => line.msg === 'WebSocket peer did not answer a ping: disconnected', 5000, 'the dead peer log');
      assert.equal(logged.level, 'warn');
      await waitFor(async () => (await metricSum(daemon.baseUrl, 'mcp_sidecar_websocket_dead_peers_total')) === 1, { what: 'the dead peer to be counted' });
      await daemon.waitForLog((line) => line.msg.startsWith('child was stopped (session-end)') && line.sessionId === logged.sessionId, 10_000, 'its child to stop');
      // A peer that answers stays, however many pings go by.
      await waitFor(() => pings >= 4, { what: 'four pings to the answering peer' });
      assert.equal(alive.closed, undefined);
      assert.equal((await alive.initialize()).id, 'init');
      assert.equal(await metricSum(daemon.baseUrl, 'mcp_sidecar_websocket_dead_peers_total'), 1);
      await alive.close();
    });
  });
});
