/**
 * GET /status (only with --status) shows what is really running: each session with its transport,
 * child pid, age, idle time, requests in flight, RSS from the watchdog, restarts and last stderr
 * lines; the pool and the limits. /readyz and the metrics tell the truth when children cannot start.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { LATEST_PROTOCOL_VERSION } from '@modelcontextprotocol/sdk/types.js';
import { startDaemon, type TestDaemon } from '../helpers/daemon.js';
import { initializeBody, MCP_ACCEPT, rawRequest } from '../helpers/http.js';
import { connectClient, type ConnectedClient, textOf } from '../helpers/mcp-client.js';
import { waitFor } from '../helpers/poll.js';

interface SessionStatus {
  id: string;
  transport: string;
  pid: number;
  ageMs: number;
  idleMs: number;
  inFlight: number;
  rssBytes: number;
  restarts: number;
  protocolVersion: string;
  stderr: string[];
}

interface Status {
  sessions: SessionStatus[];
  pool: { spares: number; min: number; max: number; hits: number; misses: number };
  children: Record<string, number>;
  memory: { childrenRssBytes: number };
  limits: { maxSessions: number; maxInFlight: number; idleTimeoutMs: number; requestTimeoutMs: number };
}

async function status(daemon: TestDaemon): Promise<Status> {
  const response = await rawRequest(`${daemon.baseUrl}/status`, { method: 'GET' });
  assert.equal(response.status, 200);
  assert.match(response.headers.get('content-type') ?? '', /^application\/json/);
  return response.json as Status;
}

/** Polls /status until `check` finds what it wants in it. */
function statusUntil<T>(daemon: TestDaemon, check: (current: Status) => T | undefined, what: string): Promise<T> {
  return waitFor(async () => check(await status(daemon)), { timeoutMs: 10_000, what });
}

async function childPid(connected: ConnectedClient): Promise<number> {
  return (JSON.parse(textOf(await connected.client.callTool({ name: 'pid', arguments: {} }))) as { pid: number }).pid;
}

