/**
 * Restarts inside a session, seen from the SDK's own client: a crash loop backs off as
 * nextRestartDelay says and ends at the start limit; a restart keeps the session (same id, new
 * child) and replays the logging level and the resource subscriptions to the new child; the
 * requests in flight at the crash fail; --restart no ends the session, --restart always restarts
 * even a clean exit.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { LoggingMessageNotificationSchema, ResourceUpdatedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { nextRestartDelay, type RestartPolicy } from '../../src/supervisor/restart-policy.js';
import { startDaemon, type LogLine, type TestDaemon } from '../helpers/daemon.js';
import { MCP_ACCEPT, rawRequest } from '../helpers/http.js';
import { connectClient, type ConnectedClient, textOf } from '../helpers/mcp-client.js';
import { waitFor } from '../helpers/poll.js';
import { isAlive } from '../helpers/process-table.js';

async function childPid(connected: ConnectedClient): Promise<number> {
  return (JSON.parse(textOf(await connected.client.callTool({ name: 'pid', arguments: {} }))) as { pid: number }).pid;
}

/** A request on the session by hand, for the status the SDK client would turn into an exception. */
function listTools(daemon: TestDaemon, sessionId: string): Promise<number> {
  return rawRequest(daemon.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: MCP_ACCEPT, 'mcp-session-id': sessionId, 'mcp-protocol-version': '2025-06-18' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 99, method: 'tools/list' }),
  }).then((response) => response.status);
}

const ofSession = (sessionId: string) => (line: LogLine): boolean => line.sessionId === sessionId;
const isRestarting = (line: LogLine): boolean => line.msg.startsWith("restarting the session's child in ");
const isRestarted = (line: LogLine): boolean => line.msg.startsWith('child restarted; session setup replayed');
const errorsLogged = (daemon: TestDaemon): LogLine[] => daemon.logs.filter((line) => line.level === 'error' || line.level === 'fatal');

// Bursts of 5 starts in 30s: the first child and 4 restarts, whose delays climb the whole curve.
const POLICY: RestartPolicy = {
  restart: 'on-failure',
  restartSecMs: 100,
  restartSteps: 3,
  restartMaxDelayMs: 800,
  startLimitBurst: 5,
  startLimitIntervalMs: 30_000,
};

