/**
 * Every child exit becomes one record. The log line, the client's error, health and (later) the
 * restart decision and metrics all read this one object. `result` uses systemd's words where they
 * exist (`exit-code`, `signal`, `timeout`, `start-limit-hit`).
 */
export type StopReason = 'session-end' | 'idle' | 'ttl' | 'timeout' | 'memory' | 'shutdown';

export type ExitResult = 'success' | 'exit-code' | 'signal' | 'spawn-failed' | StopReason;

export interface ExitRecord {
  result: ExitResult;
  exitCode: number | null;
  signal: string | null;
  /** From spawn to exit. */
  durationMs: number;
  pid: number | undefined;
  /** Why the process could not start (spawn-failed only). */
  error?: string;
  /** How far down the stop ladder a planned stop had to go. */
  stoppedBy?: 'eof' | 'sigterm' | 'sigkill';
}

/** The result for an exit nobody asked for, from how the process ended. */
export function unplannedResult(exitCode: number | null, signal: string | null): ExitResult {
  if (signal) return 'signal';
  return exitCode === 0 ? 'success' : 'exit-code';
}

/** One human sentence for logs and client errors, e.g. `exited with code 3 after 120ms`. */
export function describeExit(record: ExitRecord): string {
  const after = `after ${record.durationMs}ms`;
  switch (record.result) {
    case 'spawn-failed':
      return `could not be started: ${record.error ?? 'unknown error'}`;
    case 'success':
      return `exited with code 0 ${after}`;
    case 'exit-code':
      return `exited with code ${record.exitCode} ${after}`;
    case 'signal':
      return `was killed by ${record.signal} ${after}`;
    default:
      return `was stopped (${record.result}) ${after}`;
  }
}
