/**
 * Correlation across the daemon: every HTTP response carries X-Request-Id (a sane client one is
 * echoed, anything else replaced); a W3C traceparent puts its trace id, with the request id, on the
 * audit line, on the child's stderr lines written while that request is the only one in flight, and
 * on the debug line of a refused request.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startDaemon, type LogLine, type TestDaemon } from '../helpers/daemon.js';
import { initializeBody, MCP_ACCEPT, openSession, rawRequest, type RawResponse } from '../helpers/http.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const SPAN_ID = '00f067aa0ba902b7';
const TRACEPARENT = `00-${TRACE_ID}-${SPAN_ID}-01`;

describe('request ids and trace context', () => {
  let daemon: TestDaemon;
  before(async () => {
    daemon = await startDaemon({ fixture: { name: 'echo-server' } });
  });
  after(async () => {
    await daemon.close();
  });

  /** A tools/call on `sessionId` with extra headers. */
  function callTool(sessionId: string, name: string, args: object, headers: Record<string, string> = {}): Promise<RawResponse> {
    return rawRequest(daemon.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: MCP_ACCEPT, 'mcp-session-id': sessionId, 'mcp-protocol-version': '2025-06-18', ...headers },
      body: JSON.stringify({ jsonrpc: '2.0', id: 7, method: 'tools/call', params: { name, arguments: args } }),
    });
  }

  function endSession(sessionId: string): Promise<RawResponse> {
    return rawRequest(daemon.url, { method: 'DELETE', headers: { 'mcp-session-id': sessionId, 'mcp-protocol-version': '2025-06-18' } });
  }

  it('puts an X-Request-Id on every response, a new one each time', async () => {
    const get = (path: string, method = 'GET'): Promise<RawResponse> => rawRequest(`${daemon.baseUrl}${path}`, { method });
    const initialized = await rawRequest(daemon.url, { method: 'POST', headers: { 'content-type': 'application/json', accept: MCP_ACCEPT }, body: initializeBody() });
    const sessionId = initialized.headers.get('mcp-session-id') ?? '';
    const responses: [string, RawResponse][] = [
      ['initialize', initialized],
      ['GET /healthz', await get('/healthz')],
      ['HEAD /readyz', await get('/readyz', 'HEAD')],
      ['GET /metrics', await get('/metrics')],
      ['GET /nowhere (404)', await get('/nowhere')],
      ['POST /healthz (405)', await get('/healthz', 'POST')],
      ['POST /mcp text/html (406)', await rawRequest(daemon.url, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'text/html' }, body: '{}' })],
      ['tools/call', await callTool(sessionId, 'echo', { text: 'x' })],
      ['DELETE', await endSession(sessionId)],
    ];
    assert.deepEqual(responses.map(([, response]) => response.status), [200, 200, 200, 200, 404, 405, 406, 200, 200]);
    for (const [what, response] of responses) assert.match(response.headers.get('x-request-id') ?? '', UUID, what);
    assert.equal(new Set(responses.map(([, response]) => response.headers.get('x-request-id'))).size, responses.length);
  });

  it('echoes a sane client X-Request-Id and replaces an insane one', async () => {
    const withId = (id: string): Promise<RawResponse> => rawRequest(`${daemon.baseUrl}/healthz`, { method: 'GET', headers: { 'x-request-id': id } });
    for (const sane of ['req-42', 'a/b:c.d_e~1', 'x'.repeat(128)]) {
      assert.equal((await withId(sane)).headers.get('x-request-id'), sane);
    }
    for (const insane of ['two words', 'x'.repeat(129), 'tab\there']) {
      const echoed = (await withId(insane)).headers.get('x-request-id') ?? '';
      assert.match(echoed, UUID, `${JSON.stringify(insane)} replaced`);
    }
  });

  it('carries the request id and trace id to the audit line and to the child stderr lines of that request', async () => {
    const sessionId = await openSession(daemon.url);
    const mine = (requestId: string) => (line: LogLine): boolean => line.sessionId === sessionId && line.requestId === requestId;
    try {
      const response = await callTool(sessionId, 'stderr', { lines: 3 }, { 'x-request-id': 'corr-stderr-1', traceparent: TRACEPARENT });
      assert.equal(response.status, 200);
      assert.equal(response.headers.get('x-request-id'), 'corr-stderr-1');
      assert.match(response.text, /wrote 3/);

      const audit = await daemon.waitForLog((line) => mine('corr-stderr-1')(line) && line.audit === 'tool-call', 5000, 'the audit line');
      assert.equal(audit.traceId, TRACE_ID);
      assert.equal(audit.tool, 'stderr');
      for (const n of [1, 2, 3]) {
        const line = await daemon.waitForLog((candidate) => candidate.sessionId === sessionId && candidate.msg === `stderr line ${n}`, 5000, `stderr line ${n}`);
        assert.equal(line.stream, 'stderr');
        assert.equal(line.requestId, 'corr-stderr-1', `stderr line ${n}`);
        assert.equal(line.traceId, TRACE_ID, `stderr line ${n}`);
      }

      // An invalid traceparent (all-zero trace id) is ignored; the request id still travels.
      const invalid = `00-${'0'.repeat(32)}-${SPAN_ID}-01`;
      assert.equal((await callTool(sessionId, 'echo', { text: 'x' }, { 'x-request-id': 'corr-invalid-2', traceparent: invalid })).status, 200);
      const untraced = await daemon.waitForLog((line) => mine('corr-invalid-2')(line) && line.audit === 'tool-call', 5000, 'the second audit line');
      assert.ok(!('traceId' in untraced));
    } finally {
      assert.equal((await endSession(sessionId)).status, 200);
    }
  });

  it('carries them on the debug line of a refused request', async () => {
    const response = await rawRequest(daemon.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'text/html', 'x-request-id': 'corr-refused-3', traceparent: TRACEPARENT },
      body: initializeBody(),
    });
    assert.equal(response.status, 406);
    assert.equal(response.headers.get('x-request-id'), 'corr-refused-3');
    const refused = await daemon.waitForLog((line) => line.msg === 'request refused' && line.requestId === 'corr-refused-3', 5000, 'the refusal line');
    assert.equal(refused.level, 'debug');
    assert.equal(refused.reason, 'NOT_ACCEPTABLE');
    assert.equal(refused.status, 406);
    assert.equal(refused.traceId, TRACE_ID);
    assert.equal(refused.parentSpanId, SPAN_ID);
  });
});
