/**
 * Options of input-required bridging (2026-07-28): how long a call may wait for its client's
 * answers, how many may wait, and the key that seals their `requestState`.
 */
import { DURATION_FORMAT } from './duration.js';
import { count, positiveDuration } from './parsers.js';
import type { OptionSpec } from './schema.js';

export const INPUT_OPTIONS: readonly OptionSpec[] = [
  {
    key: 'inputRequiredTimeoutMs', scope: 'server', flags: '--input-required-timeout <duration>', env: 'MCP_SIDECAR_INPUT_REQUIRED_TIMEOUT',
    description: "a 2026-07-28 call held for its client's input (its server asked for elicitation, sampling or roots) and not retried within this is ended: the server's questions are answered with an error, the call cancelled, its child released; its requestState expires with it",
    default: 10 * 60_000, defaultText: '10min', accepts: `${DURATION_FORMAT}, above zero`, parse: positiveDuration,
  },
  {
    key: 'maxInputRequired', scope: 'server', flags: '--max-input-required <count>', env: 'MCP_SIDECAR_MAX_INPUT_REQUIRED',
    description: 'most calls held for input at once, in all; one more is refused with 503 and Retry-After (its call cancelled)',
    default: 256, defaultText: '256', accepts: 'a whole number from 1', parse: count(1),
  },
  {
    key: 'maxInputRequiredPerPrincipal', scope: 'server', flags: '--max-input-required-per-principal <count>', env: 'MCP_SIDECAR_MAX_INPUT_REQUIRED_PER_PRINCIPAL',
    description: 'most calls held for input at once per principal; one more is refused with 429 and Retry-After (its call cancelled)',
    default: 16, defaultText: '16', accepts: 'a whole number from 1', parse: count(1),
  },
  {
    key: 'inputRequiredKeyFile', scope: 'server', flags: '--input-required-key-file <file>', env: 'MCP_SIDECAR_INPUT_REQUIRED_KEY_FILE',
    description: "file holding the secret (at least 32 bytes) that seals requestState, so instances behind one balancer accept each other's (none: a random key per process)",
    default: undefined, defaultText: 'none', accepts: 'a readable file path',
    parse: (raw) => (raw.trim() === '' ? undefined : raw.trim()),
  },
];
