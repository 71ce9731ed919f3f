/**
 * Opens sessions and gives them children: a warm spare when the pool has one, a fresh spawn
 * otherwise. Admission (draining, --max-sessions, --memory-max-total) is decided here, before
 * anything is spawned. Every child alive, spare or bound, is known here for the watchdog.
 */
import type { Principal } from '../auth/principal.js';
import { PrincipalEnv } from '../auth/principal-env.js';
import { RequestPolicy } from '../auth/request-policy.js';
import { authConfigured, type SidecarConfig } from '../config/schema.js';
import type { WireErrorReason } from '../errors/wire.js';
import { auditToolCall, type ToolCallRecord } from '../observability/audit-log.js';
import type { Logger } from '../observability/logger.js';
import { Metrics, type ServerMetrics, type TransportName } from '../observability/metrics.js';
import type { ConnectionEnv } from '../transports/shared/connection-env.js';
import type { EventStoreLimits } from './event-store.js';
import { ChildProcess, type ChildOptions, type ChildSpec } from '../supervisor/child-process.js';
import { describeExit } from '../supervisor/exit-record.js';
import { MemoryWatchdog } from '../supervisor/memory-watchdog.js';
import type { RestartPolicy } from '../supervisor/restart-policy.js';
import type { SpawnHealth } from '../supervisor/spawn-health.js';
import { probeServerEra } from '../supervisor/probe-era.js';
import { WarmPool } from '../supervisor/warm-pool.js';
import { ClientBacklog, OVERLOAD } from './client-backlog.js';
import { DEFAULT_HELD_LIMITS } from './held-messages.js';
import { HeldCalls } from './input/held-calls.js';
import { Isolation } from './isolation.js';
import { LeasePool } from './lease-pool.js';
import { ListenHub } from './listen-hub.js';
import { prepareSpare } from './prepare-spare.js';
import { SessionRegistry } from './registry.js';
import { Session, type RequestDone, type SessionObserver, type SessionOptions } from './session.js';
import { CONNECTION_BOUND, heldBy, sessionCaps, type SessionCaps } from './session-caps.js';
import { newSessionId } from './session-id.js';
import { statusView, type StatusScope } from './status-view.js';

export type { TransportName };

/** How long a client should wait before retrying when a new session is refused (draining, limits). */
export const RETRY_AFTER_SECONDS = 5;

/** Why a new session is refused, and when to try again. */
export interface Refusal {
  reason: WireErrorReason;
  retryAfterSeconds: number;
}

/** JSON has no Infinity: an unbounded limit reads "infinity", as on the command line. */
function finite(value: number): number | 'infinity' {
  return value === Infinity ? 'infinity' : value;
}

/** What the daemon gives each server's host: its metrics, reported as server `server`. */
export interface HostWiring {
  metrics: Metrics;
  server: string;
}

export class SessionHost {
  readonly registry = new SessionRegistry();
  readonly spawnHealth: SpawnHealth;
  readonly pool: WarmPool;
  /** Spares initialized ahead for 2026-07-28 leases (--lease-pool-min), when there are any. */
  readonly preparedPool: WarmPool | undefined;
  readonly watchdog: MemoryWatchdog;
  /** Every child alive: spares and those bound to sessions. */
  readonly children = new Set<ChildProcess>();
  readonly metrics: ServerMetrics;
  private readonly config: SidecarConfig;
  private readonly spec: ChildSpec;
  private readonly childOptions: ChildOptions;
  private readonly sessionOptions: Omit<SessionOptions, 'launch' | 'connectionBound'>;
  readonly eventStoreLimits: EventStoreLimits;
  /** How long a cut POST stream waits for its client to resume it (--resume-timeout). */
  readonly resumeTimeoutMs: number;
  private readonly logger: Logger;
  /** Tool policy, rate limits and concurrency per principal. */
  readonly requests: RequestPolicy;
  /** Bytes waiting for every client together, against --client-buffer-budget. */
  readonly backlog: ClientBacklog;
  /** 2026-07-28 subscriptions/listen streams, by principal, and the changes their leases announce. */
  readonly listens: ListenHub;
  /** Children leased to 2026-07-28 requests, by principal and capability set. */
  readonly leases: LeasePool;
  /** 2026-07-28 calls held while their client gathers the input their server asked for. */
  readonly heldCalls: HeldCalls;
  /** Children shared by sessions (--isolation principal or shared). */
  readonly isolation: Isolation;
  private principalEnv: PrincipalEnv;
  /** Per-principal session caps, settled once (session-caps.ts). */
  private readonly caps: SessionCaps;

