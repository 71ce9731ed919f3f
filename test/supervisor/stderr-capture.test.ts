/**
 * A child's stderr in the daemon's logs: a flood is held to the rate limit and what was dropped is
 * counted, so logged + dropped accounts for every line; each line carries the session's bindings;
 * a huge line is cut with the count of bytes cut. StderrCapture itself is unit-tested below with a
 * real pino logger writing into memory.
 */
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { createLogger } from '../../src/observability/logger.js';
import { StderrCapture, type StderrCaptureOptions } from '../../src/supervisor/stderr-capture.js';
import { connectClient, textOf } from '../helpers/mcp-client.js';
import { startDaemon, type LogLine, type TestDaemon } from '../helpers/daemon.js';
import { waitFor } from '../helpers/poll.js';

const FLOOD_LINES = 5000;
const LONG_LINE_BYTES = 200 * 1024; // the fixture's --long-line, newline included
const DROPPED = 'child stderr lines dropped by the rate limit';

describe('stderr of a flooding child, through the daemon', () => {
  let daemon: TestDaemon;
  before(async () => {
    daemon = await startDaemon({ fixture: { name: 'stderr-flood' } });
  });
  after(async () => {
    await daemon.close();
  });

  it('logs what the rate limit allows and counts every line it drops', async () => {
    const { client, close } = await connectClient(daemon.url);
    const session = daemon.logs.find((line) => line.msg === 'session opened' && line.sessionId !== undefined);
    assert.ok(session);
    const pid = session.pid as number;
    assert.equal(textOf(await client.callTool({ name: 'flood', arguments: { lines: FLOOD_LINES } })), `flooded ${FLOOD_LINES}`);
    // Requests keep flowing while the capture deals with the flood.
    assert.equal(textOf(await client.callTool({ name: 'echo', arguments: { text: 'after the flood' } })), 'after the flood');
    await close();
    // The last drop count is reported when the child's stderr ends.
    await daemon.waitForLog((line) => line.msg.startsWith('child was stopped') && line.pid === pid, 10_000, 'the child to stop');

    const ofChild = (line: LogLine): boolean => line.pid === pid && line.stream === 'stderr';
    const flood = daemon.logs.filter((line) => ofChild(line) && line.msg.startsWith('flood '));
    const drops = daemon.logs.filter((line) => ofChild(line) && line.msg === DROPPED);
    const otherStderr = daemon.logs.filter((line) => ofChild(line) && line.level === 'info' && !line.msg.startsWith('flood '));
    // The fixture writes nothing else to stderr, so every dropped line was a flood line.
    assert.deepEqual(otherStderr, []);
    assert.ok(flood.length < FLOOD_LINES, `logged all ${flood.length} lines`);
    assert.ok(drops.length > 0, 'no drop count was logged');
    const dropped = drops.reduce((sum, line) => sum + (line.dropped as number), 0);
    for (const line of drops) assert.equal(line.level, 'warn');
    assert.equal(flood.length + dropped, FLOOD_LINES, `logged ${flood.length} + dropped ${dropped}`);
    // What was logged is the start of the flood, in order and unchanged (80 bytes with the newline).
    assert.equal(flood[0]?.msg, `${'flood 1 '.padEnd(79, 'y')}`);
    const numbers = flood.map((line) => Number(line.msg.split(' ')[1]));
    assert.deepEqual(numbers, [...numbers].sort((x, y) => x - y));

    for (const line of [...flood, ...drops]) {
      assert.equal(line.sessionId, session.sessionId);
      assert.equal(line.pid, pid);
      assert.equal(line.server, 'stderr-flood');
    }
  });
});

describe('a very long stderr line, through the daemon', () => {
  let daemon: TestDaemon;
  before(async () => {
    daemon = await startDaemon({ fixture: { name: 'stderr-flood', args: ['--long-line'] } });
  });
  after(async () => {
    await daemon.close();
  });

  it('is logged cut to the cap, with the number of bytes cut', async () => {
    const { client, close } = await connectClient(daemon.url);
    const line = await daemon.waitForLog((log) => log.stream === 'stderr' && log.msg.startsWith('long line '), 10_000, 'the long line');
    const cap = 4096; // DEFAULT_STDERR_CAPTURE.maxLineBytes
    assert.equal(line.msg.length, cap);
    assert.match(line.msg, /^long line z+$/);
    assert.equal(line.truncatedBytes, LONG_LINE_BYTES - 1 - cap);
    assert.equal(typeof line.sessionId, 'string');
    assert.equal(typeof line.pid, 'number');
    assert.equal(line.server, 'stderr-flood');
    // The child is unharmed and still answers.
    assert.equal(textOf(await client.callTool({ name: 'echo', arguments: { text: 'fine' } })), 'fine');
    await close();
  });
});

