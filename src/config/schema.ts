/**
 * Every configuration key, once: its flag, its environment variable, its default, how it parses and
 * what it accepts. The CLI (`--help` included) and the README's option table are produced from this
 * list, so a key cannot be documented in one place and behave differently in another.
 */
import { DURATION_FORMAT, formatDuration, parseDuration } from './duration.js';
import { SIZE_FORMAT, formatSize, parseSize } from './size.js';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** The daemon's settled configuration; every duration is in milliseconds, every size in bytes. */
export interface SidecarConfig {
  host: string;
  port: number;
  path: string;
  cwd: string | undefined;
  env: Record<string, string>;
  name: string | undefined;
  idleTimeoutMs: number;
  drainTimeoutMs: number;
  timeoutStopMs: number;
  maxBodyBytes: number;
  maxMessageBytes: number;
  logLevel: LogLevel;
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

function duration(raw: string): number | undefined {
  return parseDuration(raw);
}

function positiveDuration(raw: string): number | undefined {
  const ms = parseDuration(raw);
  return ms !== undefined && ms > 0 ? ms : undefined;
}

function size(raw: string): number | undefined {
  return parseSize(raw);
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
    parse: (raw) => {
      const port = Number(raw);
      return /^\d+$/.test(raw.trim()) && port <= 65535 ? port : undefined;
    },
  },
  {
    key: 'path', flags: '--path <path>', env: 'MCP_SIDECAR_PATH',
    description: 'URL path of the Streamable HTTP endpoint',
    default: '/mcp', defaultText: '/mcp', accepts: 'a path starting with / (no query, no spaces)',
    parse: (raw) => (/^\/[^\s?#]*$/.test(raw) ? raw : undefined),
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
    key: 'name', flags: '--name <name>', env: 'MCP_SIDECAR_NAME',
    description: 'server name used in logs (default: the command\'s base name, or "demo")',
    default: undefined, defaultText: 'from the command', accepts: 'letters, digits, ., _ or -',
    parse: (raw) => (/^[\w.-]{1,64}$/.test(raw) ? raw : undefined),
  },
  {
    key: 'idleTimeoutMs', flags: '--idle-timeout <duration>', env: 'MCP_SIDECAR_IDLE_TIMEOUT',
    description: 'end a session after this long with no client traffic, no request in flight and no open stream',
    default: 30 * 60_000, defaultText: '30min', accepts: `${DURATION_FORMAT}, above zero (infinity: never)`, parse: positiveDuration,
  },
  {
    key: 'drainTimeoutMs', flags: '--drain-timeout <duration>', env: 'MCP_SIDECAR_DRAIN_TIMEOUT',
    description: 'on SIGTERM/SIGINT, how long in-flight requests may take to finish before children are stopped',
    default: 10_000, defaultText: '10s', accepts: DURATION_FORMAT, parse: duration,
  },
  {
    key: 'timeoutStopMs', flags: '--timeout-stop <duration>', env: 'MCP_SIDECAR_TIMEOUT_STOP',
    description: 'stop ladder: wait this long after closing stdin, and again after SIGTERM, before escalating',
    default: 2000, defaultText: '2s', accepts: DURATION_FORMAT, parse: duration,
  },
  {
    key: 'maxBodyBytes', flags: '--max-body <size>', env: 'MCP_SIDECAR_MAX_BODY',
    description: 'largest HTTP request body accepted (413 above it)',
    default: 4 * 1024 ** 2, defaultText: '4mb', accepts: SIZE_FORMAT, parse: size,
  },
  {
    key: 'maxMessageBytes', flags: '--max-message-size <size>', env: 'MCP_SIDECAR_MAX_MESSAGE_SIZE',
    description: "largest line accepted from a child's stdout; a longer one is logged and dropped",
    default: 64 * 1024 ** 2, defaultText: '64mb', accepts: SIZE_FORMAT, parse: size,
  },
  {
    key: 'logLevel', flags: '--log-level <level>', env: 'MCP_SIDECAR_LOG_LEVEL',
    description: 'pino log level',
    default: 'info', defaultText: 'info', accepts: LOG_LEVELS.join(', '),
    parse: (raw) => ((LOG_LEVELS as readonly string[]).includes(raw) ? raw : undefined),
  },
];

/** The defaults as a config, for tests and embedding. */
export function defaultConfig(): SidecarConfig {
  const config: Record<string, unknown> = {};
  for (const option of OPTIONS) config[option.key] = option.default;
  return config as unknown as SidecarConfig;
}

export { formatDuration, formatSize };
