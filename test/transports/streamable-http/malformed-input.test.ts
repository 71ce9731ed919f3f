/**
 * Malformed and unexpected input against the real daemon in front of the echo fixture, with raw
 * HTTP: every refusal has its exact status and a JSON-RPC error body naming its registry reason,
 * leaks no stack or path, starts no process, and leaves the sessions that were there working.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { after, before, describe, it } from 'node:test';
import type { JsonRpcErrorBody, JsonRpcId, WireErrorReason } from '../../../src/errors/wire.js';
import { startDaemon, type TestDaemon } from '../../helpers/daemon.js';
import { initializeBody, MCP_ACCEPT, openSession, rawRequest, type RawResponse } from '../../helpers/http.js';
import { waitFor } from '../../helpers/poll.js';
import { isAlive, processesTagged, type ProcessInfo } from '../../helpers/process-table.js';

const PROTOCOL = '2025-06-18';
const TOOLS_LIST = JSON.stringify({ jsonrpc: '2.0', id: 7, method: 'tools/list' });
const INITIALIZED = JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' });
/** 100 KiB of valid JSON-RPC, over the daemon's `--max-body 64kb`. */
const OVERSIZED = JSON.stringify({ jsonrpc: '2.0', id: 8, method: 'tools/call', params: { name: 'echo', arguments: { text: 'x'.repeat(100 * 1024) } } });

/** The sessions a case can name: opened, DELETEd, never opened, and one with its GET stream open. */
type Target = 'live' | 'ended' | 'unknown' | 'streaming';

interface MatrixCase {
  name: string;
  method?: string;
  path?: string;
  session?: Target;
  /** Over the method's defaults; `null` removes a default. */
  headers?: Record<string, string | null>;
  body?: string;
  /** node:http instead of fetch, for what fetch will not send (it adds `Accept: *\/*` when there is none). */
  nodeHttp?: boolean;
  expect: { status: number; code: number; reason: WireErrorReason; id?: JsonRpcId; allow?: string };
}

const NOT_ACCEPTABLE = { status: 406, code: -32000, reason: 'NOT_ACCEPTABLE' } as const;
const MEDIA_TYPE = { status: 415, code: -32000, reason: 'UNSUPPORTED_MEDIA_TYPE' } as const;
const INVALID = { status: 400, code: -32600, reason: 'INVALID_MESSAGE' } as const;
const ID_REQUIRED = { status: 400, code: -32000, reason: 'SESSION_ID_REQUIRED' } as const;
const ID_MALFORMED = { status: 400, code: -32000, reason: 'SESSION_ID_MALFORMED' } as const;
const NOT_FOUND_SESSION = { status: 404, code: -32001, reason: 'SESSION_NOT_FOUND' } as const;
const BAD_VERSION = { status: 400, code: -32000, reason: 'UNSUPPORTED_PROTOCOL_VERSION' } as const;
const TOO_LARGE = { status: 413, code: -32000, reason: 'BODY_TOO_LARGE' } as const;
const MCP_METHODS = { status: 405, code: -32000, reason: 'METHOD_NOT_ALLOWED', allow: 'GET, POST, DELETE' } as const;
const NO_PATH = { status: 404, code: -32000, reason: 'NOT_FOUND' } as const;
const FORBIDDEN_ORIGIN = { status: 403, code: -32000, reason: 'FORBIDDEN_ORIGIN' } as const;

