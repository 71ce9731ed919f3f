/**
 * What a child is started from: the command after `--`, or the demo server that ships with the
 * package when there is none, and the environment it gets.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { SidecarConfig } from '../config/schema.js';
import type { ChildSpec } from './child-process.js';

const DEMO_SERVER = fileURLToPath(new URL('../demo/server.js', import.meta.url));

export function childSpecFrom(config: SidecarConfig, command: readonly string[]): ChildSpec {
  const [program, ...args] = command.length > 0 ? command : [process.execPath, DEMO_SERVER];
  return { command: program as string, args, cwd: config.cwd, env: childEnvironment(config) };
}

/** Launchers whose first operand, not themselves, names the server (`npx -y some-server`). */
const LAUNCHERS = new Set(['node', 'nodejs', 'npx', 'uvx', 'uv', 'python', 'python3', 'bun', 'bunx', 'deno', 'pnpm', 'sh', 'bash', 'docker']);

/**
 * The server name for logs: --name, else what the command runs (`npx -y @scope/server-x` →
 * `server-x`, `node dist/server.js` → `server`), else "demo".
 */
export function serverNameFrom(config: SidecarConfig, command: readonly string[]): string {
  if (config.name) return config.name;
  const [program, ...args] = command;
  if (program === undefined) return 'demo';
  const base = path.basename(program);
  if (!LAUNCHERS.has(base)) return base;
  const operand = args.find((arg) => !arg.startsWith('-') && arg !== 'run' && arg !== 'exec');
  if (operand === undefined || base === 'sh' || base === 'bash') return base;
  const name = path.basename(operand.replace(/@[^/@]*$/, '')).replace(/\.(m?js|cjs|ts|py)$/, '');
  return name || base;
}

/**
 * What a child may inherit from the daemon's environment: enough to find programs, its home and
 * cache directories, the locale, the time zone, temp space, proxies and extra CA certificates, so
 * that `npx`, `uvx` and their servers work as from a login shell. Nothing else, so the daemon's
 * own secrets (tokens, cloud credentials, `MCP_SIDECAR_*`) never reach a child unless named.
 */
const INHERITED = new Set([
  'PATH', 'HOME', 'USER', 'LOGNAME', 'SHELL', 'LANG', 'LANGUAGE', 'TZ', 'TMPDIR', 'TEMP', 'TMP',
  'HTTP_PROXY', 'HTTPS_PROXY', 'NO_PROXY', 'ALL_PROXY', 'http_proxy', 'https_proxy', 'no_proxy', 'all_proxy',
  'SSL_CERT_FILE', 'SSL_CERT_DIR', 'NODE_EXTRA_CA_CERTS',
  'XDG_CACHE_HOME', 'XDG_CONFIG_HOME', 'XDG_DATA_HOME', 'XDG_STATE_HOME', 'XDG_RUNTIME_DIR',
]);
const INHERITED_PREFIXES = ['LC_'];

/** The daemon's own settings, tokens included: never passed on, whatever --pass-env says. */
const NEVER_INHERITED_PREFIX = 'MCP_SIDECAR_';

/** Whether a daemon variable passes to children: the allow-list, or a `--pass-env` name or `PREFIX*`. */
export function isInherited(name: string, passEnv: readonly string[]): boolean {
  if (name.startsWith(NEVER_INHERITED_PREFIX)) return false;
  if (INHERITED.has(name) || INHERITED_PREFIXES.some((prefix) => name.startsWith(prefix))) return true;
  return passEnv.some((pattern) => (pattern.endsWith('*') ? name.startsWith(pattern.slice(0, -1)) : name === pattern));
}

/** The allow-listed part of the daemon's environment, `--pass-env` variables, then `--env`. */
export function childEnvironment(config: SidecarConfig, daemonEnv: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(daemonEnv)) if (value !== undefined && isInherited(key, config.passEnv)) env[key] = value;
  return { ...env, ...config.env };
}
