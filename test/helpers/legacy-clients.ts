/**
 * Clients for the daemon's other two transports: the SDK's own legacy HTTP+SSE (2024-11-05) and
 * WebSocket clients, as real users connect, and raw ones for what those clients would never send
 * (a raw `ws` socket, a raw SSE stream, an upgrade request by hand).
 */
import { randomBytes } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { Client, type ClientOptions } from '@modelcontextprotocol/sdk/client/index.js';
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import { WebSocketClientTransport } from '@modelcontextprotocol/sdk/client/websocket.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import { WebSocket, type ClientOptions as WsClientOptions } from 'ws';
import type { RawResponse } from './http.js';
import { textOf } from './mcp-client.js';
import { waitFor } from './poll.js';

// The SDK's WebSocket transport uses the global WebSocket, which Node 20 lacks. `ws` has the same
// event-target API, and gives text frames to `onmessage` as strings, as a browser does.
globalThis.WebSocket ??= WebSocket as unknown as typeof globalThis.WebSocket;

/** What these helpers need of a TestDaemon. */
export interface DaemonAddress {
  baseUrl: string;
}

export function wsUrl(daemon: DaemonAddress, path = '/ws'): string {
  return `${daemon.baseUrl.replace(/^http/, 'ws')}${path}`;
}

export interface SdkConnection<T> {
  client: Client;
  transport: T;
  /** Every message the daemon sent this client after initialize, in arrival order (see `tapMessages`). */
  received: JSONRPCMessage[];
  close(): Promise<void>;
}

/**
 * Records what `transport` hands its (connected) client, before the client handles it. This is
 * the ground truth of what reached the client: the SDK runs notification handlers a microtask late
 * but settles a request at once, so a progress notification that arrives in the same read as its
 * request's answer never reaches `onprogress` (it reports an unknown token through `onerror`).
 */
export function tapMessages(transport: Transport): JSONRPCMessage[] {
  const received: JSONRPCMessage[] = [];
  const deliver = transport.onmessage;
  transport.onmessage = (message, extra) => {
    received.push(message);
    deliver?.(message, extra);
  };
  return received;
}

async function connect<T extends Transport>(transport: T, options: ClientOptions): Promise<SdkConnection<T>> {
  const client = new Client({ name: 'mcp-sidecar-test', version: '1.0.0' }, options);
  await client.connect(transport);
  return { client, transport, received: tapMessages(transport), close: () => client.close() };
}

/** The SDK client over legacy HTTP+SSE: GET /sse, then POSTs to the endpoint it names. */
export function connectSseClient(daemon: DaemonAddress, options: ClientOptions = {}): Promise<SdkConnection<SSEClientTransport>> {
  return connect(new SSEClientTransport(new URL(`${daemon.baseUrl}/sse`)), options);
}

/** The SDK client over WebSocket (subprotocol mcp). */
export function connectWsClient(daemon: DaemonAddress, options: ClientOptions = {}): Promise<SdkConnection<WebSocketClientTransport>> {
  return connect(new WebSocketClientTransport(new URL(wsUrl(daemon))), options);
}

/** The progress values of the notifications in `received`, in order. */
export function progressIn(received: JSONRPCMessage[]): number[] {
  return received.flatMap((message) => ('method' in message && message.method === 'notifications/progress' ? [(message.params as { progress: number }).progress] : []));
}

/** The pid of the child serving `client`'s session (the fixture's `pid` tool). */
export async function childPidOf(client: Client): Promise<number> {
  return (JSON.parse(textOf(await client.callTool({ name: 'pid', arguments: {} }))) as { pid: number }).pid;
}

