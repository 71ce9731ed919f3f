/**
 * A 2026-07-28 `subscriptions/listen`: checked like any modern request (check-request.ts), then
 * its filter, the daemon's state and the principal's limits; then it holds a lease of the
 * principal's own (the child that watches on its behalf, kept from idle reaping while the stream
 * is open), subscribes that child to the resources it asked for, and answers with a listen stream
 * (listen-stream.ts) fed by the principal's listen hub. When the stream ends, whoever ends it, its
 * resources are unsubscribed at the child and the lease is let go (reaped at --idle-timeout when
 * nothing else uses it).
 *
 * A listen counts once against the principal's --rate-limit, not against
 * --max-concurrent-per-principal (it would hold a slot for its whole life); it ends with its
 * credential (a token revoked on SIGHUP, a JWT's expiry), like the other long-lived connections.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Credential } from '../../../auth/credential.js';
import type { Principal } from '../../../auth/principal.js';
import { sendJson, sendWireError } from '../../../http/respond.js';
import { wireError } from '../../../errors/wire.js';
import type { Framed, JsonRpcRequest } from '../../../jsonrpc/message.js';
import { honorable, parseFilter } from '../../../protocol/subscriptions.js';
import type { FlowControl } from '../../../session/backpressure.js';
import { Lease } from '../../../session/lease.js';
import { RETRY_AFTER_SECONDS } from '../../../session/session-host.js';
import { admissionRefusal, type TransportContext } from '../../shared/transport-context.js';
import { checkModernRequest } from './check-request.js';
import { ListenStream } from './listen-stream.js';

/**
 * A listen stream pauses no child: what it carries comes from every lease child of its principal,
 * and it never queues (it merges while behind), so there is nothing for a pause to bound.
 */
const UNPAUSED: FlowControl = { congested: () => undefined, relieved: () => undefined };

/** Whether a modern POST is a listen (dispatched here, beside handle-modern.ts). */
export function isListen(framed: Framed): boolean {
  return framed.kind === 'request' && (framed.message as JsonRpcRequest).method === 'subscriptions/listen';
}

export async function handleListen(req: IncomingMessage, res: ServerResponse, framed: Framed, principal: Principal, context: TransportContext, credential: Credential): Promise<void> {
  const request = framed.message as JsonRpcRequest;
  const id = request.id;
  const checked = checkModernRequest(req.headers, request);
  if ('reason' in checked) return sendWireError(res, checked.reason, { id, ...(checked.detail ? { detail: checked.detail } : {}), ...(checked.data ? { data: checked.data } : {}) });
  const requested = parseFilter(request.params);
  if ('invalid' in requested) return sendWireError(res, 'LISTEN_FILTER_INVALID', { id, detail: requested.invalid });
  const retry = { 'retry-after': RETRY_AFTER_SECONDS };
  if (!context.acceptingSessions()) return sendWireError(res, 'DRAINING', { id, headers: retry });
  const { sessions } = context;
  const limited = sessions.listens.refusal(principal);
  if (limited) return sendWireError(res, limited, { id, detail: 'subscriptions/listen streams', headers: retry });
  const rate = sessions.requests.admitMessage(principal);
  if (!rate.ok) {
    sessions.metrics.policyRefused(rate.reason);
    return sendWireError(res, rate.reason, { id, headers: { 'retry-after': rate.retryAfterSeconds ?? 1 } });
  }

  const lease = await sessions.leases.acquire(principal, { capabilities: checked.capabilities, clientInfo: checked.clientInfo }, () => admissionRefusal(context, 'streamable-http', principal));
  if (!(lease instanceof Lease)) {
    if ('reason' in lease) return sendWireError(res, lease.reason, { id, headers: { 'retry-after': lease.retryAfterSeconds } });
    return sendJson(res, 200, JSON.stringify(wireError('CHILD_START_FAILED', id, lease.failed)));
  }
  if (lease.server.modern) {
    return sendWireError(res, 'METHOD_NOT_FOUND', { id, detail: 'subscriptions/listen is not relayed to a server that speaks 2026-07-28 itself' });
  }
  // Checked again now that the lease is had: listens of this principal may have opened meanwhile.
  const limitedNow = sessions.listens.refusal(principal);
  if (limitedNow) return sendWireError(res, limitedNow, { id, detail: 'subscriptions/listen streams', headers: retry });
  if (res.destroyed || !context.acceptingSessions()) return sendWireError(res, 'DRAINING', { id, headers: retry });
  // Its child may have gone while the lease was had: the hub has already cut that child's listens.
  if (!lease.usable) return sendJson(res, 200, JSON.stringify(wireError('CHILD_EXITED', id, 'the server process ended before the listen began')));

  const session = lease.session;
  const candidates = honorable(requested, lease.server.capabilities);
  const openedAt = Date.now();
  let delivered = 0;
  let subscribed: string[] = [];
  const unpin = session.pin();
  let unwatch: () => void = () => undefined;
  const env = { ...sessions.connectionEnv(session), flow: UNPAUSED };
  const stream: ListenStream = new ListenStream(res, env, { id, principal, session, serverInfo: lease.server.serverInfo }, candidates, {
    delivered: (method) => {
      delivered++;
      sessions.metrics.listenNotificationDelivered(method);
    },
    ended: (how) => {
      sessions.listens.remove(stream);
      sessions.listens.subscriptions.unsubscribe(session, subscribed);
      subscribed = [];
      unpin();
      unwatch();
      session.logger.info({ listenId: id, how, delivered, durationMs: Date.now() - openedAt }, 'subscriptions/listen stream closed; its subscriptions let go');
    },
  });
  if (context.credentials && credential.kind !== 'none') {
    unwatch = context.credentials.watch(credential, (cause) => {
      sessions.metrics.credentialEnded('streamable-http', cause);
      session.logger.info({ transport: 'streamable-http', cause, listenId: id }, `credentials ${cause}: subscriptions/listen stream closed`);
      stream.end(false);
    });
  }
  sessions.listens.add(stream);

  const uris = candidates.resourceSubscriptions;
  const accepted = uris && uris.length > 0 ? await sessions.listens.subscriptions.subscribe(session, uris) : uris;
  if (!stream.open) {
    // The client left (or the daemon began to stop) while the child was subscribed.
    sessions.listens.subscriptions.unsubscribe(session, accepted ?? []);
    return;
  }
  subscribed = accepted ?? [];
  stream.acknowledge(accepted === undefined ? candidates : { ...candidates, resourceSubscriptions: accepted });
  session.logger.info({ listenId: id, requested, honored: stream.honored }, 'subscriptions/listen stream opened');
}
