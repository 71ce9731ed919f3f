/**
 * Every few seconds: the daemon's RSS and open fds from /proc, its live descendants (the
 * children it supervises and anything they started), and a few /metrics values.
 */
import { readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import { treeOf } from '../lib/process-table.js';
import { readMetrics, type MetricValues } from './metrics.js';

export interface Sample {
  /** Seconds since the churn started. */
  t: number;
  rssKiB: number;
  fds: number;
  descendants: number;
  metrics: MetricValues | undefined;
  load1: number;
}

export function rssKiBOf(pid: number): number {
  const match = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match ? Number(match[1]) : Number.NaN;
}

export function fdCountOf(pid: number): number {
  return readdirSync(`/proc/${pid}/fd`).length;
}

/** Live descendants of `pid` (not `pid` itself). */
export function descendantsOf(pid: number): number[] {
  return treeOf([pid]).map((entry) => entry.pid).filter((found) => found !== pid);
}

export async function takeSample(pid: number, baseUrl: string, startedAt: number): Promise<Sample> {
  const metrics = await readMetrics(baseUrl).catch(() => undefined);
  return {
    t: Math.round((Date.now() - startedAt) / 100) / 10,
    rssKiB: rssKiBOf(pid),
    fds: fdCountOf(pid),
    descendants: descendantsOf(pid).length,
    metrics,
    load1: Math.round((os.loadavg()[0] ?? 0) * 100) / 100,
  };
}

/** Samples every `everyMs` until stopped; `stop()` resolves with every sample taken. */
export function startSampling(pid: number, baseUrl: string, startedAt: number, everyMs: number, onSample: (sample: Sample) => void): { stop(): Promise<Sample[]> } {
  const samples: Sample[] = [];
  let running = true;
  let timer: NodeJS.Timeout | undefined;
  let wake: (() => void) | undefined;
  const loop = (async () => {
    while (running) {
      const sample = await takeSample(pid, baseUrl, startedAt);
      samples.push(sample);
      onSample(sample);
      await new Promise<void>((resolve) => {
        wake = resolve;
        timer = setTimeout(resolve, everyMs);
      });
    }
  })();
  return {
    async stop() {
      running = false;
      clearTimeout(timer);
      wake?.();
      await loop;
      return samples;
    },
  };
}
