/**
 * One WebSocket connection, which is its session's only stream: one JSON-RPC message per text
 * frame both ways. Pings find dead peers; what waits to be sent is bounded like any connection's
 * (outbound-buffer.ts); a session that ends closes the socket with a code that says why.
 */
import type { WebSocket } from 'ws';
import type { Framed, JsonRpcId } from '../../jsonrpc/message.js';
import type { SessionEndReason } from '../../session/session.js';
import type { RequestSink } from '../../session/sink.js';
import type { ConnectionEnv } from '../shared/connection-env.js';
import { OutboundBuffer } from '../shared/outbound-buffer.js';
import { closeCodeFor, closeReason } from './close-codes.js';

export interface PingOptions {
  intervalMs: number;
  /** The peer missed a ping: it is about to be dropped. */
  onDead(): void;
}

export class WsConnection implements RequestSink {
  private readonly ws: WebSocket;
  private readonly outbound: OutboundBuffer;
  /** Bytes handed to `ws` and not yet written to the socket. */
  private pending = 0;
  private pinger: NodeJS.Timeout | undefined;
  private answeredPing = true;

  constructor(ws: WebSocket, env: ConnectionEnv, ping: PingOptions) {
    this.ws = ws;
    this.outbound = new OutboundBuffer(env.limits, env.flow, env.backlog, () => {
      env.slowClient();
      ws.terminate();
    });
    if (ping.intervalMs !== Infinity) {
      ws.on('pong', () => { this.answeredPing = true; });
      this.pinger = setInterval(() => {
        if (!this.answeredPing) {
          ping.onDead();
          ws.terminate();
          return;
        }
        this.answeredPing = false;
        ws.ping();
      }, ping.intervalMs);
      this.pinger.unref();
    }
    ws.once('close', () => {
      if (this.pinger) clearInterval(this.pinger);
      this.outbound.close();
    });
  }

  get open(): boolean {
    return this.ws.readyState === this.ws.OPEN;
  }

  deliver(framed: Framed): void {
    this.send(framed.raw, framed.bytes);
  }

  /** Sends a daemon-made message (an error for a frame refused before it reached the session). */
  send(raw: string, bytes = Buffer.byteLength(raw)): void {
    if (!this.open) return;
    this.pending += bytes;
    this.ws.send(raw, () => {
      this.pending -= bytes;
      this.outbound.update(this.pending);
    });
    this.outbound.update(this.pending);
  }

  /** Nothing to do: the connection stays open for the session's other requests. */
  abandon(_id: JsonRpcId): void {}

  close(reason?: SessionEndReason, detail?: string): void {
    this.closeWith(closeCodeFor(reason), detail ?? (reason ? `session ended: ${reason}` : 'session ended'));
  }

  closeWith(code: number, text: string): void {
    if (this.ws.readyState === this.ws.CLOSING || this.ws.readyState === this.ws.CLOSED) return;
    this.ws.close(code, closeReason(text));
  }
}
