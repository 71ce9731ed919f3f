/**
 * /healthz says the process answers; /readyz says it can serve a new session, and why not when it
 * cannot: a command that is not there, or children that keep dying before initialize.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startDaemon, type TestDaemon } from '../helpers/daemon.js';
import { initializeBody, MCP_ACCEPT, rawRequest, type RawResponse } from '../helpers/http.js';
import { waitFor } from '../helpers/poll.js';
import { newTag } from '../helpers/process-table.js';

interface ReadyBody {
  status: string;
  reason?: string;
  phase: string;
  sessions: number;
}

function get(daemon: TestDaemon, path: string, method = 'GET'): Promise<RawResponse> {
  return rawRequest(`${daemon.baseUrl}${path}`, { method });
}

function initialize(daemon: TestDaemon, id: number): Promise<RawResponse> {
  return rawRequest(daemon.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: MCP_ACCEPT },
    body: initializeBody(id),
  });
}

describe('health endpoints of a working daemon', () => {
  let daemon: TestDaemon;
  before(async () => {
    daemon = await startDaemon({ fixture: { name: 'echo-server' } });
  });
  after(async () => {
    await daemon.close();
  });

  it('GET /healthz → 200 JSON {status: "ok"}', async () => {
    const response = await get(daemon, '/healthz');
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /^application\/json/);
    const body = response.json as { status: string; phase: string };
    assert.equal(body.status, 'ok');
    assert.equal(body.phase, 'ready');
  });

  it('GET /readyz → 200 when it can serve a session', async () => {
    const response = await get(daemon, '/readyz');
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /^application\/json/);
    const body = response.json as ReadyBody;
    assert.equal(body.status, 'ready');
    assert.equal(body.reason, undefined);
    assert.equal(typeof body.sessions, 'number');
  });

  it('HEAD /healthz and HEAD /readyz → 200 with no body', async () => {
    for (const path of ['/healthz', '/readyz']) {
      const response = await get(daemon, path, 'HEAD');
      assert.equal(response.status, 200, path);
      assert.equal(response.text, '', path);
      assert.match(response.headers.get('content-type') ?? '', /^application\/json/, path);
    }
  });

  it('POST /healthz and POST /readyz → 405 with Allow', async () => {
    for (const path of ['/healthz', '/readyz']) {
      const response = await rawRequest(`${daemon.baseUrl}${path}`, { method: 'POST', body: '{}' });
      assert.equal(response.status, 405, path);
      assert.equal(response.headers.get('allow'), 'GET, HEAD', path);
    }
  });

  it('ignores a query string', async () => {
    const response = await get(daemon, '/healthz?probe=1');
    assert.equal(response.status, 200);
  });
});

describe('readiness when children cannot be started', () => {
  it('/readyz → 503 naming the command when it does not exist', async () => {
    const missing = `/nonexistent/x-${newTag()}`;
    const daemon = await startDaemon({ command: [missing] });
    try {
      const response = await get(daemon, '/readyz');
      assert.equal(response.status, 503);
      const body = response.json as ReadyBody;
      assert.equal(body.status, 'not-ready');
      assert.ok(body.reason?.includes(missing), `reason names the command: ${body.reason}`);
      // The process itself still answers.
      assert.equal((await get(daemon, '/healthz')).status, 200);
      assert.equal((await get(daemon, '/readyz', 'HEAD')).status, 503);
    } finally {
      await daemon.close();
    }
  });

  it('/readyz → 503 quoting the failure after 3 children in a row die before initialize', async () => {
    const daemon = await startDaemon({ fixture: { name: 'crash-before-init' } });
    try {
      for (let attempt = 1; attempt <= 3; attempt++) {
        assert.equal((await get(daemon, '/readyz')).status, 200, `ready before failure ${attempt}`);
        const response = await initialize(daemon, attempt);
        // The child died before answering: the initialize gets a JSON-RPC error, and no session.
        assert.equal(response.status, 200);
        const body = response.json as { id: number; error?: { message: string } };
        assert.equal(body.id, attempt);
        assert.match(body.error?.message ?? '', /exited with code 3/);
        assert.equal(response.headers.get('mcp-session-id'), null);
      }
      const notReady = await waitFor(async () => {
        const response = await get(daemon, '/readyz');
        return response.status === 503 ? response : undefined;
      }, { timeoutMs: 5000, what: '/readyz to turn 503' });
      const body = notReady.json as ReadyBody;
      assert.equal(body.status, 'not-ready');
      assert.match(body.reason ?? '', /3 children failed before initialize/);
      assert.match(body.reason ?? '', /exited with code 3/);
    } finally {
      await daemon.close();
    }
  });
});
