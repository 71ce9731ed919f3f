/**
 * Requests at the edge of HTTP/1.1, on raw sockets against the real daemon and the echo fixture:
 * an upgrade offer the daemon declines stays under --receive-timeout, what Node's parser or its
 * defaults would refuse without a body gets the daemon's JSON error shape, and absolute-form
 * targets are routed by their path and guarded by their authority.
 */
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { startDaemon, type TestDaemon } from '../helpers/daemon.js';
import { initializeBody, MCP_ACCEPT } from '../helpers/http.js';
import { waitFor } from '../helpers/poll.js';
import { processesTagged } from '../helpers/process-table.js';

interface RawReply {
  status: number;
  head: string;
  headers: Record<string, string>;
  body: string;
  json: unknown;
  /** From the first byte written until the daemon closed the connection. */
  closedAfterMs: number;
}

/**
 * Writes `payload` (then each of `trickle`, `everyMs` apart, while connected) and reads until the
 * daemon closes the connection; rejects if it is still open after `deadlineMs`.
 */
function exchange(port: number, payload: string, options: { deadlineMs?: number; trickle?: string[]; everyMs?: number } = {}): Promise<RawReply> {
  const deadlineMs = options.deadlineMs ?? 10_000;
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const chunks: Buffer[] = [];
    const trickle = [...(options.trickle ?? [])];
    let dripping: NodeJS.Timeout | undefined;
    const socket = connect(port, '127.0.0.1', () => {
      socket.write(payload);
      dripping = setInterval(() => {
        const next = trickle.shift();
        if (next === undefined) clearInterval(dripping);
        else if (socket.writable) socket.write(next);
      }, options.everyMs ?? 200);
    });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`still connected after ${deadlineMs}ms; received ${JSON.stringify(Buffer.concat(chunks).toString('latin1'))}`));
    }, deadlineMs);
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', () => undefined); // A reset ends it as well as a close; 'close' follows.
    socket.on('close', () => {
      clearTimeout(timer);
      clearInterval(dripping);
      const text = Buffer.concat(chunks).toString('latin1');
      const split = text.indexOf('\r\n\r\n');
      const head = split === -1 ? text : text.slice(0, split);
      const body = split === -1 ? '' : text.slice(split + 4);
      const [statusLine = '', ...lines] = head.split('\r\n');
      const headers = Object.fromEntries(lines.map((line) => [line.slice(0, line.indexOf(':')).toLowerCase(), line.slice(line.indexOf(':') + 1).trim()]));
      const json = ((): unknown => { try { return JSON.parse(body); } catch { return undefined; } })();
      resolve({ status: Number(/^HTTP\/1\.1 (\d{3}) /.exec(statusLine)?.[1] ?? 0), head, headers, body, json, closedAfterMs: Date.now() - started });
    });
  });
}

function request(lines: string[], body = ''): string {
  return `${lines.join('\r\n')}\r\n\r\n${body}`;
}

function assertJsonError(reply: RawReply, status: number, reason: string): void {
  assert.equal(reply.status, status, reply.head);
  assert.match(reply.headers['content-type'] ?? '', /^application\/json/, reply.head);
  const error = (reply.json as { error?: { code?: number; data?: { reason?: string } } } | undefined)?.error;
  assert.equal(error?.data?.reason, reason, reply.body);
  assert.equal(error?.code, -32000, reply.body);
}

const JSON_POST = ['content-type: application/json', `accept: ${MCP_ACCEPT}`];

