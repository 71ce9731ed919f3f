/**
 * Every metric name and label, in one place. The daemon's events (refusals at the edge, dropped
 * connections, JWKS fetches) are reported through `Metrics`; each server's through the
 * `ServerMetrics` it is given (server-metrics.ts). Gauges read live state when Prometheus scrapes.
 * A daemon of a config file labels every per-server series with `server`; the command line's one
 * server is unlabelled, so its exposition reads as it always has. Label values are bounded:
 * JSON-RPC methods outside MCP's own set fold into `other`, tool names past a cap (per server) fold
 * into `other`, refusal reasons come from the wire error registry, servers are the file's.
 */
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import type { JwksFetchOutcome } from '../auth/jwks-source.js';
import type { WireErrorReason } from '../errors/wire.js';
import { CounterTally } from './counter-tally.js';
import { SeriesHistogram } from './series-histogram.js';
import { ServerMetrics } from './server-metrics.js';

export type { ServerMetrics };

export type RequestOutcome = 'success' | 'is-error' | 'error' | 'timeout' | 'cancelled' | 'session-ended';

/** MCP's methods; anything else a client sends is counted as `other`. */
export const KNOWN_METHODS = new Set([
  'initialize', 'ping', 'tools/list', 'tools/call', 'resources/list', 'resources/templates/list', 'resources/read',
  'resources/subscribe', 'resources/unsubscribe', 'prompts/list', 'prompts/get', 'completion/complete', 'logging/setLevel',
  'tasks/get', 'tasks/list', 'tasks/cancel', 'tasks/result',
]);

export const TOOL_LABEL_CAP = 100;

export const TRANSPORTS = ['streamable-http', 'sse', 'websocket'] as const;
export type TransportName = (typeof TRANSPORTS)[number];

const MISNAMED_DEFAULTS = ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total'];

const DURATION_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300];

/** Live state of one server the gauges read at scrape time. */
export interface MetricsSources {
  sessionsByTransport(): Map<string, number>;
  childrenByState(): Map<string, number>;
  poolSpares(): number;
  inFlight(): number;
  childrenRssBytes(): number;
  /** Sessions whose child's stdout is paused because a client connection is behind. */
  outputPaused(): number;
  /** Bytes waiting on every client connection of the server together (--client-buffer-budget). */
  clientBufferedBytes(): number;
  /** Open 2026-07-28 subscriptions/listen streams. */
  listenStreams(): number;
  /** 2026-07-28 calls held waiting for their client's input. */
  inputRequiredHeld(): number;
}

/** How a call that asked for input moved on (session/input/). */
export type InputRequiredOutcome = 'held' | 'resumed' | 'completed' | 'expired' | 'gone' | 'refused';

export interface MetricsOptions {
  /** Label every per-server series with `server` (a daemon of a config file). */
  serverLabel?: boolean;
}

/**
 * The per-server families, for `ServerMetrics`; their first label is `server` when labelled. The
 * per-request ones are counted as plain numbers and added to their counters when scraped
 * (counter-tally.ts), and their histograms resolve a label set once (series-histogram.ts):
 * prom-client hashes and checks the labels on every inc() and observe(), child or not.
 */
export interface ServerFamilies {
  sessionsStarted: Counter;
  sessionsEnded: Counter;
  childExits: Counter;
  restarts: Counter;
  watchdogStops: Counter;
  poolTakes: Counter;
  requests: CounterTally<string>;
  requestDuration: SeriesHistogram<string>;
  toolCalls: CounterTally<string>;
  toolDuration: SeriesHistogram<string>;
  bytes: CounterTally<string>;
  stderrLines: Counter;
  droppedMessages: Counter;
  slowClients: Counter;
  deadPeers: Counter;
  eventsEvicted: Counter;
  resumptions: Counter;
  streamsAbandoned: Counter;
  policyRefusals: Counter;
  overloads: Counter;
  credentialClosures: Counter;
  listenNotifications: Counter;
  inputRequired: Counter;
}

type GaugeRead = (sources: MetricsSources) => Map<string, number> | number;

export class Metrics {
  readonly registry = new Registry();
  readonly serverLabel: boolean;
  readonly families: ServerFamilies;
  /** Each live server generation's sources, with its server's name (two generations of one server add up). */
  private readonly sources = new Map<MetricsSources, string>();
  private readonly refusals: Counter<'reason' | 'status'>;
  private readonly connectionsDropped: Counter;
  private readonly jwksFetches: Counter<'outcome'>;

