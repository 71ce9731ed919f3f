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

/** The server name for logs: --name, else the command's base name, else "demo". */
export function serverNameFrom(config: SidecarConfig, command: readonly string[]): string {
  if (config.name) return config.name;
  if (command.length === 0) return 'demo';
  return path.basename(command[0] as string);
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