  /** Throws `SidecarError` when a policy file (--tool-policy, --principal-env) is bad. */
  constructor(config: SidecarConfig, spec: ChildSpec, spawnHealth: SpawnHealth, logger: Logger, wiring: HostWiring = { metrics: new Metrics(), server: '' }) {
    this.config = config;
    this.spec = spec;
    this.requests = new RequestPolicy(config, logger);
    this.principalEnv = config.principalEnv === undefined ? PrincipalEnv.empty() : PrincipalEnv.load(config.principalEnv);
    this.spawnHealth = spawnHealth;
    this.logger = logger;
    this.caps = sessionCaps(config, authConfigured(config));
    this.metrics = wiring.metrics.forServer(wiring.server, {
      sessionsByTransport: () => this.countSessions(),
      childrenByState: () => this.countChildren(),
      poolSpares: () => this.pool.size + (this.preparedPool?.size ?? 0),
      inFlight: () => this.registry.inFlight(),
      childrenRssBytes: () => this.watchdog.totalBytes,
      outputPaused: () => this.countPaused(),
      clientBufferedBytes: () => this.backlog.totalBytes,
      listenStreams: () => this.listens.size,
      inputRequiredHeld: () => this.heldCalls.size,
    });
    this.backlog = new ClientBacklog(config.clientBufferBudgetBytes, {
      changed: (overloaded, totalBytes) => {
        for (const session of this.registry.values()) {
          if (overloaded) session.flow.congested(OVERLOAD);
          else session.flow.relieved(OVERLOAD);
        }
        if (overloaded) {
          this.metrics.clientBufferOverloaded();
          logger.warn({ totalBytes, budgetBytes: config.clientBufferBudgetBytes, sessions: this.registry.size },
            'bytes waiting for clients over --client-buffer-budget: every child paused until half is read; clients not reading get --slow-client-timeout');
        } else {
          logger.info({ totalBytes }, 'bytes waiting for clients back under half of --client-buffer-budget: children read again');
        }
      },
    });
    // A principal may hold as many listen streams as sessions (listen-hub.ts).
    this.listens = new ListenHub({ perPrincipal: this.caps.perPrincipal > 0 ? this.caps.perPrincipal : config.maxSessions, total: config.maxSessions }, Math.min(config.requestTimeoutMs, 30_000));
    this.leases = new LeasePool(this, logger, { maxInFlight: config.maxInFlight, initTimeoutMs: Math.min(config.requestTimeoutMs, 60_000) });
    this.heldCalls = new HeldCalls({
      timeoutMs: config.inputRequiredTimeoutMs, maxHeld: config.maxInputRequired,
      maxHeldPerPrincipal: config.maxInputRequiredPerPrincipal, keyFile: config.inputRequiredKeyFile,
    }, this.metrics);
    this.isolation = new Isolation({
      mode: config.isolation,
      launch: (principal, childLogger) => this.launch(childLogger, this.envOf(principal)),
      initTimeoutMs: Math.min(config.requestTimeoutMs, 60_000),
      idleTimeoutMs: config.idleTimeoutMs,
      authenticated: authConfigured(config),
    }, logger);
    this.eventStoreLimits = { maxEvents: config.eventStoreMaxEvents, maxBytes: config.eventStoreMaxBytes };
    this.resumeTimeoutMs = config.resumeTimeoutMs;
    const metrics = this.metrics;
    this.childOptions = {
      maxMessageBytes: config.maxMessageBytes,
      timeoutStopMs: config.timeoutStopMs,
      killSignal: 'SIGTERM',
      observer: { exited: (record) => metrics.childExited(record), stderrLine: (logged) => metrics.stderrLine(logged) },
    };
    const restart: RestartPolicy = config;
    this.sessionOptions = {
      held: DEFAULT_HELD_LIMITS,
      stderrLinesInErrors: 5,
      maxInFlight: config.maxInFlight,
      restart,
      replayTimeoutMs: Math.min(config.requestTimeoutMs, 60_000),
      observer: this.sessionObserver(),
      logToolArgs: config.logToolArgs,
      admit: (principal, method, tool) => {
        // The session's opening was counted already (admitOpening()); its initialize is not counted again.
        if (method === 'initialize') return { ok: true };
        const verdict = this.requests.admit(principal, tool);
        if (!verdict.ok) metrics.policyRefused(verdict.reason);
        return verdict;
      },
      admitMessage: (principal) => {
        const verdict = this.requests.admitMessage(principal);
        if (!verdict.ok) metrics.policyRefused(verdict.reason);
        return verdict;
      },
      filterAnswer: (principal, method, framed) => this.requests.filterAnswer(principal, method, framed),
    };
    this.pool = new WarmPool(() => this.spawn(this.logger), { min: config.poolMin, max: config.poolMax, idleTimeoutMs: config.idleTimeoutMs, backoff: restart,
      onTake: (hit) => metrics.poolTake(hit),
      onSpareDied: (description) => this.spawnHealth.recordFailure(description),
    }, logger);
    this.preparedPool = config.leasePoolMin === 0 ? undefined : new WarmPool(() => this.spawn(this.logger), {
      min: config.leasePoolMin, max: config.leasePoolMin, idleTimeoutMs: config.idleTimeoutMs, backoff: restart,
      onTake: (hit) => metrics.poolTake(hit),
      onSpareDied: (description) => this.spawnHealth.recordFailure(description),
      prepare: (child) => prepareSpare(child, Math.min(config.requestTimeoutMs, 60_000)),
    }, logger);
    this.watchdog = new MemoryWatchdog(() => this.children, {
      intervalMs: config.watchdogIntervalMs,
      memoryMaxBytes: config.memoryMaxBytes,
      memoryMaxTotalBytes: config.memoryMaxTotalBytes,
      onStop: () => metrics.watchdogStopped(),
    }, logger);
  }

