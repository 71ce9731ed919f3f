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
 * as pino holds them. The outcome is one of a few plain words and the duration a whole number of
 * milliseconds, written as they are; the tool's name is escaped once, for its member and the message.
 */
export function toolCallLine(record: ToolCallRecord, time: string, bindings: string): string {
  const tool = JSON.stringify(record.tool);
  let line = `{"level":"info"${time}${bindings},"tool":${tool}`;
  if (record.principal !== undefined) line += `,"principal":${JSON.stringify(record.principal)}`;
  line += `,"durationMs":${Number.isInteger(record.durationMs) ? record.durationMs : JSON.stringify(record.durationMs)},"outcome":"${record.outcome}"`;
  if (record.errorCode !== undefined) line += `,"errorCode":${JSON.stringify(record.errorCode)}`;
  if (record.requestId !== undefined) line += `,"requestId":${JSON.stringify(record.requestId)}`;
  if (record.traceId !== undefined) line += `,"traceId":${JSON.stringify(record.traceId)}`;
  if (record.arguments !== undefined) line += `,"arguments":${JSON.stringify(redactSecrets(record.arguments)) ?? 'null'}`;
  // The message is `tool call <tool>: <outcome>`; the name's JSON without its quotes is its escaped text.
  return `${line},"msg":"tool call ${tool.slice(1, -1)}: ${record.outcome}"}`;
}
