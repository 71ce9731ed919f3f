/**
 * Every configuration key, once: its flag, its environment variable, its default, how it parses and
 * what it accepts. The CLI (`--help` included) and the README's option table are produced from this
 * list, so a key cannot be documented in one place and behave differently in another.
 */
import { formatDuration } from './duration.js';
import { CORE_OPTIONS } from './options-core.js';
import { INPUT_OPTIONS } from './options-input.js';
import { SECURITY_OPTIONS } from './options-security.js';
import { STREAM_OPTIONS } from './options-streams.js';
import { formatSize } from './size.js';
import type { RestartPolicy } from '../supervisor/restart-policy.js';

import type { Isolation, LogLevel } from './parsers.js';

export { ISOLATION_MODES, LOG_LEVELS, type Isolation, type LogLevel } from './parsers.js';

/**
 * The daemon's settled configuration; every duration is in milliseconds, every size in bytes. The
 * restart policy's keys are options of their own, so the config is the policy.
 */
export interface SidecarConfig extends RestartPolicy {
  host: string;
  port: number;
  /** `false`: that transport is off. */
  path: string | false;
  cwd: string | undefined;
  env: Record<string, string>;
  passEnv: string[];
  name: string | undefined;
  instanceId: string;
  idleTimeoutMs: number;
  drainTimeoutMs: number;
  timeoutStopMs: number;
  maxBodyBytes: number;
  maxMessageBytes: number;
  logLevel: LogLevel;
  poolMin: number;
  poolMax: number;
  leasePoolMin: number;
  /** Who shares a child (session/isolation.ts). */
  isolation: Isolation;
  maxSessions: number;
  sessionTtlMs: number;
  unusedIdleTimeoutMs: number;
  requestTimeoutMs: number;
  maxInFlight: number;
  watchdogIntervalMs: number;
  memoryMaxBytes: number;
  memoryMaxTotalBytes: number;
  metricsPort: number | undefined;
  status: boolean;
  logToolArgs: boolean;
  pingIntervalMs: number;
  ssePath: string | false;
  messagesPath: string;
  wsPath: string | false;
  sseKeepaliveMs: number;
  sseRetryMs: number;
  resumeTimeoutMs: number;
  eventStoreMaxEvents: number;
  eventStoreMaxBytes: number;
  streamBufferBytes: number;
  cacheTtlMs: number;
  serverEra: 'auto' | 'legacy';
  cacheScope: 'private' | 'public';
  clientBufferBudgetBytes: number;
  inputRequiredTimeoutMs: number;
  maxInputRequired: number;
  maxInputRequiredPerPrincipal: number;
  inputRequiredKeyFile: string | undefined;
  slowClientTimeoutMs: number;
  wsPingIntervalMs: number;
  authTokensFile: string | undefined;
  authTokens: string | undefined;
  resourceUrl: string | undefined;
  authorizationServers: string[];
  jwtIssuer: string | undefined;
  jwksUrl: string | undefined;
  requiredScopes: string[];
  protectMetrics: boolean;
  statusOperators: string[];
  maxSessionsPerPrincipal: number;
  rateLimit: Rate | undefined;
  toolRateLimit: Rate | undefined;
  maxConcurrentPerPrincipal: number;
  toolPolicy: string | undefined;
  principalEnv: string | undefined;
  allowedHosts: string[];
  allowedOrigins: string[];
  corsOrigins: string[];
  headersTimeoutMs: number;
  receiveTimeoutMs: number;
  maxConnections: number;
  tlsCert: string | undefined;
  tlsKey: string | undefined;
}


/**
 * Where an option applies: `daemon`, the process (listen address, auth, TLS, metrics); `server`,
 * each stdio server it runs (children, pool, limits, policy). In a config file the first go in the
 * `sidecar` section, the second in each server's entry (or in `sidecar` as every server's default).
 */
export type OptionScope = 'daemon' | 'server';

/** A sustained rate with its burst: `10/s` is 10 per second, bursts of 10. */
export interface Rate {
  perSecond: number;
  burst: number;
  text: string;
}

export interface OptionSpec {
  key: keyof SidecarConfig;
  scope: OptionScope;
  /** Commander flag syntax, e.g. `--port <number>`. */
  flags: string;
  env: string;
  description: string;
  default: SidecarConfig[keyof SidecarConfig];
  /** How the default reads in help and docs. */
  defaultText: string;
  /** What the option accepts, said in every error about it. */
  accepts: string;
  /** The values accepted, when they are a fixed set of words (the JSON Schema's `enum`). */
  choices?: readonly string[];
  /** The parsed value, or `undefined` when `raw` is not acceptable. */
  parse(raw: string, previous: unknown): unknown;
}

