/**
 * `mcp-sidecar --check-config FILE`, like `nginx -t`: the file is read as the daemon would read
 * it (with the flags and MCP_SIDECAR_* variables given beside it), every server is built (token
 * files, tool policies, per-principal environments and TLS files read), nothing is spawned and
 * nothing listens. Valid: the effective configuration on stdout (secrets redacted), where each
 * server is served, a warning for a command not found, and "test is successful" on stderr, exit 0. Not: every error on stderr, one a
 * line, exit 2.
 */
import { loadConfigFile } from '../config/config-file.js';
import { Daemon } from '../daemon/daemon.js';
import { createLogger } from '../observability/logger.js';
import { effectiveConfig, servedPaths } from './effective-config.js';
import type { ParsedCommandLine } from './program.js';

export const EXIT_VALID = 0;
export const EXIT_INVALID = 2;

/** Runs the check and returns the exit code. */
export function checkConfig(parsed: ParsedCommandLine, file: string): number {
  const loaded = loadConfigFile(file, parsed);
  if (!loaded.ok) {
    for (const error of loaded.errors) process.stderr.write(`${error}\n`);
    process.stderr.write(`mcp-sidecar: configuration file ${file} test failed\n`);
    return EXIT_INVALID;
  }
  let daemon: Daemon;
  try {
    daemon = new Daemon(loaded.plan, createLogger('silent'));
  } catch (error) {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.stderr.write(`mcp-sidecar: configuration file ${file} test failed\n`);
    return EXIT_INVALID;
  }
  process.stdout.write(`${JSON.stringify(effectiveConfig(loaded.plan), null, 2)}\n`);
  for (const note of loaded.notes) process.stderr.write(`note: ${note}\n`);
  for (const unit of daemon.slots.units()) {
    const problem = unit.host.spawnHealth.problem();
    if (problem) process.stderr.write(`warning: ${file}: ${unit.plan.origin ?? unit.name}.command: ${problem} (the daemon would start; this server would not be ready)\n`);
  }
  for (const line of servedPaths(loaded.plan)) process.stderr.write(`serves ${line}\n`);
  process.stderr.write(`mcp-sidecar: configuration file ${file} test is successful\n`);
  return EXIT_VALID;
}
