/**
 * mcp-sidecar from this checkout (dist/src/cli/main.js), with its defaults and --port 0: it picks
 * a free loopback port and says which in its "listening" log line. The warm variant keeps
 * POOL_MIN spares started ahead.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { SIDECAR_CLI } from '../lib/paths.js';
import { BridgeProcess } from './bridge-process.js';
import { HttpTarget } from './http-target.js';
import type { RunningTarget, StartContext, TargetDefinition } from './target.js';

/** Spares for the warm target: the setup phase needs one; the burst phase measures a burst beyond four. */
export const POOL_MIN = 4;

/** The URL of its "listening" log line, once written. */
export function listeningUrl(logFile: string): string | undefined {
  let text: string;
  try {
    text = readFileSync(logFile, 'utf8');
  } catch {
    return undefined;
  }
  for (const line of text.split('\n')) {
    if (!line.includes('"listening"')) continue;
    try {
      const record = JSON.parse(line) as { msg?: unknown; url?: unknown };
      if (record.msg === 'listening' && typeof record.url === 'string') return record.url;
    } catch {
      // A line still being written: the next poll reads it whole.
    }
  }
  return undefined;
}

function cpuProfileArgs(context: StartContext): string[] {
  if (!context.cpuProfile) return [];
  return ['--cpu-prof', `--cpu-prof-dir=${context.cpuProfile.dir}`, `--cpu-prof-name=${context.cpuProfile.name}`];
}

/** Another build of mcp-sidecar to compare with (before/after a change), from BENCH_BASELINE_CLI. */
const BASELINE_CLI = process.env.BENCH_BASELINE_CLI;

async function startSidecar(context: StartContext, poolMin: number, script = SIDECAR_CLI, baseline = false): Promise<RunningTarget> {
  const command = context.command;
  const name = baseline ? 'mcp-sidecar-baseline' : poolMin > 0 ? 'mcp-sidecar-warm' : 'mcp-sidecar';
  const args = ['--port', '0', ...(poolMin > 0 ? ['--pool-min', String(poolMin)] : []), '--', ...command];
  const bridge = new BridgeProcess({ name, nodeArgs: cpuProfileArgs(context), script, args, logFile: context.logFile, tag: context.tag });
  const url = await bridge.waitUntil(() => listeningUrl(context.logFile), 'its "listening" log line');
  return new HttpTarget(name, bridge, url, command).ready(1 + poolMin);
}

export const mcpSidecar: TargetDefinition = {
  name: 'mcp-sidecar',
  describe: () => `\`node ${path.relative(process.cwd(), SIDECAR_CLI)} --port 0 -- <fixture>\`: its defaults (127.0.0.1, no pool: a child spawned per session)`,
  start: (context) => startSidecar(context, 0),
};

export const mcpSidecarBaseline: TargetDefinition = {
  name: 'mcp-sidecar-baseline',
  describe: () => `another build, \`node ${BASELINE_CLI ?? '$BENCH_BASELINE_CLI'} --port 0 -- <fixture>\`, for before/after figures (run it with --targets … and BENCH_BASELINE_CLI set)`,
  start: (context) => {
    if (!BASELINE_CLI) throw new Error('the mcp-sidecar-baseline target needs BENCH_BASELINE_CLI: the path of another build\'s dist/src/cli/main.js');
    return startSidecar(context, 0, BASELINE_CLI, true);
  },
};

export const mcpSidecarWarm: TargetDefinition = {
  name: 'mcp-sidecar-warm',
  describe: () => `the same with \`--pool-min ${POOL_MIN}\`: children started ahead, a session pays only its initialize`,
  start: (context) => startSidecar(context, POOL_MIN),
};
