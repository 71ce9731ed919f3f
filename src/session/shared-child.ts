/**
 * One child process shared by sessions (`--isolation principal|shared`): initialized once by the
 * daemon (with the client capabilities the daemon bridges, as a lease's is), each session linked
 * to it by a `ChildPort`. Everything in flight is in one table by the child's ids
 * (shared-calls.ts), and every child message is routed from it (shared-routing.ts) to exactly the
 * session it belongs to, or to all of them when it belongs to none.
 *
 * It is not restarted by itself: when it exits, each session hears its child exit (its requests in
 * flight fail at once) and its own restart policy decides, as with a child of its own; the first
 * session to restart starts the next shared child, and the others join it. Kept while any session
 * holds it, then for --idle-timeout (isolation.ts); counted once in /status and the metrics.
 */
import type { Framed, JsonRpcId, JsonRpcResponse } from '../jsonrpc/message.js';
import type { Logger } from '../observability/logger.js';
import { NEWEST_LEGACY_VERSION } from '../protocol/versions.js';
import type { ChildProcess } from '../supervisor/child-process.js';
import type { ExitRecord, StopReason } from '../supervisor/exit-record.js';
import { ChildPort, frameOf, type PortOwner } from './child-port.js';
import { InternalRequests } from './internal-requests.js';
import { DAEMON_INFO } from './lease-pool.js';
import { Liveness } from './liveness.js';
import { SharedCalls, type Call } from './shared-calls.js';
import { routeFromChild } from './shared-routing.js';

/**
 * The client capabilities a shared child is initialized with: every one whose requests the daemon
 * can route to the one session whose call caused them (shared-routing.ts checks that session's
 * client declared it; otherwise the child hears an error). Sessions of many clients share the
 * child, so it cannot be initialized with any one client's own.
 */
const BRIDGED_CAPABILITIES = { sampling: {}, elicitation: {}, roots: {} };
import { clientInitializeResult, mostVerbose } from './shared-terms.js';

/** Where the child's initialize left it: ready, refused by the server, or failed (timeout, exit). */
type Readiness = { result: Record<string, unknown> } | { refused: { code: number; message: string; data?: unknown } } | { failed: string };

export interface SharedChildHooks {
  /** The last session let go of it. */
  unused(shared: SharedChild): void;
  /** The process exited (every session holding it has been told). */
  exited(shared: SharedChild, record: ExitRecord): void;
}

export interface SharedChildOptions {
  /** Bound on the daemon's initialize of the child. */
  initTimeoutMs: number;
  /** Its stderr may be quoted to its sessions: they are all one principal's (ChildPort). */
  quotesStderr: boolean;
}

const INITIALIZED = JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' });

export class SharedChild implements PortOwner {
  readonly child: ChildProcess;
  readonly label: string;
  readonly ports = new Set<ChildPort>();
  readonly calls = new SharedCalls<ChildPort>();
  readonly logger: Logger;
  private readonly internal = new InternalRequests();
  private readonly liveness = new Liveness();
  private readonly paused = new Set<ChildPort>();
  private readonly hooks: SharedChildHooks;
  private readonly ready: Promise<Readiness>;
  private readonly quotesStderr: boolean;
  private initialized = false;
  /** Refused initialize: no new session joins it, and it goes when its last session has. */
  private refused = false;

  constructor(child: ChildProcess, label: string, logger: Logger, options: SharedChildOptions, hooks: SharedChildHooks) {
    this.child = child;
    this.label = label;
    this.hooks = hooks;
    this.quotesStderr = options.quotesStderr;
    child.bindLogger(logger);
    this.logger = child.logger;
    // A stderr line belongs to a request when that request is the only one in flight on the child.
    child.stderr.context = () => this.calls.onlyClientCall()?.port.stderr.context();
    child.handlers = {
      onMessage: (framed) => this.fromChild(framed),
      onExit: (record) => this.onExit(record),
    };
    this.ready = this.initialize(options.initTimeoutMs);
  }

  /** A session may join it: alive, not on its way down, not refused by its server. */
  get usable(): boolean {
    return this.child.alive && !this.child.stopping && !this.refused;
  }

  /** A new session's link to the child. */
  attach(logger: Logger): ChildPort {
    const port = new ChildPort(this, this.child, logger, this.quotesStderr);
    this.ports.add(port);
    return port;
  }

  async send(port: ChildPort, raw: string): Promise<boolean> {
    if (!this.initialized && !('result' in await this.ready)) return false;
    if (!port.isLinked) return false;
    return this.child.write(raw);
  }

  newId(): string {
    return this.calls.newId();
  }

  register(childId: string, call: Call<ChildPort>): void {
    this.calls.add(childId, call);
  }

  settle(childId: string): void {
    this.calls.settle(childId);
  }

  forgetAsk(childRequestId: JsonRpcId): void {
    this.calls.forgetAsk(childRequestId);
  }

  answerInitialize(port: ChildPort, id: JsonRpcId, requestedVersion: unknown): void {
    void this.ready.then((readiness) => {
      if ('result' in readiness) port.receive(frameOf('response', { jsonrpc: '2.0', id, result: clientInitializeResult(readiness.result, requestedVersion) }));
      else if ('refused' in readiness) port.receive(frameOf('response', { jsonrpc: '2.0', id, error: readiness.refused }));
      // Failed: the child is stopped or gone, and its exit is what the session hears.
    });
  }

