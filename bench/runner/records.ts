import type { Window } from '../lib/clock.js';
import type { Metrics, PhaseName } from '../phases/phase.js';
import type { FixtureName } from '../targets/fixture-command.js';
import type { TargetName } from '../targets/target.js';

/** One phase against one target serving one fixture in one round. */
export interface RunRecord {
  round: number;
  phase: PhaseName;
  fixture: FixtureName;
  target: TargetName;
  /** Undefined when the phase failed. */
  metrics: Metrics | undefined;
  /** Why the phase failed (start, protocol, timeout). */
  error: string | undefined;
  requestErrors: number;
  firstRequestError: string | undefined;
  /** Processes still running after the target was stopped, which the bench killed. */
  leftBehind: string[];
  /** Wall time of the whole run: start, phase, stop. */
  seconds: number;
  /** Of which starting the target. */
  startSeconds: number;
  /** With --cpu-prof: the profile of the target, and the part of it this phase measured. */
  profile: { file: string; window: Window } | undefined;
}

/** mcp-sidecar and the floor: a failure of theirs fails the run; a peer's is reported. */
export function isOurs(target: TargetName): boolean {
  return target === 'floor' || target.startsWith('mcp-sidecar');
}

/** What makes the run fail: a phase that errored, or a target of ours that lost requests or processes. */
export function failureOf(record: RunRecord): string | undefined {
  const where = `round ${record.round + 1}, ${record.phase}, ${record.fixture} fixture, ${record.target}`;
  if (record.error !== undefined) return `${where}: ${record.error}`;
  if (!isOurs(record.target)) return undefined;
  if (record.requestErrors > 0) return `${where}: ${record.requestErrors} request(s) failed, first: ${record.firstRequestError ?? '?'}`;
  if (record.leftBehind.length > 0) return `${where}: left processes behind: ${record.leftBehind.join('; ')}`;
  if ((record.metrics?.leftBehind ?? 0) > 0) return `${where}: ${record.metrics?.leftBehind} process(es) still ran 15 s after SIGTERM`;
  const missing = Object.entries(record.metrics ?? {}).filter(([, value]) => Number.isNaN(value)).map(([key]) => key);
  if (missing.length > 0) return `${where}: no figure for ${missing.join(', ')} (e.g. no exit within 15 s of SIGTERM)`;
  return undefined;
}
