/**
 * What the daemon refuses in a client's message before the child sees it, on all three transports,
 * against the real daemon and the echo fixture recording its stdin (--record-dir):
 * - an id a client may not use (a fraction, 1e300, 12345678901234567890, a boolean, null, an
 *   object, an array, a string over 256 characters) gets INVALID_ID at once, with `id: null`,
 *   instead of reaching the child and never being answered under the id that was sent;
 * - a malformed `initialize` gets INVALID_INITIALIZE_PARAMS naming the field: on Streamable HTTP no
 *   session is opened and no child started; on WebSocket and legacy SSE (whose connection is the
 *   session) the child never sees it and a corrected initialize is served.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { JsonRpcErrorBody, WireErrorReason } from '../../src/errors/wire.js';
import { startDaemon, type TestDaemon } from '../helpers/daemon.js';
import { MCP_ACCEPT, openSession, rawRequest, sessionHeaders, type RawResponse } from '../helpers/http.js';
import { INITIALIZED, initializeMessage, RawSse, RawWs, type Message } from '../helpers/legacy-clients.js';
import { metricSum } from '../helpers/metrics.js';
import { waitFor } from '../helpers/poll.js';
import { processesTagged } from '../helpers/process-table.js';

const VERSION = '2025-06-18';
const CLIENT_INFO = { name: 'raw-test', version: '1.0.0' };

/** Ids as they are written on the wire (JSON.stringify could not write 12345678901234567890). */
const BAD_IDS: [what: string, json: string][] = [
  ['a fraction', '1.5'],
  ['1e300', '1e300'],
  ['an integer JSON cannot carry exactly', '12345678901234567890'],
  ['-(2^53)', '-9007199254740992'],
  ['a boolean', 'true'],
  ['null', 'null'],
  ['an object', '{"n":1}'],
  ['an array', '[1]'],
  ['a string of 257 characters', JSON.stringify('x'.repeat(257))],
];

/** The edges that are fine: ±(2^53−1) and a string of 256 characters. */
const GOOD_IDS = ['9007199254740991', '-9007199254740991', JSON.stringify('k'.repeat(256))];

const callWithId = (id: string, marker: string): string =>
  `{"jsonrpc":"2.0","id":${id},"method":"tools/call","params":{"name":"echo","arguments":{"text":"${marker}"}}}`;

const MALFORMED_INITIALIZE: [params: unknown, field: string][] = [
  [{}, 'protocolVersion'],
  [undefined, 'params'],
  [{ protocolVersion: 20250618, capabilities: {}, clientInfo: CLIENT_INFO }, 'protocolVersion'],
  [{ protocolVersion: VERSION, clientInfo: CLIENT_INFO }, 'capabilities'],
  [{ protocolVersion: VERSION, capabilities: [], clientInfo: CLIENT_INFO }, 'capabilities'],
  [{ protocolVersion: VERSION, capabilities: {} }, 'clientInfo'],
  [{ protocolVersion: VERSION, capabilities: {}, clientInfo: 'raw-test' }, 'clientInfo'],
  [{ protocolVersion: VERSION, capabilities: {}, clientInfo: { version: '1.0.0' } }, 'clientInfo.name'],
  [{ protocolVersion: VERSION, capabilities: {}, clientInfo: { name: 7, version: '1.0.0' } }, 'clientInfo.name'],
  [{ protocolVersion: VERSION, capabilities: {}, clientInfo: { name: 'raw-test' } }, 'clientInfo.version'],
];

const badInitialize = (index: number, params: unknown): string =>
  JSON.stringify({ jsonrpc: '2.0', id: `bad-init-${index}`, method: 'initialize', ...(params === undefined ? {} : { params }) });

/** Every child started so far writes one file; what it read on stdin is in it. */
function recordings(dir: string): string[] {
  return readdirSync(dir).map((name) => readFileSync(path.join(dir, name), 'utf8'));
}

function assertErrorBody(body: unknown, reason: WireErrorReason, code: number, id: string | number | null, what: string): JsonRpcErrorBody {
  const error = body as JsonRpcErrorBody;
  assert.deepEqual(Object.keys(error).sort(), ['error', 'id', 'jsonrpc'], `${what}: ${JSON.stringify(body)}`);
  assert.equal(error.id, id, what);
  assert.equal(error.error.code, code, what);
  assert.equal(error.error.data.reason, reason, what);
  return error;
}

