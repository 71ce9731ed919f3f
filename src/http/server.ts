/**
 * The daemon's HTTP front: routes by path, and makes sure nothing a handler does wrong reaches the
 * client as anything but a JSON-RPC error, or takes the process down.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { Cors } from './cors.js';
import type { WireErrorReason } from '../errors/wire.js';
import type { Logger } from '../observability/logger.js';
import { assignContext } from '../observability/request-context.js';
import { lacksHost, pathOf } from './request-target.js';
import { declaresTooLarge, refuseBody } from './refuse-body.js';
import { SidecarResponse, markRequestId } from './response.js';
import { answerOnSocket, sendWireError } from './respond.js';

export type Handler = (req: IncomingMessage, res: ServerResponse) => void | Promise<void>;

export interface Route {
  path: string;
  /** Methods answered here; others get 405 with an Allow header. */
  methods: readonly string[];
  handle: Handler;
}

/** Routes by exact path; a live map lets the daemon add and drop servers' paths while it runs. */
export interface RouteTable {
  get(path: string): Route | undefined;
}

export interface ServerOptions {
  /** PEM certificate chain and key: the server speaks HTTPS. */
  tls?: { cert: Buffer; key: Buffer };
  cors?: Cors;
  /** Time a client has to send a request's headers (408 after). */
  headersTimeoutMs?: number;
  /** Time a client has to send a whole request, headers and body (408 after). */
  receiveTimeoutMs?: number;
  maxConnections?: number;
  /**
   * --max-body: a request with `Expect: 100-continue` that declares more is answered 413 without
   * `100 Continue`, so its body is never sent. Without it Node sends `100 Continue` to every one.
   */
  maxBodyBytes?: number;
}

function isRouteList(routes: readonly Route[] | RouteTable): routes is readonly Route[] {
  return Array.isArray(routes);
}

/** How often Node checks connections against the header and receive timeouts. */
function checkingInterval(options: ServerOptions): number {
  const shortest = Math.min(options.headersTimeoutMs ?? 60_000, options.receiveTimeoutMs ?? 300_000);
  return Math.max(50, Math.min(30_000, Math.floor(shortest / 4)));
}

export function createHttpServer(routes: readonly Route[] | RouteTable, logger: Logger, options: ServerOptions = {}): Server {
  const byPath: RouteTable = isRouteList(routes) ? new Map(routes.map((route) => [route.path, route])) : routes;
  const cors = options.cors?.enabled ? options.cors : undefined;
  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    markRequestId(res, assignContext(req).requestId);
    if (lacksHost(req)) return sendWireError(res, 'HOST_REQUIRED', { headers: { connection: 'close' } });
    const route = byPath.get(pathOf(req.url));
    if (!route) return sendWireError(res, 'NOT_FOUND', { detail: 'no such path' });
    if (cors?.apply(req, res, route.methods)) return;
    if (!route.methods.includes(req.method ?? '')) {
      return sendWireError(res, 'METHOD_NOT_ALLOWED', { headers: { allow: route.methods.join(', ') } });
    }
    try {
      const pending = route.handle(req, res);
      if (pending) pending.catch((error: unknown) => fail(res, error, logger));
    } catch (error) {
      fail(res, error, logger);
    }
  };
  const serverOptions = {
    ...(options.headersTimeoutMs !== undefined ? { headersTimeout: options.headersTimeoutMs } : {}),
    ...(options.receiveTimeoutMs !== undefined ? { requestTimeout: options.receiveTimeoutMs } : {}),
    connectionsCheckingInterval: checkingInterval(options),
    ServerResponse: SidecarResponse,
    // Node's own refusal is an empty 400; the handler answers a missing Host in JSON instead.
    requireHostHeader: false,
  };
  const server: Server = options.tls
    ? (createHttpsServer({ ...serverOptions, cert: options.tls.cert, key: options.tls.key }, handler))
    : createServer(serverOptions, handler);
  if (options.maxConnections !== undefined) server.maxConnections = options.maxConnections;
  const maxBodyBytes = options.maxBodyBytes;
  if (maxBodyBytes !== undefined) {
    // With a listener here Node leaves `100 Continue` to us: sent only for a body we would read.
    server.on('checkContinue', (req: IncomingMessage, res: ServerResponse) => {
      if (!declaresTooLarge(req.headers, maxBodyBytes)) {
        res.writeContinue();
        return handler(req, res);
      }
      markRequestId(res, assignContext(req).requestId);
      refuseBody(res, maxBodyBytes);
    });
  }
  // Node would answer an Expect other than 100-continue with an empty 417.
  server.on('checkExpectation', (_req: IncomingMessage, res: ServerResponse) => sendWireError(res, 'EXPECTATION_FAILED', { headers: { connection: 'close' } }));
  server.on('clientError', (error: NodeJS.ErrnoException, socket) => {
    // Malformed or too slow: answered in JSON if the socket still can, never reaching 'uncaughtException'.
    logger.debug({ err: error }, 'client error');
    // An answer already on its way (an SSE stream, say) must not get a second status line inside it.
    const underway = (socket as { _httpMessage?: ServerResponse | null })._httpMessage?.headersSent === true;
    if (error.code === 'ECONNRESET' || !socket.writable || underway) return void socket.destroy();
    answerOnSocket(socket, clientErrorReason(error.code));
  });
  return server;
}

/** The registry reason for an error Node's HTTP parser or its timers raised. */
function clientErrorReason(code: string | undefined): WireErrorReason {
  if (code === 'ERR_HTTP_REQUEST_TIMEOUT') return 'RECEIVE_TIMEOUT';
  if (code === 'HPE_HEADER_OVERFLOW') return 'HEADERS_TOO_LARGE';
  return 'MALFORMED_HTTP';
}

function fail(res: ServerResponse, error: unknown, logger: Logger): void {
  logger.error({ err: error }, 'request handler failed');
  if (!res.headersSent) sendWireError(res, 'INTERNAL');
  else res.end();
}
