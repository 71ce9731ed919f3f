/**
 * A raw `ws` client speaking MCP JSON-RPC over the daemon's WebSocket (subprotocol mcp): it sends
 * frames as given, matches answers to requests by id, and can drop its socket mid-call.
 */
import { WebSocket } from 'ws';
import { waitFor } from '../../lib/wait.js';
import { expect, Unexpected } from '../outcomes.js';
import { bearer, initializeBody, reasonOf } from './http.js';

export type Message = Record<string, unknown> & { id?: string | number | null; method?: string };

/** The upgrade was answered with a plain HTTP refusal. */
export class UpgradeRefused extends Error {
  constructor(readonly status: number, readonly reason: string | undefined) {
    super(`upgrade refused: ${status} ${reason ?? ''}`);
  }
}

export class WsClient {
  readonly messages: Message[] = [];
  /** Frames that were binary or not JSON (the daemon sends none). */
  readonly strays: string[] = [];
  closed: { code: number } | undefined;
  private nextId = 1;

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data, isBinary) => {
      const text = (data as Buffer).toString('utf8');
      try {
        if (!isBinary) this.messages.push(JSON.parse(text) as Message);
        else this.strays.push(`binary: ${text.slice(0, 100)}`);
      } catch {
        this.strays.push(text.slice(0, 100));
      }
    });
    ws.on('close', (code) => { this.closed = { code }; });
    ws.on('error', () => undefined); // The close that follows says what happened.
  }

  /** Opens the socket; rejects with UpgradeRefused for an HTTP answer to the upgrade. */
  static open(baseUrl: string, token: string): Promise<WsClient> {
    const ws = new WebSocket(`${baseUrl.replace(/^http/, 'ws')}/ws`, 'mcp', { headers: bearer(token) });
    return new Promise((resolve, reject) => {
      ws.once('open', () => resolve(new WsClient(ws)));
      ws.once('unexpected-response', (request, response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => {
          let json: unknown;
          try {
            json = JSON.parse(Buffer.concat(chunks).toString('utf8'));
          } catch {
            json = undefined; // Not the daemon's JSON error: the status alone is reported.
          }
          request.destroy();
          reject(new UpgradeRefused(response.statusCode ?? 0, reasonOf(json)));
        });
      });
      ws.once('error', reject);
    });
  }

  send(frame: string): void {
    this.ws.send(frame);
  }

  answerTo(id: string | number | null, timeoutMs = 30_000): Promise<Message> {
    return waitFor(() => this.messages.find((message) => message.id === id && message.method === undefined), { timeoutMs, what: `the answer to ${String(id)}` });
  }

  async request(method: string, params: Record<string, unknown> = {}): Promise<Message> {
    const id = this.nextId++;
    this.send(JSON.stringify({ jsonrpc: '2.0', id, method, params }));
    return this.answerTo(id);
  }

  /** initialize, its answer, then notifications/initialized. */
  async initialize(): Promise<void> {
    this.send(initializeBody('init'));
    const answer = await this.answerTo('init');
    expect(answer.result !== undefined, `initialize answered ${JSON.stringify(answer).slice(0, 300)}`);
    this.send(JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }));
  }

  async callTool(name: string, args: Record<string, unknown>): Promise<Message> {
    return this.request('tools/call', { name, arguments: args });
  }

  waitClosed(timeoutMs: number): Promise<{ code: number }> {
    return waitFor(() => this.closed, { timeoutMs, what: 'the WebSocket to close' });
  }

  /** A clean close (1000), waiting for the daemon's close frame; the socket is destroyed if none comes. */
  async close(): Promise<void> {
    if (this.ws.readyState === WebSocket.OPEN) this.ws.close(1000);
    await this.waitClosed(10_000).catch(() => this.ws.terminate());
    expect(this.strays.length === 0, `frames that are not JSON-RPC: ${this.strays.join(' | ')}`);
  }
}

/** The text of a tools/call answer's content, or Unexpected. */
export function resultText(answer: Message): string {
  const content = (answer.result as { content?: { text?: string }[] } | undefined)?.content;
  if (!content) throw new Unexpected(`wanted a tool result, got ${JSON.stringify(answer).slice(0, 300)}`);
  return content.map((part) => part.text ?? '').join('');
}

export function errorOf(answer: Message): { code: number; reason: string | undefined } {
  const error = answer.error as { code?: unknown } | undefined;
  if (typeof error?.code !== 'number') throw new Unexpected(`wanted an error, got ${JSON.stringify(answer).slice(0, 300)}`);
  return { code: error.code, reason: reasonOf(answer) };
}
