/**
 * From per-round records to what the report shows, for one fixture: per target the median of a
 * figure across rounds (with its spread), and ratios taken within each round, then the median of
 * those. Figures of different fixtures are never compared with each other.
 */
import type { PhaseName } from '../phases/phase.js';
import { max, median, min } from '../lib/stats.js';
import type { RunRecord } from '../runner/records.js';
import type { FixtureName } from '../targets/fixture-command.js';
import { PEERS, type TargetName } from '../targets/target.js';

export interface Spread {
  median: number;
  min: number;
  max: number;
  rounds: number;
}

export class Summary {
  private readonly records: readonly RunRecord[];

  constructor(records: readonly RunRecord[], fixture: FixtureName) {
    this.records = records.filter((record) => record.fixture === fixture);
  }

  /** The figure by round, for the rounds where the phase succeeded on that target. */
  byRound(phase: PhaseName, key: string, target: TargetName): Map<number, number> {
    const values = new Map<number, number>();
    for (const record of this.records) {
      const value = record.phase === phase && record.target === target ? record.metrics?.[key] : undefined;
      if (value !== undefined && Number.isFinite(value)) values.set(record.round, value);
    }
    return values;
  }

  spread(phase: PhaseName, key: string, target: TargetName): Spread | undefined {
    const values = [...this.byRound(phase, key, target).values()];
    if (values.length === 0) return undefined;
    return { median: median(values), min: min(values), max: max(values), rounds: values.length };
  }

  /** Median over rounds of `target ÷ other`, both measured in the same round. */
  ratio(phase: PhaseName, key: string, target: TargetName, other: TargetName): number | undefined {
    const mine = this.byRound(phase, key, target);
    const theirs = this.byRound(phase, key, other);
    const ratios: number[] = [];
    for (const [round, value] of mine) {
      const base = theirs.get(round);
      if (base !== undefined && base !== 0) ratios.push(value / base);
    }
    return ratios.length === 0 ? undefined : median(ratios);
  }

  /** Median over rounds of `target ÷ the better peer of that round` (higher or lower is better). */
  ratioToBetterPeer(phase: PhaseName, key: string, target: TargetName, better: 'higher' | 'lower'): number | undefined {
    const mine = this.byRound(phase, key, target);
    const peers = PEERS.map((peer) => this.byRound(phase, key, peer));
    const ratios: number[] = [];
    for (const [round, value] of mine) {
      const values = peers.map((peer) => peer.get(round)).filter((one): one is number => one !== undefined);
      if (values.length !== PEERS.length) continue;
      const best = better === 'higher' ? max(values) : min(values);
      if (best !== 0) ratios.push(value / best);
    }
    return ratios.length === 0 ? undefined : median(ratios);
  }
}
