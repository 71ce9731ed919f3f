/**
 * The 2026-07-28 front on the Streamable HTTP endpoint, from outside with raw HTTP: every refusal
 * of the table answers before any child is touched (no session, no spawn), with its status, code
 * and the request's id; admission (Host, tokens, tool policy, rates) holds as on the session path;
 * server/discover is learned once; leased children are the principal's own, restart like a
 * session's and are let go when idle; logs reach a request only when it asked for a level.
 */
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { startDaemon, type TestDaemon } from '../../helpers/daemon.js';
import { rawRequest, type RawResponse } from '../../helpers/http.js';
import { MODERN_VERSION, modernHeaders, modernMeta, postModern, type ModernCall } from '../../helpers/modern-http.js';
import { metricSum } from '../../helpers/metrics.js';
import { waitFor } from '../../helpers/poll.js';
import { TempFiles, newToken } from '../../security/auth-helpers.js';

const VERSION = MODERN_VERSION;
const META = modernMeta();
const post = postModern;

function assertRefusal(response: RawResponse, status: number, code: number, reason: string, id: unknown = 1): { message: string; data: Record<string, unknown> } {
  assert.equal(response.status, status, response.text);
  const body = response.json as { id: unknown; error: { code: number; message: string; data: Record<string, unknown> } };
  assert.equal(body.error.code, code, response.text);
  assert.equal(body.error.data.reason, reason, response.text);
  assert.deepEqual(body.id, id, 'the refusal carries the request id');
  return body.error;
}

function resultOf(response: RawResponse): Record<string, unknown> {
  assert.equal(response.status, 200, response.text);
  const body = response.json as { result?: Record<string, unknown>; error?: unknown };
  assert.ok(body.result, response.text);
  return body.result;
}