describe('GET /status with --status', () => {
  let daemon: TestDaemon;
  before(async () => {
    daemon = await startDaemon({
      fixture: { name: 'echo-server' },
      args: ['--status', '--watchdog-interval', '200ms', '--pool-min', '1', '--max-sessions', '7', '--max-in-flight', '9', '--idle-timeout', '10min',
        '--request-timeout', '45s', '--restart', 'on-failure', '--restart-sec', '100ms'],
    });
  });
  after(async () => {
    await daemon.close();
  });

  it('shows each session with its child, age, idle time, in-flight, RSS, restarts and last stderr lines; the pool and the limits', async () => {
    const connected = await connectClient(daemon.url);
    const sessionId = connected.transport.sessionId ?? '';
    try {
      const pid = await childPid(connected);
      await connected.client.callTool({ name: 'stderr', arguments: { lines: 7 } });
      const mine = await statusUntil(daemon, (current) => {
        const found = current.sessions.find((session) => session.id === sessionId);
        return found && found.rssBytes > 0 && found.stderr.includes('stderr line 7') ? found : undefined;
      }, 'a watchdog tick and the stderr lines');
      assert.equal(mine.transport, 'streamable-http');
      assert.equal(mine.pid, pid);
      assert.equal(mine.protocolVersion, LATEST_PROTOCOL_VERSION);
      assert.equal(mine.inFlight, 0);
      assert.equal(mine.restarts, 0);
      assert.ok(mine.rssBytes > 10 * 1024 * 1024, `a node child has more than 10 MiB resident: ${mine.rssBytes}`);
      assert.deepEqual(mine.stderr, ['stderr line 3', 'stderr line 4', 'stderr line 5', 'stderr line 6', 'stderr line 7']);
      assert.ok(mine.ageMs >= mine.idleMs && mine.idleMs >= 0, `age ${mine.ageMs}, idle ${mine.idleMs}`);
      // Idle time grows while nothing happens; age with it.
      const later = await statusUntil(daemon, (current) => current.sessions.find((session) => session.id === sessionId && session.idleMs > mine.idleMs + 200), 'idle time to grow');
      assert.ok(later.ageMs > mine.ageMs);

      const whole = await statusUntil(daemon, (current) => (current.pool.spares === 1 ? current : undefined), 'the pool to refill');
      assert.deepEqual({ ...whole.pool, max: undefined }, { spares: 1, min: 1, max: undefined, hits: 1, misses: 0 });
      assert.ok(whole.pool.max >= 1);
      assert.deepEqual(whole.children, { spare: 1, running: 1, stopping: 0 });
      assert.ok(whole.memory.childrenRssBytes >= mine.rssBytes);
      assert.deepEqual(
        { maxSessions: whole.limits.maxSessions, maxInFlight: whole.limits.maxInFlight, idleTimeoutMs: whole.limits.idleTimeoutMs, requestTimeoutMs: whole.limits.requestTimeoutMs },
        { maxSessions: 7, maxInFlight: 9, idleTimeoutMs: 600_000, requestTimeoutMs: 45_000 },
      );
    } finally {
      await connected.close();
    }
    await statusUntil(daemon, (current) => current.sessions.length === 0 || undefined, 'the session to leave /status');
  });

  it('counts the requests in flight and the restarts of a session', async () => {
    const connected = await connectClient(daemon.url);
    const sessionId = connected.transport.sessionId ?? '';
    const mine = (current: Status): SessionStatus | undefined => current.sessions.find((session) => session.id === sessionId);
    try {
      const slow = connected.client.callTool({ name: 'slow', arguments: { ms: 1000 } });
      await statusUntil(daemon, (current) => mine(current)?.inFlight === 1 || undefined, 'the slow call in flight');
      assert.equal(textOf(await slow), 'slept 1000');
      assert.equal(mine(await status(daemon))?.inFlight, 0);

      const pid = await childPid(connected);
      await assert.rejects(connected.client.callTool({ name: 'crash', arguments: { code: 2 } }), /exited with code 2/);
      const restarted = await statusUntil(daemon, (current) => {
        const found = mine(current);
        return found?.restarts === 1 && found.pid !== pid ? found : undefined;
      }, 'the restart');
      assert.equal(restarted.pid, await childPid(connected));
    } finally {
      await connected.close();
    }
  });
});

describe('without --status, and when children cannot start', () => {
  it('answers 404 for /status, and /readyz 503 with the exits counted, after 3 children die before initialize', async () => {
    const daemon = await startDaemon({ fixture: { name: 'crash-before-init' } });
    try {
      const notFound = await rawRequest(`${daemon.baseUrl}/status`, { method: 'GET' });
      assert.equal(notFound.status, 404);
      assert.equal((notFound.json as { error: { data: { reason: string } } }).error.data.reason, 'NOT_FOUND');
      for (let attempt = 1; attempt <= 3; attempt++) {
        const response = await rawRequest(daemon.url, { method: 'POST', headers: { 'content-type': 'application/json', accept: MCP_ACCEPT }, body: initializeBody(attempt) });
        assert.match((response.json as { error?: { message: string } }).error?.message ?? '', /exited with code 3/);
      }
      await waitFor(async () => (await rawRequest(`${daemon.baseUrl}/readyz`, { method: 'GET' })).status === 503, { what: '/readyz to turn 503' });
      const metrics = await rawRequest(`${daemon.baseUrl}/metrics`, { method: 'GET' });
      assert.match(metrics.text, /^mcp_sidecar_child_exits_total\{result="exit-code"\} 3$/m);
      assert.doesNotMatch(metrics.text, /^mcp_sidecar_sessions_active\{[^}]*\} [1-9]/m, 'no session was opened');
    } finally {
      await daemon.close();
    }
  });
});