  constructor(options: MetricsOptions = {}) {
    const registers = [this.registry];
    this.serverLabel = options.serverLabel === true;
    const labels = (...names: string[]): string[] => (this.serverLabel ? ['server', ...names] : names);
    collectDefaultMetrics({ register: this.registry });
    // Gauges named like counters: `promtool check metrics` rejects them, and they add little.
    for (const name of MISNAMED_DEFAULTS) this.registry.removeSingleMetric(name);
    const counter = (name: string, help: string, ...names: string[]): Counter => new Counter({ name, help, labelNames: labels(...names), registers });
    const histogram = (name: string, help: string, ...names: string[]): SeriesHistogram<string> => new SeriesHistogram({ name, help, labelNames: labels(...names), buckets: DURATION_BUCKETS, registers });
    // A counter fed by a tally: what was counted since the last scrape is added as it is collected.
    const tallied = (name: string, help: string, ...names: string[]): CounterTally<string> => {
      const tally = new CounterTally<string>();
      new Counter({ name, help, labelNames: labels(...names), registers, collect() { tally.flushInto(this); } });
      return tally;
    };
    const gauge = (name: string, help: string, read: GaugeRead, label?: string, zeros: readonly string[] = []): void => void this.gauge(name, help, read, label, zeros);
    const started = counter('mcp_sidecar_sessions_started_total', 'Sessions opened, by transport.', 'transport');
    const ended = counter('mcp_sidecar_sessions_ended_total', 'Sessions ended, by reason: session-end (DELETE), idle, ttl, shutdown, memory, timeout, or not restarted (no-restart, start-limit-hit, not-initialized).', 'reason');
    // Known transports show 0 rather than vanish when they have no session.
    gauge('mcp_sidecar_sessions_active', 'Live sessions, by transport.', (s) => s.sessionsByTransport(), 'transport', TRANSPORTS);
    gauge('mcp_sidecar_children', 'Child processes alive, by state (spare, running, stopping).', (s) => s.childrenByState(), 'state');
    gauge('mcp_sidecar_children_rss_bytes', 'RSS of all children\'s process trees at the last watchdog check.', (s) => s.childrenRssBytes());
    gauge('mcp_sidecar_pool_spares', 'Warm spares waiting in the pool.', (s) => s.poolSpares());
    gauge('mcp_sidecar_requests_in_flight', 'Client requests waiting for their answer.', (s) => s.inFlight());
    this.families = {
      sessionsStarted: started,
      sessionsEnded: ended,
      childExits: counter('mcp_sidecar_child_exits_total', 'Child exits, by the result of their exit record.', 'result'),
      restarts: counter('mcp_sidecar_child_restarts_total', 'Children restarted inside a live session.'),
      watchdogStops: counter('mcp_sidecar_watchdog_stops_total', 'Children stopped for going over --memory-max.'),
      poolTakes: counter('mcp_sidecar_pool_takes_total', 'Children wanted for a session (new or restarted), by whether the pool had a spare (hit) or not (miss).', 'result'),
      requests: tallied('mcp_sidecar_requests_total', 'Client requests by JSON-RPC method, outcome and transport.', 'method', 'outcome', 'transport'),
      requestDuration: histogram('mcp_sidecar_request_duration_seconds', 'Time from a request reaching the daemon to its answer, by method.', 'method'),
      toolCalls: tallied('mcp_sidecar_tool_calls_total', 'tools/call by tool and outcome (success, is-error, error, timeout, ...).', 'tool', 'outcome'),
      toolDuration: histogram('mcp_sidecar_tool_call_duration_seconds', 'tools/call duration by tool.', 'tool'),
      bytes: tallied('mcp_sidecar_message_bytes_total', 'JSON-RPC message bytes relayed: in (client to child) and out (child to client).', 'direction'),
      stderrLines: counter('mcp_sidecar_child_stderr_lines_total', 'Child stderr lines, logged or dropped by the rate limit.', 'disposition'),
      droppedMessages: counter('mcp_sidecar_child_messages_dropped_total', 'Child messages with no stream left to carry them (client gone, or held messages evicted).'),
      slowClients: counter('mcp_sidecar_slow_clients_disconnected_total', 'Clients disconnected for not reading: over --stream-buffer for --slow-client-timeout.', 'transport'),
      deadPeers: counter('mcp_sidecar_websocket_dead_peers_total', 'WebSocket connections closed for not answering a ping within --ws-ping-interval.'),
      eventsEvicted: counter('mcp_sidecar_sse_events_evicted_total', 'SSE events evicted from the per-session event store (--event-store-max-events/--event-store-max-bytes) before the session ended.'),
      streamsAbandoned: counter('mcp_sidecar_streams_abandoned_total', 'POST SSE streams cut while their requests ran and not resumed within --resume-timeout: ended, their requests cancelled at the child.'),
      resumptions: counter('mcp_sidecar_stream_resumptions_total', 'GET requests with Last-Event-ID, by whether every event after that id was still kept (complete) or some were evicted (incomplete).', 'outcome'),
      policyRefusals: counter('mcp_sidecar_policy_refusals_total', 'Client requests refused by per-principal policy before reaching a child: TOOL_FORBIDDEN, RATE_LIMITED, TOOL_RATE_LIMITED, CONCURRENCY_LIMIT.', 'reason'),
      overloads: counter('mcp_sidecar_client_buffer_overloads_total', 'Times the bytes waiting for clients went over --client-buffer-budget and every child was paused.'),
      credentialClosures: counter('mcp_sidecar_credential_closures_total', 'WebSocket connections and legacy SSE streams closed because their credential ended: a static token gone from the reloaded token file (revoked) or a JWT past its exp (expired).', 'transport', 'cause'),
      listenNotifications: counter('mcp_sidecar_listen_notifications_total', 'Change notifications written to subscriptions/listen streams, by method (list_changed of tools, prompts, resources; resources/updated); one per stream.', 'method'),
      inputRequired: counter('mcp_sidecar_input_required_total', "2026-07-28 calls whose server asked for input: held (an input_required answer sent), resumed (a retry's requestState accepted), completed, expired (--input-required-timeout), gone (its client closed), refused (no room, or a requestState that cannot resume: see mcp_sidecar_refused_total).", 'outcome'),
    };
    gauge('mcp_sidecar_listen_streams_open', 'Open 2026-07-28 subscriptions/listen streams.', (s) => s.listenStreams());
    gauge('mcp_sidecar_input_required_held', 'Calls held waiting for their client\'s input (their child kept for them).', (s) => s.inputRequiredHeld());
    gauge('mcp_sidecar_children_output_paused', 'Sessions whose child\'s stdout is paused because a client connection is behind (--stream-buffer).', (s) => s.outputPaused());
    this.refusals = new Counter({ name: 'mcp_sidecar_refused_total', help: 'HTTP requests refused, by reason (docs/errors.md) and status.', labelNames: ['reason', 'status'], registers });
    this.connectionsDropped = new Counter({ name: 'mcp_sidecar_connections_dropped_total', help: 'TCP connections dropped at accept because --max-connections were open.', registers });
    gauge('mcp_sidecar_client_buffered_bytes', 'Bytes waiting to be read by clients, on every connection together (answers, events, frames).', (s) => s.clientBufferedBytes());
    this.jwksFetches = new Counter({
      name: 'mcp_sidecar_jwks_fetches_total',
      help: 'Fetches of the --jwks-url key set, by outcome: ok, error (refused, not 200, not a key set) or timeout. After a failure none for 1 s doubling to 30 s; tokens meanwhile get 503 AUTH_UNAVAILABLE.',
      labelNames: ['outcome'],
      registers,
    });
  }

