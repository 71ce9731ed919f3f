/**
 * A long-lived connection (a WebSocket, a legacy SSE stream) authenticated once, when it opened,
 * ends with its credential: when a reload revokes its token or its JWT expires, the connection is
 * closed (`close`, the transport's own way), its session ended, the closure counted and logged
 * (the principal's name and the cause; never the token).
 */
import type { Credential } from '../../auth/credential.js';
import type { TransportName } from '../../observability/metrics.js';
import type { Session } from '../../session/session.js';
import type { TransportContext } from './transport-context.js';

/** Watches `credential` for `session`'s connection; returns the function to call when the connection closes. */
export function endWithCredential(context: TransportContext, session: Session, transport: TransportName, credential: Credential, close: (cause: string) => void): () => void {
  if (!context.credentials || credential.kind === 'none') return () => {};
  return context.credentials.watch(credential, (cause) => {
    context.sessions.metrics.credentialEnded(transport, cause);
    session.logger.info({ transport, principal: session.principal.name, cause }, `credentials ${cause}: connection closed`);
    close(cause);
    if (session.live) void context.sessions.registry.end(session, 'session-end');
  });
}
