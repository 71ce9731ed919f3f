/**
 * /metrics and /status carry what a DNS-rebinding page must not read (session ids, child pids,
 * stderr lines): they pass the same Host/Origin guard as /mcp, on the main port and on a
 * loopback --metrics-port. Off loopback, --metrics-port does not check Host (scrapers name it as
 * service discovery does) but still refuses a foreign browser Origin. /healthz and /readyz stay open.
 * With authentication on, /status on the main port needs a token and shows a principal its own
 * sessions; --status-operators see all, as does /status on --metrics-port.
 */
import assert from 'node:assert/strict';
import { request, type IncomingHttpHeaders } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { startDaemon, type TestDaemon } from '../helpers/daemon.js';
import { initializeBody, MCP_ACCEPT } from '../helpers/http.js';
import { connectClient, type ConnectedClient } from '../helpers/mcp-client.js';
import { waitFor } from '../helpers/poll.js';
import { assertNothingLogged, assertWireError, bearer, connectAs, initializeAs, newToken, type AuthedClient } from './auth-helpers.js';
import { rawRequest } from '../helpers/http.js';

interface Reply { status: number; headers: IncomingHttpHeaders; text: string }

/** One GET (or `method`) on a connection of its own: node:http sends the Host header it is given. */
function send(url: string, headers: Record<string, string> = {}, method = 'GET', body?: string): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') }));
    });
    req.setTimeout(10_000, () => req.destroy(new Error(`no answer from ${url} within 10s`)));
    req.on('error', reject);
    req.end(body);
  });
}

function assertRefused(reply: Reply, reason: string, what: string): void {
  assert.equal(reply.status, 403, `${what}: ${reply.text}`);
  assert.equal((JSON.parse(reply.text) as { error: { data: { reason: string } } }).error.data.reason, reason, what);
}

const REBOUND = [['host', 'evil.example', 'FORBIDDEN_HOST'], ['origin', 'http://evil.example', 'FORBIDDEN_ORIGIN']] as const;

describe('on loopback, /metrics and /status behind the DNS rebinding guard', () => {
  let daemon: TestDaemon;
  let client: ConnectedClient;

  before(async () => {
    daemon = await startDaemon({ fixture: { name: 'echo-server' }, args: ['--status'] });
    client = await connectClient(daemon.url);
  });
  after(async () => {
    await client?.close();
    await daemon?.close();
  });

  for (const [header, value, reason] of REBOUND) {
    it(`refuses ${header}: ${value} on /metrics and /status as on /mcp, and never shows a session id`, async () => {
      const sessionId = client.transport.sessionId ?? '';
      assert.notEqual(sessionId, '');
      const mcp = await send(daemon.url, { 'content-type': 'application/json', accept: MCP_ACCEPT, [header]: value }, 'POST', initializeBody());
      assertRefused(mcp, reason, '/mcp');
      for (const path of ['/metrics', '/status']) {
        const reply = await send(`${daemon.baseUrl}${path}`, { [header]: value });
        assertRefused(reply, reason, path);
        assert.ok(!reply.text.includes(sessionId), `${path} showed the session id`);
      }
    });
  }

  it('answers /metrics and /status for a loopback Host and Origin', async () => {
    const port = new URL(daemon.baseUrl).port;
    const status = await send(`${daemon.baseUrl}/status`, { host: `localhost:${port}`, origin: `http://localhost:${port}` });
    assert.equal(status.status, 200, status.text);
    assert.ok(status.text.includes(client.transport.sessionId ?? '-'), status.text);
    assert.equal((await send(`${daemon.baseUrl}/metrics`, { host: `127.0.0.1:${port}` })).status, 200);
  });

  it('keeps /healthz and /readyz open whatever the Host and Origin', async () => {
    for (const path of ['/healthz', '/readyz']) {
      const reply = await send(`${daemon.baseUrl}${path}`, { host: 'evil.example', origin: 'http://evil.example' });
      assert.equal(reply.status, 200, `${path}: ${reply.text}`);
    }
  });
});

describe('--metrics-port on loopback', () => {
  let daemon: TestDaemon;
  let metricsBase: string;

  before(async () => {
    daemon = await startDaemon({ fixture: { name: 'echo-server' }, args: ['--status', '--metrics-port', '0'] });
    metricsBase = new URL('/', String((await daemon.waitForLog((line) => line.msg === 'metrics listening')).url)).toString().replace(/\/$/, '');
  });
  after(async () => {
    await daemon?.close();
  });

  it('applies the same guard to /metrics and /status there', async () => {
    for (const [header, value, reason] of REBOUND) {
      for (const path of ['/metrics', '/status']) assertRefused(await send(`${metricsBase}${path}`, { [header]: value }), reason, `${header} ${path}`);
    }
    for (const path of ['/metrics', '/status']) assert.equal((await send(`${metricsBase}${path}`)).status, 200, path);
  });
});

describe('--metrics-port off loopback', () => {
  let daemon: TestDaemon;
  let metricsBase: string;

  before(async () => {
    daemon = await startDaemon({ fixture: { name: 'echo-server' }, args: ['--host', '0.0.0.0', '--allowed-hosts', 'mcp.example', '--status', '--metrics-port', '0'] });
    const port = new URL(String((await daemon.waitForLog((line) => line.msg === 'metrics listening')).url)).port;
    metricsBase = `http://127.0.0.1:${port}`;
  });
  after(async () => {
    await daemon?.close();
  });

  it('serves a scraper whatever Host it names, refuses a foreign browser Origin, while /mcp keeps --allowed-hosts', async () => {
    const mainUrl = `http://127.0.0.1:${new URL(daemon.baseUrl).port}/mcp`;
    const scraper = 'prometheus-target.monitoring.svc:9464';
    assertRefused(await send(mainUrl, { 'content-type': 'application/json', accept: MCP_ACCEPT, host: scraper }, 'POST', initializeBody()), 'FORBIDDEN_HOST', '/mcp');
    for (const path of ['/metrics', '/status']) {
      assert.equal((await send(`${metricsBase}${path}`, { host: scraper })).status, 200, path);
      assertRefused(await send(`${metricsBase}${path}`, { host: scraper, origin: 'http://evil.example' }), 'FORBIDDEN_ORIGIN', path);
    }
  });
});

