/** An MCP session over Streamable HTTP with the lean client: initialize, initialized, calls, DELETE. */
import type { OutgoingHttpHeaders } from 'node:http';
import { answerFor, type HttpEndpoint } from './http-endpoint.js';
import { initializeParams, resultOf, toolText, type McpSession } from './session.js';

const ACCEPT = 'application/json, text/event-stream';

function body(message: unknown): Buffer {
  return Buffer.from(JSON.stringify(message));
}

function postHeaders(length: number, base: OutgoingHttpHeaders): OutgoingHttpHeaders {
  return { ...base, 'content-length': length };
}

export class HttpSession implements McpSession {
  private readonly endpoint: HttpEndpoint;
  /** Built once: every request of the session carries the same ones. */
  private readonly headers: OutgoingHttpHeaders;
  private nextId = 2;
  private closed = false;

  private constructor(endpoint: HttpEndpoint, headers: OutgoingHttpHeaders) {
    this.endpoint = endpoint;
    this.headers = headers;
  }

  /** initialize (which gives the session id) then notifications/initialized (202). */
  static async open(endpoint: HttpEndpoint): Promise<HttpSession> {
    const initialize = body({ jsonrpc: '2.0', id: 1, method: 'initialize', params: initializeParams() });
    const base = { accept: ACCEPT, 'content-type': 'application/json' };
    const answer = await endpoint.send('POST', postHeaders(initialize.length, base), initialize);
    const result = resultOf(answerFor(answer, 1, 'initialize'), 'initialize') as { protocolVersion?: unknown };
    const sessionId = answer.headers['mcp-session-id'];
    if (typeof sessionId !== 'string') throw new Error('initialize: the answer has no Mcp-Session-Id header');
    const version = typeof result.protocolVersion === 'string' ? result.protocolVersion : '2025-03-26';
    const session = new HttpSession(endpoint, { ...base, 'mcp-session-id': sessionId, 'mcp-protocol-version': version });
    const initialized = body({ jsonrpc: '2.0', method: 'notifications/initialized' });
    const ack = await endpoint.send('POST', postHeaders(initialized.length, session.headers), initialized);
    if (ack.status !== 202 && ack.status !== 200) throw new Error(`notifications/initialized: HTTP ${ack.status}`);
    return session;
  }

  async request(method: string, params: Record<string, unknown>): Promise<unknown> {
    const id = this.nextId++;
    const payload = body({ jsonrpc: '2.0', id, method, params });
    const answer = await this.endpoint.send('POST', postHeaders(payload.length, this.headers), payload);
    return answerFor(answer, id, method);
  }

  async callTool(name: string, args: Record<string, unknown>): Promise<string> {
    return toolText(await this.request('tools/call', { name, arguments: args }), name);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    // 200/202/204 ended it; 404 or 405 means the bridge keeps no such state. Either way it is over.
    await this.endpoint.send('DELETE', { 'mcp-session-id': this.headers['mcp-session-id'], 'mcp-protocol-version': this.headers['mcp-protocol-version'] }).catch(() => undefined);
  }
}
