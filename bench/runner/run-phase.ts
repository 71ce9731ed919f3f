/**
 * Phases against one fresh instance of one target: start it, run each phase within a deadline,
 * stop it, and sweep its tag whatever happened, so a failure never leaves a process behind. A full
 * run gives every phase its own instance; the quick run shares one per target to stay short.
 */
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Counts } from '../phases/counts.js';
import type { Phase } from '../phases/phase.js';
import { monotonicMicros } from '../lib/clock.js';
import { killTagged } from '../lib/process-table.js';
import { withTimeout } from '../lib/wait.js';
import { TARGETS } from '../targets/registry.js';
import { fixtureCommand, type FixtureName } from '../targets/fixture-command.js';
import type { RunningTarget, StartContext, TargetName } from '../targets/target.js';
import type { RunRecord } from './records.js';

const START_TIMEOUT_MS = 60_000;

export interface RunSettings {
  counts: Counts;
  phaseTimeoutMs: number;
  runTag: string;
  workDir: string;
  cpuProfDir: string | undefined;
  /** Targets running right now, for the bench's own signal handler. */
  active: Set<RunningTarget>;
}

let instances = 0;

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function emptyRecord(round: number, phase: Phase, fixture: FixtureName, target: TargetName): RunRecord {
  return { round, phase: phase.name, fixture, target, metrics: undefined, error: undefined, requestErrors: 0, firstRequestError: undefined, leftBehind: [], seconds: 0, startSeconds: 0, profile: undefined };
}

/**
 * Starts the target, once more if the first try fails (a free port taken between the probe and the
 * bridge's listen, a start slowed past its deadline): a flaky start must not fail CI. The failed
 * try's processes are swept by its tag first.
 */
async function start(target: TargetName, context: StartContext): Promise<RunningTarget> {
  const attempt = (): Promise<RunningTarget> => withTimeout(TARGETS[target].start(context), START_TIMEOUT_MS, `starting ${target}`);
  try {
    return await attempt();
  } catch (error) {
    killTagged(context.tag);
    process.stderr.write(`${target} failed to start (${messageOf(error).split('\n')[0] ?? ''}); trying once more\n`);
    return attempt();
  }
}

export async function runPhases(settings: RunSettings, round: number, phases: readonly Phase[], fixture: FixtureName, target: TargetName): Promise<RunRecord[]> {
  const tag = `${settings.runTag}-${++instances}`;
  const stem = `r${round + 1}-${phases.map((phase) => phase.name).join('+')}-${fixture}-${target}`;
  const cpuProfile = settings.cpuProfDir !== undefined && target.startsWith('mcp-sidecar') ? { dir: settings.cpuProfDir, name: `${stem}.cpuprofile` } : undefined;
  const records = phases.map((phase) => emptyRecord(round, phase, fixture, target));
  const last = records[records.length - 1] as RunRecord;
  let running: RunningTarget | undefined;
  let clock = performance.now();
  try {
    running = await start(target, { tag, command: fixtureCommand(fixture, tag), logFile: path.join(settings.workDir, `${stem}.log`), cpuProfile });
    settings.active.add(running);
    (records[0] as RunRecord).startSeconds = (performance.now() - clock) / 1000;
    for (const [index, phase] of phases.entries()) {
      const record = records[index] as RunRecord;
      const begin = monotonicMicros();
      try {
        const result = await withTimeout(phase.run(running, settings.counts), settings.phaseTimeoutMs, `phase ${phase.name} on ${target} (${fixture} fixture)`);
        if (cpuProfile) record.profile = { file: path.join(cpuProfile.dir, cpuProfile.name), window: result.window ?? { start: begin, end: monotonicMicros() } };
        record.metrics = result.metrics;
        record.requestErrors = result.errors;
        record.firstRequestError = result.firstError;
      } catch (error) {
        record.error = messageOf(error);
      }
      if (index < records.length - 1) {
        record.seconds = (performance.now() - clock) / 1000;
        clock = performance.now();
      }
    }
  } catch (error) {
    for (const record of records) record.error = messageOf(error);
  } finally {
    if (running) {
      last.leftBehind = await running.stop().catch((error: unknown) => [`stop failed: ${messageOf(error)}`]);
      settings.active.delete(running);
    }
    // A start that failed half-way has no handle to stop: its processes still carry the tag.
    last.leftBehind.push(...killTagged(tag).map(({ pid, cmdline }) => `${pid} ${cmdline}`));
    last.seconds = (performance.now() - clock) / 1000;
  }
  return records;
}
