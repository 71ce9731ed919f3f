/**
 * The soak's command line, validated eagerly: a bad flag or value is one line naming the flag,
 * the value and what is accepted, and exit code 2.
 */
import { parseArgs } from 'node:util';
import { DURATION_FORMAT, parseDuration } from '../../src/config/duration.js';

export interface SoakOptions {
  durationMs: number;
  /** Concurrent workers; each is its own principal (token), so per-principal caps never bind. */
  workers: number;
  /** Where the JSON of samples and outcomes goes (undefined: a file in the temp directory). */
  out: string | undefined;
  /** Between two samples of the daemon's RSS, fds, children and /metrics. */
  sampleEveryMs: number;
  keepLogs: boolean;
}

export const USAGE = `Usage: node dist/bench/soak/run.js [options]   (npm run soak -- --duration 1h)

  --duration <d>      how long the churn runs: 60s, 10m, 1h (default 10m); then the soak waits
                      for idle reaping, stops the daemon and checks
  --workers <n>       concurrent workers, 1 to 32 (default 6)
  --sample-every <d>  sampling interval (default: duration/120, within 2s..10s)
  --out <file>        the JSON of samples and outcomes (default: a file in the temp directory)
  --keep-logs         keep the daemon's log even when every check passes
  --help              this text

Exit codes: 0 every check passed, 1 a check failed, 2 bad usage.
`;

export class UsageError extends Error {}

function durationOf(flag: string, raw: string): number {
  const ms = parseDuration(raw);
  if (ms === undefined || !Number.isFinite(ms) || ms < 1000) throw new UsageError(`${flag} ${JSON.stringify(raw)}: expected ${DURATION_FORMAT}, finite and at least 1s`);
  return ms;
}

function workersOf(raw: string): number {
  const workers = Number(raw);
  if (!/^\d+$/.test(raw) || workers < 1 || workers > 32) throw new UsageError(`--workers ${JSON.stringify(raw)}: expected a whole number from 1 to 32`);
  return workers;
}

/** The options, or `'help'`; throws UsageError. */
export function parseOptions(argv: readonly string[]): SoakOptions | 'help' {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      options: {
        duration: { type: 'string' },
        workers: { type: 'string' },
        'sample-every': { type: 'string' },
        out: { type: 'string' },
        'keep-logs': { type: 'boolean' },
        help: { type: 'boolean' },
      },
      strict: true,
      allowPositionals: false,
    });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const { values } = parsed;
  if (values.help) return 'help';
  const durationMs = durationOf('--duration', values.duration ?? '10m');
  const sampleEveryMs = values['sample-every'] === undefined
    ? Math.min(10_000, Math.max(2000, Math.round(durationMs / 120)))
    : durationOf('--sample-every', values['sample-every']);
  return { durationMs, workers: workersOf(values.workers ?? '6'), out: values.out, sampleEveryMs, keepLogs: values['keep-logs'] ?? false };
}
