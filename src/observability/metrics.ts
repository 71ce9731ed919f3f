/**
 * Every metric name and label, in one place. Components report events through the methods of
 * `Metrics`; gauges read live state when Prometheus scrapes. Label values are bounded: JSON-RPC
 * methods outside MCP's own set fold into `other`, tool names past a cap fold into `other`, refusal
 * reasons come from the wire error registry.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { CredentialEnd } from '../auth/credential.js';
import type { JwksFetchOutcome } from '../auth/jwks-source.js';
import type { WireErrorReason } from '../errors/wire.js';
import type { ExitRecord } from '../supervisor/exit-record.js';

export type RequestOutcome = 'success' | 'is-error' | 'error' | 'timeout' | 'cancelled' | 'session-ended';

/** MCP's methods; anything else a client sends is counted as `other`. */
const KNOWN_METHODS = new Set([
  'initialize', 'ping', 'tools/list', 'tools/call', 'resources/list', 'resources/templates/list', 'resources/read',
  'resources/subscribe', 'resources/unsubscribe', 'prompts/list', 'prompts/get', 'completion/complete', 'logging/setLevel',
  'tasks/get', 'tasks/list', 'tasks/cancel', 'tasks/result',
]);

export const TOOL_LABEL_CAP = 100;

export const TRANSPORTS = ['streamable-http', 'sse', 'websocket'] as const;
export type TransportName = (typeof TRANSPORTS)[number];

const MISNAMED_DEFAULTS = ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total'];

const DURATION_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300];

/** Live state the gauges read at scrape time. */
export interface MetricsSources {
  sessionsByTransport(): Map<string, number>;
  childrenByState(): Map<string, number>;
  poolSpares(): number;
  inFlight(): number;
  childrenRssBytes(): number;
  /** Sessions whose child's stdout is paused because a client connection is behind. */
  outputPaused(): number;
  /** Bytes waiting on every client connection together (--client-buffer-budget). */
  clientBufferedBytes(): number;
  /** Open 2026-07-28 subscriptions/listen streams. */
  listenStreams(): number;
}

/** How a call that asked for input moved on (session/input/). */
export type InputRequiredOutcome = 'held' | 'resumed' | 'completed' | 'expired' | 'gone' | 'refused';

export class Metrics {
  readonly registry = new Registry();
  private readonly toolLabels = new Set<string>();
  private readonly children = new Map<object, Map<string, unknown>>();
  private readonly sessionsStarted: Counter<'transport'>;
  private readonly sessionsEnded: Counter<'reason'>;
  private readonly childExits: Counter<'result'>;
  private readonly restarts: Counter;
  private readonly watchdogStops: Counter;
  private readonly poolTakes: Counter<'result'>;
  private readonly requests: Counter<'method' | 'outcome' | 'transport'>;
  private readonly requestDuration: Histogram<'method'>;
  private readonly toolCalls: Counter<'tool' | 'outcome'>;
  private readonly toolDuration: Histogram<'tool'>;
  private readonly bytes: Counter<'direction'>;
  private readonly stderrLines: Counter<'disposition'>;
  private readonly refusals: Counter<'reason' | 'status'>;
  private readonly droppedMessages: Counter;
  private readonly slowClients: Counter<'transport'>;
  private readonly deadPeers: Counter;
  private readonly eventsEvictedTotal: Counter;
  private readonly resumptions: Counter<'outcome'>;
  private readonly streamsAbandonedTotal: Counter;
  private readonly policyRefusals: Counter<'reason'>;
  private readonly connectionsDropped: Counter;
  private readonly listenNotifications: Counter<'method'>;
  private readonly overloads: Counter;
  private readonly jwksFetches: Counter<'outcome'>;
  private readonly credentialClosures: Counter<'transport' | 'cause'>;
  private readonly inputRequiredCalls: Counter<'outcome'>;
  private readonly inputRequiredHeld: Gauge;
  // Hot-path label children, resolved once.
  private readonly bytesIn;
  private readonly bytesOut;
  private readonly stderrLogged;
  private readonly stderrDropped;

