/**
 * A phase is one measurement, run against a fresh instance of each target it applies to. It
 * returns named figures; the report takes medians across rounds and ratios within rounds.
 */
import type { Window } from '../lib/clock.js';
import type { RunningTarget, TargetName } from '../targets/target.js';
import type { Counts } from './counts.js';

/** In run order; exit is last because it takes the target down. */
export const PHASE_NAMES = ['setup', 'burst', 'sequential', 'concurrent', 'big', 'memory', 'sdk', 'modern', 'shared', 'exit'] as const;
export type PhaseName = (typeof PHASE_NAMES)[number];

export interface MetricSpec {
  key: string;
  label: string;
  unit: string;
  better: 'lower' | 'higher';
  /** Shown with its ratios to the floor and to each peer. */
  ratios: boolean;
  digits: number;
}

export type Metrics = Record<string, number>;

/** The bridge's own CPU per call over the measured part (bench/lib/cpu-meter.ts); the floor has none. */
export const CPU_PER_CALL: MetricSpec = { key: 'cpuPerCall', label: 'bridge CPU per call', unit: 'µs', better: 'lower', ratios: true, digits: 0 };

export interface PhaseResult {
  metrics: Metrics;
  /** Failed requests; a target of ours with any fails the run, a peer's are reported. */
  errors: number;
  /** The first error, when there were some. */
  firstError?: string;
  /** The measured part (for cutting it out of a --cpu-prof profile); the whole phase when absent. */
  window?: Window;
}

export interface Phase {
  name: PhaseName;
  title: string;
  /** What it does, for the report. */
  method(counts: Counts): string;
  metrics: readonly MetricSpec[];
  /** The targets it runs against. */
  appliesTo(target: TargetName): boolean;
  run(target: RunningTarget, counts: Counts): Promise<PhaseResult>;
}

/** Every target but the warm pool variant, which differs from mcp-sidecar only at session setup. */
export function exceptWarm(target: TargetName): boolean {
  return target !== 'mcp-sidecar-warm';
}
