/**
 * Every configuration key, once: its flag, its environment variable, its default, how it parses and
 * what it accepts. The CLI (`--help` included) and the README's option table are produced from this
 * list, so a key cannot be documented in one place and behave differently in another.
 */
import { DURATION_FORMAT, formatDuration, parseDuration } from './duration.js';
import { SIZE_FORMAT, formatSize, parseSize } from './size.js';
import { RESTART_MODES, type RestartPolicy } from '../supervisor/restart-policy.js';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

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
  idleTimeoutMs: number;
  drainTimeoutMs: number;
  timeoutStopMs: number;
  maxBodyBytes: number;
  maxMessageBytes: number;
  logLevel: LogLevel;
  poolMin: number;
  poolMax: number;
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
  eventStoreMaxEvents: number;
  eventStoreMaxBytes: number;
  streamBufferBytes: number;
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

/** A sustained rate with its burst: `10/s` is 10 per second, bursts of 10. */
export interface Rate {
  perSecond: number;
  burst: number;
  text: string;
}

export interface OptionSpec {
  key: keyof SidecarConfig;
  /** Commander flag syntax, e.g. `--port <number>`. */
  flags: string;
  env: string;
  description: string;
  default: SidecarConfig[keyof SidecarConfig];
  /** How the default reads in help and docs. */
  defaultText: string;
  /** What the option accepts, said in every error about it. */
  accepts: string;
  /** The parsed value, or `undefined` when `raw` is not acceptable. */
  parse(raw: string, previous: unknown): unknown;
}

function positiveDuration(raw: string): number | undefined {
  const ms = parseDuration(raw);
  return ms !== undefined && ms > 0 ? ms : undefined;
}

function port(raw: string): number | undefined {
  const value = Number(raw);
  return /^\d+$/.test(raw.trim()) && value <= 65535 ? value : undefined;
}

const PATH_FORMAT = 'a path starting with / (no query, no spaces)';

function path(raw: string): string | undefined {
  return /^\/[^\s?#]*$/.test(raw) ? raw : undefined;
}

/** A path, or `false` for off (`undefined` means "not acceptable", and commander turns `null` into ''). */
function pathOrOff(raw: string): string | false | undefined {
  return raw.trim().toLowerCase() === 'off' ? false : path(raw);
}

function positive(value: number | undefined): number | undefined {
  return value !== undefined && value > 0 ? value : undefined;
}

function sizeOrInfinity(raw: string): number | undefined {
  return raw.trim().toLowerCase() === 'infinity' ? Infinity : parseSize(raw);
}

function count(min: number) {
  return (raw: string): number | undefined => {
    const value = Number(raw);
    return /^\d+$/.test(raw.trim()) && Number.isSafeInteger(value) && value >= min ? value : undefined;
  };
}

const TRUE = new Set(['true', '1', 'yes', 'on']);
const FALSE = new Set(['false', '0', 'no', 'off']);

function bool(raw: string): boolean | undefined {
  const lower = raw.trim().toLowerCase();
  return TRUE.has(lower) ? true : FALSE.has(lower) ? false : undefined;
}

function envPairs(raw: string, previous: unknown): Record<string, string> | undefined {
  // Repeated flags accumulate; the environment variable holds one pair per line.
  const pairs: Record<string, string> = { ...(previous as Record<string, string>) };
  for (const line of raw.split('\n')) {
    if (line.trim() === '') continue;
    const eq = line.indexOf('=');
    if (eq <= 0) return undefined;
    const key = line.slice(0, eq);
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) return undefined;
    pairs[key] = line.slice(eq + 1);
  }
  return pairs;
}

function envNames(raw: string, previous: unknown): string[] | undefined {
  const names = raw.split(',').map((name) => name.trim()).filter((name) => name !== '');
  if (names.length === 0 || !names.every((name) => /^[A-Za-z_][A-Za-z0-9_]*\*?$/.test(name))) return undefined;
  return [...((previous as string[] | undefined) ?? []), ...names];
}

const RATE_FORMAT = 'a count per time unit such as 10/s, 300/min or 1000/h, with an optional burst: 10/s:50';
const RATE = /^(\d+(?:\.\d+)?)\/(s|sec|min|h)(?::(\d+))?$/;
const RATE_UNIT_S: Record<string, number> = { s: 1, sec: 1, min: 60, h: 3600 };