  constructor(sources: MetricsSources) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry });
    // Gauges named like counters: `promtool check metrics` rejects them, and they add little.
    for (const name of MISNAMED_DEFAULTS) this.registry.removeSingleMetric(name);
    this.sessionsStarted = new Counter({ name: 'mcp_sidecar_sessions_started_total', help: 'Sessions opened, by transport.', labelNames: ['transport'], registers });
    this.sessionsEnded = new Counter({
      name: 'mcp_sidecar_sessions_ended_total',
      help: 'Sessions ended, by reason: session-end (DELETE), idle, ttl, shutdown, memory, timeout, or not restarted (no-restart, start-limit-hit, not-initialized).',
      labelNames: ['reason'],
      registers,
    });
    new Gauge({
      name: 'mcp_sidecar_sessions_active', help: 'Live sessions, by transport.', labelNames: ['transport'], registers,
      collect() {
        this.reset();
        // Known transports show 0 rather than vanish when they have no session.
        for (const transport of TRANSPORTS) this.set({ transport }, 0);
        for (const [transport, count] of sources.sessionsByTransport()) this.set({ transport }, count);
      },
    });
    new Gauge({
      name: 'mcp_sidecar_children', help: 'Child processes alive, by state (spare, running, stopping).', labelNames: ['state'], registers,
      collect() {
        this.reset();
        for (const [state, count] of sources.childrenByState()) this.set({ state }, count);
      },
    });
    new Gauge({ name: 'mcp_sidecar_children_rss_bytes', help: 'RSS of all children\'s process trees at the last watchdog check.', registers, collect() { this.set(sources.childrenRssBytes()); } });
    new Gauge({ name: 'mcp_sidecar_pool_spares', help: 'Warm spares waiting in the pool.', registers, collect() { this.set(sources.poolSpares()); } });
    new Gauge({ name: 'mcp_sidecar_requests_in_flight', help: 'Client requests waiting for their answer.', registers, collect() { this.set(sources.inFlight()); } });
    this.childExits = new Counter({ name: 'mcp_sidecar_child_exits_total', help: 'Child exits, by the result of their exit record.', labelNames: ['result'], registers });
    this.restarts = new Counter({ name: 'mcp_sidecar_child_restarts_total', help: 'Children restarted inside a live session.', registers });
    this.watchdogStops = new Counter({ name: 'mcp_sidecar_watchdog_stops_total', help: 'Children stopped for going over --memory-max.', registers });
    this.poolTakes = new Counter({ name: 'mcp_sidecar_pool_takes_total', help: 'Children wanted for a session (new or restarted), by whether the pool had a spare (hit) or not (miss).', labelNames: ['result'], registers });
    this.requests = new Counter({ name: 'mcp_sidecar_requests_total', help: 'Client requests by JSON-RPC method, outcome and transport.', labelNames: ['method', 'outcome', 'transport'], registers });
    this.requestDuration = new Histogram({ name: 'mcp_sidecar_request_duration_seconds', help: 'Time from a request reaching the daemon to its answer, by method.', labelNames: ['method'], buckets: DURATION_BUCKETS, registers });
    this.toolCalls = new Counter({ name: 'mcp_sidecar_tool_calls_total', help: 'tools/call by tool and outcome (success, is-error, error, timeout, ...).', labelNames: ['tool', 'outcome'], registers });
    this.toolDuration = new Histogram({ name: 'mcp_sidecar_tool_call_duration_seconds', help: 'tools/call duration by tool.', labelNames: ['tool'], buckets: DURATION_BUCKETS, registers });
    this.bytes = new Counter({ name: 'mcp_sidecar_message_bytes_total', help: 'JSON-RPC message bytes relayed: in (client to child) and out (child to client).', labelNames: ['direction'], registers });
    this.stderrLines = new Counter({ name: 'mcp_sidecar_child_stderr_lines_total', help: 'Child stderr lines, logged or dropped by the rate limit.', labelNames: ['disposition'], registers });
    this.refusals = new Counter({ name: 'mcp_sidecar_refused_total', help: 'HTTP requests refused, by reason (docs/errors.md) and status.', labelNames: ['reason', 'status'], registers });
    this.droppedMessages = new Counter({ name: 'mcp_sidecar_child_messages_dropped_total', help: 'Child messages with no stream left to carry them (client gone, or held messages evicted).', registers });
    this.slowClients = new Counter({ name: 'mcp_sidecar_slow_clients_disconnected_total', help: 'Clients disconnected for not reading: over --stream-buffer for --slow-client-timeout.', labelNames: ['transport'], registers });
    this.deadPeers = new Counter({ name: 'mcp_sidecar_websocket_dead_peers_total', help: 'WebSocket connections closed for not answering a ping within --ws-ping-interval.', registers });
    this.eventsEvictedTotal = new Counter({ name: 'mcp_sidecar_sse_events_evicted_total', help: 'SSE events evicted from the per-session event store (--event-store-max-events/--event-store-max-bytes) before the session ended.', registers });
    this.streamsAbandonedTotal = new Counter({ name: 'mcp_sidecar_streams_abandoned_total', help: 'POST SSE streams cut while their requests ran and not resumed within --resume-timeout: ended, their requests cancelled at the child.', registers });
    this.resumptions = new Counter({ name: 'mcp_sidecar_stream_resumptions_total', help: 'GET requests with Last-Event-ID, by whether every event after that id was still kept (complete) or some were evicted (incomplete).', labelNames: ['outcome'], registers });
    new Gauge({ name: 'mcp_sidecar_children_output_paused', help: 'Sessions whose child\'s stdout is paused because a client connection is behind (--stream-buffer).', registers, collect() { this.set(sources.outputPaused()); } });
    this.policyRefusals = new Counter({ name: 'mcp_sidecar_policy_refusals_total', help: 'Client requests refused by per-principal policy before reaching a child: TOOL_FORBIDDEN, RATE_LIMITED, TOOL_RATE_LIMITED, CONCURRENCY_LIMIT.', labelNames: ['reason'], registers });
    this.connectionsDropped = new Counter({ name: 'mcp_sidecar_connections_dropped_total', help: 'TCP connections dropped at accept because --max-connections were open.', registers });
    new Gauge({ name: 'mcp_sidecar_client_buffered_bytes', help: 'Bytes waiting to be read by clients, on every connection together (answers, events, frames).', registers, collect() { this.set(sources.clientBufferedBytes()); } });
    this.overloads = new Counter({ name: 'mcp_sidecar_client_buffer_overloads_total', help: 'Times the bytes waiting for clients went over --client-buffer-budget and every child was paused.', registers });
    this.inputRequiredCalls = new Counter({
      name: 'mcp_sidecar_input_required_total',
      help: "2026-07-28 calls whose server asked for input: held (an input_required answer sent), resumed (a retry's requestState accepted), completed, expired (--input-required-timeout), gone (its client closed), refused (no room, or a requestState that cannot resume: see mcp_sidecar_refused_total).",
      labelNames: ['outcome'], registers,
    });
    this.inputRequiredHeld = new Gauge({ name: 'mcp_sidecar_input_required_held', help: 'Calls held waiting for their client\'s input (their child kept for them).', registers });
    this.jwksFetches = new Counter({
      name: 'mcp_sidecar_jwks_fetches_total',
      help: 'Fetches of the --jwks-url key set, by outcome: ok, error (refused, not 200, not a key set) or timeout. After a failure none for 1 s doubling to 30 s; tokens meanwhile get 503 AUTH_UNAVAILABLE.',
      labelNames: ['outcome'],
      registers,
    });
    this.credentialClosures = new Counter({
      name: 'mcp_sidecar_credential_closures_total',
      help: 'WebSocket connections and legacy SSE streams closed because their credential ended: a static token gone from the reloaded token file (revoked) or a JWT past its exp (expired).',
      labelNames: ['transport', 'cause'],
      registers,
    });
    new Gauge({ name: 'mcp_sidecar_listen_streams_open', help: 'Open 2026-07-28 subscriptions/listen streams.', registers, collect() { this.set(sources.listenStreams()); } });
    this.listenNotifications = new Counter({
      name: 'mcp_sidecar_listen_notifications_total',
      help: 'Change notifications written to subscriptions/listen streams, by method (list_changed of tools, prompts, resources; resources/updated); one per stream.',
      labelNames: ['method'],
      registers,
    });
    for (const transport of TRANSPORTS) this.slowClients.labels(transport);
    this.resumptions.labels('complete');
    this.resumptions.labels('incomplete');
    this.bytesIn = this.bytes.labels('in');
    this.bytesOut = this.bytes.labels('out');
    this.stderrLogged = this.stderrLines.labels('logged');
    this.stderrDropped = this.stderrLines.labels('dropped');
  }

  sessionStarted(transport: string): void {
    this.sessionsStarted.inc({ transport });
  }

  sessionEnded(reason: string): void {
    this.sessionsEnded.inc({ reason });
  }

  childExited(record: ExitRecord): void {
    this.childExits.inc({ result: record.result });
  }

  childRestarted(): void {
    this.restarts.inc();
  }

  watchdogStopped(): void {
    this.watchdogStops.inc();
  }

  poolTake(hit: boolean): void {
    this.poolTakes.inc({ result: hit ? 'hit' : 'miss' });
  }

  messageIn(bytes: number): void {
    this.bytesIn.inc(bytes);
  }

  messageOut(bytes: number): void {
    this.bytesOut.inc(bytes);
  }

  stderrLine(logged: boolean): void {
    (logged ? this.stderrLogged : this.stderrDropped).inc();
  }

  messagesDropped(count: number): void {
    this.droppedMessages.inc(count);
  }

  refused(reason: WireErrorReason, status: number): void {
    this.refusals.inc({ reason, status: String(status) });
  }

  slowClientDisconnected(transport: TransportName): void {
    this.slowClients.inc({ transport });
  }

  inputRequired(outcome: InputRequiredOutcome): void {
    this.inputRequiredCalls.inc({ outcome });
  }

  inputRequiredHeldNow(count: number): void {
    this.inputRequiredHeld.set(count);
  }

  policyRefused(reason: WireErrorReason): void {
    this.policyRefusals.inc({ reason });
  }

  clientBufferOverloaded(): void {
    this.overloads.inc();
  }

  jwksFetched(outcome: JwksFetchOutcome): void {
    this.jwksFetches.inc({ outcome });
  }

  credentialEnded(transport: TransportName, cause: CredentialEnd): void {
    this.credentialClosures.inc({ transport, cause });
  }

  /** `method` is one of the four change notifications (protocol/subscriptions.ts): a bounded label. */
  listenNotificationDelivered(method: string): void {
    this.child(this.listenNotifications, method).inc();
  }

  connectionDropped(): void {
    this.connectionsDropped.inc();
  }

  deadPeer(): void {
    this.deadPeers.inc();
  }

  eventsEvicted(count: number): void {
    this.eventsEvictedTotal.inc(count);
  }

  streamAbandoned(): void {
    this.streamsAbandonedTotal.inc();
  }

  streamResumed(incomplete: boolean): void {
    this.resumptions.inc({ outcome: incomplete ? 'incomplete' : 'complete' });
  }

  requestDone(transport: TransportName, method: string, tool: string | undefined, outcome: RequestOutcome, seconds: number): void {
    const label = KNOWN_METHODS.has(method) ? method : 'other';
    this.child(this.requests, label, outcome, transport).inc();
    this.child(this.requestDuration, label).observe(seconds);
    if (tool === undefined) return;
    const toolLabel = this.toolLabel(tool);
    this.child(this.toolCalls, toolLabel, outcome).inc();
    this.child(this.toolDuration, toolLabel).observe(seconds);
  }

  /**
   * A metric's child for these label values, resolved once: prom-client hashes the label object on
   * every call otherwise, and this is the per-request path. Label sets are bounded (see above).
   */
  private child<T extends { labels(...values: string[]): unknown }>(metric: T, ...values: string[]): ReturnType<T['labels']> {
    const key = values.join('\u0000');
    let byValues = this.children.get(metric);
    if (!byValues) {
      byValues = new Map();
      this.children.set(metric, byValues);
    }
    let found = byValues.get(key);
    if (!found) {
      found = metric.labels(...values);
      byValues.set(key, found);
    }
    return found as ReturnType<T['labels']>;
  }

  private toolLabel(tool: string): string {
    if (this.toolLabels.has(tool)) return tool;
    if (this.toolLabels.size >= TOOL_LABEL_CAP) return 'other';
    this.toolLabels.add(tool);
    return tool;
  }
}
