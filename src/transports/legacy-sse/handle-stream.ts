/**
 * GET on the legacy SSE path: opens a session with a child of its own and answers with the stream
 * that carries everything the child sends. Its first event, `endpoint`, names the URL the client
 * posts to. Closing the stream ends the session, and its child goes down the stop ladder.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { principalOf } from '../../auth/request-principal.js';
import { sendWireError } from '../../http/respond.js';
import { admissionRefusal, type TransportContext } from '../shared/transport-context.js';
import { accepts } from '../streamable-http/validate.js';
import { LegacySseSink } from './connection-sink.js';

export function handleLegacyStream(req: IncomingMessage, res: ServerResponse, context: TransportContext, messagesPath: string): void {
  if (req.headers.accept !== undefined && !accepts(req.headers.accept, 'text/event-stream')) {
    return sendWireError(res, 'NOT_ACCEPTABLE', { detail: 'the SSE stream needs Accept: text/event-stream' });
  }
  const principal = principalOf(req);
  const refused = admissionRefusal(context, 'sse', principal);
  if (refused) return sendWireError(res, refused.reason, { headers: { 'retry-after': refused.retryAfterSeconds } });
  const session = context.sessions.open('sse', principal);
  const sink = new LegacySseSink(res, context.sessions.connectionEnv(session), () => {
    if (session.live) void context.sessions.registry.end(session, 'session-end');
  });
  session.attachConnection(sink);
  sink.sendEndpoint(`${messagesPath}?sessionId=${session.id}`);
}