function rate(raw: string): Rate | undefined {
  const match = RATE.exec(raw.trim().toLowerCase());
  if (!match) return undefined;
  const count = Number(match[1]);
  const perSecond = count / (RATE_UNIT_S[match[2] as string] as number);
  const burst = match[3] !== undefined ? Number(match[3]) : Math.max(1, Math.ceil(count));
  return perSecond > 0 && burst > 0 ? { perSecond, burst, text: raw.trim() } : undefined;
}

function text(raw: string): string | undefined {
  return raw.trim() === '' ? undefined : raw.trim();
}

/** A comma-separated list; repeated flags accumulate. */
function list(check: (item: string) => boolean) {
  return (raw: string, previous: unknown): string[] | undefined => {
    const items = raw.split(',').map((item) => item.trim()).filter((item) => item !== '');
    if (items.length === 0 || !items.every(check)) return undefined;
    return [...((previous as string[] | undefined) ?? []), ...items];
  };
}

function isUrl(raw: string): boolean {
  try {
    const url = new URL(raw);
    return url.protocol === 'https:' || url.protocol === 'http:';
  } catch {
    return false;
  }
}

/** An origin as browsers send it: scheme, host and port only (or `*` where allowed). */
function isOrigin(raw: string): boolean {
  try {
    return new URL(raw).origin === raw.replace(/\/$/, '');
  } catch {
    return false;
  }
}

