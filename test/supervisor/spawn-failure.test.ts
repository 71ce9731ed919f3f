/**
 * A child that cannot be started, or dies before it answers, is explained: the SDK client's error
 * carries the reason (ENOENT, EACCES, the exit code) and the child's last stderr lines, in the
 * message and in `data`; and once three children in a row failed, /readyz is 503 and says why.
 */
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { McpError } from '@modelcontextprotocol/sdk/types.js';
import { FAILURES_BEFORE_UNREADY } from '../../src/supervisor/spawn-health.js';
import { startDaemon, type LogLine, type TestDaemon } from '../helpers/daemon.js';
import { fixture } from '../helpers/fixtures.js';
import { rawRequest } from '../helpers/http.js';
import { connectClient } from '../helpers/mcp-client.js';
import { waitFor } from '../helpers/poll.js';
import { assertNoneTagged, newTag, processesTagged } from '../helpers/process-table.js';

interface FailureData {
  reason: string;
  exit: { result: string; exitCode: number | null; error?: string };
  stderr: string[];
}

/** Connects and expects the connect to fail with the sidecar's JSON-RPC error. */
async function failedConnect(url: string): Promise<McpError> {
  const outcome = await connectClient(url).then(
    async (connected) => {
      await connected.close();
      return undefined;
    },
    (error: unknown) => error,
  );
  assert.ok(outcome instanceof McpError, `connect() should have rejected with an McpError, got ${String(outcome)}`);
  return outcome;
}

async function readiness(daemon: TestDaemon): Promise<{ status: number; reason: string | undefined }> {
  const response = await rawRequest(`${daemon.baseUrl}/readyz`, { method: 'GET' });
  return { status: response.status, reason: (response.json as { reason?: string }).reason };
}

const errorsLogged = (daemon: TestDaemon): LogLine[] => daemon.logs.filter((line) => line.level === 'error' || line.level === 'fatal');

const scratch = mkdtempSync(path.join(tmpdir(), 'mcp-sidecar-spawn-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

interface Case {
  name: string;
  /** The command to serve; `tag` is in it so the process table can be checked. */
  command(tag: string): string[];
  code: number;
  reason: string;
  /** How the exit record says it ended: the spawn error, or the exit code. */
  exit: { result: 'spawn-failed'; error: RegExp } | { result: 'exit-code'; exitCode: number };
  message: RegExp;
  stderr: string[];
  /** /readyz knows before any session (the command is missing or not executable). */
  unreadyFromStart: RegExp | undefined;
  unreadyAfterFailures: RegExp;
}

const CRASH_STDERR = ['fatal: config error line 1', 'fatal: missing API_KEY', 'fatal: giving up'];

const CASES: Case[] = [
  {
    name: 'a command that does not exist (ENOENT)',
    command: (tag) => [`/nonexistent/mcp-server-${tag}`],
    code: -32002,
    reason: 'CHILD_START_FAILED',
    exit: { result: 'spawn-failed', error: /ENOENT/ },
    message: /could not be started: .*ENOENT/,
    stderr: [],
    unreadyFromStart: /command not found or not executable: \/nonexistent\/mcp-server-/,
    unreadyAfterFailures: /command not found or not executable: \/nonexistent\/mcp-server-/,
  },
  {
    name: 'a file without execute permission (EACCES)',
    command: (tag) => {
      const file = path.join(scratch, `mcp-server-${tag}`);
      writeFileSync(file, '#!/bin/sh\nexec sleep 60\n');
      chmodSync(file, 0o644);
      return [file];
    },
    code: -32002,
    reason: 'CHILD_START_FAILED',
    exit: { result: 'spawn-failed', error: /EACCES/ },
    message: /could not be started: .*EACCES/,
    stderr: [],
    unreadyFromStart: /command not found or not executable: .*mcp-server-/,
    unreadyAfterFailures: /command not found or not executable: .*mcp-server-/,
  },
  {
    name: 'a server that exits at once (crash-before-init --on=start)',
    command: (tag) => fixture('crash-before-init', tag, '--on=start'),
    code: -32003,
    reason: 'CHILD_EXITED',
    exit: { result: 'exit-code', exitCode: 3 },
    message: /exited with code 3 after \d+ms; its last stderr lines: fatal: config error line 1 \| fatal: missing API_KEY \| fatal: giving up/,
    stderr: CRASH_STDERR,
    unreadyFromStart: undefined,
    unreadyAfterFailures: /^the last 3 children failed before initialize; last: the child exited with code 3 after \d+ms$/,
  },
];

for (const failure of CASES) {
  describe(failure.name, () => {
    it(`fails connect() with ${failure.reason}, saying why; /readyz is 503 after ${FAILURES_BEFORE_UNREADY} failures`, async () => {
      const tag = newTag();
      const daemon = await startDaemon({ command: failure.command(tag) });
      try {
        const before = await readiness(daemon);
        if (failure.unreadyFromStart) {
          assert.equal(before.status, 503);
          assert.match(before.reason ?? '', failure.unreadyFromStart);
        } else {
          assert.equal(before.status, 200);
        }

        for (let attempt = 1; attempt <= FAILURES_BEFORE_UNREADY; attempt++) {
          const error = await failedConnect(daemon.url);
          assert.equal(error.code, failure.code);
          assert.match(error.message, failure.message);
          const data = error.data as FailureData;
          assert.equal(data.reason, failure.reason);
          assert.deepEqual(data.stderr, failure.stderr);
          assert.equal(data.exit.result, failure.exit.result);
          if (failure.exit.result === 'spawn-failed') assert.match(data.exit.error ?? '', failure.exit.error);
          else assert.equal(data.exit.exitCode, failure.exit.exitCode);

          const ready = await readiness(daemon);
          if (attempt < FAILURES_BEFORE_UNREADY && !failure.unreadyFromStart) {
            assert.equal(ready.status, 200, `/readyz after ${attempt} failure(s)`);
          } else if (attempt === FAILURES_BEFORE_UNREADY) {
            assert.equal(ready.status, 503, `/readyz after ${attempt} failures`);
            assert.match(ready.reason ?? '', failure.unreadyAfterFailures);
          }
        }

        // Each failed child ended its session (the log is asynchronous: the last line may trail the answer).
        await waitFor(() => daemon.logs.filter((line) => line.msg === 'session closed').length === FAILURES_BEFORE_UNREADY, {
          timeoutMs: 5000, what: `${FAILURES_BEFORE_UNREADY} 'session closed' lines`,
        });
        assert.ok(!daemon.logs.some((line) => line.msg.startsWith("restarting the session's child")), 'a child that never initialized is not restarted');
        assert.equal((await rawRequest(`${daemon.baseUrl}/healthz`, { method: 'GET' })).status, 200);
        assert.deepEqual(processesTagged(tag).filter((info) => info.pid !== daemon.pid), []);
        assert.deepEqual(errorsLogged(daemon), []);
      } finally {
        await daemon.close();
        await assertNoneTagged(tag);
      }
    });
  });
}
