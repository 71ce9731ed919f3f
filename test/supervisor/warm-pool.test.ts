/**
 * The warm pool, watched in the process table: spares are the daemon's tagged children that no
 * session holds. It fills to --pool-min, hands a spare to a new session and refills, replaces a
 * spare that dies (after a backoff), grows toward --pool-max when sessions come in a burst, and
 * backs off instead of spinning when the command cannot start.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { nextRestartDelay, type RestartPolicy } from '../../src/supervisor/restart-policy.js';
import { startDaemon, type LogLine, type TestDaemon } from '../helpers/daemon.js';
import { deleteSession, openSession } from '../helpers/http.js';
import { metricSum } from '../helpers/metrics.js';
import { connectClient, textOf } from '../helpers/mcp-client.js';
import { waitFor } from '../helpers/poll.js';
import { processesTagged } from '../helpers/process-table.js';

/** The daemon's children: processes carrying its tag, other than the daemon itself. */
function childPids(daemon: TestDaemon): number[] {
  return processesTagged(daemon.tag).filter((info) => info.pid !== daemon.pid).map((info) => info.pid);
}

/** Pids of the children sessions hold, from the daemon's own words. */
function sessionPids(daemon: TestDaemon): Set<number> {
  const pids = new Set<number>();
  for (const line of daemon.logs) {
    if (line.msg === 'session opened' || line.msg.startsWith('child restarted')) pids.add(line.pid as number);
  }
  return pids;
}

/** Spares: children no session has taken. */
function spares(daemon: TestDaemon): number[] {
  const held = sessionPids(daemon);
  return childPids(daemon).filter((pid) => !held.has(pid));
}

function waitForSpares(daemon: TestDaemon, count: number, what = `${count} spares`): Promise<number[]> {
  return waitFor(() => {
    const found = spares(daemon);
    return found.length === count ? found : undefined;
  }, { timeoutMs: 10_000, what });
}

const isSpareDeath = (line: LogLine): boolean => line.msg === 'pool spare died while waiting; replacing it after a backoff';

describe('--pool-min 2', () => {
  it('fills to two spares, hands one to a new session and refills, and replaces a spare killed under it', async () => {
    const daemon = await startDaemon({ fixture: { name: 'echo-server' }, args: ['--pool-min', '2', '--restart-sec', '100ms'] });
    try {
      const first = await waitForSpares(daemon, 2, 'the pool to fill to 2');

      const connected = await connectClient(daemon.url);
      const sessionId = connected.transport.sessionId ?? '';
      const opened = await daemon.waitForLog((line) => line.msg === 'session opened' && line.sessionId === sessionId, 5000, 'the session to open');
      assert.equal(opened.warm, true);
      assert.ok(first.includes(opened.pid as number), `the session's child ${String(opened.pid)} is one of the spares ${first.join(', ')}`);
      const pid = (JSON.parse(textOf(await connected.client.callTool({ name: 'pid', arguments: {} }))) as { pid: number }).pid;
      assert.equal(pid, opened.pid, 'the session talks to the spare it took');

      const refilled = await waitForSpares(daemon, 2, 'the pool to refill to 2');
      assert.ok(!refilled.includes(pid));
      assert.equal(childPids(daemon).length, 3, 'one child for the session, two spares');

      // A spare killed while it waits is noticed and replaced after the backoff.
      const victim = refilled[0] as number;
      process.kill(victim, 'SIGKILL');
      const died = await daemon.waitForLog((line) => isSpareDeath(line), 5000, 'the spare death to be noticed');
      assert.equal(died.result, 'signal');
      assert.equal(died.retryInMs, 100);
      const replaced = await waitForSpares(daemon, 2, 'the killed spare to be replaced');
      const replacedAfter = Date.now() - Date.parse(died.time as string);
      assert.ok(replacedAfter >= 95, `the replacement appeared ${replacedAfter}ms after the death, before the 100ms backoff`);
      assert.ok(!replaced.includes(victim));
      assert.equal(replaced.filter((spare) => !refilled.includes(spare)).length, 1, 'exactly one new spare');

      assert.equal(textOf(await connected.client.callTool({ name: 'echo', arguments: { text: 'warm' } })), 'warm');
      await connected.close();
    } finally {
      await daemon.close();
    }
  });
});

describe('--pool-min 1 --pool-max 3', () => {
  it('grows the pool toward --pool-max when sessions arrive in a burst', async () => {
    const daemon = await startDaemon({ fixture: { name: 'echo-server' }, args: ['--pool-min', '1', '--pool-max', '3'] });
    try {
      await waitForSpares(daemon, 1, 'the pool to fill to 1');
      // Six sessions at once: the pool cannot hand out ready spares as fast as they come.
      const sessionIds = await Promise.all(Array.from({ length: 6 }, () => openSession(daemon.url)));
      const opened = await waitFor(() => {
        const lines = daemon.logs.filter((line) => line.msg === 'session opened');
        return lines.length === 6 ? lines : undefined;
      }, { what: "six 'session opened' lines" });
      const grown = await waitFor(() => spares(daemon).length === 3, { timeoutMs: 5000, what: 'the pool to grow to 3 spares' }).catch(() => false);
      assert.ok(grown, `the pool stayed at ${spares(daemon).length} spare(s) after a burst of 6 sessions; ` +
        `'session opened' warm flags: ${opened.map((line) => String(line.warm)).join(', ')}`);
      for (const sessionId of sessionIds) assert.equal(await deleteSession(daemon, sessionId), 200);
    } finally {
      await daemon.close();
    }
  });
});

