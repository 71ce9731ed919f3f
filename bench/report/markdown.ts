/** BENCHMARKS.md: the machine, the targets met or missed, one table per phase, how each target ran. */
import type { Counts } from '../phases/counts.js';
import { PHASE_NAMES, type MetricSpec, type Phase } from '../phases/phase.js';
import { PHASES } from '../phases/registry.js';
import { failureOf, isOurs, type RunRecord } from '../runner/records.js';
import { TARGETS } from '../targets/registry.js';
import { FIXTURE_NAMES, type FixtureName } from '../targets/fixture-command.js';
import { PEERS, type TargetName } from '../targets/target.js';
import type { Machine } from './machine.js';
import { Summary, type Spread } from './summary.js';
import { checkTargets } from './targets.js';

export interface ReportInput {
  records: readonly RunRecord[];
  machine: Machine;
  load: { start: string; end: string };
  rounds: number;
  quick: boolean;
  counts: Counts;
  targets: readonly TargetName[];
  fixtures: readonly FixtureName[];
  durationSeconds: number;
  /** --note: one more line for the Machine table. */
  note?: string;
}

const REFERENCES: readonly TargetName[] = ['floor', ...PEERS];

function formatNumber(value: number, digits: number): string {
  return value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

function formatSpread(spread: Spread | undefined, metric: MetricSpec): string {
  if (!spread) return '—';
  const middle = formatNumber(spread.median, metric.digits);
  if (spread.rounds < 2 || spread.min === spread.max) return middle;
  return `${middle} <sub>${formatNumber(spread.min, metric.digits)}–${formatNumber(spread.max, metric.digits)}</sub>`;
}

function formatRatio(value: number | undefined): string {
  if (value === undefined || !Number.isFinite(value)) return '—';
  return `×${value.toFixed(value < 10 ? 2 : 1)}`;
}

function heading(metric: MetricSpec): string {
  return metric.unit === '' ? metric.label : `${metric.label} (${metric.unit})`;
}

/** One table per phase: a block of rows per fixture, each row's ratios taken within its fixture. */
function phaseTable(phase: Phase, summaries: ReadonlyMap<FixtureName, Summary>, targets: readonly TargetName[]): string[] {
  const rows = targets.filter((target) => phase.appliesTo(target));
  // A reference column only where the reference has the figure (the floor has no bridge memory).
  const referencesOf = (metric: MetricSpec): TargetName[] =>
    metric.ratios
      ? REFERENCES.filter((reference) => rows.includes(reference) && [...summaries.values()].some((summary) => summary.spread(phase.name, metric.key, reference) !== undefined))
      : [];
  const header: string[] = ['server', 'target'];
  for (const metric of phase.metrics) {
    header.push(`${heading(metric)}${metric.better === 'lower' ? ' ↓' : ' ↑'}`);
    for (const reference of referencesOf(metric)) header.push(`÷ ${reference}`);
  }
  const lines = [`| ${header.join(' | ')} |`, `|${header.map((_, i) => (i < 2 ? ' --- ' : ' ---: ')).join('|')}|`];
  for (const [fixture, summary] of summaries) {
    for (const target of rows) {
      const cells: string[] = [fixture, target];
      for (const metric of phase.metrics) {
        cells.push(formatSpread(summary.spread(phase.name, metric.key, target), metric));
        for (const reference of referencesOf(metric)) cells.push(reference === target ? '—' : formatRatio(summary.ratio(phase.name, metric.key, target, reference)));
      }
      lines.push(`| ${cells.join(' | ')} |`);
    }
  }
  return lines;
}

function machineSection(input: ReportInput): string[] {
  const { machine } = input;
  const versions = Object.entries(machine.versions).map(([name, version]) => `${name} ${version}`).join(', ');
  return [
    '## Machine',
    '',
    '| | |',
    '| --- | --- |',
    `| CPU | ${machine.cpu}, ${machine.cores} cores |`,
    `| memory | ${machine.memoryGiB.toFixed(1)} GiB |`,
    `| OS | ${machine.kernel} |`,
    `| node | ${machine.node} |`,
    `| date | ${machine.date} |`,
    `| mcp-sidecar | commit ${machine.commit} |`,
    `| peers | ${versions} |`,
    `| load average (1 min) | ${input.load.start} at start, ${input.load.end} at end |`,
    `| run | ${input.quick ? 'quick (CI counts)' : 'full'}, ${input.rounds} interleaved round(s), ${Math.round(input.durationSeconds)} s |`,
    ...(input.note === undefined ? [] : [`| note | ${input.note} |`]),
  ];
}

function targetsSection(records: readonly RunRecord[]): string[] {
  const lines = ['## Targets', '', 'Each a median of per-round figures. Timing targets are never asserted in tests.', '', '| target | measured | |', '| --- | ---: | --- |'];
  for (const check of checkTargets(records)) lines.push(`| ${check.goal} | ${check.measured} | ${check.status} |`);
  return lines;
}

function notesSection(records: readonly RunRecord[]): string[] {
  const notes: string[] = [];
  for (const record of records) {
    const failure = failureOf(record);
    const where = `round ${record.round + 1}, ${record.phase}, ${record.fixture} fixture, ${record.target}`;
    if (failure !== undefined) notes.push(`- **failed**: ${failure}`);
    else if (!isOurs(record.target) && record.requestErrors > 0) notes.push(`- ${where}: ${record.requestErrors} request(s) failed, first: ${record.firstRequestError ?? '?'}`);
    else if (!isOurs(record.target) && record.leftBehind.length > 0) notes.push(`- ${where}: left ${record.leftBehind.length} process(es) running after it stopped (killed by the bench)`);
  }
  return notes.length === 0 ? [] : ['## Errors and notes', '', ...notes];
}

export function renderReport(input: ReportInput): string {
  const summaries = new Map(FIXTURE_NAMES.filter((fixture) => input.fixtures.includes(fixture)).map((fixture) => [fixture, new Summary(input.records, fixture)] as const));
  const phases = PHASE_NAMES.filter((name) => input.records.some((record) => record.phase === name)).map((name) => PHASES[name]);
  const lines: string[] = [
    '# Benchmarks',
    '',
    'Written by `npm run bench` ([bench/run.ts](bench/run.ts)); rerun it rather than editing this file.',
    'mcp-sidecar in front of a stdio server, against the floor (the same server over its own pipes, the',
    'best any bridge can do) and the public bridges supergateway and mcp-proxy, on 127.0.0.1. Every phase',
    'runs twice, once per server, and every table has a block of rows for each:',
    '',
    '- **lean**: [bench/fixtures/bench-server.ts](bench/fixtures/bench-server.ts), newline JSON-RPC with no SDK: its own cost per',
    '  message is tiny, so a bridge\'s cost shows at its largest.',
    '- **sdk**: [test/fixtures/sdk-bench-server.ts](test/fixtures/sdk-bench-server.ts), the SDK\'s `McpServer` on `StdioServerTransport`:',
    '  the shape most real stdio servers have, with its validation and serialisation per message. Its floor is',
    '  this server over its pipes.',
    '',
    '```sh',
    'npm run bench          # the full run (5 rounds), rewrites this file',
    'npm run bench:quick    # the seconds-long smoke run CI does, report to a temp file',
    'node dist/bench/run.js --help',
    '```',
    '',
    ...machineSection(input),
    '',
    ...targetsSection(input.records),
    '',
    '## Results',
    '',
    'Each figure is the median across rounds, with the lowest and highest round in small print.',
    'A ratio is the row\'s figure divided by the column target\'s **in the same round and on the same server**, then the median',
    'of those: below ×1 is better for ↓ figures, above ×1 for ↑ figures.',
    input.quick
      ? 'Quick run: one instance per target serves every phase in turn (figures are for smoke only).'
      : 'Every phase starts a fresh instance of each target; within a round the targets run one after another, in an order rotated each round.',
    'The lean client is node:http with a keep-alive Agent, parsing JSON or SSE answers.',
  ];
  for (const phase of phases) {
    lines.push('', `### ${phase.title}`, '', `${phase.method(input.counts)}`, '', ...phaseTable(phase, summaries, input.targets));
  }
  lines.push('', '## How each target runs', '');
  for (const target of input.targets) lines.push(`- **${target}**: ${TARGETS[target].describe()}`);
  lines.push(
    '',
    'Before a bridge is used, the bench reads /proc/net/tcp and /proc/net/tcp6 and fails unless every socket',
    'listening on its port is 127.0.0.1 (or ::1). Every process it starts carries the run\'s tag on its',
    'command line; after each target stops, and at the end, the process table is checked for the tag.',
  );
  const notes = notesSection(input.records);
  if (notes.length > 0) lines.push('', ...notes);
  return `${lines.join('\n')}\n`;
}