function assertRefusal(response: RawResponse, reason: WireErrorReason, code: number, id: string | number | null, what: string): JsonRpcErrorBody {
  assert.equal(response.status, 400, `${what}: ${response.text}`);
  assert.match(response.headers.get('content-type') ?? '', /^application\/json\b/, what);
  return assertErrorBody(response.json, reason, code, id, what);
}

/** The answer in a POST's response, a JSON body or the last message of an SSE body. */
function answerIn(response: RawResponse): Message {
  if (response.json !== undefined) return response.json as Message;
  const data = response.text.split('\n').filter((line) => line.startsWith('data: ')).map((line) => JSON.parse(line.slice(6)) as Message);
  return data.findLast((message) => !('method' in message)) ?? assert.fail(`no answer in ${response.text}`);
}

function assertField(error: JsonRpcErrorBody, field: string, what: string): void {
  assert.equal(error.error.data.field, field, what);
  assert.ok(error.error.message.includes(field), `${what}: the message names ${field}: ${error.error.message}`);
}

describe('ids a client may not use are refused before the child sees them', () => {
  let daemon: TestDaemon;
  let dir: string;

  before(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'mcp-sidecar-ids-'));
    daemon = await startDaemon({ fixture: { name: 'echo-server', args: [`--record-dir=${dir}`] } });
  });
  after(async () => {
    await daemon.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('Streamable HTTP: 400 INVALID_ID at once with id null; ids at the edges are served', async () => {
    const session = await openSession(daemon.url, VERSION);
    for (const [index, [what, id]] of BAD_IDS.entries()) {
      const response = await rawRequest(daemon.url, { method: 'POST', headers: sessionHeaders(session, VERSION), body: callWithId(id, `never-http-${index}`), signal: AbortSignal.timeout(5000) });
      assertRefusal(response, 'INVALID_ID', -32600, null, what);
    }
    for (const id of GOOD_IDS) {
      const response = await rawRequest(daemon.url, { method: 'POST', headers: sessionHeaders(session, VERSION), body: callWithId(id, 'kept-http'), signal: AbortSignal.timeout(10_000) });
      assert.equal(response.status, 200, response.text);
      const answer = answerIn(response);
      assert.equal(answer.id, JSON.parse(id) as string | number);
      assert.ok('result' in answer, JSON.stringify(answer));
    }
  });

  it('legacy SSE: the POST answers 400 INVALID_ID; the stream carries nothing for it', async () => {
    const sse = await RawSse.open(daemon);
    const post = (body: string): Promise<RawResponse> =>
      rawRequest(`${daemon.baseUrl}${sse.endpoint}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body, signal: AbortSignal.timeout(5000) });
    try {
      assert.equal((await post(JSON.stringify(initializeMessage('init')))).status, 202);
      await sse.answerTo('init');
      assert.equal((await post(JSON.stringify(INITIALIZED))).status, 202);
      for (const [index, [what, id]] of BAD_IDS.entries()) assertRefusal(await post(callWithId(id, `never-sse-${index}`)), 'INVALID_ID', -32600, null, what);
      assert.equal((await post(callWithId(GOOD_IDS[0] as string, 'kept-sse'))).status, 202);
      await sse.answerTo(Number(GOOD_IDS[0]));
      assert.deepEqual(sse.messages.filter((message) => message.id === null || 'error' in message), []);
    } finally {
      sse.close();
    }
  });

  it('WebSocket: an error frame with id null, and the connection stays usable', async () => {
    const ws = await RawWs.open(daemon);
    try {
      await ws.initialize();
      for (const [index, [what, id]] of BAD_IDS.entries()) {
        const seen = ws.messages.length;
        ws.send(callWithId(id, `never-ws-${index}`));
        const frame = await waitFor(() => ws.messages.slice(seen).find((message) => !('method' in message)), { timeoutMs: 5000, what: `the error frame for ${what}` });
        assertErrorBody(frame, 'INVALID_ID', -32600, null, what);
      }
      ws.send(callWithId(GOOD_IDS[0] as string, 'kept-ws'));
      assert.ok('result' in (await ws.answerTo(Number(GOOD_IDS[0]))));
      assert.equal(ws.closed, undefined);
    } finally {
      await ws.close();
    }
  });

  it('the children read none of them, and every request at the edges', () => {
    const read = recordings(dir).join('');
    assert.ok(!read.includes('never-'), `a refused request reached a child: ${read.split('\n').filter((line) => line.includes('never-')).join('\n')}`);
    for (const marker of ['kept-http', 'kept-sse', 'kept-ws']) assert.ok(read.includes(marker), `the recording misses ${marker}`);
    assert.deepEqual(daemon.strayStderr, []);
  });
});

describe('a malformed initialize is refused before anything is started', () => {
  let daemon: TestDaemon;
  let dir: string;
  const started = (transport: string): Promise<number> => metricSum(daemon.baseUrl, 'mcp_sidecar_sessions_started_total', { transport });
  const children = (): number[] => processesTagged(daemon.tag).filter((info) => info.pid !== daemon.pid).map((info) => info.pid);

  before(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'mcp-sidecar-init-'));
    daemon = await startDaemon({ fixture: { name: 'echo-server', args: [`--record-dir=${dir}`] } });
  });
  after(async () => {
    await daemon.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('Streamable HTTP: 400 INVALID_INITIALIZE_PARAMS (-32602) naming the field; no session, no child', async () => {
    for (const [index, [params, field]] of MALFORMED_INITIALIZE.entries()) {
      const response = await rawRequest(daemon.url, {
        method: 'POST', headers: { 'content-type': 'application/json', accept: MCP_ACCEPT }, body: badInitialize(index, params), signal: AbortSignal.timeout(5000),
      });
      assertField(assertRefusal(response, 'INVALID_INITIALIZE_PARAMS', -32602, `bad-init-${index}`, field), field, field);
      assert.equal(response.headers.get('mcp-session-id'), null);
    }
    assert.equal(await started('streamable-http'), 0);
    assert.deepEqual(children(), []);
    assert.deepEqual(recordings(dir), []);
    // A well-formed one is served, and counted: the checks above would have seen a session.
    await openSession(daemon.url, VERSION);
    assert.equal(await started('streamable-http'), 1);
    assert.equal(recordings(dir).length, 1);
  });

  it('WebSocket: an error frame naming the field, the child never sees it, and a corrected initialize is served', async () => {
    const ws = await RawWs.open(daemon);
    try {
      for (const [index, [params, field]] of MALFORMED_INITIALIZE.entries()) {
        ws.send(badInitialize(index, params));
        assertField(assertErrorBody(await ws.answerTo(`bad-init-${index}`, 5000), 'INVALID_INITIALIZE_PARAMS', -32602, `bad-init-${index}`, field), field, field);
      }
      const answer = await ws.initialize();
      assert.equal((answer.result as { serverInfo: { name: string } }).serverInfo.name, 'echo-fixture');
      assert.equal(ws.closed, undefined);
    } finally {
      await ws.close();
    }
  });

  it('legacy SSE: the POST answers 400 naming the field, the child never sees it, and a corrected initialize is served', async () => {
    const sse = await RawSse.open(daemon);
    const post = (body: string): Promise<RawResponse> =>
      rawRequest(`${daemon.baseUrl}${sse.endpoint}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body, signal: AbortSignal.timeout(5000) });
    try {
      for (const [index, [params, field]] of MALFORMED_INITIALIZE.entries()) {
        assertField(assertRefusal(await post(badInitialize(index, params)), 'INVALID_INITIALIZE_PARAMS', -32602, `bad-init-${index}`, field), field, field);
      }
      assert.equal((await post(JSON.stringify(initializeMessage('init')))).status, 202);
      const answer = await sse.answerTo('init');
      assert.equal((answer.result as { serverInfo: { name: string } }).serverInfo.name, 'echo-fixture');
      assert.deepEqual(sse.messages.filter((message) => String(message.id).startsWith('bad-init-')), []);
    } finally {
      sse.close();
    }
  });

  it('no child read any of them', () => {
    const read = recordings(dir).join('');
    assert.ok(!read.includes('bad-init-'), `a refused initialize reached a child: ${read}`);
    assert.equal(read.split('\n').filter((line) => line.includes('"method":"initialize"')).length, 3);
    assert.deepEqual(daemon.strayStderr, []);
  });
});
