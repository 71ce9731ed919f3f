import { bigPhase } from './big.js';
import { burstPhase } from './burst.js';
import { concurrentPhase } from './concurrent.js';
import { exitPhase } from './exit.js';
import { memoryPhase } from './memory.js';
import { modernPhase } from './modern.js';
import type { Phase, PhaseName } from './phase.js';
import { sdkPhase } from './sdk.js';
import { sequentialPhase } from './sequential.js';
import { sharedPhase } from './shared.js';
import { setupPhase } from './setup.js';

/** Every phase, in run and report order. */
export const PHASES: Readonly<Record<PhaseName, Phase>> = {
  setup: setupPhase,
  burst: burstPhase,
  sequential: sequentialPhase,
  concurrent: concurrentPhase,
  big: bigPhase,
  memory: memoryPhase,
  sdk: sdkPhase,
  modern: modernPhase,
  shared: sharedPhase,
  exit: exitPhase,
};
