/** Options of client streams: keepalive, resumption, bounded buffers, WebSocket pings. */
import { DURATION_FORMAT, parseDuration } from './duration.js';
import { count, positive, positiveDuration } from './parsers.js';
import type { OptionSpec } from './schema.js';
import { SIZE_FORMAT, parseSize } from './size.js';

export const STREAM_OPTIONS: readonly OptionSpec[] = [
  {
    key: 'sseKeepaliveMs', scope: 'server', flags: '--sse-keepalive <duration>', env: 'MCP_SIDECAR_SSE_KEEPALIVE',
    description: 'send an SSE comment on every open event stream this often, so proxies do not cut quiet streams',
    default: 15_000, defaultText: '15s', accepts: `${DURATION_FORMAT}, above zero (infinity: off)`, parse: positiveDuration,
  },
  {
    key: 'sseRetryMs', scope: 'server', flags: '--sse-retry <duration>', env: 'MCP_SIDECAR_SSE_RETRY',
    description: 'the retry field sent to 2025-11-25 clients with the priming event: how long to wait before resuming a cut stream',
    default: 1000, defaultText: '1s', accepts: DURATION_FORMAT, parse: parseDuration,
  },
  {
    key: 'resumeTimeoutMs', scope: 'server', flags: '--resume-timeout <duration>', env: 'MCP_SIDECAR_RESUME_TIMEOUT',
    description: "a POST's SSE stream cut while its requests run, and not resumed within this, is ended: its requests are cancelled at the child (notifications/cancelled) and counted; at least --sse-retry",
    default: 30_000, defaultText: '30s', accepts: `${DURATION_FORMAT}, above zero (infinity: kept until answered)`, parse: positiveDuration,
  },
  {
    key: 'eventStoreMaxEvents', scope: 'server', flags: '--event-store-max-events <count>', env: 'MCP_SIDECAR_EVENT_STORE_MAX_EVENTS',
    description: "events each session keeps for replay to a client resuming a cut stream (Last-Event-ID); oldest evicted first (0: streams are not resumable)",
    default: 1000, defaultText: '1000', accepts: 'a whole number', parse: count(0),
  },
  {
    key: 'eventStoreMaxBytes', scope: 'server', flags: '--event-store-max-bytes <size>', env: 'MCP_SIDECAR_EVENT_STORE_MAX_BYTES',
    description: 'bytes of events each session keeps for replay; oldest evicted first',
    default: 1024 * 1024, defaultText: '1mb', accepts: SIZE_FORMAT, parse: parseSize,
  },
  {
    key: 'streamBufferBytes', scope: 'server', flags: '--stream-buffer <size>', env: 'MCP_SIDECAR_STREAM_BUFFER',
    description: "bytes waiting on one client's connection before the child's stdout is paused until the client reads",
    default: 256 * 1024, defaultText: '256kb', accepts: `${SIZE_FORMAT}, above zero`, parse: (raw) => positive(parseSize(raw)),
  },
  {
    key: 'clientBufferBudgetBytes', scope: 'server', flags: '--client-buffer-budget <size>', env: 'MCP_SIDECAR_CLIENT_BUFFER_BUDGET',
    description: 'bytes waiting for all clients together (answers, events, frames not yet read; with a config file, for each server of its own); over it every child is paused until half is read, and every connection with bytes waiting gets the --slow-client-timeout clock',
    default: 64 * 1024 * 1024, defaultText: '64mb', accepts: `${SIZE_FORMAT}, above zero`, parse: (raw) => positive(parseSize(raw)),
  },
  {
    key: 'slowClientTimeoutMs', scope: 'server', flags: '--slow-client-timeout <duration>', env: 'MCP_SIDECAR_SLOW_CLIENT_TIMEOUT',
    description: 'a client whose connection stays over --stream-buffer this long is disconnected (and counted)',
    default: 30_000, defaultText: '30s', accepts: `${DURATION_FORMAT}, above zero`, parse: positiveDuration,
  },
  {
    key: 'wsPingIntervalMs', scope: 'server', flags: '--ws-ping-interval <duration>', env: 'MCP_SIDECAR_WS_PING_INTERVAL',
    description: 'WebSocket ping interval; a peer that has not answered the previous ping is dead and disconnected',
    default: 30_000, defaultText: '30s', accepts: `${DURATION_FORMAT}, above zero (infinity: off)`, parse: positiveDuration,
  },
];
