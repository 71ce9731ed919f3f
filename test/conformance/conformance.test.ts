/**
 * The official MCP conformance suite, 0.1.16 (every server scenario: `--suite all`), against the
 * real daemon in front of the conformance fixture. Every scenario opens its own session, so this
 * also runs ~33 children side by side and checks none is left behind.
 *
 * The suite is installed on first use into `.cache/conformance` with its own Node 22 (suite.ts).
 * conformance-2026.test.ts runs the 0.2.0 alpha's requirement sets against the same fixture.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { startDaemon } from '../helpers/daemon.js';
import {
  INSTALL_TIMEOUT_MS,
  SKIP_REASON,
  describeChecks,
  describeRun,
  ensureSuiteInstalled,
  onLinuxX64,
  pinSuite,
  problemLogs,
  readChecks,
  runServerSuite,
  withStatus,
} from './suite.js';

const SUITE = pinSuite('0.1.16', 'conformance');

// The whole suite takes ~30 s through the daemon; one hung request costs the suite's 60 s timeout.
const RUN_TIMEOUT_MS = 180_000;
/** 44 checks pass on the suite's own reference server (0.1.16, --suite all). */
const MIN_PASSED = 44;
/**
 * Counted as passed only when a POST is answered with SSE. The daemon answers with JSON when
 * nothing comes before the response (post-stream.ts), which the spec allows and the scenario
 * records as INFO ("SSE streaming is optional"): then one check fewer passes.
 */
const OPTIONAL_SSE_CHECK = 'server-sse-multiple-streams/server-sse-streams-functional';

/**
 * server-sse-polling (SEP-1699) may only warn about these: an SDK-based server sends no priming
 * event and no `retry:` field to a request made with protocol version 2025-03-26, as the scenario's
 * is. The reference server gets the same two warnings. Any other warning is a regression.
 */
const ACCEPTED_WARNINGS = new Set(['server-sse-polling/server-sse-priming-event', 'server-sse-polling/server-sse-retry-field']);

test(
  'the MCP conformance suite passes every server scenario through the daemon',
  { timeout: INSTALL_TIMEOUT_MS + RUN_TIMEOUT_MS + 60_000 },
  async (t) => {
    if (!onLinuxX64) {
      t.skip(SKIP_REASON);
      return;
    }
    t.diagnostic(`conformance@${SUITE.version}: ${await ensureSuiteInstalled(SUITE)} in ${SUITE.cache}`);

    const outputDir = mkdtempSync(path.join(tmpdir(), 'mcp-sidecar-conformance-'));
    // dns-rebinding-protection only runs against a loopback URL (and 127.0.0.1 avoids IPv6 surprises).
    const daemon = await startDaemon({ fixture: { name: 'conformance-server' }, args: ['--host', '127.0.0.1'] });
    let passedAll = false;
    try {
      const finished = await runServerSuite(SUITE, daemon.url, ['--suite', 'all', '-o', outputDir], RUN_TIMEOUT_MS);
      const context = `${describeRun('conformance', finished)}\n--- daemon warnings and errors ---\n${problemLogs(daemon.logs)}\n(results kept in ${outputDir})`;
      assert.ok(!finished.timedOut, context);

      // The failed checks first: their messages say more than the exit code.
      const results = readChecks(outputDir);
      const failures = withStatus(results, 'FAILURE');
      assert.deepEqual(failures.map(({ key }) => key), [], `failed checks:\n${describeChecks(failures)}\n${context}`);
      assert.equal(finished.code, 0, context);
      const summaryLines = finished.stdout.match(/^[✓✗] \S+: \d+ passed, \d+ failed$/gm) ?? [];
      assert.ok(results.length > 0, `no checks.json written\n${context}`);
      assert.equal(results.length, summaryLines.length, `checks.json for ${results.length} scenarios, summary lists ${summaryLines.length}\n${context}`);

      const total = /^Total: (\d+) passed, (\d+) failed$/m.exec(finished.stdout);
      assert.ok(total, `no "Total: N passed, M failed" line\n${context}`);
      const [passed, failed] = [Number(total[1]), Number(total[2])];
      assert.equal(failed, 0, `${failed} check(s) failed\n${context}`);
      const sseOptional = withStatus(results, 'INFO').some(({ key }) => key === OPTIONAL_SSE_CHECK);
      const minPassed = sseOptional ? MIN_PASSED - 1 : MIN_PASSED;
      assert.ok(passed >= minPassed, `only ${passed} checks passed, expected at least ${minPassed}\n${context}`);

      const warnings = withStatus(results, 'WARNING');
      const unexpected = warnings.filter(({ key }) => !ACCEPTED_WARNINGS.has(key));
      assert.deepEqual(unexpected.map(({ key }) => key), [], `unexpected warnings:\n${describeChecks(unexpected)}\n${context}`);

      t.diagnostic(`${results.length} scenarios, ${passed} checks passed, 0 failed, in ${(finished.durationMs / 1000).toFixed(1)} s`);
      if (sseOptional) t.diagnostic(`${OPTIONAL_SSE_CHECK}: INFO (POSTs answered with JSON; SSE is optional)`);
      t.diagnostic(`warnings (${warnings.length}, accepted): ${warnings.map(({ key }) => key).join(', ') || 'none'}`);
      passedAll = true;
    } finally {
      await daemon.close();
      // A failed run keeps its checks.json files for a closer look; the messages above name the folder.
      if (passedAll) rmSync(outputDir, { recursive: true, force: true });
    }
  },
);
