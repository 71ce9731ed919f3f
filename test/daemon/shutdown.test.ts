/**
 * Shutdown as an operator triggers it: SIGTERM or SIGINT drains (no new sessions, /readyz 503,
 * in-flight requests finish within --drain-timeout), then every child goes down the stop ladder and
 * the daemon exits 0 with nothing left behind. A second signal cuts the drain short; SIGHUP does not
 * stop anything.
 *
 * A `slow` call with progress steps is used throughout: its first progress notification proves the
 * call reached the child before the signal is sent.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { McpError, type CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { startDaemon, type LogLine, type TestDaemon } from '../helpers/daemon.js';
import { initializeBody, MCP_ACCEPT, rawRequest } from '../helpers/http.js';
import { connectClient, type ConnectedClient, textOf } from '../helpers/mcp-client.js';
import { waitFor } from '../helpers/poll.js';
import { assertNoneTagged, isAlive } from '../helpers/process-table.js';

/** The JSON-RPC code of SESSION_ENDED (src/errors/wire.ts). */
const SESSION_ENDED_CODE = -32004;

function startEcho(args: string[] = []): Promise<TestDaemon> {
  return startDaemon({ fixture: { name: 'echo-server' }, args });
}

/** Starts `slow` and resolves once the child has reported progress, i.e. the call is in flight. */
async function startSlowCall(client: Client, ms: number, steps: number): Promise<{ result: Promise<CallToolResult> }> {
  let reportStarted: () => void = () => undefined;
  const started = new Promise<void>((resolve) => {
    reportStarted = resolve;
  });
  const result = client.callTool({ name: 'slow', arguments: { ms, steps } }, undefined, {
    onprogress: () => reportStarted(),
    timeout: 120_000,
  }) as Promise<CallToolResult>;
  // Racing also marks a rejection as handled until the test awaits the result itself.
  await Promise.race([started, result]);
  return { result };
}

/** Asserts a clean end: exit code 0, nothing tagged left, and only JSON log lines on stderr. */
async function assertCleanExit(daemon: TestDaemon, timeoutMs: number): Promise<void> {
  assert.equal(await exitOf(daemon, timeoutMs), 0);
  await assertNoneTagged(daemon.tag);
  await daemon.waitForLog((line) => line.msg === 'stopped', 5000, 'the "stopped" line');
  assert.deepEqual(daemon.strayStderr, []);
}

/** Waits for the daemon to exit by itself (no signal sent); its exit code, null for a signal. */
async function exitOf(daemon: TestDaemon, timeoutMs: number): Promise<number | null> {
  const exited = await waitFor(
    () => (daemon.process.exitCode !== null || daemon.process.signalCode !== null ? { code: daemon.process.exitCode } : undefined),
    { timeoutMs, what: 'the daemon to exit' },
  );
  return exited.code;
}

function drainingLine(daemon: TestDaemon): Promise<LogLine> {
  return daemon.waitForLog((line) => line.msg === 'draining', 5000, 'the daemon to start draining');
}

function stoppingLine(daemon: TestDaemon): Promise<LogLine> {
  return daemon.waitForLog((line) => line.msg === 'stopping children', 10_000, 'the daemon to stop its children');
}

async function closeQuietly(connected: ConnectedClient): Promise<void> {
  // The daemon is gone: terminateSession fails (and is ignored); close() must still settle.
  await connected.close().catch(() => undefined);
}

