/**
 * Resumable Streamable HTTP against the real daemon and the echo fixture: a POST's SSE stream whose
 * connection is cut is picked up by a GET with Last-Event-ID, with nothing lost, nothing repeated
 * and nothing from another stream; the priming event and its retry for 2025-11-25; refusals for ids
 * the session never handed out or when the store is off; evictions and incomplete resumptions counted.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startDaemon, type TestDaemon } from '../../helpers/daemon.js';
import { openSession, rawRequest, sessionHeaders } from '../../helpers/http.js';
import { metricSum } from '../../helpers/metrics.js';
import { waitFor } from '../../helpers/poll.js';
import { messageOf, openSse, type SseEvent, type SseReader } from '../../helpers/sse.js';

const LATEST = '2025-11-25';


function slowCall(id: string, token: string, ms: number, steps: number): string {
  return JSON.stringify({ jsonrpc: '2.0', id, method: 'tools/call', params: { name: 'slow', arguments: { ms, steps }, _meta: { progressToken: token } } });
}

function post(daemon: TestDaemon, sessionId: string, version: string, body: string): Promise<SseReader> {
  return openSse(daemon.url, { method: 'POST', headers: sessionHeaders(sessionId, version), body });
}

function resume(daemon: TestDaemon, sessionId: string, version: string, lastEventId: string): Promise<SseReader> {
  return openSse(daemon.url, { headers: { accept: 'text/event-stream', 'mcp-session-id': sessionId, 'mcp-protocol-version': version, 'last-event-id': lastEventId } });
}

/** Reads `count` events. */
async function take(reader: SseReader, count: number): Promise<SseEvent[]> {
  const events: SseEvent[] = [];
  while (events.length < count) events.push((await reader.nextEvent()) ?? assert.fail(`the stream ended after ${events.length} events`));
  return events;
}

const streamOf = (event: SseEvent): string => (event.id ?? assert.fail(`an event without id: ${event.data}`)).split('-')[0] as string;
const counterOf = (event: SseEvent): number => Number((event.id ?? '').split('-')[1]);

/** Asserts `events` are exactly progress 1..steps for `token` then the one answer to `id`, on one stream, ids increasing. */
function assertWholeCall(events: SseEvent[], token: string, id: string, steps: number): void {
  const summary = events.map((event) => {
    const message = messageOf(event);
    const params = message.params as { progressToken?: string; progress?: number } | undefined;
    if (message.method === 'notifications/progress') return `${params?.progressToken}:${params?.progress}`;
    return `answer:${String(message.id)}`;
  });
  assert.deepEqual(summary, [...Array.from({ length: steps }, (_, i) => `${token}:${i + 1}`), `answer:${id}`]);
  assert.equal(new Set(events.map(streamOf)).size, 1, 'one stream');
  events.slice(1).forEach((event, i) => assert.ok(counterOf(event) > counterOf(events[i] as SseEvent), `ids increase: ${events.map((e) => e.id).join(' ')}`));
}

