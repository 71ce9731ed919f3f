/**
 * Session ids name their instance (`<instance>.<random>`) so a proxy can route on them: the pure
 * rules as a table, then the real daemon minting them on every transport that has ids, refusing a
 * malformed one (400) and answering an id of another instance as any unknown one (404), so its
 * client starts a new session.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { INSTANCE_ID, instanceIdOf, isWellFormedSessionId, newSessionId } from '../../src/session/session-id.js';
import { startDaemon, type TestDaemon } from '../helpers/daemon.js';
import { openSession, rawRequest, sessionHeaders } from '../helpers/http.js';
import { openSse } from '../helpers/sse.js';

describe('instanceIdOf: the default --instance-id from the host name', () => {
  const CASES: [string, string][] = [
    ['mcp-sidecar-0', 'mcp-sidecar-0'],
    ['ip-10-0-0-12.eu-west-1.compute.internal', 'ip-10-0-0-12'],
    ['3f2c9a1b7d4e', '3f2c9a1b7d4e'],
    ['Host_Name', 'Host_Name'],
    ['wéird host', 'w-ird-host'],
    ['', 'mcp-sidecar'],
    ['.leading-dot', 'mcp-sidecar'],
    ['x'.repeat(80), 'x'.repeat(63)],
  ];
  for (const [hostname, expected] of CASES) {
    it(`${JSON.stringify(hostname)} → ${expected}`, () => {
      assert.equal(instanceIdOf(hostname), expected);
      assert.match(instanceIdOf(hostname), INSTANCE_ID);
    });
  }
});

describe('newSessionId', () => {
  it('is <instance>.<32 base64url characters>: visible ASCII, well-formed, the instance before the only dot', () => {
    const ids = Array.from({ length: 200 }, () => newSessionId('mcp-sidecar-1'));
    for (const id of ids) {
      assert.match(id, /^mcp-sidecar-1\.[A-Za-z0-9_-]{32}$/);
      assert.ok(isWellFormedSessionId(id));
    }
    assert.equal(new Set(ids).size, ids.length);
    const longest = newSessionId('x'.repeat(63));
    assert.ok(longest.length <= 256 && isWellFormedSessionId(longest), `${longest.length} characters`);
  });
});

describe('session ids of a daemon with --instance-id', () => {
  let daemon: TestDaemon;
  before(async () => {
    daemon = await startDaemon({ fixture: { name: 'echo-server' }, args: ['--instance-id', 'node-a'] });
  });
  after(() => daemon.close());

  const ping = (sessionId: string): Promise<{ status: number; json: unknown }> =>
    rawRequest(daemon.url, { method: 'POST', headers: sessionHeaders(sessionId), body: JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'ping' }) });

  it('mints Streamable HTTP session ids that name it, and serves them', async () => {
    const id = await openSession(daemon.url);
    assert.match(id, /^node-a\.[A-Za-z0-9_-]{32}$/);
    assert.equal((await ping(id)).status, 200);
  });

  it('names itself in the legacy SSE endpoint too', async () => {
    const stream = await openSse(`${daemon.baseUrl}/sse`, { headers: { accept: 'text/event-stream' } });
    try {
      const endpoint = await stream.nextEvent();
      assert.equal(endpoint?.event, 'endpoint');
      assert.match(new URL(endpoint.data, daemon.baseUrl).searchParams.get('sessionId') ?? '', /^node-a\.[A-Za-z0-9_-]{32}$/);
    } finally {
      stream.cut();
    }
  });

  it("answers another instance's session id 404 SESSION_NOT_FOUND, like any unknown id", async () => {
    const id = await openSession(daemon.url);
    const foreign = `node-b.${id.slice(id.indexOf('.') + 1)}`;
    const answer = await ping(foreign);
    assert.equal(answer.status, 404);
    assert.equal((answer.json as { error: { code: number } }).error.code, -32001);
    // An id from before ids named instances: well-formed, unknown, 404.
    assert.equal((await ping('0123456789abcdefABCDEF_-0123456789abcdef')).status, 404);
  });

  it('still refuses a malformed id with 400 SESSION_ID_MALFORMED', async () => {
    const answer = await ping('node-a.has space');
    assert.equal(answer.status, 400);
    assert.match(JSON.stringify(answer.json), /visible ASCII/);
  });
});
