/**
 * The audit log: one line per tool call (tool, session, principal, duration, outcome, error code).
 * The session (and server) come from the session logger's bindings.
 * Arguments are left out unless --log-tool-args, and then every value under a key that names a
 * secret is replaced before the line is written.
 */
import type { Logger } from './logger.js';
import type { RequestOutcome } from './metrics.js';

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

const SECRET_KEY = /pass(word|wd)?|secret|token|api[-_]?key|auth|credential|cookie|private[-_]?key|session/i;
const MAX_DEPTH = 8;

/** A copy of `value` with every value under a secret-looking key replaced. */
export function redactSecrets(value: unknown, depth = 0): unknown {
  if (depth > MAX_DEPTH) return '[too deep]';
  if (Array.isArray(value)) return value.map((item) => redactSecrets(item, depth + 1));
  if (typeof value !== 'object' || value === null) return value;
  const copy: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) copy[key] = SECRET_KEY.test(key) ? '[redacted]' : redactSecrets(item, depth + 1);
  return copy;
}

export function auditToolCall(logger: Logger, record: ToolCallRecord): void {
  const line: Record<string, unknown> = { audit: 'tool-call', ...record };
  if (record.arguments !== undefined) line.arguments = redactSecrets(record.arguments);
  logger.info(line, `tool call ${record.tool}: ${record.outcome}`);
}
