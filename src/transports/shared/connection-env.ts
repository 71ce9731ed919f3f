/** What every client connection needs from its session and the daemon, whatever the transport. */
import type { FlowControl } from '../../session/backpressure.js';
import type { ClientBacklog } from '../../session/client-backlog.js';
import type { OutboundLimits } from './outbound-buffer.js';

export interface ConnectionEnv {
  /** SSE comment interval (Infinity: none). */
  keepaliveMs: number;
  /** The `retry` field sent with a priming event. */
  retryMs: number;
  limits: OutboundLimits;
  flow: FlowControl;
  /** The daemon-wide budget of bytes waiting for clients. */
  backlog: ClientBacklog;
  /** A client stopped reading and was disconnected: count it and say so. */
  slowClient(): void;
}
