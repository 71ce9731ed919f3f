/**
 * --isolation shared, seen from the SDK's own clients and raw HTTP: sessions share one child
 * (one process, counted once in /status and the metrics), the same request id from two sessions
 * gets each its own answer, progress reaches the session that asked, list changes reach every
 * session and resource updates only the subscribed ones, logging during a call goes to that call's
 * session at the level that session set, a cancellation reaches the child under the child's id.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startDaemon, type TestDaemon } from '../../helpers/daemon.js';
import { MCP_ACCEPT, initializeBody, openSession, rawRequest, sessionHeaders } from '../../helpers/http.js';
import { metricSum } from '../../helpers/metrics.js';
import { textOf } from '../../helpers/mcp-client.js';
import { waitFor } from '../../helpers/poll.js';
import { closeAll, connectRecorded, fixturePids, notificationsIn, pidOf, statusOf, type Recorded } from './helpers.js';

/** A tools/call by hand on a session, with the id given; resolves with its JSON-RPC answer. */
async function call(daemon: TestDaemon, sessionId: string, id: number, name: string, args: Record<string, unknown>): Promise<{ id: unknown; result?: { content: { text: string }[] } }> {
  const response = await rawRequest(daemon.url, {
    method: 'POST',
    headers: sessionHeaders(sessionId),
    body: JSON.stringify({ jsonrpc: '2.0', id, method: 'tools/call', params: { name, arguments: args } }),
  });
  assert.equal(response.status, 200, response.text);
  if (response.json !== undefined) return response.json as { id: unknown };
  // An SSE answer: its last data line.
  const data = response.text.split('\n').filter((line) => line.startsWith('data: ')).map((line) => JSON.parse(line.slice(6)) as { id?: unknown });
  return data.find((message) => message.id === id) as { id: unknown };
}