describe('the 2026-07-28 refusal table: nothing reaches a child', () => {
  let daemon: TestDaemon;
  before(async () => {
    daemon = await startDaemon({ fixture: { name: 'flood-server' } });
  });
  after(() => daemon.close());

  const cases: Array<{ name: string; call: ModernCall; status: number; code: number; reason: string; data?: Record<string, unknown> }> = [
    { name: 'no _meta at all, 2026 header', call: { method: 'tools/list', meta: null }, status: 400, code: -32602, reason: 'MODERN_META_INVALID' },
    { name: '_meta without clientCapabilities', call: { method: 'tools/list', meta: { 'io.modelcontextprotocol/protocolVersion': VERSION } }, status: 400, code: -32602, reason: 'MODERN_META_INVALID' },
    { name: 'a log level that does not exist', call: { method: 'tools/list', meta: { ...META, 'io.modelcontextprotocol/logLevel': 'loud' } }, status: 400, code: -32602, reason: 'MODERN_META_INVALID' },
    { name: 'header version disagrees with _meta', call: { method: 'tools/list', meta: { ...META, 'io.modelcontextprotocol/protocolVersion': 'v999.0.0' } }, status: 400, code: -32020, reason: 'HEADER_MISMATCH' },
    { name: 'unsupported version in header and _meta', call: { method: 'tools/list', meta: { ...META, 'io.modelcontextprotocol/protocolVersion': 'v999.0.0' }, headers: { 'mcp-protocol-version': 'v999.0.0' } }, status: 400, code: -32022, reason: 'PROTOCOL_VERSION_UNSUPPORTED', data: { supported: [VERSION], requested: 'v999.0.0' } },
    { name: 'Mcp-Method disagrees with the body', call: { method: 'tools/list', headers: { 'mcp-method': 'prompts/list' } }, status: 400, code: -32020, reason: 'HEADER_MISMATCH' },
    { name: 'Mcp-Name disagrees with params.name', call: { method: 'tools/call', params: { name: 'echo', arguments: { text: 'x' } }, headers: { 'mcp-name': 'other' } }, status: 400, code: -32020, reason: 'HEADER_MISMATCH' },
    { name: 'Mcp-Name missing on tools/call', call: { method: 'tools/call', params: { name: 'echo', arguments: { text: 'x' } }, headers: { 'mcp-name': '' } }, status: 400, code: -32020, reason: 'HEADER_MISMATCH' },
    { name: 'an unknown method', call: { method: 'tools/frobnicate' }, status: 404, code: -32601, reason: 'METHOD_NOT_FOUND' },
    { name: 'initialize, removed in 2026', call: { method: 'initialize', params: {} }, status: 404, code: -32601, reason: 'METHOD_NOT_FOUND' },
    { name: 'ping, removed in 2026', call: { method: 'ping' }, status: 404, code: -32601, reason: 'METHOD_NOT_FOUND' },
    { name: 'logging/setLevel, removed in 2026', call: { method: 'logging/setLevel', params: { level: 'info' } }, status: 404, code: -32601, reason: 'METHOD_NOT_FOUND' },
    { name: 'a string id comes back', call: { method: 'tools/frobnicate', id: 'req-7' }, status: 404, code: -32601, reason: 'METHOD_NOT_FOUND' },
  ];
  for (const row of cases) {
    it(`${row.name}: ${row.status} ${row.code} ${row.reason}`, async () => {
      const error = assertRefusal(await post(daemon.url, row.call), row.status, row.code, row.reason, row.call.id ?? 1);
      for (const [key, value] of Object.entries(row.data ?? {})) assert.deepEqual(error.data[key], value, key);
    });
  }

  it('a batch with a 2026-07-28 request: 400 -32600', async () => {
    const body = JSON.stringify([{ jsonrpc: '2.0', id: 1, method: 'tools/list', params: { _meta: META } }]);
    const response = await rawRequest(daemon.url, { method: 'POST', headers: modernHeaders('tools/list', undefined), body });
    assertRefusal(response, 400, -32600, 'MODERN_BATCH_REFUSED', null);
  });

  it('GET and DELETE without a session: 405 with Allow: POST; a 2025 client still gets 400', async () => {
    for (const method of ['GET', 'DELETE']) {
      const response = await rawRequest(daemon.url, { method, headers: { accept: 'text/event-stream', 'mcp-protocol-version': VERSION } });
      assertRefusal(response, 405, -32000, 'MODERN_SESSIONLESS', null);
      assert.equal(response.headers.get('allow'), 'POST');
    }
    const legacy = await rawRequest(daemon.url, { method: 'GET', headers: { accept: 'text/event-stream' } });
    assertRefusal(legacy, 400, -32000, 'SESSION_ID_REQUIRED', null);
  });

  it('after every refusal above, no session was opened and no child spawned', async () => {
    assert.equal(await metricSum(daemon.baseUrl, 'mcp_sidecar_sessions_started_total'), 0);
    assert.equal(await metricSum(daemon.baseUrl, 'mcp_sidecar_children', { state: 'running' }), 0);
  });

  it('Mcp-Param-* headers are held to the tool\'s x-mcp-header declarations', async () => {
    const call = (headers: Record<string, string>, id: number): Promise<RawResponse> => post(daemon.url, { method: 'tools/call', id, params: { name: 'region', arguments: { region: 'eu-west-1' } }, headers });
    assertRefusal(await call({}, 11), 400, -32020, 'HEADER_MISMATCH', 11);
    assertRefusal(await call({ 'mcp-param-region': 'us-east-1' }, 12), 400, -32020, 'HEADER_MISMATCH', 12);
    assertRefusal(await call({ 'mcp-param-region': 'eu-west-1', 'mcp-param-other': 'x' }, 13), 400, -32020, 'HEADER_MISMATCH', 13);
    const encoded = `=?base64?${Buffer.from('eu-west-1').toString('base64')}?=`;
    for (const [id, value] of [[14, 'eu-west-1'], [15, encoded]] as const) {
      const result = resultOf(await call({ 'mcp-param-region': value }, id));
      assert.deepEqual(result.content, [{ type: 'text', text: 'region eu-west-1' }]);
    }
  });
});

