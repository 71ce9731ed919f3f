/**
 * WebSocket close codes the daemon sends, each saying why a connection (and its session) ended.
 * 1000–1011 are RFC 6455's; 4000–4999 are for applications, and these are ours. The close frame's
 * reason text adds the detail (the child's exit, the limit's option), cut to the 123 bytes a close
 * frame allows. A client disconnected for not reading or not answering pings gets no close frame
 * (it would not read it): it sees 1006, and the daemon's log and metrics say which.
 */
import type { SessionEndReason } from '../../session/session.js';

export const CLOSE_CODES = {
  /** The session ended normally. */
  NORMAL: 1000,
  /** The daemon is shutting down. */
  GOING_AWAY: 1001,
  /** A binary frame: MCP messages are text. */
  UNSUPPORTED_DATA: 1003,
  /** A frame over --max-body (sent by `ws` itself). */
  MESSAGE_TOO_BIG: 1009,
  /** The session's child exited and was not restarted (--restart, the start limit). */
  CHILD_EXITED: 4000,
  /** No message either way for --idle-timeout. */
  IDLE: 4001,
  /** The session reached --session-ttl. */
  SESSION_TTL: 4002,
  /** The session's child went over --memory-max and was not restarted. */
  MEMORY_LIMIT: 4003,
  /** The credential of the upgrade ended: its token left the token file on SIGHUP, or its JWT expired. */
  CREDENTIALS_ENDED: 4004,
} as const;

export function closeCodeFor(reason: SessionEndReason | undefined): number {
  switch (reason) {
    case 'shutdown':
      return CLOSE_CODES.GOING_AWAY;
    case 'idle':
      return CLOSE_CODES.IDLE;
    case 'ttl':
      return CLOSE_CODES.SESSION_TTL;
    case 'memory':
      return CLOSE_CODES.MEMORY_LIMIT;
    case 'not-initialized':
    case 'no-restart':
    case 'start-limit-hit':
    case 'timeout':
      return CLOSE_CODES.CHILD_EXITED;
    default:
      return CLOSE_CODES.NORMAL;
  }
}

/** A close frame's reason: at most 123 bytes of UTF-8, cut on a character boundary. */
export function closeReason(text: string): string {
  if (Buffer.byteLength(text) <= 123) return text;
  let cut = text.slice(0, 123);
  while (Buffer.byteLength(cut) > 120) cut = cut.slice(0, -1);
  return `${cut}...`;
}
