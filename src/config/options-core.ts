/** Options of the daemon itself: where it listens, the child it runs, supervision, observability. */
import { hostname } from 'node:os';
import { INSTANCE_ID, INSTANCE_ID_FORMAT, instanceIdOf } from '../session/session-id.js';
import { RESTART_MODES } from '../supervisor/restart-policy.js';
import { DURATION_FORMAT, parseDuration } from './duration.js';
import { ISOLATION_MODES, LOG_LEVELS, PATH_FORMAT, bool, count, envNames, envPairs, path, pathOrOff, port, positiveDuration, sizeOrInfinity } from './parsers.js';
import type { OptionSpec } from './schema.js';
import { SIZE_FORMAT, parseSize } from './size.js';

export const CORE_OPTIONS: readonly OptionSpec[] = [
  {
    key: 'host', scope: 'daemon', flags: '--host <address>', env: 'MCP_SIDECAR_HOST',
    description: 'address to listen on (loopback by default; 0.0.0.0 to expose)',
    default: '127.0.0.1', defaultText: '127.0.0.1', accepts: 'an IP address or host name',
    parse: (raw) => (raw.trim() === '' ? undefined : raw.trim()),
  },
  {
    key: 'port', scope: 'daemon', flags: '--port <number>', env: 'MCP_SIDECAR_PORT',
    description: 'TCP port; 0 picks a free one (the "listening" log line gives it)',
    default: 8808, defaultText: '8808', accepts: 'an integer from 0 to 65535',
    parse: port,
  },
  {
    key: 'path', scope: 'server', flags: '--path <path>', env: 'MCP_SIDECAR_PATH',
    description: 'URL path of the Streamable HTTP endpoint (off: no Streamable HTTP)',
    default: '/mcp', defaultText: '/mcp', accepts: `${PATH_FORMAT}, or off`, parse: pathOrOff,
  },
  {
    key: 'ssePath', scope: 'server', flags: '--sse-path <path>', env: 'MCP_SIDECAR_SSE_PATH',
    description: 'URL path of the legacy HTTP+SSE stream (protocol 2024-11-05; off: no legacy SSE)',
    default: '/sse', defaultText: '/sse', accepts: `${PATH_FORMAT}, or off`, parse: pathOrOff,
  },
  {
    key: 'messagesPath', scope: 'server', flags: '--messages-path <path>', env: 'MCP_SIDECAR_MESSAGES_PATH',
    description: 'URL path legacy SSE clients POST their messages to (the endpoint event names it)',
    default: '/messages', defaultText: '/messages', accepts: PATH_FORMAT, parse: path,
  },
  {
    key: 'wsPath', scope: 'server', flags: '--ws-path <path>', env: 'MCP_SIDECAR_WS_PATH',
    description: 'URL path of the WebSocket endpoint (subprotocol mcp; off: no WebSocket)',
    default: '/ws', defaultText: '/ws', accepts: `${PATH_FORMAT}, or off`, parse: pathOrOff,
  },
  {
    key: 'cwd', scope: 'server', flags: '--cwd <dir>', env: 'MCP_SIDECAR_CWD',
    description: "working directory of each child (default: the daemon's)",
    default: undefined, defaultText: "the daemon's", accepts: 'a directory path',
    parse: (raw) => (raw.trim() === '' ? undefined : raw),
  },
  {
    key: 'env', scope: 'server', flags: '--env <KEY=VALUE>', env: 'MCP_SIDECAR_ENV',
    description: 'set a variable in every child environment; repeatable (the variable: one pair per line)',
    default: {}, defaultText: 'none', accepts: 'KEY=VALUE with KEY a shell-style variable name',
    parse: envPairs,
  },
  {
    key: 'passEnv', scope: 'server', flags: '--pass-env <NAME>', env: 'MCP_SIDECAR_PASS_ENV',
    description: "let a variable of the daemon's environment through to children, beyond PATH, HOME, locale, TZ, temp, proxy and CA variables; repeatable, NAME* for a prefix (the variable: names separated by commas)",
    default: [], defaultText: 'none', accepts: 'a variable name, or a prefix ending in *', parse: envNames,
  },
  {
    key: 'name', scope: 'server', flags: '--name <name>', env: 'MCP_SIDECAR_NAME',
    description: 'server name used in logs (default: what the command runs, e.g. server-everything for npx -y @scope/server-everything; "demo" for the demo server)',
    default: undefined, defaultText: 'from the command', accepts: 'letters, digits, ., _ or -',
    parse: (raw) => (/^[\w.-]{1,64}$/.test(raw) ? raw : undefined),
  },
  {
    key: 'instanceId', scope: 'daemon', flags: '--instance-id <id>', env: 'MCP_SIDECAR_INSTANCE_ID',
    description: "this daemon's name among its replicas: every session id it gives starts with it and a dot, so a proxy can send a session's requests to the daemon that holds it (deploy/nginx/)",
    default: instanceIdOf(hostname()), defaultText: "the host name's first label", accepts: INSTANCE_ID_FORMAT,
    parse: (raw) => (INSTANCE_ID.test(raw) ? raw : undefined),
  },
  {
    key: 'idleTimeoutMs', scope: 'server', flags: '--idle-timeout <duration>', env: 'MCP_SIDECAR_IDLE_TIMEOUT',
    description: 'end a session after this long with no client traffic, no request in flight and no open GET stream (a legacy SSE or WebSocket connection alone does not count); also how long a shared child (--isolation principal or shared) outlives its last session',
    default: 30 * 60_000, defaultText: '30min', accepts: `${DURATION_FORMAT}, above zero (infinity: never)`, parse: positiveDuration,
  },
  {
    key: 'drainTimeoutMs', scope: 'daemon', flags: '--drain-timeout <duration>', env: 'MCP_SIDECAR_DRAIN_TIMEOUT',
    description: 'on SIGTERM/SIGINT, how long in-flight requests may take to finish before children are stopped',
    default: 10_000, defaultText: '10s', accepts: DURATION_FORMAT, parse: parseDuration,
  },
  {
    key: 'timeoutStopMs', scope: 'server', flags: '--timeout-stop <duration>', env: 'MCP_SIDECAR_TIMEOUT_STOP',
    description: 'stop ladder: wait this long after closing stdin, and again after SIGTERM, before escalating',
    default: 2000, defaultText: '2s', accepts: DURATION_FORMAT, parse: parseDuration,
  },
  {
    key: 'maxBodyBytes', scope: 'daemon', flags: '--max-body <size>', env: 'MCP_SIDECAR_MAX_BODY',
    description: 'largest HTTP request body (413 above it) or WebSocket frame (close 1009) accepted',
    default: 4 * 1024 ** 2, defaultText: '4mb', accepts: SIZE_FORMAT, parse: parseSize,
  },
  {
    key: 'maxMessageBytes', scope: 'server', flags: '--max-message-size <size>', env: 'MCP_SIDECAR_MAX_MESSAGE_SIZE',
    description: "largest line accepted from a child's stdout; a longer one is logged and dropped",
    default: 64 * 1024 ** 2, defaultText: '64mb', accepts: SIZE_FORMAT, parse: parseSize,
  },
  {
    key: 'logLevel', scope: 'daemon', flags: '--log-level <level>', env: 'MCP_SIDECAR_LOG_LEVEL',
    description: 'pino log level',
    default: 'info', defaultText: 'info', accepts: LOG_LEVELS.join(', '), choices: LOG_LEVELS,
    parse: (raw) => ((LOG_LEVELS as readonly string[]).includes(raw) ? raw : undefined),
  },
  // Supervision: the words are systemd's (Restart=, RestartSec=, StartLimitBurst=, MemoryMax=).
  {
    key: 'poolMin', scope: 'server', flags: '--pool-min <count>', env: 'MCP_SIDECAR_POOL_MIN',
    description: 'children kept started ahead and idle, so a new session pays only its own initialize',
    default: 0, defaultText: '0', accepts: 'a whole number', parse: count(0),
  },
  {
    key: 'poolMax', scope: 'server', flags: '--pool-max <count>', env: 'MCP_SIDECAR_POOL_MAX',
    description: 'most idle spares the pool grows to when sessions arrive faster than it refills (at least --pool-min)',
    default: 0, defaultText: 'the --pool-min value', accepts: 'a whole number', parse: count(0),
  },
  {
    key: 'isolation', scope: 'server', flags: '--isolation <mode>', env: 'MCP_SIDECAR_ISOLATION',
    description: 'who shares a child: session (a child per session), principal (one per authenticated principal, shared by its sessions; carries --principal-env) or shared (one for everyone, for stateless servers whose users need no separation); ids, progress tokens and the child\'s own requests are rewritten so each message reaches only its session',
    default: 'session', defaultText: 'session', accepts: ISOLATION_MODES.join(', '), choices: ISOLATION_MODES,
    parse: (raw) => ((ISOLATION_MODES as readonly string[]).includes(raw) ? raw : undefined),
  },
  {
    key: 'leasePoolMin', scope: 'server', flags: '--lease-pool-min <count>', env: 'MCP_SIDECAR_LEASE_POOL_MIN',
    description: 'spares kept initialized for 2026-07-28 clients (with the daemon as clientInfo and no client capabilities): the first request of a new principal whose client declares none skips the spawn and the initialize',
    default: 0, defaultText: '0', accepts: 'a whole number', parse: count(0),
  },
  {
    key: 'maxSessions', scope: 'server', flags: '--max-sessions <count>', env: 'MCP_SIDECAR_MAX_SESSIONS',
    description: 'most live sessions (each a child, with --isolation session; with a config file, of each server); a new session over it gets 503 with Retry-After',
    default: 256, defaultText: '256', accepts: 'a whole number from 1', parse: count(1),
  },
  {
    key: 'sessionTtlMs', scope: 'server', flags: '--session-ttl <duration>', env: 'MCP_SIDECAR_SESSION_TTL',
    description: 'hard lifetime of a session, busy or not',
    default: Infinity, defaultText: 'infinity', accepts: `${DURATION_FORMAT}, above zero`, parse: positiveDuration,
  },
  {
    key: 'unusedIdleTimeoutMs', scope: 'server', flags: '--idle-timeout-unused <duration>', env: 'MCP_SIDECAR_IDLE_TIMEOUT_UNUSED',
    description: 'end a session that sent no request after initialize this long ago (probe sessions), or a legacy SSE or WebSocket connection that sent no initialize this long',
    default: 2 * 60_000, defaultText: '2min', accepts: `${DURATION_FORMAT}, above zero`, parse: positiveDuration,
  },
  {
    key: 'serverEra', scope: 'server', flags: '--server-era <era>', env: 'MCP_SIDECAR_SERVER_ERA',
    description: 'whether the server speaks 2026-07-28 itself: auto asks a throwaway child server/discover once at start (a modern server is relayed without translation), legacy skips the probe and translates',
    default: 'auto', defaultText: 'auto', accepts: 'auto or legacy', choices: ['auto', 'legacy'], parse: (raw) => (raw === 'auto' || raw === 'legacy' ? raw : undefined),
  },
  {
    key: 'cacheTtlMs', scope: 'server', flags: '--cache-ttl <duration>', env: 'MCP_SIDECAR_CACHE_TTL',
    description: 'ttlMs sent to 2026-07-28 clients with server/discover, list and resources/read results: how long they may reuse them (0: revalidate every time)',
    default: 0, defaultText: '0', accepts: DURATION_FORMAT, parse: parseDuration,
  },
  {
    key: 'cacheScope', scope: 'server', flags: '--cache-scope <scope>', env: 'MCP_SIDECAR_CACHE_SCOPE',
    description: 'cacheScope sent with those results: private (one user\'s; right when children see per-principal env or tool policy) or public (shareable)',
    default: 'private', defaultText: 'private', accepts: 'private or public', choices: ['private', 'public'], parse: (raw) => (raw === 'private' || raw === 'public' ? raw : undefined),
  },
  {
    key: 'requestTimeoutMs', scope: 'server', flags: '--request-timeout <duration>', env: 'MCP_SIDECAR_REQUEST_TIMEOUT',
    description: 'a request unanswered this long gets a JSON-RPC error, and the child notifications/cancelled',
    default: 5 * 60_000, defaultText: '5min', accepts: `${DURATION_FORMAT}, above zero`, parse: positiveDuration,
  },
  {
    key: 'maxInFlight', scope: 'server', flags: '--max-in-flight <count>', env: 'MCP_SIDECAR_MAX_IN_FLIGHT',
    description: 'most requests in flight per session; one more gets 429 with Retry-After',
    default: 64, defaultText: '64', accepts: 'a whole number from 1', parse: count(1),
  },
  {
    key: 'restart', scope: 'server', flags: '--restart <mode>', env: 'MCP_SIDECAR_RESTART',
    description: 'restart a session\'s child when it exits: no, on-failure (non-zero exit, signal, timeout, memory) or always',
    default: 'on-failure', defaultText: 'on-failure', accepts: RESTART_MODES.join(', '), choices: RESTART_MODES,
    parse: (raw) => ((RESTART_MODES as readonly string[]).includes(raw) ? raw : undefined),
  },
  {
    key: 'restartSecMs', scope: 'server', flags: '--restart-sec <duration>', env: 'MCP_SIDECAR_RESTART_SEC',
    description: 'delay before the first restart',
    default: 100, defaultText: '100ms', accepts: DURATION_FORMAT, parse: parseDuration,
  },
  {
    key: 'restartSteps', scope: 'server', flags: '--restart-steps <count>', env: 'MCP_SIDECAR_RESTART_STEPS',
    description: 'restarts over which the delay grows geometrically to --restart-max-delay (0: constant)',
    default: 5, defaultText: '5', accepts: 'a whole number', parse: count(0),
  },
  {
    key: 'restartMaxDelayMs', scope: 'server', flags: '--restart-max-delay <duration>', env: 'MCP_SIDECAR_RESTART_MAX_DELAY',
    description: 'longest delay between restarts',
    default: 10_000, defaultText: '10s', accepts: DURATION_FORMAT, parse: parseDuration,
  },
  {
    key: 'startLimitBurst', scope: 'server', flags: '--start-limit-burst <count>', env: 'MCP_SIDECAR_START_LIMIT_BURST',
    description: 'crash-loop guard: most starts of a session\'s child within --start-limit-interval (0: no limit)',
    default: 5, defaultText: '5', accepts: 'a whole number', parse: count(0),
  },
  {
    key: 'startLimitIntervalMs', scope: 'server', flags: '--start-limit-interval <duration>', env: 'MCP_SIDECAR_START_LIMIT_INTERVAL',
    description: 'the window of the crash-loop guard',
    default: 60_000, defaultText: '1min', accepts: DURATION_FORMAT, parse: parseDuration,
  },
  {
    key: 'watchdogIntervalMs', scope: 'server', flags: '--watchdog-interval <duration>', env: 'MCP_SIDECAR_WATCHDOG_INTERVAL',
    description: "how often each child's process-tree memory is checked against --memory-max",
    default: 5000, defaultText: '5s', accepts: `${DURATION_FORMAT}, above zero`, parse: positiveDuration,
  },
  {
    key: 'memoryMaxBytes', scope: 'server', flags: '--memory-max <size>', env: 'MCP_SIDECAR_MEMORY_MAX',
    description: "a child whose process tree's RSS is over this is stopped and restarted per --restart",
    default: Infinity, defaultText: 'infinity', accepts: `${SIZE_FORMAT}, or infinity`, parse: sizeOrInfinity,
  },
  {
    key: 'memoryMaxTotalBytes', scope: 'server', flags: '--memory-max-total <size>', env: 'MCP_SIDECAR_MEMORY_MAX_TOTAL',
    description: 'while all children together use more than this, new sessions get 503 (with a config file: all of one server\'s children, for that server)',
    default: Infinity, defaultText: 'infinity', accepts: `${SIZE_FORMAT}, or infinity`, parse: sizeOrInfinity,
  },
  // Observability.
  {
    key: 'metricsPort', scope: 'daemon', flags: '--metrics-port <number>', env: 'MCP_SIDECAR_METRICS_PORT',
    description: 'serve /metrics (and /status) on this port of --host instead of the main port, to keep them internal',
    default: undefined, defaultText: 'the main port', accepts: 'an integer from 0 to 65535',
    parse: port,
  },
  {
    key: 'status', scope: 'daemon', flags: '--status [enabled]', env: 'MCP_SIDECAR_STATUS',
    description: 'serve GET /status: every session with its child, age, idle time, requests in flight, RSS, restarts and last stderr lines',
    default: false, defaultText: 'off', accepts: 'true or false (the bare flag: true)', parse: bool,
  },
  {
    key: 'logToolArgs', scope: 'server', flags: '--log-tool-args [enabled]', env: 'MCP_SIDECAR_LOG_TOOL_ARGS',
    description: 'put tool-call arguments in the audit log, with values under secret-looking keys redacted',
    default: false, defaultText: 'off', accepts: 'true or false (the bare flag: true)', parse: bool,
  },
  {
    key: 'pingIntervalMs', scope: 'server', flags: '--ping-interval <duration>', env: 'MCP_SIDECAR_PING_INTERVAL',
    description: 'send MCP ping to children idle this long; one that does not answer within the interval is hung: stopped (timeout) and restarted per --restart',
    default: Infinity, defaultText: 'infinity', accepts: `${DURATION_FORMAT}, above zero (infinity: off)`, parse: positiveDuration,
  },
];
