/**
 * Processes found by an environment variable rather than their command line: what a service
 * manager starts (PM2's God daemon, systemd-notify helpers, the demo server) carries no test tag in
 * its arguments, but inherits the environment the test gave it.
 */
import { readFileSync } from 'node:fs';
import { listProcesses } from '../helpers/process-table.js';

/** Pids of live (non-zombie) processes, other than this one, whose environment has `name=value`. */
export function processesWithEnv(name: string, value: string): number[] {
  const wanted = `${name}=${value}`;
  const found: number[] = [];
  for (const info of listProcesses()) {
    if (info.pid === process.pid) continue;
    try {
      if (readFileSync(`/proc/${info.pid}/environ`, 'utf8').split('\0').includes(wanted)) found.push(info.pid);
    } catch {
      // It exited while we looked, or is not ours to read.
    }
  }
  return found;
}
