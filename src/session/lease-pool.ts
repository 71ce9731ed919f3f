/**
 * Leases by principal and capability set. A 2026-07-28 request borrows an initialized child of its
 * own principal (never another's: per-principal environments, tool policy and audit stay exact)
 * and of the capabilities it declared. A lease carries many requests of that principal at once;
 * one that has --max-in-flight requests waiting makes room by a second lease. Opening one is a
 * session opening like any other (--max-sessions, the per-principal cap, --rate-limit), and
 * concurrent requests that need the same new lease wait for one opening, not one each.
 *
 * What a server says about itself (for `server/discover`) is learned once per capability set,
 * from the first lease's initialize result, not by a child per discover.
 */
import type { Principal } from '../auth/principal.js';
import type { JsonRpcRequest } from '../jsonrpc/message.js';
import type { Logger } from '../observability/logger.js';
import { canonicalJson } from '../protocol/canonical-json.js';
import { META, MODERN_VERSIONS, NEWEST_LEGACY_VERSION } from '../protocol/versions.js';
import type { ServerEra } from '../supervisor/probe-era.js';
import { AwaitedAnswer, Lease, type ServerView } from './lease.js';
import { LeaseStandalone } from './lease-standalone.js';
import type { Refusal, SessionHost } from './session-host.js';

/** What a modern request says about its client. */
export interface ClientClaim {
  capabilities: Record<string, unknown>;
  clientInfo: { name: string; version: string } | undefined;
}

/** Why a lease could not be had: a refused opening, or a child that would not initialize. */
export type LeaseFailure = Refusal | { failed: string };

/**
 * The client capabilities a spare is initialized with ahead of any client (prepare-spare.ts): none.
 * A child is initialized with its client's own capabilities, so a 2025-era server decides what to
 * ask exactly as it would with that client (a well-made one does not ask for what is not declared);
 * only a client that declares none can take such a spare.
 */
export const SPARE_CAPABILITIES = {};

export const DAEMON_INFO = { name: 'mcp-sidecar', version: '0.1.0' };

/** Two equal capability sets make one key. */
const canonical = canonicalJson;

/** What a 2025-era child said about itself in its initialize result. */
function viewOf(result: { protocolVersion?: unknown; capabilities?: unknown; serverInfo?: unknown; instructions?: unknown }): ServerView {
  return {
    protocolVersion: typeof result.protocolVersion === 'string' ? result.protocolVersion : '',
    capabilities: typeof result.capabilities === 'object' && result.capabilities !== null ? result.capabilities as Record<string, unknown> : {},
    serverInfo: typeof result.serverInfo === 'object' && result.serverInfo !== null ? result.serverInfo as Record<string, unknown> : undefined,
    instructions: typeof result.instructions === 'string' ? result.instructions : undefined,
  };
}

/**
 * Capability sets are whatever clients send: what is learned per set is kept for this many sets at
 * most, the oldest forgotten first (it is learned again from the next lease of that set).
 */
const MAX_REMEMBERED = 256;

function remember<V>(map: Map<string, V>, key: string, value: V): void {
  map.delete(key);
  map.set(key, value);
  if (map.size > MAX_REMEMBERED) map.delete(map.keys().next().value as string);
}

export class LeasePool {
  private readonly host: SessionHost;
  private readonly logger: Logger;
  private readonly maxInFlight: number;
  private readonly initTimeoutMs: number;
  private readonly leases = new Map<string, Lease[]>();
  private readonly opening = new Map<string, Promise<Lease | LeaseFailure>>();
  private readonly views = new Map<string, ServerView>();
  /** Tool schemas by capability set, shared by its leases (see Lease.catalog). */
  private readonly catalogs = new Map<string, { tools?: Map<string, unknown> }>();
  /** Whether the server speaks 2026-07-28 itself (probe-era.ts), asked at the first modern request. */
  private era: Promise<ServerEra> | undefined;
  private probe: () => Promise<ServerEra> = () => Promise.resolve({ era: 'legacy' });

  constructor(host: SessionHost, logger: Logger, options: { maxInFlight: number; initTimeoutMs: number }) {
    this.host = host;
    this.logger = logger;
    this.maxInFlight = options.maxInFlight;
    this.initTimeoutMs = options.initTimeoutMs;
  }

  /** How to learn what the server is; asked once, when the first modern request needs to know. */
  probeWith(probe: () => Promise<ServerEra>): void {
    this.probe = probe;
  }

  /** The server's own view when it is modern: its discover result, relayed as it is. */
  async modernServer(): Promise<ServerView | undefined> {
    this.era ??= this.probe();
    const era = await this.era;
    if (era.era !== 'modern') return undefined;
    const discover = era.discover;
    const meta = discover._meta as Record<string, unknown> | undefined;
    return {
      protocolVersion: MODERN_VERSIONS[0],
      capabilities: typeof discover.capabilities === 'object' && discover.capabilities !== null ? discover.capabilities as Record<string, unknown> : {},
      serverInfo: meta?.[META.serverInfo] as Record<string, unknown> | undefined,
      instructions: typeof discover.instructions === 'string' ? discover.instructions : undefined,
      modern: discover,
    };
  }

  /** Live leases, across principals (for /status and tests). */
  get size(): number {
    let live = 0;
    for (const leases of this.leases.values()) live += leases.filter((lease) => lease.usable).length;
    return live;
  }