const MATRIX: MatrixCase[] = [
  { name: 'POST with a Host that is not loopback', session: 'live', headers: { host: 'rebound.example' }, nodeHttp: true, expect: { status: 403, code: -32000, reason: 'FORBIDDEN_HOST' } },
  { name: 'POST with an Origin that is not loopback', session: 'live', headers: { origin: 'http://rebound.example' }, expect: FORBIDDEN_ORIGIN },
  { name: 'POST with Origin null', session: 'live', headers: { origin: 'null' }, expect: FORBIDDEN_ORIGIN },
  { name: 'POST accepting only application/json', session: 'live', headers: { accept: 'application/json' }, expect: NOT_ACCEPTABLE },
  { name: 'POST accepting only text/event-stream', session: 'live', headers: { accept: 'text/event-stream' }, expect: NOT_ACCEPTABLE },
  { name: 'POST without Accept', session: 'live', headers: { accept: null }, nodeHttp: true, expect: NOT_ACCEPTABLE },
  { name: 'POST with Content-Type text/plain', session: 'live', headers: { 'content-type': 'text/plain' }, expect: MEDIA_TYPE },
  { name: 'POST without Content-Type', session: 'live', headers: { 'content-type': null }, nodeHttp: true, expect: MEDIA_TYPE },
  { name: 'a body that is not JSON', session: 'live', body: '{"jsonrpc":"2.0","id":1,', expect: { status: 400, code: -32700, reason: 'PARSE_ERROR' } },
  { name: 'JSON that is not JSON-RPC', session: 'live', body: '{"hello":1}', expect: INVALID },
  { name: 'a JSON scalar', session: 'live', body: '42', expect: INVALID },
  { name: 'jsonrpc "1.0"', session: 'live', body: '{"jsonrpc":"1.0","id":5,"method":"tools/list"}', expect: { ...INVALID, id: 5 } },
  { name: 'a method that is a number', session: 'live', body: '{"jsonrpc":"2.0","id":"six","method":6}', expect: { ...INVALID, id: 'six' } },
  { name: 'an empty batch', session: 'live', body: '[]', expect: { status: 400, code: -32600, reason: 'EMPTY_BATCH' } },
  { name: 'a batch', session: 'live', body: `[${TOOLS_LIST},${TOOLS_LIST.replace('7', '9')}]`, expect: { status: 400, code: -32600, reason: 'BATCH_REFUSED' } },
  { name: 'POST of a request without Mcp-Session-Id', expect: { ...ID_REQUIRED, id: 7 } },
  { name: 'POST with an empty Mcp-Session-Id', headers: { 'mcp-session-id': '' }, expect: { ...ID_REQUIRED, id: 7 } },
  { name: 'GET without Mcp-Session-Id', method: 'GET', expect: ID_REQUIRED },
  { name: 'DELETE without Mcp-Session-Id', method: 'DELETE', expect: ID_REQUIRED },
  { name: 'Mcp-Session-Id with a space inside', headers: { 'mcp-session-id': 'a b' }, expect: { ...ID_MALFORMED, id: 7 } },
  { name: 'Mcp-Session-Id with a tab inside', headers: { 'mcp-session-id': 'a\tb' }, expect: { ...ID_MALFORMED, id: 7 } },
  { name: 'Mcp-Session-Id with a byte above 0x7E', headers: { 'mcp-session-id': 'caf\u00e9' }, expect: { ...ID_MALFORMED, id: 7 } },
  { name: 'Mcp-Session-Id of 257 characters', headers: { 'mcp-session-id': 'x'.repeat(257) }, expect: { ...ID_MALFORMED, id: 7 } },
  { name: 'POST to an unknown session', session: 'unknown', expect: { ...NOT_FOUND_SESSION, id: 7 } },
  { name: 'POST of a notification to an unknown session', session: 'unknown', body: INITIALIZED, expect: NOT_FOUND_SESSION },
  { name: 'GET of an unknown session', method: 'GET', session: 'unknown', expect: NOT_FOUND_SESSION },
  { name: 'DELETE of an unknown session', method: 'DELETE', session: 'unknown', expect: NOT_FOUND_SESSION },
  { name: 'POST to an ended session', session: 'ended', expect: { ...NOT_FOUND_SESSION, id: 7 } },
  { name: 'GET of an ended session', method: 'GET', session: 'ended', expect: NOT_FOUND_SESSION },
  { name: 'DELETE of an ended session', method: 'DELETE', session: 'ended', expect: NOT_FOUND_SESSION },
  { name: 'POST with MCP-Protocol-Version 1999-01-01', session: 'live', headers: { 'mcp-protocol-version': '1999-01-01' }, expect: { ...BAD_VERSION, id: 7 } },
  { name: 'GET with MCP-Protocol-Version 1999-01-01', method: 'GET', session: 'live', headers: { 'mcp-protocol-version': '1999-01-01' }, expect: BAD_VERSION },
  { name: 'DELETE with MCP-Protocol-Version 1999-01-01', method: 'DELETE', session: 'live', headers: { 'mcp-protocol-version': '1999-01-01' }, expect: BAD_VERSION },
  { name: 'initialize carrying Mcp-Session-Id', session: 'live', body: initializeBody(1), expect: { status: 400, code: -32600, reason: 'INITIALIZE_WITH_SESSION', id: 1 } },
  { name: 'a body over --max-body (declared length)', session: 'live', body: OVERSIZED, expect: TOO_LARGE },
  { name: 'a body over --max-body (chunked)', session: 'live', headers: { 'transfer-encoding': 'chunked' }, body: OVERSIZED, nodeHttp: true, expect: TOO_LARGE },
  { name: 'PUT on the endpoint', method: 'PUT', session: 'live', body: TOOLS_LIST, expect: MCP_METHODS },
  { name: 'PATCH on the endpoint', method: 'PATCH', session: 'live', body: TOOLS_LIST, expect: MCP_METHODS },
  { name: 'POST on /healthz', path: '/healthz', body: '{}', expect: { ...MCP_METHODS, allow: 'GET, HEAD' } },
  { name: 'GET of an unknown path', method: 'GET', path: '/nope', expect: NO_PATH },
  { name: 'POST under the endpoint path', path: '/mcp/extra', session: 'live', expect: NO_PATH },
  { name: 'GET accepting only application/json', method: 'GET', session: 'live', headers: { accept: 'application/json' }, expect: NOT_ACCEPTABLE },
  { name: 'GET without Accept', method: 'GET', session: 'live', headers: { accept: null }, nodeHttp: true, expect: NOT_ACCEPTABLE },
  { name: 'a second GET stream on one session', method: 'GET', session: 'streaming', expect: { status: 409, code: -32000, reason: 'STREAM_CONFLICT' } },
];