describe('serving 2026-07-28 requests from a 2025-era child', () => {
  let daemon: TestDaemon;
  before(async () => {
    daemon = await startDaemon({ fixture: { name: 'echo-server' }, args: ['--restart', 'on-failure', '--restart-sec', '100ms', '--status'] });
  });
  after(() => daemon.close());

  it('server/discover: versions, the child\'s capabilities and identity, cache hints; learned once', async () => {
    const first = resultOf(await post(daemon.url, { method: 'server/discover', id: 'd1' }));
    assert.equal(first.resultType, 'complete');
    assert.deepEqual(first.supportedVersions, [VERSION, '2025-11-25', '2025-06-18', '2025-03-26', '2024-11-05']);
    assert.ok(typeof first.capabilities === 'object' && first.capabilities !== null && 'tools' in first.capabilities);
    assert.equal((first._meta as Record<string, { name: string }>)['io.modelcontextprotocol/serverInfo']?.name, 'echo-fixture');
    assert.equal(first.ttlMs, 0);
    assert.equal(first.cacheScope, 'private');
    for (let i = 0; i < 5; i++) resultOf(await post(daemon.url, { method: 'server/discover', id: `d${i + 2}` }));
    assert.equal(await metricSum(daemon.baseUrl, 'mcp_sidecar_sessions_started_total'), 1, 'one lease, not a child per discover');
  });

  it('answers in the 2026 shape and rewrites ids so two clients using id 1 share a child', async () => {
    const [a, b] = await Promise.all([
      post(daemon.url, { method: 'tools/call', id: 1, params: { name: 'slow', arguments: { ms: 200 } } }),
      post(daemon.url, { method: 'tools/call', id: 1, params: { name: 'echo', arguments: { text: 'b' } } }),
    ]);
    assert.deepEqual(resultOf(b).content, [{ type: 'text', text: 'b' }]);
    const slow = resultOf(a);
    assert.equal(slow.resultType, 'complete');
    assert.equal((a.json as { id: unknown }).id, 1);
    const list = resultOf(await post(daemon.url, { method: 'tools/list' }));
    assert.equal(list.ttlMs, 0);
    assert.equal(list.cacheScope, 'private');
    const status = (await rawRequest(`${daemon.baseUrl}/status`, { method: 'GET' })).json as { sessions: Array<{ era?: string }> };
    assert.ok(status.sessions.some((session) => session.era === 'modern'), JSON.stringify(status.sessions));
  });

  it('logs reach a request only when it asked for a level; progress comes back under the client\'s token', async () => {
    const quiet = await post(daemon.url, { method: 'tools/call', id: 21, params: { name: 'log', arguments: { count: 2 } } });
    assert.match(quiet.headers.get('content-type') ?? '', /application\/json/);
    assert.deepEqual(resultOf(quiet).content, [{ type: 'text', text: 'logged 2' }]);
    const loud = await post(daemon.url, { method: 'tools/call', id: 22, params: { name: 'log', arguments: { count: 2 } }, meta: { ...META, 'io.modelcontextprotocol/logLevel': 'info' } });
    assert.match(loud.headers.get('content-type') ?? '', /text\/event-stream/);
    assert.equal(loud.text.match(/notifications\/message/g)?.length, 2, loud.text);
    const progress = await post(daemon.url, { method: 'tools/call', id: 23, params: { name: 'slow', arguments: { ms: 100, steps: 3 } }, meta: { ...META, progressToken: 'tok-23' } });
    assert.equal(progress.text.match(/"progressToken":"tok-23"/g)?.length, 3, progress.text);
    assert.doesNotMatch(progress.text, /mcp-sidecar-lease/, 'the lease\'s own ids never reach a client');
  });

  it('a child crash fails the call in flight; the lease restarts it and serves the next', async () => {
    const crashed = await post(daemon.url, { method: 'tools/call', id: 31, params: { name: 'crash', arguments: {} } });
    assert.equal(crashed.status, 200, crashed.text);
    assert.equal((crashed.json as { error: { data: { reason: string } } }).error.data.reason, 'CHILD_EXITED');
    await waitFor(async () => (await metricSum(daemon.baseUrl, 'mcp_sidecar_child_restarts_total')) >= 1, { what: 'the restart' });
    assert.deepEqual(resultOf(await post(daemon.url, { method: 'tools/call', id: 32, params: { name: 'echo', arguments: { text: 'again' } } })).content, [{ type: 'text', text: 'again' }]);
  });

  it('the child\'s ping during a call is answered by the daemon', async () => {
    assert.deepEqual(resultOf(await post(daemon.url, { method: 'tools/call', id: 51, params: { name: 'ping-client', arguments: {} } })).content, [{ type: 'text', text: 'pong' }]);
  });

  it('a sampling request the client did not declare: 400 -32021 naming the capability', async () => {
    const response = await post(daemon.url, { method: 'tools/call', id: 41, params: { name: 'sample', arguments: { prompt: 'hi' } } });
    const error = assertRefusal(response, 400, -32021, 'CAPABILITY_REQUIRED', 41);
    assert.deepEqual(error.data.requiredCapabilities, { sampling: {} });
  });
});

