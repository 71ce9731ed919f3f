/**
 * POST: one client message, or a JSON-RPC batch from a client that negotiated a protocol version
 * that has them. Validation comes first and is complete before anything is spawned: a refused
 * request never leaves a process behind.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { NO_CREDENTIAL, type Credential } from '../../auth/credential.js';
import type { Principal } from '../../auth/principal.js';
import { principalOf } from '../../auth/request-principal.js';
import { wireError } from '../../errors/wire.js';
import { sendJson, sendWireError } from '../../http/respond.js';
import type { Framed, JsonRpcRequest } from '../../jsonrpc/message.js';
import { contextOf } from '../../observability/request-context.js';
import type { Session } from '../../session/session.js';
import { readMessage } from '../shared/read-message.js';
import { admissionRefusal, findSession, type TransportContext } from '../shared/transport-context.js';
import { batchRefusal, handleBatch } from './handle-batch.js';
import { eraOf } from './modern/classify.js';
import { handleModern } from './modern/handle-modern.js';
import { handleListen, isListen } from './modern/listen.js';
import { PostStream } from './post-stream.js';
import { streamsOf } from './session-streams.js';
import { checkContentType, checkPostAccept, checkProtocolVersion, sessionIdOf } from './validate.js';

/** `credential` is what the request was admitted with: a long-lived answer (a listen stream) ends with it. */
export async function handlePost(req: IncomingMessage, res: ServerResponse, context: TransportContext, credential: Credential = NO_CREDENTIAL): Promise<void> {
  const refused = checkPostAccept(req.headers) ?? checkContentType(req.headers);
  if (refused) return sendWireError(res, refused);

  const framed = await readMessage(req, res, context.config.maxBodyBytes);
  if (!framed) return;
  const era = eraOf(req.headers, framed);
  if (era === 'modern-batch') return sendWireError(res, 'MODERN_BATCH_REFUSED');
  if (era === 'modern' && isListen(framed as Framed)) return handleListen(req, res, framed as Framed, principalOf(req), context, credential);
  if (era === 'modern') return handleModern(req, res, framed as Framed, principalOf(req), context);
  const badBatch = framed.kind === 'batch' ? batchRefusal(framed.items) : undefined;
  if (badBatch) return sendWireError(res, badBatch.reason, { detail: badBatch.detail });

  if (framed.kind === 'request' && (framed.message as JsonRpcRequest).method === 'initialize') {
    return initialize(req, res, framed as Framed<JsonRpcRequest>, context);
  }

  // A refusal carries the request's id whenever it has one.
  const id = framed.kind === 'request' ? (framed.message as JsonRpcRequest).id : null;
  const named = sessionIdOf(req.headers);
  if ('reason' in named) return sendWireError(res, named.reason, { id });
  const badVersion = checkProtocolVersion(req.headers);
  if (badVersion) return sendWireError(res, badVersion, { id, detail: String(req.headers['mcp-protocol-version']) });
  const principal = principalOf(req);
  const session = findSession(context, named.id, principal);
  if (!session) return sendWireError(res, 'SESSION_NOT_FOUND', { id });

  if (framed.kind === 'batch') return handleBatch(req, res, framed.items, session, principal, context);
  // Awaited rather than returned: an async function that returns a promise settles its own three microtasks later.
  if (framed.kind === 'request') return await request(req, res, framed as Framed<JsonRpcRequest>, session, principal, context);
  const outcome = await session.forward(framed, principal);
  if (outcome === 'forwarded') {
    res.writeHead(202).end();
  } else if (outcome === 'ended') {
    sendWireError(res, 'SESSION_NOT_FOUND');
  } else {
    sendWireError(res, outcome.refused, { headers: { 'retry-after': outcome.retryAfterSeconds } });
  }
}

async function initialize(req: IncomingMessage, res: ServerResponse, framed: Framed<JsonRpcRequest>, context: TransportContext): Promise<void> {
  if (req.headers['mcp-session-id'] !== undefined) return sendWireError(res, 'INITIALIZE_WITH_SESSION', { id: framed.message.id });
  const principal = principalOf(req);
  const refused = admissionRefusal(context, 'streamable-http', principal);
  if (refused) return sendWireError(res, refused.reason, { id: framed.message.id, headers: { 'retry-after': refused.retryAfterSeconds } });
  const session = context.sessions.open('streamable-http', principal);
  const sink = new PostStream(res, streamsOf(session, context.sessions), 1, { sessionId: session.id });
  await session.submitRequest(framed, sink, principal, contextOf(req));
}

async function request(req: IncomingMessage, res: ServerResponse, framed: Framed<JsonRpcRequest>, session: Session, principal: Principal, context: TransportContext): Promise<void> {
  const outcome = await session.submitRequest(framed, new PostStream(res, streamsOf(session, context.sessions), 1), principal, contextOf(req));
  if (outcome === 'duplicate-id') {
    sendJson(res, 200, JSON.stringify(wireError('DUPLICATE_REQUEST_ID', framed.message.id)));
  } else if (outcome !== 'accepted') {
    sendWireError(res, outcome.refused, { id: framed.message.id, headers: { 'retry-after': outcome.retryAfterSeconds } });
  }
}
