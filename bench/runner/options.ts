/**
 * The bench's command line, validated eagerly: a bad flag or value is one line naming the flag,
 * the value and what is accepted, and exit code 2.
 */
import { parseArgs } from 'node:util';
import { PHASE_NAMES, type PhaseName } from '../phases/phase.js';
import { FIXTURE_NAMES, type FixtureName } from '../targets/fixture-command.js';
import { TARGET_NAMES, type TargetName } from '../targets/target.js';

export interface BenchOptions {
  rounds: number;
  quick: boolean;
  /** Undefined: BENCHMARKS.md for a full run, a temp file for --quick. */
  out: string | undefined;
  targets: TargetName[];
  phases: PhaseName[];
  /** The stdio servers the targets serve, each through every phase. */
  fixtures: FixtureName[];
  /** Run mcp-sidecar under node --cpu-prof, profiles in this directory. */
  cpuProfDir: string | undefined;
  /** Keep the targets' log files even when the run passes. */
  keepLogs: boolean;
  /** A line for the report's Machine table (e.g. that the machine was shared while it ran). */
  note: string | undefined;
}

export const USAGE = `Usage: node dist/bench/run.js [options]   (npm run bench, npm run bench:quick)

  --rounds <n>       interleaved rounds; every round runs every target once per phase,
                     in a rotated order (default 5; with --quick 1)
  --quick            the seconds-long CI run: tiny counts, report to a temp file
  --out <file>       where the Markdown report goes (default BENCHMARKS.md;
                     with --quick a temp file)
  --targets <list>   comma-separated subset of: ${TARGET_NAMES.join(', ')}
  --phases <list>    comma-separated subset of: ${PHASE_NAMES.join(', ')}
  --fixtures <list>  the stdio servers served, comma-separated subset of: ${FIXTURE_NAMES.join(', ')}
                     (lean: bench/fixtures/bench-server.ts, no SDK; sdk: an SDK McpServer,
                     test/fixtures/sdk-bench-server.ts; default both)
  --cpu-prof <dir>   run mcp-sidecar under node --cpu-prof; one .cpuprofile per phase and
                     round in <dir>, and a top self-time summary at the end
  --keep-logs        keep every target's log file (kept anyway when the run fails)
  --note <text>      a line for the report's Machine table (e.g. "shared with 8 other jobs")
  --help             this text

Exit codes: 0 done, 1 a phase failed or a process was left behind, 2 bad usage.
`;

export class UsageError extends Error {}

function parseList<T extends string>(flag: string, raw: string, allowed: readonly T[]): T[] {
  const items = raw.split(',').map((item) => item.trim()).filter((item) => item !== '');
  const unknown = items.filter((item) => !(allowed as readonly string[]).includes(item));
  if (items.length === 0 || unknown.length > 0) {
    throw new UsageError(`${flag} ${JSON.stringify(raw)}: expected a comma-separated list of ${allowed.join(', ')}`);
  }
  return allowed.filter((name) => items.includes(name));
}

function parseRounds(raw: string): number {
  const rounds = Number(raw);
  if (!/^\d+$/.test(raw) || rounds < 1 || rounds > 100) throw new UsageError(`--rounds ${JSON.stringify(raw)}: expected a whole number from 1 to 100`);
  return rounds;
}

/** The options, or `'help'`; throws UsageError. */
export function parseOptions(argv: readonly string[]): BenchOptions | 'help' {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      options: {
        rounds: { type: 'string' },
        quick: { type: 'boolean', default: false },
        out: { type: 'string' },
        targets: { type: 'string' },
        phases: { type: 'string' },
        fixtures: { type: 'string' },
        'cpu-prof': { type: 'string' },
        'keep-logs': { type: 'boolean', default: false },
        note: { type: 'string' },
        help: { type: 'boolean', default: false },
      },
      strict: true,
      allowPositionals: false,
    });
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
  const { values } = parsed;
  if (values.help) return 'help';
  if (values['cpu-prof'] === '') throw new UsageError('--cpu-prof "": expected a directory');
  if (values.out === '') throw new UsageError('--out "": expected a file path');
  if (values.note !== undefined && (values.note.trim() === '' || /[|\n]/.test(values.note))) throw new UsageError(`--note ${JSON.stringify(values.note)}: expected one line of text without "|"`);
  return {
    quick: values.quick,
    rounds: values.rounds === undefined ? (values.quick ? 1 : 5) : parseRounds(values.rounds),
    out: values.out,
    // The baseline (another build) only when one is given.
    targets: values.targets === undefined
      ? TARGET_NAMES.filter((name) => name !== 'mcp-sidecar-baseline' || process.env.BENCH_BASELINE_CLI !== undefined)
      : parseList('--targets', values.targets, TARGET_NAMES),
    phases: values.phases === undefined ? [...PHASE_NAMES] : parseList('--phases', values.phases, PHASE_NAMES),
    fixtures: values.fixtures === undefined ? [...FIXTURE_NAMES] : parseList('--fixtures', values.fixtures, FIXTURE_NAMES),
    cpuProfDir: values['cpu-prof'],
    keepLogs: values['keep-logs'],
    note: values.note,
  };
}
