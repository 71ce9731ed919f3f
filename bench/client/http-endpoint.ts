/**
 * The lean client: node:http with one keep-alive Agent per endpoint, bodies sent with a
 * Content-Length, answers read whole and parsed as JSON or as SSE, whichever the bridge chose.
 * It costs each target the same, and far less than the SDK client (see the sdk phase).
 */
import http, { type IncomingHttpHeaders, type OutgoingHttpHeaders } from 'node:http';
import { sseMessages } from './sse.js';

export interface HttpAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

export class HttpEndpoint {
  readonly url: string;
  private readonly agent = new http.Agent({ keepAlive: true, maxSockets: Number.POSITIVE_INFINITY });
  private readonly hostname: string;
  private readonly port: number;
  private readonly path: string;

  constructor(url: string) {
    const parsed = new URL(url);
    this.url = url;
    this.hostname = parsed.hostname.replace(/^\[|\]$/g, '');
    this.port = Number(parsed.port);
    this.path = `${parsed.pathname}${parsed.search}`;
  }

  send(method: 'POST' | 'DELETE', headers: OutgoingHttpHeaders, body?: Buffer): Promise<HttpAnswer> {
    return new Promise((resolve, reject) => {
      const request = http.request({ hostname: this.hostname, port: this.port, path: this.path, method, headers, agent: this.agent }, (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body: chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks) }));
        response.on('error', reject);
      });
      request.on('error', reject);
      request.end(body);
    });
  }

  /** Closes the kept-alive sockets. */
  close(): void {
    this.agent.destroy();
  }
}

/** The JSON-RPC message answering `id` in a JSON or SSE body; throws naming what came instead. */
export function answerFor(answer: HttpAnswer, id: number, what: string): unknown {
  const type = answer.headers['content-type'] ?? '';
  if (answer.status !== 200) throw new Error(`${what}: HTTP ${answer.status} ${answer.body.toString('utf8').slice(0, 200)}`);
  const text = answer.body.toString('utf8');
  let messages: unknown[];
  if (type.startsWith('application/json')) {
    const parsed = JSON.parse(text) as unknown;
    messages = Array.isArray(parsed) ? parsed : [parsed];
  } else if (type.startsWith('text/event-stream')) {
    messages = sseMessages(text);
  } else {
    throw new Error(`${what}: unexpected content-type ${JSON.stringify(type)}`);
  }
  const found = messages.find((message) => (message as { id?: unknown } | null)?.id === id);
  if (found === undefined) throw new Error(`${what}: no answer with id ${id} among ${messages.length} message(s)`);
  return found;
}
