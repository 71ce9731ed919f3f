/** What one unit of churn is: a named operation on one transport, run by a worker. */

export type TransportName = 'streamable-http' | 'legacy-sse' | 'websocket';

export interface OperationContext {
  baseUrl: string;
  /** The worker's own token (its principal). */
  token: string;
  /** A token the daemon does not know. */
  wrongToken: string;
  /** The idle timeout the daemon runs with, for operations that wait to be reaped. */
  idleTimeoutMs: number;
}

export interface Operation {
  name: string;
  transport: TransportName;
  /** Relative frequency in a worker's schedule. */
  weight: number;
  /** Resolves with the expected outcome's label; throws for anything else (see outcomes.ts). */
  run(context: OperationContext): Promise<string>;
}

/** What the big tool returns: 1 MiB. */
export const BIG_BYTES = 1024 * 1024;

/** The slow call a client cuts: long enough to be in flight when the cut comes. */
export const SLOW_CALL = { ms: 3000, steps: 6 };
