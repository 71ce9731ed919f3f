/**
 * One generation of one named server: its session host (children, pool, limits, restart policy,
 * watchdog), its transports at its own paths, its readiness and its logger bound to `server`. A
 * reload that changes a server's definition starts a new generation beside the old one; the old
 * one keeps its sessions (and their children) until they end.
 *
 * Phases: serving → retiring (a newer generation takes new sessions; spares stopped) or draining
 * (the server was removed) → stopped.
 */
import type { IncomingMessage } from 'node:http';
import { Authenticator } from '../auth/authenticator.js';
import { WELL_KNOWN_SUFFIX, wellKnownMetadataPath } from '../auth/protected-resource.js';
import type { ServerPlan } from '../config/plan.js';
import { sendJson } from '../http/respond.js';
import type { Route } from '../http/server.js';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import { Admission } from '../security/admission.js';
import type { OriginPolicy } from '../security/origin-policy.js';
import { SessionHost } from '../session/session-host.js';
import { childSpecFrom } from '../supervisor/child-spec.js';
import { SpawnHealth } from '../supervisor/spawn-health.js';
import type { TransportContext } from '../transports/shared/transport-context.js';
import { WebSocketEndpoint } from '../transports/websocket/handle-upgrade.js';
import { metadataRoutes, transportRoutes } from './routes.js';

export type UnitPhase = 'serving' | 'retiring' | 'draining' | 'stopped';

/** What every server of a daemon shares. */
export interface UnitShared {
  metrics: Metrics;
  /** The daemon's logger; a file's server logs through a child bound to its name. */
  logger: Logger;
  origins: OriginPolicy;
  /** False while the daemon drains or stops. */
  acceptingSessions(): boolean;
  /** The command line's authenticator; a file's server has its own, for its own audience. */
  daemonAuth: Authenticator | undefined;
}

export class ServerUnit {
  readonly name: string;
  readonly plan: ServerPlan;
  readonly logger: Logger;
  readonly host: SessionHost;
  readonly auth: Authenticator | undefined;
  readonly admission: Admission;
  readonly webSocket: WebSocketEndpoint | undefined;
  /** This generation's paths: its transports, its metadata and (from a file) `/<name>/readyz`. */
  readonly routes = new Map<string, Route>();
  private current: UnitPhase = 'serving';
  private readonly shared: UnitShared;
  private stopped: Promise<void> | undefined;

  /** Throws `SidecarError` (`CONFIG_INVALID`) when its token, policy or environment files are bad. */
  constructor(plan: ServerPlan, shared: UnitShared) {
    this.name = plan.name;
    this.plan = plan;
    this.shared = shared;
    const fromFile = plan.prefix !== '';
    this.logger = fromFile ? shared.logger.child({ server: plan.name }) : shared.logger;
    const spec = childSpecFrom(plan.config, plan.command);
    this.host = new SessionHost(plan.config, spec, new SpawnHealth(spec.command, spec.env, spec.cwd), this.logger, { metrics: shared.metrics, server: plan.name });
    this.auth = fromFile ? Authenticator.fromConfig(plan.config, this.logger, shared.metrics) : shared.daemonAuth;
    this.admission = new Admission(shared.origins, this.auth, this.logger);
    const context: TransportContext = {
      config: plan.config,
      sessions: this.host,
      logger: this.logger,
      acceptingSessions: () => this.current === 'serving' && shared.acceptingSessions(),
      ...(this.auth ? { credentials: this.auth.connections } : {}),
    };
    this.webSocket = plan.config.wsPath !== false ? new WebSocketEndpoint(context) : undefined;
    const metadataPaths = fromFile ? this.fileMetadataPaths() : (this.auth?.metadataPaths ?? []);
    const routes = [...transportRoutes(context, this.admission, this.webSocket), ...metadataRoutes(this.auth?.resourceMetadata, metadataPaths)];
    if (fromFile) routes.push({ path: `${plan.prefix}/readyz`, methods: ['GET', 'HEAD'], handle: (_req, res) => this.sendReadiness(res) });
    for (const route of routes) this.routes.set(route.path, route);
  }

  get phase(): UnitPhase {
    return this.current;
  }

  start(): void {
    this.host.start();
  }

