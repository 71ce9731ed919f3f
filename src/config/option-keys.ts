/**
 * The option keys a config file may use, by where they go, and the suggestion for a key that is
 * none of them (`restartSec` → `restartSecMs`, `max-sessions` → `maxSessions`).
 */
import { OPTIONS, type OptionSpec } from './schema.js';

/** Keys of a server entry: every per-server option but `name` (an entry's name is its key). */
export const SERVER_OPTIONS: ReadonlyMap<string, OptionSpec> = new Map(
  OPTIONS.filter((option) => option.scope === 'server' && option.key !== 'name').map((option) => [option.key, option]),
);

/** Keys of the `sidecar` section: every daemon-wide option, and the per-server ones as defaults. */
export const SIDECAR_OPTIONS: ReadonlyMap<string, OptionSpec> = new Map(
  OPTIONS.filter((option) => option.key !== 'name').map((option) => [option.key, option]),
);

function normalized(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9]/g, '');
}

/** The option key `key` was probably meant to be, or `undefined`. */
export function suggestKey(key: string, accepted: ReadonlyMap<string, OptionSpec>): string | undefined {
  const wanted = normalized(key);
  for (const option of OPTIONS) {
    const flag = (option.flags.split(' ')[0] as string).replace(/^--/, '');
    const names = [option.key, option.key.replace(/(Ms|Bytes)$/, ''), flag];
    if (names.some((name) => normalized(name) === wanted)) return accepted.has(option.key) ? option.key : `${option.key} (in the sidecar section)`;
  }
  return undefined;
}
