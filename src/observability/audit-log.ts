/**
 * The audit log: one line per tool call (tool, session, principal, duration, outcome, error code).
 * The session (and server) come from the session logger's bindings.
 * Arguments are left out unless --log-tool-args, and then whatever looks like a secret (by key or
 * by value shape, see `redact.ts`) is replaced before the line is written.
 */
import type { Logger } from './logger.js';
import type { RequestOutcome } from './metrics.js';
import { redactSecrets } from './redact.js';

export interface ToolCallRecord {
  tool: string;
  principal?: string;
  durationMs: number;
  outcome: RequestOutcome;
  errorCode?: number;
  requestId?: string;
  traceId?: string;
  arguments?: unknown;
}

/**
 * The logger audit lines go to: `logger`'s bindings and `audit: 'tool-call'`, serialized once
 * (pino writes a child's bindings as ready text). Made once per session.
 */
export function auditLoggerOf(logger: Logger): Logger {
  return logger.child({ audit: 'tool-call' });
}

/** One line, to a logger from auditLoggerOf(). */
export function auditToolCall(auditLogger: Logger, record: ToolCallRecord): void {
  const line = record.arguments === undefined ? record : { ...record, arguments: redactSecrets(record.arguments) };
  auditLogger.info(line, `tool call ${record.tool}: ${record.outcome}`);
}
