/**
 * Whether the daemon can start a working child, for /readyz. A command that is not there is known
 * before any session; a command that starts but dies before answering initialize is learned from
 * consecutive failures, and one success clears them.
 */
import { accessSync, constants, statSync } from 'node:fs';
import path from 'node:path';

export const FAILURES_BEFORE_UNREADY = 3;

export class SpawnHealth {
  private consecutiveFailures = 0;
  private lastFailure: string | undefined;
  private readonly commandProblem: string | undefined;

  constructor(command: string, env: Record<string, string | undefined>, cwd: string | undefined) {
    this.commandProblem = findCommandProblem(command, env.PATH, cwd);
  }

  recordSuccess(): void {
    this.consecutiveFailures = 0;
    this.lastFailure = undefined;
  }

  recordFailure(description: string): void {
    this.consecutiveFailures++;
    this.lastFailure = description;
  }

  /** Why children cannot be started right now, or `undefined` when they can. */
  problem(): string | undefined {
    if (this.commandProblem) return this.commandProblem;
    if (this.consecutiveFailures >= FAILURES_BEFORE_UNREADY) {
      return `the last ${this.consecutiveFailures} children failed before initialize; last: ${this.lastFailure}`;
    }
    return undefined;
  }
}

function isExecutableFile(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return statSync(file).isFile();
  } catch {
    return false; // Missing or not executable: the caller reports it.
  }
}

/** Resolves `command` as the spawn will (PATH lookup for bare names) and says what is wrong. */
export function findCommandProblem(command: string, pathVariable: string | undefined, cwd: string | undefined): string | undefined {
  if (command.includes('/')) {
    const resolved = path.resolve(cwd ?? process.cwd(), command);
    return isExecutableFile(resolved) ? undefined : `command not found or not executable: ${command}`;
  }
  for (const dir of (pathVariable ?? '').split(path.delimiter)) {
    if (dir && isExecutableFile(path.join(dir, command))) return undefined;
  }
  return `command not found in PATH: ${command}`;
}
