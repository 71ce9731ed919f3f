/**
 * What a request line addresses (RFC 9112 §3.2): the path a route is found by, and the authority
 * the Host/Origin guard checks. Clients send the origin form (`/mcp?x`); a server must also accept
 * the absolute form (`http://127.0.0.1:8080/mcp`), and then the target's authority, not the Host
 * header, names the host the request is for (§3.2.2).
 */
import type { IncomingHttpHeaders } from 'node:http';

/** `http://` or `https://`, the authority, then the path up to the query. */
const ABSOLUTE_FORM = /^https?:\/\/([^/?#]*)([^?#]*)/i;

/** The path of a request target, without its query; for the absolute form, the path after its authority. */
export function pathOf(url: string | undefined): string {
  if (!url) return '/';
  // The origin form is nearly every request: no pattern matching on that path.
  if (url.charCodeAt(0) !== 0x2f) {
    const absolute = ABSOLUTE_FORM.exec(url);
    if (absolute) return absolute[2] || '/';
  }
  const query = url.indexOf('?');
  return query === -1 ? url : url.slice(0, query);
}

/** The host the request is for: an absolute-form target's authority, else the Host header. */
export function authorityOf(req: { url?: string | undefined; headers: IncomingHttpHeaders }): string | undefined {
  const url = req.url;
  if (url !== undefined && url.charCodeAt(0) !== 0x2f) {
    const absolute = ABSOLUTE_FORM.exec(url);
    if (absolute) return absolute[1];
  }
  return req.headers.host;
}

/**
 * RFC 9112 §3.2: an HTTP/1.1 request without Host is refused with 400, the absolute form included
 * (its client must send both). HTTP/1.0 predates Host and is served without.
 */
export function lacksHost(req: { httpVersion: string; headers: IncomingHttpHeaders }): boolean {
  return req.headers.host === undefined && req.httpVersion === '1.1';
}
