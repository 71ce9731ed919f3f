/**
 * Correlation for one HTTP request: a request id (the client's `X-Request-Id` when it sends a sane
 * one, else a new one, echoed on the response) and the W3C trace context when the client sends a
 * `traceparent`. Every log line the request causes carries them, child stderr lines too while it
 * is the only request in flight on its session.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';

export interface RequestContext {
  requestId: string;
  /** The trace id of a valid `traceparent`. */
  traceId?: string;
  /** The caller's span id from `traceparent`. */
  parentSpanId?: string;
}

const SANE_REQUEST_ID = /^[\x21-\x7E]{1,128}$/;
// version-traceid-parentid-flags; all-zero ids are invalid (W3C Trace Context §3.2).
const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

/**
 * Kept on the request itself: it lives exactly as long, and a property costs the collector
 * nothing, where a WeakMap entry per request is an ephemeron every young-generation GC must visit.
 */
const CONTEXT = Symbol('mcp-sidecar.request-context');

type WithContext = IncomingMessage & { [CONTEXT]?: RequestContext };

/** The context of a request the HTTP front has seen (it assigns one to every request). */
export function contextOf(req: IncomingMessage): RequestContext | undefined {
  return (req as WithContext)[CONTEXT];
}

export function assignContext(req: IncomingMessage): RequestContext {
  const context = requestContextOf(req.headers);
  (req as WithContext)[CONTEXT] = context;
  return context;
}

export function requestContextOf(headers: IncomingHttpHeaders): RequestContext {
  const offered = headers['x-request-id'];
  const requestId = typeof offered === 'string' && SANE_REQUEST_ID.test(offered) ? offered : randomUUID();
  const context: RequestContext = { requestId };
  const traceparent = headers.traceparent;
  const match = typeof traceparent === 'string' ? TRACEPARENT.exec(traceparent.trim().toLowerCase()) : null;
  if (match && match[1] !== 'ff' && !/^0+$/.test(match[2] as string) && !/^0+$/.test(match[3] as string)) {
    context.traceId = match[2];
    context.parentSpanId = match[3];
  }
  return context;
}
