/**
 * What a soak must show, as pure functions of what it measured: every answer expected, and the
 * daemon's RSS and fds flat (the last third's median within a bound of the first third's).
 */
import { median } from '../lib/stats.js';
import type { Outcomes } from './outcomes.js';
import type { Sample } from './sampler.js';

/** The flatness bounds: last-third median ≤ first-third median × factor + slack. */
export const BOUNDS = { rssFactor: 1.25, rssSlackMiB: 20, fdSlack: 20 } as const;

export interface Check {
  name: string;
  passed: boolean;
  measured: string;
  bound: string;
}

export interface Thirds {
  first: Sample[];
  last: Sample[];
}

/** The first and last third of the samples (by count; samples are evenly spaced). */
export function thirdsOf(samples: readonly Sample[]): Thirds {
  const third = Math.floor(samples.length / 3);
  return { first: samples.slice(0, third), last: samples.slice(samples.length - third) };
}

export interface Flatness {
  rssFirstMiB: number;
  rssLastMiB: number;
  fdsFirst: number;
  fdsLast: number;
}

export function flatnessOf(samples: readonly Sample[]): Flatness {
  const { first, last } = thirdsOf(samples);
  const mib = (part: Sample[]): number => median(part.map((sample) => sample.rssKiB)) / 1024;
  return {
    rssFirstMiB: mib(first),
    rssLastMiB: mib(last),
    fdsFirst: median(first.map((sample) => sample.fds)),
    fdsLast: median(last.map((sample) => sample.fds)),
  };
}

const MIN_SAMPLES = 6;

export function churnChecks(samples: readonly Sample[], outcomes: Outcomes): Check[] {
  const flat = flatnessOf(samples);
  const rssBound = flat.rssFirstMiB * BOUNDS.rssFactor + BOUNDS.rssSlackMiB;
  const fdBound = flat.fdsFirst + BOUNDS.fdSlack;
  const enough = samples.length >= MIN_SAMPLES;
  const runs = [...outcomes.byOperation.values()].reduce((sum, tally) => sum + tally.runs, 0);
  return [
    { name: 'unexpected answers', passed: outcomes.unexpectedTotal === 0 && runs > 0, measured: `${outcomes.unexpectedTotal} of ${runs}`, bound: '0 (and at least one operation)' },
    { name: 'samples', passed: enough, measured: String(samples.length), bound: `at least ${MIN_SAMPLES}, for thirds` },
    {
      name: 'daemon RSS flat', passed: enough && flat.rssLastMiB <= rssBound,
      measured: `last third ${flat.rssLastMiB.toFixed(1)} MiB, first third ${flat.rssFirstMiB.toFixed(1)} MiB`,
      bound: `last ≤ first × ${BOUNDS.rssFactor} + ${BOUNDS.rssSlackMiB} MiB = ${rssBound.toFixed(1)} MiB`,
    },
    {
      name: 'daemon fds flat', passed: enough && flat.fdsLast <= fdBound,
      measured: `last third ${flat.fdsLast}, first third ${flat.fdsFirst}`,
      bound: `last ≤ first + ${BOUNDS.fdSlack} = ${fdBound}`,
    },
  ];
}
