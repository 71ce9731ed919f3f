/**
 * The daemon: an HTTP server in front of a session host, with a lifecycle. Shutdown is the fixed
 * sequence of lifecycle.ts: stop admitting sessions, let in-flight requests finish within the drain
 * timeout (a second signal cuts that short), stop every child down the ladder, close the server.
 */
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import type { WireErrorReason } from '../errors/wire.js';
import type { AddressInfo } from 'node:net';
import type { SidecarConfig } from '../config/schema.js';
import { formatDuration } from '../config/duration.js';
import { sendHealth, sendReadiness, type Readiness } from '../http/health.js';
import { closeServer, listenOn, urlOf } from '../http/listen.js';
import { metricsRoute, statusRoute } from '../http/metrics-endpoints.js';
import { createHttpServer, pathOf, type Handler, type Route } from '../http/server.js';
import { contextOf } from '../observability/request-context.js';
import type { Logger } from '../observability/logger.js';
import { checkRebinding, isLoopback } from '../security/dns-rebinding.js';
import { observeRefusals, refuseUpgrade, sendWireError, type RefusalObserver } from '../http/respond.js';
import { SessionHost } from '../session/session-host.js';
import { childSpecFrom, serverNameFrom } from '../supervisor/child-spec.js';
import { SpawnHealth } from '../supervisor/spawn-health.js';
import { handleLegacyMessage } from '../transports/legacy-sse/handle-messages.js';
import { handleLegacyStream } from '../transports/legacy-sse/handle-stream.js';
import { handleStreamableHttp } from '../transports/streamable-http/endpoint.js';
import { WebSocketEndpoint } from '../transports/websocket/handle-upgrade.js';
import { Lifecycle } from './lifecycle.js';

const DRAIN_POLL_MS = 25;
/** The sweep (idle, ttl, probes, request timeouts) runs at least this often, and at a quarter of the shortest of those. */
const MAX_SWEEP_MS = 1000;

export class Daemon {
  readonly lifecycle = new Lifecycle();
  readonly sessions: SessionHost;
  private readonly config: SidecarConfig;
  private readonly logger: Logger;
  private readonly server: Server;
  private readonly webSocket: WebSocketEndpoint | undefined;
  /** A second server for /metrics and /status when --metrics-port is set. */
  private readonly metricsServer: Server | undefined;
  private sweeper: NodeJS.Timeout | undefined;
  private drainCut: (() => void) | undefined;
  private shutdownDone: Promise<void> | undefined;

