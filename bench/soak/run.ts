/**
 * The soak: one daemon (static tokens, idle timeouts of seconds, a warm pool, the echo fixture)
 * under churn on all three transports for --duration, sampled all along; then idle reaping and
 * SIGTERM are checked. A Markdown summary goes to stdout, the samples to a JSON file; the exit
 * code is 1 when a check failed. See SOAK.md for the method and the figures.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseDuration } from '../../src/config/duration.js';
import { killTagged } from '../lib/process-table.js';
import { ROOT, SIDECAR_CLI } from '../lib/paths.js';
import { describeMachine } from '../report/machine.js';
import { churnChecks } from './checks.js';
import { DAEMON_SETTINGS, ECHO_FIXTURE, startSoakDaemon, type SoakDaemon } from './daemon.js';
import { endgameChecks } from './endgame.js';
import { OPERATIONS } from './ops/registry.js';
import { parseOptions, USAGE, UsageError, type SoakOptions } from './options.js';
import { Outcomes } from './outcomes.js';
import { renderSummary } from './report.js';
import { startSampling, type Sample } from './sampler.js';
import { runChurn } from './workers.js';

const EXIT_FAILED = 1;
const EXIT_USAGE = 2;

function say(line: string): void {
  process.stderr.write(`${line}\n`);
}

function optionsOrExit(): SoakOptions {
  try {
    const options = parseOptions(process.argv.slice(2));
    if (options !== 'help') return options;
    process.stdout.write(USAGE);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    say(`error: ${error.message} (see --help)`);
    process.exit(EXIT_USAGE);
  }
  process.exit(0);
}

/** SIGKILLs the daemon and everything tagged when the soak itself is interrupted. */
function stopOnSignal(daemon: SoakDaemon, runTag: string): void {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      say(`${signal}: killing the daemon and its children`);
      daemon.process.kill('SIGKILL');
      killTagged(runTag);
      process.exit(130);
    });
  }
}

function describeSample(sample: Sample): string {
  const metrics = sample.metrics;
  const view = metrics === undefined ? '/metrics unreadable' : `sessions ${metrics.sessionsActive} · children ${metrics.children} · in flight ${metrics.requestsInFlight} · refused ${metrics.refused}`;
  return `${sample.t.toFixed(0).padStart(5)} s  RSS ${(sample.rssKiB / 1024).toFixed(1)} MiB · fds ${sample.fds} · descendants ${sample.descendants} · ${view} · load ${sample.load1}`;
}

async function main(): Promise<void> {
  const options = optionsOrExit();
  for (const file of [SIDECAR_CLI, ECHO_FIXTURE]) {
    if (!existsSync(file)) {
      say(`error: ${path.relative(ROOT, file)} is missing; run npm run build first`);
      process.exit(EXIT_FAILED);
    }
  }
  const runTag = `soak-${randomUUID().slice(0, 8)}`;
  const workDir = mkdtempSync(path.join(os.tmpdir(), 'mcp-sidecar-soak-'));
  const samplesFile = path.resolve(options.out ?? path.join(os.tmpdir(), `mcp-sidecar-${runTag}.json`));
  const daemon = await startSoakDaemon(options.workers, runTag, workDir);
  stopOnSignal(daemon, runTag);
  const idleTimeoutMs = parseDuration(DAEMON_SETTINGS.idleTimeout) as number;
  const wrongToken = randomBytes(18).toString('base64url');
  const contexts = daemon.tokens.map((token) => ({ baseUrl: daemon.baseUrl, token, wrongToken, idleTimeoutMs }));
  say(`soak ${runTag}: ${options.workers} workers for ${options.durationMs / 1000} s against ${daemon.baseUrl} (pid ${daemon.pid}); sampling every ${options.sampleEveryMs / 1000} s; log ${daemon.logFile}`);

  const startedAt = Date.now();
  const outcomes = new Outcomes();
  const sampling = startSampling(daemon.pid, daemon.baseUrl, startedAt, options.sampleEveryMs, (sample) => say(describeSample(sample)));
  await runChurn({ operations: OPERATIONS, contexts, deadline: startedAt + options.durationMs, startedAt }, outcomes);
  const samples = await sampling.stop();
  const durationSeconds = (Date.now() - startedAt) / 1000;
  say(`churn done after ${durationSeconds.toFixed(0)} s; waiting for idle reaping, then SIGTERM`);

  const checks = [...churnChecks(samples, outcomes), ...await endgameChecks(daemon, { idleTimeoutMs, poolMin: DAEMON_SETTINGS.poolMin, runTag })];
  const daemonArgs = `--auth-tokens (${options.workers}) --idle-timeout ${DAEMON_SETTINGS.idleTimeout} --idle-timeout-unused ${DAEMON_SETTINGS.idleTimeout} --pool-min ${DAEMON_SETTINGS.poolMin} -- echo-server`;
  const command = `npm run soak -- ${process.argv.slice(2).join(' ')}`.trim();
  writeFileSync(samplesFile, `${JSON.stringify({ machine: describeMachine(), command, options, daemonArgs, durationSeconds, checks, outcomes, samples }, null, 1)}\n`);
  process.stdout.write(renderSummary({ command, durationSeconds, workers: options.workers, daemonArgs, operations: OPERATIONS, outcomes, samples, checks, samplesFile }));

  const left = killTagged(runTag);
  if (left.length > 0) say(`killed what was left: ${left.map(({ pid, cmdline }) => `${pid} ${cmdline}`).join('; ')}`);
  if (checks.some((check) => !check.passed)) {
    say(`soak FAILED; daemon log kept in ${daemon.logFile}`);
    process.exit(EXIT_FAILED);
  }
  if (options.keepLogs) say(`daemon log kept in ${daemon.logFile}`);
  else rmSync(workDir, { recursive: true, force: true });
}

await main();
