/**
 * The stop ladder with real processes: the stall fixture (and shell wrappers around it) run through
 * the real ChildProcess, logging to a real pino logger that writes into memory. Each rung is
 * reached by a process that refuses the one before it, and no stop leaves anything of the group
 * alive. The pure helpers (settlesWithin, the exit record) are table-tested at the end.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { Writable } from 'node:stream';
import { afterEach, describe, it } from 'node:test';
import { createLogger } from '../../src/observability/logger.js';
import { ChildProcess } from '../../src/supervisor/child-process.js';
import { describeExit, unplannedResult, type ExitRecord } from '../../src/supervisor/exit-record.js';
import { settlesWithin } from '../../src/supervisor/stop-ladder.js';
import { FIXTURES } from '../helpers/paths.js';
import { waitFor } from '../helpers/poll.js';
import { assertNoneTagged, isAlive, newTag, processesTagged } from '../helpers/process-table.js';

const TIMEOUT_STOP_MS = 300;
const STALL = path.join(FIXTURES, 'stall.js');

interface Started {
  child: ChildProcess;
  tag: string;
  logs: Record<string, unknown>[];
}

const started: Started[] = [];

/** Starts `command args` as a ChildProcess whose log lines land in `logs`. */
function start(command: string, args: string[], tag: string): Started {
  const logs: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n')) if (line.trim() !== '') logs.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) if (value !== undefined) env[key] = value;
  const child = new ChildProcess(
    { command, args, cwd: undefined, env },
    { maxMessageBytes: 1024 * 1024, timeoutStopMs: TIMEOUT_STOP_MS, killSignal: 'SIGTERM' },
    createLogger('debug', sink),
  );
  const entry = { child, tag, logs };
  started.push(entry);
  return entry;
}

function startStall(...flags: string[]): Started {
  const tag = newTag();
  return start(process.execPath, [STALL, ...flags, `--tag=${tag}`], tag);
}

/** Waits for the stall fixture's stderr line starting with `prefix` (logged by the capture). */
async function stderrLine(entry: Started, prefix: string): Promise<string> {
  const line = await waitFor(
    () => entry.logs.find((log) => log.stream === 'stderr' && typeof log.msg === 'string' && log.msg.startsWith(prefix)),
    { timeoutMs: 10_000, what: `stderr line "${prefix}"` },
  );
  return line.msg as string;
}

async function grandchildPid(entry: Started): Promise<number> {
  const pid = Number((await stderrLine(entry, 'grandchild ')).slice('grandchild '.length));
  assert.ok(Number.isInteger(pid) && pid > 0, `grandchild pid ${pid}`);
  return pid;
}

afterEach(async () => {
  // A failed assertion must not leave a stall behind for the next test.
  for (const entry of started.splice(0)) {
    if (entry.child.alive) await entry.child.stop('shutdown');
    await entry.child.exited;
    await assertNoneTagged(entry.tag);
  }
});

