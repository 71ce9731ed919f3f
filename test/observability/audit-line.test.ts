/**
 * The audit line the daemon's own loggers get, put together by hand, is the very line pino writes
 * for the same record: the same members in the same order with the same values (the timestamp
 * aside), one line, secrets in the arguments redacted. Any other logger gets it through pino.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { pino } from 'pino';
import { auditLoggerOf, auditToolCall, type ToolCallRecord } from '../../src/observability/audit-log.js';
import { createLogger } from '../../src/observability/logger.js';
import { redactSecrets } from '../../src/observability/redact.js';

const RECORDS: ToolCallRecord[] = [
  { tool: 'echo', durationMs: 0, outcome: 'success', requestId: '1b4e28ba-2fa1-11d2-883f-0016d3cca427' },
  { tool: 'fail', durationMs: 12, outcome: 'is-error' },
  { tool: 'throw', durationMs: 3, outcome: 'error', errorCode: -32603, requestId: 'req "quoted" \\ id', traceId: '4bf92f3577b34da6a3ce929d0e0e4736' },
  { tool: 'naïve "tool"\nname ✓', principal: 'alice@example.com', durationMs: 120000, outcome: 'timeout', errorCode: -32001 },
  { tool: 'echo', durationMs: 5, outcome: 'success', arguments: { text: 'hi', apiKey: 'sk-SECRET-123', nested: { password: 'hunter2', keep: 'visible' }, list: [{ token: 't' }, 1, null, true] } },
  { tool: 'echo', durationMs: 1, outcome: 'cancelled', arguments: [] },
];

/** The lines a logger made by createLogger() writes, each as it was written. */
function capture(): { lines: string[]; logger: ReturnType<typeof createLogger> } {
  const lines: string[] = [];
  return { lines, logger: createLogger('info', { write: (line: string) => void lines.push(line) }) };
}

/** What pino itself writes for the record (the general path, as auditToolCall used to take it). */
function throughPino(record: ToolCallRecord): Record<string, unknown> {
  const { lines, logger } = capture();
  const audit = auditLoggerOf(logger.child({ sessionId: 's-1', server: 'de"mo' }));
  audit.info(record.arguments === undefined ? record : { ...record, arguments: redactSecrets(record.arguments) }, `tool call ${record.tool}: ${record.outcome}`);
  assert.equal(lines.length, 1);
  return JSON.parse(lines[0] as string) as Record<string, unknown>;
}

describe('audit line', () => {
  for (const [at, record] of RECORDS.entries()) {
    it(`is the line pino writes, member for member (record ${at + 1})`, () => {
      const { lines, logger } = capture();
      auditToolCall(auditLoggerOf(logger.child({ sessionId: 's-1', server: 'de"mo' })), record);
      assert.equal(lines.length, 1);
      const line = lines[0] as string;
      assert.ok(line.endsWith('}\n') && line.indexOf('\n') === line.length - 1, 'one line, ended by a newline');
      const ours = JSON.parse(line) as Record<string, unknown>;
      const theirs = throughPino(record);
      assert.match(String(ours.time), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      delete ours.time;
      delete theirs.time;
      assert.deepEqual(Object.keys(ours), Object.keys(theirs));
      assert.deepEqual(ours, theirs);
      assert.ok(!line.includes('sk-SECRET-123') && !line.includes('hunter2'), 'secrets redacted');
    });
  }

  it('writes nothing below the level', () => {
    const lines: string[] = [];
    const logger = createLogger('warn', { write: (line: string) => void lines.push(line) });
    auditToolCall(auditLoggerOf(logger), RECORDS[0] as ToolCallRecord);
    assert.deepEqual(lines, []);
  });

  it('goes through pino for a logger of another making', () => {
    const lines: string[] = [];
    const logger = pino({ base: undefined }, { write: (line: string) => void lines.push(line) });
    auditToolCall(auditLoggerOf(logger), RECORDS[4] as ToolCallRecord);
    const line = JSON.parse(lines[0] as string) as Record<string, unknown>;
    assert.equal(line.level, 30, 'pino\'s own level format');
    assert.equal(line.audit, 'tool-call');
    assert.deepEqual(line.arguments, redactSecrets((RECORDS[4] as ToolCallRecord).arguments));
  });
});
