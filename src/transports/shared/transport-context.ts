import type { CredentialWatch } from '../../auth/credential-watch.js';
import { isSamePrincipal, type Principal } from '../../auth/principal.js';
import type { Session } from '../../session/session.js';
import type { SidecarConfig } from '../../config/schema.js';
import type { Logger } from '../../observability/logger.js';
import { RETRY_AFTER_SECONDS, type Refusal, type SessionHost, type TransportName } from '../../session/session-host.js';

/** What every transport's handlers need from the daemon. */
export interface TransportContext {
  config: SidecarConfig;
  sessions: SessionHost;
  logger: Logger;
  /** False while draining: new sessions are refused with 503. */
  acceptingSessions(): boolean;
  /** Where long-lived connections watch their credential (authentication on). */
  credentials?: CredentialWatch;
}


/** Why `principal` cannot open a new session now (draining, limits, its rate), logged; `undefined` when it can. */
export function admissionRefusal(context: TransportContext, transport: TransportName, principal: Principal): Refusal | undefined {
  const refused: Refusal | undefined = context.acceptingSessions() ? context.sessions.admitOpening(principal, transport) : { reason: 'DRAINING', retryAfterSeconds: RETRY_AFTER_SECONDS };
  if (refused) context.logger.warn({ reason: refused.reason, transport, principal: principal.name }, 'new session refused');
  return refused;
}

/**
 * The live session `id` names, if `principal` opened it. Another principal's session id is
 * answered as unknown (404), and logged: it was leaked, guessed or mixed up.
 */
export function findSession(context: TransportContext, id: string, principal: Principal): Session | undefined {
  const session = context.sessions.registry.get(id);
  if (!session) return undefined;
  if (isSamePrincipal(session.principal, principal)) return session;
  session.logger.warn({ presentedBy: principal.name, principalKind: principal.kind }, 'session id presented by another principal: answered as not found');
  return undefined;
}
