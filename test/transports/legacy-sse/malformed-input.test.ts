/**
 * Malformed and unexpected input on the legacy HTTP+SSE transport, with raw HTTP against the real
 * daemon: every refused POST gets its exact status and a JSON-RPC error body naming its registry
 * reason, in that POST's response and never on the session's stream; it starts no process and
 * leaves every session working.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { JsonRpcErrorBody, JsonRpcId, WireErrorReason } from '../../../src/errors/wire.js';
import { startDaemon, type TestDaemon } from '../../helpers/daemon.js';
import { openSession, rawRequest, type RawResponse } from '../../helpers/http.js';
import { connectSseClient, INITIALIZED, initializeMessage, RawSse, type SdkConnection } from '../../helpers/legacy-clients.js';
import { connectClient, textOf } from '../../helpers/mcp-client.js';
import { waitFor } from '../../helpers/poll.js';
import { isAlive, processesTagged } from '../../helpers/process-table.js';
import type { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';

interface Expected { status: number; code: number; reason: WireErrorReason; id?: JsonRpcId; allow?: string }

const TOOLS_LIST = JSON.stringify({ jsonrpc: '2.0', id: 7, method: 'tools/list' });
const OVERSIZED = JSON.stringify({ jsonrpc: '2.0', id: 8, method: 'tools/call', params: { name: 'echo', arguments: { text: 'x'.repeat(100 * 1024) } } });
const QUERY_REQUIRED = { status: 400, code: -32000, reason: 'SESSION_QUERY_REQUIRED' } as const;
const NOT_FOUND_SESSION = { status: 404, code: -32001, reason: 'SESSION_NOT_FOUND' } as const;
const INVALID = { status: 400, code: -32600, reason: 'INVALID_MESSAGE' } as const;

/** Pids of the fixture processes (the daemon's own command line carries the tag too). */
function fixturePidsOf(daemon: TestDaemon): number[] {
  return processesTagged(daemon.tag).filter((info) => info.pid !== daemon.pid).map((info) => info.pid).sort();
}

/** Status, content type, the JSON-RPC error shape with its code and reason, and nothing leaked. */
function assertWireError(response: RawResponse, expected: Expected): void {
  assert.equal(response.status, expected.status, response.text);
  assert.match(response.headers.get('content-type') ?? '', /^application\/json\b/);
  for (const leak of ['/work', 'dist/', 'node:internal', 'file://']) assert.ok(!response.text.includes(leak), `body leaks ${leak}: ${response.text}`);
  const body = response.json as JsonRpcErrorBody;
  assert.deepEqual(Object.keys(body).sort(), ['error', 'id', 'jsonrpc']);
  assert.equal(body.id, expected.id ?? null);
  assert.equal(body.error.code, expected.code);
  assert.notEqual(body.error.message, '');
  assert.equal(body.error.data.reason, expected.reason);
  if (expected.allow) assert.equal(response.headers.get('allow'), expected.allow);
}

