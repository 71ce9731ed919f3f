/**
 * How option values are read: each parser returns the value, or `undefined` when the text is not
 * acceptable (the CLI then names the option, the value and what it accepts). None throws.
 */
import { parseDuration } from './duration.js';
import { parseSize } from './size.js';
import type { Rate } from './schema.js';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export const ISOLATION_MODES = ['session', 'principal', 'shared'] as const;
export type Isolation = (typeof ISOLATION_MODES)[number];

export function positiveDuration(raw: string): number | undefined {
  const ms = parseDuration(raw);
  return ms !== undefined && ms > 0 ? ms : undefined;
}

export function port(raw: string): number | undefined {
  const value = Number(raw);
  return /^\d+$/.test(raw.trim()) && value <= 65535 ? value : undefined;
}

export const PATH_FORMAT = 'a path starting with / (no query, no spaces)';

export function path(raw: string): string | undefined {
  return /^\/[^\s?#]*$/.test(raw) ? raw : undefined;
}

/** A path, or `false` for off (`undefined` means "not acceptable", and commander turns `null` into ''). */
export function pathOrOff(raw: string): string | false | undefined {
  return raw.trim().toLowerCase() === 'off' ? false : path(raw);
}

export function positive(value: number | undefined): number | undefined {
  return value !== undefined && value > 0 ? value : undefined;
}

export function sizeOrInfinity(raw: string): number | undefined {
  return raw.trim().toLowerCase() === 'infinity' ? Infinity : parseSize(raw);
}

export function count(min: number) {
  return (raw: string): number | undefined => {
    const value = Number(raw);
    return /^\d+$/.test(raw.trim()) && Number.isSafeInteger(value) && value >= min ? value : undefined;
  };
}

const TRUE = new Set(['true', '1', 'yes', 'on']);
const FALSE = new Set(['false', '0', 'no', 'off']);

export function bool(raw: string): boolean | undefined {
  const lower = raw.trim().toLowerCase();
  return TRUE.has(lower) ? true : FALSE.has(lower) ? false : undefined;
}

export function envPairs(raw: string, previous: unknown): Record<string, string> | undefined {
  // Repeated flags accumulate; the environment variable holds one pair per line.
  const pairs: Record<string, string> = { ...(previous as Record<string, string>) };
  for (const line of raw.split('\n')) {
    if (line.trim() === '') continue;
    const eq = line.indexOf('=');
    if (eq <= 0) return undefined;
    const key = line.slice(0, eq);
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) return undefined;
    pairs[key] = line.slice(eq + 1);
  }
  return pairs;
}

export function envNames(raw: string, previous: unknown): string[] | undefined {
  const names = raw.split(',').map((name) => name.trim()).filter((name) => name !== '');
  if (names.length === 0 || !names.every((name) => /^[A-Za-z_][A-Za-z0-9_]*\*?$/.test(name))) return undefined;
  return [...((previous as string[] | undefined) ?? []), ...names];
}

export const RATE_FORMAT = 'a count per time unit such as 10/s, 300/min or 1000/h, with an optional burst: 10/s:50';
const RATE = /^(\d+(?:\.\d+)?)\/(s|sec|min|h)(?::(\d+))?$/;
const RATE_UNIT_S: Record<string, number> = { s: 1, sec: 1, min: 60, h: 3600 };

export function rate(raw: string): Rate | undefined {
  const match = RATE.exec(raw.trim().toLowerCase());
  if (!match) return undefined;
  const count = Number(match[1]);
  const perSecond = count / (RATE_UNIT_S[match[2] as string] as number);
  const burst = match[3] !== undefined ? Number(match[3]) : Math.max(1, Math.ceil(count));
  return perSecond > 0 && burst > 0 ? { perSecond, burst, text: raw.trim() } : undefined;
}

export function text(raw: string): string | undefined {
  return raw.trim() === '' ? undefined : raw.trim();
}

/** A comma-separated list; repeated flags accumulate. */
export function list(check: (item: string) => boolean) {
  return (raw: string, previous: unknown): string[] | undefined => {
    const items = raw.split(',').map((item) => item.trim()).filter((item) => item !== '');
    if (items.length === 0 || !items.every(check)) return undefined;
    return [...((previous as string[] | undefined) ?? []), ...items];
  };
}

export function isUrl(raw: string): boolean {
  try {
    const url = new URL(raw);
    return url.protocol === 'https:' || url.protocol === 'http:';
  } catch {
    return false;
  }
}

/** An origin as browsers send it: scheme, host and port only (or `*` where allowed). */
export function isOrigin(raw: string): boolean {
  try {
    return new URL(raw).origin === raw.replace(/\/$/, '');
  } catch {
    return false;
  }
}
