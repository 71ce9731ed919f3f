#!/usr/bin/env node
/**
 * A health probe that needs no curl, for container HEALTHCHECKs: GET /readyz on the daemon and exit
 * 0 when it answers 200, 1 otherwise (not listening, draining, cannot start a child, no answer
 * within the timeout, or a bad option; Docker reserves exit code 2). One line tells why.
 *
 * It reads the daemon's own MCP_SIDECAR_HOST and MCP_SIDECAR_PORT, else the `sidecar` section of
 * the config file MCP_SIDECAR_CONFIG (or --config) names, so a container configured either way
 * needs no arguments; --host, --port and --timeout override. A wildcard listen address
 * (0.0.0.0, ::) is probed on loopback.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { DURATION_FORMAT, parseDuration } from '../config/duration.js';
import { optionFromJson } from '../config/file-values.js';
import { parseJsonc } from '../config/jsonc.js';
import { OPTIONS, type SidecarConfig } from '../config/schema.js';

const EXIT_HEALTHY = 0;
const EXIT_UNHEALTHY = 1;
const DEFAULT_TIMEOUT_MS = 3000;
const WILDCARD_TO_LOOPBACK: Record<string, string> = { '0.0.0.0': '127.0.0.1', '::': '::1', '[::]': '::1' };

interface Probe {
  url: string;
  timeoutMs: number;
}

class UsageError extends Error {}

/** The config file's `sidecar` section, when a config file is named. */
function sidecarSection(file: string | undefined): Record<string, unknown> {
  if (file === undefined) return {};
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new UsageError(`cannot read the config file ${file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
  const parsed = parseJsonc(text);
  if (!parsed.ok) throw new UsageError(`${file}: line ${parsed.line}, column ${parsed.column}: ${parsed.message}`);
  const section = (parsed.value as { sidecar?: unknown } | null)?.sidecar;
  return section !== null && typeof section === 'object' ? (section as Record<string, unknown>) : {};
}

/** One configuration key the way the daemon reads it: the flag, else its variable, else the config file, else its default. */
function settingOf<K extends keyof SidecarConfig>(key: K, flag: string | undefined, file: Record<string, unknown>): SidecarConfig[K] {
  const spec = OPTIONS.find((option) => option.key === key);
  if (!spec) throw new UsageError(`no such setting: ${key}`);
  const raw = flag ?? process.env[spec.env];
  if (raw === undefined && file[key] !== undefined) {
    const value = optionFromJson(spec, file[key]);
    if (value === undefined) throw new UsageError(`invalid sidecar.${key} ${JSON.stringify(file[key])} in the config file: expected ${spec.accepts}`);
    return value as SidecarConfig[K];
  }
  if (raw === undefined) return spec.default as SidecarConfig[K];
  const value = spec.parse(raw, undefined);
  const source = flag !== undefined ? spec.flags.split(' ')[0] : spec.env;
  if (value === undefined) throw new UsageError(`invalid ${source} "${raw}": expected ${spec.accepts}`);
  return value as SidecarConfig[K];
}

function probeFrom(argv: string[]): Probe {
  const { values } = parseArgs({
    args: argv,
    options: { host: { type: 'string' }, port: { type: 'string' }, timeout: { type: 'string' }, config: { type: 'string' } },
    strict: true,
  });
  const file = sidecarSection(values.config ?? process.env.MCP_SIDECAR_CONFIG);
  const host = settingOf('host', values.host, file);
  const port = settingOf('port', values.port, file);
  if (port === 0) throw new UsageError('port 0 cannot be probed: give the port the daemon listens on (--port or MCP_SIDECAR_PORT)');
  const timeoutMs = values.timeout === undefined ? DEFAULT_TIMEOUT_MS : parseDuration(values.timeout);
  if (timeoutMs === undefined || timeoutMs <= 0 || timeoutMs === Infinity) {
    throw new UsageError(`invalid --timeout "${values.timeout}": expected ${DURATION_FORMAT}, above zero and finite`);
  }
  const target = WILDCARD_TO_LOOPBACK[host] ?? host;
  const authority = target.includes(':') && !target.startsWith('[') ? `[${target}]` : target;
  return { url: `http://${authority}:${port}/readyz`, timeoutMs };
}

async function check(probe: Probe): Promise<{ healthy: boolean; line: string }> {
  try {
    const response = await fetch(probe.url, { signal: AbortSignal.timeout(probe.timeoutMs) });
    const body = (await response.text()).trim();
    return { healthy: response.status === 200, line: `${probe.url}: ${response.status} ${body}` };
  } catch (error) {
    const cause = error instanceof Error ? ((error.cause as Error | undefined)?.message ?? error.message) : String(error);
    return { healthy: false, line: `${probe.url}: no answer (${cause})` };
  }
}

async function main(): Promise<void> {
  let probe: Probe;
  try {
    probe = probeFrom(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`healthcheck: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = EXIT_UNHEALTHY;
    return;
  }
  const { healthy, line } = await check(probe);
  (healthy ? process.stdout : process.stderr).write(`${line}\n`);
  process.exitCode = healthy ? EXIT_HEALTHY : EXIT_UNHEALTHY;
}

void main();
