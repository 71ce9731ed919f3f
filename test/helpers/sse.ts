/**
 * An incremental Server-Sent Events reader over node:http, for raw tests of the daemon's streams:
 * it hands out events (id, event, data, retry) and comments one at a time as they arrive, and can
 * cut the connection at any point, as a client whose network dropped would. Each reader has its own
 * connection (no agent), so cutting it never touches another request.
 */
import { request, type IncomingHttpHeaders, type IncomingMessage } from 'node:http';

export interface SseEvent {
  kind: 'event';
  id?: string;
  event?: string;
  data: string;
  retry?: number;
}

export interface SseComment {
  kind: 'comment';
  /** The comment line after `:` and one optional space. */
  text: string;
}

export type SseItem = SseEvent | SseComment;

export interface SseRequest {
  method?: string;
  headers?: Record<string, string>;
  body?: string;
}

/** The JSON-RPC message an event carries. */
export function messageOf(event: SseEvent): Record<string, unknown> {
  return JSON.parse(event.data) as Record<string, unknown>;
}

export class SseReader {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  /** Every byte of the body received so far (for answers that are not a stream). */
  text = '';
  /** Every comment seen so far, in order. */
  readonly comments: string[] = [];
  private readonly res: IncomingMessage;
  private readonly items: SseItem[] = [];
  private buffer = '';
  private block: Partial<SseEvent> & { dataLines?: string[] } = {};
  private done = false;
  private wake: (() => void) | undefined;

  constructor(res: IncomingMessage) {
    this.res = res;
    this.status = res.statusCode ?? 0;
    this.headers = res.headers;
    res.setEncoding('utf8');
    res.on('data', (chunk: string) => this.push(chunk));
    const finish = (): void => {
      this.done = true;
      this.notify();
    };
    res.once('end', finish);
    res.once('close', finish);
    res.once('error', finish);
  }

  /** The connection is over (ended by the server, or cut). */
  get ended(): boolean {
    return this.done;
  }

  /** The next event or comment; `undefined` once the stream has ended and everything was read. */
  async next(timeoutMs = 10_000): Promise<SseItem | undefined> {
    const deadline = Date.now() + timeoutMs;
    while (this.items.length === 0 && !this.done) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out after ${timeoutMs} ms waiting for an SSE item (received so far: ${JSON.stringify(this.text.slice(-300))})`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wake = undefined;
    }
    return this.items.shift();
  }

  /** The next event, skipping comments (they stay in `comments`). */
  async nextEvent(timeoutMs = 10_000): Promise<SseEvent | undefined> {
    for (;;) {
      const item = await this.next(timeoutMs);
      if (item === undefined || item.kind === 'event') return item;
    }
  }

  /** Every event until the server ends the stream. */
  async readToEnd(timeoutMs = 10_000): Promise<SseEvent[]> {
    const events: SseEvent[] = [];
    for (let event = await this.nextEvent(timeoutMs); event; event = await this.nextEvent(timeoutMs)) events.push(event);
    return events;
  }

  /** The whole body, once the server has ended it (for JSON answers and refusals). */
  async body(timeoutMs = 10_000): Promise<string> {
    while (await this.next(timeoutMs));
    return this.text;
  }

  /** Drops the connection without a word, the way a network failure would. */
  cut(): void {
    this.res.socket?.destroy();
    this.res.destroy();
  }

  private notify(): void {
    this.wake?.();
  }

  private push(chunk: string): void {
    this.text += chunk;
    this.buffer += chunk;
    let newline = this.buffer.indexOf('\n');
    while (newline !== -1) {
      this.line(this.buffer.slice(0, newline).replace(/\r$/, ''));
      this.buffer = this.buffer.slice(newline + 1);
      newline = this.buffer.indexOf('\n');
    }
    this.notify();
  }

  private line(line: string): void {
    if (line === '') return this.dispatch();
    if (line.startsWith(':')) {
      const text = line.slice(1).replace(/^ /, '');
      this.comments.push(text);
      this.items.push({ kind: 'comment', text });
      return;
    }
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    const value = colon === -1 ? '' : line.slice(colon + 1).replace(/^ /, '');
    if (field === 'data') (this.block.dataLines ??= []).push(value);
    else if (field === 'id') this.block.id = value;
    else if (field === 'event') this.block.event = value;
    else if (field === 'retry' && /^\d+$/.test(value)) this.block.retry = Number(value);
  }

  private dispatch(): void {
    const { dataLines, id, event, retry } = this.block;
    this.block = {};
    if (dataLines === undefined && id === undefined && event === undefined && retry === undefined) return;
    const item: SseEvent = { kind: 'event', data: (dataLines ?? []).join('\n') };
    if (id !== undefined) item.id = id;
    if (event !== undefined) item.event = event;
    if (retry !== undefined) item.retry = retry;
    this.items.push(item);
  }
}

/** Sends the request; resolves with a reader once the response headers are in. */
export function openSse(url: string, init: SseRequest = {}): Promise<SseReader> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: init.method ?? 'GET', headers: init.headers ?? {}, agent: false }, (res) => resolve(new SseReader(res)));
    req.once('error', reject);
    req.end(init.body);
  });
}
