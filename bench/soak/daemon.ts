/**
 * The one daemon a soak drives: the built CLI on a free loopback port, with short idle timeouts
 * so abandoned sessions are reaped within the run, a warm pool, static bearer tokens (one per
 * worker, passed in the environment so they stay out of ps), and the echo fixture as its child.
 * Its log goes to a file; the "listening" line there gives the URL.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { once } from 'node:events';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { SIDECAR_CLI } from '../lib/paths.js';
import { waitFor } from '../lib/wait.js';

export const ECHO_FIXTURE = fileURLToPath(new URL('../../test/fixtures/echo-server.js', import.meta.url));

/** The daemon's settings that the checks depend on. */
export const DAEMON_SETTINGS = { idleTimeout: '5s', poolMin: 2 } as const;

export interface SoakDaemon {
  process: ChildProcess;
  pid: number;
  baseUrl: string;
  /** One token per worker, index = worker. */
  tokens: string[];
  logFile: string;
  /** Resolves with the exit code (null when a signal ended it). */
  exited: Promise<number | null>;
}

function listeningUrl(logFile: string): string | undefined {
  let text: string;
  try {
    text = readFileSync(logFile, 'utf8');
  } catch {
    return undefined;
  }
  for (const line of text.split('\n')) {
    if (!line.includes('"listening"')) continue;
    try {
      const record = JSON.parse(line) as { msg?: unknown; url?: unknown };
      if (record.msg === 'listening' && typeof record.url === 'string') return record.url;
    } catch {
      // A line still being written: the next poll reads it whole.
    }
  }
  return undefined;
}

export async function startSoakDaemon(workers: number, runTag: string, workDir: string): Promise<SoakDaemon> {
  const tokens = Array.from({ length: workers }, () => randomBytes(18).toString('base64url'));
  const logFile = path.join(workDir, 'daemon.log');
  const log = openSync(logFile, 'a');
  const args = [
    SIDECAR_CLI, '--port', '0', '--log-level', 'info',
    '--idle-timeout', DAEMON_SETTINGS.idleTimeout, '--idle-timeout-unused', DAEMON_SETTINGS.idleTimeout,
    '--pool-min', String(DAEMON_SETTINGS.poolMin),
    '--', process.execPath, ECHO_FIXTURE, `--tag=${runTag}`,
  ];
  const env = { ...process.env, MCP_SIDECAR_AUTH_TOKENS: tokens.map((token, index) => `worker${index}:${token}`).join(',') };
  const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'ignore', log] });
  closeSync(log);
  const exited = once(child, 'exit').then(([code, signal]) => (signal ? null : (code as number)));
  const url = await waitFor(() => listeningUrl(logFile), { timeoutMs: 30_000, what: `the daemon's "listening" line in ${logFile}` });
  return { process: child, pid: child.pid as number, baseUrl: new URL('/', url).toString().replace(/\/$/, ''), tokens, logFile, exited };
}

/** SIGTERM, then the exit code (null: killed by a signal); undefined if it did not exit in time. */
export async function stopSoakDaemon(daemon: SoakDaemon, timeoutMs: number): Promise<{ code: number | null } | undefined> {
  daemon.process.kill('SIGTERM');
  let settled: { code: number | null } | undefined;
  void daemon.exited.then((code) => { settled = { code }; });
  try {
    return await waitFor(() => settled, { timeoutMs, what: 'the daemon to exit after SIGTERM' });
  } catch {
    daemon.process.kill('SIGKILL');
    return undefined;
  }
}