export const OPTIONS: readonly OptionSpec[] = [
  {
    key: 'host', flags: '--host <address>', env: 'MCP_SIDECAR_HOST',
    description: 'address to listen on (loopback by default; 0.0.0.0 to expose)',
    default: '127.0.0.1', defaultText: '127.0.0.1', accepts: 'an IP address or host name',
    parse: (raw) => (raw.trim() === '' ? undefined : raw.trim()),
  },
  {
    key: 'port', flags: '--port <number>', env: 'MCP_SIDECAR_PORT',
    description: 'TCP port; 0 picks a free one (the "listening" log line gives it)',
    default: 8808, defaultText: '8808', accepts: 'an integer from 0 to 65535',
    parse: port,
  },
  {
    key: 'path', flags: '--path <path>', env: 'MCP_SIDECAR_PATH',
    description: 'URL path of the Streamable HTTP endpoint (off: no Streamable HTTP)',
    default: '/mcp', defaultText: '/mcp', accepts: `${PATH_FORMAT}, or off`, parse: pathOrOff,
  },
  {
    key: 'ssePath', flags: '--sse-path <path>', env: 'MCP_SIDECAR_SSE_PATH',
    description: 'URL path of the legacy HTTP+SSE stream (protocol 2024-11-05; off: no legacy SSE)',
    default: '/sse', defaultText: '/sse', accepts: `${PATH_FORMAT}, or off`, parse: pathOrOff,
  },
  {
    key: 'messagesPath', flags: '--messages-path <path>', env: 'MCP_SIDECAR_MESSAGES_PATH',
    description: 'URL path legacy SSE clients POST their messages to (the endpoint event names it)',
    default: '/messages', defaultText: '/messages', accepts: PATH_FORMAT, parse: path,
  },
  {
    key: 'wsPath', flags: '--ws-path <path>', env: 'MCP_SIDECAR_WS_PATH',
    description: 'URL path of the WebSocket endpoint (subprotocol mcp; off: no WebSocket)',
    default: '/ws', defaultText: '/ws', accepts: `${PATH_FORMAT}, or off`, parse: pathOrOff,
  },
  {
    key: 'cwd', flags: '--cwd <dir>', env: 'MCP_SIDECAR_CWD',
    description: "working directory of each child (default: the daemon's)",
    default: undefined, defaultText: "the daemon's", accepts: 'a directory path',
    parse: (raw) => (raw.trim() === '' ? undefined : raw),
  },
  {
    key: 'env', flags: '--env <KEY=VALUE>', env: 'MCP_SIDECAR_ENV',
    description: 'set a variable in every child environment; repeatable (the variable: one pair per line)',
    default: {}, defaultText: 'none', accepts: 'KEY=VALUE with KEY a shell-style variable name',
    parse: envPairs,
  },
  {
    key: 'passEnv', flags: '--pass-env <NAME>', env: 'MCP_SIDECAR_PASS_ENV',
    description: "let a variable of the daemon's environment through to children, beyond PATH, HOME, locale, TZ, temp, proxy and CA variables; repeatable, NAME* for a prefix (the variable: names separated by commas)",
    default: [], defaultText: 'none', accepts: 'a variable name, or a prefix ending in *', parse: envNames,
  },
  {
    key: 'name', flags: '--name <name>', env: 'MCP_SIDECAR_NAME',
    description: 'server name used in logs (default: what the command runs, e.g. server-everything for npx -y @scope/server-everything; "demo" for the demo server)',
    default: undefined, defaultText: 'from the command', accepts: 'letters, digits, ., _ or -',
    parse: (raw) => (/^[\w.-]{1,64}$/.test(raw) ? raw : undefined),
  },
  {
    key: 'idleTimeoutMs', flags: '--idle-timeout <duration>', env: 'MCP_SIDECAR_IDLE_TIMEOUT',
    description: 'end a session after this long with no client traffic, no request in flight and no open GET stream (a legacy SSE or WebSocket connection alone does not count)',
    default: 30 * 60_000, defaultText: '30min', accepts: `${DURATION_FORMAT}, above zero (infinity: never)`, parse: positiveDuration,
  },
  {
    key: 'drainTimeoutMs', flags: '--drain-timeout <duration>', env: 'MCP_SIDECAR_DRAIN_TIMEOUT',
    description: 'on SIGTERM/SIGINT, how long in-flight requests may take to finish before children are stopped',
    default: 10_000, defaultText: '10s', accepts: DURATION_FORMAT, parse: parseDuration,
  },
  {
    key: 'timeoutStopMs', flags: '--timeout-stop <duration>', env: 'MCP_SIDECAR_TIMEOUT_STOP',
    description: 'stop ladder: wait this long after closing stdin, and again after SIGTERM, before escalating',
    default: 2000, defaultText: '2s', accepts: DURATION_FORMAT, parse: parseDuration,
  },
  {
    key: 'maxBodyBytes', flags: '--max-body <size>', env: 'MCP_SIDECAR_MAX_BODY',
    description: 'largest HTTP request body (413 above it) or WebSocket frame (close 1009) accepted',
    default: 4 * 1024 ** 2, defaultText: '4mb', accepts: SIZE_FORMAT, parse: parseSize,
  },
  {
    key: 'maxMessageBytes', flags: '--max-message-size <size>', env: 'MCP_SIDECAR_MAX_MESSAGE_SIZE',
    description: "largest line accepted from a child's stdout; a longer one is logged and dropped",
    default: 64 * 1024 ** 2, defaultText: '64mb', accepts: SIZE_FORMAT, parse: parseSize,
  },
  {
    key: 'logLevel', flags: '--log-level <level>', env: 'MCP_SIDECAR_LOG_LEVEL',
    description: 'pino log level',
    default: 'info', defaultText: 'info', accepts: LOG_LEVELS.join(', '),
    parse: (raw) => ((LOG_LEVELS as readonly string[]).includes(raw) ? raw : undefined),
  },
  // Supervision: the words are systemd's (Restart=, RestartSec=, StartLimitBurst=, MemoryMax=).
  {
    key: 'poolMin', flags: '--pool-min <count>', env: 'MCP_SIDECAR_POOL_MIN',
    description: 'children kept started ahead and idle, so a new session pays only its own initialize',
    default: 0, defaultText: '0', accepts: 'a whole number', parse: count(0),
  },
  {
    key: 'poolMax', flags: '--pool-max <count>', env: 'MCP_SIDECAR_POOL_MAX',
    description: 'most idle spares the pool grows to when sessions arrive faster than it refills (at least --pool-min)',
    default: 0, defaultText: 'the --pool-min value', accepts: 'a whole number', parse: count(0),
  },
  {
    key: 'maxSessions', flags: '--max-sessions <count>', env: 'MCP_SIDECAR_MAX_SESSIONS',
    description: 'most live sessions (children); a new session over it gets 503 with Retry-After',
    default: 256, defaultText: '256', accepts: 'a whole number from 1', parse: count(1),
  },
  {
    key: 'sessionTtlMs', flags: '--session-ttl <duration>', env: 'MCP_SIDECAR_SESSION_TTL',
    description: 'hard lifetime of a session, busy or not',
    default: Infinity, defaultText: 'infinity', accepts: `${DURATION_FORMAT}, above zero`, parse: positiveDuration,
  },
  {
    key: 'unusedIdleTimeoutMs', flags: '--idle-timeout-unused <duration>', env: 'MCP_SIDECAR_IDLE_TIMEOUT_UNUSED',
    description: 'end a session that sent no request after initialize this long ago (probe sessions), or a legacy SSE or WebSocket connection that sent no initialize this long',
    default: 2 * 60_000, defaultText: '2min', accepts: `${DURATION_FORMAT}, above zero`, parse: positiveDuration,
  },
  {
    key: 'requestTimeoutMs', flags: '--request-timeout <duration>', env: 'MCP_SIDECAR_REQUEST_TIMEOUT',
    description: 'a request unanswered this long gets a JSON-RPC error, and the child notifications/cancelled',
    default: 5 * 60_000, defaultText: '5min', accepts: `${DURATION_FORMAT}, above zero`, parse: positiveDuration,
  },
  {
    key: 'maxInFlight', flags: '--max-in-flight <count>', env: 'MCP_SIDECAR_MAX_IN_FLIGHT',
    description: 'most requests in flight per session; one more gets 429 with Retry-After',
    default: 64, defaultText: '64', accepts: 'a whole number from 1', parse: count(1),
  },
  {
    key: 'restart', flags: '--restart <mode>', env: 'MCP_SIDECAR_RESTART',
    description: 'restart a session\'s child when it exits: no, on-failure (non-zero exit, signal, timeout, memory) or always',
    default: 'on-failure', defaultText: 'on-failure', accepts: RESTART_MODES.join(', '),
    parse: (raw) => ((RESTART_MODES as readonly string[]).includes(raw) ? raw : undefined),
  },
  {
    key: 'restartSecMs', flags: '--restart-sec <duration>', env: 'MCP_SIDECAR_RESTART_SEC',
    description: 'delay before the first restart',
    default: 100, defaultText: '100ms', accepts: DURATION_FORMAT, parse: parseDuration,
  },
  {
    key: 'restartSteps', flags: '--restart-steps <count>', env: 'MCP_SIDECAR_RESTART_STEPS',
    description: 'restarts over which the delay grows geometrically to --restart-max-delay (0: constant)',
    default: 5, defaultText: '5', accepts: 'a whole number', parse: count(0),
  },
  {
    key: 'restartMaxDelayMs', flags: '--restart-max-delay <duration>', env: 'MCP_SIDECAR_RESTART_MAX_DELAY',
    description: 'longest delay between restarts',
    default: 10_000, defaultText: '10s', accepts: DURATION_FORMAT, parse: parseDuration,
  },
  {
    key: 'startLimitBurst', flags: '--start-limit-burst <count>', env: 'MCP_SIDECAR_START_LIMIT_BURST',
    description: 'crash-loop guard: most starts of a session\'s child within --start-limit-interval (0: no limit)',
    default: 5, defaultText: '5', accepts: 'a whole number', parse: count(0),
  },
  {
    key: 'startLimitIntervalMs', flags: '--start-limit-interval <duration>', env: 'MCP_SIDECAR_START_LIMIT_INTERVAL',
    description: 'the window of the crash-loop guard',
    default: 60_000, defaultText: '1min', accepts: DURATION_FORMAT, parse: parseDuration,
  },
  {
    key: 'watchdogIntervalMs', flags: '--watchdog-interval <duration>', env: 'MCP_SIDECAR_WATCHDOG_INTERVAL',
    description: "how often each child's process-tree memory is checked against --memory-max",
    default: 5000, defaultText: '5s', accepts: `${DURATION_FORMAT}, above zero`, parse: positiveDuration,
  },
  {
    key: 'memoryMaxBytes', flags: '--memory-max <size>', env: 'MCP_SIDECAR_MEMORY_MAX',
    description: "a child whose process tree's RSS is over this is stopped and restarted per --restart",
    default: Infinity, defaultText: 'infinity', accepts: `${SIZE_FORMAT}, or infinity`, parse: sizeOrInfinity,
  },
  {
    key: 'memoryMaxTotalBytes', flags: '--memory-max-total <size>', env: 'MCP_SIDECAR_MEMORY_MAX_TOTAL',
    description: 'while all children together use more than this, new sessions get 503',
    default: Infinity, defaultText: 'infinity', accepts: `${SIZE_FORMAT}, or infinity`, parse: sizeOrInfinity,
  },
  // Observability.
  {
    key: 'metricsPort', flags: '--metrics-port <number>', env: 'MCP_SIDECAR_METRICS_PORT',
    description: 'serve /metrics (and /status) on this port of --host instead of the main port, to keep them internal',
    default: undefined, defaultText: 'the main port', accepts: 'an integer from 0 to 65535',
    parse: port,
  },
  {
    key: 'status', flags: '--status [enabled]', env: 'MCP_SIDECAR_STATUS',
    description: 'serve GET /status: every session with its child, age, idle time, requests in flight, RSS, restarts and last stderr lines',
    default: false, defaultText: 'off', accepts: 'true or false (the bare flag: true)', parse: bool,
  },
  {
    key: 'logToolArgs', flags: '--log-tool-args [enabled]', env: 'MCP_SIDECAR_LOG_TOOL_ARGS',
    description: 'put tool-call arguments in the audit log, with values under secret-looking keys redacted',
    default: false, defaultText: 'off', accepts: 'true or false (the bare flag: true)', parse: bool,
  },
  {
    key: 'pingIntervalMs', flags: '--ping-interval <duration>', env: 'MCP_SIDECAR_PING_INTERVAL',
    description: 'send MCP ping to children idle this long; one that does not answer within the interval is hung: stopped (timeout) and restarted per --restart',
    default: Infinity, defaultText: 'infinity', accepts: `${DURATION_FORMAT}, above zero (infinity: off)`, parse: positiveDuration,
  },
  // Streams.
  {
    key: 'sseKeepaliveMs', flags: '--sse-keepalive <duration>', env: 'MCP_SIDECAR_SSE_KEEPALIVE',
    description: 'send an SSE comment on every open event stream this often, so proxies do not cut quiet streams',
    default: 15_000, defaultText: '15s', accepts: `${DURATION_FORMAT}, above zero (infinity: off)`, parse: positiveDuration,
  },
  {
    key: 'sseRetryMs', flags: '--sse-retry <duration>', env: 'MCP_SIDECAR_SSE_RETRY',
    description: 'the retry field sent to 2025-11-25 clients with the priming event: how long to wait before resuming a cut stream',
    default: 1000, defaultText: '1s', accepts: DURATION_FORMAT, parse: parseDuration,
  },
  {
    key: 'eventStoreMaxEvents', flags: '--event-store-max-events <count>', env: 'MCP_SIDECAR_EVENT_STORE_MAX_EVENTS',
    description: "events each session keeps for replay to a client resuming a cut stream (Last-Event-ID); oldest evicted first (0: streams are not resumable)",
    default: 1000, defaultText: '1000', accepts: 'a whole number', parse: count(0),
  },
  {
    key: 'eventStoreMaxBytes', flags: '--event-store-max-bytes <size>', env: 'MCP_SIDECAR_EVENT_STORE_MAX_BYTES',
    description: 'bytes of events each session keeps for replay; oldest evicted first',
    default: 1024 * 1024, defaultText: '1mb', accepts: SIZE_FORMAT, parse: parseSize,
  },
  {
    key: 'streamBufferBytes', flags: '--stream-buffer <size>', env: 'MCP_SIDECAR_STREAM_BUFFER',
    description: "bytes waiting on one client's connection before the child's stdout is paused until the client reads",
    default: 256 * 1024, defaultText: '256kb', accepts: `${SIZE_FORMAT}, above zero`, parse: (raw) => positive(parseSize(raw)),
  },
  {
    key: 'slowClientTimeoutMs', flags: '--slow-client-timeout <duration>', env: 'MCP_SIDECAR_SLOW_CLIENT_TIMEOUT',
    description: 'a client whose connection stays over --stream-buffer this long is disconnected (and counted)',
    default: 30_000, defaultText: '30s', accepts: `${DURATION_FORMAT}, above zero`, parse: positiveDuration,
  },
  {
    key: 'wsPingIntervalMs', flags: '--ws-ping-interval <duration>', env: 'MCP_SIDECAR_WS_PING_INTERVAL',
    description: 'WebSocket ping interval; a peer that has not answered the previous ping is dead and disconnected',
    default: 30_000, defaultText: '30s', accepts: `${DURATION_FORMAT}, above zero (infinity: off)`, parse: positiveDuration,
  },
  // Authentication and access.
  {
    key: 'authTokensFile', flags: '--auth-tokens-file <path>', env: 'MCP_SIDECAR_AUTH_TOKENS_FILE',
    description: 'static bearer tokens, one name:token per line (the name is the principal); kept hashed, re-read on SIGHUP',
    default: undefined, defaultText: 'none', accepts: 'a file path', parse: text,
  },
  {
    key: 'authTokens', flags: '--auth-tokens <name:token,...>', env: 'MCP_SIDECAR_AUTH_TOKENS',
    description: 'static bearer tokens as name:token entries (comma or newline separated); prefer the variable, a flag shows in ps',
    default: undefined, defaultText: 'none', accepts: 'name:token entries', parse: text,
  },
  {
    key: 'resourceUrl', flags: '--resource-url <url>', env: 'MCP_SIDECAR_RESOURCE_URL',
    description: 'the public URL of this MCP endpoint, as clients reach it: the audience JWTs must name (RFC 8707) and the resource of the protected resource metadata (RFC 9728)',
    default: undefined, defaultText: 'none', accepts: 'an http(s) URL', parse: (raw) => (isUrl(raw.trim()) ? raw.trim() : undefined),
  },
  {
    key: 'authorizationServers', flags: '--authorization-server <url>', env: 'MCP_SIDECAR_AUTHORIZATION_SERVER',
    description: 'OAuth 2.1 authorization server (issuer URL) announced in the protected resource metadata; repeatable',
    default: [], defaultText: 'none', accepts: 'http(s) URLs, comma-separated', parse: list(isUrl),
  },
  {
    key: 'jwtIssuer', flags: '--jwt-issuer <url>', env: 'MCP_SIDECAR_JWT_ISSUER',
    description: 'the iss JWT access tokens must carry (default: the first --authorization-server)',
    default: undefined, defaultText: 'the first --authorization-server', accepts: 'an issuer identifier', parse: text,
  },
  {
    key: 'jwksUrl', flags: '--jwks-url <url>', env: 'MCP_SIDECAR_JWKS_URL',
    description: 'JWKS of the authorization server: turns on JWT access tokens (needs --resource-url); keys are cached and re-fetched for an unknown kid',
    default: undefined, defaultText: 'none', accepts: 'an http(s) URL (http only on loopback)', parse: (raw) => (isUrl(raw.trim()) ? raw.trim() : undefined),
  },
  {
    key: 'requiredScopes', flags: '--required-scopes <scope,...>', env: 'MCP_SIDECAR_REQUIRED_SCOPES',
    description: 'scopes every JWT must carry (403 insufficient_scope otherwise); announced in the metadata and in 401 challenges',
    default: [], defaultText: 'none', accepts: 'scope names, comma-separated', parse: list((item) => /^[\x21\x23-\x5B\x5D-\x7E]+$/.test(item)),
  },
  {
    key: 'protectMetrics', flags: '--protect-metrics [enabled]', env: 'MCP_SIDECAR_PROTECT_METRICS',
    description: '/metrics and /status need a valid token too (they are open by default, like /healthz and /readyz)',
    default: false, defaultText: 'off', accepts: 'true or false (the bare flag: true)', parse: bool,
  },
  {
    key: 'maxSessionsPerPrincipal', flags: '--max-sessions-per-principal <count>', env: 'MCP_SIDECAR_MAX_SESSIONS_PER_PRINCIPAL',
    description: 'most live sessions one principal may hold; one more gets 429 (0: no limit but --max-sessions)',
    default: 0, defaultText: '0', accepts: 'a whole number', parse: count(0),
  },
  {
    key: 'rateLimit', flags: '--rate-limit <rate>', env: 'MCP_SIDECAR_RATE_LIMIT',
    description: 'requests one principal may send, across its sessions (token bucket); over it: 429 with Retry-After',
    default: undefined, defaultText: 'none', accepts: RATE_FORMAT, parse: rate,
  },
  {
    key: 'toolRateLimit', flags: '--tool-rate-limit <rate>', env: 'MCP_SIDECAR_TOOL_RATE_LIMIT',
    description: 'tools/call one principal may send per tool (token bucket); over it: 429 with Retry-After',
    default: undefined, defaultText: 'none', accepts: RATE_FORMAT, parse: rate,
  },
  {
    key: 'maxConcurrentPerPrincipal', flags: '--max-concurrent-per-principal <count>', env: 'MCP_SIDECAR_MAX_CONCURRENT_PER_PRINCIPAL',
    description: 'requests one principal may have in flight across its sessions; one more gets 429 (0: no limit but --max-in-flight)',
    default: 0, defaultText: '0', accepts: 'a whole number', parse: count(0),
  },
  {
    key: 'toolPolicy', flags: '--tool-policy <path>', env: 'MCP_SIDECAR_TOOL_POLICY',
    description: 'JSON allow-lists of tools per token name, JWT subject or scope: tools/list is filtered, other tools/call refused; re-read on SIGHUP (none: every tool for everyone)',
    default: undefined, defaultText: 'none', accepts: 'a file path', parse: text,
  },
  {
    key: 'principalEnv', flags: '--principal-env <path>', env: 'MCP_SIDECAR_PRINCIPAL_ENV',
    description: "JSON map from token name or JWT subject to environment variables for that principal's children only (values or secret files); re-read on SIGHUP",
    default: undefined, defaultText: 'none', accepts: 'a file path', parse: text,
  },
  // Network hygiene.
  {
    key: 'allowedHosts', flags: '--allowed-hosts <host,...>', env: 'MCP_SIDECAR_ALLOWED_HOSTS',
    description: 'Host header names accepted (403 otherwise), against DNS rebinding; loopback names are always accepted while bound to loopback',
    default: [], defaultText: 'none', accepts: 'host names, comma-separated', parse: list((item) => /^[A-Za-z0-9.*[\]:-]+$/.test(item)),
  },
  {
    key: 'allowedOrigins', flags: '--allowed-origins <origin,...>', env: 'MCP_SIDECAR_ALLOWED_ORIGINS',
    description: 'browser Origins accepted (403 otherwise); requests without Origin pass; loopback origins are always accepted while bound to loopback',
    default: [], defaultText: 'none', accepts: 'origins such as https://app.example.com, comma-separated', parse: list(isOrigin),
  },
  {
    key: 'corsOrigins', flags: '--cors-origins <origin,...>', env: 'MCP_SIDECAR_CORS_ORIGINS',
    description: 'answer CORS for these browser origins (* for any), exposing Mcp-Session-Id and WWW-Authenticate; off by default',
    default: [], defaultText: 'none', accepts: 'origins, comma-separated, or *', parse: list((item) => item === '*' || isOrigin(item)),
  },
  {
    key: 'headersTimeoutMs', flags: '--headers-timeout <duration>', env: 'MCP_SIDECAR_HEADERS_TIMEOUT',
    description: "a client must send a request's headers within this (slow clients get 408 and are disconnected); at most --receive-timeout",
    default: 10_000, defaultText: '10s', accepts: `${DURATION_FORMAT}, above zero`, parse: positiveDuration,
  },
  {
    key: 'receiveTimeoutMs', flags: '--receive-timeout <duration>', env: 'MCP_SIDECAR_RECEIVE_TIMEOUT',
    description: 'a client must send a whole request, headers and body, within this (408 otherwise); streams being answered are not cut by it',
    default: 30_000, defaultText: '30s', accepts: `${DURATION_FORMAT}, above zero`, parse: positiveDuration,
  },
  {
    key: 'maxConnections', flags: '--max-connections <count>', env: 'MCP_SIDECAR_MAX_CONNECTIONS',
    description: 'most open client connections; more are dropped at accept, logged and counted',
    default: 4096, defaultText: '4096', accepts: 'a whole number from 1', parse: count(1),
  },
  {
    key: 'tlsCert', flags: '--tls-cert <path>', env: 'MCP_SIDECAR_TLS_CERT',
    description: 'serve HTTPS with this PEM certificate chain (with --tls-key); both re-read on SIGHUP (none: plain HTTP)',
    default: undefined, defaultText: 'none', accepts: 'a file path', parse: text,
  },
  {
    key: 'tlsKey', flags: '--tls-key <path>', env: 'MCP_SIDECAR_TLS_KEY',
    description: 'the PEM private key of --tls-cert',
    default: undefined, defaultText: 'none', accepts: 'a file path', parse: text,
  },
];

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
  if (config.metricsPort !== undefined && config.metricsPort !== 0 && config.metricsPort === config.port) {
    return `option '--metrics-port' value ${config.metricsPort} is the main port. Expected another port, or leave it unset to serve metrics on the main port.`;
  }
  return undefined;
}

/** The defaults as a config, for tests and embedding. */
export function defaultConfig(): SidecarConfig {
  const config: Record<string, unknown> = {};
  for (const option of OPTIONS) config[option.key] = option.default;
  return config as unknown as SidecarConfig;
}

export { formatDuration, formatSize };