describe('--isolation shared', () => {
  let daemon: TestDaemon;
  const clients: Recorded[] = [];

  before(async () => {
    daemon = await startDaemon({ fixture: { name: 'shared-server' }, args: ['--isolation', 'shared', '--status'] });
  });
  after(async () => {
    await closeAll(clients);
    await daemon.close();
  });

  async function connect(): Promise<Recorded> {
    const connected = await connectRecorded(daemon.url);
    clients.push(connected);
    return connected;
  }

  it('two sessions share one child: one process, counted once in /status and the metrics', async () => {
    const a = await connect();
    const b = await connect();
    const pid = await pidOf(a);
    assert.equal(await pidOf(b), pid);
    assert.deepEqual(fixturePids(daemon), [pid]);
    const status = await statusOf(daemon);
    assert.equal(status.isolation?.mode, 'shared');
    assert.equal(status.isolation?.sharedChildren.length, 1);
    assert.equal(status.isolation?.sharedChildren[0]?.pid, pid);
    assert.equal(status.isolation?.sharedChildren[0]?.sessions, status.sessions.length);
    assert.ok(status.sessions.length >= 2);
    for (const session of status.sessions) assert.equal(session.pid, pid);
    assert.equal(status.children.running, 1);
    assert.equal(await metricSum(daemon.baseUrl, 'mcp_sidecar_children', { state: 'running' }), 1);
    assert.equal(await metricSum(daemon.baseUrl, 'mcp_sidecar_sessions_active'), status.sessions.length);
  });

  it('answers the same id from two sessions each with its own answer, the child seeing ids of its own', async () => {
    const [first, second] = await Promise.all([openSession(daemon.url), openSession(daemon.url)]);
    // Both use id 1, at once; the first is still running when the second is answered.
    const [slow, quick] = await Promise.all([
      call(daemon, first, 1, 'slow', { ms: 300 }),
      call(daemon, second, 1, 'echo', { text: 'second' }),
    ]);
    assert.equal(slow.id, 1);
    assert.equal(slow.result?.content[0]?.text, 'slept 300');
    assert.equal(quick.id, 1);
    assert.equal(quick.result?.content[0]?.text, 'second');
    const seen = JSON.parse((await call(daemon, first, 2, 'requests', {})).result?.content[0]?.text ?? '[]') as unknown[];
    assert.ok(!seen.includes(1), `the child saw a client's id: ${JSON.stringify(seen)}`);
    assert.equal(new Set(seen).size, seen.length, 'every request reached the child under an id of its own');
    for (const id of [first, second]) await rawRequest(daemon.url, { method: 'DELETE', headers: sessionHeaders(id) });
  });

  it('sends progress to the session that asked, under its own token, when two sessions use the same token', async () => {
    const a = await connect();
    const b = await connect();
    // Both clients are at the same request count: same request id, same progress token.
    const progress = { a: [] as number[], b: [] as number[] };
    const [resultA, resultB] = await Promise.all([
      a.client.callTool({ name: 'slow', arguments: { ms: 300, steps: 3 } }, undefined, { onprogress: (p) => progress.a.push(p.progress) }),
      b.client.callTool({ name: 'slow', arguments: { ms: 500, steps: 5 } }, undefined, { onprogress: (p) => progress.b.push(p.progress) }),
    ]);
    assert.equal(textOf(resultA), 'slept 300');
    assert.equal(textOf(resultB), 'slept 500');
    assert.deepEqual(progress.a, [1, 2, 3]);
    assert.deepEqual(progress.b, [1, 2, 3, 4, 5]);
  });

  it('fans list changes out to every session, and a resource update only to the session subscribed', async () => {
    const a = await connect();
    const b = await connect();
    await a.client.subscribeResource({ uri: 'fixture://watched' });
    await a.client.callTool({ name: 'announce', arguments: { uri: 'fixture://watched' } });
    await b.client.callTool({ name: 'announce', arguments: {} });
    const changed = 'notifications/tools/list_changed';
    await waitFor(() => notificationsIn(a.received, changed).length === 2 && notificationsIn(b.received, changed).length === 2, { what: 'both list changes at both sessions' });
    assert.equal(notificationsIn(a.received, 'notifications/resources/updated').length, 1);
    // B's second list change came after A's update on the child's stdout: had the update gone to B, it would be here.
    assert.equal(notificationsIn(b.received, 'notifications/resources/updated').length, 0);
  });

  it('sends logging during a call to that call\'s session only, at the level that session set', async () => {
    const a = await connect();
    const b = await connect();
    await a.client.setLoggingLevel('debug');
    await b.client.setLoggingLevel('error');
    // The child is set to the most verbose level asked for.
    assert.equal(textOf(await a.client.callTool({ name: 'level', arguments: {} })), 'debug');
    const logged = 'notifications/message';
    await a.client.callTool({ name: 'log', arguments: { count: 3 } });
    await waitFor(() => notificationsIn(a.received, logged).length === 3, { what: 'three log lines at A' });
    await b.client.callTool({ name: 'log', arguments: { count: 2 } });
    await b.client.setLoggingLevel('info');
    assert.equal(textOf(await a.client.callTool({ name: 'level', arguments: {} })), 'debug');
    await b.client.callTool({ name: 'log', arguments: { count: 2 } });
    await waitFor(() => notificationsIn(b.received, logged).length === 2, { what: 'two log lines at B' });
    // B's first call logged at info, under its own error level: nothing; A never saw B's call's lines.
    assert.equal(notificationsIn(b.received, logged).length, 2);
    assert.equal(notificationsIn(a.received, logged).length, 3);
  });

  it('rewrites a cancellation to the id the child knows the call by', async () => {
    const a = await connect();
    const abort = new AbortController();
    const pending = a.client.callTool({ name: 'slow', arguments: { ms: 10_000 } }, undefined, { signal: abort.signal });
    await waitFor(async () => (await statusOf(daemon)).isolation?.sharedChildren[0]?.inFlight === 1, { what: 'the call in flight at the child' });
    abort.abort('test cancels');
    await assert.rejects(pending);
    const line = await daemon.waitForLog((log) => log.stream === 'stderr' && log.msg.startsWith('cancelled '), 10_000, 'the child to log the cancellation');
    assert.match(line.msg, /^cancelled mcp-sidecar-shared:/);
  });

  it('answers each client\'s initialize with the version it asked for when the child speaks it, else the child\'s', async () => {
    const versions: Record<string, string> = {};
    for (const asked of ['2024-11-05', '2025-03-26', '2025-06-18', '2025-11-25', '2099-01-01']) {
      const response = await rawRequest(daemon.url, { method: 'POST', headers: { 'content-type': 'application/json', accept: MCP_ACCEPT }, body: initializeBody(1, asked) });
      assert.equal(response.status, 200, response.text);
      const result = (response.json as { result: { protocolVersion: string; serverInfo: { name: string }; capabilities: Record<string, unknown> } }).result;
      assert.equal(result.serverInfo.name, 'shared-fixture');
      assert.ok(!('tasks' in result.capabilities));
      versions[asked] = result.protocolVersion;
      await rawRequest(daemon.url, { method: 'DELETE', headers: sessionHeaders(response.headers.get('mcp-session-id') ?? '') });
    }
    assert.deepEqual(versions, { '2024-11-05': '2024-11-05', '2025-03-26': '2025-03-26', '2025-06-18': '2025-06-18', '2025-11-25': '2025-11-25', '2099-01-01': '2025-11-25' });
    // The child was initialized once, by the daemon: it never saw these.
    assert.equal(daemon.logs.filter((line) => line.msg === 'shared child initialized').length, 1);
  });
});
