/**
 * The daemon: an HTTP server in front of its servers (the command line's one, or a config file's
 * named ones, server-slots.ts), with a lifecycle. Shutdown is the fixed sequence of lifecycle.ts:
 * stop admitting sessions, let in-flight requests finish within the drain timeout (a second
 * signal cuts that short), stop every child down the ladder, close the server. SIGHUP re-reads
 * the token file, tool policies, per-principal environments, TLS files and the config file
 * (reload-servers.ts).
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Server as SecureServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { Authenticator } from '../auth/authenticator.js';
import type { LoadResult } from '../config/config-file.js';
import { formatDuration } from '../config/duration.js';
import type { DaemonPlan } from '../config/plan.js';
import { SidecarError } from '../errors/local.js';
import type { SidecarConfig } from '../config/schema.js';
import { Cors } from '../http/cors.js';
import { sendHealth, sendReadiness, type Readiness } from '../http/health.js';
import { closeServer, listenOn, urlOf } from '../http/listen.js';
import { observeRefusals, type RefusalObserver } from '../http/respond.js';
import { createHttpServer, type Route, type ServerOptions } from '../http/server.js';
import { TlsFiles } from '../http/tls-files.js';
import type { Logger } from '../observability/logger.js';
import { Metrics } from '../observability/metrics.js';
import { contextOf } from '../observability/request-context.js';
import { Admission } from '../security/admission.js';
import { isLoopback } from '../security/loopback.js';
import { OriginPolicy } from '../security/origin-policy.js';
import { drainRequests } from './drain.js';
import { internalRoutes } from './internal-routes.js';
import { Lifecycle } from './lifecycle.js';
import { reloadServers } from './reload-servers.js';
import { upgradeHandler } from './routes.js';
import { ServerSlots } from './server-slots.js';
import { ServerUnit, type UnitShared } from './server-unit.js';
import { readinessOf, statusOf } from './server-views.js';

/** The sweep (idle, ttl, probes, request timeouts) runs at least this often, and at a quarter of the shortest of those. */
const MAX_SWEEP_MS = 1000;

export interface DaemonOptions {
  /** Reads the config file again (SIGHUP), keeping the daemon-wide values `running`; absent for the command line. */
  reread?: (running: SidecarConfig) => LoadResult;
}

export class Daemon {
  readonly lifecycle = new Lifecycle();
  readonly metrics: Metrics;
  readonly slots: ServerSlots;
  readonly config: SidecarConfig;
  private readonly fromFile: boolean;
  private readonly logger: Logger;
  private readonly shared: UnitShared;
  private readonly reread: DaemonOptions['reread'];
  private readonly server: Server;
  private readonly auth: Authenticator | undefined;
  private readonly tls: TlsFiles | undefined;
  /** A second server for /metrics and /status when --metrics-port is set. */
  private readonly metricsServer: Server | undefined;
  private sweeper: NodeJS.Timeout | undefined;
  private drainCut: (() => void) | undefined;
  private shutdownDone: Promise<void> | undefined;

  /** Throws `SidecarError` (`CONFIG_INVALID`) when a token, policy or TLS file is bad. */
  constructor(plan: DaemonPlan, logger: Logger, options: DaemonOptions = {}) {
    const config = plan.config;
    this.config = config;
    this.fromFile = plan.file !== undefined;
    this.reread = options.reread;
    // The command line's daemon speaks for its one server: every line carries its name.
    this.logger = this.fromFile ? logger : logger.child({ server: plan.servers[0]?.name });
    this.metrics = new Metrics({ serverLabel: this.fromFile });
    this.auth = where(plan, 'sidecar', () => Authenticator.fromConfig(config, this.logger, this.metrics));
    const origins = new OriginPolicy({ loopback: isLoopback(config.host), allowedHosts: config.allowedHosts, allowedOrigins: config.allowedOrigins, corsOrigins: config.corsOrigins });
    const admission = new Admission(origins, this.auth, this.logger);
    this.tls = config.tlsCert !== undefined && config.tlsKey !== undefined ? new TlsFiles(config.tlsCert, config.tlsKey) : undefined;
    const serverOptions: ServerOptions = {
      ...(this.tls ? { tls: where(plan, 'sidecar', () => (this.tls as TlsFiles).read()) } : {}),
      cors: new Cors(config.corsOrigins),
      headersTimeoutMs: config.headersTimeoutMs,
      receiveTimeoutMs: config.receiveTimeoutMs,
      maxConnections: config.maxConnections,
      maxBodyBytes: config.maxBodyBytes,
    };
    this.shared = { metrics: this.metrics, logger: this.logger, origins, acceptingSessions: () => this.lifecycle.acceptingSessions(), daemonAuth: this.auth };
    const status = (scope: Parameters<typeof statusOf>[2]): object => statusOf(this.slots, this.fromFile, scope);
    const guardedInternal = internalRoutes({ config, registry: this.metrics.registry, status, auth: this.auth, origins, admission, logger: this.logger });
    this.metricsServer = config.metricsPort === undefined ? undefined : createHttpServer(guardedInternal, this.logger, serverOptions);
    const daemonRoutes: Route[] = [
      { path: '/healthz', methods: ['GET', 'HEAD'], handle: (_req, res) => sendHealth(res, this.lifecycle.phase) },
      { path: '/readyz', methods: ['GET', 'HEAD'], handle: (_req, res) => sendReadiness(res, this.readiness()) },
      ...(this.metricsServer ? [] : guardedInternal),
    ];
    this.slots = new ServerSlots(daemonRoutes);
    for (const server of plan.servers) this.slots.install(where(plan, server.origin ?? server.name, () => new ServerUnit(server, this.shared)));
    this.server = createHttpServer(this.slots.table, this.logger, serverOptions);
    const serve = (req: IncomingMessage, res: ServerResponse): void => void this.server.emit('request', req, res);
    this.server.on('upgrade', upgradeHandler((req) => this.slots.upgradeTarget(req), serve, this.logger));
    const refused: RefusalObserver = (reason, status, res) => {
      this.metrics.refused(reason, status);
      this.logger.debug({ reason, status, ...(res ? contextOf(res.req) : {}) }, 'request refused');
    };
    for (const server of [this.server, this.metricsServer]) {
      if (!server) continue;
      observeRefusals(server, refused);
      server.on('drop', () => {
        this.metrics.connectionDropped();
        this.logger.warn({ maxConnections: config.maxConnections }, 'connection dropped: --max-connections are open');
      });
    }
  }

