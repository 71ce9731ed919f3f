/**
 * What one server reports to the daemon's metrics: its sessions, children, requests, tools and
 * streams, each series carrying its `server` label when the daemon labels them (metrics.ts owns
 * the names). Label children are resolved once per value set: prom-client hashes the label
 * object on every call otherwise. What a request moves (its counts, its two durations) is resolved
 * once per kind of request, and counted as plain numbers: this is the per-request path.
 */
import type { CredentialEnd } from '../auth/credential.js';
import type { WireErrorReason } from '../errors/wire.js';
import type { ExitRecord } from '../supervisor/exit-record.js';
import type { CounterSlot } from './counter-tally.js';
import { KNOWN_METHODS, TOOL_LABEL_CAP, TRANSPORTS, type InputRequiredOutcome, type RequestOutcome, type ServerFamilies, type TransportName } from './metrics.js';
import type { HistogramSeries } from './series-histogram.js';

interface Child {
  inc(value?: number): void;
}

/** What one kind of request (transport, method, outcome, tool) moves, resolved once. */
interface RequestSeries {
  requests: CounterSlot<string>;
  duration: HistogramSeries<string>;
  toolCalls: CounterSlot<string> | undefined;
  toolDuration: HistogramSeries<string> | undefined;
}

export class ServerMetrics {
  private readonly families: ServerFamilies;
  /** `[server]` when series are labelled by server, else nothing. */
  private readonly prefix: readonly string[];
  /** `{ server }` when series are labelled by server, else nothing: the first labels of a tally's slot. */
  private readonly serverLabels: Readonly<Record<string, string>>;
  private readonly children = new Map<object, Map<string, Child>>();
  private readonly requestSeries = new Map<string, RequestSeries>();
  private readonly toolLabels = new Set<string>();
  private readonly release: () => void;
  // Hot-path series, resolved once.
  private readonly bytesIn: CounterSlot<string>;
  private readonly bytesOut: CounterSlot<string>;
  private readonly stderrLogged: Child;
  private readonly stderrDropped: Child;

  constructor(families: ServerFamilies, prefix: readonly string[], release: () => void) {
    this.families = families;
    this.prefix = prefix;
    this.serverLabels = prefix.length > 0 ? { server: prefix[0] as string } : {};
    this.release = release;
    // Series shown as 0 from the start rather than appearing with the first event.
    for (const transport of TRANSPORTS) this.child(families.slowClients, transport);
    this.child(families.resumptions, 'complete');
    this.child(families.resumptions, 'incomplete');
    this.bytesIn = families.bytes.slot({ ...this.serverLabels, direction: 'in' });
    this.bytesOut = families.bytes.slot({ ...this.serverLabels, direction: 'out' });
    this.stderrLogged = this.child(families.stderrLines, 'logged');
    this.stderrDropped = this.child(families.stderrLines, 'dropped');
  }

  /** The server generation is gone: its gauges stop reading it (its counters stay, as counters do). */
  dispose(): void {
    this.release();
  }

  sessionStarted(transport: string): void {
    this.child(this.families.sessionsStarted, transport).inc();
  }

  sessionEnded(reason: string): void {
    this.child(this.families.sessionsEnded, reason).inc();
  }

  childExited(record: ExitRecord): void {
    this.child(this.families.childExits, record.result).inc();
  }

  childRestarted(): void {
    this.child(this.families.restarts).inc();
  }

  watchdogStopped(): void {
    this.child(this.families.watchdogStops).inc();
  }

  poolTake(hit: boolean): void {
    this.child(this.families.poolTakes, hit ? 'hit' : 'miss').inc();
  }

  messageIn(bytes: number): void {
    this.bytesIn.pending += bytes;
  }

  messageOut(bytes: number): void {
    this.bytesOut.pending += bytes;
  }

  stderrLine(logged: boolean): void {
    (logged ? this.stderrLogged : this.stderrDropped).inc();
  }

  messagesDropped(count: number): void {
    this.child(this.families.droppedMessages).inc(count);
  }

  slowClientDisconnected(transport: TransportName): void {
    this.child(this.families.slowClients, transport).inc();
  }

  policyRefused(reason: WireErrorReason): void {
    this.child(this.families.policyRefusals, reason).inc();
  }

  listenNotificationDelivered(method: string): void {
    this.child(this.families.listenNotifications, method).inc();
  }

  inputRequired(outcome: InputRequiredOutcome): void {
    this.child(this.families.inputRequired, outcome).inc();
  }

  clientBufferOverloaded(): void {
    this.child(this.families.overloads).inc();
  }

  credentialEnded(transport: TransportName, cause: CredentialEnd): void {
    this.child(this.families.credentialClosures, transport, cause).inc();
  }

  deadPeer(): void {
    this.child(this.families.deadPeers).inc();
  }

  eventsEvicted(count: number): void {
    this.child(this.families.eventsEvicted).inc(count);
  }

  streamAbandoned(): void {
    this.child(this.families.streamsAbandoned).inc();
  }

  streamResumed(incomplete: boolean): void {
    this.child(this.families.resumptions, incomplete ? 'incomplete' : 'complete').inc();
  }

  requestDone(transport: TransportName, method: string, tool: string | undefined, outcome: RequestOutcome, seconds: number): void {
    const label = KNOWN_METHODS.has(method) ? method : 'other';
    const toolLabel = tool === undefined ? undefined : this.toolLabel(tool);
    // Only the tool label can hold any character, and it comes last: the key is unambiguous.
    const key = toolLabel === undefined ? `${transport}\u0000${label}\u0000${outcome}` : `${transport}\u0000${label}\u0000${outcome}\u0000${toolLabel}`;
    const series = this.requestSeries.get(key) ?? this.newRequestSeries(key, transport, label, outcome, toolLabel);
    series.requests.pending++;
    series.duration.observe(seconds);
    if (series.toolCalls === undefined || series.toolDuration === undefined) return;
    series.toolCalls.pending++;
    series.toolDuration.observe(seconds);
  }

  private newRequestSeries(key: string, transport: TransportName, method: string, outcome: RequestOutcome, tool: string | undefined): RequestSeries {
    const server = this.serverLabels;
    const { families } = this;
    const series: RequestSeries = {
      requests: families.requests.slot({ ...server, method, outcome, transport }),
      duration: families.requestDuration.series({ ...server, method }),
      toolCalls: tool === undefined ? undefined : families.toolCalls.slot({ ...server, tool, outcome }),
      toolDuration: tool === undefined ? undefined : families.toolDuration.series({ ...server, tool }),
    };
    this.requestSeries.set(key, series);
    return series;
  }

  /** A family's child for these label values (after the server's), resolved once. Label sets are bounded. */
  private child(family: { labels(...values: string[]): unknown }, ...values: string[]): Child {
    const key = values.join('\u0000');
    let byValues = this.children.get(family);
    if (!byValues) {
      byValues = new Map();
      this.children.set(family, byValues);
    }
    let found = byValues.get(key);
    if (!found) {
      found = family.labels(...this.prefix, ...values) as Child;
      byValues.set(key, found);
    }
    return found;
  }

  private toolLabel(tool: string): string {
    if (this.toolLabels.has(tool)) return tool;
    if (this.toolLabels.size >= TOOL_LABEL_CAP) return 'other';
    this.toolLabels.add(tool);
    return tool;
  }
}
