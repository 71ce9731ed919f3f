/**
 * One stdio MCP server process: spawned as its own process group, its stdout framed into JSON-RPC
 * messages, its stderr captured into logs, its stdin written with backpressure, and its end turned
 * into exactly one exit record. Knows nothing of sessions or HTTP.
 */
import { once } from 'node:events';
import type { Writable } from 'node:stream';
import { execa, type ResultPromise } from 'execa';
import { LineFramer } from '../jsonrpc/line-framer.js';
import { LARGE_LINE_BYTES, LargeAnswer } from '../jsonrpc/large-answer.js';
import { parseLine, type Framed } from '../jsonrpc/message.js';
import type { Logger } from '../observability/logger.js';
import { describeExit, unplannedResult, type ExitRecord, type StopReason } from './exit-record.js';
import { reapGroup } from './kill-process-group.js';
import { DEFAULT_STDERR_CAPTURE, StderrCapture, type StderrCaptureOptions } from './stderr-capture.js';
import { runStopLadder, settlesWithin } from './stop-ladder.js';

export interface ChildSpec {
  command: string;
  args: readonly string[];
  cwd: string | undefined;
  env: Record<string, string>;
}

export interface ChildOptions {
  maxMessageBytes: number;
  timeoutStopMs: number;
  killSignal: NodeJS.Signals;
  stderr?: StderrCaptureOptions;
  /** Told of every exit record and every stderr line (metrics). */
  observer?: { exited(record: ExitRecord): void; stderrLine(logged: boolean): void };
}

/** A spare the pool initialized ahead of any client (warm-pool.ts, session/prepare-spare.ts). */
export interface PreparedChild {
  initialize: Framed;
  initialized: Framed;
  result: Framed;
}

export interface ChildHandlers {
  onMessage(framed: Framed): void;
  /** Called exactly once, after the last message. */
  onExit(record: ExitRecord): void;
}

/** What write() gives back: settled promises shared by every call. */
const WRITTEN = Promise.resolve(true);
const NOT_WRITTEN = Promise.resolve(false);

function uncork(stream: Writable): void {
  stream.uncork();
}

/** How long stdout may keep delivering after the process exited (a grandchild may hold it open). */
const STDOUT_SETTLE_MS = 200;

function unboundHandlers(logger: Logger): ChildHandlers {
  return {
    onMessage: (framed) => logger.warn({ kind: framed.kind }, 'message from a child bound to no session; dropped'),
    onExit: () => undefined,
  };
}

export class ChildProcess {
  readonly pid: number | undefined;
  readonly startedAt = Date.now();
  readonly stderr: StderrCapture;
  /** Settles with the exit record once the process is gone and its group reaped. */
  readonly exited: Promise<ExitRecord>;
  private readonly subprocess: ResultPromise;
  /** Logger with this child's bindings (server, session once bound, pid). */
  logger: Logger;
  /** RSS of its process tree at the last watchdog check. */
  rssBytes = 0;
  private readonly options: ChildOptions;
  /**
   * Who hears this child. Settable after spawn, so a child started ahead of time (a warm spare)
   * can be bound to the session that takes it.
   */
  handlers: ChildHandlers;
  /** Set when the pool initialized this child ahead of a client. */
  prepared: PreparedChild | undefined;
  private leaderAlive = true;
  private stopReason: StopReason | undefined;
  private stopRequested: Promise<ExitRecord> | undefined;
  /** The leader's own end: its exit code and signal, or why it never started. */
  private readonly leaderExit: Promise<{ exitCode: number | null; signal: string | null; error?: Error }>;

