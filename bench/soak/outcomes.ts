/**
 * Every answer the soak gets, classified: an operation returns the label of the expected outcome
 * it saw (`ok`, `CHILD_EXITED`, `PARSE_ERROR`, ...) or throws; whatever it throws is unexpected.
 */

/** Thrown by an operation for an answer it did not expect; the message says what came. */
export class Unexpected extends Error {}

/** Throws Unexpected naming `what` unless `condition` holds. */
export function expect(condition: boolean, what: string): asserts condition {
  if (!condition) throw new Unexpected(what);
}

export interface OperationTally {
  runs: number;
  /** Expected outcomes by label. */
  expected: Record<string, number>;
  unexpected: number;
}

export interface UnexpectedAnswer {
  operation: string;
  atSeconds: number;
  detail: string;
}

/** How many unexpected answers are kept with their details (all are counted). */
const KEPT_DETAILS = 50;

export class Outcomes {
  readonly byOperation = new Map<string, OperationTally>();
  readonly unexpected: UnexpectedAnswer[] = [];
  unexpectedTotal = 0;

  private tally(operation: string): OperationTally {
    let tally = this.byOperation.get(operation);
    if (!tally) {
      tally = { runs: 0, expected: {}, unexpected: 0 };
      this.byOperation.set(operation, tally);
    }
    return tally;
  }

  expected(operation: string, label: string): void {
    const tally = this.tally(operation);
    tally.runs++;
    tally.expected[label] = (tally.expected[label] ?? 0) + 1;
  }

  unexpectedAnswer(operation: string, atSeconds: number, detail: string): void {
    const tally = this.tally(operation);
    tally.runs++;
    tally.unexpected++;
    this.unexpectedTotal++;
    if (this.unexpected.length < KEPT_DETAILS) this.unexpected.push({ operation, atSeconds, detail });
  }

  toJSON(): { byOperation: Record<string, OperationTally>; unexpectedTotal: number; unexpected: UnexpectedAnswer[] } {
    return { byOperation: Object.fromEntries([...this.byOperation].sort(([a], [b]) => a.localeCompare(b))), unexpectedTotal: this.unexpectedTotal, unexpected: this.unexpected };
  }
}
