/**
 * Starts the real daemon (the built CLI) as a child process on an ephemeral loopback port, reads
 * its JSON log lines from stderr, and stops it. Every fixture it runs is tagged so the test can
 * check the process table afterwards.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { once } from 'node:events';
import { CLI } from './paths.js';
import { waitFor } from './poll.js';
import { assertNoneTagged, newTag } from './process-table.js';
import { fixture } from './fixtures.js';

export interface LogLine {
  level: string;
  msg: string;
  [key: string]: unknown;
}

export interface DaemonOptions {
  /** Fixture to serve, with its arguments; omitted means the built-in demo server. */
  fixture?: { name: string; args?: string[] };
  /** A full command instead of a fixture (it should contain the tag for process checks). */
  command?: string[];
  args?: string[];
  env?: Record<string, string>;
}

export class TestDaemon {
  readonly tag: string;
  readonly process: ChildProcessWithoutNullStreams;
  readonly logs: LogLine[] = [];
  /** Lines on stderr that are not JSON (there must be none). */
  readonly strayStderr: string[] = [];
  url = '';
  baseUrl = '';
  private exitCode: Promise<number | null>;

  constructor(tag: string, argv: string[], env: Record<string, string> | undefined) {
    this.tag = tag;
    this.process = spawn(process.execPath, [CLI, ...argv], {
      env: { ...process.env, ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    this.exitCode = once(this.process, 'exit').then(([code, signal]) => (signal ? null : (code as number)));
    let partial = '';
    this.process.stderr.setEncoding('utf8');
    this.process.stderr.on('data', (chunk: string) => {
      const lines = (partial + chunk).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) this.onLine(line);
    });
    this.process.stdout.resume();
  }

  private onLine(line: string): void {
    if (line.trim() === '') return;
    try {
      this.logs.push(JSON.parse(line) as LogLine);
    } catch {
      this.strayStderr.push(line);
    }
  }

  /** Waits for a log line matching `predicate`. */
  waitForLog(predicate: (line: LogLine) => boolean, timeoutMs = 10_000, what = 'a log line'): Promise<LogLine> {
    return waitFor(() => this.logs.find(predicate), { timeoutMs, what });
  }

  get pid(): number {
    return this.process.pid as number;
  }

  /** Sends `signal` and waits for the exit code (null if killed by a signal). */
  async stop(signal: NodeJS.Signals = 'SIGTERM', timeoutMs = 20_000): Promise<number | null> {
    if (this.process.exitCode === null && this.process.signalCode === null) this.process.kill(signal);
    return waitFor(async () => {
      const code = await Promise.race([this.exitCode, new Promise<'pending'>((resolve) => setTimeout(() => resolve('pending'), 50))]);
      return code === 'pending' ? undefined : { code };
    }, { timeoutMs, what: 'the daemon to exit' }).then((result) => result.code);
  }

  /** Stops the daemon and checks that nothing it started is still running. */
  async close(): Promise<void> {
    await this.stop('SIGTERM').catch(() => this.process.kill('SIGKILL'));
    await assertNoneTagged(this.tag);
  }
}

export async function startDaemon(options: DaemonOptions = {}): Promise<TestDaemon> {
  const tag = newTag();
  const command = options.command ?? (options.fixture ? fixture(options.fixture.name, tag, ...(options.fixture.args ?? [])) : []);
  const argv = ['--port', '0', '--log-level', 'debug', ...(options.args ?? [])];
  if (command.length > 0) argv.push('--', ...command);
  const daemon = new TestDaemon(tag, argv, options.env);
  const listening = await daemon.waitForLog((line) => line.msg === 'listening', 15_000, 'the daemon to listen');
  daemon.url = listening.url as string;
  daemon.baseUrl = new URL('/', daemon.url).toString().replace(/\/$/, '');
  return daemon;
}
