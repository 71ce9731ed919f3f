/**
 * The wire-error registry and its reference page stay in step: every reason is a row of
 * docs/errors.md with its HTTP status and JSON-RPC code, and the page names no reason the code
 * does not have. wireError() builds the body every refusal is sent with.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { WIRE_ERRORS, wireError, type WireErrorReason } from '../../src/errors/wire.js';
import { ROOT } from '../helpers/paths.js';

const REASONS = Object.keys(WIRE_ERRORS) as WireErrorReason[];

interface DocRow {
  reason: string;
  status: string;
  code: string;
  line: number;
}

/** Table rows whose first cell is a backquoted UPPER_SNAKE name: `| \`REASON\` | status | code | ... |`. */
function documentedRows(markdown: string): DocRow[] {
  const rows: DocRow[] = [];
  markdown.split('\n').forEach((text, index) => {
    const cells = text.trim().split('|').slice(1, -1).map((cell) => cell.trim());
    const reason = /^`([A-Z][A-Z0-9_]*)`$/.exec(cells[0] ?? '')?.[1];
    if (reason) rows.push({ reason, status: cells[1] ?? '', code: cells[2] ?? '', line: index + 1 });
  });
  return rows;
}

describe('the wire-error registry', () => {
  const rows = documentedRows(readFileSync(path.join(ROOT, 'docs', 'errors.md'), 'utf8'));

  it('has a row in docs/errors.md for every reason, with its status and code', () => {
    for (const reason of REASONS) {
      const found = rows.filter((row) => row.reason === reason);
      assert.equal(found.length, 1, `docs/errors.md should have exactly one row for ${reason}, has ${found.length}`);
      const [row] = found as [DocRow];
      assert.equal(row.status, String(WIRE_ERRORS[reason].status), `HTTP status of ${reason} (docs/errors.md line ${row.line})`);
      assert.equal(row.code, String(WIRE_ERRORS[reason].code), `JSON-RPC code of ${reason} (docs/errors.md line ${row.line})`);
    }
  });

  it('documents no reason the registry does not have', () => {
    const unknown = rows.filter((row) => !REASONS.includes(row.reason as WireErrorReason));
    assert.deepEqual(unknown.map((row) => `${row.reason} (line ${row.line})`), []);
  });

  it('uses HTTP error statuses, or 200 for errors that answer one request, and JSON-RPC server codes', () => {
    for (const reason of REASONS) {
      const { status, code, message } = WIRE_ERRORS[reason];
      assert.ok(status === 200 || (status >= 400 && status <= 599), `${reason}: status ${status}`);
      assert.ok(Number.isInteger(code) && code >= -32768 && code <= -32000, `${reason}: code ${code} is outside JSON-RPC's reserved range`);
      assert.ok(message.length > 0, `${reason}: empty message`);
    }
  });
});

describe('wireError()', () => {
  it('builds the JSON-RPC error shape with data.reason for every reason', () => {
    for (const reason of REASONS) {
      assert.deepEqual(wireError(reason), {
        jsonrpc: '2.0',
        id: null,
        error: { code: WIRE_ERRORS[reason].code, message: WIRE_ERRORS[reason].message, data: { reason } },
      });
    }
  });

  it('carries the request id it is given, string or number', () => {
    assert.equal(wireError('DUPLICATE_REQUEST_ID', 'abc').id, 'abc');
    assert.equal(wireError('DUPLICATE_REQUEST_ID', 0).id, 0);
    assert.equal(wireError('PARSE_ERROR', null).id, null);
  });

  it('appends a detail to the registry message after a colon, and ignores an empty one', () => {
    assert.equal(wireError('UNSUPPORTED_PROTOCOL_VERSION', null, '1999-01-01').error.message, 'Bad Request: unsupported MCP-Protocol-Version: 1999-01-01');
    assert.equal(wireError('NOT_FOUND', null, '').error.message, 'Not Found');
  });

  it('merges extra data next to the reason', () => {
    const exit = { result: 'exit-code', exitCode: 3 };
    const body = wireError('CHILD_EXITED', 4, 'the MCP server exited with code 3', { exit, stderr: ['boom'] });
    assert.deepEqual(body.error.data, { reason: 'CHILD_EXITED', exit, stderr: ['boom'] });
    assert.equal(body.error.code, -32003);
  });

  it('keeps data.reason the registry key even when extra data has a reason of its own', () => {
    const body = wireError('SESSION_ENDED', 1, undefined, { reason: 'shutdown' });
    assert.equal(body.error.data.reason, 'SESSION_ENDED');
  });

  it('is plain JSON: it survives a round trip unchanged', () => {
    const body = wireError('CHILD_START_FAILED', 'init-1', 'spawn failed', { exit: { result: 'spawn-failed' } });
    assert.deepEqual(JSON.parse(JSON.stringify(body)), body);
  });
});
