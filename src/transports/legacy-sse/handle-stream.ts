/**
 * GET on the legacy SSE path: opens a session with a child of its own and answers with the stream
 * that carries everything the child sends. Its first event, `endpoint`, names the URL the client
 * posts to. Closing the stream ends the session, and its child goes down the stop ladder. The
 * stream ends with the credential it was opened with (a token revoked on SIGHUP, a JWT's expiry).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Credential } from '../../auth/credential.js';
import { principalOf } from '../../auth/request-principal.js';
import { sendWireError } from '../../http/respond.js';
import { endWithCredential } from '../shared/end-with-credential.js';
import { admissionRefusal, type TransportContext } from '../shared/transport-context.js';
import { accepts } from '../streamable-http/validate.js';
import { LegacySseSink } from './connection-sink.js';

export function handleLegacyStream(req: IncomingMessage, res: ServerResponse, context: TransportContext, messagesPath: string, credential: Credential): void {
  if (req.headers.accept !== undefined && !accepts(req.headers.accept, 'text/event-stream')) {
    return sendWireError(res, 'NOT_ACCEPTABLE', { detail: 'the SSE stream needs Accept: text/event-stream' });
  }
  const principal = principalOf(req);
  const refused = admissionRefusal(context, 'sse', principal);
  if (refused) return sendWireError(res, refused.reason, { headers: { 'retry-after': refused.retryAfterSeconds } });
  const session = context.sessions.open('sse', principal);
  let unwatch = (): void => {};
  const sink = new LegacySseSink(res, context.sessions.connectionEnv(session), () => {
    unwatch();
    if (session.live) void context.sessions.registry.end(session, 'session-end');
  });
  session.attachConnection(sink);
  // The legacy transport has no way to say why: the stream just ends (the log and metrics say why).
  unwatch = endWithCredential(context, session, 'sse', credential, () => sink.close());
  sink.sendEndpoint(`${messagesPath}?sessionId=${session.id}`);
}
