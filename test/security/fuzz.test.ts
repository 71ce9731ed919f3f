/**
 * Property-based fuzzing of the real daemon (echo fixture) over raw TCP: random methods, paths,
 * headers, framings and bodies. The daemon stays up, answers within a deadline, JSON parses, errors
 * have the JSON-RPC error shape, nothing is HTML or leaks a stack or path, no process is left
 * behind. FUZZ_SEED and FUZZ_RUNS replay or widen a run.
 */
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, describe, it, type TestContext } from 'node:test';
import fc from 'fast-check';
import { startDaemon, type TestDaemon } from '../helpers/daemon.js';
import { MCP_ACCEPT, openSession, rawRequest, sessionHeaders } from '../helpers/http.js';
import { RawSse } from '../helpers/legacy-clients.js';
import { waitFor } from '../helpers/poll.js';
import { isAlive } from '../helpers/process-table.js';

const SEED = Number(process.env.FUZZ_SEED ?? 20_250_618);
const RUNS = Number(process.env.FUZZ_RUNS ?? 250);
const MAX_BODY = 2048;
/** Past --receive-timeout (500ms) and Node's check of it, with room for a child's start. */
const DEADLINE_MS = 5_000;
const VERSIONS = ['2024-11-05', '2025-03-26', '2025-06-18', '2025-11-25'];
const METHODS = ['initialize', 'ping', 'tools/list', 'tools/call', 'notifications/initialized', 'notifications/cancelled', 'resources/read', 'prompts/get', 'logging/setLevel', 'completion/complete'];

/** Session ids the daemon knows, by role; `ended` was DELETEd. */
type Role = 'own' | 'other' | 'legacy' | 'ended';
const ROLES: Role[] = ['own', 'other', 'legacy', 'ended'];

/** One of `choices`, each `[weight, a value or an arbitrary]`; `undefined` leaves a header out. */
function weighted<T>(...choices: [number, T | fc.Arbitrary<T>][]): fc.Arbitrary<T> {
  return fc.oneof(...choices.map(([weight, choice]) => ({ weight, arbitrary: choice instanceof fc.Arbitrary ? choice : fc.constant(choice) })));
}

/** Header values: printable ASCII and Latin-1 (what a raw client can put on the wire), no CR/LF. */
const garbage = fc.string({ unit: fc.integer({ min: 0x20, max: 0xff }).filter((c) => c !== 0x7f).map((c) => String.fromCharCode(c)), maxLength: 40 });
const sessionRef = weighted<string>([10, 'own'], [2, 'other'], [1, 'legacy'], [1, 'ended'], [1, garbage], [1, 'x'.repeat(300)], [1, '']);

const jsonRpcLike = fc.record({
  jsonrpc: weighted<unknown>([5, '2.0'], [1, fc.jsonValue()]),
  id: fc.oneof(fc.integer(), fc.string(), fc.constant(null), fc.jsonValue()),
  method: weighted([3, fc.constantFrom(...METHODS)], [1, fc.string()]),
  params: fc.oneof(fc.object(), fc.array(fc.jsonValue(), { maxLength: 3 }), fc.jsonValue()),
  result: fc.jsonValue(),
  error: fc.jsonValue(),
}, { requiredKeys: [] });

/** Requests the echo fixture answers, so that answers from the child are checked too. */
const served = fc.tuple(fc.oneof(fc.integer(), fc.string({ maxLength: 8 })), fc.constantFrom('ping', 'tools/list', 'resources/list', 'prompts/list', 'echo'), fc.string({ maxLength: 30 }))
  .map(([id, method, text]) => (method === 'echo' ? { jsonrpc: '2.0', id, method: 'tools/call', params: { name: 'echo', arguments: { text } } } : { jsonrpc: '2.0', id, method, params: {} }));

const initialize = fc.constantFrom(...VERSIONS, '1999-01-01').map((protocolVersion) =>
  ({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion, capabilities: {}, clientInfo: { name: 'fuzz', version: '1' } } }));

