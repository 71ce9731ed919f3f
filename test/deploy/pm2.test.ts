/**
 * PM2: the daemon tells its parent "ready" over IPC once it listens (wait_ready), and the shipped
 * ecosystem.config.js runs it under the real pm2 (its own PM2_HOME in a temp dir): start waits for
 * ready, /healthz answers, reload drains and stops the session's child down the ladder, stop
 * leaves no daemon nor child, and `pm2 kill` leaves no PM2 God daemon either.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { rawRequest } from '../helpers/http.js';
import { connectClient, textOf } from '../helpers/mcp-client.js';
import { CLI, ROOT } from '../helpers/paths.js';
import { waitFor } from '../helpers/poll.js';
import { isAlive, listProcesses } from '../helpers/process-table.js';
import { processesWithEnv } from './process-env.js';

const PM2 = path.join(ROOT, 'node_modules', 'pm2', 'bin', 'pm2');
const ECOSYSTEM = path.join(ROOT, 'ecosystem.config.js');
/** ecosystem.config.js: PM2 gives up waiting for "ready" after this long. */
const LISTEN_TIMEOUT_MS = 10_000;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as { port: number }).port;
  server.close();
  await once(server, 'close');
  return port;
}

function childrenOf(pid: number): number[] {
  return listProcesses().filter((info) => info.ppid === pid).map((info) => info.pid);
}

