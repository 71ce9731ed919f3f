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
 * The daemon's environment plus `--env`. (The allow-listed minimal environment belongs to the
 * security work; this is the one place it will change.)
 */
export function childEnvironment(config: SidecarConfig): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) if (value !== undefined) env[key] = value;
  return { ...env, ...config.env };
}