describe('2026-07-28 requests under admission and policy', () => {
  const files = new TempFiles();
  const alice = newToken('alice');
  const bob = newToken('bob');
  let daemon: TestDaemon;
  before(async () => {
    const tokens = files.write('tokens', `alice:${alice}\nbob:${bob}\n`);
    const policy = files.write('policy.json', JSON.stringify({ tokens: { alice: ['*'], bob: ['echo'] } }));
    daemon = await startDaemon({ fixture: { name: 'echo-server' }, args: ['--auth-tokens-file', tokens, '--tool-policy', policy, '--idle-timeout', '1s', '--rate-limit', '5/s:5'] });
  });
  after(async () => {
    await daemon.close();
    files.remove();
  });
  const as = (token: string | undefined, call: ModernCall): Promise<RawResponse> => post(daemon.url, { ...call, headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...call.headers } });

  it('no token: 401 before anything; a foreign Host: 403', async () => {
    assert.equal((await as(undefined, { method: 'server/discover' })).status, 401);
    // fetch will not send another Host: node:http does.
    const url = new URL(daemon.url);
    const body = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'server/discover', params: { _meta: META } });
    const status = await new Promise<number>((resolve, reject) => {
      const req = request({ host: url.hostname, port: url.port, path: url.pathname, method: 'POST', headers: { ...modernHeaders('server/discover', undefined), host: 'evil.example', authorization: `Bearer ${alice}` } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.end(body);
    });
    assert.equal(status, 403);
  });

  it('each principal gets children of its own; tool policy holds; idle leases are let go', async () => {
    const pidOf = async (token: string, id: number): Promise<number> => {
      const text = (resultOf(await as(token, { method: 'tools/call', id, params: { name: 'pid', arguments: {} } })).content as Array<{ text: string }>)[0]?.text ?? '';
      return (JSON.parse(text) as { pid: number }).pid;
    };
    const alicePid = await pidOf(alice, 1);
    assert.equal(await pidOf(alice, 2), alicePid, 'alice keeps her lease');
    const forbidden = await as(bob, { method: 'tools/call', id: 3, params: { name: 'pid', arguments: {} } });
    assert.equal((forbidden.json as { error: { data: { reason: string } } }).error.data.reason, 'TOOL_FORBIDDEN');
    assert.deepEqual(resultOf(await as(bob, { method: 'tools/call', id: 4, params: { name: 'echo', arguments: { text: 'bob' } } })).content, [{ type: 'text', text: 'bob' }]);
    await waitFor(async () => (await metricSum(daemon.baseUrl, 'mcp_sidecar_sessions_active')) === 0, { timeoutMs: 15_000, what: 'idle leases let go' });
    assert.notEqual(await pidOf(alice, 5), alicePid, 'a new lease after the idle one ended');
  });

  it('--rate-limit counts modern requests: 429 with Retry-After', async () => {
    const answers = await Promise.all(Array.from({ length: 12 }, (_, i) => as(alice, { method: 'tools/list', id: 100 + i })));
    const limited = answers.filter((answer) => answer.status === 429);
    assert.ok(limited.length > 0, answers.map((answer) => answer.status).join(','));
    assert.ok(limited.every((answer) => answer.headers.get('retry-after') !== null));
  });
});

