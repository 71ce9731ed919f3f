/**
 * The daemon: an HTTP server in front of a session host, with a lifecycle. Shutdown is the fixed
 * sequence of lifecycle.ts: stop admitting sessions, let in-flight requests finish within the drain
 * timeout (a second signal cuts that short), stop every child down the ladder, close the server.
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Server as SecureServer } from 'node:https';
import { Authenticator } from '../auth/authenticator.js';
import { Cors } from '../http/cors.js';
import { TlsFiles } from '../http/tls-files.js';
import { Admission } from '../security/admission.js';
import { OriginPolicy } from '../security/origin-policy.js';
import type { AddressInfo } from 'node:net';
import type { SidecarConfig } from '../config/schema.js';
import { formatDuration } from '../config/duration.js';
import { sendHealth, sendReadiness, type Readiness } from '../http/health.js';
import { closeServer, listenOn, urlOf } from '../http/listen.js';
import { createHttpServer, type ServerOptions } from '../http/server.js';
import { contextOf } from '../observability/request-context.js';
import type { Logger } from '../observability/logger.js';
import { isLoopback } from '../security/loopback.js';
import { observeRefusals, type RefusalObserver } from '../http/respond.js';
import { SessionHost } from '../session/session-host.js';
import { childSpecFrom, serverNameFrom } from '../supervisor/child-spec.js';
import { SpawnHealth } from '../supervisor/spawn-health.js';
import { WebSocketEndpoint } from '../transports/websocket/handle-upgrade.js';
import { internalRoutes } from './internal-routes.js';
import { metadataRoutes, transportRoutes, upgradeHandler } from './routes.js';
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
  private readonly auth: Authenticator | undefined;
  private readonly tls: TlsFiles | undefined;
  /** A second server for /metrics and /status when --metrics-port is set. */
  private readonly metricsServer: Server | undefined;
  private sweeper: NodeJS.Timeout | undefined;
  private drainCut: (() => void) | undefined;
  private shutdownDone: Promise<void> | undefined;

  /** Throws `SidecarError` (`CONFIG_INVALID`) when a token, policy or TLS file is bad. */
  constructor(config: SidecarConfig, command: readonly string[], logger: Logger) {
    this.config = config;
    const spec = childSpecFrom(config, command);
    this.logger = logger.child({ server: serverNameFrom(config, command) });
    this.sessions = new SessionHost(config, spec, new SpawnHealth(spec.command, spec.env, spec.cwd), this.logger);
    this.auth = Authenticator.fromConfig(config, this.logger, this.sessions.metrics);
    const context = {
      config,
      sessions: this.sessions,
      logger: this.logger,
      acceptingSessions: () => this.lifecycle.acceptingSessions(),
      ...(this.auth ? { credentials: this.auth.connections } : {}),
    };
    const origins = new OriginPolicy({ loopback: isLoopback(config.host), allowedHosts: config.allowedHosts, allowedOrigins: config.allowedOrigins, corsOrigins: config.corsOrigins });
    const admission = new Admission(origins, this.auth, this.logger);
    this.tls = config.tlsCert !== undefined && config.tlsKey !== undefined ? new TlsFiles(config.tlsCert, config.tlsKey) : undefined;
    const serverOptions: ServerOptions = {
      ...(this.tls ? { tls: this.tls.read() } : {}),
      cors: new Cors(config.corsOrigins),
      headersTimeoutMs: config.headersTimeoutMs,
      receiveTimeoutMs: config.receiveTimeoutMs,
      maxConnections: config.maxConnections,
      maxBodyBytes: config.maxBodyBytes,
    };

    const guardedInternal = internalRoutes({ config, sessions: this.sessions, auth: this.auth, origins, admission, logger: this.logger });
    this.metricsServer = config.metricsPort === undefined ? undefined : createHttpServer(guardedInternal, this.logger, serverOptions);
    this.webSocket = config.wsPath !== false ? new WebSocketEndpoint(context) : undefined;
    this.server = createHttpServer(
      [
        ...transportRoutes(context, admission, this.webSocket),
        ...metadataRoutes(this.auth?.resourceMetadata, this.auth?.metadataPaths ?? []),
        { path: '/healthz', methods: ['GET', 'HEAD'], handle: (_req, res) => sendHealth(res, this.lifecycle.phase) },
        { path: '/readyz', methods: ['GET', 'HEAD'], handle: (_req, res) => sendReadiness(res, this.readiness()) },
        ...(this.metricsServer ? [] : guardedInternal),
      ],
      this.logger,
      serverOptions,
    );
    const serve = (req: IncomingMessage, res: ServerResponse): void => void this.server.emit('request', req, res);
    this.server.on('upgrade', upgradeHandler(admission, this.webSocket, config.wsPath, serve, this.logger));
    const refused: RefusalObserver = (reason, status, res) => {
      this.sessions.metrics.refused(reason, status);
      this.logger.debug({ reason, status, ...(res ? contextOf(res.req) : {}) }, 'request refused');
    };
    for (const server of [this.server, this.metricsServer]) {
      if (!server) continue;
      observeRefusals(server, refused);
      server.on('drop', () => {
        this.sessions.metrics.connectionDropped();
        this.logger.warn({ maxConnections: config.maxConnections }, 'connection dropped: --max-connections are open');
      });
    }
  }

  /** SIGHUP: re-reads the token file, the tool policy, the per-principal environments and the TLS files. */
  reload(): void {
    this.logger.info('SIGHUP: reloading');
    this.auth?.reload();
    this.sessions.reload();
    if (!this.tls) return;
    try {
      const context = this.tls.read();
      for (const server of [this.server, this.metricsServer]) (server as unknown as SecureServer | undefined)?.setSecureContext(context);
      this.logger.info('TLS certificate reloaded');
    } catch (error) {
      this.logger.error({ err: (error as Error).message }, 'TLS certificate not reloaded; the previous one stays in use');
    }
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
        url: urlOf(address, this.config.path || this.config.ssePath || this.config.wsPath || '/', this.tls ? 'https' : 'http'),
        ...(this.config.ssePath !== false ? { sseUrl: urlOf(address, this.config.ssePath, this.tls ? 'https' : 'http') } : {}),
        ...(this.config.wsPath !== false ? { wsUrl: urlOf(address, this.config.wsPath, this.tls ? 'wss' : 'ws') } : {}),
        ...(this.auth ? { auth: true } : {}),
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
    // A call waiting for its client's input may wait for a person: it is not let hold the drain.
    this.sessions.heldCalls.expireAll('the daemon is shutting down');
    const registry = this.sessions.registry;
    this.logger.info({ trigger, sessions: registry.size, inFlight: registry.inFlight(), drainTimeout: formatDuration(this.config.drainTimeoutMs) }, 'draining');
    this.sessions.listens.endAll(); // Each listen stream gets its complete response: the subscription ended, not the network.
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
    this.sessions.requests.prune();
    if (this.config.pingIntervalMs !== Infinity) this.sessions.pingIdle(now, this.config.pingIntervalMs);
  }
}
