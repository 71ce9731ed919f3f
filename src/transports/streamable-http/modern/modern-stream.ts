/**
 * The answer to one 2026-07-28 POST. Like a 2025 POST stream it starts undecided: the answer alone
 * goes back as `application/json`; a progress notification (or a log line the request asked for)
 * first turns it into an SSE stream that carries them, then the answer. Unlike one, its events have
 * no ids (modern streams are not resumable), it never names a session, and every answer is in the
 * 2026 shape. A client that closes it cancels the request (the revision's cancellation).
 */
import type { ServerResponse } from 'node:http';
import type { Framed, JsonRpcNotification, JsonRpcRequest, JsonRpcResponse } from '../../../jsonrpc/message.js';
import { modernResponse, type ModernContext } from '../../../protocol/modern-result.js';
import type { RequestSink } from '../../../session/sink.js';
import type { ConnectionEnv } from '../../shared/connection-env.js';
import { watchUnreadAnswer } from '../../shared/unread-answer.js';
import { SseConnection } from '../../shared/sse-connection.js';
import { sseEvent } from '../../../http/sse.js';

const LOG_LEVELS = ['debug', 'info', 'notice', 'warning', 'error', 'critical', 'alert', 'emergency'];

export interface ModernStreamHooks {
  /** The client closed the response before its answer: cancel the request. */
  gone(): void;
  /** The child asked the client something (sampling, elicitation, roots, ping) during this request. */
  childRequest(framed: Framed<JsonRpcRequest>): void;
}

export class ModernStream implements RequestSink {
  private readonly res: ServerResponse;
  private readonly env: ConnectionEnv;
  private readonly context: ModernContext;
  private readonly logLevel: number;
  private readonly hooks: ModernStreamHooks;
  private mode: 'undecided' | 'sse' | 'done' = 'undecided';
  private connection: SseConnection | undefined;

  constructor(res: ServerResponse, env: ConnectionEnv, context: ModernContext, logLevel: string | undefined, hooks: ModernStreamHooks) {
    this.res = res;
    this.env = env;
    this.context = context;
    this.logLevel = logLevel === undefined ? Infinity : LOG_LEVELS.indexOf(logLevel);
    this.hooks = hooks;
    res.once('close', () => {
      if (this.mode === 'done') return;
      this.mode = 'done';
      hooks.gone();
    });
  }

  get open(): boolean {
    if (this.mode === 'undecided') return !this.res.destroyed;
    return this.mode === 'sse' && this.connection?.open === true;
  }

  get answered(): boolean {
    return this.mode === 'done';
  }

  deliver(framed: Framed): void {
    if (!this.open) return;
    if (framed.kind === 'response') return this.answer(modernResponse(framed.message as JsonRpcResponse, this.context));
    if (framed.kind === 'request') return this.hooks.childRequest(framed as Framed<JsonRpcRequest>);
    const message = framed.message as JsonRpcNotification;
    if (message.method === 'notifications/progress') return this.event(framed.raw);
    // Logs only when this request asked for them, at its level or above (the revision's rule).
    if (message.method === 'notifications/message' && LOG_LEVELS.indexOf(String(message.params?.level)) >= this.logLevel) this.event(framed.raw);
    // Anything else (list changes, a 2025 child's other notifications) has no place on this stream.
  }

  /**
   * An answer the daemon makes itself (a refusal found while the request ran), in the 2026 shape;
   * `status` is used when nothing was sent yet (an SSE stream already said 200).
   */
  answer(response: JsonRpcResponse, status = 200, headers: Record<string, string | number> = {}): void {
    if (this.mode === 'done') return;
    const body = JSON.stringify(response);
    if (this.mode === 'sse') {
      this.connection?.write(sseEvent(body));
      this.finish();
    } else {
      this.mode = 'done';
      this.res.writeHead(status, { ...headers, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
      this.res.end(body);
      watchUnreadAnswer(this.res, this.env);
    }
  }

  abandon(): void {
    this.finish();
  }

  close(): void {
    this.finish();
  }

  private event(raw: string): void {
    if (this.mode === 'undecided') {
      this.mode = 'sse';
      this.connection = new SseConnection(this.res, this.env, {}, () => undefined);
    }
    this.connection?.write(sseEvent(raw));
  }

  private finish(): void {
    if (this.mode === 'done') return;
    const wasSse = this.mode === 'sse';
    this.mode = 'done';
    if (wasSse) this.connection?.end();
    else if (!this.res.headersSent && !this.res.destroyed) this.res.writeHead(202).end();
  }
}