  constructor(spec: ChildSpec, options: ChildOptions, logger: Logger, handlers: ChildHandlers = unboundHandlers(logger)) {
    this.options = options;
    this.handlers = handlers;
    // reject: false, so the result promise never rejects; the 'exit' event is what we watch.
    this.subprocess = execa(spec.command, spec.args, {
      cwd: spec.cwd,
      env: spec.env,
      extendEnv: false,
      detached: true, // Own process group: the stop ladder signals the whole tree.
      stdin: 'pipe',
      stdout: 'pipe',
      stderr: 'pipe',
      buffer: false,
      reject: false,
      cleanup: false,
      forceKillAfterDelay: false,
      windowsHide: true,
    });
    this.pid = this.subprocess.pid;
    this.logger = logger.child({ pid: this.pid });
    this.stderr = new StderrCapture(this.logger, options.stderr ?? DEFAULT_STDERR_CAPTURE);
    const observer = options.observer;
    if (observer) this.stderr.onCounted = (logged) => observer.stderrLine(logged);
    this.leaderExit = once(this.subprocess, 'exit').then(
      ([exitCode, signal]) => ({ exitCode: exitCode as number | null, signal: signal as string | null }),
      (error: Error) => ({ exitCode: null, signal: null, error }),
    );
    void this.leaderExit.then(() => { this.leaderAlive = false; });
    this.wireStreams();
    this.exited = this.watchExit();
  }

  /** Binds the child to a session's logger (a warm spare is spawned before it has one). */
  bindLogger(logger: Logger): void {
    this.logger = logger.child({ pid: this.pid });
    this.stderr.logger = this.logger;
  }

  /** Asked to stop and on its way down. */
  get stopping(): boolean {
    return this.stopRequested !== undefined && this.leaderAlive;
  }

  /** The process is still there (it may be on its way down). */
  get alive(): boolean {
    return this.leaderAlive && this.pid !== undefined;
  }

  /**
   * Writes one message line to stdin. Resolves once the line is handed to the pipe; when the pipe
   * is full it first waits for it to drain, so a slow reader holds writers back instead of the
   * daemon buffering without bound. Resolves false when stdin is gone.
   */
  write(raw: string): Promise<boolean> {
    const stdin = this.subprocess.stdin;
    if (!stdin || stdin.destroyed || stdin.writableEnded) return NOT_WRITTEN;
    if (stdin.writableNeedDrain) return this.writeAfterDrain(stdin, raw);
    this.writeLine(stdin, raw);
    // Nearly every write: no promise of its own, nor an async function's (this is per request).
    return WRITTEN;
  }

  private async writeAfterDrain(stdin: Writable, raw: string): Promise<boolean> {
    const drained = once(stdin, 'drain').then(() => true, () => false);
    const closed = once(stdin, 'close').then(() => false, () => false);
    if (!(await Promise.race([drained, closed]))) return false;
    if (stdin.destroyed || stdin.writableEnded) return false;
    this.writeLine(stdin, raw);
    return true;
  }

  private writeLine(stdin: Writable, raw: string): void {
    // The first line of a tick goes to the pipe at once (a lone request waits for nothing); the
    // lines after it in the same tick are corked and go together in one writev.
    if (this.wroteThisTick && stdin.writableCorked === 0) {
      stdin.cork();
      process.nextTick(uncork, stdin);
    }
    if (!this.wroteThisTick) {
      this.wroteThisTick = true;
      process.nextTick(this.endTick);
    }
    stdin.write(`${raw}\n`);
  }

  private wroteThisTick = false;
  private readonly endTick = (): void => { this.wroteThisTick = false; };

  /**
   * Stops reading stdout: the pipe fills and the child blocks on its next write. A client that
   * does not read holds its child back this way, instead of the daemon buffering for it.
   */
  pauseOutput(): void {
    if (this.leaderAlive) this.subprocess.stdout?.pause();
  }

  resumeOutput(): void {
    this.subprocess.stdout?.resume();
  }

  /** Stops the child down the ladder; every caller gets the same exit record. */
  stop(reason: StopReason): Promise<ExitRecord> {
    if (this.stopRequested) return this.stopRequested;
    const pid = this.pid;
    // Already gone on its own: the record says how, not that we stopped it.
    if (!this.leaderAlive || pid === undefined) return this.exited;
    this.stopReason = reason;
    this.stopRequested = runStopLadder(
      {
        pid,
        closeStdin: () => this.subprocess.stdin?.end(),
        exited: this.leaderExit,
        onStep: (step) => { this.stoppedBy = step; },
      },
      { timeoutStopMs: this.options.timeoutStopMs, killSignal: this.options.killSignal },
    ).then(() => this.exited);
    return this.stopRequested;
  }

