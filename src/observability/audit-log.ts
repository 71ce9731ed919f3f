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

export function auditToolCall(logger: Logger, record: ToolCallRecord): void {
  const line: Record<string, unknown> = { audit: 'tool-call', ...record };
  if (record.arguments !== undefined) line.arguments = redactSecrets(record.arguments);
  logger.info(line, `tool call ${record.tool}: ${record.outcome}`);
}