  constructor(config: SidecarConfig, command: readonly string[], logger: Logger) {
    this.config = config;
    const spec = childSpecFrom(config, command);
    this.logger = logger.child({ server: serverNameFrom(config, command) });
    this.sessions = new SessionHost(config, spec, new SpawnHealth(spec.command, spec.env, spec.cwd), this.logger);
    const context = {
      config,
      sessions: this.sessions,
      logger: this.logger,
      acceptingSessions: () => this.lifecycle.acceptingSessions(),
    };
    const internal: Route[] = [metricsRoute(this.sessions.metrics.registry)];
    if (config.status) internal.push(statusRoute(() => this.sessions.status()));
    this.metricsServer = config.metricsPort === undefined ? undefined : createHttpServer(internal, this.logger);
    const guardRebinding = isLoopback(config.host);
    const guard = (req: IncomingMessage): WireErrorReason | undefined => (guardRebinding ? checkRebinding(req.headers) : undefined);
    /** A client-facing route: refused with 403 before anything else when the rebinding guard says so. */
    const guarded = (path: string, methods: string[], handle: Handler): Route => ({
      path,
      methods,
      handle: (req, res) => {
        const forbidden = guard(req);
        if (forbidden) return sendWireError(res, forbidden);
        return handle(req, res);
      },
    });
    const transports: Route[] = [];
    if (config.path !== null) transports.push(guarded(config.path, ['GET', 'POST', 'DELETE'], (req, res) => handleStreamableHttp(req, res, context)));
    if (config.ssePath !== null) {
      const messagesPath = config.messagesPath;
      transports.push(guarded(config.ssePath, ['GET'], (req, res) => handleLegacyStream(req, res, context, messagesPath)));
      transports.push(guarded(messagesPath, ['POST'], (req, res) => handleLegacyMessage(req, res, context)));
    }
    if (config.wsPath !== null) {
      this.webSocket = new WebSocketEndpoint(context);
      transports.push(guarded(config.wsPath, ['GET'], (_req, res) => sendWireError(res, 'UPGRADE_REQUIRED', { headers: { upgrade: 'websocket' } })));
    }
    this.server = createHttpServer(
      [
        ...transports,
        { path: '/healthz', methods: ['GET', 'HEAD'], handle: (_req, res) => sendHealth(res, this.lifecycle.phase) },
        { path: '/readyz', methods: ['GET', 'HEAD'], handle: (_req, res) => sendReadiness(res, this.readiness()) },
        ...(this.metricsServer ? [] : internal),
      ],
      this.logger,
    );
    const wsPath = config.wsPath;
    this.server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      socket.on('error', (error) => this.logger.debug({ err: error }, 'upgrade socket error'));
      if (this.webSocket && pathOf(req.url) === wsPath) return this.webSocket.upgrade(req, socket, head, () => guard(req));
      refuseUpgrade(socket, 'NOT_FOUND');
    });
    const refused: RefusalObserver = (reason, status, res) => {
      this.sessions.metrics.refused(reason, status);
      this.logger.debug({ reason, status, ...(res ? contextOf(res.req) : {}) }, 'request refused');
    };
    observeRefusals(this.server, refused);
    if (this.metricsServer) observeRefusals(this.metricsServer, refused);
  }

  /** Starts listening; rejects with LISTEN_FAILED (address in use, permission) in one sentence. */
  async listen(): Promise<AddressInfo> {
    const address = await listenOn(this.server, this.config.host, this.config.port);
    this.server.on('error', (error) => this.logger.error({ err: error }, 'http server error'));
    if (this.metricsServer) {
      const metricsAddress = await listenOn(this.metricsServer, this.config.host, this.config.metricsPort ?? 0).catch(async (error: unknown) => {
        await closeServer(this.server);
        throw error;
      });
      this.logger.info({ url: urlOf(metricsAddress, '/metrics'), port: metricsAddress.port }, 'metrics listening');
    }
    this.lifecycle.advance('ready');
    this.sessions.start();
    const { idleTimeoutMs, unusedIdleTimeoutMs, sessionTtlMs, requestTimeoutMs, pingIntervalMs } = this.config;
    const shortest = Math.min(idleTimeoutMs, unusedIdleTimeoutMs, sessionTtlMs, requestTimeoutMs, pingIntervalMs);
    this.sweeper = setInterval(() => this.sweep(), Math.min(MAX_SWEEP_MS, Math.max(20, Math.floor(shortest / 4))));
    this.sweeper.unref();
    this.logger.info(
      {
        address: address.address,
        port: address.port,
        url: urlOf(address, this.config.path ?? this.config.ssePath ?? this.config.wsPath ?? '/'),
        ...(this.config.ssePath !== null ? { sseUrl: urlOf(address, this.config.ssePath) } : {}),
        ...(this.config.wsPath !== null ? { wsUrl: urlOf(address, this.config.wsPath).replace(/^http/, 'ws') } : {}),
        idleTimeout: formatDuration(this.config.idleTimeoutMs),
      },
      'listening',
    );
    return address;
  }

  readiness(): Readiness {
    const phase = this.lifecycle.phase;
    const sessions = this.sessions.registry.size;
    if (phase !== 'ready') return { ready: false, reason: phase === 'starting' ? 'not listening yet' : `shutting down (${phase})`, phase, sessions };
    const problem = this.sessions.spawnHealth.problem();
    return problem ? { ready: false, reason: problem, phase, sessions } : { ready: true, phase, sessions };
  }

  /** Drains and stops. Calling it again while it runs cuts the drain short. */
  shutdown(trigger: string): Promise<void> {
    if (this.shutdownDone) {
      this.logger.warn({ trigger }, 'second shutdown request: cutting the drain short');
      this.drainCut?.();
      return this.shutdownDone;
    }
    this.shutdownDone = this.runShutdown(trigger);
    return this.shutdownDone;
  }

  private async runShutdown(trigger: string): Promise<void> {
    this.lifecycle.advance('draining');
    const registry = this.sessions.registry;
    this.logger.info({ trigger, sessions: registry.size, inFlight: registry.inFlight(), drainTimeout: formatDuration(this.config.drainTimeoutMs) }, 'draining');
    const drained = await this.drain();
    this.lifecycle.advance('stopping');
    this.logger.info({ drained, inFlight: registry.inFlight(), sessions: registry.size }, 'stopping children');
    if (this.sweeper) clearInterval(this.sweeper);
    await this.sessions.stopAll();
    this.webSocket?.close();
    await Promise.all([closeServer(this.server), this.metricsServer ? closeServer(this.metricsServer) : undefined]);
    this.lifecycle.advance('stopped');
    this.logger.info('stopped');
  }

  /** Waits until no request is in flight, the drain timeout passes, or the drain is cut short. */
  private drain(): Promise<boolean> {
    const registry = this.sessions.registry;
    const deadline = Date.now() + this.config.drainTimeoutMs;
    return new Promise((resolve) => {
      const check = (): void => {
        if (registry.inFlight() === 0) return finish(true);
        if (Date.now() >= deadline) return finish(false);
        timer = setTimeout(check, DRAIN_POLL_MS);
      };
      const finish = (drained: boolean): void => {
        clearTimeout(timer);
        this.drainCut = undefined;
        resolve(drained);
      };
      let timer: NodeJS.Timeout | undefined;
      this.drainCut = () => finish(false);
      check();
    });
  }

  private sweep(): void {
    const now = Date.now();
    const { ended, expired } = this.sessions.registry.sweep(now, this.config);
    if (ended > 0 || expired > 0) this.logger.debug({ ended, expired }, 'sweep');
    this.sessions.pool.trim(now);
    if (this.config.pingIntervalMs !== Infinity) this.sessions.pingIdle(now, this.config.pingIntervalMs);
  }
}
