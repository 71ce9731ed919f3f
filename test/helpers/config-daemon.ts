/**
 * A daemon started with --config: the file is written to a scratch directory, with fixtures
 * tagged so the test can check the process table afterwards, and can be rewritten and reloaded
 * (SIGHUP) while the daemon runs.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { TestDaemon, type LogLine } from './daemon.js';
import { fixture } from './fixtures.js';
import { newTag } from './process-table.js';

/** A server entry that runs fixture `name` (tagged), as a config file writes it. */
export function fixtureEntry(name: string, tag: string, ...args: string[]): { command: string; args: string[] } {
  const [command, ...rest] = fixture(name, tag, ...args);
  return { command: command as string, args: rest };
}

export class FileDaemon {
  readonly daemon: TestDaemon;
  readonly file: string;
  private readonly dir: string;

  private constructor(daemon: TestDaemon, file: string, dir: string) {
    this.daemon = daemon;
    this.file = file;
    this.dir = dir;
  }

  /** Starts a daemon on `build(tag)`'s file, on an ephemeral port. */
  static async start(build: (tag: string) => unknown, args: string[] = [], env?: Record<string, string>): Promise<FileDaemon> {
    const tag = newTag();
    const dir = mkdtempSync(path.join(tmpdir(), 'mcp-sidecar-file-daemon-'));
    const file = path.join(dir, 'servers.json');
    writeFileSync(file, JSON.stringify(build(tag), null, 2));
    const daemon = new TestDaemon(tag, ['--port', '0', '--log-level', 'debug', '--config', file, ...args], env);
    const started = new FileDaemon(daemon, file, dir);
    try {
      const listening = await daemon.waitForLog((line) => line.msg === 'listening', 15_000, 'the daemon to listen');
      daemon.url = listening.url as string;
      daemon.baseUrl = daemon.url.replace(/\/$/, '');
    } catch (error) {
      await started.close();
      throw error;
    }
    return started;
  }

  get tag(): string {
    return this.daemon.tag;
  }

  /** The URL of `path` (e.g. `/alpha/mcp`). */
  url(pathname: string): string {
    return `${this.daemon.baseUrl}${pathname}`;
  }

  /** Rewrites the file (raw text, or JSON of `content`) and sends SIGHUP; resolves with the reload's outcome line. */
  async reload(content: unknown): Promise<LogLine> {
    writeFileSync(this.file, typeof content === 'string' ? content : JSON.stringify(content, null, 2));
    const before = this.daemon.logs.length;
    this.daemon.process.kill('SIGHUP');
    return this.daemon.waitForLog(
      (line) => this.daemon.logs.indexOf(line) >= before && (line.msg === 'config file reloaded' || /^config file not reloaded/.test(line.msg)),
      10_000,
      'the reload to finish',
    );
  }

  async close(): Promise<void> {
    try {
      await this.daemon.close();
    } finally {
      rmSync(this.dir, { recursive: true, force: true });
    }
  }
}
