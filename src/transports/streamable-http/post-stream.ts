/**
 * The answer to one client POST. It starts undecided: if every answer arrives before any other
 * message, they go back as one `application/json` body (the cheap path); if a notification or a
 * server→client request comes first, the response turns into an SSE stream that carries it, then
 * the answers, then ends.
 *
 * An SSE stream's events have ids and are kept (event-stream.ts): when its connection is cut, the
 * stream stays open for its session, keeps what the child sends, and a GET with `Last-Event-ID`
 * picks it up where the client lost it. A cut stream nobody resumes within --resume-timeout is
 * let go: its requests are cancelled at the child and the stream ends (a later GET replays what was
 * kept of it). Without an event store (or before the stream became SSE, when the client has no id
 * to resume from), a cut stream is closed and its late answers are dropped and counted by the
 * session; the child's request runs on (disconnecting is not cancelling).
 */
import type { ServerResponse } from 'node:http';
import { writeOwnHead } from '../../http/response.js';
import { bodyOf } from '../../jsonrpc/large-answer.js';
import type { Framed, JsonRpcId, JsonRpcResponse } from '../../jsonrpc/message.js';
import type { StoredEvent } from '../../session/event-store.js';
import type { RequestSink } from '../../session/sink.js';
import { watchUnreadAnswer } from '../shared/unread-answer.js';
import type { EventStream } from './event-stream.js';
import type { ResumableStream, SessionStreams } from './session-streams.js';

export interface PostStreamOptions {
  /** Sent on the response only when it succeeds (the initialize answer that creates a session). */
  sessionId?: string;
  /** The POST was a batch: the JSON answer is an array even when it holds one response. */
  batch?: boolean;
}

export class PostStream implements RequestSink, ResumableStream {
  private res: ServerResponse;
  private readonly streams: SessionStreams;
  private readonly options: PostStreamOptions;
  private mode: 'undecided' | 'sse' | 'done' = 'undecided';
  private waiting: number;
  private answers: Framed[] = [];
  private stream: EventStream | undefined;
  /** Set while the stream is cut: when it fires, nobody resumed it. */
  private resumeTimer: NodeJS.Timeout | undefined;

  constructor(res: ServerResponse, streams: SessionStreams, expectedAnswers: number, options: PostStreamOptions = {}) {
    this.res = res;
    this.streams = streams;
    this.waiting = expectedAnswers;
    this.options = options;
  }

  /**
   * Undecided, it is open while its response is: Node marks a response destroyed as it emits its
   * 'close' (read here rather than a listener per POST).
   */
  get open(): boolean {
    if (this.mode === 'undecided') return !this.res.destroyed;
    return this.mode === 'sse';
  }

  deliver(framed: Framed): void {
    if (!this.open) return;
    if (framed.kind !== 'response') {
      this.startSse();
      this.stream?.send(framed);
      return;
    }
    this.waiting--;
    if (this.mode === 'undecided') {
      this.answers.push(framed);
      if (this.waiting <= 0) this.sendJson();
      return;
    }
    this.stream?.send(framed);
    if (this.waiting <= 0) this.finish();
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
    this.finish();
  }

  close(): void {
    if (this.mode === 'done' || !this.open) return;
    this.startSse();
    this.finish();
  }

  /** A GET with `Last-Event-ID` of this stream: replay what was missed, then carry on there. */
  resume(res: ServerResponse, replay: readonly StoredEvent[]): void {
    this.stopResumeTimer();
    this.res = res;
    this.stream?.attach(res, { replay, priming: false }, () => this.cut());
  }

  private startSse(): void {
    if (this.mode !== 'undecided') return;
    this.mode = 'sse';
    const stream = this.streams.newStream();
    this.stream = stream;
    const headers: Record<string, string> = this.options.sessionId ? { 'mcp-session-id': this.options.sessionId } : {};
    stream.attach(this.res, { headers, priming: this.streams.priming }, () => this.cut());
    if (this.streams.events.enabled) this.streams.resumable.set(stream.id, this);
    for (const answer of this.answers.splice(0)) stream.send(answer);
  }

  /** The connection went before the stream was complete. */
  private cut(): void {
    // Without an event store the client could not resume: the stream is over.
    if (!this.streams.events.enabled) return this.finish();
    const timeoutMs = this.streams.resumeTimeoutMs;
    if (this.mode !== 'sse' || this.resumeTimer || timeoutMs === Infinity) return;
    this.resumeTimer = setTimeout(() => this.abandonCut(), timeoutMs);
    this.resumeTimer.unref();
  }

  /** Nobody resumed the cut stream in time: cancel what it waits for and end it. */
  private abandonCut(): void {
    this.resumeTimer = undefined;
    const stream = this.stream;
    if (this.mode !== 'sse' || !stream || stream.connected) return;
    this.streams.abandon(this, stream.id);
    this.finish();
  }

  private stopResumeTimer(): void {
    if (this.resumeTimer) clearTimeout(this.resumeTimer);
    this.resumeTimer = undefined;
  }

  private finish(): void {
    if (this.mode === 'done') return;
    this.stopResumeTimer();
    this.mode = 'done';
    if (this.stream) {
      this.streams.resumable.delete(this.stream.id);
      this.stream.end();
    }
  }

  private sendJson(): void {
    const single = this.answers.length === 1 && !this.options.batch ? (this.answers[0] as Framed) : undefined;
    const body = single ? bodyOf(single) : `[${this.answers.map((answer) => answer.raw).join(',')}]`;
    const succeeded = single !== undefined && (single.message as JsonRpcResponse).error === undefined;
    const headers: Record<string, string | number> = {
      'content-type': 'application/json',
      // A framed message knows its byte length: a 1 MiB answer is not scanned again.
      'content-length': single ? single.bytes : Buffer.byteLength(body),
    };
    if (this.options.sessionId && succeeded) headers['mcp-session-id'] = this.options.sessionId;
    this.mode = 'done';
    // Nothing here holds the answer once it is handed to the socket: only the socket's copy waits.
    // (A new array rather than `length = 0`, which takes V8's slow path on every answer.)
    this.answers = [];
    const res = this.res;
    writeOwnHead(res, 200, headers);
    res.end(body);
    // Mostly the socket took it all at once: nothing to watch, and no environment to make.
    if (res.writableLength > 0) watchUnreadAnswer(res, this.streams.connectionEnv());
  }
}
