/**
 * Opens sessions and gives them children: a warm spare when the pool has one, a fresh spawn
 * otherwise. Admission (draining, --max-sessions, --memory-max-total) is decided here, before
 * anything is spawned. Every child alive, spare or bound, is known here for the watchdog.
 */
import type { SidecarConfig } from '../config/schema.js';
import type { WireErrorReason } from '../errors/wire.js';
import type { Logger } from '../observability/logger.js';
import { ChildProcess, type ChildOptions, type ChildSpec } from '../supervisor/child-process.js';
import { describeExit } from '../supervisor/exit-record.js';
import { MemoryWatchdog } from '../supervisor/memory-watchdog.js';
import type { RestartPolicy } from '../supervisor/restart-policy.js';
import type { SpawnHealth } from '../supervisor/spawn-health.js';
import { WarmPool } from '../supervisor/warm-pool.js';
import { DEFAULT_HELD_LIMITS } from './held-messages.js';
import { SessionRegistry } from './registry.js';
import { Session, type SessionOptions } from './session.js';
import { newSessionId } from './session-id.js';

export type TransportName = 'streamable-http';

export function restartPolicyFrom(config: SidecarConfig): RestartPolicy {
  return {
    restart: config.restart,
    restartSecMs: config.restartSecMs,
    restartSteps: config.restartSteps,
    restartMaxDelayMs: config.restartMaxDelayMs,
    startLimitBurst: config.startLimitBurst,
    startLimitIntervalMs: config.startLimitIntervalMs,
  };
}

export class SessionHost {
  readonly registry = new SessionRegistry();
  readonly spawnHealth: SpawnHealth;
  readonly pool: WarmPool;
  readonly watchdog: MemoryWatchdog;
  /** Every child alive: spares and those bound to sessions. */
  readonly children = new Set<ChildProcess>();
  private readonly config: SidecarConfig;
  private readonly spec: ChildSpec;
  private readonly childOptions: ChildOptions;
  private readonly sessionOptions: Omit<SessionOptions, 'launch'>;
  private readonly logger: Logger;

  constructor(config: SidecarConfig, spec: ChildSpec, spawnHealth: SpawnHealth, logger: Logger) {
    this.config = config;
    this.spec = spec;
    this.spawnHealth = spawnHealth;
    this.logger = logger;
    this.childOptions = { maxMessageBytes: config.maxMessageBytes, timeoutStopMs: config.timeoutStopMs, killSignal: 'SIGTERM' };
    const restart = restartPolicyFrom(config);
    this.sessionOptions = {
      held: DEFAULT_HELD_LIMITS,
      stderrLinesInErrors: 5,
      maxInFlight: config.maxInFlight,
      restart,
      replayTimeoutMs: Math.min(config.requestTimeoutMs, 60_000),
    };
    this.pool = new WarmPool(() => this.spawn(this.logger), { min: config.poolMin, max: config.poolMax, idleTimeoutMs: config.idleTimeoutMs, backoff: restart }, logger);
    this.watchdog = new MemoryWatchdog(() => this.children, {
      intervalMs: config.watchdogIntervalMs,
      memoryMaxBytes: config.memoryMaxBytes,
      memoryMaxTotalBytes: config.memoryMaxTotalBytes,
    }, logger);
  }

  start(): void {
    this.pool.start();
    this.watchdog.start();
  }

  /** Why a new session cannot be admitted now, or `undefined` when it can. Spawns nothing. */
  refusal(): WireErrorReason | undefined {
    if (this.registry.size >= this.config.maxSessions) return 'SESSION_LIMIT';
    if (this.watchdog.overTotal()) return 'MEMORY_LIMIT';
    return undefined;
  }

  /** A new session with a child of its own. Call only once the opening request is valid and admitted. */
  open(transport: TransportName): Session {
    const id = newSessionId();
    const logger = this.logger.child({ sessionId: id });
    const spare = this.pool.take();
    const session = new Session(id, transport, spare ?? this.spawn(logger), logger, {
      onEnded: (ended, record, why) => {
        this.registry.remove(ended);
        if (!ended.initialized && record.result !== 'shutdown' && record.result !== 'session-end') {
          this.spawnHealth.recordFailure(`the child ${describeExit(record)}`);
        }
        logger.info({ why, restarts: ended.restarts }, 'session closed');
      },
      onInitialized: () => this.spawnHealth.recordSuccess(),
    }, { ...this.sessionOptions, launch: () => this.launch(logger) });
    this.registry.add(session);
    logger.info({ transport, pid: session.pid, warm: spare !== undefined }, 'session opened');
    return session;
  }

  /** Stops the pool and every session's child; resolves when all are gone. */
  async stopAll(): Promise<void> {
    this.watchdog.stop();
    await Promise.all([this.pool.stop(), this.registry.endAll('shutdown')]);
  }

  private launch(logger: Logger): ChildProcess {
    return this.pool.take() ?? this.spawn(logger);
  }

  private spawn(logger: Logger): ChildProcess {
    const child = new ChildProcess(this.spec, this.childOptions, logger);
    this.children.add(child);
    void child.exited.then(() => this.children.delete(child));
    return child;
  }
}