export function initializeMessage(id: number | string = 'init'): Record<string, unknown> {
  const params = { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw-test', version: '1.0.0' } };
  return { jsonrpc: '2.0', id, method: 'initialize', params };
}

export const INITIALIZED = { jsonrpc: '2.0', method: 'notifications/initialized' };

export type Message = Record<string, unknown> & { id?: string | number | null };

/** Collects parsed messages and waits for the one it is told about. */
class Inbox {
  readonly messages: Message[] = [];

  waitFor(predicate: (message: Message) => boolean, what: string, timeoutMs = 10_000): Promise<Message> {
    return waitFor(() => this.messages.find(predicate), { timeoutMs, what });
  }

  answerTo(id: string | number, timeoutMs?: number): Promise<Message> {
    return this.waitFor((message) => message.id === id && !('method' in message), `the answer to ${id}`, timeoutMs);
  }
}

export type Closed = { code: number; reason: string };

/** A raw `ws` client that offers subprotocol mcp and records every frame and the close. */
export class RawWs extends Inbox {
  readonly ws: WebSocket;
  /** Text frames that were not JSON (there should be none). */
  readonly strays: string[] = [];
  closed: Closed | undefined;

  private constructor(ws: WebSocket) {
    super();
    this.ws = ws;
    ws.on('message', (data, isBinary) => {
      const text = (data as Buffer).toString('utf8');
      try {
        if (!isBinary) this.messages.push(JSON.parse(text) as Message);
      } catch {
        this.strays.push(text);
      }
    });
    ws.on('close', (code, reason) => {
      this.closed = { code, reason: reason.toString() };
    });
    ws.on('error', () => undefined); // The close that follows says what happened.
  }

  static async open(daemon: DaemonAddress, options: WsClientOptions = {}): Promise<RawWs> {
    const ws = new WebSocket(wsUrl(daemon), 'mcp', options);
    const raw = new RawWs(ws);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    return raw;
  }

  send(message: unknown): void {
    this.ws.send(typeof message === 'string' ? message : JSON.stringify(message));
  }

  /** Sends initialize, waits for its answer and sends notifications/initialized. */
  async initialize(): Promise<Message> {
    this.send(initializeMessage('init'));
    const answer = await this.answerTo('init');
    this.send(INITIALIZED);
    return answer;
  }

  async request(id: string | number, method: string, params: Record<string, unknown> = {}, timeoutMs?: number): Promise<Message> {
    this.send({ jsonrpc: '2.0', id, method, params });
    return this.answerTo(id, timeoutMs);
  }

  waitClosed(timeoutMs = 10_000): Promise<Closed> {
    return waitFor(() => this.closed, { timeoutMs, what: 'the WebSocket to close' });
  }

  async close(): Promise<void> {
    if (this.ws.readyState === WebSocket.OPEN || this.ws.readyState === WebSocket.CONNECTING) this.ws.close(1000);
    await this.waitClosed().catch(() => this.ws.terminate());
  }
}

/** A raw legacy SSE stream: its endpoint event, and every message event parsed. */
export class RawSse extends Inbox {
  endpoint = '';
  readonly events: { event: string; data: string }[] = [];
  /** The stream ended (the daemon closed it, or `close()`). */
  ended = false;
  private readonly abort = new AbortController();

  /** Opens GET /sse (with `headers`, a bearer token say) and waits for the endpoint event. */
  static async open(daemon: DaemonAddress, headers: Record<string, string> = {}): Promise<RawSse> {
    const raw = new RawSse();
    const response = await fetch(`${daemon.baseUrl}/sse`, { headers: { accept: 'text/event-stream', ...headers }, signal: raw.abort.signal });
    if (response.status !== 200 || !response.body) throw new Error(`GET /sse answered ${response.status}`);
    void raw.read(response.body);
    await waitFor(() => raw.endpoint !== '', { what: 'the endpoint event' });
    return raw;
  }

  get sessionId(): string {
    return new URL(this.endpoint, 'http://localhost').searchParams.get('sessionId') ?? '';
  }

  private async read(body: ReadableStream<Uint8Array>): Promise<void> {
    const decoder = new TextDecoder();
    let buffer = '';
    try {
      for await (const chunk of body) {
        buffer += decoder.decode(chunk, { stream: true });
        let end: number;
        while ((end = buffer.indexOf('\n\n')) !== -1) {
          this.onEvent(buffer.slice(0, end));
          buffer = buffer.slice(end + 2);
        }
      }
    } catch {
      // Aborted by close(), or the daemon ended the stream: nothing more to read either way.
    } finally {
      this.ended = true;
    }
  }

  private onEvent(block: string): void {
    const lines = block.split('\n').filter((line) => !line.startsWith(':'));
    if (lines.length === 0) return;
    const event = lines.find((line) => line.startsWith('event: '))?.slice(7) ?? 'message';
    const data = lines.filter((line) => line.startsWith('data: ')).map((line) => line.slice(6)).join('\n');
    this.events.push({ event, data });
    if (event === 'endpoint') this.endpoint = data;
    else this.messages.push(JSON.parse(data) as Message);
  }

  close(): void {
    this.abort.abort();
  }
}

/**
 * A WebSocket upgrade request by hand, with the headers given, for the answers that come before
 * any upgrade (a refusal is a plain HTTP response).
 */
export function upgradeRequest(url: string, headers: Record<string, string> = {}): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url.replace(/^ws/, 'http'), {
      headers: {
        connection: 'Upgrade',
        upgrade: 'websocket',
        'sec-websocket-version': '13',
        'sec-websocket-key': randomBytes(16).toString('base64'),
        ...headers,
      },
    });
    req.on('upgrade', (res, socket) => {
      socket.destroy();
      reject(new Error(`the upgrade was accepted (${res.statusCode})`));
    });
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        const flat = Object.entries(res.headers).map(([name, value]) => [name, String(value)] as [string, string]);
        // The assertions on `text` say what it was when it is not JSON.
        const json = ((): unknown => { try { return JSON.parse(text); } catch { return undefined; } })();
        resolve({ status: res.statusCode ?? 0, headers: new Headers(flat), text, json });
      });
    });
    req.on('error', reject);
    req.end();
  });
}
