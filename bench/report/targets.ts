/**
 * The targets, each read as a median of per-round figures: the first set on the lean
 * fixture (the bridge's own cost), the second on the SDK fixture (a real server's shape). The
 * sequential p50 is held at steady state, and on the SDK fixture while warming too (sequential.ts).
 */
import type { RunRecord } from '../runner/records.js';
import { Summary } from './summary.js';

export interface TargetCheck {
  goal: string;
  /** The figure compared, e.g. "×0.31 supergateway". */
  measured: string;
  status: 'met' | 'missed' | 'not measured';
}

function check(goal: string, value: number | undefined, limit: number, direction: 'at most' | 'at least', show: (value: number) => string): TargetCheck {
  if (value === undefined || !Number.isFinite(value)) return { goal, measured: '—', status: 'not measured' };
  const met = direction === 'at most' ? value <= limit : value >= limit;
  return { goal, measured: show(value), status: met ? 'met' : 'missed' };
}

// Three decimals: ×1.996 must not read as the ×2 it misses.
const times = (value: number): string => `×${value.toFixed(value < 10 ? 3 : 1)}`;

/** The fewest sessions held in a round of the shared phase (a round with an error counts nothing: the phase failed). */
function heldInEveryRound(summary: Summary): number | undefined {
  const held = [...summary.byRound('shared', 'held', 'mcp-sidecar').values()];
  return held.length === 0 ? undefined : Math.min(...held);
}

export function checkTargets(records: readonly RunRecord[]): TargetCheck[] {
  const lean = new Summary(records, 'lean');
  const sdk = new Summary(records, 'sdk');
  return [
    check('lean: sequential p50 (steady state) at most ½ of supergateway\'s', lean.ratio('sequential', 'p50', 'mcp-sidecar', 'supergateway'), 0.5, 'at most', (v) => `${times(v)} supergateway`),
    check('lean: sequential p50 (steady state) at most 4× the floor', lean.ratio('sequential', 'p50', 'mcp-sidecar', 'floor'), 4, 'at most', (v) => `${times(v)} floor`),
    check('lean: 16×8 throughput at least 2× the better peer', lean.ratioToBetterPeer('concurrent', 'throughput', 'mcp-sidecar', 'higher'), 2, 'at least', (v) => `${times(v)} the better peer`),
    check('lean: 1 MiB results at least 2× the better peer\'s MiB/s', lean.ratioToBetterPeer('big', 'mibps', 'mcp-sidecar', 'higher'), 2, 'at least', (v) => `${times(v)} the better peer`),
    check('lean: session ready with a warm pool at most 1/10 of supergateway\'s', lean.ratio('setup', 'ready', 'mcp-sidecar-warm', 'supergateway'), 0.1, 'at most', (v) => `${times(v)} supergateway`),
    check('lean: daemon\'s own memory at most 0.2 MiB per idle session', lean.spread('memory', 'ownAnonPerSession', 'mcp-sidecar')?.median, 0.2, 'at most', (v) => `${v.toFixed(3)} MiB`),
    check('sdk: sequential p50 (steady state) at most 0.45× supergateway\'s', sdk.ratio('sequential', 'p50', 'mcp-sidecar', 'supergateway'), 0.45, 'at most', (v) => `${times(v)} supergateway`),
    check('sdk: sequential p50 warming (the first timed calls after start) at most 0.45× supergateway\'s', sdk.ratio('sequential', 'p50Warming', 'mcp-sidecar', 'supergateway'), 0.45, 'at most', (v) => `${times(v)} supergateway`),
    check('sdk: 16×8 throughput at least 1.6× the better peer', sdk.ratioToBetterPeer('concurrent', 'throughput', 'mcp-sidecar', 'higher'), 1.6, 'at least', (v) => `${times(v)} the better peer`),
    check('sdk: 1 MiB results at least 2× the better peer\'s MiB/s', sdk.ratioToBetterPeer('big', 'mibps', 'mcp-sidecar', 'higher'), 2, 'at least', (v) => `${times(v)} the better peer`),
    check('lean: 2026-07-28 sequential p50 at most 1.25× the session path\'s', lean.spread('modern', 'modernOverSession', 'mcp-sidecar')?.median, 1.25, 'at most', (v) => `${times(v)} the session path`),
    check('lean: first 2026-07-28 request of a new principal with a warm pool at most 1/10 of the cold path\'s', lean.spread('modern', 'warmOverCold', 'mcp-sidecar')?.median, 0.1, 'at most', (v) => `${times(v)} the cold path`),
    check('lean: daemon\'s own memory at most 0.2 MiB per idle session with --isolation shared (the child counted once)', lean.spread('shared', 'ownAnonPerSession', 'mcp-sidecar')?.median, 0.2, 'at most', (v) => `${v.toFixed(3)} MiB`),
    check('lean: 1,000 sessions held at once with --isolation shared (opened, one call each, closed; no error)', heldInEveryRound(lean), 1000, 'at least', (v) => `${v} sessions`),
    check('sdk: 1,000 sessions held at once with --isolation shared (opened, one call each, closed; no error)', heldInEveryRound(sdk), 1000, 'at least', (v) => `${v} sessions`),
  ];
}
