/**
 * The memory watchdog against a fixture whose RSS really grows: a child over --memory-max is
 * logged with its figures, stopped with exit result `memory`, and restarted by its session
 * (on-failure). Over --memory-max-total, new sessions are refused with 503 MEMORY_LIMIT and a
 * Retry-After, and admitted again once the children are back under it.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { startDaemon, type LogLine, type TestDaemon } from '../helpers/daemon.js';
import { initializeBody, MCP_ACCEPT, openSession, rawRequest, deleteSession } from '../helpers/http.js';
import { connectClient } from '../helpers/mcp-client.js';
import { waitFor } from '../helpers/poll.js';
import { isAlive, processesTagged } from '../helpers/process-table.js';

const MIB = 1024 * 1024;

function childPids(daemon: TestDaemon): number[] {
  return processesTagged(daemon.tag).filter((info) => info.pid !== daemon.pid).map((info) => info.pid);
}

function initialize(daemon: TestDaemon): ReturnType<typeof rawRequest> {
  return rawRequest(daemon.url, { method: 'POST', headers: { 'content-type': 'application/json', accept: MCP_ACCEPT }, body: initializeBody(1) });
}

const errorsLogged = (daemon: TestDaemon): LogLine[] => daemon.logs.filter((line) => line.level === 'error' || line.level === 'fatal');

describe('--memory-max', () => {
  it('stops a child whose RSS grows over the limit (result memory) and its session restarts it', async () => {
    // ~66 MiB at start, +100 MiB/s: over 150 MiB about a second after it starts.
    const daemon = await startDaemon({
      fixture: { name: 'memory-leak', args: ['--leak-mb-per-sec=100', '--leak-cap-mb=400'] },
      args: ['--memory-max', '150mb', '--watchdog-interval', '200ms', '--restart', 'on-failure', '--restart-sec', '100ms'],
    });
    try {
      const connected = await connectClient(daemon.url);
      const sessionId = connected.transport.sessionId ?? '';
      const mine = (line: LogLine): boolean => line.sessionId === sessionId;
      try {
        const over = await daemon.waitForLog((line) => mine(line) && line.msg.startsWith('child over --memory-max'), 10_000, 'the watchdog to act');
        assert.equal(over.memoryMaxBytes, 150 * MIB);
        assert.ok((over.rssBytes as number) > 150 * MIB, `rssBytes ${String(over.rssBytes)}`);
        assert.match(over.msg, /^child over --memory-max \(\d+(kb|mb|gb)? > 150mb\); stopping it$/);
        const pid = over.pid as number;

        const stopped = await daemon.waitForLog((line) => mine(line) && line.pid === pid && line.msg.startsWith('child was stopped (memory)'), 10_000, 'the exit record');
        const exit = stopped.exit as { result: string; pid: number; stoppedBy: string };
        assert.equal(exit.result, 'memory');
        assert.equal(exit.pid, pid);

        const restarting = await daemon.waitForLog((line) => mine(line) && line.msg.startsWith("restarting the session's child in"), 5000, 'the restart');
        assert.equal((restarting.exit as { result: string }).result, 'memory');
        const restarted = await daemon.waitForLog((line) => mine(line) && line.msg.startsWith('child restarted'), 10_000, 'the new child');
        assert.notEqual(restarted.pid, pid);
        await waitFor(() => !isAlive(pid), { what: 'the leaking child to be gone' });
      } finally {
        await connected.close();
      }
      assert.deepEqual(errorsLogged(daemon), []);
    } finally {
      await daemon.close();
    }
  });
});

describe('--memory-max-total', () => {
  it('refuses new sessions with 503 MEMORY_LIMIT and Retry-After while the children are over it, and admits them again after', async () => {
    // One child without a leak (~66 MiB) is already over 32 MiB in total.
    const daemon = await startDaemon({
      fixture: { name: 'memory-leak', args: ['--leak-mb-per-sec=0'] },
      args: ['--memory-max-total', '32mb', '--watchdog-interval', '200ms'],
    });
    try {
      const first = await openSession(daemon.url);
      const over = await daemon.waitForLog((line) => line.msg === 'children over --memory-max-total: refusing new sessions', 10_000, 'the total to go over');
      assert.ok((over.totalBytes as number) > 32 * MIB);
      assert.equal(over.memoryMaxTotalBytes, 32 * MIB);

      const before = childPids(daemon);
      const refused = await initialize(daemon);
      assert.equal(refused.status, 503);
      assert.equal(refused.headers.get('retry-after'), '5');
      assert.equal(refused.headers.get('mcp-session-id'), null);
      const body = refused.json as { jsonrpc: string; id: number; error: { code: number; message: string; data: { reason: string } } };
      assert.equal(body.jsonrpc, '2.0');
      assert.equal(body.id, 1);
      assert.equal(body.error.code, -32000);
      assert.equal(body.error.data.reason, 'MEMORY_LIMIT');
      assert.match(body.error.message, /--memory-max-total/);
      assert.deepEqual(childPids(daemon), before, 'nothing was spawned for the refused session');
      await daemon.waitForLog((line) => line.msg === 'new session refused' && line.reason === 'MEMORY_LIMIT', 5000, 'the refusal to be logged');

      // Once the only child is gone, the total is back under and sessions are admitted.
      assert.equal(await deleteSession(daemon, first), 200);
      await daemon.waitForLog((line) => line.msg === 'children back under --memory-max-total', 10_000, 'the total to come back under');
      const admitted = await initialize(daemon);
      assert.equal(admitted.status, 200);
      const second = admitted.headers.get('mcp-session-id');
      assert.ok(second);
      assert.equal(await deleteSession(daemon, second), 200);
      assert.deepEqual(errorsLogged(daemon), []);
    } finally {
      await daemon.close();
    }
  });
});
