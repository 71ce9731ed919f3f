/**
 * CORS for browser clients, off unless --cors-origins names them. An allowed Origin gets
 * `Access-Control-Allow-Origin` with `Mcp-Session-Id` and `WWW-Authenticate` exposed (a browser
 * client cannot read them otherwise); a preflight gets 204 with what the MCP transports send.
 * No credentials mode: MCP authenticates with a bearer header, never cookies.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

const ALLOW_HEADERS = 'authorization, content-type, accept, mcp-session-id, mcp-protocol-version, last-event-id, x-request-id, traceparent';
const EXPOSE_HEADERS = 'mcp-session-id, www-authenticate, retry-after, x-request-id';
const MAX_AGE_SECONDS = 600;

export class Cors {
  private readonly any: boolean;
  private readonly origins: Set<string>;

  constructor(origins: readonly string[]) {
    this.any = origins.includes('*');
    this.origins = new Set(origins.map((origin) => origin.replace(/\/$/, '').toLowerCase()));
  }

  get enabled(): boolean {
    return this.any || this.origins.size > 0;
  }

  /**
   * Adds the CORS headers an allowed Origin gets. Returns true when the request was a preflight
   * and has been answered.
   */
  apply(req: IncomingMessage, res: ServerResponse, methods: readonly string[]): boolean {
    const origin = req.headers.origin;
    if (origin === undefined || !(this.any || this.origins.has(origin.toLowerCase()))) return false;
    res.setHeader('access-control-allow-origin', this.any ? '*' : origin);
    res.setHeader('vary', 'Origin');
    res.setHeader('access-control-expose-headers', EXPOSE_HEADERS);
    if (req.method !== 'OPTIONS' || req.headers['access-control-request-method'] === undefined) return false;
    res.writeHead(204, {
      'access-control-allow-methods': methods.join(', '),
      'access-control-allow-headers': ALLOW_HEADERS,
      'access-control-max-age': String(MAX_AGE_SECONDS),
      'content-length': 0,
    });
    res.end();
    return true;
  }
}