describe('--restart on-failure', () => {
  let daemon: TestDaemon;
  before(async () => {
    daemon = await startDaemon({
      fixture: { name: 'echo-server' },
      args: [
        '--restart', 'on-failure', '--restart-sec', '100ms', '--restart-steps', '3', '--restart-max-delay', '800ms',
        '--start-limit-burst', '5', '--start-limit-interval', '30s',
      ],
    });
  });
  after(async () => {
    await daemon.close();
  });

  it('backs a crash loop off per nextRestartDelay and ends the session at the start limit', async () => {
    const connected = await connectClient(daemon.url);
    const sessionId = connected.transport.sessionId ?? '';
    const mine = ofSession(sessionId);
    try {
      const pids = [await childPid(connected)];
      for (let crash = 1; crash <= POLICY.startLimitBurst; crash++) {
        // While a restart is under way the call waits for the new child, then crashes it.
        await assert.rejects(connected.client.callTool({ name: 'crash', arguments: {} }), /exited with code 1.*crashing now/s);
        if (crash < POLICY.startLimitBurst) {
          await daemon.waitForLog((line) => mine(line) && isRestarted(line) && !pids.includes(line.pid as number), 10_000, `restart ${crash}`);
          pids.push(await childPid(connected));
        }
      }
      const ended = await daemon.waitForLog((line) => mine(line) && line.msg.startsWith('session ended: its child exited with code 1'), 10_000, 'the session to end');
      assert.match(ended.msg, /start-limit-hit: 5 starts within 30s/);
      assert.equal((ended.exit as { result: string }).result, 'exit-code');
      await daemon.waitForLog((line) => mine(line) && line.msg === 'session closed', 5000, 'the session to close');

      // Each restart waited the policy's delay for its attempt: 100, 200, 400, then the max.
      const restarting = daemon.logs.filter((line) => mine(line) && isRestarting(line));
      const expected = Array.from({ length: POLICY.startLimitBurst - 1 }, (_, attempt) => nextRestartDelay(POLICY, attempt));
      assert.deepEqual(expected, [100, 200, 400, 800]);
      assert.deepEqual(restarting.map((line) => line.delayMs), expected);
      assert.deepEqual(restarting.map((line) => line.msg.replace(/^restarting the session's child in (\d+)ms$/, '$1')), expected.map(String));
      assert.deepEqual(restarting.map((line) => line.restarts), [1, 2, 3, 4]);
      const restarted = daemon.logs.filter((line) => mine(line) && isRestarted(line));
      assert.equal(restarted.length, expected.length);
      restarting.forEach((line, i) => {
        const waited = Date.parse(restarted[i]?.time as string) - Date.parse(line.time as string);
        assert.ok(waited >= (expected[i] as number) - 2, `restart ${i + 1} came ${waited}ms after it was scheduled, expected ≥ ${expected[i]}ms`);
      });
      assert.equal(new Set(pids).size, POLICY.startLimitBurst, 'each start was a new process');

      assert.equal(await listTools(daemon, sessionId), 404);
      for (const pid of pids) await waitFor(() => !isAlive(pid), { what: `child ${pid} to be gone` });
      assert.deepEqual(errorsLogged(daemon), []);
    } finally {
      await connected.close();
    }
  });

  it('keeps the SDK client working across a restart: same session, new child, level and subscriptions replayed', async () => {
    const connected = await connectClient(daemon.url);
    const { client, transport } = connected;
    const sessionId = transport.sessionId ?? '';
    const mine = ofSession(sessionId);
    const updates: string[] = [];
    client.setNotificationHandler(ResourceUpdatedNotificationSchema, (notification) => {
      updates.push(notification.params.uri);
    });
    const logged: unknown[] = [];
    client.setNotificationHandler(LoggingMessageNotificationSchema, (notification) => {
      logged.push(notification.params.data);
    });
    try {
      const before = await childPid(connected);
      await client.setLoggingLevel('error');
      await client.subscribeResource({ uri: 'fixture://static' });
      await waitFor(() => updates.length === 1, { what: 'the update that follows subscribe' });

      // A call in flight at the crash (progress proves it reached the child) fails with the crash.
      let reachedChild: () => void = () => undefined;
      const inChild = new Promise<void>((resolve) => { reachedChild = resolve; });
      const slow = client.callTool({ name: 'slow', arguments: { ms: 10_000, steps: 100 } }, undefined, { onprogress: () => reachedChild() })
        .then(() => undefined, (error: unknown) => error as Error);
      await inChild;
      await assert.rejects(client.callTool({ name: 'crash', arguments: {} }), /exited with code 1/);
      const failed = await slow;
      assert.ok(failed instanceof Error, 'the call in flight at the crash should have failed');
      assert.match(failed.message, /exited with code 1/);

      await daemon.waitForLog((line) => mine(line) && isRestarted(line), 10_000, 'the restart');
      const after = await childPid(connected);
      assert.notEqual(after, before);
      assert.equal(transport.sessionId, sessionId);
      await waitFor(() => !isAlive(before), { what: 'the crashed child to be gone' });

      // The subscription was re-sent to the new child, which announces an update for it.
      await waitFor(() => updates.length === 2, { what: 'an update from the new child without subscribing again' });
      assert.deepEqual(updates, ['fixture://static', 'fixture://static']);

      // The level 'error' was replayed: the new child sends none of its info lines…
      assert.equal(textOf(await client.callTool({ name: 'log', arguments: { count: 3 } })), 'logged 3');
      assert.deepEqual(logged, []);
      // …and does send them once the client lowers it (so the silence above was the level).
      await client.setLoggingLevel('info');
      assert.equal(textOf(await client.callTool({ name: 'log', arguments: { count: 2 } })), 'logged 2');
      assert.deepEqual(logged, ['line 1', 'line 2']);

      const replay = daemon.logs.filter((line) => mine(line) && line.msg === 'replayed request refused by the new child');
      assert.deepEqual(replay, []);
      assert.deepEqual(errorsLogged(daemon), []);
    } finally {
      await connected.close();
    }
  });

  it('does not restart after a clean exit (code 0): the session ends and 404 follows', async () => {
    const connected = await connectClient(daemon.url);
    const sessionId = connected.transport.sessionId ?? '';
    try {
      await assert.rejects(connected.client.callTool({ name: 'crash', arguments: { code: 0 } }), /exited with code 0/);
      const ended = await daemon.waitForLog((line) => line.sessionId === sessionId && line.msg.startsWith('session ended:'), 5000, 'the session to end');
      assert.match(ended.msg, /--restart on-failure does not restart after success/);
      assert.equal(await listTools(daemon, sessionId), 404);
      assert.ok(!daemon.logs.some((line) => line.sessionId === sessionId && isRestarting(line)));
    } finally {
      await connected.close();
    }
  });
});

describe('--restart no', () => {
  let daemon: TestDaemon;
  before(async () => {
    daemon = await startDaemon({ fixture: { name: 'echo-server' }, args: ['--restart', 'no'] });
  });
  after(async () => {
    await daemon.close();
  });

  it('ends the session when its child crashes; the next request gets 404', async () => {
    const connected = await connectClient(daemon.url);
    const sessionId = connected.transport.sessionId ?? '';
    try {
      const pid = await childPid(connected);
      await assert.rejects(connected.client.callTool({ name: 'crash', arguments: {} }), /exited with code 1/);
      const ended = await daemon.waitForLog((line) => line.sessionId === sessionId && line.msg.startsWith('session ended:'), 5000, 'the session to end');
      assert.match(ended.msg, /--restart no does not restart after exit-code/);
      assert.equal(await listTools(daemon, sessionId), 404);
      await assert.rejects(connected.client.callTool({ name: 'echo', arguments: { text: 'gone' } }), /404|not found/i);
      assert.ok(!daemon.logs.some((line) => line.sessionId === sessionId && isRestarting(line)));
      await waitFor(() => !isAlive(pid), { what: 'the child to be gone' });
    } finally {
      await connected.close();
    }
  });
});

describe('--restart always', () => {
  let daemon: TestDaemon;
  before(async () => {
    daemon = await startDaemon({ fixture: { name: 'echo-server' }, args: ['--restart', 'always', '--restart-sec', '100ms'] });
  });
  after(async () => {
    await daemon.close();
  });

  it('restarts the child after a clean exit (code 0) and the session goes on', async () => {
    const connected = await connectClient(daemon.url);
    const sessionId = connected.transport.sessionId ?? '';
    try {
      const before = await childPid(connected);
      await assert.rejects(connected.client.callTool({ name: 'crash', arguments: { code: 0 } }), /exited with code 0/);
      const restarting = await daemon.waitForLog((line) => line.sessionId === sessionId && isRestarting(line), 5000, 'the restart to be scheduled');
      assert.equal((restarting.exit as { result: string; exitCode: number }).result, 'success');
      assert.equal(restarting.delayMs, 100);
      await daemon.waitForLog((line) => line.sessionId === sessionId && isRestarted(line), 10_000, 'the restart');
      const after = await childPid(connected);
      assert.notEqual(after, before);
      assert.equal(connected.transport.sessionId, sessionId);
      assert.equal(textOf(await connected.client.callTool({ name: 'echo', arguments: { text: 'again' } })), 'again');
    } finally {
      await connected.close();
    }
    // A DELETE is a stop someone asked for: even --restart always leaves it stopped.
    await daemon.waitForLog((line) => line.sessionId === sessionId && line.msg === 'session closed', 5000, 'the session to close');
    assert.equal(daemon.logs.filter((line) => line.sessionId === sessionId && isRestarting(line)).length, 1);
  });
});
