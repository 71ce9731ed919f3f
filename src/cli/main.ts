#!/usr/bin/env node
/**
 * Entry point: parse the command line, start the daemon, and turn signals into the shutdown
 * sequence. Exit codes: 0 after a clean shutdown, 1 when it cannot run (cannot listen, a crash),
 * 2 for a bad option or value.
 */
import { readFileSync } from 'node:fs';
import { CommanderError } from 'commander';
import { Daemon } from '../daemon/daemon.js';
import { ServiceNotifier } from '../daemon/service-notify.js';
import { SidecarError } from '../errors/local.js';
import { createLogger, type Logger } from '../observability/logger.js';
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

function exitAfterFlush(logger: Logger, code: number): void {
  logger.flush(() => process.exit(code));
}

async function main(): Promise<void> {
  // Signals first: one that arrives while we start must still take the orderly path.
  let onSignal: (signal: NodeJS.Signals) => void = () => process.exit(0);
  for (const signal of ['SIGTERM', 'SIGINT'] as const) process.on(signal, () => onSignal(signal));
  let onHangup: () => void = () => undefined;
  process.on('SIGHUP', () => onHangup());

  const { config, command } = parseOrExit();
  const logger = createLogger(config.logLevel);
  // Before the daemon copies the environment for its children: they must not inherit NOTIFY_SOCKET.
  const notifier = ServiceNotifier.fromEnvironment(logger);
  let daemon: Daemon;
  try {
    daemon = new Daemon(config, command, logger);
  } catch (error) {
    // A token, policy or TLS file that cannot be used: one line, like any bad option.
    process.stderr.write(`error: ${error instanceof Error ? error.message : String(error)}\n`);
    return exitAfterFlush(logger, 2);
  }
  notifier.attach(daemon.lifecycle);
  onSignal = (signal) => void daemon.shutdown(signal).then(() => notifier.settled()).then(() => exitAfterFlush(logger, 0));
  // Tokens, tool policy, per-principal environments and TLS files are re-read; nothing else changes.
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
