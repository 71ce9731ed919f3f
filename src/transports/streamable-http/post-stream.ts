/**
 * The answer to one client POST. It starts undecided: if every answer arrives before any other
 * message, they go back as one `application/json` body (the cheap path); if a notification or a
 * server→client request comes first, the response turns into an SSE stream that carries it, then
 * the answers, then ends. A client that disconnects closes the sink; what arrives later is dropped
 * by the session, and the child's request runs on (the spec: disconnecting is not cancelling).
 */
import type { ServerResponse } from 'node:http';
import type { Framed, JsonRpcId, JsonRpcResponse } from '../../jsonrpc/message.js';
import { SSE_HEADERS, sseEvent } from '../../http/sse.js';
import type { RequestSink } from '../../session/sink.js';

export class PostStream implements RequestSink {
  private readonly res: ServerResponse;
  private mode: 'undecided' | 'sse' | 'done' = 'undecided';
  private waiting: number;
  private readonly answers: Framed[] = [];
  /** Sent on the response only when it succeeds (the initialize answer that creates a session). */
  private readonly sessionId: string | undefined;

  constructor(res: ServerResponse, expectedAnswers: number, sessionId?: string) {
    this.res = res;
    this.waiting = expectedAnswers;
    this.sessionId = sessionId;
    res.once('close', () => {
      this.mode = 'done';
    });
  }

  get open(): boolean {
    return this.mode !== 'done' && !this.res.destroyed;
  }

  deliver(framed: Framed): void {
    if (!this.open) return;
    if (framed.kind !== 'response') {
      this.startSse();
      this.res.write(sseEvent(framed.raw));
      return;
    }
    this.waiting--;
    if (this.mode === 'undecided') {
      this.answers.push(framed);
      if (this.waiting <= 0) this.sendJson();
      return;
    }
    this.res.write(sseEvent(framed.raw));
    if (this.waiting <= 0) this.close();
  }

  abandon(_id: JsonRpcId): void {
    if (!this.open) return;
    this.waiting--;
    if (this.waiting > 0) return;
    if (this.mode === 'undecided' && this.answers.length > 0) {
      this.sendJson();
      return;
    }
    this.startSse();
    this.close();
  }

  close(): void {
    if (this.mode === 'done') return;
    if (this.mode === 'undecided') this.startSse();
    this.mode = 'done';
    this.res.end();
  }

  private startSse(): void {
    if (this.mode !== 'undecided') return;
    this.mode = 'sse';
    this.res.writeHead(200, this.sessionId ? { ...SSE_HEADERS, 'mcp-session-id': this.sessionId } : SSE_HEADERS);
    for (const answer of this.answers.splice(0)) this.res.write(sseEvent(answer.raw));
  }

  private sendJson(): void {
    const single = this.answers.length === 1 ? (this.answers[0] as Framed) : undefined;
    const body = single ? single.raw : `[${this.answers.map((answer) => answer.raw).join(',')}]`;
    const succeeded = single !== undefined && (single.message as JsonRpcResponse).error === undefined;
    const headers: Record<string, string | number> = {
      'content-type': 'application/json',
      // A framed message knows its byte length: a 1 MiB answer is not scanned again.
      'content-length': single ? single.bytes : Buffer.byteLength(body),
    };
    if (this.sessionId && succeeded) headers['mcp-session-id'] = this.sessionId;
    this.mode = 'done';
    this.res.writeHead(200, headers);
    this.res.end(body);
  }
}
