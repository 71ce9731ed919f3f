import type { SidecarConfig } from '../../config/schema.js';
import type { Logger } from '../../observability/logger.js';
import type { SessionHost } from '../../session/session-host.js';

/** What the Streamable HTTP handlers need from the daemon. */
export interface StreamableHttpContext {
  config: SidecarConfig;
  sessions: SessionHost;
  logger: Logger;
  /** False while draining: new sessions are refused with 503. */
  acceptingSessions(): boolean;
}
