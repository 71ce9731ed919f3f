/** The targets, each read from the summary as a median of per-round figures. */
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

export function checkTargets(summary: Summary): TargetCheck[] {
  return [
    check('sequential p50 at most ½ of supergateway\'s', summary.ratio('sequential', 'p50', 'mcp-sidecar', 'supergateway'), 0.5, 'at most', (v) => `${times(v)} supergateway`),
    check('sequential p50 at most 4× the floor', summary.ratio('sequential', 'p50', 'mcp-sidecar', 'floor'), 4, 'at most', (v) => `${times(v)} floor`),
    check('16×8 throughput at least 2× the better peer', summary.ratioToBetterPeer('concurrent', 'throughput', 'mcp-sidecar', 'higher'), 2, 'at least', (v) => `${times(v)} the better peer`),
    check('1 MiB results at least 2× the better peer\'s MiB/s', summary.ratioToBetterPeer('big', 'mibps', 'mcp-sidecar', 'higher'), 2, 'at least', (v) => `${times(v)} the better peer`),
    check('session ready with a warm pool at most 1/10 of supergateway\'s', summary.ratio('setup', 'ready', 'mcp-sidecar-warm', 'supergateway'), 0.1, 'at most', (v) => `${times(v)} supergateway`),
    check('daemon\'s own memory at most 0.2 MiB per idle session', summary.spread('memory', 'ownAnonPerSession', 'mcp-sidecar')?.median, 0.2, 'at most', (v) => `${v.toFixed(3)} MiB`),
    check('2026-07-28 sequential p50 at most 1.25× the session path\'s', summary.spread('modern', 'modernOverSession', 'mcp-sidecar')?.median, 1.25, 'at most', (v) => `${times(v)} the session path`),
    check('first 2026-07-28 request of a new principal with a warm pool at most 1/10 of the cold path\'s', summary.spread('modern', 'warmOverCold', 'mcp-sidecar')?.median, 0.1, 'at most', (v) => `${times(v)} the cold path`),
  ];
}