describe('a server that speaks 2026-07-28 itself', () => {
  let daemon: TestDaemon;
  before(async () => {
    daemon = await startDaemon({ fixture: { name: 'modern-server' } });
  });
  after(() => daemon.close());

  it('is found by one server/discover probe and relayed without translation', async () => {
    const discover = resultOf(await post(daemon.url, { method: 'server/discover', id: 'd' }));
    assert.equal(discover.cacheScope, 'public', 'its own discover result, not the daemon\'s');
    assert.equal(discover.ttlMs, 60_000);
    const echoed = resultOf(await post(daemon.url, { method: 'tools/call', id: 2, params: { name: 'echo', arguments: { text: 'hi' } } }));
    assert.deepEqual(echoed.content, [{ type: 'text', text: `hi (protocolVersion ${VERSION})` }], 'the envelope reached the server');
    const methods = resultOf(await post(daemon.url, { method: 'tools/call', id: 3, params: { name: 'methods', arguments: {} } }));
    const seen = (methods.content as Array<{ text: string }>)[0]?.text.split(',') ?? [];
    assert.ok(!seen.includes('initialize') && !seen.includes('notifications/initialized'), seen.join(','));
    assert.deepEqual(seen.filter((method) => method === 'tools/call'), ['tools/call', 'tools/call']);
    await daemon.waitForLog((line) => typeof line.msg === 'string' && line.msg.startsWith('the server speaks 2026-07-28 itself'));
  });
});

describe('spares initialized ahead for 2026-07-28 leases (--lease-pool-min)', () => {
  let daemon: TestDaemon;
  before(async () => {
    daemon = await startDaemon({ fixture: { name: 'echo-server' }, args: ['--lease-pool-min', '2', '--restart', 'on-failure', '--restart-sec', '100ms'] });
  });
  after(() => daemon.close());

  it('a new principal\'s first request takes an initialized spare; the pool refills; a restart replays that initialize', async () => {
    await waitFor(async () => (await metricSum(daemon.baseUrl, 'mcp_sidecar_pool_spares')) === 2, { what: 'two initialized spares' });
    assert.deepEqual(resultOf(await post(daemon.url, { method: 'tools/call', id: 1, params: { name: 'echo', arguments: { text: 'warm' } } })).content, [{ type: 'text', text: 'warm' }]);
    const opened = await daemon.waitForLog((line) => line.msg === 'lease opened for 2026-07-28 requests');
    assert.equal(opened.prepared, true, 'the lease took a prepared spare');
    await waitFor(async () => (await metricSum(daemon.baseUrl, 'mcp_sidecar_pool_spares')) === 2, { what: 'the pool refilled' });
    const crashed = await post(daemon.url, { method: 'tools/call', id: 2, params: { name: 'crash', arguments: {} } });
    assert.equal((crashed.json as { error: { data: { reason: string } } }).error.data.reason, 'CHILD_EXITED');
    await waitFor(async () => (await metricSum(daemon.baseUrl, 'mcp_sidecar_child_restarts_total')) >= 1, { what: 'the restart' });
    assert.deepEqual(resultOf(await post(daemon.url, { method: 'tools/call', id: 3, params: { name: 'echo', arguments: { text: 'after' } } })).content, [{ type: 'text', text: 'after' }]);
  });

  it('a client declaring a capability the daemon does not bridge gets a child initialized for it', async () => {
    const meta = { ...META, 'io.modelcontextprotocol/clientCapabilities': { experimental: { x: {} } } };
    assert.deepEqual(resultOf(await post(daemon.url, { method: 'tools/call', id: 4, params: { name: 'echo', arguments: { text: 'own' } }, meta })).content, [{ type: 'text', text: 'own' }]);
    await daemon.waitForLog((line) => line.msg === 'lease opened for 2026-07-28 requests' && line.prepared === undefined && line.childProtocolVersion === '2025-11-25');
  });
});
