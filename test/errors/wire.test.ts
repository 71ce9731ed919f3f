/**
 * The wire-error registry and its reference page stay in step: every reason is a row of
 * docs/errors.md with its HTTP status and JSON-RPC code, and the page names no reason the code
 * does not have. Nor does README.md or any other page of docs/: every reason they name exists, and
 * where they give it a status (`400 BATCH_REFUSED`, `503` (`MEMORY_LIMIT`)) or a code
 * (`TOOL_FORBIDDEN` (`-32006`)), it is the registry's. wireError() builds the body every refusal is
 * sent with.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { ALLOWED_IN_FAMILIES, protectedFamilyOf } from '../../src/auth/principal-env.js';
import { WIRE_ERRORS, wireError, type WireErrorReason } from '../../src/errors/wire.js';
import { MAX_ID_LENGTH } from '../../src/jsonrpc/request-id.js';
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

/** The pages an operator reads: README.md and every page of docs/. */
/** Pages about the daemon (docs/era-*.md are notes on a protocol revision: they quote the spec's and the SDK's names). */
const PAGES = ['README.md', ...readdirSync(path.join(ROOT, 'docs')).filter((name) => name.endsWith('.md') && !name.startsWith('era-')).map((name) => `docs/${name}`)];

/**
 * Backquoted UPPER_SNAKE names in the pages that are not error reasons: environment variables,
 * signals, errno codes, HTTP methods, Dockerfile instructions, the registry's own name. Any other
 * such name must be a registry reason, so a renamed or invented reason in prose fails here.
 */
const NOT_REASONS = new RegExp(`^(${[
  'MCP_SIDECAR_\\w+', 'SIG[A-Z]+', 'PATH', 'HOME', 'USER', 'SHELL', 'LANG', 'API_KEY', 'NOTIFY_SOCKET', 'PM2_HOME', 'NODE_OPTIONS',
  'NODE_IMAGE', 'NODE_EXTRA_CA_CERTS', 'TINI_SUBREAPER', 'ENOENT', 'EACCES', 'GET', 'POST', 'PUT', 'DELETE', 'HEAD', 'OPTIONS',
  'HEALTHCHECK', 'ENTRYPOINT', 'CMD', 'WIRE_ERRORS', 'PROTECTED_FAMILIES',
  // Provider key prefixes that --log-tool-args redacts.
  'AKIA', 'ASIA',
].join('|')})$`);

/** Environment variables the README's --principal-env table lists: variables, not reasons. */
const isListedVariable = (name: string): boolean => protectedFamilyOf(name) !== undefined || ALLOWED_IN_FAMILIES.includes(name);

interface Mention {
  page: string;
  line: number;
  reason: string;
  status?: string;
  code?: string;
}

/** Every reason a page names, with the status or code it gives it in one of the three forms. */
function mentions(page: string, markdown: string): Mention[] {
  const found: Mention[] = [];
  markdown.split('\n').forEach((text, index) => {
    const line = index + 1;
    for (const [, reason] of text.matchAll(/`([A-Z][A-Z0-9_]{2,})`/g)) if (!NOT_REASONS.test(reason ?? '') && !isListedVariable(reason ?? '')) found.push({ page, line, reason: reason ?? '' });
    for (const [, status, reason, code] of text.matchAll(/`(\d{3}) ([A-Z][A-Z0-9_]+)`(?:\s+\(`(-32\d{3})`)?/g)) found.push({ page, line, reason: reason ?? '', status, code });
    for (const [, status, reason] of text.matchAll(/`(\d{3})` \(`([A-Z][A-Z0-9_]+)`\)/g)) found.push({ page, line, reason: reason ?? '', status });
    for (const [, reason, code] of text.matchAll(/`([A-Z][A-Z0-9_]+)`\s+\(`(-32\d{3})`\)/g)) found.push({ page, line, reason: reason ?? '', code });
  });
  return found;
}

describe('the pages name the registry as it is', () => {
  const all = PAGES.flatMap((page) => mentions(page, readFileSync(path.join(ROOT, page), 'utf8')));

  it('finds the reasons README.md names (the scan works)', () => {
    const inReadme = all.filter((one) => one.page === 'README.md');
    for (const reason of ['BATCH_REFUSED', 'INVALID_ID', 'INVALID_INITIALIZE_PARAMS', 'TOOL_FORBIDDEN', 'MEMORY_LIMIT']) {
      assert.ok(inReadme.some((one) => one.reason === reason), `README.md should name ${reason}`);
    }
    assert.ok(inReadme.some((one) => one.status !== undefined) && inReadme.some((one) => one.code !== undefined));
  });

  it('names no reason the registry does not have', () => {
    const unknown = all.filter((one) => !REASONS.includes(one.reason as WireErrorReason));
    assert.deepEqual(unknown.map((one) => `${one.reason} (${one.page} line ${one.line})`), []);
  });

  it('gives each reason the HTTP status and JSON-RPC code of the registry', () => {
    for (const one of all) {
      const spec = WIRE_ERRORS[one.reason as WireErrorReason] as { status: number; code: number } | undefined;
      if (!spec) continue; // Reported by the test above.
      if (one.status !== undefined) assert.equal(one.status, String(spec.status), `status of ${one.reason} (${one.page} line ${one.line})`);
      if (one.code !== undefined) assert.equal(one.code, String(spec.code), `code of ${one.reason} (${one.page} line ${one.line})`);
    }
  });

  it('says the id limit the code enforces', () => {
    assert.match(WIRE_ERRORS.INVALID_ID.message, new RegExp(`at most ${MAX_ID_LENGTH} characters`));
    for (const page of ['README.md', 'docs/errors.md']) {
      assert.match(readFileSync(path.join(ROOT, page), 'utf8'), new RegExp(`at most ${MAX_ID_LENGTH} characters`), page);
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