/** Bodies print as their length and first bytes in a counterexample. */
const shown = (bytes: Buffer): Buffer => Object.assign(bytes, { [fc.toStringMethod]: () => `Buffer(${bytes.length}: ${JSON.stringify(bytes.toString('latin1').slice(0, 80))})` });
const json = (arb: fc.Arbitrary<unknown>): fc.Arbitrary<Buffer> => arb.map((value) => Buffer.from(JSON.stringify(value) ?? 'null'));

const body: fc.Arbitrary<Buffer> = weighted<Buffer>(
  [2, Buffer.alloc(0)],
  [2, json(fc.jsonValue())],
  [5, json(jsonRpcLike)],
  [8, json(served)],
  [2, json(initialize)],
  [2, json(fc.array(fc.oneof(jsonRpcLike, served, initialize), { maxLength: 4 }))],
  // Invalid UTF-8, bare or inside a JSON string.
  [1, fc.uint8Array({ minLength: 1, maxLength: 64 }).map((bytes) => Buffer.from(bytes))],
  [1, fc.uint8Array({ minLength: 1, maxLength: 8, min: 0x80 }).map((bytes) => Buffer.concat([Buffer.from('{"jsonrpc":"2.0","id":1,"method":"'), Buffer.from(bytes), Buffer.from('"}')]))],
  // Around --max-body: a valid ping padded to within 16 bytes either side of the limit.
  [2, fc.integer({ min: -16, max: 16 }).map((delta) => {
    const shell = '{"jsonrpc":"2.0","id":1,"method":"ping","params":{"pad":""}}';
    return Buffer.from(shell.replace('""', `"${'x'.repeat(MAX_BODY + delta - shell.length)}"`));
  })],
  [1, fc.integer({ min: 1, max: 900 }).map((depth) => Buffer.from(`${'['.repeat(depth)}${']'.repeat(depth)}`))],
).map(shown);

const UPGRADE: [string, string][] = [['connection', 'Upgrade'], ['upgrade', 'websocket'], ['sec-websocket-version', '13'], ['sec-websocket-key', 'dGhlIHNhbXBsZSBub25jZQ=='], ['sec-websocket-protocol', 'mcp']];
/** Handshakes: valid, without subprotocol, h2c, bad version and key, a subprotocol list that does not parse. */
const HANDSHAKES: [string, string][][] = [UPGRADE, UPGRADE.slice(0, 4), [['connection', 'Upgrade, HTTP2-Settings'], ['upgrade', 'h2c'], ['http2-settings', 'AAMAAABkAAQAAP__']],
  [...UPGRADE.slice(0, 2), ['sec-websocket-version', '7'], ['sec-websocket-key', 'short'], ['sec-websocket-protocol', 'mcp']], [...UPGRADE.slice(0, 4), ['sec-websocket-protocol', 'mcp, ,x']]];
const OTHER_METHODS = fc.constantFrom('PUT', 'PATCH', 'OPTIONS', 'HEAD', 'TRACE', 'CONNECT');
const OTHER_PATHS = fc.constantFrom('/', '/mcp/', '/mcp/x', '/MCP', '//mcp', '/%6dcp', '/nope', '/.well-known/oauth-protected-resource', '*', 'http://127.0.0.1/mcp');

