/**
 * Real nginx (Debian's package) as a non-daemon child of the test: a shipped config rendered by
 * naming exactly what to replace in it, wrapped in a minimal main config whose logs, pid and temp
 * files all live in one temporary prefix, and stopped with its workers whatever happens.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { accessSync, chmodSync, constants, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { waitFor } from './poll.js';
import { isAlive, listProcesses } from './process-table.js';

/** Prefix of every temporary nginx prefix: test/check-orphans.ts looks for masters started in one. */
export const NGINX_PREFIX_NAME = 'mcp-sidecar-nginx-';

/** Debian's nginx, or one on PATH; `undefined` when there is none (the test then skips, saying so). */
export function findNginx(): string | undefined {
  const candidates = ['/usr/sbin/nginx', ...(process.env.PATH ?? '').split(':').filter(Boolean).map((dir) => path.join(dir, 'nginx'))];
  return candidates.find((file) => {
    try {
      accessSync(file, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

/** nginx's version line (`nginx version: nginx/1.22.1`). */
export function nginxVersion(binary: string): string {
  return spawnSync(binary, ['-v'], { encoding: 'utf8' }).stderr.trim();
}

/**
 * `template` with each `[from, to]` replaced everywhere; throws when a `from` is not in it, so a
 * change to the shipped file that the test no longer matches fails loudly instead of testing less.
 */
export function render(template: string, replacements: readonly (readonly [string, string])[]): string {
  let text = template;
  for (const [from, to] of replacements) {
    if (!text.includes(from)) throw new Error(`the template has no ${JSON.stringify(from)} to replace`);
    text = text.split(from).join(to);
  }
  return text;
}

export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as { port: number }).port;
  server.close();
  await once(server, 'close');
  return port;
}

export interface AccessLine {
  line: string;
  status: number;
  /** Every upstream address tried, in order (nginx lists retries comma-separated). */
  upstreams: string[];
  session: string;
}

export class TestNginx {
  readonly prefix: string;
  readonly binary: string;
  private child: ChildProcess | undefined;
  private workers = new Set<number>();
  private stderr = '';

  constructor(binary: string) {
    this.binary = binary;
    this.prefix = mkdtempSync(path.join(tmpdir(), NGINX_PREFIX_NAME));
    // Workers run as nobody when the master is root: they must reach the temp directories.
    chmodSync(this.prefix, 0o755);
  }

  file(name: string): string {
    return path.join(this.prefix, name);
  }

  /**
   * The main config: `site` (an `http { }`-level file such as deploy/nginx/mcp-sidecar.conf) written
   * into the prefix and included, with every path nginx would write to inside the prefix.
   */
  writeConfig(site: string): string {
    writeFileSync(this.file('site.conf'), site);
    const temp = ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((kind) => `  ${kind}_temp_path ${this.file(`${kind}_temp`)};`);
    const main = [
      'worker_processes 2;',
      `error_log ${this.file('error.log')} notice;`,
      'events { worker_connections 512; }',
      'http {',
      ...temp,
      `  access_log ${this.file('default-access.log')};`,
      `  include ${this.file('site.conf')};`,
      '}',
      '',
    ].join('\n');
    const conf = this.file('nginx.conf');
    writeFileSync(conf, main);
    return conf;
  }

  private args(conf: string): string[] {
    return ['-p', this.prefix, '-e', this.file('error.log'), '-c', conf, '-g', `daemon off; pid ${this.file('nginx.pid')};`];
  }

  /** `nginx -t` on `conf`: its exit code and what it said. */
  check(conf: string): { code: number | null; output: string } {
    const run = spawnSync(this.binary, ['-t', ...this.args(conf)], { encoding: 'utf8' });
    return { code: run.status, output: `${run.stdout}${run.stderr}` };
  }

  /** Starts nginx in its own process group and waits until `port` accepts a request. */
  async start(conf: string, port: number): Promise<void> {
    const child = spawn(this.binary, this.args(conf), { detached: true, stdio: ['ignore', 'ignore', 'pipe'] });
    this.child = child;
    // Should the test process end before stop(), its nginx (a group of its own) ends with it.
    process.once('exit', () => this.killGroup());
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (chunk: string) => (this.stderr += chunk));
    await waitFor(async () => {
      if (child.exitCode !== null || child.signalCode !== null) throw new Error(`nginx exited at start: ${this.stderr}${this.errorLog()}`);
      try {
        await fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(1000) });
        return true;
      } catch {
        return false; // Not listening yet.
      }
    }, { timeoutMs: 15_000, what: 'nginx to listen' });
    for (const info of listProcesses()) if (info.ppid === child.pid) this.workers.add(info.pid);
  }

  /** The master and its workers, as they are now. */
  pids(): number[] {
    const master = this.child?.pid;
    if (master === undefined) return [];
    for (const info of listProcesses()) if (info.ppid === master) this.workers.add(info.pid);
    return [master, ...this.workers];
  }

  private killGroup(): void {
    const pid = this.child?.pid;
    if (pid === undefined) return;
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // The group is already gone.
    }
  }

  errorLog(): string {
    const file = this.file('error.log');
    return existsSync(file) ? readFileSync(file, 'utf8') : '';
  }

  accessLog(file: string): AccessLine[] {
    if (!existsSync(file)) return [];
    return readFileSync(file, 'utf8').split('\n').filter(Boolean).map((line) => ({
      line,
      status: Number(/" (\d{3}) /.exec(line)?.[1]),
      upstreams: (/upstream=(\S+(?:, \S+)*) upstream_status=/.exec(line)?.[1] ?? '').split(', ').filter((addr) => addr !== '-'),
      // nginx logs an empty variable as "-"; a legacy SSE POST names its session in the query.
      session: [/ session="([^"]*)"/.exec(line)?.[1], /legacy_session="([^"]*)"/.exec(line)?.[1]].find((id) => id !== undefined && id !== '-') ?? '',
    }));
  }

  /**
   * Fast shutdown (SIGTERM: open streams are cut, not waited for), then SIGKILL to the whole
   * process group for anything still alive; throws naming any process that outlived both.
   */
  async stop(): Promise<void> {
    const child = this.child;
    if (child?.pid !== undefined) {
      const pids = this.pids();
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      try {
        await waitFor(() => pids.every((pid) => !isAlive(pid)), { timeoutMs: 10_000, what: 'nginx and its workers to exit' });
      } catch {
        this.killGroup();
      }
      await waitFor(() => pids.every((pid) => !isAlive(pid)), { timeoutMs: 5000, what: `nginx processes ${pids.join(', ')} to be gone` });
    }
    rmSync(this.prefix, { recursive: true, force: true });
  }
}