  /**
   * SIGHUP: the config file first (a broken one changes nothing), then the token file, each
   * server's tool policy and per-principal environments, and the TLS files.
   */
  reload(): void {
    this.logger.info('SIGHUP: reloading');
    if (this.reread && this.lifecycle.phase === 'ready') {
      const outcome = reloadServers(this.slots, this.reread(this.config), { shared: this.shared, logger: this.logger, drainTimeoutMs: this.config.drainTimeoutMs });
      if (outcome.changed) this.startSweeper();
    }
    this.auth?.reload();
    for (const unit of this.slots.units()) {
      if (unit.auth !== this.auth) unit.auth?.reload();
      unit.host.reload();
    }
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
    for (const unit of this.slots.units()) unit.start();
    this.startSweeper();
    this.logger.info({ address: address.address, port: address.port, ...this.urls(address), ...(this.auth ? { auth: true } : {}) }, 'listening');
    return address;
  }

  readiness(): Readiness {
    return readinessOf(this.lifecycle.phase, this.slots, this.fromFile);
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

  private inFlight(): number {
    return this.slots.units().reduce((sum, unit) => sum + unit.inFlight, 0);
  }

  private sessionCount(): number {
    return this.slots.units().reduce((sum, unit) => sum + unit.sessionCount, 0);
  }

  private async runShutdown(trigger: string): Promise<void> {
    this.lifecycle.advance('draining');
    this.logger.info({ trigger, sessions: this.sessionCount(), inFlight: this.inFlight(), drainTimeout: formatDuration(this.config.drainTimeoutMs) }, 'draining');
    for (const unit of this.slots.units()) unit.endWaiting('the daemon is shutting down');
    const drain = drainRequests(() => this.inFlight(), this.config.drainTimeoutMs);
    this.drainCut = drain.cut;
    const drained = await drain.done;
    this.drainCut = undefined;
    this.lifecycle.advance('stopping');
    this.logger.info({ drained, inFlight: this.inFlight(), sessions: this.sessionCount() }, 'stopping children');
    if (this.sweeper) clearInterval(this.sweeper);
    await Promise.all(this.slots.units().map((unit) => unit.stop()));
    await Promise.all([closeServer(this.server), this.metricsServer ? closeServer(this.metricsServer) : undefined]);
    this.lifecycle.advance('stopped');
    this.logger.info('stopped');
  }

  /** The sweep runs at a quarter of the shortest timeout of any server, at least every second. */
  private startSweeper(): void {
    if (this.sweeper) clearInterval(this.sweeper);
    const timeouts = this.slots.units().flatMap(({ plan: { config } }) => [config.idleTimeoutMs, config.unusedIdleTimeoutMs, config.sessionTtlMs, config.requestTimeoutMs, config.pingIntervalMs]);
    const shortest = Math.min(...timeouts);
    this.sweeper = setInterval(() => this.sweep(), Math.min(MAX_SWEEP_MS, Math.max(20, Math.floor(shortest / 4))));
    this.sweeper.unref();
  }

  private sweep(): void {
    const now = Date.now();
    for (const unit of this.slots.units()) {
      unit.sweep(now);
      // An older generation whose last session ended has nothing left to serve.
      if (unit.phase === 'retiring' && unit.sessionCount === 0) {
        void unit.stop().then(() => {
          this.slots.forget(unit);
          unit.logger.info('previous definition retired: its last session ended');
        });
      }
    }
  }

  private urls(address: AddressInfo): Record<string, unknown> {
    const scheme = this.tls ? 'https' : 'http';
    const ws = this.tls ? 'wss' : 'ws';
    const endpoints = (config: SidecarConfig): Record<string, string> => ({
      url: urlOf(address, config.path || config.ssePath || config.wsPath || '/', scheme),
      ...(config.ssePath !== false ? { sseUrl: urlOf(address, config.ssePath, scheme) } : {}),
      ...(config.wsPath !== false ? { wsUrl: urlOf(address, config.wsPath, ws) } : {}),
    });
    const units = this.slots.units();
    if (!this.fromFile && units[0]) return { ...endpoints(units[0].plan.config), idleTimeout: formatDuration(units[0].plan.config.idleTimeoutMs) };
    return { url: urlOf(address, '/', scheme), servers: Object.fromEntries(units.map((unit) => [unit.name, endpoints(unit.plan.config)])) };
  }
}

/** `build()`; from a config file, an error about a file it reads names where the config file names it. */
function where<T>(plan: DaemonPlan, origin: string, build: () => T): T {
  try {
    return build();
  } catch (error) {
    if (plan.file === undefined || !(error instanceof SidecarError)) throw error;
    throw new SidecarError(error.code, `${plan.file}: ${origin}: ${error.message}`);
  }
}