function defaultHeaders(method: string): Record<string, string> {
  if (method === 'POST') return { 'content-type': 'application/json', accept: MCP_ACCEPT, 'mcp-protocol-version': PROTOCOL };
  if (method === 'GET') return { accept: 'text/event-stream', 'mcp-protocol-version': PROTOCOL };
  if (method === 'DELETE') return { 'mcp-protocol-version': PROTOCOL };
  return {};
}

/** The same request over node:http, which sends exactly the headers it is given. */
function nodeHttpRequest(url: string, method: string, headers: Record<string, string>, body: string | undefined): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    let answered = false;
    const req = httpRequest(url, { method, headers }, (res) => {
      answered = true;
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('error', reject);
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        const flat = Object.entries(res.headers).map(([name, value]): [string, string] => [name, String(value)]);
        let json: unknown;
        try {
          json = text ? JSON.parse(text) : undefined;
        } catch {
          json = undefined; // The assertions on `text` say what it was.
        }
        resolve({ status: res.statusCode ?? 0, headers: new Headers(flat), text, json });
      });
    });
    // Once the server has answered, a reset of the upload it stopped reading is expected.
    req.on('error', (error) => (answered ? undefined : reject(error)));
    req.end(body);
  });
}

/** Status, content type, the JSON-RPC error shape with its code and reason, and nothing leaked. */
function assertWireError(response: RawResponse, expected: MatrixCase['expect']): void {
  assert.equal(response.status, expected.status, response.text);
  assert.match(response.headers.get('content-type') ?? '', /^application\/json\b/);
  // A stack frame reads "at fn (file:line)"; a path would name the checkout or the build.
  assert.doesNotMatch(response.text, /\bat\s/);
  for (const leak of ['/work', 'dist/', 'node:internal', 'file://']) assert.ok(!response.text.includes(leak), `body leaks ${leak}: ${response.text}`);
  const body = response.json as JsonRpcErrorBody;
  assert.ok(body && typeof body === 'object', `not JSON: ${response.text}`);
  assert.deepEqual(Object.keys(body).sort(), ['error', 'id', 'jsonrpc']);
  assert.equal(body.jsonrpc, '2.0');
  assert.equal(body.id, expected.id ?? null);
  assert.equal(body.error.code, expected.code);
  assert.equal(typeof body.error.message, 'string');
  assert.notEqual(body.error.message, '');
  assert.equal(body.error.data.reason, expected.reason);
  if (expected.allow) assert.equal(response.headers.get('allow'), expected.allow);
}

