/**
 * A JSON-RPC batch in one POST. MCP 2025-03-26 allows them and 2025-06-18 removed them, so a batch
 * is accepted only on a session whose negotiated version is older than 2025-06-18. It is split into
 * single messages for the child (a stdio server reads one message per line), and the answers to its
 * requests are collected into one array (or one SSE stream), per JSON-RPC 2.0: an element that is
 * not a message, or a request the session refuses, gets its error in the array; a batch of only
 * notifications and responses gets 202. A batch holding initialize, or an id no answer could carry
 * back, is refused whole (batchRefusal(), checked before the session is looked up).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Principal } from '../../auth/principal.js';
import { wireError } from '../../errors/wire.js';
import { sendWireError } from '../../http/respond.js';
import type { Framed, JsonRpcRequest } from '../../jsonrpc/message.js';
import { contextOf } from '../../observability/request-context.js';
import { answerWithError } from '../../session/in-flight.js';
import type { Session } from '../../session/session.js';
import { frameValue, idRefusal } from '../shared/frame-body.js';
import type { TransportContext } from '../shared/transport-context.js';
import { PostStream } from './post-stream.js';
import { streamsOf } from './session-streams.js';

/** The first protocol version without JSON-RPC batches. */
const BATCHES_REMOVED_IN = '2025-06-18';

export function acceptsBatches(protocolVersion: string | undefined): boolean {
  return protocolVersion !== undefined && protocolVersion < BATCHES_REMOVED_IN;
}

/**
 * Why a batch is refused whole, before any session is looked up: it holds an `initialize` (which
 * opens a session and must be sent alone, with or without one), or an element whose id a client
 * may not use (its error could only carry `id: null`, which no client can match to the element, so
 * the batch's sender would wait for an answer that never comes).
 */
export function batchRefusal(items: unknown[]): { reason: 'BATCH_REFUSED' | 'INVALID_ID'; detail: string } | undefined {
  for (const [index, item] of items.entries()) {
    if ((item as { method?: unknown } | null)?.method === 'initialize') return { reason: 'BATCH_REFUSED', detail: `initialize must be sent alone (element ${index})` };
    const badId = idRefusal(item);
    if (badId) return { reason: 'INVALID_ID', detail: `element ${index}: ${badId.detail ?? 'bad id'}` };
  }
  return undefined;
}

export async function handleBatch(req: IncomingMessage, res: ServerResponse, items: unknown[], session: Session, principal: Principal, context: TransportContext): Promise<void> {
  if (!acceptsBatches(session.protocolVersion)) {
    return sendWireError(res, 'BATCH_REFUSED', { detail: `this session negotiated ${session.protocolVersion ?? 'no version yet'}; batches exist only before ${BATCHES_REMOVED_IN}` });
  }
  const framed = items.map((item) => frameValue(item));

  const answers = framed.filter((one) => !('kind' in one) || one.kind === 'request').length;
  if (answers === 0) {
    for (const one of framed) {
      if (!('kind' in one)) continue;
      // Each message takes from the sender's --rate-limit; past it, the rest of the batch is not sent.
      const outcome = await session.forward(one, principal);
      if (outcome === 'ended') return sendWireError(res, 'SESSION_NOT_FOUND');
      if (outcome !== 'forwarded') return sendWireError(res, outcome.refused, { headers: { 'retry-after': outcome.retryAfterSeconds } });
    }
    res.writeHead(202).end();
    return;
  }
  const sink = new PostStream(res, streamsOf(session, context.sessions), answers, { batch: true });
  const requestContext = contextOf(req);
  for (const one of framed) {
    if (!('kind' in one)) {
      answerWithError(sink, wireError(one.reason, one.id, one.detail, one.data));
    } else if (one.kind === 'request') {
      const request = one as Framed<JsonRpcRequest>;
      const outcome = await session.submitRequest(request, sink, principal, requestContext);
      if (outcome === 'duplicate-id') answerWithError(sink, wireError('DUPLICATE_REQUEST_ID', request.message.id));
      else if (outcome !== 'accepted') answerWithError(sink, wireError(outcome.refused, request.message.id));
    } else {
      // A notification or response has no answer to carry a refusal: over the rate, it is dropped.
      await session.forward(one, principal);
    }
  }
}