  /**
   * A lease for `principal` and `claim`: the least busy live one with room, or a new one, opened
   * when `admit` lets the principal open a session.
   */
  async acquire(principal: Principal, claim: ClientClaim, admit: () => Refusal | undefined, exclusive = false): Promise<Lease | LeaseFailure> {
    const key = `${principal.kind}:${principal.name}|${canonical(claim.capabilities)}`;
    const live = (this.leases.get(key) ?? []).filter((lease) => lease.usable);
    if (live.length === 0) this.leases.delete(key);
    else this.leases.set(key, live);
    if (this.leases.size > MAX_REMEMBERED) this.forgetEnded();
    if (exclusive) return this.acquireAlone(key, live, principal, claim, admit);
    let best: Lease | undefined;
    for (const lease of live) if (!lease.reserved && (!best || lease.session.inFlight < best.session.inFlight)) best = lease;
    if (best && best.session.inFlight < this.maxInFlight) return best;
    const pending = this.opening.get(key);
    if (pending) return pending;
    const refused = admit();
    if (refused) return best ?? refused;
    const opened = this.open(key, principal, claim).finally(() => this.opening.delete(key));
    this.opening.set(key, opened);
    return opened;
  }

  /**
   * A lease held by one call alone (a call that may ask its client for input: the child's
   * questions are then surely that call's): an idle one, else a new one of its own.
   */
  private async acquireAlone(key: string, live: Lease[], principal: Principal, claim: ClientClaim, admit: () => Refusal | undefined): Promise<Lease | LeaseFailure> {
    for (const lease of live) if (lease.reserve()) return lease;
    const refused = admit();
    if (refused) return refused;
    return this.open(key, principal, claim, true);
  }

  /** What the server behind this daemon is, for clients of this capability set. */
  async discover(principal: Principal, claim: ClientClaim, admit: () => Refusal | undefined): Promise<ServerView | LeaseFailure> {
    const modern = await this.modernServer();
    if (modern) return modern;
    const known = this.views.get(canonical(claim.capabilities));
    if (known) return known;
    const lease = await this.acquire(principal, claim, admit);
    return lease instanceof Lease ? lease.server : lease;
  }

  /** Drops the keys whose leases have all ended (their sessions were reaped). */
  private forgetEnded(): void {
    for (const [key, leases] of this.leases) if (!leases.some((lease) => lease.usable)) this.leases.delete(key);
  }

  private catalogOf(claim: ClientClaim): { tools?: Map<string, unknown> } {
    const key = canonical(claim.capabilities);
    let catalog = this.catalogs.get(key);
    if (!catalog) {
      catalog = {};
      remember(this.catalogs, key, catalog);
    }
    return catalog;
  }

  private async open(key: string, principal: Principal, claim: ClientClaim, alone = false): Promise<Lease | LeaseFailure> {
    const modern = await this.modernServer();
    // A client that declares what the spares were initialized with can have one.
    const fits = canonical(claim.capabilities) === canonical(SPARE_CAPABILITIES);
    const prepared = modern || !fits ? undefined : this.host.openPrepared(principal);
    const session = prepared?.session ?? this.host.open('streamable-http', principal);
    session.era = 'modern';
    session.openStandalone(new LeaseStandalone(session, this.host.listens));
    if (prepared) {
      const lease = new Lease(key, session, viewOf(prepared.result), this.catalogOf(claim));
      remember(this.views, canonical(claim.capabilities), lease.server);
      if (alone) lease.reserve(); // Before any other request can see it.
      this.leases.set(key, [...(this.leases.get(key) ?? []), lease]);
      session.logger.info({ principal: principal.name, childProtocolVersion: lease.server.protocolVersion, prepared: true }, 'lease opened for 2026-07-28 requests');
      return lease;
    }
    if (modern) {
      // A modern server needs no initialize: its requests carry what initialize said.
      const lease = new Lease(key, session, modern, this.catalogOf(claim));
      if (alone) lease.reserve(); // Before any other request can see it.
      this.leases.set(key, [...(this.leases.get(key) ?? []), lease]);
      return lease;
    }
    const sink = new AwaitedAnswer();
    const capabilities = claim.capabilities;
    const initialize: JsonRpcRequest = {
      jsonrpc: '2.0', id: 'mcp-sidecar-lease-initialize', method: 'initialize',
      params: { protocolVersion: NEWEST_LEGACY_VERSION, capabilities, clientInfo: claim.clientInfo ?? DAEMON_INFO },
    };
    const raw = JSON.stringify(initialize);
    const timer = setTimeout(() => sink.close('timeout', `the server did not answer initialize within ${this.initTimeoutMs}ms`), this.initTimeoutMs);
    timer.unref();
    try {
      await session.submitRequest({ kind: 'request', message: initialize, raw, bytes: Buffer.byteLength(raw) }, sink, principal);
      const answer = await sink.answer;
      const result = answer.result as { protocolVersion?: unknown; capabilities?: unknown; serverInfo?: unknown; instructions?: unknown } | undefined;
      if (answer.error || typeof result?.protocolVersion !== 'string') {
        void session.end('session-end');
        return { failed: answer.error ? `the server refused initialize: ${answer.error.message}` : 'the server answered initialize without a protocol version' };
      }
      // Through the session, so a restart replays it with the initialize.
      const notified = JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' });
      await session.forward({ kind: 'notification', message: { jsonrpc: '2.0', method: 'notifications/initialized' }, raw: notified, bytes: notified.length }, principal);
      const view = viewOf(result);
      remember(this.views, canonical(claim.capabilities), view);
      const lease = new Lease(key, session, view, this.catalogOf(claim));
      if (alone) lease.reserve(); // Before any other request can see it.
      this.leases.set(key, [...(this.leases.get(key) ?? []), lease]);
      session.logger.info({ principal: principal.name, childProtocolVersion: view.protocolVersion }, 'lease opened for 2026-07-28 requests');
      return lease;
    } catch (error) {
      void session.end('session-end');
      this.logger.warn({ err: (error as Error).message, principal: principal.name }, 'lease could not be opened');
      return { failed: (error as Error).message };
    } finally {
      clearTimeout(timer);
    }
  }
}
