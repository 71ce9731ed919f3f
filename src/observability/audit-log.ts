/**
 * The audit log: one line per tool call (tool, session, principal, duration, outcome, error code).
 * The session (and server) come from the session logger's bindings.
 * Arguments are left out unless --log-tool-args, and then whatever looks like a secret (by key or
 * by value shape, see `redact.ts`) is replaced before the line is written.
 *
 * A line is written on every tool call, so on the daemon's own loggers (createLogger) it is put
 * together here, as the very line pino would write: pino's general path (its key loop, the
 * redaction wrapper, the level formatter) cost the relay ~15 µs a call while V8 was still warming
 * it. Any other logger gets the record through pino as usual.
 */
import { pino } from 'pino';
import { isOwnLogger, type Logger } from './logger.js';
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

const { chindingsSym, streamSym, timeSym } = pino.symbols;

/** What pino keeps on a logger under its symbols: its bindings as text, its stream, its clock. */
interface PinoInternals {
  [key: symbol]: unknown;
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
  if (!isOwnLogger(auditLogger)) {
    const line = record.arguments === undefined ? record : { ...record, arguments: redactSecrets(record.arguments) };
    auditLogger.info(line, `tool call ${record.tool}: ${record.outcome}`);
    return;
  }
  if (!auditLogger.isLevelEnabled('info')) return;
  const held = auditLogger as unknown as PinoInternals;
  const time = (held[timeSym] as () => string)();
  (held[streamSym] as { write(line: string): unknown }).write(`${toolCallLine(record, time, held[chindingsSym] as string)}\n`);
}

/**
 * The JSON of an audit line: `time` is `,"time":…` and `bindings` is `,"key":…` for each binding,
 * as pino holds them. Numbers are integers or a child's error code, written as JSON writes them.
 */
export function toolCallLine(record: ToolCallRecord, time: string, bindings: string): string {
  let line = `{"level":"info"${time}${bindings},"tool":${JSON.stringify(record.tool)}`;
  if (record.principal !== undefined) line += `,"principal":${JSON.stringify(record.principal)}`;
  line += `,"durationMs":${JSON.stringify(record.durationMs)},"outcome":${JSON.stringify(record.outcome)}`;
  if (record.errorCode !== undefined) line += `,"errorCode":${JSON.stringify(record.errorCode)}`;
  if (record.requestId !== undefined) line += `,"requestId":${JSON.stringify(record.requestId)}`;
  if (record.traceId !== undefined) line += `,"traceId":${JSON.stringify(record.traceId)}`;
  if (record.arguments !== undefined) line += `,"arguments":${JSON.stringify(redactSecrets(record.arguments)) ?? 'null'}`;
  return `${line},"msg":${JSON.stringify(`tool call ${record.tool}: ${record.outcome}`)}}`;
}