  start(): void {
    // Asked once, when the first 2026-07-28 request comes: a daemon 2025 clients alone use never asks.
    const probeOptions = { ...this.childOptions, observer: undefined };
    if (this.config.serverEra === 'auto') this.leases.probeWith(() => probeServerEra(this.spec, probeOptions, this.logger, 10_000));
    // Said once the daemon starts, not while the configuration is still being checked.
    if (this.caps.fairShare) {
      this.logger.info({ maxSessionsPerPrincipal: this.caps.perPrincipal, maxSessions: this.config.maxSessions, uninitializedPerPrincipal: this.caps.uninitializedPerPrincipal },
        'authentication is on and --max-sessions-per-principal is unset: each principal may hold a quarter of --max-sessions');
    }
    this.pool.start();
    this.preparedPool?.start();
    this.watchdog.start();
  }

  /**
   * Why `principal` cannot open a new session now, or `undefined` when it can. Spawns nothing.
   * Opening counts as one request against the principal's --rate-limit (its initialize is not
   * counted again), taken last, so a session refused for another reason costs no budget.
   */
  admitOpening(principal: Principal, transport: TransportName): Refusal | undefined {
    const retryAfterSeconds = RETRY_AFTER_SECONDS;
    if (this.registry.size >= this.config.maxSessions) return { reason: 'SESSION_LIMIT', retryAfterSeconds };
    const { perPrincipal, uninitializedPerPrincipal } = this.caps;
    if (perPrincipal > 0 || uninitializedPerPrincipal > 0) {
      const held = heldBy(this.registry.values(), principal);
      if (perPrincipal > 0 && held.sessions >= perPrincipal) return { reason: 'PRINCIPAL_SESSION_LIMIT', retryAfterSeconds };
      if (uninitializedPerPrincipal > 0 && CONNECTION_BOUND.has(transport) && held.uninitialized >= uninitializedPerPrincipal) {
        return { reason: 'PRINCIPAL_UNINITIALIZED_LIMIT', retryAfterSeconds };
      }
    }
    if (this.watchdog.overTotal()) return { reason: 'MEMORY_LIMIT', retryAfterSeconds };
    const rate = this.requests.admitOpening(principal);
    if (!rate.ok) {
      this.metrics.policyRefused(rate.reason);
      return { reason: rate.reason, retryAfterSeconds: rate.retryAfterSeconds ?? 1 };
    }
    return undefined;
  }