describe('PM2 wait_ready over IPC', () => {
  it('sends "ready" to an IPC parent once listening, after the "listening" line', async () => {
    const child = spawn(process.execPath, [CLI, '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
    try {
      assert.ok(child.stdout && child.stderr);
      let stderr = '';
      child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
      const stdout: string[] = [];
      child.stdout.setEncoding('utf8').on('data', (chunk: string) => stdout.push(chunk));
      const messages: unknown[] = [];
      let readyAt = 0;
      child.on('message', (message) => {
        messages.push(message);
        readyAt ||= Date.now();
      });
      await waitFor(() => messages.length > 0, { timeoutMs: 15_000, what: 'a message from the daemon' });
      assert.deepEqual(messages, ['ready']);
      const listening = await waitFor(
        () => stderr.split('\n').map((line) => (line.includes('"msg":"listening"') && line.endsWith('}') ? (JSON.parse(line) as { time: string }) : undefined)).find(Boolean),
        { what: 'the "listening" line' },
      );
      assert.ok(Date.parse(listening.time) <= readyAt, `"listening" at ${listening.time}, "ready" at ${new Date(readyAt).toISOString()}`);
      child.kill('SIGTERM');
      const [code] = (await once(child, 'exit')) as [number | null];
      assert.equal(code, 0);
      assert.deepEqual(stdout, [], 'nothing on stdout');
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
  });
});

describe('PM2 with ecosystem.config.js', () => {
  let home = '';
  let port = 0;

  function pm2(...args: string[]): Promise<Run> {
    const env: NodeJS.ProcessEnv = { ...process.env, PM2_HOME: home, MCP_SIDECAR_HOST: '127.0.0.1', MCP_SIDECAR_PORT: String(port) };
    delete env.MCP_SIDECAR_COMMAND;
    delete env.MCP_SIDECAR_LOG_DIR;
    const started = Date.now();
    const child = spawn(process.execPath, [PM2, ...args], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    return once(child, 'close').then(([code]) => ({ code: code as number | null, stdout, stderr, ms: Date.now() - started }));
  }

  async function daemonPid(): Promise<number> {
    const run = await pm2('jlist');
    assert.equal(run.code, 0, run.stderr);
    const list = JSON.parse(run.stdout.slice(run.stdout.indexOf('['))) as { name: string; pid: number; pm2_env: { status: string } }[];
    const app = list.find((entry) => entry.name === 'mcp-sidecar');
    assert.ok(app, `mcp-sidecar in pm2 jlist: ${run.stdout}`);
    assert.equal(app.pm2_env.status, 'online');
    return app.pid;
  }

  async function healthz(): Promise<number> {
    return (await rawRequest(`http://127.0.0.1:${port}/healthz`, { method: 'GET' })).status;
  }

  before(async () => {
    home = mkdtempSync(path.join(tmpdir(), 'mcp-sidecar-pm2-'));
    port = await freePort();
  });

  after(async () => {
    // Whatever happened above, take PM2 down and leave nothing behind.
    await pm2('kill');
    for (const pid of processesWithEnv('PM2_HOME', home)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // Gone already.
      }
    }
    rmSync(home, { recursive: true, force: true });
  });

  it('starts (waiting for ready), serves, reloads, stops, and is killed with nothing left', async () => {
    assert.equal((await pm2('ping')).code, 0, 'the PM2 God daemon starts');

    const start = await pm2('start', ECOSYSTEM);
    assert.equal(start.code, 0, start.stdout + start.stderr);
    assert.ok(start.ms < LISTEN_TIMEOUT_MS, `pm2 start took ${start.ms}ms: it returned on "ready", not on listen_timeout`);
    // No polling: once `pm2 start` returns, the daemon listens.
    assert.equal(await healthz(), 200);
    const first = await daemonPid();

    const connected = await connectClient(`http://127.0.0.1:${port}/mcp`);
    assert.equal(textOf(await connected.client.callTool({ name: 'add', arguments: { a: 2, b: 3 } })), '5');
    const [child] = childrenOf(first);
    assert.ok(child, 'the session has a child');

    const reload = await pm2('reload', 'mcp-sidecar');
    assert.equal(reload.code, 0, reload.stdout + reload.stderr);
    assert.ok(reload.ms < LISTEN_TIMEOUT_MS, `pm2 reload took ${reload.ms}ms`);
    assert.equal(await healthz(), 200);
    const second = await daemonPid();
    assert.notEqual(second, first);
    assert.ok(!isAlive(first), 'the old daemon exited');
    assert.ok(!isAlive(child), 'the old session child exited');
    await connected.close().catch(() => undefined); // Its session went with the old daemon.

    const logFile = path.join(home, 'logs', 'mcp-sidecar.log');
    const lines = readFileSync(logFile, 'utf8').split('\n').filter((line) => line.trim() !== '');
    const logs = lines.map((line) => JSON.parse(line) as { msg: string; trigger?: string; exit?: { pid: number; result: string } });
    assert.equal(logs.find((line) => line.msg === 'draining')?.trigger, 'SIGINT', 'PM2 stops the daemon with SIGINT, which drains');
    assert.equal(logs.find((line) => line.exit?.pid === child)?.exit?.result, 'shutdown', 'the child went down the ladder');
    assert.equal(logs.filter((line) => line.msg === 'listening').length, 2);
    assert.equal(readFileSync(path.join(home, 'logs', 'mcp-sidecar.out.log'), 'utf8'), '', 'nothing on stdout');

    const stop = await pm2('stop', 'mcp-sidecar');
    assert.equal(stop.code, 0, stop.stdout + stop.stderr);
    assert.ok(!isAlive(second), 'the daemon exited');
    await waitFor(() => (healthz().then(() => false, () => true)), { timeoutMs: 5000, what: 'the port to close' });
    const god = Number(readFileSync(path.join(home, 'pm2.pid'), 'utf8'));
    assert.deepEqual(processesWithEnv('PM2_HOME', home).filter((pid) => pid !== god), [], 'only the God daemon is left after stop');

    const kill = await pm2('kill');
    assert.equal(kill.code, 0, kill.stdout + kill.stderr);
    await waitFor(() => !isAlive(god), { timeoutMs: 10_000, what: 'the PM2 God daemon to exit' });
    assert.deepEqual(processesWithEnv('PM2_HOME', home), [], 'no process of this PM2_HOME is left');
  });
});