const common = {
  query: weighted<string | undefined>([4, undefined], [3, sessionRef.map((ref) => `sessionId=${ref}`)], [1, fc.webQueryParameters()]),
  host: weighted<string>([30, 'loopback'], [1, fc.constantFrom('localhost', '[::1]', 'rebound.example', '', 'none')], [1, garbage]),
  accept: weighted<string | undefined>([1, undefined], [20, MCP_ACCEPT], [2, fc.constantFrom('application/json', 'text/event-stream', '*/*', 'text/*', 'text/html')], [1, garbage]),
  contentType: weighted<string | undefined>([1, undefined], [20, 'application/json'], [2, fc.constantFrom('application/json; charset=utf-8', 'text/plain', 'multipart/form-data')], [1, garbage]),
  session: weighted<string | undefined>([2, undefined], [10, sessionRef]),
  version: weighted<string | undefined>([3, undefined], [8, '2025-06-18'], [2, fc.constantFrom(...VERSIONS)], [1, garbage]),
  lastEventId: weighted<string | undefined>([16, undefined], [1, fc.constantFrom('0-1', '1-999999', '-')], [1, garbage]),
  origin: weighted<string | undefined>([24, undefined], [1, fc.constantFrom('http://localhost:3000', 'http://rebound.example', 'null')], [1, garbage]),
  authorization: weighted<string | undefined>([16, undefined], [1, 'Bearer abc'], [1, garbage]),
  framing: weighted<'exact' | 'none' | 'short' | 'long' | 'chunked' | 'both'>([20, 'exact'], [1, fc.constantFrom('none', 'short', 'long', 'chunked', 'both')]),
  body,
};

/** Plain HTTP requests: no Upgrade header. */
const plainProbe = fc.record({
  ...common,
  method: weighted<string>([10, 'POST'], [3, 'GET'], [2, 'DELETE'], [2, OTHER_METHODS], [1, fc.stringMatching(/^[A-Z]{1,8}$/)]),
  path: weighted<string>([16, '/mcp'], [3, '/messages'], [2, '/sse'], [2, '/ws'], [2, fc.constantFrom('/healthz', '/readyz', '/metrics')], [2, OTHER_PATHS], [1, fc.webPath()]),
  extra: weighted<[string, string][]>([40, []], [1, [['expect', '100-continue']]], [1, [['expect', 'magic']]], [1, [['x-request-id', '\u00ff"}{']]], [1, [['traceparent', 'zz']]]),
});

/** Requests that offer an upgrade, mostly on the WebSocket path. */
const upgradeProbe = fc.record({
  ...common,
  method: weighted<string>([6, 'GET'], [1, fc.constantFrom('POST', 'DELETE')], [1, OTHER_METHODS]),
  path: weighted<string>([8, '/ws'], [2, fc.constantFrom('/mcp', '/sse', '/healthz')], [1, OTHER_PATHS]),
  extra: fc.constantFrom(...HANDSHAKES),
});
type Probe = typeof plainProbe extends fc.Arbitrary<infer P> ? P : never;

interface Answer { status: number; headers: Map<string, string>; body: Buffer; cut: boolean }

/** Sends `request` on a fresh connection; resolves with the first final answer (streams cut after their headers). */
function exchange(port: number, request: Buffer, isHead: boolean): Promise<Answer | 'closed'> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(request));
    let buffer = Buffer.alloc(0);
    const settle = (outcome: Answer | 'closed' | Error): void => {
      clearTimeout(timer);
      socket.destroy();
      if (outcome instanceof Error) reject(outcome);
      else resolve(outcome);
    };
    const finish = (answer: Answer | 'closed'): void => settle(answer);
    const cutShort = (statusLine: string): void => settle(new Error(`answer cut short: ${statusLine}`));
    const timer = setTimeout(() => settle(new Error(`no answer within ${DEADLINE_MS}ms; received ${JSON.stringify(buffer.toString('latin1').slice(0, 300))}`)), DEADLINE_MS);
    const parse = (closed: boolean): void => {
      for (;;) {
        const end = buffer.indexOf('\r\n\r\n');
        if (end === -1) return closed ? finish('closed') : undefined;
        const [statusLine = '', ...lines] = buffer.subarray(0, end).toString('latin1').split('\r\n');
        const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine)?.[1] ?? 0);
        const headers = new Map(lines.map((line) => [line.slice(0, line.indexOf(':')).toLowerCase(), line.slice(line.indexOf(':') + 1).trim()]));
        const rest = buffer.subarray(end + 4);
        if (status >= 100 && status < 200 && status !== 101) { buffer = rest; continue; }
        const streaming = status === 101 || (headers.get('content-type') ?? '').startsWith('text/event-stream');
        if (streaming || isHead || status === 204 || status === 304) return finish({ status, headers, body: Buffer.alloc(0), cut: streaming });
        const length = headers.get('content-length');
        if (length !== undefined) return rest.length >= Number(length) ? finish({ status, headers, body: rest.subarray(0, Number(length)), cut: false }) : closed ? cutShort(statusLine) : undefined;
        if (headers.get('transfer-encoding') === 'chunked') {
          const chunks: Buffer[] = [];
          for (let at = 0; ;) {
            const eol = rest.indexOf('\r\n', at);
            if (eol === -1) return closed ? cutShort(statusLine) : undefined;
            const size = parseInt(rest.subarray(at, eol).toString('latin1'), 16);
            if (size === 0) return finish({ status, headers, body: Buffer.concat(chunks), cut: false });
            if (rest.length < eol + 2 + size + 2) return closed ? cutShort(statusLine) : undefined;
            chunks.push(rest.subarray(eol + 2, eol + 2 + size));
            at = eol + 2 + size + 2;
          }
        }
        return closed ? finish({ status, headers, body: rest, cut: false }) : undefined;
      }
    };
    socket.on('data', (chunk: Buffer) => { buffer = Buffer.concat([buffer, chunk]); parse(false); });
    socket.on('error', () => undefined); // A reset after the answer, or instead of one: 'close' decides.
    socket.on('close', () => parse(true));
  });
}

