/**
 * --ping-interval against real children: an idle child that answers MCP ping keeps running; one
 * that stops answering is hung, so it is stopped with exit result `timeout` (counted in
 * mcp_sidecar_child_exits_total, shown as `stopping` while the ladder runs) and restarted per
 * --restart on-failure.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { startDaemon, type LogLine, type TestDaemon } from '../helpers/daemon.js';
import { rawRequest } from '../helpers/http.js';
import { connectClient } from '../helpers/mcp-client.js';
import { waitFor } from '../helpers/poll.js';
import { isAlive } from '../helpers/process-table.js';

/** The value of one series (name with its exact label set) in a /metrics scrape; 0 when absent. */
async function metric(daemon: TestDaemon, series: string): Promise<number> {
  const { status, text } = await rawRequest(`${daemon.baseUrl}/metrics`, { method: 'GET' });
  assert.equal(status, 200);
  const line = text.split('\n').find((candidate) => candidate.startsWith(`${series} `));
  return line === undefined ? 0 : Number(line.slice(series.length + 1));
}

const errorsLogged = (daemon: TestDaemon): LogLine[] => daemon.logs.filter((line) => line.level === 'error' || line.level === 'fatal');

describe('--ping-interval', () => {
  it('leaves an idle child that answers ping running', async () => {
    const daemon = await startDaemon({ fixture: { name: 'hang-after-init', args: ['--never-hang'] }, args: ['--ping-interval', '300ms'] });
    try {
      const connected = await connectClient(daemon.url);
      const sessionId = connected.transport.sessionId ?? '';
      try {
        // Three pings answered in a row prove the child was pinged while idle, and kept.
        const pong = (n: number) => (line: LogLine): boolean => line.sessionId === sessionId && line.stream === 'stderr' && line.msg === `pong ${n}`;
        const first = await daemon.waitForLog(pong(1), 5000, 'the first ping');
        const third = await daemon.waitForLog(pong(3), 5000, 'the third ping');
        assert.equal(third.pid, first.pid);
        assert.ok(isAlive(first.pid as number));
        assert.ok(!daemon.logs.some((line) => line.msg.startsWith('child did not answer ping')));
        assert.ok(!daemon.logs.some((line) => line.pid === first.pid && typeof line.exit === 'object'), 'no exit for the pinged child');
        assert.equal(await metric(daemon, 'mcp_sidecar_child_exits_total{result="timeout"}'), 0);
        assert.equal(await metric(daemon, 'mcp_sidecar_child_restarts_total'), 0);
        // The session still works.
        const echoed = await connected.client.callTool({ name: 'echo', arguments: { text: 'still here' } });
        assert.deepEqual(echoed.content, [{ type: 'text', text: 'still here' }]);
      } finally {
        await connected.close();
      }
      assert.deepEqual(errorsLogged(daemon), []);
    } finally {
      await daemon.close();
    }
  });

  it('stops a child that stops answering (result timeout) and restarts it per --restart on-failure', async () => {
    // The hung child ignores stdin EOF: it sits in `stopping` for --timeout-stop, then SIGTERM ends it.
    const daemon = await startDaemon({
      fixture: { name: 'hang-after-init', args: ['--hang-after-pings=1'] },
      args: ['--ping-interval', '300ms', '--timeout-stop', '1s', '--restart', 'on-failure', '--restart-sec', '100ms'],
    });
    try {
      const connected = await connectClient(daemon.url);
      const sessionId = connected.transport.sessionId ?? '';
      const mine = (line: LogLine): boolean => line.sessionId === sessionId;
      try {
        const pong = await daemon.waitForLog((line) => mine(line) && line.msg === 'pong 1', 5000, 'the answered ping');
        const pid = pong.pid as number;
        const noAnswer = await daemon.waitForLog((line) => mine(line) && line.msg.startsWith('child did not answer ping'), 5000, 'the unanswered ping');
        assert.equal(noAnswer.level, 'warn');
        assert.equal(noAnswer.msg, 'child did not answer ping: treating it as hung and stopping it');
        assert.ok(daemon.logs.some((line) => line.pid === pid && line.msg === 'hung'), 'the fixture did hang');

        await waitFor(async () => (await metric(daemon, 'mcp_sidecar_children{state="stopping"}')) === 1, { timeoutMs: 3000, what: 'the hung child to show as stopping' });
        const stopped = await daemon.waitForLog((line) => line.pid === pid && line.msg.startsWith('child was stopped (timeout)'), 5000, 'the exit record');
        assert.deepEqual(
          { result: (stopped.exit as { result: string }).result, stoppedBy: (stopped.exit as { stoppedBy: string }).stoppedBy },
          { result: 'timeout', stoppedBy: 'sigterm' },
        );
        assert.ok(!isAlive(pid));

        const restarting = await daemon.waitForLog((line) => mine(line) && line.msg.startsWith("restarting the session's child in"), 5000, 'the restart');
        assert.equal((restarting.exit as { result: string }).result, 'timeout');
        const restarted = await daemon.waitForLog((line) => mine(line) && line.msg.startsWith('child restarted'), 5000, 'the new child');
        assert.notEqual(restarted.pid, pid);
        assert.ok((await metric(daemon, 'mcp_sidecar_child_exits_total{result="timeout"}')) >= 1);
        assert.ok((await metric(daemon, 'mcp_sidecar_child_restarts_total')) >= 1);
        // The session lives on with its new child.
        const echoed = await connected.client.callTool({ name: 'echo', arguments: { text: 'after the hang' } });
        assert.deepEqual(echoed.content, [{ type: 'text', text: 'after the hang' }]);
      } finally {
        await connected.close();
      }
      assert.deepEqual(errorsLogged(daemon), []);
    } finally {
      await daemon.close();
    }
  });
});