describe('Streamable HTTP refuses malformed input', () => {
  let daemon: TestDaemon;
  const ids: Record<Target, string> = { live: '', ended: '', unknown: `unknown-${randomUUID()}`, streaming: '' };
  const standalone = new AbortController();
  let baseline: { processes: number[]; sessions: number };

  const post = (sessionId: string, body: string, headers: Record<string, string> = {}): Promise<RawResponse> =>
    rawRequest(daemon.url, {
      method: 'POST',
      headers: { ...defaultHeaders('POST'), 'mcp-session-id': sessionId, ...headers },
      body,
    });

  /** The first text of a tools/call answered as one JSON body. */
  const callTool = async (sessionId: string, name: string, args: Record<string, unknown>): Promise<string> => {
    const response = await post(sessionId, JSON.stringify({ jsonrpc: '2.0', id: randomUUID(), method: 'tools/call', params: { name, arguments: args } }));
    assert.equal(response.status, 200, response.text);
    return (response.json as { result: { content: { text: string }[] } }).result.content[0]?.text ?? '';
  };

  /** Pids of the fixture processes (the daemon's own command line carries the tag too). */
  const fixturePids = (): number[] => processesTagged(daemon.tag).filter((info: ProcessInfo) => info.pid !== daemon.pid).map((info) => info.pid).sort();

  const readySessions = async (): Promise<number> => {
    const response = await rawRequest(`${daemon.baseUrl}/readyz`, { method: 'GET' });
    return (response.json as { sessions: number }).sessions;
  };

  before(async () => {
    daemon = await startDaemon({ fixture: { name: 'echo-server' }, args: ['--max-body', '64kb'] });
    ids.live = await openSession(daemon.url, PROTOCOL);
    ids.streaming = await openSession(daemon.url, PROTOCOL);
    const stream = await fetch(daemon.url, {
      method: 'GET',
      headers: { ...defaultHeaders('GET'), 'mcp-session-id': ids.streaming },
      signal: standalone.signal,
    });
    assert.equal(stream.status, 200);
    ids.ended = await openSession(daemon.url, PROTOCOL);
    const endedPid = (JSON.parse(await callTool(ids.ended, 'pid', {})) as { pid: number }).pid;
    const deleted = await rawRequest(daemon.url, { method: 'DELETE', headers: { ...defaultHeaders('DELETE'), 'mcp-session-id': ids.ended } });
    assert.equal(deleted.status, 200);
    await waitFor(() => !isAlive(endedPid), { what: 'the ended session\'s child to exit' });
    baseline = { processes: fixturePids(), sessions: await readySessions() };
    assert.equal(baseline.processes.length, 2, 'one child for each of the live and the streaming session');
    assert.equal(baseline.sessions, 2);
  });

  after(async () => {
    standalone.abort();
    await daemon.close();
  });

  for (const testCase of MATRIX) {
    it(`${testCase.name} → ${testCase.expect.status} ${testCase.expect.reason}`, async () => {
      const method = testCase.method ?? 'POST';
      const headers: Record<string, string> = defaultHeaders(method);
      if (testCase.session) headers['mcp-session-id'] = ids[testCase.session];
      for (const [name, value] of Object.entries(testCase.headers ?? {})) {
        if (value === null) delete headers[name];
        else headers[name] = value;
      }
      const body = testCase.body ?? (method === 'POST' ? TOOLS_LIST : undefined);
      const url = `${daemon.baseUrl}${testCase.path ?? '/mcp'}`;
      const response = testCase.nodeHttp
        ? await nodeHttpRequest(url, method, headers, body)
        : await rawRequest(url, { method, headers, ...(body === undefined ? {} : { body }) });
      assertWireError(response, testCase.expect);
    });
  }

  it('accepts a notification with 202 and an empty body', async () => {
    const response = await post(ids.live, INITIALIZED);
    assert.equal(response.status, 202);
    assert.equal(response.text, '');
  });

  it('takes an absent MCP-Protocol-Version to mean 2025-03-26 and serves the request', async () => {
    const headers: Record<string, string> = { ...defaultHeaders('POST'), 'mcp-session-id': ids.live };
    delete headers['mcp-protocol-version'];
    const response = await rawRequest(daemon.url, { method: 'POST', headers, body: TOOLS_LIST });
    assert.equal(response.status, 200, response.text);
    const tools = (response.json as { id: number; result: { tools: { name: string }[] } });
    assert.equal(tools.id, 7);
    assert.ok(tools.result.tools.some((tool) => tool.name === 'echo'));
  });

  it('answers a request reusing an id in flight with DUPLICATE_REQUEST_ID, and the first still succeeds', async () => {
    const call = JSON.stringify({
      jsonrpc: '2.0', id: 'dup-1', method: 'tools/call',
      params: { name: 'slow', arguments: { ms: 500, steps: 5 }, _meta: { progressToken: 'dup-progress' } },
    });
    // The first progress turns the first answer into an SSE stream: once its headers are here,
    // the request is in flight for certain, and the second can follow without a sleep.
    const first = await fetch(daemon.url, { method: 'POST', headers: { ...defaultHeaders('POST'), 'mcp-session-id': ids.live }, body: call });
    assert.equal(first.headers.get('content-type'), 'text/event-stream');
    const second = await post(ids.live, call);
    assertWireError(second, { status: 200, code: -32600, reason: 'DUPLICATE_REQUEST_ID', id: 'dup-1' });
    const events = (await first.text()).split('\n').filter((line) => line.startsWith('data: ')).map((line) => JSON.parse(line.slice(6)) as Record<string, unknown>);
    const answers = events.filter((event) => event.id === 'dup-1');
    assert.equal(answers.length, 1, 'exactly one answer for the first request');
    assert.deepEqual((answers[0] as { result: unknown }).result, { content: [{ type: 'text', text: 'slept 500' }] });
  });

  it('starts no process for 20 refused initialize requests', async () => {
    const initialize = initializeBody(1);
    const refusals: { headers: Record<string, string>; body: string; reason: WireErrorReason; status: number; code: number; id: JsonRpcId }[] = [
      { headers: { accept: 'application/json' }, body: initialize, ...NOT_ACCEPTABLE, id: null },
      { headers: { 'content-type': 'text/plain' }, body: initialize, ...MEDIA_TYPE, id: null },
      { headers: {}, body: initialize.slice(0, -2), status: 400, code: -32700, reason: 'PARSE_ERROR', id: null },
      { headers: { 'mcp-session-id': ids.live }, body: initialize, status: 400, code: -32600, reason: 'INITIALIZE_WITH_SESSION', id: 1 },
      { headers: { 'mcp-session-id': ids.unknown }, body: initialize, status: 400, code: -32600, reason: 'INITIALIZE_WITH_SESSION', id: 1 },
    ];
    const sent = Array.from({ length: 20 }, (_, i) => refusals[i % refusals.length] as (typeof refusals)[number]);
    const responses = await Promise.all(
      sent.map((refusal) => rawRequest(daemon.url, { method: 'POST', headers: { ...defaultHeaders('POST'), ...refusal.headers }, body: refusal.body })),
    );
    responses.forEach((response, i) => assertWireError(response, sent[i] as (typeof refusals)[number]));
    assert.deepEqual(fixturePids(), baseline.processes);
    assert.equal(await readySessions(), baseline.sessions);
  });

  it('leaves nothing else changed: the same children, and the live session still answers', async () => {
    assert.deepEqual(fixturePids(), baseline.processes);
    assert.equal(await readySessions(), baseline.sessions);
    assert.equal(await callTool(ids.live, 'echo', { text: 'still here' }), 'still here');
    assert.deepEqual(daemon.strayStderr, []);
    assert.deepEqual(daemon.logs.filter((line) => line.level === 'error' || line.level === 'fatal'), []);
  });
});
