/**
 * A JSON-RPC batch in one POST. MCP 2025-03-26 allows them and 2025-06-18 removed them, so a batch
 * is accepted only on a session whose negotiated version is older than 2025-06-18. It is split into
 * single messages for the child (a stdio server reads one message per line), and the answers to its
 * requests are collected into one array (or one SSE stream), per JSON-RPC 2.0: an element that is
 * not a message, or a request the session refuses, gets its error in the array; a batch of only
 * notifications and responses gets 202.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Principal } from '../../auth/principal.js';
import { wireError } from '../../errors/wire.js';
import { sendWireError } from '../../http/respond.js';
import type { Framed, JsonRpcRequest } from '../../jsonrpc/message.js';
import { contextOf } from '../../observability/request-context.js';
import { answerWithError } from '../../session/in-flight.js';
import type { Session } from '../../session/session.js';
import { frameValue } from '../shared/frame-body.js';
import type { TransportContext } from '../shared/transport-context.js';
import { PostStream } from './post-stream.js';
import { streamsOf } from './session-streams.js';

/** The first protocol version without JSON-RPC batches. */
const BATCHES_REMOVED_IN = '2025-06-18';

export function acceptsBatches(protocolVersion: string | undefined): boolean {
  return protocolVersion !== undefined && protocolVersion < BATCHES_REMOVED_IN;
}

export async function handleBatch(req: IncomingMessage, res: ServerResponse, items: unknown[], session: Session, principal: Principal, context: TransportContext): Promise<void> {
  if (!acceptsBatches(session.protocolVersion)) {
    return sendWireError(res, 'BATCH_REFUSED', { detail: `this session negotiated ${session.protocolVersion ?? 'no version yet'}; batches exist only before ${BATCHES_REMOVED_IN}` });
  }
  const framed = items.map((item) => frameValue(item));
  const initialize = framed.find((one) => 'kind' in one && one.kind === 'request' && (one.message as JsonRpcRequest).method === 'initialize');
  if (initialize) return sendWireError(res, 'INVALID_MESSAGE', { detail: 'initialize must not be part of a batch' });

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
      answerWithError(sink, wireError(one.reason, one.id));
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
