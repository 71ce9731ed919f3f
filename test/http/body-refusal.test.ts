/**
 * A body over --max-body gets its 413 to the client, whatever the client does: with `Expect:
 * 100-continue` and a Content-Length over the limit the answer comes at once, without `100
 * Continue`, and the body is never sent; otherwise (chunked, or no Expect) the daemon answers
 * while the body is still arriving and closes lingering, so the client reads the JSON 413 and no
 * EPIPE or ECONNRESET comes before it. Thirty tries of every shape, over a raw socket and through
 * node:http, against the real daemon. An Expect under the limit still gets `100 Continue` and its
 * answer.
 */
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { startDaemon, type TestDaemon } from '../helpers/daemon.js';
import { initializeBody, MCP_ACCEPT } from '../helpers/http.js';

/** --max-body. */
const MAX_BODY = '1mb';
/** Over the limit, and under the four bodies' worth the daemon reads while lingering. */
const BODY_BYTES = 3 * 1024 ** 2;
const TRIES = 30;
const PIECE = 64 * 1024;

interface Shape { chunked: boolean; expect: boolean }
const SHAPES: readonly Shape[] = [
  { chunked: false, expect: true },
  { chunked: false, expect: false },
  { chunked: true, expect: true },
  { chunked: true, expect: false },
];
const named = (shape: Shape): string => `${shape.chunked ? 'chunked' : 'Content-Length'}, ${shape.expect ? 'with' : 'without'} Expect`;

interface Outcome {
  status: number;
  body: string;
  /** An interim `100 Continue` came before the answer. */
  continued: boolean;
  /** Body bytes the client wrote. */
  sent: number;
  /** A socket error that came before the whole answer was read. */
  errorBeforeAnswer?: string;
}

function assertRefused(outcome: Outcome, what: string): void {
  assert.equal(outcome.errorBeforeAnswer, undefined, `${what}: ${outcome.errorBeforeAnswer} before the answer was read`);
  assert.equal(outcome.status, 413, `${what}: ${outcome.body}`);
  const json = JSON.parse(outcome.body) as { jsonrpc: string; id: unknown; error: { code: number; message: string; data: { reason: string } } };
  assert.equal(json.jsonrpc, '2.0', what);
  assert.equal(json.id, null, what);
  assert.equal(json.error.code, -32000, what);
  assert.equal(json.error.data.reason, 'BODY_TOO_LARGE', what);
  assert.match(json.error.message, /--max-body/, what);
}

function headLines(port: number, shape: Shape, bytes: number): string {
  return [
    'POST /mcp HTTP/1.1',
    `Host: 127.0.0.1:${port}`,
    'content-type: application/json',
    `accept: ${MCP_ACCEPT}`,
    shape.chunked ? 'transfer-encoding: chunked' : `content-length: ${bytes}`,
    ...(shape.expect ? ['expect: 100-continue'] : []),
    '',
    '',
  ].join('\r\n');
}

/** Resolves on 'drain' or 'close', leaving no listener behind. */
function drainedOrClosed(stream: NodeJS.EventEmitter): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      stream.off('drain', done);
      stream.off('close', done);
      resolve();
    };
    stream.on('drain', done);
    stream.on('close', done);
  });
}

/** Splits what arrived into an interim 100 and the final answer, once the answer is whole. */
function parseAnswer(received: Buffer): { continued: boolean; status: number; body: string } | undefined {
  let text = received.toString('latin1');
  let continued = false;
  if (text.startsWith('HTTP/1.1 100 ')) {
    const end = text.indexOf('\r\n\r\n');
    if (end === -1) return undefined;
    continued = true;
    text = text.slice(end + 4);
  }
  const end = text.indexOf('\r\n\r\n');
  if (end === -1) return undefined;
  const head = text.slice(0, end);
  const length = Number(/content-length: (\d+)/i.exec(head)?.[1] ?? NaN);
  const body = text.slice(end + 4);
  if (!Number.isFinite(length) || body.length < length) return undefined;
  return { continued, status: Number(head.slice(9, 12)), body: Buffer.from(body.slice(0, length), 'latin1').toString('utf8') };
}

/**
 * One POST over a raw socket. With Expect it waits for an answer (as curl does, up to 1 s) and
 * sends the body only after `100 Continue`; without, it sends the body at once, all of it unless
 * the socket fails, then half-closes. Resolves when the socket closes.
 */
function rawPost(port: number, shape: Shape, bytes: number): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    let sent = 0;
    let errorBeforeAnswer: string | undefined;
    let sending = false;
    const answer = (): ReturnType<typeof parseAnswer> => parseAnswer(Buffer.concat(chunks));
    const timer = setTimeout(() => { socket.destroy(); reject(new Error(`no close within 15s (${named(shape)})`)); }, 15_000);
    const sendBody = async (): Promise<void> => {
      if (sending) return;
      sending = true;
      const piece = Buffer.alloc(PIECE, 0x61);
      while (sent < bytes && !socket.destroyed && socket.writable) {
        const size = Math.min(PIECE, bytes - sent);
        const data = shape.chunked ? Buffer.concat([Buffer.from(`${size.toString(16)}\r\n`), piece.subarray(0, size), Buffer.from('\r\n')]) : piece.subarray(0, size);
        sent += size;
        if (!socket.write(data)) await drainedOrClosed(socket);
        // Between writes the answer is read, as curl reads while it sends: a client that never
        // reads cannot be told anything (the close that ends it discards what it did not read).
        else await new Promise((resolve) => setImmediate(resolve));
      }
      if (shape.chunked && socket.writable) socket.write('0\r\n\r\n');
      if (socket.writable) socket.end();
    };
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      const text = Buffer.concat(chunks).toString('latin1');
      if (shape.expect && !sending && text.startsWith('HTTP/1.1 100 ') && text.includes('\r\n\r\n')) void sendBody();
      // A final answer before the body was asked for: nothing more to send (curl does the same).
      if (shape.expect && !sending && answer()) socket.end();
    });
    socket.on('error', (error: NodeJS.ErrnoException) => {
      if (!answer()) errorBeforeAnswer ??= error.code ?? error.message;
    });
    socket.on('close', () => {
      clearTimeout(timer);
      const parsed = answer();
      resolve({ status: parsed?.status ?? 0, body: parsed?.body ?? Buffer.concat(chunks).toString('utf8').slice(0, 200), continued: parsed?.continued ?? false, sent, ...(errorBeforeAnswer ? { errorBeforeAnswer } : {}) });
    });
    socket.once('connect', () => {
      socket.write(headLines(port, shape, bytes));
      if (!shape.expect) void sendBody();
      else setTimeout(() => { if (chunks.length === 0) void sendBody(); }, 1000).unref();
    });
  });
}