describe('legacy HTTP+SSE refuses malformed input', () => {
  let daemon: TestDaemon;
  let live: RawSse;
  let bystander: SdkConnection<SSEClientTransport>;
  const ids = { streamable: '', ended: '', unknown: `unknown-${randomUUID()}` };
  /** Requests the live session accepted: the only answers its stream may carry. */
  const accepted: JsonRpcId[] = ['init'];
  let baseline: { processes: number[]; sessions: number };

  const post = (query: string, body: string, headers: Record<string, string> = {}): Promise<RawResponse> =>
    rawRequest(`${daemon.baseUrl}/messages${query}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
  const postLive = (body: string | object, headers: Record<string, string> = {}): Promise<RawResponse> =>
    post(`?sessionId=${live.sessionId}`, typeof body === 'string' ? body : JSON.stringify(body), headers);
  const fixturePids = (): number[] => fixturePidsOf(daemon);
  const readySessions = async (): Promise<number> =>
    ((await rawRequest(`${daemon.baseUrl}/readyz`, { method: 'GET' })).json as { sessions: number }).sessions;

  /** A raw legacy session, initialized. */
  const openLegacy = async (): Promise<RawSse> => {
    const sse = await RawSse.open(daemon);
    const url = `${daemon.baseUrl}${sse.endpoint}`;
    const headers = { 'content-type': 'application/json' };
    assert.equal((await rawRequest(url, { method: 'POST', headers, body: JSON.stringify(initializeMessage('init')) })).status, 202);
    await sse.answerTo('init');
    assert.equal((await rawRequest(url, { method: 'POST', headers, body: JSON.stringify(INITIALIZED) })).status, 202);
    return sse;
  };

  before(async () => {
    daemon = await startDaemon({ fixture: { name: 'echo-server' }, args: ['--max-body', '64kb', '--max-in-flight', '2'] });
    live = await openLegacy();
    bystander = await connectSseClient(daemon);
    ids.streamable = await openSession(daemon.url);
    const ended = await openLegacy();
    ids.ended = ended.sessionId;
    const endedPid = (await daemon.waitForLog((line) => line.msg === 'session opened' && line.sessionId === ids.ended)).pid as number;
    ended.close();
    await waitFor(() => !isAlive(endedPid), { what: 'the ended session\'s child to exit' });
    baseline = { processes: fixturePids(), sessions: await readySessions() };
    assert.equal(baseline.processes.length, 3, 'a child each for the live, bystander and Streamable HTTP sessions');
    assert.equal(baseline.sessions, 3);
  });

  after(async () => {
    live.close();
    await bystander.close();
    await daemon.close();
  });

  const MATRIX: { name: string; send: () => Promise<RawResponse>; expect: Expected }[] = [
    { name: 'POST without ?sessionId', send: () => post('', TOOLS_LIST), expect: QUERY_REQUIRED },
    { name: 'POST with an empty sessionId', send: () => post('?sessionId=', TOOLS_LIST), expect: QUERY_REQUIRED },
    { name: 'POST with a sessionId that has a space', send: () => post('?sessionId=a%20b', TOOLS_LIST), expect: { status: 400, code: -32000, reason: 'SESSION_ID_MALFORMED' } },
    { name: 'POST to an unknown session', send: () => post(`?sessionId=${ids.unknown}`, TOOLS_LIST), expect: NOT_FOUND_SESSION },
    { name: 'POST of a notification to an unknown session', send: () => post(`?sessionId=${ids.unknown}`, JSON.stringify(INITIALIZED)), expect: NOT_FOUND_SESSION },
    { name: 'POST naming a Streamable HTTP session', send: () => post(`?sessionId=${ids.streamable}`, TOOLS_LIST), expect: NOT_FOUND_SESSION },
    { name: 'POST to an ended session', send: () => post(`?sessionId=${ids.ended}`, TOOLS_LIST), expect: NOT_FOUND_SESSION },
    { name: 'a body that is not JSON', send: () => postLive('{"jsonrpc":"2.0","id":1,'), expect: { status: 400, code: -32700, reason: 'PARSE_ERROR' } },
    { name: 'JSON that is not JSON-RPC', send: () => postLive('{"hello":1}'), expect: INVALID },
    { name: 'jsonrpc "1.0"', send: () => postLive('{"jsonrpc":"1.0","id":5,"method":"tools/list"}'), expect: { ...INVALID, id: 5 } },
    { name: 'a batch', send: () => postLive(`[${TOOLS_LIST},${TOOLS_LIST.replace('7', '9')}]`), expect: { status: 400, code: -32600, reason: 'BATCH_REFUSED' } },
    { name: 'an empty batch', send: () => postLive('[]'), expect: { status: 400, code: -32600, reason: 'EMPTY_BATCH' } },
    { name: 'Content-Type text/plain', send: () => postLive(TOOLS_LIST, { 'content-type': 'text/plain' }), expect: { status: 415, code: -32000, reason: 'UNSUPPORTED_MEDIA_TYPE' } },
    { name: 'a body over --max-body', send: () => postLive(OVERSIZED), expect: { status: 413, code: -32000, reason: 'BODY_TOO_LARGE' } },
    { name: 'POST with an Origin that is not loopback', send: () => postLive(TOOLS_LIST, { origin: 'http://rebound.example' }), expect: { status: 403, code: -32000, reason: 'FORBIDDEN_ORIGIN' } },
    { name: 'GET on the messages path', send: () => rawRequest(`${daemon.baseUrl}/messages?sessionId=${live.sessionId}`, { method: 'GET' }), expect: { status: 405, code: -32000, reason: 'METHOD_NOT_ALLOWED', allow: 'POST' } },
    { name: 'POST on the SSE path', send: () => rawRequest(`${daemon.baseUrl}/sse`, { method: 'POST', body: TOOLS_LIST }), expect: { status: 405, code: -32000, reason: 'METHOD_NOT_ALLOWED', allow: 'GET' } },
    { name: 'GET /sse accepting only application/json', send: () => rawRequest(`${daemon.baseUrl}/sse`, { method: 'GET', headers: { accept: 'application/json' } }), expect: { status: 406, code: -32000, reason: 'NOT_ACCEPTABLE' } },
    { name: 'GET /sse with an Origin that is not loopback', send: () => rawRequest(`${daemon.baseUrl}/sse`, { method: 'GET', headers: { origin: 'http://rebound.example' } }), expect: { status: 403, code: -32000, reason: 'FORBIDDEN_ORIGIN' } },
  ];

  for (const testCase of MATRIX) {
    it(`${testCase.name} → ${testCase.expect.status} ${testCase.expect.reason}`, async () => {
      assertWireError(await testCase.send(), testCase.expect);
    });
  }

  it('answers a request reusing an id in flight with 400 DUPLICATE_REQUEST_ID, and the first still gets one answer', async () => {
    const call = { jsonrpc: '2.0', id: 'dup-1', method: 'tools/call', params: { name: 'slow', arguments: { ms: 400, steps: 4 }, _meta: { progressToken: 'dup-progress' } } };
    accepted.push('dup-1');
    assert.equal((await postLive(call)).status, 202);
    assertWireError(await postLive(call), { status: 400, code: -32600, reason: 'DUPLICATE_REQUEST_ID', id: 'dup-1' });
    const answer = await live.answerTo('dup-1');
    assert.deepEqual(answer.result, { content: [{ type: 'text', text: 'slept 400' }] });
    const progress = live.messages.filter((message) => message.method === 'notifications/progress');
    assert.deepEqual(progress.map((message) => (message.params as { progress: number }).progress), [1, 2, 3, 4]);
  });

  it('answers a request over --max-in-flight with 429 TOO_MANY_IN_FLIGHT and Retry-After, and forwards nothing', async () => {
    const slow = (id: string): object => ({ jsonrpc: '2.0', id, method: 'tools/call', params: { name: 'slow', arguments: { ms: 300 } } });
    accepted.push('busy-1', 'busy-2');
    assert.equal((await postLive(slow('busy-1'))).status, 202);
    assert.equal((await postLive(slow('busy-2'))).status, 202);
    const refused = await postLive(slow('busy-3'));
    assertWireError(refused, { status: 429, code: -32000, reason: 'TOO_MANY_IN_FLIGHT', id: 'busy-3' });
    assert.equal(refused.headers.get('retry-after'), '1');
    await live.answerTo('busy-1');
    await live.answerTo('busy-2');
  });

  it('starts no process for 20 refused requests, GET /sse included', async () => {
    const responses = await Promise.all(Array.from({ length: 20 }, (_, i) => (MATRIX[i % MATRIX.length] as (typeof MATRIX)[number]).send()));
    responses.forEach((response, i) => assertWireError(response, (MATRIX[i % MATRIX.length] as (typeof MATRIX)[number]).expect));
    assert.deepEqual(fixturePids(), baseline.processes);
    assert.equal(await readySessions(), baseline.sessions);
  });

  it('leaves nothing else changed: the live stream carried only its own answers, and every session still works', async () => {
    accepted.push('still');
    assert.equal((await postLive({ jsonrpc: '2.0', id: 'still', method: 'tools/call', params: { name: 'echo', arguments: { text: 'still here' } } })).status, 202);
    assert.equal(textOf((await live.answerTo('still')).result), 'still here');
    const answers = live.messages.filter((message) => !('method' in message));
    assert.deepEqual(answers.map((message) => message.id), accepted);
    assert.ok(answers.every((message) => !('error' in message)), 'no error went to the stream');
    assert.equal(textOf(await bystander.client.callTool({ name: 'echo', arguments: { text: 'bystander' } })), 'bystander');
    assert.deepEqual(fixturePids(), baseline.processes);
    assert.deepEqual(daemon.strayStderr, []);
    assert.deepEqual(daemon.logs.filter((line) => line.level === 'error' || line.level === 'fatal'), []);
  });
});

describe('--sse-path off', () => {
  let daemon: TestDaemon;
  before(async () => {
    daemon = await startDaemon({ fixture: { name: 'echo-server' }, args: ['--sse-path', 'off'] });
  });
  after(async () => {
    await daemon.close();
  });

  it('answers GET /sse with 404 NOT_FOUND while /mcp still works', async () => {
    assertWireError(await rawRequest(`${daemon.baseUrl}/sse`, { method: 'GET', headers: { accept: 'text/event-stream' } }), { status: 404, code: -32000, reason: 'NOT_FOUND' });
    const { client, close } = await connectClient(daemon.url);
    try {
      assert.equal(textOf(await client.callTool({ name: 'echo', arguments: { text: 'over /mcp' } })), 'over /mcp');
    } finally {
      await close();
    }
    await waitFor(() => fixturePidsOf(daemon).length === 0, { what: 'the Streamable HTTP session\'s child to exit' });
  });

  it('serves no messages path either, and names no SSE URL when it starts listening', async () => {
    const listening = daemon.logs.find((line) => line.msg === 'listening');
    assert.equal(listening?.sseUrl, undefined, `listening: ${JSON.stringify(listening)}`);
    const response = await rawRequest(`${daemon.baseUrl}/messages?sessionId=x`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: TOOLS_LIST });
    assertWireError(response, { status: 404, code: -32000, reason: 'NOT_FOUND' });
  });
});
