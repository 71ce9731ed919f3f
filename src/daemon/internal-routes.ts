/**
 * /metrics and /status, and who may read them. Both carry what a DNS-rebinding page must not read
 * (session ids, child pids, stderr lines), so both pass the Host/Origin guard like the transports.
 * On the main port /status needs a token whenever authentication is on and shows a principal its
 * own sessions, unless --status-operators names it; /metrics needs one with --protect-metrics.
 * --metrics-port is the operators' port: /status there shows every session, and both need a token
 * only with --protect-metrics.
 */
import type { Authenticator } from '../auth/authenticator.js';
import { Operators } from '../auth/operators.js';
import type { Principal } from '../auth/principal.js';
import type { SidecarConfig } from '../config/schema.js';
import { metricsRoute, statusRoute } from '../http/metrics-endpoints.js';
import type { Route } from '../http/server.js';
import type { Logger } from '../observability/logger.js';
import { Admission } from '../security/admission.js';
import { isLoopback } from '../security/loopback.js';
import { OriginPolicy } from '../security/origin-policy.js';
import type { Registry } from 'prom-client';
import type { StatusScope } from '../session/status-view.js';
import { admitted } from './routes.js';

export interface InternalRouteOptions {
  config: SidecarConfig;
  /** The daemon's metrics registry. */
  registry: Registry;
  /** What /status shows a reader who sees `scope`'s sessions. */
  status: (scope: StatusScope) => object;
  auth: Authenticator | undefined;
  /** The main port's Host/Origin policy, and its admission (that policy, then the token). */
  origins: OriginPolicy;
  admission: Admission;
  logger: Logger;
}

/** The routes of /metrics (and /status with --status), for the main port or for --metrics-port. */
export function internalRoutes(options: InternalRouteOptions): Route[] {
  return options.config.metricsPort === undefined ? onMainPort(options) : onMetricsPort(options);
}

function onMainPort({ config, registry, status: view, auth, origins, admission, logger }: InternalRouteOptions): Route[] {
  const metricsGuard = config.protectMetrics ? admission : new Admission(origins, undefined, logger);
  const routes = [admitted(metricsGuard, '/metrics', ['GET'], metricsRoute(registry).handle)];
  if (!config.status) return routes;
  const operators = new Operators(config.statusOperators);
  const scopeOf = (reader: Principal): StatusScope => (auth && !operators.includes(reader) ? reader : 'all');
  const status = statusRoute((reader) => view(scopeOf(reader)));
  // Without authentication `admission` checks Host/Origin only, and every reader is anonymous: all.
  return [...routes, admitted(admission, status.path, status.methods, status.handle)];
}

function onMetricsPort({ config, registry, status, auth, origins, logger }: InternalRouteOptions): Route[] {
  // Off loopback, scrapers name this port as service discovery tells them: Host is not checked
  // there, a browser Origin still is. On loopback, rebinding is the threat: the main port's rules.
  const loopback = isLoopback(config.host);
  const portOrigins = loopback ? origins : new OriginPolicy({ loopback, allowedHosts: [], allowedOrigins: config.allowedOrigins, corsOrigins: config.corsOrigins });
  const guard = new Admission(portOrigins, config.protectMetrics ? auth : undefined, logger);
  const internal = [metricsRoute(registry)];
  if (config.status) internal.push(statusRoute(() => status('all')));
  return internal.map((route) => admitted(guard, route.path, route.methods, route.handle));
}