/** One POST through node:http: with Expect the body is written on 'continue' only. Resolves once the answer is read. */
function nodePost(port: number, shape: Shape, bytes: number): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    let sent = 0;
    let continued = false;
    let errorBeforeAnswer: string | undefined;
    let answered = false;
    const req = request({
      host: '127.0.0.1', port, method: 'POST', path: '/mcp', agent: false,
      headers: {
        'content-type': 'application/json', accept: MCP_ACCEPT,
        ...(shape.chunked ? {} : { 'content-length': bytes }),
        ...(shape.expect ? { expect: '100-continue' } : {}),
      },
    });
    const timer = setTimeout(() => { req.destroy(); reject(new Error(`no answer within 15s (${named(shape)})`)); }, 15_000);
    const sendBody = async (): Promise<void> => {
      const piece = Buffer.alloc(PIECE, 0x61);
      while (sent < bytes && !req.destroyed) {
        const size = Math.min(PIECE, bytes - sent);
        sent += size;
        if (!req.write(piece.subarray(0, size))) await drainedOrClosed(req);
      }
      if (!req.destroyed) req.end();
    };
    req.on('continue', () => { continued = true; void sendBody(); });
    req.on('error', (error: NodeJS.ErrnoException) => {
      if (answered) return;
      errorBeforeAnswer ??= error.code ?? error.message;
      clearTimeout(timer);
      resolve({ status: 0, body: '', continued, sent, errorBeforeAnswer });
    });
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        answered = true;
        clearTimeout(timer);
        req.destroy();
        resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), continued, sent, ...(errorBeforeAnswer ? { errorBeforeAnswer } : {}) });
      });
    });
    if (shape.expect) req.flushHeaders();
    else void sendBody();
  });
}

describe('a body over --max-body: the 413 reaches the client', () => {
  let daemon: TestDaemon;
  let port: number;

  before(async () => {
    daemon = await startDaemon({ fixture: { name: 'echo-server' }, args: ['--max-body', MAX_BODY] });
    port = Number(new URL(daemon.url).port);
  });

  after(async () => {
    await daemon.close();
  });

  for (const shape of SHAPES) {
    it(`raw socket, ${named(shape)}: ${TRIES} of ${TRIES} read the JSON 413`, async () => {
      for (let attempt = 1; attempt <= TRIES; attempt++) {
        const outcome = await rawPost(port, shape, BODY_BYTES);
        assertRefused(outcome, `try ${attempt}`);
        if (shape.expect && !shape.chunked) {
          assert.equal(outcome.continued, false, 'no 100 Continue for a declared body over the limit');
          assert.equal(outcome.sent, 0, 'the body was never asked for');
        }
      }
    });

    it(`node:http, ${named(shape)}: ${TRIES} of ${TRIES} read the JSON 413`, async () => {
      for (let attempt = 1; attempt <= TRIES; attempt++) {
        const outcome = await nodePost(port, shape, BODY_BYTES);
        assertRefused(outcome, `try ${attempt}`);
        if (shape.expect && !shape.chunked) assert.equal(outcome.continued, false, 'no 100 Continue for a declared body over the limit');
      }
    });
  }

  it('cuts off a client that goes on sending after its 413 (the linger is bounded)', async () => {
    const started = Date.now();
    const outcome = await rawPost(port, { chunked: true, expect: false }, 1024 ** 3);
    assert.equal(outcome.status, 413, outcome.body);
    assert.ok(outcome.sent < 64 * 1024 ** 2, `the daemon read ${outcome.sent} bytes before closing`);
    assert.ok(Date.now() - started < 8000, `closed after ${Date.now() - started}ms`);
  });

  for (const chunked of [false, true]) {
    it(`still takes an Expect: 100-continue POST under the limit (${chunked ? 'chunked' : 'Content-Length'})`, async () => {
      const body = Buffer.from(initializeBody());
      const outcome = await new Promise<Outcome>((resolve, reject) => {
        const req = request({
          host: '127.0.0.1', port, method: 'POST', path: '/mcp', agent: false,
          headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', expect: '100-continue', ...(chunked ? {} : { 'content-length': body.length }) },
        });
        let continued = false;
        req.on('continue', () => { continued = true; req.end(body); });
        req.on('error', reject);
        req.on('response', (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), continued, sent: body.length }));
        });
        req.flushHeaders();
      });
      assert.equal(outcome.continued, true, 'the daemon asked for the body');
      assert.equal(outcome.status, 200, outcome.body);
      assert.match(outcome.body, /"protocolVersion"/);
    });
  }
});