describe('a cut Streamable HTTP stream resumes', () => {
  let daemon: TestDaemon;
  let session: string;
  before(async () => {
    daemon = await startDaemon({ fixture: { name: 'echo-server' }, args: ['--sse-retry', '2500ms'] });
    session = await openSession(daemon.url, LATEST);
  });
  after(() => daemon.close());

  it('with no message lost or repeated: progress 1..10 in order, then the one answer', async () => {
    const stream = await post(daemon, session, LATEST, slowCall('cut-1', 'tok-1', 1500, 10));
    assert.equal(stream.status, 200);
    assert.equal(stream.headers['content-type'], 'text/event-stream');
    const [priming, ...seen] = await take(stream, 4);
    assert.deepEqual({ data: priming?.data, retry: priming?.retry }, { data: '', retry: 2500 }, 'a priming event with the --sse-retry');
    assert.match(priming?.id ?? '', /^\d+-\d+$/);
    const sentBefore = await metricSum(daemon.baseUrl, 'mcp_sidecar_message_bytes_total', { direction: 'out' });
    stream.cut();
    // Let at least two progress notifications (~100 bytes each) go out while no one is connected,
    // so that the resumption replays them from the store.
    await waitFor(async () => (await metricSum(daemon.baseUrl, 'mcp_sidecar_message_bytes_total', { direction: 'out' })) > sentBefore + 150, { what: 'progress sent during the cut' });
    const resumed = await resume(daemon, session, LATEST, (seen.at(-1) as SseEvent).id as string);
    assert.equal(resumed.status, 200);
    assert.equal(resumed.headers['content-type'], 'text/event-stream');
    const rest = await resumed.readToEnd();
    assert.ok(rest.every((event) => event.data !== '' && event.retry === undefined), 'no priming on a resumed stream');
    assertWholeCall([...seen, ...rest], 'tok-1', 'cut-1', 10);
    assert.equal(streamOf(seen[0] as SseEvent), streamOf(priming as SseEvent));
    assert.equal(await metricSum(daemon.baseUrl, 'mcp_sidecar_stream_resumptions_total', { outcome: 'complete' }), 1);
  });

  it('from the priming event\'s id: the whole stream, even once its call has completed', async () => {
    const stream = await post(daemon, session, LATEST, slowCall('cut-2', 'tok-2', 300, 3));
    const priming = (await stream.nextEvent()) as SseEvent;
    stream.cut();
    await waitFor(async () => (await metricSum(daemon.baseUrl, 'mcp_sidecar_requests_in_flight')) === 0, { what: 'the call to complete' });
    const resumed = await resume(daemon, session, LATEST, priming.id as string);
    assertWholeCall(await resumed.readToEnd(), 'tok-2', 'cut-2', 3);
  });

  it('never replays another stream\'s events (two SSE POSTs on one session)', async () => {
    const a = await post(daemon, session, LATEST, slowCall('call-a', 'tok-a', 1500, 10));
    const b = await post(daemon, session, LATEST, slowCall('call-b', 'tok-b', 600, 6));
    const seenA = (await take(a, 3)).slice(1);
    await take(b, 1);
    a.cut();
    const eventsB = await b.readToEnd();
    const resumed = await resume(daemon, session, LATEST, (seenA.at(-1) as SseEvent).id as string);
    const restA = await resumed.readToEnd();
    assertWholeCall([...seenA, ...restA], 'tok-a', 'call-a', 10);
    assertWholeCall(eventsB, 'tok-b', 'call-b', 6);
    assert.notEqual(streamOf(eventsB[0] as SseEvent), streamOf(seenA[0] as SseEvent));
  });

  it('continues the standalone GET stream: priming first, then ids that go on after a cut', async () => {
    const subscribe = (id: number): Promise<unknown> => rawRequest(daemon.url, {
      method: 'POST', headers: sessionHeaders(session, LATEST),
      body: JSON.stringify({ jsonrpc: '2.0', id, method: 'resources/subscribe', params: { uri: 'fixture://static' } }),
    });
    const first = await openSse(daemon.url, { headers: { accept: 'text/event-stream', 'mcp-session-id': session, 'mcp-protocol-version': LATEST } });
    const [priming] = await take(first, 1);
    assert.deepEqual({ data: priming?.data, retry: priming?.retry }, { data: '', retry: 2500 });
    await subscribe(901);
    const [updated] = await take(first, 1);
    assert.equal(messageOf(updated as SseEvent).method, 'notifications/resources/updated');
    first.cut();
    await subscribe(902);
    const resumed = await resume(daemon, session, LATEST, updated?.id as string);
    assert.equal(resumed.status, 200, resumed.text);
    const next = (await resumed.nextEvent()) as SseEvent;
    assert.equal(messageOf(next).method, 'notifications/resources/updated');
    assert.equal(streamOf(next), streamOf(priming as SseEvent));
    assert.ok(counterOf(next) > counterOf(updated as SseEvent));
    resumed.cut();
  });

  it('resumes the standalone stream while the daemon still holds its old connection, counting only what it serves', async () => {
    const fresh = await openSession(daemon.url, LATEST);
    const headers = { accept: 'text/event-stream', 'mcp-session-id': fresh, 'mcp-protocol-version': LATEST };
    const first = await openSse(daemon.url, { headers });
    const [priming] = await take(first, 1);
    const counted = await metricSum(daemon.baseUrl, 'mcp_sidecar_stream_resumptions_total');
    // The client gave up on `first` (its network dropped, say); the daemon has not noticed yet.
    const again = await openSse(daemon.url, { headers: { ...headers, 'last-event-id': priming?.id as string } });
    try {
      if (again.status !== 200) assert.equal(await metricSum(daemon.baseUrl, 'mcp_sidecar_stream_resumptions_total'), counted, `refused (${again.status}) yet counted`);
      assert.equal(again.status, 200, await (again.status === 200 ? Promise.resolve('') : again.body()));
    } finally {
      again.cut();
      first.cut();
    }
  });

  const UNKNOWN: [string, string][] = [
    ['not an event id', 'garbage'],
    ['empty', ''],
    ['a stream never opened', '999-1'],
    ['a counter never reached', '0-999999999'],
  ];
  for (const [name, lastEventId] of UNKNOWN) {
    it(`refuses Last-Event-ID ${JSON.stringify(lastEventId)} (${name}) with 400 LAST_EVENT_ID_UNKNOWN`, async () => {
      const response = await rawRequest(daemon.url, { method: 'GET', headers: { accept: 'text/event-stream', 'mcp-session-id': session, 'mcp-protocol-version': LATEST, 'last-event-id': lastEventId } });
      assert.equal(response.status, 400, response.text);
      const body = response.json as { error: { code: number; data: { reason: string } } };
      assert.equal(body.error.code, -32000);
      assert.equal(body.error.data.reason, 'LAST_EVENT_ID_UNKNOWN');
    });
  }

  it('refuses another session\'s event id on a session with no streams', async () => {
    const fresh = await openSession(daemon.url, LATEST);
    const response = await rawRequest(daemon.url, { method: 'GET', headers: { accept: 'text/event-stream', 'mcp-session-id': fresh, 'mcp-protocol-version': LATEST, 'last-event-id': '0-2' } });
    assert.equal(response.status, 400, response.text);
  });
});

