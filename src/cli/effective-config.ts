/**
 * The configuration a plan runs with, as a config file writes it: every option with its effective
 * value ("30min", "64mb"), each server's command, arguments and environment, so --check-config's
 * output can be read against the file or used as one. Secrets are redacted: the static tokens,
 * environment values under secret-looking names, and secret-shaped text anywhere (bearer tokens,
 * provider API keys, the password of a URL) by observability/redact.ts's rules.
 */
import { formatOption } from '../config/format-option.js';
import type { DaemonPlan, ServerPlan } from '../config/plan.js';
import { OPTIONS, type SidecarConfig } from '../config/schema.js';
import { REDACTED, redactSecrets, redactString } from '../observability/redact.js';

const ALWAYS_SECRET = new Set<keyof SidecarConfig>(['authTokens']);
const TRANSPORT_PATHS = new Set<keyof SidecarConfig>(['path', 'ssePath', 'messagesPath', 'wsPath']);

function written(key: keyof SidecarConfig, value: unknown): unknown {
  const spec = OPTIONS.find((option) => option.key === key);
  const formatted = spec ? formatOption(spec, value) : value;
  if (formatted !== undefined && ALWAYS_SECRET.has(key)) return REDACTED;
  return formatted;
}

function serverSection(server: ServerPlan): Record<string, unknown> {
  const [program, ...args] = server.command;
  const out: Record<string, unknown> = { command: program === undefined ? '(the built-in demo server)' : redactString(program), args: args.map(redactString) };
  out.env = redactSecrets(server.config.env);
  for (const option of OPTIONS) {
    if (option.scope !== 'server' || option.key === 'env' || option.key === 'name') continue;
    let value: unknown = server.config[option.key];
    // Written as the file writes them: under the server's prefix.
    if (TRANSPORT_PATHS.has(option.key) && typeof value === 'string' && server.prefix !== '') value = value.slice(server.prefix.length) || '/';
    const text = written(option.key, value);
    if (text !== undefined) out[option.key] = text;
  }
  return out;
}

export function effectiveConfig(plan: DaemonPlan): Record<string, unknown> {
  const sidecar: Record<string, unknown> = {};
  for (const option of OPTIONS) {
    if (option.scope !== 'daemon') continue;
    const text = written(option.key, plan.config[option.key]);
    if (text !== undefined) sidecar[option.key] = text;
  }
  const mcpServers: Record<string, unknown> = {};
  for (const server of plan.servers) mcpServers[server.name] = serverSection(server);
  return { sidecar, mcpServers };
}

/** Where each server is served, one line each: `github: /github/mcp /github/sse /github/ws`. */
export function servedPaths(plan: DaemonPlan): string[] {
  return plan.servers.map((server) => {
    const { path, ssePath, wsPath } = server.config;
    const paths = [path, ssePath, wsPath].filter((value): value is string => value !== false);
    return `${server.name}: ${paths.join(' ')}`;
  });
}