describe('shutdown', () => {
  it('SIGTERM: an in-flight call completes while new sessions get 503, then exit 0', async () => {
    const daemon = await startEcho(['--drain-timeout', '10s']);
    const connected = await connectClient(daemon.url);
    try {
      const { result: call } = await startSlowCall(connected.client, 1500, 15);
      daemon.process.kill('SIGTERM');
      assert.equal((await drainingLine(daemon)).trigger, 'SIGTERM');

      const readyz = await rawRequest(`${daemon.baseUrl}/readyz`, { method: 'GET' });
      assert.equal(readyz.status, 503);
      assert.match((readyz.json as { reason: string }).reason, /shutting down/);

      const refused = await rawRequest(daemon.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: MCP_ACCEPT },
        body: initializeBody(7),
      });
      assert.equal(refused.status, 503);
      const body = refused.json as { jsonrpc: string; id: unknown; error: { code: number; message: string; data: { reason: string } } };
      assert.equal(body.jsonrpc, '2.0');
      assert.equal(body.id, 7);
      assert.equal(typeof body.error.code, 'number');
      assert.match(body.error.message, /shutting down/);
      assert.equal(body.error.data.reason, 'DRAINING');
      const retryAfter = refused.headers.get('retry-after');
      assert.ok(retryAfter !== null && Number(retryAfter) > 0, `Retry-After: ${retryAfter}`);
      assert.equal(refused.headers.get('mcp-session-id'), null);

      assert.equal(textOf(await call), 'slept 1500');
      await assertCleanExit(daemon, 15_000);
      assert.equal((await stoppingLine(daemon)).drained, true);
    } finally {
      await closeQuietly(connected);
      await daemon.close();
    }
  });

  it('--drain-timeout 300ms: a call still running is ended with a JSON-RPC error, then exit 0', async () => {
    const daemon = await startEcho(['--drain-timeout', '300ms']);
    const connected = await connectClient(daemon.url);
    try {
      const { result: call } = await startSlowCall(connected.client, 10_000, 100);
      const signalled = Date.now();
      daemon.process.kill('SIGTERM');
      const error: unknown = await call.then(
        (result): unknown => assert.fail(`the call should have failed, got ${JSON.stringify(result)}`),
        (failure: unknown) => failure,
      );
      const elapsed = Date.now() - signalled;
      assert.ok(error instanceof McpError, String(error));
      assert.equal(error.code, SESSION_ENDED_CODE);
      assert.match(error.message, /session ended/);
      assert.ok(elapsed < 5000, `the call was ended ${elapsed}ms after SIGTERM`);

      await assertCleanExit(daemon, 10_000);
      assert.equal((await stoppingLine(daemon)).drained, false);
    } finally {
      await closeQuietly(connected);
      await daemon.close();
    }
  });

  it('a second SIGTERM during a long drain cuts it short, then exit 0', async () => {
    const daemon = await startEcho(['--drain-timeout', '30s']);
    const connected = await connectClient(daemon.url);
    try {
      const { result: call } = await startSlowCall(connected.client, 20_000, 200);
      daemon.process.kill('SIGTERM');
      await drainingLine(daemon);
      const second = Date.now();
      daemon.process.kill('SIGTERM');
      assert.equal(await exitOf(daemon, 10_000), 0);
      const elapsed = Date.now() - second;
      assert.ok(elapsed < 5000, `exited ${elapsed}ms after the second SIGTERM`);
      await daemon.waitForLog((line) => line.msg.startsWith('second shutdown request'), 5000, 'the second signal to be logged');
      await assert.rejects(call, (error: unknown) => error instanceof McpError && error.code === SESSION_ENDED_CODE);
      await assertCleanExit(daemon, 1000);
      assert.equal((await stoppingLine(daemon)).drained, false);
    } finally {
      await closeQuietly(connected);
      await daemon.close();
    }
  });

  it('SIGINT drains and exits like SIGTERM', async () => {
    const daemon = await startEcho(['--drain-timeout', '10s']);
    const connected = await connectClient(daemon.url);
    try {
      const { result: call } = await startSlowCall(connected.client, 800, 8);
      daemon.process.kill('SIGINT');
      assert.equal((await drainingLine(daemon)).trigger, 'SIGINT');
      const readyz = await rawRequest(`${daemon.baseUrl}/readyz`, { method: 'GET' });
      assert.equal(readyz.status, 503);
      assert.equal(textOf(await call), 'slept 800');
      await assertCleanExit(daemon, 15_000);
    } finally {
      await closeQuietly(connected);
      await daemon.close();
    }
  });

  it('SIGHUP does not stop the daemon nor an open session', async () => {
    const daemon = await startEcho();
    const connected = await connectClient(daemon.url);
    try {
      const pidOf = async (): Promise<number> =>
        (JSON.parse(textOf(await connected.client.callTool({ name: 'pid', arguments: {} }))) as { pid: number }).pid;
      const before = await pidOf();
      daemon.process.kill('SIGHUP');
      await daemon.waitForLog((line) => line.msg.startsWith('SIGHUP: reloading'), 5000, 'SIGHUP to be logged');

      assert.equal((await rawRequest(`${daemon.baseUrl}/healthz`, { method: 'GET' })).status, 200);
      assert.equal((await rawRequest(`${daemon.baseUrl}/readyz`, { method: 'GET' })).status, 200);
      assert.equal(textOf(await connected.client.callTool({ name: 'echo', arguments: { text: 'after hup' } })), 'after hup');
      assert.equal(await pidOf(), before, 'the session kept its child');
      assert.ok(isAlive(before));
      assert.equal(daemon.process.exitCode, null);
      assert.equal(daemon.logs.find((line) => line.msg === 'draining'), undefined);
    } finally {
      await connected.close();
      await daemon.close();
    }
  });

  it('with 5 open sessions, SIGTERM stops every child and logs each exit as shutdown', async () => {
    const daemon = await startEcho();
    const clients: ConnectedClient[] = [];
    try {
      for (let i = 0; i < 5; i++) clients.push(await connectClient(daemon.url));
      const pids = await Promise.all(
        clients.map(async ({ client }) => (JSON.parse(textOf(await client.callTool({ name: 'pid', arguments: {} }))) as { pid: number }).pid),
      );
      assert.equal(new Set(pids).size, 5);

      daemon.process.kill('SIGTERM');
      await assertCleanExit(daemon, 15_000);
      for (const pid of pids) assert.ok(!isAlive(pid), `child ${pid} is gone`);

      for (const pid of pids) {
        await daemon.waitForLog((line) => (line.exit as { pid?: number } | undefined)?.pid === pid, 5000, `the exit of child ${pid} to be logged`);
        const exits = daemon.logs.filter((line) => (line.exit as { pid?: number } | undefined)?.pid === pid);
        assert.equal(exits.length, 1, `one exit record for child ${pid}`);
        assert.equal((exits[0]?.exit as { result: string }).result, 'shutdown', `child ${pid}: ${exits[0]?.msg}`);
      }
    } finally {
      for (const connected of clients) await closeQuietly(connected);
      await daemon.close();
    }
  });
});
