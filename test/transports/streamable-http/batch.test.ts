/**
 * JSON-RPC batches against the real daemon and the echo fixture. A 2025-03-26 session may POST an
 * array: its requests' answers come back as one JSON array (or on one SSE stream), an element that
 * is not a message or reuses an id in flight gets its error in the array, notifications alone get
 * 202; a batch holding initialize or an unusable id is refused whole, and so is any batch on a
 * 2025-06-18+ session.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startDaemon, type TestDaemon } from '../../helpers/daemon.js';
import { initializeBody, openSession, rawRequest, sessionHeaders, type RawResponse } from '../../helpers/http.js';
import { processesTagged } from '../../helpers/process-table.js';
import { messageOf, openSse } from '../../helpers/sse.js';

const BATCHING = '2025-03-26';

interface Answer {
  jsonrpc: '2.0';
  id: string | number | null;
  result?: { content?: { text: string }[]; tools?: unknown[] };
  error?: { code: number; message: string; data?: { reason?: string } };
}

const request = (id: string | number, method: string, params?: Record<string, unknown>): Record<string, unknown> =>
  ({ jsonrpc: '2.0', id, method, ...(params ? { params } : {}) });
const echo = (id: string | number, text: string): Record<string, unknown> => request(id, 'tools/call', { name: 'echo', arguments: { text } });
const slow = (id: string | number, ms: number, meta?: Record<string, unknown>): Record<string, unknown> =>
  request(id, 'tools/call', { name: 'slow', arguments: { ms, steps: meta ? 3 : 0 }, ...(meta ? { _meta: meta } : {}) });
const cancelled = (requestId: string): Record<string, unknown> => ({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId, reason: 'batch test' } });

/** A short, order-free picture of one answer. */
function describeAnswer(answer: Answer): string {
  if (answer.error) return `${String(answer.id)}:error:${answer.error.data?.reason ?? answer.error.code}`;
  if (answer.result?.content) return `${String(answer.id)}:${answer.result.content.map((part) => part.text).join('')}`;
  if (answer.result?.tools) return `${String(answer.id)}:tools`;
  return `${String(answer.id)}:${JSON.stringify(answer.result)}`;
}

function answersOf(response: RawResponse): string[] {
  assert.equal(response.status, 200, response.text);
  assert.match(response.headers.get('content-type') ?? '', /^application\/json/);
  assert.ok(Array.isArray(response.json), `an array: ${response.text}`);
  return (response.json as Answer[]).map(describeAnswer).sort();
}

function assertRefused(response: RawResponse, status: number, reason: string): void {
  assert.equal(response.status, status, response.text);
  assert.equal((response.json as Answer).error?.data?.reason, reason, response.text);
}