  /** Requests in flight on this generation's sessions. */
  get inFlight(): number {
    return this.host.registry.inFlight();
  }

  get sessionCount(): number {
    return this.host.registry.size;
  }

  /** Whether `req` (on `path`) names a live session of this generation. */
  holdsSessionOf(req: IncomingMessage, path: string): boolean {
    const id = this.sessionIdIn(req, path);
    return id !== undefined && this.host.registry.get(id) !== undefined;
  }

  /** Why this server cannot start a working child now, or `undefined` when it can. */
  problem(): string | undefined {
    if (this.current !== 'serving') return `server ${this.current}`;
    if (!this.shared.acceptingSessions()) return 'the daemon is not taking sessions';
    return this.host.spawnHealth.problem();
  }

  /** A newer generation takes new sessions: this one keeps its sessions, not its spares. */
  retire(): void {
    if (this.current !== 'serving') return;
    this.current = 'retiring';
    void this.host.pool.stop();
    void this.host.preparedPool?.stop();
  }

  /** Removed from the file: no new sessions; its sessions' requests finish within the drain. */
  drain(): void {
    if (this.current === 'stopped') return;
    this.current = 'draining';
    void this.host.pool.stop();
    void this.host.preparedPool?.stop();
    this.endWaiting('the server is being removed');
  }

  /**
   * Ends what waits on clients rather than on children, so a drain is not held by someone who may
   * never come back: calls held for input (their questions declined, the calls cancelled) and
   * listen streams (each gets its complete response: the subscription ended, not the network).
   */
  endWaiting(detail: string): void {
    this.host.heldCalls.expireAll(detail);
    this.host.listens.endAll();
  }

  /** Stops every child down the ladder; the same promise to every caller. */
  stop(): Promise<void> {
    this.stopped ??= (async () => {
      this.current = 'stopped';
      await this.host.stopAll();
      this.webSocket?.close();
      this.host.metrics.dispose();
    })();
    return this.stopped;
  }

  /** Idle, expired and timed-out sessions end; spares trimmed; idle children pinged. */
  sweep(now: number): void {
    const config = this.plan.config;
    const { ended, expired } = this.host.registry.sweep(now, config);
    if (ended > 0 || expired > 0) this.logger.debug({ ended, expired }, 'sweep');
    this.host.pool.trim(now);
    this.host.requests.prune();
    if (config.pingIntervalMs !== Infinity) this.host.pingIdle(now, config.pingIntervalMs);
  }

  /** The session id `req` carries: Streamable HTTP's header, or legacy SSE's `?sessionId=`. */
  private sessionIdIn(req: IncomingMessage, path: string): string | undefined {
    const config = this.plan.config;
    if (path === config.path) {
      const header = req.headers['mcp-session-id'];
      return typeof header === 'string' ? header : undefined;
    }
    if (config.ssePath !== false && path === config.messagesPath) {
      return new URL(req.url ?? '/', 'http://localhost').searchParams.get('sessionId') ?? undefined;
    }
    return undefined;
  }

  /**
   * RFC 9728 for this server's own resource (`<resource URL>/<name>`): the path its 401
   * challenges name, the forms clients derive from each transport URL, and the suffix form under
   * the server's prefix. Never the root form: that would name no server's audience.
   */
  private fileMetadataPaths(): string[] {
    const resource = this.plan.config.resourceUrl;
    if (resource === undefined || !this.auth?.resourceMetadata) return [];
    const { path, ssePath, wsPath } = this.plan.config;
    const transports = [path, ssePath, wsPath].filter((value): value is string => value !== false);
    return [...new Set([wellKnownMetadataPath(resource), ...transports.map((value) => `${WELL_KNOWN_SUFFIX}${value}`), `${this.plan.prefix}${WELL_KNOWN_SUFFIX}`])];
  }

  private sendReadiness(res: Parameters<Route['handle']>[1]): void {
    const problem = this.problem();
    const sessions = this.sessionCount;
    const body = problem === undefined ? { status: 'ready', server: this.name, sessions } : { status: 'not-ready', server: this.name, reason: problem, sessions };
    sendJson(res, problem === undefined ? 200 : 503, JSON.stringify(body));
  }
}
