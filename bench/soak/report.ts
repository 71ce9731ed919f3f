/** The soak's summary as Markdown: checks, operations with their outcomes, and the samples in brief. */
import { max } from '../lib/stats.js';
import { flatnessOf, type Check } from './checks.js';
import type { Operation } from './ops/operation.js';
import type { Outcomes } from './outcomes.js';
import type { Sample } from './sampler.js';

export interface SoakSummary {
  command: string;
  durationSeconds: number;
  workers: number;
  daemonArgs: string;
  operations: readonly Operation[];
  outcomes: Outcomes;
  samples: readonly Sample[];
  checks: readonly Check[];
  samplesFile: string;
}

function checksTable(checks: readonly Check[]): string[] {
  return [
    '| Check | Result | Measured | Bound |',
    '| --- | --- | --- | --- |',
    ...checks.map((check) => `| ${check.name} | ${check.passed ? 'pass' : '**FAIL**'} | ${check.measured} | ${check.bound} |`),
  ];
}

function operationsTable(operations: readonly Operation[], outcomes: Outcomes): string[] {
  const lines = ['| Operation | Transport | Runs | Expected outcomes | Unexpected |', '| --- | --- | ---: | --- | ---: |'];
  for (const operation of operations) {
    const tally = outcomes.byOperation.get(operation.name) ?? { runs: 0, expected: {}, unexpected: 0 };
    const expected = Object.entries(tally.expected).map(([label, count]) => `${label} ${count}`).join(', ') || '-';
    lines.push(`| ${operation.name} | ${operation.transport} | ${tally.runs} | ${expected} | ${tally.unexpected} |`);
  }
  const total = [...outcomes.byOperation.values()].reduce((sum, tally) => sum + tally.runs, 0);
  lines.push(`| **all** | | ${total} | | ${outcomes.unexpectedTotal} |`);
  return lines;
}

function samplesTable(samples: readonly Sample[]): string[] {
  const flat = flatnessOf(samples);
  const metric = (pick: (sample: Sample) => number | undefined): string => String(max(samples.map((sample) => pick(sample) ?? 0)));
  const last = samples.at(-1)?.metrics;
  return [
    '| Daemon | First third (median) | Last third (median) | Max |',
    '| --- | ---: | ---: | ---: |',
    `| RSS (MiB) | ${flat.rssFirstMiB.toFixed(1)} | ${flat.rssLastMiB.toFixed(1)} | ${(max(samples.map((sample) => sample.rssKiB)) / 1024).toFixed(1)} |`,
    `| open fds | ${flat.fdsFirst} | ${flat.fdsLast} | ${max(samples.map((sample) => sample.fds))} |`,
    '',
    `Max while churning: descendants ${metric((sample) => sample.descendants)}, sessions_active ${metric((sample) => sample.metrics?.sessionsActive)}, ` +
      `children ${metric((sample) => sample.metrics?.children)}, requests_in_flight ${metric((sample) => sample.metrics?.requestsInFlight)}. ` +
      `At the churn's end: sessions started ${last?.sessionsStarted ?? '?'}, child exits ${last?.childExits ?? '?'}, refused ${last?.refused ?? '?'}, ` +
      `slow clients disconnected ${last?.slowClientsDisconnected ?? '?'}. Load (1 min) ${Math.min(...samples.map((sample) => sample.load1))}–${max(samples.map((sample) => sample.load1))}.`,
  ];
}

export function renderSummary(summary: SoakSummary): string {
  const failed = summary.checks.filter((check) => !check.passed).length;
  const lines = [
    `## Soak: ${failed === 0 ? 'passed' : `FAILED (${failed} check(s))`}`,
    '',
    `\`${summary.command}\`: ${summary.workers} workers for ${summary.durationSeconds.toFixed(0)} s against one daemon (\`${summary.daemonArgs}\`); ${summary.samples.length} samples in ${summary.samplesFile}.`,
    '',
    ...checksTable(summary.checks),
    '',
    ...operationsTable(summary.operations, summary.outcomes),
    '',
    ...samplesTable(summary.samples),
  ];
  if (summary.outcomes.unexpected.length > 0) {
    lines.push('', 'Unexpected answers (first ones):', '');
    for (const answer of summary.outcomes.unexpected) lines.push(`- ${answer.atSeconds.toFixed(1)} s ${answer.operation}: ${answer.detail}`);
  }
  return `${lines.join('\n')}\n`;
}
