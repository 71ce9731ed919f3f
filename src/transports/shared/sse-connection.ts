/**
 * One HTTP response carrying Server-Sent Events: headers, keepalive comments that stop proxies
 * from cutting a quiet stream, and an outbound buffer that pauses the session's child while the
 * client is behind and disconnects a client that stops reading.
 */
import type { ServerResponse } from 'node:http';
import { SSE_HEADERS, SSE_KEEPALIVE } from '../../http/sse.js';
import type { ConnectionEnv } from './connection-env.js';
import { OutboundBuffer } from './outbound-buffer.js';

export class SseConnection {
  readonly res: ServerResponse;
  private readonly env: ConnectionEnv;
  private readonly outbound: OutboundBuffer;
  private keepalive: NodeJS.Timeout | undefined;
  private ended = false;

  /** Writes the headers now; `onClose` hears the connection end, whoever ends it. */
  constructor(res: ServerResponse, env: ConnectionEnv, headers: Record<string, string>, onClose: () => void) {
    this.res = res;
    this.env = env;
    this.outbound = new OutboundBuffer(env.limits, env.flow, env.backlog, () => {
      env.slowClient();
      res.destroy();
    });
    res.writeHead(200, { ...SSE_HEADERS, ...headers });
    // Headers go out now, so the client knows the stream is open before the first event.
    res.flushHeaders();
    if (env.keepaliveMs !== Infinity) {
      this.keepalive = setInterval(() => this.write(SSE_KEEPALIVE), env.keepaliveMs);
      this.keepalive.unref();
    }
    res.on('drain', () => this.outbound.update(res.writableLength));
    res.once('close', () => {
      this.release();
      onClose();
    });
  }

  get open(): boolean {
    return !this.ended && !this.res.destroyed;
  }

  /** False when the chunk was not written, or waits over the socket's own high-water mark (`drain` follows). */
  write(chunk: string): boolean {
    if (!this.open) return false;
    const flushed = this.res.write(chunk);
    this.outbound.update(this.res.writableLength);
    return flushed;
  }

  end(): void {
    if (this.ended) return;
    this.release();
    this.res.end();
  }

  private release(): void {
    this.ended = true;
    if (this.keepalive) clearInterval(this.keepalive);
    this.outbound.close();
  }
}
