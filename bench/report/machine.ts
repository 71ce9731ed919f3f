/** The machine a run was on, and what ran on it: a figure means nothing without them. */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { packageVersion, ROOT } from '../lib/paths.js';

export interface Machine {
  cpu: string;
  cores: number;
  memoryGiB: number;
  kernel: string;
  node: string;
  date: string;
  commit: string;
  versions: Record<string, string>;
}

function cpuModel(): string {
  try {
    const match = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'));
    if (match?.[1]) return match[1].trim();
  } catch {
    // Not Linux: fall back to what node knows.
  }
  return os.cpus()[0]?.model ?? 'unknown';
}

function gitCommit(): string {
  try {
    const head = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--', 'src'], { cwd: ROOT, encoding: 'utf8' }).trim() !== '';
    return dirty ? `${head} + uncommitted changes in src/` : head;
  } catch {
    return 'unknown (no git)';
  }
}

export function describeMachine(): Machine {
  return {
    cpu: cpuModel(),
    cores: os.availableParallelism(),
    memoryGiB: os.totalmem() / 1024 ** 3,
    kernel: `${os.type()} ${os.release()}`,
    node: process.version,
    date: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    commit: gitCommit(),
    versions: Object.fromEntries(['supergateway', 'mcp-proxy', '@modelcontextprotocol/sdk'].map((name) => [name, packageVersion(name)])),
  };
}

/** The 1-minute load average: how busy the machine was besides the bench. */
export function loadAverage(): string {
  return os.loadavg()[0]?.toFixed(2) ?? '?';
}