describe('resumption limits', () => {
  it('sends no priming event to a 2025-06-18 session (its events still have ids)', async () => {
    const daemon = await startDaemon({ fixture: { name: 'echo-server' } });
    try {
      const session = await openSession(daemon.url, '2025-06-18');
      const events = await (await post(daemon, session, '2025-06-18', slowCall('old-1', 'tok', 200, 2))).readToEnd();
      assert.equal(events.length, 3);
      assert.ok(events.every((event) => event.data !== '' && event.retry === undefined), 'no priming event');
      assert.ok(events.every((event) => /^\d+-\d+$/.test(event.id ?? '')), 'the events still have ids');
    } finally {
      await daemon.close();
    }
  });

  it('with --event-store-max-events 0: no priming, no ids, and resumption refused', async () => {
    const daemon = await startDaemon({ fixture: { name: 'echo-server' }, args: ['--event-store-max-events', '0'] });
    try {
      const session = await openSession(daemon.url, LATEST);
      const events = await (await post(daemon, session, LATEST, slowCall('off-1', 'tok', 200, 2))).readToEnd();
      assert.equal(events.length, 3, 'two progress and the answer, nothing else');
      assert.ok(events.every((event) => event.id === undefined && event.data !== ''), JSON.stringify(events));
      const response = await rawRequest(daemon.url, { method: 'GET', headers: { accept: 'text/event-stream', 'mcp-session-id': session, 'mcp-protocol-version': LATEST, 'last-event-id': '0-1' } });
      assert.equal(response.status, 400);
      assert.equal((response.json as { error: { data: { reason: string } } }).error.data.reason, 'LAST_EVENT_ID_UNKNOWN');
    } finally {
      await daemon.close();
    }
  });

  it('with --event-store-max-events 3: evictions counted, the resumption incomplete and logged', async () => {
    const daemon = await startDaemon({ fixture: { name: 'echo-server' }, args: ['--event-store-max-events', '3'] });
    try {
      const session = await openSession(daemon.url, LATEST);
      const stream = await post(daemon, session, LATEST, slowCall('tiny-1', 'tok', 500, 10));
      const [, firstProgress] = await take(stream, 2);
      stream.cut();
      await waitFor(async () => (await metricSum(daemon.baseUrl, 'mcp_sidecar_requests_in_flight')) === 0, { what: 'the call to complete' });
      // Kept: 10 progress and the answer, 3 at a time.
      assert.equal(await metricSum(daemon.baseUrl, 'mcp_sidecar_sse_events_evicted_total'), 8);
      const rest = await (await resume(daemon, session, LATEST, firstProgress?.id as string)).readToEnd();
      assert.deepEqual(rest.map((event) => (messageOf(event).params as { progress?: number } | undefined)?.progress ?? 'answer'), [9, 10, 'answer']);
      assert.equal(await metricSum(daemon.baseUrl, 'mcp_sidecar_stream_resumptions_total', { outcome: 'incomplete' }), 1);
      assert.equal(await metricSum(daemon.baseUrl, 'mcp_sidecar_stream_resumptions_total', { outcome: 'complete' }), 0);
      await daemon.waitForLog((line) => line.level === 'warn' && line.msg.startsWith('stream resumed, but events') && line.incomplete === true);
    } finally {
      await daemon.close();
    }
  });
});
