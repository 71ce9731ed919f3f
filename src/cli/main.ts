#!/usr/bin/env node
/**
 * Entry point: parse the command line, start the daemon, and turn signals into the shutdown
 * sequence. Exit codes: 0 after a clean shutdown, 1 when it cannot run (cannot listen, a crash),
 * 2 for a bad option or value.
 */
import { readFileSync } from 'node:fs';
import { CommanderError } from 'commander';
import { loadConfigFile } from '../config/config-file.js';
import { configJsonSchema } from '../config/json-schema.js';
import { singleServerPlan, type DaemonPlan } from '../config/plan.js';
import { Daemon } from '../daemon/daemon.js';
import { ServiceNotifier } from '../daemon/service-notify.js';
import { SidecarError } from '../errors/local.js';
import { createLogger, type Logger } from '../observability/logger.js';
import { serverNameFrom } from '../supervisor/child-spec.js';
import { checkConfig } from './check-config.js';
import { buildProgram, parseCommandLine, type ParsedCommandLine } from './program.js';

const EXIT_USAGE = 2;
const EXIT_FAILURE = 1;

function packageVersion(): string {
  const manifest = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };
  return manifest.version;
}

function parseOrExit(): ParsedCommandLine {
  const program = buildProgram(packageVersion()).exitOverride();
  try {
    return parseCommandLine(program, process.argv);
  } catch (error) {
    if (error instanceof CommanderError) process.exit(error.exitCode === 0 ? 0 : EXIT_USAGE);
    throw error;
  }
}

/** The command line's one server, or a config file's servers; a file that does not load exits 2, each error on a line. */
function planOrExit(parsed: ParsedCommandLine): { plan: DaemonPlan; notes: string[] } {
  if (parsed.configFile === undefined) {
    return { plan: singleServerPlan(parsed.config, parsed.command, serverNameFrom(parsed.config, parsed.command)), notes: [] };
  }
  const loaded = loadConfigFile(parsed.configFile, parsed);
  if (loaded.ok) return { plan: loaded.plan, notes: loaded.notes };
  for (const error of loaded.errors) process.stderr.write(`error: ${error}\n`);
  process.exit(EXIT_USAGE);
}

function exitAfterFlush(logger: Logger, code: number): void {
  logger.flush(() => process.exit(code));
}

async function main(): Promise<void> {
  // Signals first: one that arrives while we start must still take the orderly path.
  let onSignal: (signal: NodeJS.Signals) => void = () => process.exit(0);
  for (const signal of ['SIGTERM', 'SIGINT'] as const) process.on(signal, () => onSignal(signal));
  let onHangup: () => void = () => undefined;
  process.on('SIGHUP', () => onHangup());

  const parsed = parseOrExit();
  if (parsed.action === 'print-config-schema') {
    process.stdout.write(`${JSON.stringify(configJsonSchema(), null, 2)}\n`);
    return;
  }
  if (parsed.action === 'check-config') {
    process.exitCode = checkConfig(parsed, parsed.configFile as string);
    return;
  }
  const plan = planOrExit(parsed);
  const logger = createLogger(plan.plan.config.logLevel);
  for (const note of plan.notes) logger.warn({ file: parsed.configFile }, note);
  // Before the daemon copies the environment for its children: they must not inherit NOTIFY_SOCKET.
  const notifier = ServiceNotifier.fromEnvironment(logger);
  let daemon: Daemon;
  try {
    const file = parsed.configFile;
    daemon = new Daemon(plan.plan, logger, file === undefined ? {} : { reread: (running) => loadConfigFile(file, parsed, running) });
  } catch (error) {
    // A token, policy or TLS file that cannot be used: one line, like any bad option.
    process.stderr.write(`error: ${error instanceof Error ? error.message : String(error)}\n`);
    return exitAfterFlush(logger, 2);
  }
  notifier.attach(daemon.lifecycle);
  onSignal = (signal) => void daemon.shutdown(signal).then(() => notifier.settled()).then(() => exitAfterFlush(logger, 0));
  // The config file, tokens, tool policies, per-principal environments and TLS files are re-read.
  onHangup = () => daemon.reload();

  process.on('unhandledRejection', (reason) => logger.error({ err: reason }, 'unhandled rejection (kept running)'));
  process.on('uncaughtException', (error) => {
    logger.fatal({ err: error }, 'uncaught exception: shutting down');
    void daemon.shutdown('uncaughtException').finally(() => exitAfterFlush(logger, EXIT_FAILURE));
  });

  try {
    await daemon.listen();
  } catch (error) {
    const message = error instanceof SidecarError ? error.message : String(error);
    process.stderr.write(`error: ${message}\n`);
    exitAfterFlush(logger, EXIT_FAILURE);
  }
}

void main();