describe('requests at the edge of HTTP/1.1 (--headers-timeout 1s, --receive-timeout 3s)', () => {
  let daemon: TestDaemon;
  let port: number;
  const fixtures = (): number => processesTagged(daemon.tag).filter((info) => info.pid !== daemon.pid).length;
  /** Sessions of earlier tests end with DELETE; their children take a moment to go. */
  const noFixtures = (): Promise<true> => waitFor(() => fixtures() === 0, { what: 'earlier sessions\' children to exit' });

  before(async () => {
    daemon = await startDaemon({ fixture: { name: 'echo-server' }, args: ['--headers-timeout', '1s', '--receive-timeout', '3s'] });
    port = Number(new URL(daemon.baseUrl).port);
  });

  after(() => daemon.close());

  describe('an upgrade the daemon declines', () => {
    const upgradeHead = (length: number): string[] => ['POST /mcp HTTP/1.1', 'host: 127.0.0.1', 'connection: Upgrade', 'upgrade: foo', ...JSON_POST, `content-length: ${length}`];

    it('answers a body that never arrives with 408 RECEIVE_TIMEOUT in JSON at --receive-timeout, and closes', async () => {
      const reply = await exchange(port, request(upgradeHead(100), '{"jsonrpc":'), { deadlineMs: 12_000 });
      assertJsonError(reply, 408, 'RECEIVE_TIMEOUT');
      assert.ok(reply.closedAfterMs >= 2_900, `closed after ${reply.closedAfterMs}ms, before --receive-timeout`);
      assert.ok(reply.closedAfterMs < 6_000, `closed after ${reply.closedAfterMs}ms, long after --receive-timeout`);
    });

    it('measures --receive-timeout as a deadline: a body trickling in a byte at a time is cut off too', async () => {
      const trickle = Array.from({ length: 60 }, () => ' ');
      const reply = await exchange(port, request(upgradeHead(100), '{'), { deadlineMs: 12_000, trickle, everyMs: 200 });
      assertJsonError(reply, 408, 'RECEIVE_TIMEOUT');
      assert.ok(reply.closedAfterMs < 6_000, `closed after ${reply.closedAfterMs}ms: the trickle kept it open`);
    });

    it('serves a request whose body arrives as plain HTTP/1.1, and closes the connection after the answer', async () => {
      const body = initializeBody();
      const reply = await exchange(port, request(upgradeHead(Buffer.byteLength(body)), body));
      assert.equal(reply.status, 200, reply.head);
      const sessionId = reply.headers['mcp-session-id'];
      assert.ok(sessionId, reply.head);
      const ended = await exchange(port, request(['DELETE /mcp HTTP/1.1', 'host: 127.0.0.1', `mcp-session-id: ${sessionId}`, 'connection: close']));
      assert.equal(ended.status, 200, ended.head);
    });

    it('still answers a WebSocket upgrade on another path with 404 NOT_FOUND in JSON, and closes', async () => {
      const upgrade = ['GET /elsewhere HTTP/1.1', 'host: 127.0.0.1', 'connection: Upgrade', 'upgrade: websocket', 'sec-websocket-version: 13', 'sec-websocket-key: dGhlIHNhbXBsZSBub25jZQ==', 'sec-websocket-protocol: mcp'];
      assertJsonError(await exchange(port, request(upgrade)), 404, 'NOT_FOUND');
    });
  });

  describe('what Node would refuse with an empty body', () => {
    it('refuses an HTTP/1.1 request without Host with 400 HOST_REQUIRED: plain, absolute-form and the WebSocket upgrade', async () => {
      await noFixtures();
      assertJsonError(await exchange(port, request(['GET /healthz HTTP/1.1'])), 400, 'HOST_REQUIRED');
      const body = initializeBody();
      assertJsonError(await exchange(port, request([`POST http://127.0.0.1:${port}/mcp HTTP/1.1`, ...JSON_POST, `content-length: ${Buffer.byteLength(body)}`], body)), 400, 'HOST_REQUIRED');
      const upgrade = ['GET /ws HTTP/1.1', 'connection: Upgrade', 'upgrade: websocket', 'sec-websocket-version: 13', 'sec-websocket-key: dGhlIHNhbXBsZSBub25jZQ==', 'sec-websocket-protocol: mcp'];
      assertJsonError(await exchange(port, request(upgrade)), 400, 'HOST_REQUIRED');
      assert.equal(fixtures(), 0, 'no MCP server was started');
    });

    it('serves HTTP/1.0 without Host, which predates it', async () => {
      const reply = await exchange(port, request(['GET /healthz HTTP/1.0']));
      assert.equal(reply.status, 200, reply.head);
    });

    it('refuses a bad chunk size with 400 MALFORMED_HTTP in JSON', async () => {
      const head = ['POST /mcp HTTP/1.1', 'host: 127.0.0.1', ...JSON_POST, 'transfer-encoding: chunked'];
      assertJsonError(await exchange(port, request(head, 'zz\r\n{}\r\n0\r\n\r\n')), 400, 'MALFORMED_HTTP');
    });

    it('refuses headers over Node\'s limit with 431 HEADERS_TOO_LARGE in JSON', async () => {
      const reply = await exchange(port, request(['GET /healthz HTTP/1.1', 'host: 127.0.0.1', `x-padding: ${'a'.repeat(20_000)}`]));
      assertJsonError(reply, 431, 'HEADERS_TOO_LARGE');
    });

    it('refuses an Expect other than 100-continue with 417 EXPECTATION_FAILED in JSON', async () => {
      assertJsonError(await exchange(port, request(['GET /healthz HTTP/1.1', 'host: 127.0.0.1', 'expect: tea'])), 417, 'EXPECTATION_FAILED');
    });
  });

  describe('absolute-form request targets', () => {
    it('routes POST http://127.0.0.1:PORT/mcp by its path: initialize opens a session', async () => {
      const body = initializeBody();
      const reply = await exchange(port, request([`POST http://127.0.0.1:${port}/mcp HTTP/1.1`, `host: 127.0.0.1:${port}`, ...JSON_POST, `content-length: ${Buffer.byteLength(body)}`, 'connection: close'], body));
      assert.equal(reply.status, 200, reply.head);
      assert.match(reply.body, /"result"/);
      const sessionId = reply.headers['mcp-session-id'];
      assert.ok(sessionId, reply.head);
      const ended = await exchange(port, request([`DELETE http://localhost:${port}/mcp?x=1 HTTP/1.1`, 'host: localhost', `mcp-session-id: ${sessionId}`, 'connection: close']));
      assert.equal(ended.status, 200, ended.head);
    });

    it('checks the target\'s authority, not Host: an evil authority gets 403 FORBIDDEN_HOST behind a loopback Host', async () => {
      await noFixtures();
      const body = initializeBody();
      const head = ['POST http://rebound.example/mcp HTTP/1.1', 'host: 127.0.0.1', ...JSON_POST, `content-length: ${Buffer.byteLength(body)}`, 'connection: close'];
      assertJsonError(await exchange(port, request(head, body)), 403, 'FORBIDDEN_HOST');
      const upgrade = [`GET http://rebound.example:${port}/ws HTTP/1.1`, 'host: 127.0.0.1', 'connection: Upgrade', 'upgrade: websocket', 'sec-websocket-version: 13', 'sec-websocket-key: dGhlIHNhbXBsZSBub25jZQ==', 'sec-websocket-protocol: mcp'];
      assertJsonError(await exchange(port, request(upgrade)), 403, 'FORBIDDEN_HOST');
      assert.equal(fixtures(), 0, 'no MCP server was started');
    });
  });

  it('is still healthy and logged no error', async () => {
    assert.equal((await exchange(port, request(['GET /healthz HTTP/1.1', 'host: 127.0.0.1', 'connection: close']))).status, 200);
    assert.deepEqual(daemon.logs.filter((line) => line.level === 'error' || line.level === 'fatal'), []);
  });
});
