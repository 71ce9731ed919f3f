/**
 * An option's value written back the way a config file takes it ("30min", "64mb", "10/s:50"), so
 * what --check-config prints is itself a valid config file, and the schema's defaults read like
 * the flags'.
 */
import { formatDuration } from './duration.js';
import { valueKindOf } from './file-values.js';
import type { OptionSpec, Rate } from './schema.js';
import { formatSize } from './size.js';

/** The JSON for `value` of `spec`; `undefined` when it is unset. */
export function formatOption(spec: OptionSpec, value: unknown): unknown {
  if (value === undefined) return undefined;
  const kind = valueKindOf(spec);
  if (kind === 'duration' && typeof value === 'number') return formatDuration(value);
  if (kind === 'size' && typeof value === 'number') return value === Infinity ? 'infinity' : formatSize(value);
  if (value !== null && typeof value === 'object' && 'text' in value && 'perSecond' in value) return (value as Rate).text;
  return value;
}
