import type { WireErrorReason } from '../../errors/wire.js';
import type { SidecarConfig } from '../../config/schema.js';
import type { Logger } from '../../observability/logger.js';
import type { SessionHost } from '../../session/session-host.js';

/** What every transport's handlers need from the daemon. */
export interface TransportContext {
  config: SidecarConfig;
  sessions: SessionHost;
  logger: Logger;
  /** False while draining: new sessions are refused with 503. */
  acceptingSessions(): boolean;
}

/** How long a client should wait before retrying when a new session is refused (draining, limits). */
export const RETRY_AFTER_SECONDS = 5;

/** Why a new session cannot be opened now (draining, limits), logged; `undefined` when it can. */
export function admissionRefusal(context: TransportContext, transport: string): WireErrorReason | undefined {
  const refused = context.acceptingSessions() ? context.sessions.refusal() : 'DRAINING';
  if (refused) context.logger.warn({ reason: refused, transport }, 'new session refused');
  return refused;
}