describe('the stop ladder', () => {
  it('stops a child that exits on stdin EOF at the first rung', async () => {
    const entry = startStall();
    await stderrLine(entry, 'stall ready');
    const record = await entry.child.stop('session-end');
    assert.equal(record.stoppedBy, 'eof');
    assert.equal(record.result, 'session-end');
    assert.equal(record.exitCode, 0);
    assert.equal(entry.child.alive, false);
    assert.deepEqual(processesTagged(entry.tag), []);
  });

  it('sends SIGTERM to a child that ignores EOF', async () => {
    const entry = startStall('--ignore-eof');
    await stderrLine(entry, 'stall ready');
    const record = await entry.child.stop('session-end');
    assert.equal(record.stoppedBy, 'sigterm');
    assert.equal(record.signal, 'SIGTERM');
    assert.deepEqual(processesTagged(entry.tag), []);
  });

  it('sends SIGKILL to a child that ignores EOF and SIGTERM, within about 2× timeoutStop', async () => {
    const entry = startStall('--ignore-eof', '--ignore-sigterm');
    await stderrLine(entry, 'stall ready');
    const startedAt = Date.now();
    const record = await entry.child.stop('shutdown');
    const elapsed = Date.now() - startedAt;
    assert.equal(record.stoppedBy, 'sigkill');
    assert.equal(record.signal, 'SIGKILL');
    assert.equal(record.result, 'shutdown');
    assert.ok(elapsed >= 2 * TIMEOUT_STOP_MS - 20, `stopped after ${elapsed}ms, before both waits were over`);
    assert.ok(elapsed < 2 * TIMEOUT_STOP_MS + 500, `stopped after ${elapsed}ms`);
    // The fixture did see the SIGTERM it ignored: the ladder really took the middle rung.
    assert.ok(entry.logs.some((log) => log.stream === 'stderr' && log.msg === 'ignoring SIGTERM'));
    assert.deepEqual(processesTagged(entry.tag), []);
  });

  it('takes the grandchild down with the child', async () => {
    const entry = startStall('--grandchild');
    const grandchild = await grandchildPid(entry);
    await stderrLine(entry, 'stall ready');
    assert.ok(isAlive(grandchild));
    const record = await entry.child.stop('session-end');
    assert.equal(record.stoppedBy, 'eof');
    // `stop` settles only once the whole group is gone, so no waiting here.
    assert.equal(isAlive(entry.child.pid as number), false);
    assert.equal(isAlive(grandchild), false);
    assert.deepEqual(processesTagged(entry.tag), []);
  });

  for (const [name, script] of [
    ['an exec wrapper', (tag: string) => `exec '${process.execPath}' '${STALL}' --ignore-eof --tag=${tag}`],
    ['a non-exec wrapper', (tag: string) => `'${process.execPath}' '${STALL}' --tag=${tag} ; true`],
    ['a non-exec wrapper around a server that ignores EOF', (tag: string) => `'${process.execPath}' '${STALL}' --ignore-eof --tag=${tag} ; true`],
  ] as const) {
    it(`leaves nothing of ${name} (sh -c) behind`, async () => {
      const tag = newTag();
      const entry = start('/bin/sh', ['-c', script(tag)], tag);
      await stderrLine(entry, 'stall ready');
      assert.ok(processesTagged(tag).length > 0);
      const record = await entry.child.stop('session-end');
      assert.ok(record.stoppedBy !== undefined);
      assert.deepEqual(processesTagged(tag), []);
    });
  }

  it('reaps a grandchild left behind by a leader that died on its own', async () => {
    const entry = startStall('--grandchild');
    const grandchild = await grandchildPid(entry);
    await stderrLine(entry, 'stall ready');
    process.kill(entry.child.pid as number, 'SIGKILL');
    const record: ExitRecord = await entry.child.exited;
    assert.equal(record.result, 'signal');
    assert.equal(record.signal, 'SIGKILL');
    assert.equal(record.stoppedBy, undefined);
    assert.equal(isAlive(grandchild), false);
    assert.deepEqual(processesTagged(entry.tag), []);
    // Stopping a child that is already gone returns the same record without a ladder.
    assert.equal(await entry.child.stop('session-end'), record);
  });
});

describe('settlesWithin', () => {
  const never = new Promise<never>(() => undefined);
  const cases: [string, () => Promise<unknown>, number, boolean][] = [
    ['a resolved promise', () => Promise.resolve(1), 50, true],
    ['a rejected promise', () => Promise.reject(new Error('no')), 50, true],
    ['a promise that settles before the time', () => new Promise((resolve) => setTimeout(resolve, 5)), 2000, true],
    ['a promise that never settles', () => never, 20, false],
    ['a resolved promise with no limit', () => Promise.resolve(1), Infinity, true],
    ['a rejected promise with no limit', () => Promise.reject(new Error('no')), Infinity, true],
  ];
  for (const [name, make, ms, expected] of cases) {
    it(`says ${expected} for ${name} within ${ms}ms`, async () => {
      assert.equal(await settlesWithin(make(), ms), expected);
    });
  }
});

describe('the exit record', () => {
  it('names an unplanned exit from its code and signal', () => {
    const cases: [number | null, string | null, string][] = [
      [0, null, 'success'],
      [3, null, 'exit-code'],
      [null, 'SIGKILL', 'signal'],
      [null, 'SIGTERM', 'signal'],
    ];
    for (const [code, signal, expected] of cases) assert.equal(unplannedResult(code, signal), expected, `${code} ${signal}`);
  });

  it('describes each kind of exit in one sentence', () => {
    const base = { exitCode: null, signal: null, durationMs: 120, pid: 42 };
    const cases: [ExitRecord, string][] = [
      [{ ...base, result: 'success', exitCode: 0 }, 'exited with code 0 after 120ms'],
      [{ ...base, result: 'exit-code', exitCode: 3 }, 'exited with code 3 after 120ms'],
      [{ ...base, result: 'signal', signal: 'SIGKILL' }, 'was killed by SIGKILL after 120ms'],
      [{ ...base, result: 'spawn-failed', pid: undefined, error: 'spawn /x ENOENT' }, 'could not be started: spawn /x ENOENT'],
      [{ ...base, result: 'spawn-failed', pid: undefined }, 'could not be started: unknown error'],
      [{ ...base, result: 'session-end', exitCode: 0, stoppedBy: 'eof' }, 'was stopped (session-end) after 120ms'],
      [{ ...base, result: 'idle', signal: 'SIGTERM' }, 'was stopped (idle) after 120ms'],
      [{ ...base, result: 'shutdown', signal: 'SIGKILL' }, 'was stopped (shutdown) after 120ms'],
    ];
    for (const [record, expected] of cases) assert.equal(describeExit(record), expected);
  });
});
