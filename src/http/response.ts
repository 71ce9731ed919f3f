/**
 * The daemon's HTTP response. Whatever it answers carries its request's `X-Request-Id`, added as
 * its head is written. Set with setHeader() when the request arrived, it made every answer take
 * Node's slower writeHead, the one that merges set headers with the given ones header by header:
 * this is the per-request path.
 */
import { ServerResponse, type IncomingMessage, type OutgoingHttpHeader, type OutgoingHttpHeaders } from 'node:http';

type Headers = OutgoingHttpHeaders | OutgoingHttpHeader[];

export class SidecarResponse<Request extends IncomingMessage = IncomingMessage> extends ServerResponse<Request> {
  /** Put on the head as `x-request-id` (request-context.ts gives it). */
  requestId: string | undefined;

  override writeHead(statusCode: number, reasonOrHeaders?: string | Headers, headers?: Headers): this {
    const id = this.requestId;
    if (typeof reasonOrHeaders === 'string') return super.writeHead(statusCode, reasonOrHeaders, id === undefined ? headers : withRequestId(headers, id));
    return super.writeHead(statusCode, id === undefined ? reasonOrHeaders : withRequestId(reasonOrHeaders, id));
  }
}

function withRequestId(headers: Headers | undefined, id: string): Headers {
  if (headers === undefined) return { 'x-request-id': id };
  if (Array.isArray(headers)) return [...headers, 'x-request-id', id];
  return { ...headers, 'x-request-id': id };
}

/**
 * Writes the head of `res` from `headers`, an object its caller made for this one answer: the id
 * goes into it rather than into a copy (the JSON answer to every tools/call comes this way).
 */
export function writeOwnHead(res: ServerResponse, statusCode: number, headers: OutgoingHttpHeaders): void {
  const id = res instanceof SidecarResponse ? res.requestId : undefined;
  if (id === undefined) {
    res.writeHead(statusCode, headers);
    return;
  }
  headers['x-request-id'] = id;
  ServerResponse.prototype.writeHead.call(res, statusCode, headers);
}

/** Marks `res` with its request's id: on its head when it is ours, else set now. */
export function markRequestId(res: ServerResponse, id: string): void {
  if (res instanceof SidecarResponse) res.requestId = id;
  else res.setHeader('x-request-id', id);
}
