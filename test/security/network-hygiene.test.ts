/**
 * Network hygiene of the real daemon in front of the echo fixture, with raw HTTP: the DNS
 * rebinding guard on every transport (healthz exempt), --allowed-hosts/--allowed-origins, CORS,
 * --max-body, slow clients (--headers-timeout, --receive-timeout) and --max-connections.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { request, type IncomingHttpHeaders } from 'node:http';
import { connect, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { startDaemon, type TestDaemon } from '../helpers/daemon.js';
import { initializeBody, MCP_ACCEPT } from '../helpers/http.js';
import { upgradeRequest, wsUrl } from '../helpers/legacy-clients.js';
import { waitFor } from '../helpers/poll.js';
import { CLI } from '../helpers/paths.js';
import { fixture } from '../helpers/fixtures.js';
import { assertNoneTagged, newTag, processesTagged } from '../helpers/process-table.js';

interface Reply { status: number; headers: IncomingHttpHeaders; text: string; json: unknown }

/** One request on a connection of its own (node:http sends exactly these headers, Host included). */
function send(url: string, init: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: init.method ?? 'GET', headers: init.headers ?? {}, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        const json = ((): unknown => { try { return JSON.parse(text); } catch { return undefined; } })();
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
      });
    });
    req.setTimeout(10_000, () => req.destroy(new Error(`no answer from ${url} within 10s`)));
    req.on('error', reject);
    req.end(init.body);
  });
}

const POST_HEADERS = { 'content-type': 'application/json', accept: MCP_ACCEPT };

function reasonOf(reply: { text: string; json: unknown }): string | undefined {
  return (reply.json as { error?: { data?: { reason?: string } } } | undefined)?.error?.data?.reason;
}

function assertRefused(reply: { status: number; text: string; json: unknown }, status: number, reason: string): void {
  assert.equal(reply.status, status, reply.text);
  assert.equal(reasonOf(reply), reason, reply.text);
}

/** Opens a Streamable HTTP session with the given extra headers; returns its id. */
async function initialize(daemon: TestDaemon, headers: Record<string, string> = {}): Promise<Reply & { sessionId: string }> {
  const reply = await send(daemon.url, { method: 'POST', headers: { ...POST_HEADERS, ...headers }, body: initializeBody() });
  assert.equal(reply.status, 200, reply.text);
  const sessionId = reply.headers['mcp-session-id'];
  assert.ok(typeof sessionId === 'string', `no Mcp-Session-Id for ${JSON.stringify(headers)}: ${reply.text}`);
  return { ...reply, sessionId };
}

async function end(daemon: TestDaemon, sessionId: string): Promise<void> {
  assert.equal((await send(daemon.url, { method: 'DELETE', headers: { 'mcp-session-id': sessionId } })).status, 200);
}

/** Writes `payload` on a raw connection and collects what comes back until the daemon closes it. */
function slowClient(port: number, payload: string, deadlineMs: number): Promise<{ received: string; closedAfterMs: number }> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const socket = connect(port, '127.0.0.1', () => socket.write(payload));
    let received = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`still connected after ${deadlineMs}ms, received ${JSON.stringify(received)}`));
    }, deadlineMs);
    socket.setEncoding('utf8').on('data', (chunk: string) => (received += chunk));
    socket.on('error', () => undefined); // A reset ends it as well as a close; 'close' follows.
    socket.on('close', () => {
      clearTimeout(timer);
      resolve({ received, closedAfterMs: Date.now() - started });
    });
  });
}

