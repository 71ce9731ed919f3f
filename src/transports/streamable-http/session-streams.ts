/**
 * The Streamable HTTP side of one session: its event store, the ids of its SSE streams, its
 * standalone stream (one logical stream over every GET), and the POST streams a client may still
 * resume. Kept beside the session rather than in it: other transports have no use for it.
 */
import type { ServerResponse } from 'node:http';
import { EventStore, type StoredEvent } from '../../session/event-store.js';
import type { ConnectionEnv } from '../shared/connection-env.js';
import type { Session } from '../../session/session.js';
import type { SessionHost } from '../../session/session-host.js';
import type { RequestSink } from '../../session/sink.js';
import { EventStream } from './event-stream.js';

/** A POST stream whose connection was cut while requests it carries are still in flight. */
export interface ResumableStream {
  resume(res: ServerResponse, replay: readonly StoredEvent[]): void;
}

export class SessionStreams {
  readonly events: EventStore;
  readonly resumable = new Map<number, ResumableStream>();
  private readonly host: SessionHost;
  private readonly session: Session;
  private nextId = 0;
  private standaloneStream: EventStream | undefined;

  constructor(session: Session, host: SessionHost) {
    this.session = session;
    this.host = host;
    this.events = new EventStore(host.eventStoreLimits, (count) => host.metrics.eventsEvicted(count));
  }

  /** How many streams were opened: ids below this are ours. */
  get issuedStreams(): number {
    return this.nextId;
  }

  /** Whether `id` is the standalone stream's. */
  isStandalone(id: number): boolean {
    return this.standaloneStream?.id === id;
  }

  /** A new logical SSE stream of this session. */
  newStream(): EventStream {
    return new EventStream(this.nextId++, this.events, this.connectionEnv());
  }

  /** What a connection of this session needs: buffer bounds, backpressure, the daemon's budget. */
  connectionEnv(): ConnectionEnv {
    return this.host.connectionEnv(this.session);
  }

  /** The session's one standalone stream, whichever GET carries it. */
  get standalone(): EventStream {
    this.standaloneStream ??= this.newStream();
    return this.standaloneStream;
  }

  /**
   * A cut POST stream its client did not resume within --resume-timeout: its requests are
   * cancelled at the child, so their output stops filling the event store and their slots free.
   */
  abandon(stream: RequestSink, streamId: number): void {
    const ids = this.session.cancelRequestsOf(stream, 'stream cut and not resumed (--resume-timeout)');
    this.host.metrics.streamAbandoned();
    this.session.logger.warn({ stream: streamId, cancelled: ids, resumeTimeoutMs: this.host.resumeTimeoutMs },
      'POST stream cut and not resumed within --resume-timeout: ended, its requests cancelled at the child');
  }

  /** How long a cut POST stream waits for its client to resume it. */
  get resumeTimeoutMs(): number {
    return this.host.resumeTimeoutMs;
  }

  /** Whether a priming event goes first on new streams (2025-11-25 and later). */
  get priming(): boolean {
    return this.events.enabled && (this.session.protocolVersion ?? '') >= '2025-11-25';
  }
}

const bySession = new WeakMap<Session, SessionStreams>();

export function streamsOf(session: Session, host: SessionHost): SessionStreams {
  let streams = bySession.get(session);
  if (!streams) {
    streams = new SessionStreams(session, host);
    bySession.set(session, streams);
  }
  return streams;
}