/** A stack frame ("at fn (file:line:col)") or a path of the daemon's. */
const LEAK = /\bat [^\s()]+ \([^)]*:\d+:\d+\)|\n\s+at \S|node:internal|file:\/\/|\/work\/|dist\/src/;

function checkAnswer(answer: Answer): void {
  const type = answer.headers.get('content-type') ?? '';
  const text = answer.body.toString('utf8');
  assert.ok(answer.status >= 100 && answer.status <= 599, `status ${answer.status}`);
  assert.notEqual(answer.status, 500, `INTERNAL: a handler failed: ${text}`);
  assert.doesNotMatch(text, /<html|<!doctype/i, 'an HTML page');
  assert.doesNotMatch(text, LEAK, 'a stack or path');
  if (answer.body.length === 0) return;
  if (answer.status >= 400) assert.match(type, /^application\/json\b/, `a ${answer.status} error that is not JSON: ${text}`);
  if (!/^application\/json\b/.test(type)) return;
  const json = JSON.parse(text) as unknown;
  if (answer.status < 400) return;
  const error = json as { jsonrpc: unknown; id: unknown; error: { code: unknown; message: unknown; data: { reason: unknown } } };
  assert.deepEqual(Object.keys(error).sort(), ['error', 'id', 'jsonrpc'], text);
  assert.equal(error.jsonrpc, '2.0');
  assert.ok(error.id === null || typeof error.id === 'string' || typeof error.id === 'number', text);
  assert.equal(typeof error.error.code, 'number', text);
  assert.equal(typeof error.error.message, 'string', text);
  assert.equal(typeof error.error.data?.reason, 'string', text);
}

/** The registry reason of an error answer, or what else it was. */
function reasonOf(answer: Answer): string {
  if (answer.body.length === 0) return 'empty';
  try {
    return (JSON.parse(answer.body.toString('utf8')) as { error?: { data?: { reason?: string } } }).error?.data?.reason ?? 'json';
  } catch {
    return 'other'; // checkAnswer says whether that was allowed.
  }
}

