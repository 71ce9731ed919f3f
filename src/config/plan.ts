/**
 * What the daemon runs: its own settings and one or more named servers, each with its settled
 * config. The command line makes a plan of one server at the unprefixed paths (/mcp, /sse, /ws);
 * a config file makes one of its servers at `/<name>/...` (config-file.ts).
 */
import { OPTIONS, type SidecarConfig } from './schema.js';

export interface ServerPlan {
  name: string;
  /** Daemon-wide values, then the server's own; transport paths absolute (with `prefix`). */
  config: SidecarConfig;
  /** The program and its arguments; empty: the built-in demo server (command line only). */
  command: string[];
  /** `''` on the command line, `/<name>` from a file. */
  prefix: string;
  /** Equal for equal definitions: a reload leaves a server whose fingerprint is unchanged alone. */
  fingerprint: string;
  /** Where a file defines it (`mcpServers.github`), for errors about its files. */
  origin?: string;
}

export interface DaemonPlan {
  /** The daemon-wide settings (listen address, auth, TLS, metrics, drain). */
  config: SidecarConfig;
  servers: ServerPlan[];
  /** The config file the plan came from; `undefined` for the command line. */
  file: string | undefined;
}

const SERVER_KEYS = OPTIONS.filter((option) => option.scope === 'server').map((option) => option.key);

/** JSON has no Infinity: written as the flags write it. */
export function jsonReplacer(_key: string, value: unknown): unknown {
  return value === Infinity ? 'infinity' : value;
}

/** A definition's identity: its command and every per-server value. */
export function fingerprintOf(config: SidecarConfig, command: readonly string[]): string {
  const own: Record<string, unknown> = {};
  for (const key of SERVER_KEYS) own[key] = config[key];
  return JSON.stringify({ command, own }, jsonReplacer);
}

/** The plan of the command line: one server, named for logs, at the unprefixed paths. */
export function singleServerPlan(config: SidecarConfig, command: readonly string[], name: string): DaemonPlan {
  const server: ServerPlan = { name, config, command: [...command], prefix: '', fingerprint: fingerprintOf(config, command) };
  return { config, servers: [server], file: undefined };
}