interface StatusBody {
  principal?: string;
  sessions: { id: string; principal: string; stderr: string[] }[];
  pool?: unknown;
  limits: { maxSessions: number };
}

const tokens = { alice: newToken('alice'), bob: newToken('bob'), ops: newToken('ops') };
const authEnv = { MCP_SIDECAR_AUTH_TOKENS: Object.entries(tokens).map(([name, token]) => `${name}:${token}`).join(',') };

async function statusAs(url: string, token: string | undefined): Promise<{ text: string; body: StatusBody }> {
  const response = await rawRequest(url, { headers: bearer(token) });
  assert.equal(response.status, 200, response.text);
  return { text: response.text, body: response.json as StatusBody };
}

describe('/status with authentication on', () => {
  let daemon: TestDaemon;
  let alice: AuthedClient;
  let bob: AuthedClient;
  let aliceId: string;
  let bobId: string;

  before(async () => {
    daemon = await startDaemon({ fixture: { name: 'echo-server' }, args: ['--status', '--status-operators', 'ops'], env: authEnv });
    alice = await connectAs(daemon.url, tokens.alice);
    bob = await connectAs(daemon.url, tokens.bob);
    aliceId = alice.transport.sessionId ?? '';
    bobId = bob.transport.sessionId ?? '';
    await alice.client.callTool({ name: 'stderr', arguments: { lines: 3 } });
    // The stderr lines reach /status once the child's stderr has been read.
    await waitFor(async () => (await statusAs(`${daemon.baseUrl}/status`, tokens.alice)).text.includes('stderr line 3') || undefined, { what: "alice's stderr lines in /status" });
  });
  after(async () => {
    await alice?.close();
    await bob?.close();
    await daemon?.close();
  });

  it('refuses a reader without a token or with a bad one, with the challenge /mcp sends', async () => {
    const mcp = await initializeAs(daemon.url, undefined);
    assertWireError(mcp, 401, 'UNAUTHORIZED');
    const refused = await rawRequest(`${daemon.baseUrl}/status`, {});
    assertWireError(refused, 401, 'UNAUTHORIZED');
    assert.ok(refused.headers.get('www-authenticate'), 'a challenge');
    assert.equal(refused.headers.get('www-authenticate'), mcp.headers.get('www-authenticate'));
    assertWireError(await rawRequest(`${daemon.baseUrl}/status`, { headers: bearer(newToken('alice')) }), 401, 'INVALID_TOKEN');
    assert.ok(!refused.text.includes(aliceId));
  });

  it("shows bob his own session and nothing of alice's: no session id, no stderr line, no pool", async () => {
    const { text, body } = await statusAs(`${daemon.baseUrl}/status`, tokens.bob);
    assert.equal(body.principal, 'bob');
    assert.deepEqual(body.sessions.map((session) => session.id), [bobId]);
    assert.ok(!text.includes(aliceId), 'bob sees alice\'s session id');
    assert.ok(!text.includes('stderr line'), 'bob sees alice\'s stderr');
    assert.equal(body.pool, undefined);
    assert.equal(typeof body.limits.maxSessions, 'number');
  });

  it('shows alice her own session with its stderr lines', async () => {
    const { body } = await statusAs(`${daemon.baseUrl}/status`, tokens.alice);
    assert.deepEqual(body.sessions.map((session) => [session.id, session.principal]), [[aliceId, 'alice']]);
    assert.deepEqual(body.sessions[0]?.stderr.slice(-3), ['stderr line 1', 'stderr line 2', 'stderr line 3']);
  });

  it('shows an operator every session, the pool and the limits', async () => {
    const { body } = await statusAs(`${daemon.baseUrl}/status`, tokens.ops);
    assert.deepEqual(body.sessions.map((session) => session.id).sort(), [aliceId, bobId].sort());
    assert.equal(body.principal, undefined);
    assert.ok(body.pool, 'the pool');
  });

  it('never logs a token', async () => {
    await assertNothingLogged(daemon, Object.values(tokens));
  });
});

describe('/status on --metrics-port with authentication on', () => {
  it('shows every session to whoever reaches that port (the operators\' port), and needs a token only with --protect-metrics', async () => {
    for (const protect of [false, true]) {
      const daemon = await startDaemon({ fixture: { name: 'echo-server' }, args: ['--status', '--metrics-port', '0', ...(protect ? ['--protect-metrics'] : [])], env: authEnv });
      const alice = await connectAs(daemon.url, tokens.alice).catch(async (error: unknown) => {
        await daemon.close();
        throw error;
      });
      try {
        const metricsUrl = String((await daemon.waitForLog((line) => line.msg === 'metrics listening')).url);
        const statusUrl = new URL('/status', metricsUrl).toString();
        if (protect) assertWireError(await rawRequest(statusUrl, {}), 401, 'UNAUTHORIZED');
        const { body } = await statusAs(statusUrl, protect ? tokens.bob : undefined);
        assert.deepEqual(body.sessions.map((session) => session.id), [alice.transport.sessionId], `--protect-metrics ${protect}`);
      } finally {
        await alice.close();
        await daemon.close();
      }
    }
  });
});
