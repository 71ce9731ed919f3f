/**
 * The benchmark: mcp-sidecar against the floor and the public bridges, phase by phase, in
 * interleaved rounds; the report goes to BENCHMARKS.md (or --out). See runner/options.ts for the
 * flags and BENCHMARKS.md for the method. Every process it starts carries the run's tag; at the
 * end the process table is checked, and anything left fails the run.
 */
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { ROOT, SIDECAR_CLI } from './lib/paths.js';
import { killTagged } from './lib/process-table.js';
import { FULL_COUNTS, QUICK_COUNTS } from './phases/counts.js';
import { PHASES } from './phases/registry.js';
import { formatProfileSummary, summarizeProfile } from './profile/top-self-time.js';
import { describeMachine, loadAverage } from './report/machine.js';
import { renderReport } from './report/markdown.js';
import { checkTargets } from './report/targets.js';
import { parseOptions, USAGE, UsageError, type BenchOptions } from './runner/options.js';
import { failureOf, type RunRecord } from './runner/records.js';
import { runRounds } from './runner/rounds.js';
import type { RunSettings } from './runner/run-phase.js';
import { FIXTURE_FILES } from './targets/fixture-command.js';
import type { RunningTarget } from './targets/target.js';

const EXIT_FAILED = 1;
const EXIT_USAGE = 2;
const PHASE_TIMEOUT_MS = { full: 10 * 60_000, quick: 60_000 };

function say(line: string): void {
  process.stderr.write(`${line}\n`);
}

function optionsOrExit(): BenchOptions {
  try {
    const options = parseOptions(process.argv.slice(2));
    if (options !== 'help') return options;
    process.stdout.write(USAGE);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    say(`error: ${error.message} (see --help)`);
    process.exit(EXIT_USAGE);
  }
  process.exit(0);
}

function describeRecord(record: RunRecord, rounds: number): string {
  const where = `[r${record.round + 1}/${rounds}] ${record.phase.padEnd(10)} ${record.fixture.padEnd(4)} ${record.target.padEnd(16)}`;
  if (record.error !== undefined) return `${where} FAILED: ${record.error}`;
  const figures = PHASES[record.phase].metrics
    .filter((metric) => record.metrics?.[metric.key] !== undefined)
    .map((metric) => `${metric.label} ${(record.metrics?.[metric.key] as number).toFixed(metric.digits)}${metric.unit === '' ? '' : ` ${metric.unit}`}`);
  const left = record.leftBehind.length > 0 ? ` · left ${record.leftBehind.length} process(es) behind` : '';
  const start = record.startSeconds > 0 ? `, of which start ${record.startSeconds.toFixed(1)} s` : '';
  return `${where} ${figures.join(' · ')}${left}  (${record.seconds.toFixed(1)} s${start})`;
}

/** Stops what runs and sweeps the run's tag when the bench itself is interrupted. */
function stopOnSignal(active: Set<RunningTarget>, runTag: string): void {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      say(`${signal}: stopping the targets`);
      void Promise.allSettled([...active].map((target) => target.stop())).then(() => {
        killTagged(runTag);
        process.exit(130);
      });
    });
  }
}

/** Top self time of each profile, within the measured part of its phase(s). */
function printProfiles(records: readonly RunRecord[]): void {
  const windows = new Map<string, { phases: string[]; start: number; end: number }>();
  for (const record of records) {
    if (!record.profile) continue;
    const seen = windows.get(record.profile.file);
    const { start, end } = record.profile.window;
    if (seen) windows.set(record.profile.file, { phases: [...seen.phases, record.phase], start: Math.min(seen.start, start), end: Math.max(seen.end, end) });
    else windows.set(record.profile.file, { phases: [record.phase], start, end });
  }
  for (const [file, { phases, start, end }] of windows) {
    if (!existsSync(file)) {
      say(`\n${file}: not written (the daemon did not exit normally)`);
      continue;
    }
    say(`\n${formatProfileSummary(`${file} (measured part of ${phases.join(', ')})`, summarizeProfile(file, 12, { start, end }))}`);
  }
}

async function main(): Promise<void> {
  const options = optionsOrExit();
  for (const file of [SIDECAR_CLI, ...options.fixtures.map((fixture) => FIXTURE_FILES[fixture])]) {
    if (!existsSync(file)) {
      say(`error: ${path.relative(ROOT, file)} is missing; run npm run build first`);
      process.exit(EXIT_FAILED);
    }
  }
  const counts = options.quick ? QUICK_COUNTS : FULL_COUNTS;
  const runTag = `bench-${randomUUID().slice(0, 8)}`;
  const workDir = mkdtempSync(path.join(os.tmpdir(), 'mcp-sidecar-bench-'));
  const cpuProfDir = options.cpuProfDir === undefined ? undefined : path.resolve(options.cpuProfDir);
  if (cpuProfDir !== undefined) mkdirSync(cpuProfDir, { recursive: true });
  const settings: RunSettings = { counts, phaseTimeoutMs: options.quick ? PHASE_TIMEOUT_MS.quick : PHASE_TIMEOUT_MS.full, runTag, workDir, cpuProfDir, active: new Set() };
  stopOnSignal(settings.active, runTag);

  const machine = describeMachine();
  const loadStart = loadAverage();
  say(`bench ${runTag}: ${options.rounds} round(s) of ${options.phases.join(', ')} on ${options.targets.join(', ')} serving ${options.fixtures.join(', ')}; logs in ${workDir}`);
  const started = performance.now();
  const plan = { rounds: options.rounds, phases: options.phases, targets: options.targets, fixtures: options.fixtures, shareInstances: options.quick };
  const records = await runRounds(settings, plan, (record) => say(describeRecord(record, options.rounds)));
  const durationSeconds = (performance.now() - started) / 1000;

  const report = renderReport({ records, machine, load: { start: loadStart, end: loadAverage() }, rounds: options.rounds, quick: options.quick, counts, targets: options.targets, fixtures: options.fixtures, durationSeconds, ...(options.note === undefined ? {} : { note: options.note }) });
  const out = path.resolve(options.out ?? (options.quick ? path.join(os.tmpdir(), `mcp-sidecar-bench-${runTag}.md`) : path.join(ROOT, 'BENCHMARKS.md')));
  writeFileSync(out, report);
  say(`\nreport: ${out} (${durationSeconds.toFixed(1)} s)`);
  for (const check of checkTargets(records)) say(`  ${check.status.padEnd(12)} ${check.goal}: ${check.measured}`);
  if (cpuProfDir !== undefined) printProfiles(records);

  const failures = records.map(failureOf).filter((failure): failure is string => failure !== undefined);
  const left = killTagged(runTag);
  if (left.length > 0) failures.push(`processes left behind by the bench (now killed): ${left.map(({ pid, cmdline }) => `${pid} ${cmdline}`).join('; ')}`);
  if (failures.length > 0) {
    say(`\nbench FAILED (logs kept in ${workDir}):`);
    for (const failure of failures) say(`  ${failure}`);
    process.exit(EXIT_FAILED);
  }
  if (options.keepLogs) say(`logs kept in ${workDir}`);
  else rmSync(workDir, { recursive: true, force: true });
  say('process table: nothing left behind');
}

await main();
