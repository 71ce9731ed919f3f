/**
 * Interleaved rounds: round r runs every phase, within a phase each fixture, and for each fixture
 * every target once, starting one further along the list each round. A slow minute on a shared machine then lands on all
 * targets alike, and each round's ratios compare targets measured side by side.
 */
import { PHASES } from '../phases/registry.js';
import type { PhaseName } from '../phases/phase.js';
import type { FixtureName } from '../targets/fixture-command.js';
import type { TargetName } from '../targets/target.js';
import type { RunRecord } from './records.js';
import { runPhases, type RunSettings } from './run-phase.js';

export interface Plan {
  rounds: number;
  phases: readonly PhaseName[];
  targets: readonly TargetName[];
  fixtures: readonly FixtureName[];
  /** One instance per target and round for all phases (the quick run), instead of one per phase. */
  shareInstances: boolean;
}

export function rotate<T>(items: readonly T[], by: number): T[] {
  if (items.length === 0) return [];
  const shift = by % items.length;
  return [...items.slice(shift), ...items.slice(0, shift)];
}

export async function runRounds(settings: RunSettings, plan: Plan, onRecord: (record: RunRecord) => void): Promise<RunRecord[]> {
  const records: RunRecord[] = [];
  const run = async (round: number, phases: PhaseName[], fixture: FixtureName, target: TargetName): Promise<void> => {
    for (const record of await runPhases(settings, round, phases.map((name) => PHASES[name]), fixture, target)) {
      records.push(record);
      onRecord(record);
    }
  };
  for (let round = 0; round < plan.rounds; round++) {
    if (plan.shareInstances) {
      for (const fixture of plan.fixtures) {
        for (const target of rotate(plan.targets, round)) {
          const phases = plan.phases.filter((name) => PHASES[name].appliesTo(target));
          if (phases.length > 0) await run(round, phases, fixture, target);
        }
      }
      continue;
    }
    for (const name of plan.phases) {
      for (const fixture of plan.fixtures) {
        for (const target of rotate(plan.targets.filter((one) => PHASES[name].appliesTo(one)), round)) await run(round, [name], fixture, target);
      }
    }
  }
  return records;
}
