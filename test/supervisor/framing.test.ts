/**
 * Framing of a child's stdout. Through the daemon: a server that prints garbage before every answer
 * still works with the SDK client, each garbage line is logged and dropped, never forwarded, and a
 * response split inside a multi-byte character arrives intact. LineFramer itself is unit-tested
 * below: chunk boundaries, CRLF, the size cap in both modes, and a last line without a newline.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import { LineFramer, type LineFramerOptions } from '../../src/jsonrpc/line-framer.js';
import { connectClient, textOf } from '../helpers/mcp-client.js';
import { startDaemon, type TestDaemon } from '../helpers/daemon.js';
import { MCP_ACCEPT, rawRequest } from '../helpers/http.js';
import { waitFor } from '../helpers/poll.js';

const NOT_JSON_RPC = 'child stdout line is not JSON-RPC; dropped';
/** The fixture's garbage, as logged (its empty line is skipped without a word). */
const GARBAGE = ['hello from a print statement', '{not json', '[1,2,3]', '{"jsonrpc":"1.0","id":1}'];

describe('a child that prints garbage on stdout, through the daemon', () => {
  let daemon: TestDaemon;
  before(async () => {
    daemon = await startDaemon({ fixture: { name: 'garbage-stdout' } });
  });
  after(async () => {
    await daemon.close();
  });

  it('works with the SDK client, and logs and drops every garbage line', async () => {
    const { client, transport, close } = await connectClient(daemon.url);
    const received: JSONRPCMessage[] = [];
    const errors: Error[] = [];
    const deliver = transport.onmessage;
    transport.onmessage = (message) => {
      received.push(message);
      deliver?.(message);
    };
    client.onerror = (error) => errors.push(error);
    const pid = (daemon.logs.find((line) => line.msg === 'session opened')?.pid) as number;

    const tools = await client.listTools();
    assert.deepEqual(tools.tools.map((tool) => tool.name).sort(), ['echo', 'unicode']);
    assert.equal(textOf(await client.callTool({ name: 'echo', arguments: { text: 'through the noise' } })), 'through the noise');
    assert.equal(textOf(await client.callTool({ name: 'unicode', arguments: {} })), '🚀 héllo 中文 ✓');

    // Only the three answers reached the client; no garbage, no parse errors.
    assert.equal(received.length, 3);
    for (const message of received) {
      assert.equal(message.jsonrpc, '2.0');
      assert.ok('result' in message, JSON.stringify(message));
    }
    assert.deepEqual(errors, []);

    // Four answers so far (initialize too), each after one round of garbage.
    const answers = 4;
    const dropped = await waitFor(() => {
      const lines = daemon.logs.filter((line) => line.msg === NOT_JSON_RPC);
      return lines.length >= GARBAGE.length * answers && lines;
    }, { what: 'the garbage lines to be logged' });
    assert.equal(dropped.length, GARBAGE.length * answers);
    for (const garbage of GARBAGE) {
      assert.equal(dropped.filter((line) => line.line === garbage).length, answers, garbage);
    }
    for (const line of dropped) {
      assert.equal(line.level, 'warn');
      assert.equal(line.stream, 'stdout');
      assert.equal(line.pid, pid);
    }
    await close();
  });

  it('answers a raw POST with exactly the JSON-RPC response', async () => {
    const { transport, close } = await connectClient(daemon.url);
    const response = await rawRequest(daemon.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: MCP_ACCEPT,
        'mcp-session-id': transport.sessionId ?? '',
        'mcp-protocol-version': '2025-06-18',
      },
      body: JSON.stringify({ jsonrpc: '2.0', id: 'u', method: 'tools/call', params: { name: 'unicode', arguments: {} } }),
    });
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /^application\/json/);
    assert.deepEqual(response.json, { jsonrpc: '2.0', id: 'u', result: { content: [{ type: 'text', text: '🚀 héllo 中文 ✓' }] } });
    await close();
  });
});

/** A framer that records what it emits. */
function framer(options: Partial<LineFramerOptions> = {}): { framer: LineFramer; lines: [string, number][]; oversize: number[] } {
  const lines: [string, number][] = [];
  const oversize: number[] = [];
  const instance = new LineFramer({
    maxLineBytes: 1024,
    mode: 'drop',
    onLine: (line, truncatedBytes) => lines.push([line, truncatedBytes]),
    onOversize: (bytes) => oversize.push(bytes),
    ...options,
  });
  return { framer: instance, lines, oversize };
}

