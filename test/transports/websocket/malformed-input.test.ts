/**
 * Malformed and unexpected input on the WebSocket transport against the real daemon: a refused
 * upgrade is a plain HTTP answer with a JSON-RPC error body naming its registry reason, and starts
 * nothing; a frame that is not one JSON-RPC message gets a JSON-RPC error frame and the connection
 * stays usable. Nothing else happens: every session keeps working, no process is started.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { JsonRpcErrorBody, JsonRpcId, WireErrorReason } from '../../../src/errors/wire.js';
import { startDaemon, type TestDaemon } from '../../helpers/daemon.js';
import { rawRequest, type RawResponse } from '../../helpers/http.js';
import { connectWsClient, RawWs, upgradeRequest, wsUrl, type Message, type SdkConnection } from '../../helpers/legacy-clients.js';
import { textOf } from '../../helpers/mcp-client.js';
import { waitFor } from '../../helpers/poll.js';
import { processesTagged } from '../../helpers/process-table.js';
import type { WebSocketClientTransport } from '@modelcontextprotocol/sdk/client/websocket.js';

interface Expected { code: number; reason: WireErrorReason; id?: JsonRpcId }

const MCP = { 'sec-websocket-protocol': 'mcp' };
const SUBPROTOCOL_REQUIRED = { status: 400, code: -32000, reason: 'WEBSOCKET_SUBPROTOCOL_REQUIRED' } as const;
const INVALID = { code: -32600, reason: 'INVALID_MESSAGE' } as const;

/** The JSON-RPC error shape with its code and reason, and nothing leaked. */
function assertErrorBody(body: unknown, expected: Expected): void {
  const error = body as JsonRpcErrorBody;
  assert.deepEqual(Object.keys(error).sort(), ['error', 'id', 'jsonrpc'], JSON.stringify(body));
  assert.equal(error.id, expected.id ?? null);
  assert.equal(error.error.code, expected.code);
  assert.notEqual(error.error.message, '');
  assert.equal(error.error.data.reason, expected.reason);
  for (const leak of ['/work', 'dist/', 'node:internal', 'file://']) assert.ok(!JSON.stringify(body).includes(leak), `leaks ${leak}`);
}

function assertRefusal(response: RawResponse, expected: Expected & { status: number }): void {
  assert.equal(response.status, expected.status, response.text);
  assert.match(response.headers.get('content-type') ?? '', /^application\/json\b/);
  assertErrorBody(response.json, expected);
}

function fixturePidsOf(daemon: TestDaemon): number[] {
  return processesTagged(daemon.tag).filter((info) => info.pid !== daemon.pid).map((info) => info.pid).sort();
}

