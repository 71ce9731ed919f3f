/**
 * A bridge under test as a child of the bench: node running the bridge's script, its stdout and
 * stderr in a log file (the error message quotes its tail), its stdin an open pipe (supergateway
 * shuts down when its stdin closes). Stopping it is SIGTERM, then SIGKILL after a grace period,
 * then a sweep of everything carrying the instance's tag.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { isAlive, killTagged, processesTagged, treeOf } from '../lib/process-table.js';
import { sleep, waitFor } from '../lib/wait.js';
import type { ExitTiming } from './target.js';

const STOP_GRACE_MS = 10_000;
const TREE_GONE_DEADLINE_MS = 15_000;
const TREE_POLL_MS = 5;

export interface BridgeLaunch {
  name: string;
  /** Arguments to node itself (a preload, --cpu-prof). */
  nodeArgs: readonly string[];
  script: string;
  args: readonly string[];
  logFile: string;
  tag: string;
}

export class BridgeProcess {
  readonly name: string;
  readonly tag: string;
  readonly logFile: string;
  private readonly child: ChildProcess;
  private readonly exited: Promise<void>;
  private exitedAt: number | undefined;

  constructor(launch: BridgeLaunch) {
    this.name = launch.name;
    this.tag = launch.tag;
    this.logFile = launch.logFile;
    const log = openSync(launch.logFile, 'a');
    try {
      this.child = spawn(process.execPath, [...launch.nodeArgs, launch.script, ...launch.args], { stdio: ['pipe', log, log] });
    } finally {
      closeSync(log); // The child holds its own copy.
    }
    this.child.stdin?.on('error', () => undefined); // EPIPE once it is gone: nothing to tell.
    this.exited = new Promise((resolve) => {
      this.child.once('exit', () => {
        this.exitedAt = performance.now();
        resolve();
      });
      this.child.once('error', () => resolve());
    });
  }

  get pid(): number {
    return this.child.pid as number;
  }

  get running(): boolean {
    return this.exitedAt === undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** The last lines of its log, for error messages. */
  logTail(lines = 15): string {
    try {
      const text = readFileSync(this.logFile, 'utf8').trimEnd().split('\n').slice(-lines);
      return text.map((line) => (line.length > 300 ? `${line.slice(0, 300)}…` : line)).join('\n');
    } catch {
      return '(no log)';
    }
  }

  /** Polls `check` until it yields; fails at once, quoting the log, if the bridge exits first. */
  async waitUntil<T>(check: () => T | undefined | false | Promise<T | undefined | false>, what: string, timeoutMs = 20_000): Promise<T> {
    try {
      return await waitFor(() => {
        if (!this.running) throw new Error(`exited while waiting for ${what}`);
        return check();
      }, { timeoutMs, what });
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      throw new Error(`${this.name}: ${message}; its log ends:\n${this.logTail()}`, { cause: error });
    }
  }

  /** SIGTERM, timed to the bridge's exit and to the end of the tree it had. */
  async terminate(): Promise<ExitTiming> {
    const tree = treeOf([this.pid]).map((entry) => entry.pid);
    const start = performance.now();
    this.child.kill('SIGTERM');
    const exitedInTime = await this.exitWithin(TREE_GONE_DEADLINE_MS);
    const exitMs = exitedInTime && this.exitedAt !== undefined ? this.exitedAt - start : Number.NaN;
    let remaining = tree;
    while (remaining.length > 0 && performance.now() - start < TREE_GONE_DEADLINE_MS) {
      await sleep(TREE_POLL_MS);
      remaining = remaining.filter(isAlive);
    }
    const treeGoneMs = remaining.length === 0 ? performance.now() - start : Number.NaN;
    const left = await this.stop();
    return { exitMs, treeGoneMs, leftBehind: Math.max(left.length, remaining.length) };
  }

  /** True once it has exited, false if it still runs after `ms`. */
  private async exitWithin(ms: number): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), ms);
    });
    try {
      return await Promise.race([this.exited.then(() => true as const), late]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Stops it if it runs and sweeps its tag; resolves with what had to be killed. */
  async stop(): Promise<string[]> {
    if (this.running) {
      this.child.kill('SIGTERM');
      if (!(await this.exitWithin(STOP_GRACE_MS))) {
        this.child.kill('SIGKILL');
        await this.exited;
      }
    }
    this.child.stdin?.destroy();
    // Whatever it left carries the tag; give it a moment to follow its parent, then kill it.
    await waitFor(() => processesTagged(this.tag).length === 0, { timeoutMs: 3000, what: 'the tree to end' }).catch(() => undefined);
    return killTagged(this.tag).map(({ pid, cmdline }) => `${pid} ${cmdline}`);
  }
}
