/**
 * Where a .cpuprofile (node --cpu-prof) spent its time: self time per function and per file,
 * heaviest first, as a share of the time the process was not idle. A window (CLOCK_MONOTONIC µs,
 * the clock V8 stamps samples with) keeps only the samples of a phase's measured part. A native
 * function (no script) is named with its caller outside node's internals, so `writev` says who wrote.
 */
import { readFileSync } from 'node:fs';
import type { Window } from '../lib/clock.js';
import { ROOT } from '../lib/paths.js';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}

interface CpuProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}

interface CpuProfile {
  nodes: CpuProfileNode[];
  startTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface SelfTime {
  name: string;
  ms: number;
  /** Share of busy (non-idle) time, 0–100. */
  percent: number;
}

export interface ProfileSummary {
  busyMs: number;
  idleMs: number;
  functions: SelfTime[];
  files: SelfTime[];
}

/** V8's pseudo-frames: time not spent in any function. */
const PSEUDO = new Set(['(root)', '(program)', '(idle)', '(garbage collector)']);

function shortUrl(url: string): string {
  const path = url.replace(/^file:\/\//, '');
  const modules = path.lastIndexOf('/node_modules/');
  if (modules !== -1) return path.slice(modules + '/node_modules/'.length);
  return path.startsWith(ROOT) ? path.slice(ROOT.length) : path;
}

function frameName(frame: CallFrame): string {
  return `${frame.functionName || '(anonymous)'} ${shortUrl(frame.url)}:${frame.lineNumber + 1}`;
}

function ranked(totals: Map<string, number>, busyMicros: number, top: number): SelfTime[] {
  return [...totals]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([name, micros]) => ({ name, ms: micros / 1000, percent: (100 * micros) / busyMicros }));
}

/** Self time per node id, for the samples inside `window` (all when undefined). */
function selfTimes(profile: CpuProfile, window: Window | undefined): Map<number, number> {
  const self = new Map<number, number>();
  let at = profile.startTime;
  profile.samples.forEach((id, index) => {
    const delta = profile.timeDeltas[index] ?? 0;
    at += delta;
    if (window && (at < window.start || at > window.end)) return;
    self.set(id, (self.get(id) ?? 0) + delta);
  });
  return self;
}

export function summarizeProfile(file: string, top = 15, window?: Window): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parentOf = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parentOf.set(child, node.id);

  /** The nearest caller outside node's internals (the code that asked for the write), else the nearest with a script. */
  const callerOf = (node: CpuProfileNode): CpuProfileNode | undefined => {
    let nearest: CpuProfileNode | undefined;
    for (let id = parentOf.get(node.id); id !== undefined; id = parentOf.get(id)) {
      const caller = byId.get(id);
      const url = caller?.callFrame.url ?? '';
      if (url === '') continue;
      nearest ??= caller;
      if (!url.startsWith('node:')) return caller;
    }
    return nearest;
  };

  /** A native frame takes the name of its caller (see callerOf). */
  const nameOf = (node: CpuProfileNode): { name: string; file: string } => {
    const frame = node.callFrame;
    if (frame.url !== '' || PSEUDO.has(frame.functionName)) return { name: frame.url === '' ? frame.functionName : frameName(frame), file: frame.url === '' ? frame.functionName : shortUrl(frame.url) };
    const caller = callerOf(node);
    const native = `${frame.functionName || '(native)'}`;
    return caller ? { name: `${native} ← ${frameName(caller.callFrame)}`, file: `${native} (native)` } : { name: native, file: `${native} (native)` };
  };

  const functions = new Map<string, number>();
  const files = new Map<string, number>();
  let idle = 0;
  let busy = 0;
  for (const [id, micros] of selfTimes(profile, window)) {
    const node = byId.get(id);
    if (!node) continue;
    if (node.callFrame.functionName === '(idle)') {
      idle += micros;
      continue;
    }
    busy += micros;
    const { name, file: where } = nameOf(node);
    functions.set(name, (functions.get(name) ?? 0) + micros);
    files.set(where, (files.get(where) ?? 0) + micros);
  }
  return { busyMs: busy / 1000, idleMs: idle / 1000, functions: ranked(functions, busy, top), files: ranked(files, busy, top) };
}

export function formatProfileSummary(title: string, summary: ProfileSummary): string {
  const row = (entry: SelfTime): string => `  ${entry.ms.toFixed(1).padStart(9)} ms ${entry.percent.toFixed(1).padStart(5)}%  ${entry.name}`;
  return [
    `${title}: ${summary.busyMs.toFixed(0)} ms busy, ${summary.idleMs.toFixed(0)} ms idle`,
    ' top self time by function:',
    ...summary.functions.map(row),
    ' by file:',
    ...summary.files.map(row),
  ].join('\n');
}
