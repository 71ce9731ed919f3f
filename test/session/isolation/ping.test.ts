/**
 * --ping-interval with --isolation shared: the shared child is pinged once per interval, not once
 * per session sharing it; when it stops answering it is stopped (result `timeout`) and every
 * session restarts onto one new child.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { startDaemon, type LogLine } from '../../helpers/daemon.js';
import { connectClient, type ConnectedClient } from '../../helpers/mcp-client.js';
import { isAlive } from '../../helpers/process-table.js';

const INTERVAL_MS = 300;
const SESSIONS = 3;

async function connectMany(url: string): Promise<ConnectedClient[]> {
  return Promise.all(Array.from({ length: SESSIONS }, () => connectClient(url)));
}

describe('--ping-interval with --isolation shared', () => {
  it('pings the shared child once per interval, however many sessions share it', async () => {
    const daemon = await startDaemon({ fixture: { name: 'hang-after-init', args: ['--never-hang'] }, args: ['--isolation', 'shared', '--ping-interval', `${INTERVAL_MS}ms`] });
    const clients = await connectMany(daemon.url);
    try {
      const pong = (n: number) => (line: LogLine): boolean => line.stream === 'stderr' && line.msg === `pong ${n}`;
      await daemon.waitForLog(pong(1), 5000, 'the first ping');
      const first = Date.now();
      await daemon.waitForLog(pong(4), 10_000, 'the fourth ping');
      // A ping per session would answer three per interval: four pongs would take about one interval.
      assert.ok(Date.now() - first >= 2.5 * INTERVAL_MS, `four pongs in ${Date.now() - first}ms: pinged more than once per interval`);
    } finally {
      await Promise.all(clients.map((client) => client.close()));
      await daemon.close();
    }
  });

  it('stops a shared child that stops answering, and every session restarts onto one new child', async () => {
    const daemon = await startDaemon({
      fixture: { name: 'hang-after-init', args: ['--hang-after-pings=1'] },
      args: ['--isolation', 'shared', '--ping-interval', `${INTERVAL_MS}ms`, '--timeout-stop', '1s', '--restart-sec', '100ms'],
    });
    const clients = await connectMany(daemon.url);
    try {
      const hung = await daemon.waitForLog((line) => line.msg.startsWith('shared child did not answer ping'), 5000, 'the unanswered ping');
      assert.equal(hung.sessions, SESSIONS);
      const pid = hung.pid as number;
      const stopped = await daemon.waitForLog((line) => line.pid === pid && line.msg.startsWith('child was stopped (timeout)'), 5000, 'the exit record');
      assert.equal((stopped.exit as { result: string }).result, 'timeout');
      assert.ok(!isAlive(pid));
      const ids = clients.map((client) => client.transport.sessionId);
      const restarted = await Promise.all(ids.map((id) => daemon.waitForLog((line) => line.sessionId === id && line.msg.startsWith('child restarted'), 10_000, `session ${id} to restart`)));
      assert.equal(new Set(restarted.map((line) => line.pid)).size, 1, 'one new child for every session');
      assert.notEqual(restarted[0]?.pid, pid);
      for (const client of clients) {
        const echoed = await client.client.callTool({ name: 'echo', arguments: { text: 'after the hang' } });
        assert.deepEqual(echoed.content, [{ type: 'text', text: 'after the hang' }]);
      }
    } finally {
      await Promise.all(clients.map((client) => client.close()));
      await daemon.close();
    }
  });
});
