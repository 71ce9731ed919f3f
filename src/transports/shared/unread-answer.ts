/**
 * A whole `application/json` answer the client does not read is bounded like a stream: what is
 * still unwritten counts against the daemon's budget, over --stream-buffer it pauses the session's
 * child, and unread for --slow-client-timeout the connection is cut (and counted). The session's
 * other requests go on.
 */
import type { ServerResponse } from 'node:http';
import type { ConnectionEnv } from './connection-env.js';
import { OutboundBuffer } from './outbound-buffer.js';

/** Call right after `res.end(body)`. */
export function watchUnreadAnswer(res: ServerResponse, env: ConnectionEnv): void {
  const waiting = res.writableLength;
  if (waiting === 0 || res.writableFinished || res.destroyed) return;
  const outbound = new OutboundBuffer(env.limits, env.flow, env.backlog, () => {
    env.slowClient();
    res.destroy();
  });
  const done = (): void => outbound.close();
  res.once('finish', done);
  res.once('close', done);
  outbound.update(waiting);
}
