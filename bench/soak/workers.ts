/**
 * The churn: a bounded number of workers, each running operations one after another until the
 * deadline, each operation bounded in time. A worker walks the weighted schedule from its own
 * offset, so at any moment the workers are doing different things.
 */
import { withTimeout } from '../lib/wait.js';
import type { Operation, OperationContext } from './ops/operation.js';
import { Outcomes, Unexpected } from './outcomes.js';

/** Longest one operation may take (the slowest, ws.abandon, waits for idle reaping). */
const OPERATION_TIMEOUT_MS = 60_000;

/** Each operation `weight` times, interleaved round-robin so heavy ones are spread out. */
export function scheduleOf(operations: readonly Operation[]): Operation[] {
  const schedule: Operation[] = [];
  const most = Math.max(...operations.map((operation) => operation.weight));
  for (let round = 0; round < most; round++) {
    for (const operation of operations) if (operation.weight > round) schedule.push(operation);
  }
  return schedule;
}

function describe(error: unknown): string {
  if (error instanceof Unexpected) return error.message;
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

export interface ChurnPlan {
  operations: readonly Operation[];
  contexts: readonly OperationContext[];
  deadline: number;
  startedAt: number;
}

async function runWorker(plan: ChurnPlan, worker: number, outcomes: Outcomes): Promise<void> {
  const schedule = scheduleOf(plan.operations);
  const context = plan.contexts[worker] as OperationContext;
  let next = Math.floor((worker * schedule.length) / plan.contexts.length);
  while (Date.now() < plan.deadline) {
    const operation = schedule[next % schedule.length] as Operation;
    next++;
    try {
      const label = await withTimeout(operation.run(context), OPERATION_TIMEOUT_MS, operation.name);
      outcomes.expected(operation.name, label);
    } catch (error) {
      outcomes.unexpectedAnswer(operation.name, (Date.now() - plan.startedAt) / 1000, describe(error));
    }
  }
}

/** Runs every worker to the deadline; resolves when the last one finished its last operation. */
export async function runChurn(plan: ChurnPlan, outcomes: Outcomes): Promise<void> {
  await Promise.all(plan.contexts.map((_context, worker) => runWorker(plan, worker, outcomes)));
}
