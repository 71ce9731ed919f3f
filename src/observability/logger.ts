/**
 * The daemon's only log sink: pino, JSON, on stderr (stdout stays free for whatever runs us).
 * Secrets never reach a line: the redaction list covers every place a credential could ride in.
 */
import { pino, type Logger } from 'pino';
import type { LogLevel } from '../config/schema.js';

export type { Logger };

export const REDACTED_PATHS = [
  'authorization',
  'headers.authorization',
  'req.headers.authorization',
  'req.headers.cookie',
  'token',
  'env',
];

export function createLogger(level: LogLevel, destination: pino.DestinationStream = pino.destination({ dest: 2, sync: false })): Logger {
  return pino(
    {
      level,
      base: { service: 'mcp-sidecar' },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
      formatters: { level: (label) => ({ level: label }) },
    },
    destination,
  );
}