  private stoppedBy: ExitRecord['stoppedBy'];

  private wireStreams(): void {
    const { stdout, stderr, stdin } = this.subprocess;
    const framer = this.newFramer();
    stdout?.on('data', (chunk: Buffer) => framer.push(chunk));
    stdout?.once('end', () => framer.end());
    stderr?.on('data', (chunk: Buffer) => this.stderr.push(chunk));
    // EPIPE after the child died is expected; the exit path reports the death itself.
    stdin?.on('error', (error) => this.logger.debug({ err: error }, 'child stdin error'));
    stdout?.on('error', (error) => this.logger.debug({ err: error }, 'child stdout error'));
    stderr?.on('error', (error) => this.logger.debug({ err: error }, 'child stderr error'));
  }

  private newFramer(): LineFramer {
    return new LineFramer({
      maxLineBytes: this.options.maxMessageBytes,
      mode: 'drop',
      onLine: (line, _truncated, bytes) => this.onStdoutLine(line, bytes),
      onOversize: (bytes) => this.logger.warn({ bytes, max: this.options.maxMessageBytes }, 'child stdout line over --max-message-size dropped'),
      large: { minBytes: LARGE_LINE_BYTES, onLine: (line) => this.onLargeLine(line) },
      // A pipe's 'data' chunks are fresh buffers for every read: a 1 MiB answer is not copied twice.
      chunksOwned: true,
    });
  }

  /** A large successful answer is relayed as bytes; anything else large is parsed as usual. */
  private onLargeLine(line: Buffer): boolean {
    const answer = LargeAnswer.from(line);
    if (!answer) return false;
    this.handlers.onMessage(answer);
    return true;
  }

  private onStdoutLine(line: string, bytes: number): void {
    if (line.trim() === '') return;
    const framed = parseLine(line, bytes);
    if (!framed) {
      this.logger.warn({ stream: 'stdout', line: line.length > 512 ? `${line.slice(0, 512)}…` : line }, 'child stdout line is not JSON-RPC; dropped');
      return;
    }
    this.handlers.onMessage(framed);
  }

  private async watchExit(): Promise<ExitRecord> {
    const leader = await this.leaderExit;
    // Its last answers are still worth reading, even for a client that had stopped reading.
    this.resumeOutput();
    // stdout may still hold the last answers: give it a moment to deliver them.
    const stdout = this.subprocess.stdout;
    if (stdout && !stdout.readableEnded) await settlesWithin(once(stdout, 'end'), STDOUT_SETTLE_MS);
    this.stderr.end();
    const failedToSpawn = this.pid === undefined;
    const record: ExitRecord = {
      result: failedToSpawn ? 'spawn-failed' : (this.stopReason ?? unplannedResult(leader.exitCode, leader.signal)),
      exitCode: leader.exitCode,
      signal: leader.signal,
      durationMs: Date.now() - this.startedAt,
      pid: this.pid,
    };
    if (failedToSpawn) record.error = leader.error?.message ?? 'spawn failed';
    if (this.stoppedBy) record.stoppedBy = this.stoppedBy;
    this.logger[record.result === 'exit-code' || record.result === 'signal' || record.result === 'spawn-failed' ? 'warn' : 'info'](
      { exit: record },
      `child ${describeExit(record)}`,
    );
    // Tell the session first (its client is waiting), then reap what the leader left in its group:
    // no orphan outlives its session, and `exited` settles only once the group is empty.
    this.options.observer?.exited(record);
    this.handlers.onExit(record);
    if (this.pid !== undefined) {
      await reapGroup(this.pid, this.options.killSignal, this.options.timeoutStopMs).catch((error: unknown) => {
        this.logger.error({ err: error }, 'could not signal what the child left in its process group');
      });
    }
    return record;
  }
}
