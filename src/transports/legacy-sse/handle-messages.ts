/**
 * POST on the legacy messages path: one client message for the session named by `?sessionId=`.
 * Accepted messages get 202 and their answers go on the session's SSE stream; a message refused
 * here gets its JSON-RPC error in this response, with the registry's status.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { principalOf } from '../../auth/request-principal.js';
import { wireError } from '../../errors/wire.js';
import { sendJson, sendWireError } from '../../http/respond.js';
import type { Framed, JsonRpcRequest } from '../../jsonrpc/message.js';
import { contextOf } from '../../observability/request-context.js';
import { isWellFormedSessionId } from '../../session/session-id.js';
import { readMessage } from '../shared/read-message.js';
import { findSession, type TransportContext } from '../shared/transport-context.js';
import { checkContentType } from '../streamable-http/validate.js';

export async function handleLegacyMessage(req: IncomingMessage, res: ServerResponse, context: TransportContext): Promise<void> {
  const id = new URL(req.url ?? '/', 'http://localhost').searchParams.get('sessionId');
  if (id === null || id === '') return sendWireError(res, 'SESSION_QUERY_REQUIRED');
  if (!isWellFormedSessionId(id)) return sendWireError(res, 'SESSION_ID_MALFORMED');
  const refused = checkContentType(req.headers);
  if (refused) return sendWireError(res, refused);

  const framed = await readMessage(req, res, context.config.maxBodyBytes);
  if (!framed) return;
  if (framed.kind === 'batch') return sendWireError(res, 'BATCH_REFUSED', { detail: 'the legacy SSE transport takes one message per POST' });

  const principal = principalOf(req);
  const session = findSession(context, id, principal);
  // Only the legacy transport's sessions live here: a Streamable HTTP session id is not found.
  const sink = session?.transport === 'sse' ? session.connection : undefined;
  if (!session || !sink) return sendWireError(res, 'SESSION_NOT_FOUND');

  if (framed.kind === 'request') {
    const request = framed as Framed<JsonRpcRequest>;
    const outcome = await session.submitRequest(request, sink, principal, contextOf(req));
    // A duplicate's error goes here, not on the stream, where the client would take it for the answer to the first.
    if (outcome === 'duplicate-id') return sendJson(res, 400, JSON.stringify(wireError('DUPLICATE_REQUEST_ID', request.message.id)));
    if (outcome !== 'accepted') return sendWireError(res, outcome.refused, { id: request.message.id, headers: { 'retry-after': outcome.retryAfterSeconds } });
  } else {
    const outcome = await session.forward(framed, principal);
    if (outcome === 'ended') return sendWireError(res, 'SESSION_NOT_FOUND');
    if (outcome !== 'forwarded') return sendWireError(res, outcome.refused, { headers: { 'retry-after': outcome.retryAfterSeconds } });
  }
  res.writeHead(202, { 'content-length': 0 }).end();
}