  /** What one generation of server `server` reports through, reading `sources` at scrape time. */
  forServer(server: string, sources: MetricsSources): ServerMetrics {
    this.sources.set(sources, server);
    return new ServerMetrics(this.families, this.serverLabel ? [server] : [], () => this.sources.delete(sources));
  }

  refused(reason: WireErrorReason, status: number): void {
    this.refusals.inc({ reason, status: String(status) });
  }

  jwksFetched(outcome: JwksFetchOutcome): void {
    this.jwksFetches.inc({ outcome });
  }

  connectionDropped(): void {
    this.connectionsDropped.inc();
  }

  /**
   * A gauge that sums what every server's sources say, by server (when labelled) and by `label`.
   * `zeros` are label values shown as 0 for every server rather than vanishing.
   */
  private gauge(name: string, help: string, read: GaugeRead, label: string | undefined, zeros: readonly string[]): Gauge {
    const sources = this.sources;
    const serverLabel = this.serverLabel;
    return new Gauge({
      name, help, labelNames: [...(serverLabel ? ['server'] : []), ...(label ? [label] : [])], registers: [this.registry],
      collect() {
        this.reset();
        const sums = new Map<string, { labels: Record<string, string>; value: number }>();
        const add = (server: string, value: number, labelValue?: string): void => {
          const labels: Record<string, string> = { ...(serverLabel ? { server } : {}), ...(label && labelValue !== undefined ? { [label]: labelValue } : {}) };
          const key = JSON.stringify(labels);
          const sum = sums.get(key) ?? { labels, value: 0 };
          sum.value += value;
          sums.set(key, sum);
        };
        for (const [source, server] of sources) {
          for (const zero of zeros) add(server, 0, zero);
          const value = read(source);
          if (typeof value === 'number') add(server, value);
          else for (const [labelValue, count] of value) add(server, count, labelValue);
        }
        // The command line's daemon always has its one server; unlabelled gauges read 0 without one.
        if (sums.size === 0 && !serverLabel && !label) add('', 0);
        for (const { labels, value } of sums.values()) this.set(labels, value);
      },
    });
  }
}