describe('--pool-min 2, a burst of 12 sessions back to back', () => {
  it('serves them all, counts every take as a hit or a miss, refills to 2 and leaves no child behind', async () => {
    const daemon = await startDaemon({ fixture: { name: 'echo-server' }, args: ['--pool-min', '2'] });
    try {
      await waitForSpares(daemon, 2, 'the pool to fill to 2');
      const sessionIds: string[] = [];
      // One after another with no rest: beyond the two spares, refills are still starting.
      for (let i = 0; i < 12; i++) sessionIds.push(await openSession(daemon.url));
      assert.equal(new Set(sessionIds).size, 12);
      const takes = async (result: string): Promise<number> => metricSum(daemon.baseUrl, 'mcp_sidecar_pool_takes_total', { result });
      const [hits, misses] = [await takes('hit'), await takes('miss')];
      assert.equal(hits + misses, 12, `hits ${hits} + misses ${misses}`);
      assert.ok(hits >= 2, `the two spares were taken: ${hits} hit(s)`);
      // The daemon's log lines arrive through a pipe: wait for all twelve.
      const opened = await waitFor(() => {
        const lines = daemon.logs.filter((line) => line.msg === 'session opened');
        return lines.length === 12 ? lines : undefined;
      }, { what: 'twelve session opened lines' });
      assert.equal(opened.filter((line) => line.warm === true).length, hits, "'session opened' warm flags agree with the hits");
      assert.equal(new Set(opened.map((line) => line.pid)).size, 12, 'twelve children, one per session');

      await waitForSpares(daemon, 2, 'the pool to refill to 2 after the burst');
      for (const sessionId of sessionIds) assert.equal(await deleteSession(daemon, sessionId), 200);
      // Every session's child is gone; only the two spares are left.
      const left = await waitFor(() => {
        const pids = childPids(daemon);
        return pids.length === 2 ? pids : undefined;
      }, { timeoutMs: 10_000, what: 'only the 2 spares to be left after the sessions closed' });
      assert.deepEqual(left.sort(), spares(daemon).sort());
    } finally {
      await daemon.close();
    }
  });
});

describe('a pool whose command cannot start', () => {
  it('backs off with growing delays instead of spinning', async () => {
    const policy: RestartPolicy = {
      restart: 'on-failure', restartSecMs: 100, restartSteps: 3, restartMaxDelayMs: 800, startLimitBurst: 5, startLimitIntervalMs: 60_000,
    };
    const daemon = await startDaemon({
      fixture: { name: 'crash-before-init', args: ['--on=start'] },
      args: ['--pool-min', '1', '--restart-sec', '100ms', '--restart-steps', '3', '--restart-max-delay', '800ms'],
    });
    try {
      // Four spares die, announcing the policy's delays one after the other: 100, 200, 400, 800 ms.
      const deaths = await waitFor(() => {
        const lines = daemon.logs.filter(isSpareDeath);
        return lines.length >= 4 ? lines.slice(0, 4) : undefined;
      }, { timeoutMs: 10_000, what: 'four spares to die' });
      assert.deepEqual(deaths.map((line) => line.retryInMs), [0, 1, 2, 3].map((attempt) => nextRestartDelay(policy, attempt)));
      assert.deepEqual(deaths.map((line) => line.retryInMs), [100, 200, 400, 800]);
      assert.deepEqual(deaths.map((line) => line.failures), [1, 2, 3, 4]);
      for (const line of deaths) assert.equal(line.result, 'exit-code');
      // Each replacement died no sooner than the delay announced before it.
      for (let i = 1; i < deaths.length; i++) {
        const gap = Date.parse(deaths[i]?.time as string) - Date.parse(deaths[i - 1]?.time as string);
        assert.ok(gap >= (deaths[i - 1]?.retryInMs as number) - 2, `spare ${i + 1} died ${gap}ms after the one before`);
      }

      // Bounded, not spinning: over the first 1.5 s, the backoff leaves room for 5 spawns at most
      // (at 0, 100, 300, 700 and 1500 ms if starting took no time at all).
      const firstAt = Date.parse(deaths[0]?.time as string);
      await waitFor(() => Date.now() - firstAt > 1600, { timeoutMs: 5000, what: '1.5 s of pool activity' });
      const spawnedInWindow = daemon.logs.filter((line) => line.msg.startsWith('child exited with code 3') && Date.parse(line.time as string) - firstAt <= 1500);
      assert.ok(spawnedInWindow.length <= 5, `${spawnedInWindow.length} children started and died in 1.5 s: the pool is spinning`);
    } finally {
      await daemon.close();
    }
  });
});