describe('fuzzing the daemon over raw HTTP', () => {
  let daemon: TestDaemon;
  let port: number;
  let legacy: RawSse;
  const ids: Record<Role, string> = { own: '', other: '', legacy: '', ended: '' };

  /** An initialized session that has sent a request (so --idle-timeout-unused spares it). */
  const usedSession = async (): Promise<string> => {
    const id = await openSession(daemon.url);
    await rawRequest(daemon.url, { method: 'POST', headers: sessionHeaders(id), body: '{"jsonrpc":"2.0","id":"warm","method":"ping"}' });
    return id;
  };

  const build = (p: Probe): Buffer => {
    const resolve = (ref: string): string => (ROLES.includes(ref as Role) ? ids[ref as Role] : ref);
    const query = p.query === undefined ? '' : `?${p.query.startsWith('sessionId=') ? `sessionId=${encodeURIComponent(resolve(p.query.slice(10)))}` : p.query}`;
    const head: [string, string][] = [];
    if (p.host !== 'none') head.push(['host', p.host === 'loopback' ? `127.0.0.1:${port}` : p.host === '[::1]' ? `[::1]:${port}` : p.host]);
    for (const [name, value] of [['accept', p.accept], ['content-type', p.contentType], ['mcp-protocol-version', p.version], ['last-event-id', p.lastEventId], ['origin', p.origin], ['authorization', p.authorization]] as const) {
      if (value !== undefined) head.push([name, value]);
    }
    if (p.session !== undefined) head.push(['mcp-session-id', resolve(p.session)]);
    head.push(...p.extra);
    let payload = p.body;
    const length = { exact: payload.length, short: Math.max(0, payload.length - 7), long: payload.length + 7, both: payload.length, none: undefined, chunked: undefined }[p.framing];
    if (length !== undefined) head.push(['content-length', String(length)]);
    if (p.framing === 'chunked' || p.framing === 'both') {
      head.push(['transfer-encoding', 'chunked']);
      const half = payload.length >> 1;
      payload = Buffer.concat([payload.subarray(0, half), payload.subarray(half)].filter((part) => part.length > 0)
        .flatMap((part) => [Buffer.from(`${part.length.toString(16)}\r\n`), part, Buffer.from('\r\n')]).concat(Buffer.from('0\r\n\r\n')));
    }
    const lines = [`${p.method} ${p.path}${query} HTTP/1.1`, ...head.map(([name, value]) => `${name}: ${value}`)];
    return Buffer.concat([Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1'), payload]);
  };

  before(async () => {
    daemon = await startDaemon({
      fixture: { name: 'echo-server' },
      args: ['--max-body', `${MAX_BODY}`, '--max-sessions', '16', '--idle-timeout-unused', '1s', '--headers-timeout', '500ms', '--receive-timeout', '500ms', '--request-timeout', '3s'],
    });
    port = Number(new URL(daemon.baseUrl).port);
    ids.own = await usedSession();
    ids.other = await usedSession();
    ids.ended = await usedSession();
    assert.equal((await rawRequest(daemon.url, { method: 'DELETE', headers: sessionHeaders(ids.ended) })).status, 200);
    legacy = await RawSse.open(daemon);
    ids.legacy = legacy.sessionId;
  });

  after(async () => {
    legacy?.close();
    await daemon?.close();
  });

  /** Runs `runs` probes; counts answers by status and reason for the diagnostic. */
  const fuzz = async (arbitrary: fc.Arbitrary<Probe>, runs: number, t: TestContext): Promise<void> => {
    const started = Date.now();
    const tally = new Map<string, number>();
    try {
      await fc.assert(fc.asyncProperty(arbitrary, async (p) => {
        const answer = await exchange(port, build(p), p.method === 'HEAD');
        const key = answer === 'closed' ? 'closed' : `${answer.status} ${answer.cut ? 'stream' : reasonOf(answer)}`;
        tally.set(key, (tally.get(key) ?? 0) + 1);
        // Node drops a CONNECT it has no handler for; anything else gets an answer.
        if (answer === 'closed') assert.equal(p.method, 'CONNECT', 'the connection closed without an answer');
        else checkAnswer(answer);
        // A session the probe ended is opened again, so later probes still reach a live one.
        if (p.method === 'DELETE' && answer !== 'closed' && answer.status === 200 && (p.session === 'own' || p.session === 'other')) {
          ids[p.session] = await usedSession().catch(() => ids[p.session as Role]);
        }
        assert.ok(isAlive(daemon.pid), 'the daemon is alive');
      }), { seed: SEED, numRuns: runs, interruptAfterTimeLimit: 40_000 });
    } finally {
      t.diagnostic(`answers: ${JSON.stringify(Object.fromEntries([...tally].sort()))} in ${Date.now() - started}ms`);
    }
  };

  it(`answers ${RUNS} random plain requests (seed ${SEED}) within ${DEADLINE_MS}ms each, in shape, never crashing`, (t) => fuzz(plainProbe, RUNS, t));

  it(`answers ${Math.ceil(RUNS / 2)} random upgrade requests (seed ${SEED}) the same way`, (t) => fuzz(upgradeProbe, Math.ceil(RUNS / 2), t));

  it('refuses a malformed WebSocket handshake with a JSON-RPC error, not text/html', async () => {
    const handshakes = [['POST', UPGRADE], ['GET', HANDSHAKES[2]], ['GET', HANDSHAKES[3]], ['GET', HANDSHAKES[4]]] as const;
    for (const [method, headers] of handshakes) {
      const lines = [`${method} /ws HTTP/1.1`, `host: 127.0.0.1:${port}`, 'content-length: 0', ...(headers ?? []).map(([name, value]) => `${name}: ${value}`)];
      const answer = await exchange(port, Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1'), false);
      assert.notEqual(answer, 'closed');
      if (answer !== 'closed') checkAnswer(answer);
    }
  });

  it('serves a request that offers Upgrade: h2c as plain HTTP/1.1 (curl --http2 does)', async () => {
    const h2c = HANDSHAKES[2]?.map(([name, value]) => `${name}: ${value}`) ?? [];
    const health = await exchange(port, Buffer.from(['GET /healthz HTTP/1.1', `host: 127.0.0.1:${port}`, ...h2c, '', ''].join('\r\n')), false);
    assert.equal(health !== 'closed' && health.status, 200);
    const ping = '{"jsonrpc":"2.0","id":"h2c","method":"ping"}';
    // A session of its own: the fuzz may well have DELETEd the shared ones.
    // Under load a cold child may miss the fuzz's 3 s --request-timeout for its initialize: try again.
    const fresh = await openSession(daemon.url).catch(() => openSession(daemon.url)).catch(() => openSession(daemon.url));
    const head = ['POST /mcp HTTP/1.1', `host: 127.0.0.1:${port}`, ...Object.entries(sessionHeaders(fresh)).map(([name, value]) => `${name}: ${value}`), `content-length: ${ping.length}`, ...h2c, '', ''];
    const answer = await exchange(port, Buffer.from(head.join('\r\n') + ping), false);
    assert.equal(answer !== 'closed' && answer.status, 200);
    assert.equal((await rawRequest(daemon.url, { method: 'DELETE', headers: sessionHeaders(fresh) })).status, 200);
  });

  it('is alive and healthy after the run, and logged no failure', async (t) => {
    const notable = daemon.logs.filter((line) => line.level === 'warn' || line.level === 'error').map((line) => `${line.level}: ${line.msg}`);
    t.diagnostic(`warn/error lines: ${JSON.stringify(Object.fromEntries(notable.map((msg) => [msg, notable.filter((other) => other === msg).length])))}`);
    assert.equal(daemon.process.exitCode, null);
    assert.equal((await rawRequest(`${daemon.baseUrl}/healthz`, { method: 'GET' })).status, 200);
    const failures = daemon.logs.filter((line) => line.level === 'fatal' || /request handler failed|uncaught|unhandled/.test(line.msg));
    assert.deepEqual(failures, []);
    assert.deepEqual(daemon.strayStderr, []);
  });

  it('ends every session: the ones it holds on DELETE, probes by --idle-timeout-unused', async () => {
    for (const role of ['own', 'other'] as const) await rawRequest(daemon.url, { method: 'DELETE', headers: sessionHeaders(ids[role]) });
    legacy.close();
    await waitFor(async () => {
      const ready = await rawRequest(`${daemon.baseUrl}/readyz`, { method: 'GET' });
      return (ready.json as { sessions: number }).sessions === 0;
    }, { timeoutMs: 15_000, what: 'every session to end' });
  });
});
