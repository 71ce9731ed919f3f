/**
 * Opens sessions: one new child per session, bound to it, registered under its key. The one place
 * that decides how a session gets its child (spawned now; a warm spare or a pooled child later).
 */
import type { SidecarConfig } from '../config/schema.js';
import type { Logger } from '../observability/logger.js';
import { ChildProcess, type ChildOptions, type ChildSpec } from '../supervisor/child-process.js';
import { describeExit } from '../supervisor/exit-record.js';
import type { SpawnHealth } from '../supervisor/spawn-health.js';
import { DEFAULT_HELD_LIMITS } from './held-messages.js';
import { SessionRegistry } from './registry.js';
import { Session, type SessionOptions } from './session.js';
import { newSessionId } from './session-id.js';

export type TransportName = 'streamable-http';

export class SessionHost {
  readonly registry = new SessionRegistry();
  readonly spawnHealth: SpawnHealth;
  private readonly spec: ChildSpec;
  private readonly childOptions: ChildOptions;
  private readonly sessionOptions: SessionOptions = { held: DEFAULT_HELD_LIMITS, stderrLinesInErrors: 5 };
  private readonly logger: Logger;

  constructor(config: SidecarConfig, spec: ChildSpec, spawnHealth: SpawnHealth, logger: Logger) {
    this.spec = spec;
    this.spawnHealth = spawnHealth;
    this.logger = logger;
    this.childOptions = {
      maxMessageBytes: config.maxMessageBytes,
      timeoutStopMs: config.timeoutStopMs,
      killSignal: 'SIGTERM',
    };
  }

  /** A new session with a freshly spawned child. Call only once the opening request is valid. */
  open(transport: TransportName): Session {
    const id = newSessionId();
    const logger = this.logger.child({ sessionId: id });
    const child = new ChildProcess(this.spec, this.childOptions, logger);
    const session = new Session(id, transport, child, logger, {
      onEnded: (ended, record) => {
        this.registry.remove(ended);
        if (!ended.initialized && record.result !== 'shutdown' && record.result !== 'session-end') {
          this.spawnHealth.recordFailure(`the child ${describeExit(record)}`);
        }
      },
      onInitialized: () => this.spawnHealth.recordSuccess(),
    }, this.sessionOptions);
    this.registry.add(session);
    logger.info({ transport, pid: child.pid }, 'session opened');
    return session;
  }
}
