/**
 * SSE keepalive against the real daemon and the echo fixture: every event stream gets `: keepalive`
 * comments every --sse-keepalive, on a quiet GET stream and between the events of a POST stream,
 * without disturbing the events; `--sse-keepalive infinity` sends none.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startDaemon, type TestDaemon } from '../../helpers/daemon.js';
import { openSession, sessionHeaders } from '../../helpers/http.js';
import { waitFor } from '../../helpers/poll.js';
import { messageOf, openSse, type SseItem } from '../../helpers/sse.js';

function slowCall(id: number, ms: number, steps: number): string {
  return JSON.stringify({ jsonrpc: '2.0', id, method: 'tools/call', params: { name: 'slow', arguments: { ms, steps }, _meta: { progressToken: `tok-${id}` } } });
}

/** Every item of a stream until the server ends it. */
async function readItems(next: () => Promise<SseItem | undefined>): Promise<SseItem[]> {
  const items: SseItem[] = [];
  for (let item = await next(); item; item = await next()) items.push(item);
  return items;
}

/** A compact picture of a stream: `K` for a keepalive, `P` for progress, `A` for an answer. */
function shape(items: SseItem[]): string {
  return items.map((item) => {
    if (item.kind === 'comment') return item.text === 'keepalive' ? 'K' : `?${item.text}`;
    if (item.data === '') return 'priming';
    return messageOf(item).method === 'notifications/progress' ? 'P' : 'A';
  }).join('');
}

describe('--sse-keepalive 100ms', () => {
  let daemon: TestDaemon;
  before(async () => {
    daemon = await startDaemon({ fixture: { name: 'echo-server' }, args: ['--sse-keepalive', '100ms'] });
  });
  after(() => daemon.close());

  for (const version of ['2025-06-18', '2025-11-25']) {
    it(`sends keepalive comments on a quiet GET stream (${version})`, async () => {
      const session = await openSession(daemon.url, version);
      const stream = await openSse(daemon.url, { headers: { accept: 'text/event-stream', 'mcp-session-id': session, 'mcp-protocol-version': version } });
      try {
        assert.equal(stream.status, 200);
        await waitFor(() => stream.comments.length >= 3, { what: 'three keepalive comments' });
        assert.deepEqual([...new Set(stream.comments)], ['keepalive']);
        // On the wire: a comment line and a blank line, nothing else.
        assert.match(stream.text, /^(?:id: \S+\nretry: \d+\ndata: \n\n)?(?:: keepalive\n\n){3,}$/);
      } finally {
        stream.cut();
      }
    });
  }

  it('sends them between the events of a POST stream while its call runs, and the events stay whole', async () => {
    const session = await openSession(daemon.url, '2025-06-18');
    // Two progress events 750 ms apart: several keepalive periods between them.
    const stream = await openSse(daemon.url, { method: 'POST', headers: sessionHeaders(session, '2025-06-18'), body: slowCall(1, 1500, 2) });
    const items = await readItems(() => stream.next());
    const picture = shape(items);
    assert.match(picture, /^PK+PK*A$/, picture);
    assert.deepEqual(items.filter((item) => item.kind === 'event').map((item) => messageOf(item).id ?? 'progress'), ['progress', 'progress', 1]);
  });

  it('keeps sending them on a resumed stream', async () => {
    const session = await openSession(daemon.url, '2025-11-25');
    const first = await openSse(daemon.url, { method: 'POST', headers: sessionHeaders(session, '2025-11-25'), body: slowCall(2, 1500, 2) });
    const priming = await first.nextEvent();
    first.cut();
    const resumed = await openSse(daemon.url, {
      headers: { accept: 'text/event-stream', 'mcp-session-id': session, 'mcp-protocol-version': '2025-11-25', 'last-event-id': priming?.id ?? '' },
    });
    assert.equal(resumed.status, 200);
    const picture = shape(await readItems(() => resumed.next()));
    assert.match(picture, /K/, picture);
    assert.equal(picture.replace(/K/g, ''), 'PPA');
  });
});

describe('--sse-keepalive infinity', () => {
  it('is accepted and sends no comments on a stream where 100ms would have sent several', async () => {
    const daemon = await startDaemon({ fixture: { name: 'echo-server' }, args: ['--sse-keepalive', 'infinity'] });
    try {
      const session = await openSession(daemon.url, '2025-06-18');
      const stream = await openSse(daemon.url, { method: 'POST', headers: sessionHeaders(session, '2025-06-18'), body: slowCall(3, 1200, 2) });
      assert.equal(shape(await readItems(() => stream.next())), 'PPA');
      assert.deepEqual(stream.comments, []);
    } finally {
      await daemon.close();
    }
  });
});