  logLevel(): string | undefined {
    return mostVerbose([...this.ports].map((port) => port.logLevel));
  }

  subscribedElsewhere(port: ChildPort, uri: string): boolean {
    for (const other of this.ports) if (other !== port && other.subscriptions.has(uri)) return true;
    return false;
  }

  /**
   * A session lets go: what it had in flight is cancelled at the child, what the child asked it is
   * answered with an error, and subscriptions no other session holds are ended.
   */
  release(port: ChildPort, reason: StopReason): void {
    if (!this.ports.delete(port)) return;
    for (const childId of this.calls.idsOf(port)) {
      this.calls.settle(childId);
      this.write({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: childId, reason: `the session ended (${reason})` } });
    }
    for (const childRequestId of port.asks.values()) {
      this.calls.forgetAsk(childRequestId);
      this.write({ jsonrpc: '2.0', id: childRequestId, error: { code: -32603, message: `mcp-sidecar: the session this was asked of ended (${reason})` } });
    }
    for (const uri of port.subscriptions) {
      if (this.subscribedElsewhere(port, uri) || !this.child.alive) continue;
      const { raw, answer } = this.internal.create('resources/unsubscribe', { uri }, 10_000);
      answer.catch(() => undefined); // nobody waits for it; a child that does not answer is pinged later
      void this.child.write(raw);
    }
    this.resume(port);
    port.released({ result: reason, exitCode: null, signal: null, durationMs: Date.now() - port.attachedAt, pid: this.child.pid });
    if (this.ports.size === 0) this.hooks.unused(this);
  }

  pause(port: ChildPort): void {
    const before = this.paused.size;
    this.paused.add(port);
    // One client behind holds the child back for everyone until it reads or --slow-client-timeout drops it.
    if (before === 0 && this.paused.size === 1) this.child.pauseOutput();
  }

  resume(port: ChildPort): void {
    if (this.paused.delete(port) && this.paused.size === 0) this.child.resumeOutput();
  }

  /** --ping-interval, once for the child (not once per session sharing it). */
  pingIfIdle(now: number, intervalMs: number): void {
    if (!this.initialized || this.calls.size > 0 || !this.child.alive || this.child.stopping) return;
    this.liveness.pingIfSilent(now, intervalMs, this.child, this.internal, (error) => {
      if (!this.child.alive || this.child.stopping) return;
      this.logger.warn({ err: error.message, sessions: this.ports.size }, 'shared child did not answer ping: treating it as hung and stopping it');
      void this.child.stop('timeout');
    });
  }

  stop(reason: StopReason): Promise<ExitRecord> {
    return this.child.stop(reason);
  }

  /** What /status shows of it (to operators only: its stderr may be about any principal's calls). */
  status(now: number): object {
    return {
      label: this.label, pid: this.child.pid, sessions: this.ports.size, inFlight: this.calls.inFlight,
      ageMs: now - this.child.startedAt, rssBytes: this.child.rssBytes, stderr: this.child.stderr.tail().slice(-5),
    };
  }

  /** Writes a message the daemon makes (a cancellation, an answer in a session's place). */
  write(message: object): void {
    if (this.child.alive) void this.child.write(JSON.stringify(message));
  }

  private async initialize(timeoutMs: number): Promise<Readiness> {
    const params = { protocolVersion: NEWEST_LEGACY_VERSION, capabilities: BRIDGED_CAPABILITIES, clientInfo: DAEMON_INFO };
    const { raw, answer } = this.internal.create('initialize', params, timeoutMs);
    void this.child.write(raw);
    let response: JsonRpcResponse;
    try {
      response = await answer;
    } catch (error) {
      if (this.child.alive && !this.child.stopping) {
        this.logger.warn({ err: (error as Error).message }, 'shared child did not answer initialize: stopping it');
        void this.child.stop('timeout');
      }
      return { failed: (error as Error).message };
    }
    const result = response.result as Record<string, unknown> | undefined;
    if (response.error || typeof result?.protocolVersion !== 'string') {
      this.refused = true;
      this.logger.warn({ error: response.error }, 'shared child refused initialize (--isolation principal and shared need a server that answers initialize); its sessions end');
      // Once the sessions waiting on it have their answer (a microtask away), nothing it holds can be served.
      setImmediate(() => void this.child.stop('session-end'));
      return { refused: response.error ?? { code: -32603, message: 'the server answered initialize without a protocol version' } };
    }
    await this.child.write(INITIALIZED);
    this.initialized = true;
    this.logger.info({ protocolVersion: result.protocolVersion, label: this.label }, 'shared child initialized');
    return { result };
  }

  private fromChild(framed: Framed): void {
    this.liveness.heard();
    if (framed.kind === 'response' && this.internal.settle((framed.message as JsonRpcResponse).id, framed.message as JsonRpcResponse)) return;
    routeFromChild(this, framed);
  }

  private onExit(record: ExitRecord): void {
    this.internal.failAll(`the shared child exited`);
    this.calls.clear();
    const ports = [...this.ports];
    this.ports.clear();
    this.paused.clear();
    for (const port of ports) port.childExited(record);
    this.hooks.exited(this, record);
  }
}