describe('on loopback by default, the DNS rebinding guard, --max-body and slow clients', () => {
  let daemon: TestDaemon;
  let port: number;
  const fixtures = (): number => processesTagged(daemon.tag).filter((info) => info.pid !== daemon.pid).length;

  before(async () => {
    daemon = await startDaemon({ fixture: { name: 'echo-server' }, args: ['--max-body', '1kb', '--headers-timeout', '500ms', '--receive-timeout', '1s'] });
    port = Number(new URL(daemon.baseUrl).port);
  });

  after(() => daemon.close());

  for (const [header, value, reason] of [['host', 'rebound.example', 'FORBIDDEN_HOST'], ['origin', 'http://rebound.example', 'FORBIDDEN_ORIGIN'], ['origin', 'null', 'FORBIDDEN_ORIGIN']] as const) {
    it(`refuses ${header}: ${value} with 403 ${reason} on /mcp, /sse, /messages and the /ws upgrade, starting nothing`, async () => {
      const headers = { [header]: value };
      assertRefused(await send(daemon.url, { method: 'POST', headers: { ...POST_HEADERS, ...headers }, body: initializeBody() }), 403, reason);
      assertRefused(await send(`${daemon.baseUrl}/sse`, { headers: { accept: 'text/event-stream', ...headers } }), 403, reason);
      assertRefused(await send(`${daemon.baseUrl}/messages?sessionId=abc`, { method: 'POST', headers: { ...POST_HEADERS, ...headers }, body: initializeBody() }), 403, reason);
      const upgrade = await upgradeRequest(wsUrl(daemon), { 'sec-websocket-protocol': 'mcp', ...headers });
      assertRefused(upgrade, 403, reason);
      assertRefused(await send(`${daemon.baseUrl}/ws`, { headers }), 403, reason);
      assert.equal(fixtures(), 0, 'no MCP server was started');
    });
  }

  it('serves /healthz and /readyz whatever the Host and Origin', async () => {
    for (const path of ['/healthz', '/readyz']) {
      const reply = await send(`${daemon.baseUrl}${path}`, { headers: { host: 'rebound.example', origin: 'http://rebound.example' } });
      assert.equal(reply.status, 200, `${path}: ${reply.text}`);
    }
  });

  it('accepts loopback names in Host and loopback Origins', async () => {
    const cases: Record<string, string>[] = [{ host: `localhost:${port}` }, { host: `[::1]:${port}` }, { host: 'app.localhost' }, { origin: `http://localhost:${port}` }, { origin: 'http://127.0.0.1:5173' }];
    for (const headers of cases) {
      const { sessionId } = await initialize(daemon, headers);
      await end(daemon, sessionId);
    }
  });

  it('answers OPTIONS with 405 METHOD_NOT_ALLOWED and no CORS header: CORS is off', async () => {
    const reply = await send(daemon.url, { method: 'OPTIONS', headers: { origin: `http://localhost:${port}`, 'access-control-request-method': 'POST' } });
    assertRefused(reply, 405, 'METHOD_NOT_ALLOWED');
    assert.equal(reply.headers['access-control-allow-origin'], undefined);
  });

  it('refuses a body over --max-body with 413 BODY_TOO_LARGE and Connection: close, declared or chunked', async () => {
    const big = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping', params: { pad: 'x'.repeat(2048) } });
    for (const [path, extra] of [['/mcp', {}], ['/mcp', { 'transfer-encoding': 'chunked' }], ['/messages?sessionId=abc', {}]] as const) {
      const reply = await send(`${daemon.baseUrl}${path}`, { method: 'POST', headers: { ...POST_HEADERS, ...extra }, body: big });
      assertRefused(reply, 413, 'BODY_TOO_LARGE');
      assert.equal(reply.headers.connection, 'close');
      assert.match(reply.headers['content-type'] ?? '', /^application\/json/);
    }
  });

  it('disconnects a client that sends its headers too slowly (--headers-timeout 500ms)', async () => {
    const { closedAfterMs } = await slowClient(port, 'POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\n', 5_000);
    assert.ok(closedAfterMs >= 400, `closed after ${closedAfterMs}ms, before the timeout`);
  });

  it('disconnects a client that sends its body too slowly (--receive-timeout 1s)', async () => {
    const head = `POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\ncontent-type: application/json\r\naccept: ${MCP_ACCEPT}\r\ncontent-length: 100\r\n\r\n`;
    const { closedAfterMs } = await slowClient(port, `${head}{"jsonrpc":`, 5_000);
    assert.ok(closedAfterMs >= 900, `closed after ${closedAfterMs}ms, before the timeout`);
  });

  it('answers slow headers with 408 before disconnecting', async () => {
    const { received } = await slowClient(port, 'GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n', 5_000);
    assert.match(received, /^HTTP\/1\.1 408 /);
  });

  it('answers a slow body with 408 before disconnecting', async () => {
    const head = `POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\ncontent-type: application/json\r\naccept: ${MCP_ACCEPT}\r\ncontent-length: 100\r\n\r\n`;
    const { received } = await slowClient(port, `${head}{`, 5_000);
    assert.match(received, /^HTTP\/1\.1 408 /);
  });

  it('starts with a --receive-timeout under the default --headers-timeout, or refuses it naming both', async () => {
    const tag = newTag();
    const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('MCP_SIDECAR_')));
    const child = spawn(process.execPath, [CLI, '--port', '0', '--receive-timeout', '5s', '--', ...fixture('echo-server', tag)], { env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const exited = once(child, 'exit');
    const outcome = await waitFor(() => (stderr.includes('"msg":"listening"') ? 'listening' : child.exitCode !== null ? 'exited' : undefined), { what: 'the daemon to listen or exit' });
    if (outcome === 'listening') child.kill('SIGTERM');
    await exited;
    await assertNoneTagged(tag);
    if (outcome === 'listening') return;
    assert.equal(child.exitCode, 2, stderr);
    const lines = stderr.split('\n').filter((line) => line.trim() !== '');
    assert.equal(lines.length, 1, stderr);
    for (const option of ['--receive-timeout', '--headers-timeout']) assert.ok(lines[0]?.includes(option), `${lines[0]} should name ${option}`);
  });

  it('is still healthy and logged no error', async () => {
    assert.equal((await send(`${daemon.baseUrl}/healthz`)).status, 200);
    assert.deepEqual(daemon.logs.filter((line) => line.level === 'error' || line.level === 'fatal'), []);
  });
});