/** In the order --help and the README list them. */
export const OPTIONS: readonly OptionSpec[] = [...CORE_OPTIONS, ...STREAM_OPTIONS, ...INPUT_OPTIONS, ...SECURITY_OPTIONS];

/**
 * Applies the rules between options to a parsed config: fills what defaults to another option
 * (--pool-max to --pool-min) and returns a sentence naming the options and values when a rule is
 * broken.
 */
export function settleConfig(config: SidecarConfig): string | undefined {
  if (config.poolMax !== 0 && config.poolMax < config.poolMin) {
    return `option '--pool-max' value ${config.poolMax} is below --pool-min ${config.poolMin}. Expected at least ${config.poolMin}.`;
  }
  if (config.poolMax === 0) config.poolMax = config.poolMin;
  const paths: [string, string | false][] = [['--path', config.path], ['--sse-path', config.ssePath], ['--ws-path', config.wsPath]];
  const served = paths.filter((entry) => entry[1] !== false);
  if (served.length === 0) return `options '--path', '--sse-path' and '--ws-path' are all off. Expected at least one transport.`;
  // Node wants the headers' deadline within the whole request's: a shorter --receive-timeout bounds both.
  if (config.headersTimeoutMs > config.receiveTimeoutMs) config.headersTimeoutMs = config.receiveTimeoutMs;
  if ((config.tlsCert === undefined) !== (config.tlsKey === undefined)) {
    return `options '--tls-cert' and '--tls-key' go together. Expected both or neither.`;
  }
  if (config.jwksUrl !== undefined && config.resourceUrl === undefined) {
    return `option '--jwks-url' needs --resource-url: the audience JWTs must name. Expected --resource-url too.`;
  }
  if (config.jwksUrl !== undefined && config.jwtIssuer === undefined) {
    const [first] = config.authorizationServers;
    if (first === undefined) return `option '--jwks-url' needs --jwt-issuer or --authorization-server. Expected one of them.`;
    config.jwtIssuer = first;
  }
  if (config.ssePath !== false) served.push(['--messages-path', config.messagesPath]);
  for (const [index, [flag, value]] of served.entries()) {
    const earlier = served.slice(0, index).find((entry) => entry[1] === value);
    if (earlier) return `option '${flag}' value ${value} is also ${earlier[0]}. Expected a path of its own.`;
  }
  if (config.statusOperators.length > 0 && !authConfigured(config)) {
    return `option '--status-operators' needs authentication: without it everyone sees every session. Expected --auth-tokens, --auth-tokens-file or --jwks-url too.`;
  }
  if (config.resumeTimeoutMs < config.sseRetryMs) {
    return `option '--resume-timeout' value ${formatDuration(config.resumeTimeoutMs)} is below --sse-retry ${formatDuration(config.sseRetryMs)}: a client told to wait that long would find its stream gone. Expected at least ${formatDuration(config.sseRetryMs)}.`;
  }
  if (config.isolation === 'shared' && config.principalEnv !== undefined) {
    return `option '--isolation' value shared cannot go with --principal-env: one child for everyone cannot carry each principal's variables. Expected --isolation principal (a child per principal, with its variables) or session.`;
  }
  if (config.metricsPort !== undefined && config.metricsPort !== 0 && config.metricsPort === config.port) {
    return `option '--metrics-port' value ${config.metricsPort} is the main port. Expected another port, or leave it unset to serve metrics on the main port.`;
  }
  return undefined;
}

/** Whether any authentication is configured (static tokens or JWTs): callers are then principals of their own. */
export function authConfigured(config: Pick<SidecarConfig, 'authTokensFile' | 'authTokens' | 'jwksUrl'>): boolean {
  return config.authTokensFile !== undefined || config.authTokens !== undefined || config.jwksUrl !== undefined;
}

/** The defaults as a config, for tests and embedding. */
export function defaultConfig(): SidecarConfig {
  const config: Record<string, unknown> = {};
  for (const option of OPTIONS) config[option.key] = option.default;
  return config as unknown as SidecarConfig;
}

export { formatDuration, formatSize };