describe('LineFramer', () => {
  it('decodes a multi-byte character split across chunks, at every cut', () => {
    const bytes = Buffer.from('🚀 héllo 中文 ✓\n', 'utf8');
    for (let cut = 1; cut < bytes.length; cut++) {
      const { framer: f, lines } = framer();
      f.push(bytes.subarray(0, cut));
      f.push(bytes.subarray(cut));
      assert.deepEqual(lines, [['🚀 héllo 中文 ✓', 0]], `cut at byte ${cut}`);
    }
  });

  it('strips the CR of a CRLF line ending, and only that', () => {
    const { framer: f, lines } = framer();
    f.push(Buffer.from('one\r\ntwo\r\n\r\nthree\rfour\n'));
    assert.deepEqual(lines, [['one', 0], ['two', 0], ['', 0], ['three\rfour', 0]]);
  });

  it('splits many lines in one chunk, in order', () => {
    const { framer: f, lines } = framer();
    const many = Array.from({ length: 1000 }, (_, i) => `{"n":${i}}`);
    f.push(Buffer.from(`${many.join('\n')}\n`));
    assert.deepEqual(lines.map(([line]) => line), many);
  });

  it('joins a line split over many chunks, one byte at a time', () => {
    const { framer: f, lines } = framer();
    const text = `{"jsonrpc":"2.0","id":1,"result":{"text":"${'é'.repeat(100)}"}}`;
    for (const byte of Buffer.from(`${text}\nnext\n`)) f.push(Buffer.from([byte]));
    assert.deepEqual(lines, [[text, 0], ['next', 0]]);
  });

  it('does not keep a chunk the caller reuses', () => {
    const { framer: f, lines } = framer();
    const chunk = Buffer.from('abc');
    f.push(chunk);
    chunk.fill('z');
    f.push(Buffer.from('\n'));
    assert.deepEqual(lines, [['abc', 0]]);
  });

  it('with chunksOwned, joins held views of fresh chunks into the same lines, large ones included', () => {
    const large: Buffer[] = [];
    const { framer: f, lines, oversize } = framer({ chunksOwned: true, maxLineBytes: 4096, large: { minBytes: 1000, onLine: (line) => large.push(line).valueOf() > 0 } });
    const big = `{"text":"${'x'.repeat(2000)}"}`;
    const stream = Buffer.from(`small one\n${big}\nsmall two\n${'y'.repeat(5000)}\nafter\n`);
    for (let at = 0; at < stream.length; at += 700) f.push(Buffer.from(stream.subarray(at, at + 700)));
    assert.deepEqual(lines, [['small one', 0], ['small two', 0], ['after', 0]]);
    assert.deepEqual(large.map((line) => line.toString()), [big]);
    assert.deepEqual(oversize, [5000]);
  });

  it('drops an oversized line, reports its full size, and frames the next line fine', () => {
    const { framer: f, lines, oversize } = framer({ maxLineBytes: 10 });
    f.push(Buffer.from('ok\n0123456'));
    f.push(Buffer.from('789abcdef'));
    f.push(Buffer.from('ghij\nafter\n'));
    assert.deepEqual(lines, [['ok', 0], ['after', 0]]);
    assert.deepEqual(oversize, [20]);
    // Over the cap in a single chunk as well, and exactly at the cap is not over it.
    f.push(Buffer.from(`${'x'.repeat(11)}\n${'y'.repeat(10)}\n`));
    assert.deepEqual(oversize, [20, 11]);
    assert.deepEqual(lines.at(-1), ['y'.repeat(10), 0]);
  });

  it('truncates an oversized line to its head and counts the bytes cut', () => {
    const { framer: f, lines, oversize } = framer({ maxLineBytes: 10, mode: 'truncate' });
    f.push(Buffer.from('0123456'));
    f.push(Buffer.from('789abcdef'));
    f.push(Buffer.from('ghij\nafter\n'));
    f.push(Buffer.from(`${'x'.repeat(25)}\n`));
    assert.deepEqual(lines, [['0123456789', 10], ['after', 0], ['x'.repeat(10), 15]]);
    assert.deepEqual(oversize, []);
  });

  it('emits a trailing partial line at end(), and nothing when there is none', () => {
    const { framer: f, lines, oversize } = framer({ maxLineBytes: 8 });
    f.push(Buffer.from('whole\npart'));
    f.end();
    assert.deepEqual(lines, [['whole', 0], ['part', 0]]);
    f.end();
    assert.equal(lines.length, 2);
    // An oversized partial line is still dropped (drop mode) at end().
    f.push(Buffer.from('123456789'));
    f.end();
    assert.deepEqual(oversize, [9]);
    assert.equal(lines.length, 2);
    const truncating = framer({ maxLineBytes: 4, mode: 'truncate' });
    truncating.framer.push(Buffer.from('abcdefg'));
    truncating.framer.end();
    assert.deepEqual(truncating.lines, [['abcd', 3]]);
  });

  it('refuses a cap that is not a positive integer, naming it', () => {
    for (const maxLineBytes of [0, -1, 1.5, Number.NaN]) {
      assert.throws(() => framer({ maxLineBytes }), /maxLineBytes must be a positive integer/);
    }
  });
});