/** A StderrCapture logging into memory through the daemon's own logger setup. */
function capture(options: StderrCaptureOptions): { stderr: StderrCapture; logs: LogLine[] } {
  const logs: LogLine[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n')) if (line.trim() !== '') logs.push(JSON.parse(line) as LogLine);
      done();
    },
  });
  const logger = createLogger('debug', sink).child({ server: 'unit', sessionId: 's-1', pid: 1234 });
  return { stderr: new StderrCapture(logger, options), logs };
}

const ROOMY: StderrCaptureOptions = { maxLineBytes: 64, linesPerSecond: 1000, burst: 1000, tailLines: 3 };

describe('StderrCapture', () => {
  it('keeps the last tailLines lines, oldest first', () => {
    const { stderr } = capture(ROOMY);
    assert.deepEqual(stderr.tail(), []);
    stderr.push(Buffer.from('one\ntwo\n'));
    assert.deepEqual(stderr.tail(), ['one', 'two']);
    stderr.push(Buffer.from('three\nfour\nfi'));
    stderr.push(Buffer.from('ve\n'));
    assert.deepEqual(stderr.tail(), ['three', 'four', 'five']);
  });

  it('logs each line once with the bindings, skipping empty lines and flushing the last one at end()', () => {
    const { stderr, logs } = capture(ROOMY);
    stderr.push(Buffer.from('a\n\r\n\nb\r\nno newline'));
    assert.deepEqual(logs.map((line) => line.msg), ['a', 'b']);
    stderr.end();
    assert.deepEqual(logs.map((line) => line.msg), ['a', 'b', 'no newline']);
    for (const line of logs) {
      assert.equal(line.stream, 'stderr');
      assert.equal(line.level, 'info');
      assert.equal(line.sessionId, 's-1');
      assert.equal(line.pid, 1234);
      assert.equal(line.server, 'unit');
      assert.equal(line.truncatedBytes, undefined);
    }
    assert.equal(stderr.logged, 3);
  });

  it('cuts a long line to maxLineBytes and says how much was cut, in the log and the tail', () => {
    const { stderr, logs } = capture({ ...ROOMY, maxLineBytes: 16 });
    stderr.push(Buffer.from(`${'x'.repeat(10)}`));
    stderr.push(Buffer.from(`${'y'.repeat(30)}\nshort\n`));
    assert.deepEqual(logs.map((line) => [line.msg, line.truncatedBytes]), [[`${'x'.repeat(10)}${'y'.repeat(6)}`, 24], ['short', undefined]]);
    assert.deepEqual(stderr.tail(), [`${'x'.repeat(10)}${'y'.repeat(6)}`, 'short']);
  });

  it('holds a flood to the burst, counts the rest and reports the count before the next line and at end()', () => {
    const { stderr, logs } = capture({ ...ROOMY, burst: 2, linesPerSecond: 0.001 });
    stderr.push(Buffer.from('1\n2\n3\n4\n5\n'));
    assert.deepEqual(logs.map((line) => line.msg), ['1', '2']);
    assert.equal(stderr.logged, 2);
    assert.equal(stderr.dropped, 3);
    // Dropped lines are not logged, but they are still in the tail for error messages.
    assert.deepEqual(stderr.tail(), ['3', '4', '5']);
    stderr.end();
    const report = logs.at(-1);
    assert.equal(report?.msg, 'child stderr lines dropped by the rate limit');
    assert.equal(report?.level, 'warn');
    assert.equal(report?.dropped, 3);
    assert.equal(report?.pid, 1234);
  });

  it('refills at linesPerSecond and reports the drops before the next logged line', async () => {
    const { stderr, logs } = capture({ ...ROOMY, burst: 1, linesPerSecond: 100 });
    stderr.push(Buffer.from('first\nsecond\nthird\n'));
    assert.deepEqual(logs.map((line) => line.msg), ['first']);
    let pushed = 3;
    // At 100 lines/s a token is back within 10 ms; poll instead of sleeping a fixed time.
    await waitFor(() => {
      stderr.push(Buffer.from('later\n'));
      pushed++;
      return logs.some((line) => line.msg === 'later');
    }, { timeoutMs: 2000, intervalMs: 5, what: 'a refilled token' });
    const dropReport = logs.findIndex((line) => line.msg === 'child stderr lines dropped by the rate limit');
    const later = logs.findIndex((line) => line.msg === 'later');
    assert.ok(dropReport !== -1 && dropReport === later - 1, 'the drop count comes right before the next logged line');
    assert.equal(logs[dropReport]?.dropped, stderr.dropped);
    assert.equal(stderr.logged, 2);
    assert.equal(stderr.logged + stderr.dropped, pushed);
  });
});