describe('JSON-RPC batches', () => {
  let daemon: TestDaemon;
  let session: string;
  const postBatch = (items: unknown[], sessionId = session, version = BATCHING): Promise<RawResponse> =>
    rawRequest(daemon.url, { method: 'POST', headers: sessionHeaders(sessionId, version), body: JSON.stringify(items) });

  before(async () => {
    daemon = await startDaemon({ fixture: { name: 'echo-server' } });
    session = await openSession(daemon.url, BATCHING);
  });
  after(() => daemon.close());

  it('answers every request of a batch in one JSON array, errors from the server included', async () => {
    const answers = answersOf(await postBatch([echo(1, 'one'), request(2, 'tools/list'), request(3, 'ping'), request('four', 'no/such-method')]));
    assert.deepEqual(answers, ['1:one', '2:tools', '3:{}', 'four:error:-32601']);
  });

  it('answers with an array even when one request is in it, and nothing for its notifications', async () => {
    const response = await postBatch([cancelled('nothing-in-flight'), echo(5, 'solo')]);
    assert.deepEqual(answersOf(response), ['5:solo']);
    assert.equal(response.text.trimStart()[0], '[');
  });

  it('puts the error of an element that is not a message in the array, beside the other answers', async () => {
    const items = [42, { hello: 1 }, { jsonrpc: '1.0', id: 9, method: 'ping' }, 'text', echo(6, 'fine')];
    assert.deepEqual(answersOf(await postBatch(items)), ['6:fine', '9:error:INVALID_MESSAGE', 'null:error:INVALID_MESSAGE', 'null:error:INVALID_MESSAGE', 'null:error:INVALID_MESSAGE']);
  });

  it('answers a batch of nothing but invalid elements with one error each', async () => {
    const answers = answersOf(await postBatch([1, 2, 3]));
    assert.deepEqual(answers, Array.from({ length: 3 }, () => 'null:error:INVALID_MESSAGE'));
  });

  it('gives an id already in flight in the same batch its error in the array; the first is still answered', async () => {
    assert.deepEqual(answersOf(await postBatch([slow(7, 300), echo(7, 'duplicate')])), ['7:error:DUPLICATE_REQUEST_ID', '7:slept 300']);
  });

  it('gives an id in flight from another POST its error in the array', async () => {
    const first = await openSse(daemon.url, { method: 'POST', headers: sessionHeaders(session, BATCHING), body: JSON.stringify(slow('held', 600, { progressToken: 'held-tok' })) });
    // The first progress made the first POST a stream: its request is in flight for certain.
    assert.equal(messageOf((await first.nextEvent()) ?? assert.fail('no progress')).method, 'notifications/progress');
    assert.deepEqual(answersOf(await postBatch([echo('held', 'again'), echo(8, 'other')])), ['8:other', 'held:error:DUPLICATE_REQUEST_ID']);
    const rest = (await first.readToEnd()).map((event) => messageOf(event));
    assert.deepEqual(rest.filter((message) => message.id === 'held').map((message) => describeAnswer(message as unknown as Answer)), ['held:slept 600']);
  });

  it('accepts a batch of only notifications with 202 and an empty body', async () => {
    const response = await postBatch([cancelled('a'), cancelled('b')]);
    assert.equal(response.status, 202);
    assert.equal(response.text, '');
  });

  it('answers on one SSE stream when a notification comes first: every answer once, then the end', async () => {
    const stream = await openSse(daemon.url, {
      method: 'POST', headers: sessionHeaders(session, BATCHING),
      body: JSON.stringify([slow(10, 300, { progressToken: 'batch-tok' }), echo(11, 'beside')]),
    });
    assert.equal(stream.headers['content-type'], 'text/event-stream');
    const messages = (await stream.readToEnd()).map((event) => messageOf(event));
    const progress = messages.filter((message) => message.method === 'notifications/progress').map((message) => (message.params as { progress: number }).progress);
    assert.deepEqual(progress, [1, 2, 3]);
    const answers = messages.filter((message) => message.id !== undefined).map((message) => describeAnswer(message as unknown as Answer)).sort();
    assert.deepEqual(answers, ['10:slept 300', '11:beside']);
  });

  it('refuses a batch that contains initialize with 400 BATCH_REFUSED, starting nothing, with or without a session', async () => {
    const before = processesTagged(daemon.tag).length;
    const initialize = JSON.parse(initializeBody(20, BATCHING)) as unknown;
    assertRefused(await postBatch([initialize, echo(21, 'never')]), 400, 'BATCH_REFUSED');
    const sessionless = await rawRequest(daemon.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: JSON.stringify([initialize]),
    });
    assertRefused(sessionless, 400, 'BATCH_REFUSED');
    assert.equal(processesTagged(daemon.tag).length, before);
  });

  it('refuses a batch with an element whose id no answer could carry back, whole, with 400 INVALID_ID', async () => {
    for (const id of [1.5, 1e300, true, { nested: 1 }, 'x'.repeat(257)]) {
      assertRefused(await postBatch([echo(50, 'never'), { jsonrpc: '2.0', id, method: 'ping' }]), 400, 'INVALID_ID');
    }
    // 12345678901234567890 as sent: JSON.stringify would write the float it parses to.
    const unsafe = await rawRequest(daemon.url, {
      method: 'POST', headers: sessionHeaders(session, BATCHING),
      body: `[${JSON.stringify(echo(51, 'never'))},{"jsonrpc":"2.0","id":12345678901234567890,"method":"ping"}]`,
    });
    assertRefused(unsafe, 400, 'INVALID_ID');
    assert.match((unsafe.json as Answer).error?.message ?? '', /element 1/);
    assert.equal((unsafe.json as Answer).id, null);
  });

  for (const version of ['2025-06-18', '2025-11-25']) {
    it(`refuses any batch on a ${version} session with 400 BATCH_REFUSED`, async () => {
      const modern = await openSession(daemon.url, version);
      assertRefused(await postBatch([echo(30, 'a'), echo(31, 'b')], modern, version), 400, 'BATCH_REFUSED');
      assertRefused(await postBatch([cancelled('x')], modern, version), 400, 'BATCH_REFUSED');
    });
  }

  it('leaves the batching session working for single messages', async () => {
    const response = await rawRequest(daemon.url, { method: 'POST', headers: sessionHeaders(session, BATCHING), body: JSON.stringify(echo(40, 'single')) });
    assert.equal(response.status, 200, response.text);
    assert.equal(describeAnswer(response.json as Answer), '40:single');
    assert.deepEqual(daemon.strayStderr, []);
  });
});