describe('WebSocket refuses malformed input', () => {
  let daemon: TestDaemon;
  let live: RawWs;
  let bystander: SdkConnection<WebSocketClientTransport>;
  /** Ids the live connection sent that the child answers. */
  const accepted: JsonRpcId[] = ['init'];
  let baseline: number[];

  /** Sends `frame` on the live connection and returns the next answer or error it gets (notifications aside). */
  const exchange = async (frame: string): Promise<Message> => {
    const index = live.messages.length;
    live.send(frame);
    return waitFor(() => live.messages.slice(index).find((message) => !('method' in message)), { timeoutMs: 5000, what: 'an answer frame' });
  };

  before(async () => {
    daemon = await startDaemon({ fixture: { name: 'echo-server' }, args: ['--max-body', '64kb', '--max-in-flight', '2'] });
    live = await RawWs.open(daemon);
    await live.initialize();
    bystander = await connectWsClient(daemon);
    baseline = fixturePidsOf(daemon);
    assert.equal(baseline.length, 2);
  });

  after(async () => {
    await live.close();
    await bystander.close();
    await daemon.close();
  });

  const UPGRADES: { name: string; send: () => Promise<RawResponse>; expect: Expected & { status: number } }[] = [
    { name: 'an upgrade offering no subprotocol', send: () => upgradeRequest(wsUrl(daemon)), expect: SUBPROTOCOL_REQUIRED },
    { name: 'an upgrade offering only graphql-ws', send: () => upgradeRequest(wsUrl(daemon), { 'sec-websocket-protocol': 'graphql-ws' }), expect: SUBPROTOCOL_REQUIRED },
    { name: 'an upgrade with a Host that is not loopback', send: () => upgradeRequest(wsUrl(daemon), { ...MCP, host: 'rebound.example' }), expect: { status: 403, code: -32000, reason: 'FORBIDDEN_HOST' } },
    { name: 'an upgrade with an Origin that is not loopback', send: () => upgradeRequest(wsUrl(daemon), { ...MCP, origin: 'http://rebound.example' }), expect: { status: 403, code: -32000, reason: 'FORBIDDEN_ORIGIN' } },
    { name: 'an upgrade on another path', send: () => upgradeRequest(wsUrl(daemon, '/nope'), MCP), expect: { status: 404, code: -32000, reason: 'NOT_FOUND' } },
    { name: 'a plain GET on /ws', send: () => rawRequest(`${daemon.baseUrl}/ws`, { method: 'GET' }), expect: { status: 426, code: -32000, reason: 'UPGRADE_REQUIRED' } },
    { name: 'a POST on /ws', send: () => rawRequest(`${daemon.baseUrl}/ws`, { method: 'POST', body: '{}' }), expect: { status: 405, code: -32000, reason: 'METHOD_NOT_ALLOWED' } },
  ];

  for (const testCase of UPGRADES) {
    it(`${testCase.name} → HTTP ${testCase.expect.status} ${testCase.expect.reason}`, async () => {
      assertRefusal(await testCase.send(), testCase.expect);
    });
  }

  it('says which header a plain GET lacks', async () => {
    const response = await rawRequest(`${daemon.baseUrl}/ws`, { method: 'GET' });
    assert.equal(response.headers.get('upgrade'), 'websocket');
  });

  const FRAMES: { name: string; frame: string; expect: Expected }[] = [
    { name: 'a frame that is not JSON', frame: '{"jsonrpc":"2.0","id":1,', expect: { code: -32700, reason: 'PARSE_ERROR' } },
    { name: 'JSON that is not JSON-RPC', frame: '{"hello":1}', expect: INVALID },
    { name: 'a JSON scalar', frame: '42', expect: INVALID },
    { name: 'jsonrpc "1.0"', frame: '{"jsonrpc":"1.0","id":5,"method":"tools/list"}', expect: { ...INVALID, id: 5 } },
    { name: 'a batch', frame: '[{"jsonrpc":"2.0","id":70,"method":"tools/list"},{"jsonrpc":"2.0","id":71,"method":"tools/list"}]', expect: { code: -32600, reason: 'BATCH_REFUSED' } },
    { name: 'an empty batch', frame: '[]', expect: { code: -32600, reason: 'EMPTY_BATCH' } },
  ];

  for (const testCase of FRAMES) {
    it(`${testCase.name} → an error frame ${testCase.expect.reason}, and the connection stays usable`, async () => {
      assertErrorBody(await exchange(testCase.frame), testCase.expect);
      const id = `after-${testCase.expect.reason}-${accepted.length}`;
      accepted.push(id);
      const answer = await live.request(id, 'tools/call', { name: 'echo', arguments: { text: id } });
      assert.equal(textOf(answer.result), id);
      assert.equal(live.closed, undefined);
    });
  }

  it('answers a request reusing an id in flight with DUPLICATE_REQUEST_ID; the first still gets one answer', async () => {
    const call = JSON.stringify({ jsonrpc: '2.0', id: 'dup-1', method: 'tools/call', params: { name: 'slow', arguments: { ms: 400, steps: 4 }, _meta: { progressToken: 'dup' } } });
    accepted.push('dup-1');
    live.send(call);
    assertErrorBody(await exchange(call), { code: -32600, reason: 'DUPLICATE_REQUEST_ID', id: 'dup-1' });
    const answer = await live.waitFor((message) => message.id === 'dup-1' && 'result' in message, 'the first dup-1 answer');
    assert.deepEqual(answer.result, { content: [{ type: 'text', text: 'slept 400' }] });
    assert.equal(live.messages.filter((message) => message.id === 'dup-1' && 'result' in message).length, 1);
  });

  it('answers a request over --max-in-flight with TOO_MANY_IN_FLIGHT and forwards nothing', async () => {
    const slow = (id: string): string => JSON.stringify({ jsonrpc: '2.0', id, method: 'tools/call', params: { name: 'slow', arguments: { ms: 300 } } });
    accepted.push('busy-1', 'busy-2');
    live.send(slow('busy-1'));
    live.send(slow('busy-2'));
    assertErrorBody(await exchange(slow('busy-3')), { code: -32000, reason: 'TOO_MANY_IN_FLIGHT', id: 'busy-3' });
    await live.answerTo('busy-1');
    await live.answerTo('busy-2');
  });

  it('starts no process for 20 refused upgrades', async () => {
    const sent = Array.from({ length: 20 }, (_, i) => UPGRADES[i % UPGRADES.length] as (typeof UPGRADES)[number]);
    const responses = await Promise.all(sent.map((testCase) => testCase.send()));
    responses.forEach((response, i) => assertRefusal(response, (sent[i] as (typeof UPGRADES)[number]).expect));
    assert.deepEqual(fixturePidsOf(daemon), baseline);
  });

  it('leaves nothing else changed: the live connection got only its own answers and the errors for its frames', async () => {
    const answers = live.messages.filter((message) => !('method' in message) && !('error' in message));
    assert.deepEqual(answers.map((message) => message.id), accepted);
    const errors = live.messages.filter((message) => 'error' in message);
    assert.equal(errors.length, FRAMES.length + 2, 'one error frame for each refused frame, duplicate and over-limit included');
    assert.equal(live.closed, undefined);
    assert.deepEqual(live.strays, []);
    assert.equal(textOf(await bystander.client.callTool({ name: 'echo', arguments: { text: 'bystander' } })), 'bystander');
    assert.deepEqual(fixturePidsOf(daemon), baseline);
    assert.deepEqual(daemon.logs.filter((line) => line.level === 'error' || line.level === 'fatal'), []);
  });
});

describe('WebSocket admission', () => {
  it('refuses a second connection over --max-sessions 1 with HTTP 503 and Retry-After before the upgrade', async () => {
    const daemon = await startDaemon({ fixture: { name: 'echo-server' }, args: ['--max-sessions', '1'] });
    try {
      const first = await connectWsClient(daemon);
      const refused = await upgradeRequest(wsUrl(daemon), MCP);
      assertRefusal(refused, { status: 503, code: -32000, reason: 'SESSION_LIMIT' });
      assert.equal(refused.headers.get('retry-after'), '5');
      await assert.rejects(RawWs.open(daemon), /503/);
      assert.equal(fixturePidsOf(daemon).length, 1, 'nothing was started for the refused connections');
      assert.equal(textOf(await first.client.callTool({ name: 'echo', arguments: { text: 'first' } })), 'first');
      await first.close();
      // Once the first session is gone, its place is free.
      const second = await waitFor(() => RawWs.open(daemon).catch(() => undefined), { what: 'a connection to be admitted' });
      await second.initialize();
      await second.close();
    } finally {
      await daemon.close();
    }
  });
});