  /**
   * A new session of `principal` with a child of its own. Call only once the opening request is
   * valid and admitted. A principal with variables of its own (--principal-env) gets a fresh child
   * started with them, never a warm spare started without.
   */
  open(transport: TransportName, principal: Principal, prepared?: ChildProcess): Session {
    const id = newSessionId(this.config.instanceId);
    const logger = this.logger.child({ sessionId: id, principal: principal.name });
    const env = this.envOf(principal);
    const shares = this.isolation.shares;
    const spare = prepared ?? (env || shares ? undefined : this.pool.take());
    // With --isolation principal or shared, the session's child is its port on a shared one.
    const launch = shares ? () => this.isolation.attach(principal, logger) : () => this.launch(logger, env);
    const session = new Session(id, transport, principal, spare ?? (shares ? launch() : this.spawn(logger, env)), logger, {
      onEnded: (ended, record, reason) => {
        this.registry.remove(ended);
        if (!ended.initialized && record.result !== 'shutdown' && record.result !== 'session-end') {
          this.spawnHealth.recordFailure(`the child ${describeExit(record)}`);
        }
        this.metrics.sessionEnded(reason);
        logger.info({ reason, restarts: ended.restarts }, 'session closed');
      },
      onInitialized: (initialized) => {
        this.spawnHealth.recordSuccess();
        // A freshly spawned child's start-to-initialize time tells the pool when a spare is warm.
        if (spare === undefined && !shares && initialized.restarts === 0) {
          this.pool.observeStartup((initialized.initializedAt ?? Date.now()) - initialized.child.startedAt);
        }
      },
    }, { ...this.sessionOptions, launch, connectionBound: CONNECTION_BOUND.has(transport) });
    if (this.backlog.overloaded) session.flow.congested(OVERLOAD);
    this.registry.add(session);
    this.metrics.sessionStarted(transport);
    logger.info({ transport, pid: session.pid, warm: spare !== undefined }, 'session opened');
    return session;
  }

  /**
   * A lease's session on a spare initialized ahead of any client (--lease-pool-min), with that
   * initialize's result; `undefined` when none is ready, or the principal has variables of its own
   * (a spare was started without them).
   */
  openPrepared(principal: Principal): { session: Session; result: Record<string, unknown> } | undefined {
    if (!this.preparedPool || this.isolation.shares || Object.keys(this.principalEnv.envFor(principal)).length > 0) return undefined;
    const child = this.preparedPool.take();
    if (!child) return undefined;
    const session = this.open('streamable-http', principal, child);
    return { session, result: session.adoptPrepared() ?? {} };
  }

  /** SIGHUP: re-reads the tool policy and the per-principal environments (new children get them). */
  reload(): void {
    this.requests.reload();
    if (this.config.principalEnv === undefined) return;
    try {
      this.principalEnv = PrincipalEnv.load(this.config.principalEnv);
      this.logger.info({ principals: this.principalEnv.size }, 'per-principal environments reloaded');
    } catch (error) {
      this.logger.error({ err: (error as Error).message }, 'per-principal environments not reloaded; the previous ones stay in force');
    }
  }

  /** What a client connection of `session` needs: keepalive, buffer bounds, backpressure. */
  connectionEnv(session: Session): ConnectionEnv {
    return {
      keepaliveMs: this.config.sseKeepaliveMs,
      retryMs: this.config.sseRetryMs,
      limits: { highWaterBytes: this.config.streamBufferBytes, slowClientTimeoutMs: this.config.slowClientTimeoutMs },
      flow: session.flow,
      backlog: this.backlog,
      slowClient: () => {
        this.metrics.slowClientDisconnected(session.transport);
        session.logger.warn({ transport: session.transport, bufferLimit: this.config.streamBufferBytes, slowClientTimeoutMs: this.config.slowClientTimeoutMs },
          'client did not read for --slow-client-timeout with more than --stream-buffer waiting (or any, over --client-buffer-budget): disconnected');
      },
    };
  }

  /** Stops the pool and every session's child; resolves when all are gone. */
  async stopAll(): Promise<void> {
    this.watchdog.stop();
    await Promise.all([this.pool.stop(), this.preparedPool?.stop(), this.registry.endAll('shutdown'), this.isolation.stopAll()]);
  }