describe('--allowed-hosts, --allowed-origins and --cors-origins', () => {
  let daemon: TestDaemon;
  const CORS = 'https://cors.example';

  before(async () => {
    daemon = await startDaemon({
      fixture: { name: 'echo-server' },
      args: ['--allowed-hosts', 'app.example,b.example', '--allowed-origins', 'https://app.example', '--cors-origins', CORS],
    });
  });

  after(() => daemon.close());

  it('accepts the listed Host names (any port) and still refuses others', async () => {
    for (const host of ['app.example', 'b.example:8443']) await end(daemon, (await initialize(daemon, { host })).sessionId);
    for (const host of ['evil.example', 'app.example.evil.example']) {
      assertRefused(await send(daemon.url, { method: 'POST', headers: { ...POST_HEADERS, host }, body: initializeBody() }), 403, 'FORBIDDEN_HOST');
    }
  });

  it('accepts the listed Origin without CORS headers, and refuses others', async () => {
    const allowed = await initialize(daemon, { origin: 'https://app.example' });
    assert.equal(allowed.headers['access-control-allow-origin'], undefined);
    await end(daemon, allowed.sessionId);
    for (const origin of ['https://evil.example', 'http://app.example', 'https://app.example.evil.example']) {
      assertRefused(await send(daemon.url, { method: 'POST', headers: { ...POST_HEADERS, origin }, body: initializeBody() }), 403, 'FORBIDDEN_ORIGIN');
    }
  });

  it('answers a preflight from a CORS origin with 204 and what the transports send', async () => {
    const reply = await send(daemon.url, {
      method: 'OPTIONS',
      headers: { origin: CORS, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type, mcp-session-id' },
    });
    assert.equal(reply.status, 204, reply.text);
    assert.equal(reply.text, '');
    assert.equal(reply.headers['access-control-allow-origin'], CORS);
    assert.deepEqual(reply.headers['access-control-allow-methods']?.split(/,\s*/).sort(), ['DELETE', 'GET', 'POST']);
    const allowed = reply.headers['access-control-allow-headers']?.split(/,\s*/) ?? [];
    for (const name of ['authorization', 'content-type', 'accept', 'mcp-session-id', 'mcp-protocol-version', 'last-event-id']) assert.ok(allowed.includes(name), name);
    const sse = await send(`${daemon.baseUrl}/sse`, { method: 'OPTIONS', headers: { origin: CORS, 'access-control-request-method': 'GET' } });
    assert.equal(sse.status, 204);
    assert.equal(sse.headers['access-control-allow-methods'], 'GET');
  });

  it('refuses a preflight from an origin that is allowed but not a CORS origin with 405', async () => {
    const reply = await send(daemon.url, { method: 'OPTIONS', headers: { origin: 'https://app.example', 'access-control-request-method': 'POST' } });
    assertRefused(reply, 405, 'METHOD_NOT_ALLOWED');
    assert.equal(reply.headers['access-control-allow-origin'], undefined);
  });

  it('exposes Mcp-Session-Id and WWW-Authenticate to a CORS origin, on answers and on errors', async () => {
    const opened = await initialize(daemon, { origin: CORS });
    const exposed = (reply: Reply): string[] => String(reply.headers['access-control-expose-headers']).split(/,\s*/);
    assert.equal(opened.headers['access-control-allow-origin'], CORS);
    for (const name of ['mcp-session-id', 'www-authenticate']) assert.ok(exposed(opened).includes(name), name);
    await end(daemon, opened.sessionId);
    const gone = await send(daemon.url, { method: 'POST', headers: { ...POST_HEADERS, origin: CORS, 'mcp-session-id': opened.sessionId }, body: '{"jsonrpc":"2.0","id":2,"method":"ping"}' });
    assertRefused(gone, 404, 'SESSION_NOT_FOUND');
    assert.equal(gone.headers['access-control-allow-origin'], CORS, 'a browser page can read the error');
  });
});

describe('--max-connections', () => {
  let daemon: TestDaemon;
  const held: Socket[] = [];

  before(async () => {
    daemon = await startDaemon({ fixture: { name: 'echo-server' }, args: ['--max-connections', '2'] });
  });

  after(async () => {
    for (const socket of held) socket.destroy();
    await daemon.close();
  });

  it('drops a connection over the cap at accept, logs and counts it, and serves again once one closes', async () => {
    const port = Number(new URL(daemon.baseUrl).port);
    for (let i = 0; i < 2; i++) {
      const socket = connect(port, '127.0.0.1');
      socket.on('error', () => undefined); // Destroyed by the test; nothing to report.
      held.push(socket);
      await new Promise((resolve) => socket.once('connect', resolve));
    }
    // Served (not yet over the cap) means an answer and a close; dropped means a close with nothing.
    const probe = 'GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n';
    await waitFor(() => slowClient(port, probe, 5_000).then((outcome) => outcome.received === '', () => false), { what: 'a connection to be dropped' });
    const dropped = await daemon.waitForLog((line) => line.msg === 'connection dropped: --max-connections are open');
    assert.equal(dropped.level, 'warn');
    for (const socket of held.splice(0)) socket.destroy();
    await waitFor(() => send(`${daemon.baseUrl}/healthz`).then((reply) => reply.status === 200, () => false), { what: '/healthz to answer again' });
    const metrics = await waitFor(() => send(`${daemon.baseUrl}/metrics`).then((reply) => (reply.status === 200 ? reply.text : undefined), () => undefined), { what: '/metrics' });
    const counted = Number(/^mcp_sidecar_connections_dropped_total (\d+)$/m.exec(metrics)?.[1]);
    assert.ok(counted >= 1, metrics);
    const logged = (): number => daemon.logs.filter((line) => line.msg === 'connection dropped: --max-connections are open').length;
    await waitFor(() => logged() === counted, { what: `one log line per dropped connection (${counted} counted)` });
  });
});
