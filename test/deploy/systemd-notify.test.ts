/**
 * The systemd readiness protocol against a real unix datagram socket: the test binds one (a tiny
 * python3 listener, since Node has no unix datagram sockets), points NOTIFY_SOCKET at it, and
 * reads what arrives as systemd would. READY=1 must come after the "listening" line, STOPPING=1 on
 * SIGTERM, in that order, each with a STATUS= line; the children must not inherit NOTIFY_SOCKET,
 * and no systemd-notify helper may outlive the daemon.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startDaemon } from '../helpers/daemon.js';
import { rawRequest } from '../helpers/http.js';
import { connectClient, textOf } from '../helpers/mcp-client.js';
import { waitFor } from '../helpers/poll.js';
import { processesWithEnv } from './process-env.js';

/** Binds the socket, says so, then prints one JSON line per datagram with its arrival time (ms). */
const LISTENER = `
import json, socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
print(json.dumps({"bound": True}), flush=True)
while True:
    # recv() takes no ancillary data, so the kernel closes the fd that BARRIER=1 carries: that is
    # how systemd acknowledges, and what systemd-notify waits for before it exits.
    data = s.recv(65536)
    print(json.dumps({"at": time.time() * 1000, "message": data.decode()}), flush=True)
`;

interface Datagram {
  at: number;
  message: string;
}

/** A listening notify socket: what systemd's end of NOTIFY_SOCKET sees. */
class NotifyListener {
  readonly socketPath: string;
  readonly datagrams: Datagram[] = [];
  private readonly process: ChildProcessWithoutNullStreams;
  private bound = false;

  constructor(socketPath: string) {
    this.socketPath = socketPath;
    this.process = spawn('python3', ['-c', LISTENER, socketPath], { stdio: 'pipe' });
    let partial = '';
    this.process.stdout.setEncoding('utf8');
    this.process.stdout.on('data', (chunk: string) => {
      const lines = (partial + chunk).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) {
        const parsed = JSON.parse(line) as Datagram & { bound?: boolean };
        if (parsed.bound) this.bound = true;
        else this.datagrams.push(parsed);
      }
    });
    this.process.stderr.resume();
  }

  async ready(): Promise<void> {
    await waitFor(() => this.bound, { timeoutMs: 10_000, what: 'the python3 notify listener to bind' });
  }

  /** Waits for the datagram that carries `assignment` (e.g. READY=1) as one of its lines. */
  waitFor(assignment: string, timeoutMs = 10_000): Promise<Datagram> {
    return waitFor(() => this.datagrams.find((datagram) => datagram.message.split('\n').includes(assignment)), {
      timeoutMs,
      what: `${assignment} on the notify socket`,
    });
  }

  async close(): Promise<void> {
    if (this.process.exitCode === null && this.process.signalCode === null) this.process.kill('SIGTERM');
    await waitFor(() => this.process.exitCode !== null || this.process.signalCode !== null, { what: 'the listener to exit' });
  }
}

function statusOf(datagram: Datagram): string | undefined {
  return datagram.message.split('\n').find((line) => line.startsWith('STATUS='));
}

const installed = (program: string): boolean => spawnSync(program, ['--version'], { stdio: 'ignore' }).status === 0;
// Both come with systemd machines, not with Node: npm test needs neither (the listener is python3
// because Node has no unix datagram sockets).
const missing = ['systemd-notify', 'python3'].filter((program) => !installed(program));

describe('systemd readiness (Type=notify)', { skip: missing.length === 0 ? false : `not installed: ${missing.join(', ')}` }, () => {
  let dir = '';
  before(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'mcp-sidecar-notify-'));
  });
  after(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('sends READY=1 after the "listening" line and STOPPING=1 on SIGTERM, with STATUS, and leaves no helper', async () => {
    const listener = new NotifyListener(path.join(dir, 'notify.sock'));
    await listener.ready();
    const daemon = await startDaemon({ fixture: { name: 'echo-server' }, env: { NOTIFY_SOCKET: listener.socketPath } });
    try {
      const ready = await listener.waitFor('READY=1');
      const listening = await daemon.waitForLog((line) => line.msg === 'listening');
      assert.ok(Date.parse(listening.time as string) <= ready.at, `"listening" at ${String(listening.time)}, READY=1 at ${new Date(ready.at).toISOString()}`);
      assert.match(statusOf(ready) ?? '', /^STATUS=Listening/);
      assert.equal(listener.datagrams.some((datagram) => datagram.message.includes('STOPPING=1')), false);

      // A child with NOTIFY_SOCKET could speak for the service (NotifyAccess=all): it has none.
      const connected = await connectClient(daemon.url);
      assert.equal(textOf(await connected.client.callTool({ name: 'env', arguments: { name: 'NOTIFY_SOCKET' } })), '<unset>');
      await connected.close();

      assert.equal(await daemon.stop('SIGTERM'), 0);
      const exitedAt = Date.now();
      const stopping = await listener.waitFor('STOPPING=1');
      assert.ok(stopping.at <= exitedAt, 'STOPPING=1 was received before the daemon exited');
      assert.match(statusOf(stopping) ?? '', /^STATUS=Draining/);
      const order = listener.datagrams.map((datagram) => datagram.message.split('\n')[0]).filter((first) => first !== 'BARRIER=1');
      assert.deepEqual(order.slice(0, 2), ['READY=1', 'STOPPING=1']);
      assert.deepEqual(processesWithEnv('NOTIFY_SOCKET', listener.socketPath), [], 'no systemd-notify outlives the daemon');
      assert.deepEqual(daemon.strayStderr, []);
    } finally {
      await daemon.close();
      await listener.close();
    }
  });

  it('without systemd-notify on PATH: one warning line, and the daemon still serves and stops cleanly', async () => {
    const listener = new NotifyListener(path.join(dir, 'unused.sock'));
    await listener.ready();
    const daemon = await startDaemon({
      fixture: { name: 'echo-server' },
      env: { NOTIFY_SOCKET: listener.socketPath, PATH: path.join(dir, 'no-such-bin') },
    });
    try {
      await daemon.waitForLog((line) => line.level === 'warn' && /systemd-notify is not installed/.test(line.msg), 10_000, 'the warning');
      assert.equal((await rawRequest(`${daemon.baseUrl}/readyz`, { method: 'GET' })).status, 200);
      assert.equal(await daemon.stop('SIGTERM'), 0);
      const warnings = daemon.logs.filter((line) => /systemd-notify/.test(line.msg));
      assert.equal(warnings.length, 1, warnings.map((line) => line.msg).join('\n'));
      assert.deepEqual(listener.datagrams, []);
    } finally {
      await daemon.close();
      await listener.close();
    }
  });
});
