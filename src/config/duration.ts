/**
 * Durations as operators write them in systemd units: `250ms`, `5s`, `2min`, `1h`, `infinity`.
 * A bare number is seconds, like systemd's `TimeoutStopSec=5`.
 */
const UNIT_MS: Record<string, number> = {
  ms: 1,
  s: 1000,
  sec: 1000,
  m: 60_000,
  min: 60_000,
  h: 3_600_000,
  hr: 3_600_000,
};

const DURATION = /^(\d+(?:\.\d+)?)\s*(ms|s|sec|m|min|h|hr)?$/;

export const DURATION_FORMAT = 'a duration such as 500ms, 5s, 2min, 1h or infinity';

/** Milliseconds for a duration string, `Infinity` for `infinity`, `undefined` if it does not parse. */
export function parseDuration(text: string): number | undefined {
  const trimmed = text.trim().toLowerCase();
  if (trimmed === 'infinity') return Infinity;
  const match = DURATION.exec(trimmed);
  if (!match) return undefined;
  const value = Number(match[1]) * (UNIT_MS[match[2] ?? 's'] ?? 1000);
  return Number.isFinite(value) ? Math.round(value) : undefined;
}

/** The shortest exact way to write a duration back, for help text and logs. */
export function formatDuration(ms: number): string {
  if (ms === Infinity) return 'infinity';
  if (ms % 3_600_000 === 0 && ms > 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0 && ms > 0) return `${ms / 60_000}min`;
  if (ms % 1000 === 0 && ms > 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}
