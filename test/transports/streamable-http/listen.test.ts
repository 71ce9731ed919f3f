/**
 * 2026-07-28 `subscriptions/listen` end to end: the real daemon in front of the echo fixture
 * (which records its stdin, --record-dir), raw HTTP for the stream and the calls that change
 * things, the v2 SDK client's own `listen()`:
 * - the acknowledgment comes first, with what the server can honor; then the changes the client
 *   opted in to, each tagged with the listen's id, and nothing else: not another principal's, not
 *   a kind it did not ask for, not an update of a URI it did not subscribe to;
 * - a list change made by a call on another child of the principal still reaches the stream;
 * - the stream keeps its child past --idle-timeout, survives the child's restart (subscribed
 *   again), sends keepalive comments; closing it unsubscribes at the child and lets the child go;
 * - limits, refusals, the end of its credential, and shutdown, which ends every listen stream
 *   with its complete response.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startDaemon, type TestDaemon } from '../../helpers/daemon.js';
import { rawRequest, type RawResponse } from '../../helpers/http.js';
import { connectV2 } from '../../helpers/mcp-client-v2.js';
import { metricSum } from '../../helpers/metrics.js';
import { openListen, postModern as modernPost, type ModernCall } from '../../helpers/modern-http.js';
import { waitFor } from '../../helpers/poll.js';
import { isAlive } from '../../helpers/process-table.js';
import { messageOf, type SseReader } from '../../helpers/sse.js';
import { TempFiles, bearer, newToken } from '../../security/auth-helpers.js';

const SUB = 'io.modelcontextprotocol/subscriptionId';

function tagged(id: string | number, method: string, params: Record<string, unknown> = {}): Record<string, unknown> {
  return { jsonrpc: '2.0', method, params: { ...params, _meta: { [SUB]: id } } };
}

async function nextMessage(stream: SseReader): Promise<Record<string, unknown>> {
  const event = await stream.nextEvent();
  assert.ok(event, 'the stream ended');
  return messageOf(event);
}

function resultOf(response: RawResponse): Record<string, unknown> {
  assert.equal(response.status, 200, response.text);
  const body = response.json as { result?: Record<string, unknown> };
  assert.ok(body.result, response.text);
  return body.result;
}

interface StatusSession { pid: number; era: string; listens: number }

describe('subscriptions/listen through a lease of the principal', () => {
  const files = new TempFiles();
  const recordDir = mkdtempSync(path.join(tmpdir(), 'mcp-sidecar-listen-record-'));
  const alice = newToken('alice');
  const bob = newToken('bob');
  let daemon: TestDaemon;
  let listen: SseReader;
  let heldPid = 0;
  const as = (token: string, call: ModernCall): Promise<RawResponse> => modernPost(daemon.url, { ...call, headers: { ...bearer(token), ...call.headers } });
  const callTool = async (token: string, name: string, args: Record<string, unknown>, capabilities?: Record<string, unknown>): Promise<string> => {
    const result = resultOf(await as(token, { method: 'tools/call', params: { name, arguments: args }, ...(capabilities ? { capabilities } : {}) }));
    return (result.content as Array<{ text: string }>)[0]?.text ?? '';
  };
  const status = async (): Promise<StatusSession[]> => ((await rawRequest(`${daemon.baseUrl}/status`, { method: 'GET', headers: bearer(alice) })).json as { sessions: StatusSession[] }).sessions;
  const recorded = (pid: number): string => {
    try {
      return readFileSync(path.join(recordDir, `${pid}.jsonl`), 'utf8');
    } catch {
      return '';
    }
  };

  before(async () => {
    const tokens = files.write('tokens', `alice:${alice}\nbob:${bob}\n`);
    daemon = await startDaemon({
      fixture: { name: 'echo-server', args: [`--record-dir=${recordDir}`] },
      args: ['--auth-tokens-file', tokens, '--status', '--idle-timeout', '1s', '--sse-keepalive', '200ms', '--restart', 'on-failure', '--restart-sec', '100ms'],
    });
  });
  after(async () => {
    listen?.cut();
    await daemon.close();
    files.remove();
    rmSync(recordDir, { recursive: true, force: true });
  });

  it('acknowledges first with what it honors, then delivers what it opted in to, tagged, and nothing else', async () => {
    listen = await openListen(daemon.url, 'L1', { toolsListChanged: true, resourceSubscriptions: ['fixture://static'] }, { headers: bearer(alice) });
    assert.equal(listen.status, 200);
    assert.match(String(listen.headers['content-type']), /text\/event-stream/);
    assert.equal(listen.headers['x-accel-buffering'], 'no');
    assert.equal(listen.headers['mcp-session-id'], undefined, 'no session is named');
    assert.deepEqual(await nextMessage(listen), {
      jsonrpc: '2.0', method: 'notifications/subscriptions/acknowledged',
      params: { _meta: { [SUB]: 'L1' }, notifications: { toolsListChanged: true, resourceSubscriptions: ['fixture://static'] } },
    });
    // The echo fixture announces an update right after a subscribe: the daemon's subscribe reached it.
    assert.deepEqual(await nextMessage(listen), tagged('L1', 'notifications/resources/updated', { uri: 'fixture://static' }));

    assert.equal(await callTool(alice, 'notify-change', { list: 'prompts' }), 'prompts changed');
    await callTool(alice, 'update-resource', { uri: 'fixture://other' });
    await callTool(alice, 'notify-change', { list: 'tools' });
    assert.deepEqual(await nextMessage(listen), tagged('L1', 'notifications/tools/list_changed'), 'not the prompts change, not the other URI');
    await callTool(alice, 'update-resource', { uri: 'fixture://static' });
    assert.deepEqual(await nextMessage(listen), tagged('L1', 'notifications/resources/updated', { uri: 'fixture://static' }));
    const sessions = await status();
    const held = sessions.find((session) => session.listens === 1);
    assert.ok(held, JSON.stringify(sessions));
    heldPid = held.pid;
  });

  it('a change made by a call on another child of the principal reaches it; another principal\'s never does', async () => {
    const other = { experimental: { elsewhere: {} } };
    const otherPid = (JSON.parse(await callTool(alice, 'pid', {}, other)) as { pid: number }).pid;
    assert.notEqual(otherPid, heldPid, 'another capability set: another lease, another child');
    await callTool(bob, 'notify-change', { list: 'tools' });
    await callTool(alice, 'notify-change', { list: 'tools' }, other);
    await callTool(alice, 'update-resource', { uri: 'fixture://static' });
    assert.deepEqual(await nextMessage(listen), tagged('L1', 'notifications/tools/list_changed'));
    assert.deepEqual(await nextMessage(listen), tagged('L1', 'notifications/resources/updated', { uri: 'fixture://static' }), 'one tools change only: bob\'s did not come');
  });

  it('outlives its child\'s crash: the restarted child is subscribed again', async () => {
    const crashed = await as(alice, { method: 'tools/call', params: { name: 'crash', arguments: {} } });
    assert.equal((crashed.json as { error: { data: { reason: string } } }).error.data.reason, 'CHILD_EXITED');
    // The replayed resources/subscribe makes the new child announce its update again.
    assert.deepEqual(await nextMessage(listen), tagged('L1', 'notifications/resources/updated', { uri: 'fixture://static' }));
    const held = (await status()).find((session) => session.listens === 1);
    assert.ok(held && held.pid !== heldPid, 'a new child under the same lease');
    heldPid = held.pid;
    assert.match(recorded(heldPid), /"method":"resources\/subscribe","params":\{"uri":"fixture:\/\/static"\}/);
  });

  it('sends keepalive comments and keeps its child past --idle-timeout while open', async () => {
    const before = listen.comments.length;
    // 8 comments at 200 ms: well past the 1 s idle timeout with nothing sent to this child.
    await waitFor(() => listen.comments.length >= before + 8, { what: 'keepalive comments' });
    assert.ok(listen.comments.every((comment) => comment === 'keepalive'), listen.comments.join(','));
    const held = (await status()).find((session) => session.pid === heldPid);
    assert.equal(held?.listens, 1, 'the lease was not reaped while the listen held it');
    assert.equal(await metricSum(daemon.baseUrl, 'mcp_sidecar_listen_streams_open'), 1);
  });

  it('closing it unsubscribes at the child and lets the child go', async () => {
    const delivered = await metricSum(daemon.baseUrl, 'mcp_sidecar_listen_notifications_total');
    assert.ok(delivered >= 5, `delivered ${delivered}`);
    listen.cut();
    await waitFor(() => /"method":"resources\/unsubscribe","params":\{"uri":"fixture:\/\/static"\}/.test(recorded(heldPid)), { what: 'resources/unsubscribe at the child' });
    await waitFor(async () => (await metricSum(daemon.baseUrl, 'mcp_sidecar_listen_streams_open')) === 0, { what: 'the gauge to drop' });
    await waitFor(async () => !(await status()).some((session) => session.pid === heldPid) && !isAlive(heldPid), { timeoutMs: 15_000, what: 'the idle lease to be reaped' });
  });

  it('refuses a filter that is not one, before anything is started', async () => {
    for (const [id, notifications] of [[1, undefined], [2, { toolsListChanged: 'yes' }], [3, { resourceSubscriptions: [1] }]] as const) {
      const response = await as(alice, { method: 'subscriptions/listen', id, params: notifications === undefined ? {} : { notifications } });
      assert.equal(response.status, 400, response.text);
      const body = response.json as { id: unknown; error: { code: number; data: { reason: string } } };
      assert.deepEqual([body.id, body.error.code, body.error.data.reason], [id, -32602, 'LISTEN_FILTER_INVALID']);
    }
    const anonymous = await modernPost(daemon.url, { method: 'subscriptions/listen', params: { notifications: {} } });
    assert.equal(anonymous.status, 401);
  });

  it('ends with its credential: a token revoked on SIGHUP cuts the stream', async () => {
    const stream = await openListen(daemon.url, 'B', { toolsListChanged: true }, { headers: bearer(bob) });
    assert.equal((await nextMessage(stream)).method, 'notifications/subscriptions/acknowledged');
    files.write('tokens', `alice:${alice}\n`);
    daemon.process.kill('SIGHUP');
    assert.deepEqual(await stream.readToEnd(), [], 'cut, without a complete response');
    assert.equal(await metricSum(daemon.baseUrl, 'mcp_sidecar_credential_closures_total', { transport: 'streamable-http', cause: 'revoked' }), 1);
  });
});

describe('subscriptions/listen limits and ends', () => {
  let daemon: TestDaemon;
  before(async () => {
    daemon = await startDaemon({ fixture: { name: 'echo-server' }, args: ['--max-sessions-per-principal', '1', '--restart', 'no'] });
  });
  after(() => daemon.close());

  it('a principal holds as many listen streams as it may hold sessions', async () => {
    const first = await openListen(daemon.url, 1, { toolsListChanged: true });
    assert.equal(messageOf(await first.nextEvent() ?? assert.fail('no acknowledgment')).method, 'notifications/subscriptions/acknowledged');
    const second = await modernPost(daemon.url, { method: 'subscriptions/listen', id: 2, params: { notifications: { promptsListChanged: true } } });
    assert.equal(second.status, 429, second.text);
    assert.equal((second.json as { error: { data: { reason: string } } }).error.data.reason, 'LISTEN_LIMIT');
    assert.equal(second.headers.get('retry-after'), '5');
    first.cut();
    await waitFor(async () => (await metricSum(daemon.baseUrl, 'mcp_sidecar_listen_streams_open')) === 0, { what: 'the first listen to be let go' });
    const third = await openListen(daemon.url, 3, {});
    assert.deepEqual(messageOf(await third.nextEvent() ?? assert.fail('no acknowledgment')).params, { _meta: { [SUB]: 3 }, notifications: {} }, 'an empty filter is acknowledged empty');
    third.cut();
  });

  it('a listen whose child is gone for good is cut without a response, so its client listens again', async () => {
    const stream = await openListen(daemon.url, 4, { toolsListChanged: true });
    assert.equal(messageOf(await stream.nextEvent() ?? assert.fail('no acknowledgment')).method, 'notifications/subscriptions/acknowledged');
    const crashed = await modernPost(daemon.url, { method: 'tools/call', params: { name: 'crash', arguments: {} } });
    assert.equal((crashed.json as { error: { data: { reason: string } } }).error.data.reason, 'CHILD_EXITED');
    assert.deepEqual(await stream.readToEnd(), [], 'no complete response: the end was not the subscription\'s');
    await waitFor(async () => (await metricSum(daemon.baseUrl, 'mcp_sidecar_listen_streams_open')) === 0, { what: 'the gauge to drop' });
  });
});

describe('subscriptions/listen in front of a server that speaks 2026-07-28 itself', () => {
  let daemon: TestDaemon;
  before(async () => {
    daemon = await startDaemon({ fixture: { name: 'modern-server' } });
  });
  after(() => daemon.close());

  it('is not relayed: 404 -32601', async () => {
    const response = await modernPost(daemon.url, { method: 'subscriptions/listen', id: 9, params: { notifications: { toolsListChanged: true } } });
    assert.equal(response.status, 404, response.text);
    assert.deepEqual((response.json as { id: unknown; error: { code: number } }).error.code, -32601);
  });
});

describe('subscriptions/listen with the v2 SDK client, and at shutdown', () => {
  let daemon: TestDaemon;
  before(async () => {
    daemon = await startDaemon({ fixture: { name: 'echo-server' }, args: ['--drain-timeout', '5s'] });
  });
  after(() => daemon.close());

  it('the SDK client listens, gets the change its call caused; shutdown ends every stream with its complete response', async () => {
    const { client, close } = await connectV2(daemon.url, 'no-auth', { pin: '2026-07-28' });
    const changes: unknown[] = [];
    client.setNotificationHandler('notifications/tools/list_changed', (notification) => void changes.push(notification));
    const subscription = await client.listen({ toolsListChanged: true, promptsListChanged: true });
    assert.deepEqual(subscription.honoredFilter, { toolsListChanged: true, promptsListChanged: true });
    await client.callTool({ name: 'notify-change', arguments: { list: 'tools' } });
    await waitFor(() => changes.length === 1, { what: 'the tools change at the SDK client' });
    assert.equal((changes[0] as { params: { _meta: Record<string, unknown> } }).params._meta[SUB], 'listen:0');

    const raw = await openListen(daemon.url, 'R', { resourcesListChanged: true });
    assert.equal(messageOf(await raw.nextEvent() ?? assert.fail('no acknowledgment')).method, 'notifications/subscriptions/acknowledged');
    await waitFor(async () => (await metricSum(daemon.baseUrl, 'mcp_sidecar_listen_streams_open')) === 2, { what: 'two listen streams' });

    const exited = daemon.stop('SIGTERM');
    const rest = await raw.readToEnd();
    assert.deepEqual(rest.map(messageOf).at(-1), { jsonrpc: '2.0', id: 'R', result: { resultType: 'complete', _meta: { 'io.modelcontextprotocol/serverInfo': { name: 'echo-fixture', version: '1.0.0' }, [SUB]: 'R' } } });
    assert.ok(raw.ended);
    assert.equal(await subscription.closed, 'graceful');
    assert.equal(await exited, 0);
    await close().catch(() => undefined);
  });
});
