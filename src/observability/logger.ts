/**
 * The daemon's only log sink: pino, JSON, on stderr (stdout stays free for whatever runs us).
 * Secrets never reach a line: the redaction list covers every place a credential could ride in.
 */
import { pino, type Logger } from 'pino';
import type { LogLevel } from '../config/schema.js';
import { isoTime } from './iso-time.js';
import { BatchedLogSink, LOG_BATCH_CHARS } from './log-sink.js';

export type { Logger };

export const REDACTED_PATHS = [
  'authorization',
  'headers.authorization',
  'req.headers.authorization',
  'req.headers.cookie',
  'token',
  'env',
];

/** Set on the loggers createLogger() makes (a child logger inherits it: pino children are made with Object.create). */
const OWN = Symbol('mcp-sidecar.logger');

/** Whether `logger` came from createLogger() (or is a child of one): its line format is the one this file sets. */
export function isOwnLogger(logger: Logger): boolean {
  return (logger as Logger & { [OWN]?: true })[OWN] === true;
}

/** Log lines are written when 12 KiB have gathered (log-sink.ts) or this long after the first, whichever is first. */
export const LOG_FLUSH_MS = 100;

/**
 * Writes are batched (a line per tool call must not cost a syscall, nor a copy of the pending
 * lines, per call on the relay's hot path: log-sink.ts); a timer flushes what is pending within
 * LOG_FLUSH_MS, and the CLI flushes before it exits.
 */
export function createLogger(level: LogLevel, destination?: pino.DestinationStream): Logger {
  let sink = destination;
  if (!sink) {
    const stderr = new BatchedLogSink(pino.destination({ dest: 2, sync: false, minLength: LOG_BATCH_CHARS }));
    setInterval(() => stderr.flush(), LOG_FLUSH_MS).unref();
    sink = stderr;
  }
  const logger = pino(
    {
      level,
      base: { service: 'mcp-sidecar' },
      timestamp: isoTime,
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
      formatters: { level: (label) => ({ level: label }) },
    },
    sink,
  );
  Object.defineProperty(logger, OWN, { value: true });
  return logger;
}
