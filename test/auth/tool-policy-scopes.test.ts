/**
 * The `scopes` section of --tool-policy is checked against the token of each request, not the
 * one that opened the session. Two JWTs of one subject, one with scope admin and one without, on
 * one session: a request carrying the token without admin cannot call the admin-only tool and
 * does not see it in tools/list, whichever token opened the session; the token with admin can,
 * again whichever opened it. On Streamable HTTP and legacy SSE (a WebSocket has one token, the
 * upgrade's). The env-dump child lists the calls it received: a refused call never reaches it.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { rawRequest, type RawResponse } from '../helpers/http.js';
import { messageOf, openSse, type SseReader } from '../helpers/sse.js';
import { bearer, openSessionAs, postAs, TempFiles } from '../security/auth-helpers.js';
import { JwtDaemon } from '../security/jwt-daemon.js';

const POLICY = { scopes: { admin: ['env', 'pid'], 'tools:read': ['echo', 'calls'] } };

interface Answer {
  result?: { tools?: { name: string }[]; content?: { text: string }[] };
  error?: { code: number; data?: { reason?: string } };
}

/** The JSON-RPC answer in a POST response, JSON or one SSE event. */
function answerOf(response: RawResponse): Answer {
  assert.equal(response.status, 200, response.text);
  const data = /^data: (.*)$/m.exec(response.text)?.[1];
  return (data ? JSON.parse(data) : response.json) as Answer;
}

function toolNames(answer: Answer): string[] {
  return (answer.result?.tools ?? []).map((tool) => tool.name).sort();
}

function assertForbidden(answer: Answer): void {
  assert.equal(answer.error?.code, -32006, JSON.stringify(answer));
  assert.equal(answer.error?.data?.reason, 'TOOL_FORBIDDEN');
}

describe('--tool-policy scopes follow the token of each request', () => {
  const files = new TempFiles();
  let setup: JwtDaemon;
  let admin: string;
  let reader: string;
  let id = 10;

  before(async () => {
    setup = await JwtDaemon.start({ fixture: 'env-dump', args: ['--tool-policy', files.write('policy.json', JSON.stringify(POLICY))] });
    admin = await setup.token('user-1', { scope: 'admin tools:read' });
    reader = await setup.token('user-1', { scope: 'tools:read' });
  });
  after(async () => {
    await setup?.close();
    files.remove();
  });

  describe('Streamable HTTP', () => {
    const list = async (token: string, sessionId: string): Promise<Answer> => answerOf(await postAs(setup.daemon.url, token, sessionId, { jsonrpc: '2.0', id: id++, method: 'tools/list' }));
    const call = async (token: string, sessionId: string, name: string): Promise<Answer> =>
      answerOf(await postAs(setup.daemon.url, token, sessionId, { jsonrpc: '2.0', id: id++, method: 'tools/call', params: { name, arguments: {} } }));
    const received = async (token: string, sessionId: string): Promise<string[]> => JSON.parse((await call(token, sessionId, 'calls')).result?.content?.[0]?.text ?? 'null') as string[];

    it('opened with admin: a later request without admin neither sees nor calls the admin-only tool', async () => {
      const sessionId = await openSessionAs(setup.daemon.url, admin);
      assert.deepEqual(toolNames(await list(admin, sessionId)), ['calls', 'echo', 'env', 'pid']);
      assert.deepEqual(toolNames(await list(reader, sessionId)), ['calls', 'echo']);
      assertForbidden(await call(reader, sessionId, 'env'));
      assert.ok(Array.isArray((await call(admin, sessionId, 'pid')).result?.content));
      assert.deepEqual(await received(reader, sessionId), ['pid', 'calls']);
    });

    it('opened without admin: a later request with admin sees and calls it', async () => {
      const sessionId = await openSessionAs(setup.daemon.url, reader);
      assert.deepEqual(toolNames(await list(reader, sessionId)), ['calls', 'echo']);
      assertForbidden(await call(reader, sessionId, 'pid'));
      assert.deepEqual(toolNames(await list(admin, sessionId)), ['calls', 'echo', 'env', 'pid']);
      assert.ok(Array.isArray((await call(admin, sessionId, 'pid')).result?.content));
      assert.deepEqual(await received(admin, sessionId), ['pid', 'calls']);
    });
  });

  describe('legacy SSE', () => {
    let stream: SseReader;
    let messagesUrl: string;
    const post = (token: string, body: unknown): Promise<RawResponse> =>
      rawRequest(messagesUrl, { method: 'POST', headers: { 'content-type': 'application/json', ...bearer(token) }, body: JSON.stringify(body) });
    /** Posts a request as `token` and reads its answer from the stream. */
    async function ask(token: string, method: string, params: Record<string, unknown> = {}): Promise<Answer> {
      const requestId = id++;
      const response = await post(token, { jsonrpc: '2.0', id: requestId, method, params });
      assert.equal(response.status, 202, response.text);
      for (;;) {
        const event = await stream.nextEvent();
        assert.ok(event, 'the stream ended');
        const message = messageOf(event);
        if (message.id === requestId) return message;
      }
    }

    before(async () => {
      stream = await openSse(`${setup.daemon.baseUrl}/sse`, { headers: { accept: 'text/event-stream', ...bearer(admin) } });
      assert.equal(stream.status, 200);
      const endpoint = await stream.nextEvent();
      assert.equal(endpoint?.event, 'endpoint');
      messagesUrl = new URL(endpoint.data, setup.daemon.baseUrl).href;
      const init = await ask(admin, 'initialize', { protocolVersion: '2024-11-05', capabilities: {}, clientInfo: { name: 'scopes-test', version: '1.0.0' } });
      assert.ok(init.result, JSON.stringify(init));
      assert.equal((await post(admin, { jsonrpc: '2.0', method: 'notifications/initialized' })).status, 202);
    });

    it('opened with admin: a request without admin neither sees nor calls the admin-only tool; one with admin still can', async () => {
      assert.deepEqual(toolNames(await ask(reader, 'tools/list')), ['calls', 'echo']);
      assertForbidden(await ask(reader, 'tools/call', { name: 'env', arguments: {} }));
      assert.deepEqual(toolNames(await ask(admin, 'tools/list')), ['calls', 'echo', 'env', 'pid']);
      assert.ok(Array.isArray((await ask(admin, 'tools/call', { name: 'pid', arguments: {} })).result?.content));
    });
  });
});