  /** Sends MCP ping to children idle for `intervalMs`; one that does not answer is stopped as hung. */
  pingIdle(now: number, intervalMs: number): void {
    if (this.isolation.shares) this.isolation.pingIdle(now, intervalMs);
    else for (const session of this.registry.values()) session.pingIfIdle(now, intervalMs);
  }

  /** What GET /status shows a reader who sees `scope`'s sessions (status-view.ts). */
  status(scope: StatusScope, now = Date.now()): object {
    const config = this.config;
    return statusView({
      sessions: this.registry.values(),
      pool: { spares: this.pool.size, min: config.poolMin, max: config.poolMax, hits: this.pool.hits, misses: this.pool.misses },
      children: Object.fromEntries(this.countChildren()),
      ...(this.isolation.shares ? { isolation: { mode: this.isolation.mode, sharedChildren: this.isolation.status(now) } } : {}),
      memory: { childrenRssBytes: this.watchdog.totalBytes, watchdogStops: this.watchdog.stops, memoryMaxBytes: finite(config.memoryMaxBytes), memoryMaxTotalBytes: finite(config.memoryMaxTotalBytes) },
      limits: {
        maxSessions: config.maxSessions,
        maxSessionsPerPrincipal: this.caps.perPrincipal,
        uninitializedPerPrincipal: this.caps.uninitializedPerPrincipal,
        maxInFlight: config.maxInFlight,
        idleTimeoutMs: finite(config.idleTimeoutMs),
        sessionTtlMs: finite(config.sessionTtlMs),
        requestTimeoutMs: finite(config.requestTimeoutMs),
      },
    }, scope, now);
  }

  private sessionObserver(): SessionObserver {
    const metrics = (): ServerMetrics => this.metrics;
    return {
      requestDone: (session, done) => this.requestDone(session, done),
      bytesIn: (bytes) => metrics().messageIn(bytes),
      bytesOut: (bytes) => metrics().messageOut(bytes),
      dropped: (count) => metrics().messagesDropped(count),
      restarted: () => metrics().childRestarted(),
    };
  }

  private requestDone(session: Session, done: RequestDone): void {
    this.metrics.requestDone(session.transport, done.method, done.tool, done.outcome, done.durationMs / 1000);
    if (done.tool === undefined) return;
    // Built member by member, not spread: this runs on every tool call.
    const record: ToolCallRecord = { tool: done.tool, durationMs: done.durationMs, outcome: done.outcome };
    if (done.errorCode !== undefined) record.errorCode = done.errorCode;
    const context = done.context;
    if (context) {
      record.requestId = context.requestId;
      if (context.traceId) record.traceId = context.traceId;
    }
    if (done.arguments !== undefined) record.arguments = done.arguments;
    auditToolCall(session.auditLogger, record);
  }

  private countSessions(): Map<string, number> {
    const counts = new Map<string, number>();
    for (const session of this.registry.values()) counts.set(session.transport, (counts.get(session.transport) ?? 0) + 1);
    return counts;
  }

  private countPaused(): number {
    let paused = 0;
    for (const session of this.registry.values()) if (session.flow.paused) paused++;
    return paused;
  }

  private countChildren(): Map<string, number> {
    const counts = new Map<string, number>([['spare', 0], ['running', 0], ['stopping', 0]]);
    for (const child of this.children) {
      if (!child.alive) continue;
      const state = child.stopping ? 'stopping' : this.pool.has(child) || this.preparedPool?.has(child) ? 'spare' : 'running';
      counts.set(state, (counts.get(state) ?? 0) + 1);
    }
    return counts;
  }

  /** The child environment of `principal`'s children: undefined when it has no variables of its own (--principal-env). */
  private envOf(principal: Principal): Record<string, string> | undefined {
    const ownEnv = this.principalEnv.envFor(principal);
    return Object.keys(ownEnv).length > 0 ? { ...this.spec.env, ...ownEnv } : undefined;
  }

  private launch(logger: Logger, env: Record<string, string> | undefined): ChildProcess {
    return (env ? undefined : this.pool.take()) ?? this.spawn(logger, env);
  }

  private spawn(logger: Logger, env?: Record<string, string>): ChildProcess {
    const child = new ChildProcess(env ? { ...this.spec, env } : this.spec, this.childOptions, logger);
    this.children.add(child);
    void child.exited.then(() => this.children.delete(child));
    return child;
  }
}
