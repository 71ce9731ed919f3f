/**
 * A 2026-07-28 client with the lean transport: no session, every POST carries the revision's
 * `_meta` envelope and its headers (MCP-Protocol-Version, Mcp-Method, Mcp-Name), optionally a
 * bearer token. The daemon carries each request by a lease of the caller's principal.
 */
import type { OutgoingHttpHeaders } from 'node:http';
import { answerFor, type HttpEndpoint } from './http-endpoint.js';
import { CLIENT_INFO, toolText, type McpSession } from './session.js';

export const MODERN_VERSION = '2026-07-28';

const META = {
  'io.modelcontextprotocol/protocolVersion': MODERN_VERSION,
  'io.modelcontextprotocol/clientCapabilities': {},
  'io.modelcontextprotocol/clientInfo': CLIENT_INFO,
};

export class ModernClient implements McpSession {
  private readonly endpoint: HttpEndpoint;
  /** Built once: only Mcp-Name and Content-Length differ between calls. */
  private readonly headers: OutgoingHttpHeaders;
  private nextId = 1;

  constructor(endpoint: HttpEndpoint, token?: string) {
    this.endpoint = endpoint;
    this.headers = {
      accept: 'application/json, text/event-stream',
      'content-type': 'application/json',
      'mcp-protocol-version': MODERN_VERSION,
      'mcp-method': 'tools/call',
      ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
    };
  }

  /** tools/call; the answer must be HTTP 200 with `resultType: "complete"` and a text content. */
  async callTool(name: string, args: Record<string, unknown>): Promise<string> {
    const id = this.nextId++;
    const payload = Buffer.from(JSON.stringify({ jsonrpc: '2.0', id, method: 'tools/call', params: { name, arguments: args, _meta: META } }));
    const answer = await this.endpoint.send('POST', { ...this.headers, 'mcp-name': name, 'content-length': payload.length }, payload);
    const message = answerFor(answer, id, `2026-07-28 tools/call ${name}`);
    const text = toolText(message, name);
    const resultType = (message as { result?: { resultType?: unknown } }).result?.resultType;
    if (resultType !== 'complete') throw new Error(`2026-07-28 tools/call ${name}: resultType ${JSON.stringify(resultType)}, expected "complete"`);
    return text;
  }

  /** No session to end: leases belong to the daemon. */
  close(): Promise<void> {
    return Promise.resolve();
  }
}
