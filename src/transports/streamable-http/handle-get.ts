/**
 * GET: the session's standalone SSE stream (one connection at a time), or, with `Last-Event-ID`,
 * the resumption of a cut stream: what the client missed on that stream (never another's), then
 * the rest of it.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { principalOf } from '../../auth/request-principal.js';
import { sendWireError } from '../../http/respond.js';
import { SSE_HEADERS, sseEvent } from '../../http/sse.js';
import { parseEventId, type StoredEvent } from '../../session/event-store.js';
import type { Session } from '../../session/session.js';
import { findSession, type TransportContext } from '../shared/transport-context.js';
import { streamsOf, type SessionStreams } from './session-streams.js';
import { StandaloneStream } from './standalone-stream.js';
import { isSessionlessModern } from './modern/classify.js';
import { checkGetAccept, checkProtocolVersion, sessionIdOf } from './validate.js';

export function handleGet(req: IncomingMessage, res: ServerResponse, context: TransportContext): void {
  const refused = checkGetAccept(req.headers);
  if (refused) return sendWireError(res, refused, { detail: 'GET needs Accept: text/event-stream' });
  if (isSessionlessModern(req.headers)) return sendWireError(res, 'MODERN_SESSIONLESS', { headers: { allow: 'POST' } });
  const named = sessionIdOf(req.headers);
  if ('reason' in named) return sendWireError(res, named.reason);
  const badVersion = checkProtocolVersion(req.headers);
  if (badVersion) return sendWireError(res, badVersion, { detail: String(req.headers['mcp-protocol-version']) });
  const session = findSession(context, named.id, principalOf(req));
  if (!session) return sendWireError(res, 'SESSION_NOT_FOUND');
  const streams = streamsOf(session, context.sessions);
  const lastEventId = req.headers['last-event-id'];
  if (lastEventId === undefined) return openStandalone(res, session, streams);
  resume(res, session, streams, String(lastEventId), context);
}

function openStandalone(res: ServerResponse, session: Session, streams: SessionStreams, replay?: readonly StoredEvent[]): void {
  if (session.hasOpenStream) return sendWireError(res, 'STREAM_CONFLICT');
  session.openStandalone(new StandaloneStream(res, streams, replay, (stream) => session.standaloneClosed(stream)));
}

function resume(res: ServerResponse, session: Session, streams: SessionStreams, lastEventId: string, context: TransportContext): void {
  const position = parseEventId(lastEventId);
  if (!position || position.stream >= streams.issuedStreams || !streams.events.issued(position.n)) {
    const why = streams.events.enabled ? 'not an event id of this session' : 'streams are not resumable (--event-store-max-events 0)';
    return sendWireError(res, 'LAST_EVENT_ID_UNKNOWN', { detail: why });
  }
  const replay = streams.events.after(position.stream, position.n);
  const live = streams.resumable.get(position.stream);
  const standalone = !live && streams.isStandalone(position.stream);
  context.sessions.metrics.streamResumed(replay.incomplete);
  const log = { lastEventId, replayed: replay.events.length, ...(replay.incomplete ? { incomplete: true } : {}) };
  if (replay.incomplete) session.logger.warn(log, 'stream resumed, but events after the resumption point were evicted (--event-store-max-events/--event-store-max-bytes)');
  else session.logger.debug(log, 'stream resumed');
  if (live) return live.resume(res, replay.events);
  if (standalone) {
    // The client says it lost the stream: an old connection the daemon still holds (a network that
    // dropped without a close) gives way to the resumption.
    session.streams.standalone?.close();
    return openStandalone(res, session, streams, replay.events);
  }
  // A POST stream that is already complete: what the client missed of it, and its end.
  res.writeHead(200, SSE_HEADERS);
  for (const event of replay.events) res.write(sseEvent(event.raw, event.id));
  res.end();
}
