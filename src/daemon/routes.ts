/**
 * The daemon's paths. Client-facing ones (the three transports, /status with authentication on,
 * /metrics with --protect-metrics) pass the admission first: Host/Origin, then the bearer token,
 * refused with the registry's status and a `WWW-Authenticate` challenge; /metrics and /status pass
 * Host/Origin in any case. /healthz, /readyz and the protected resource metadata stay open.
 */
import { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Principal } from '../auth/principal.js';
import type { ProtectedResourceMetadata } from '../auth/protected-resource.js';
import { answerOnSocket, sendJson, sendWireError } from '../http/respond.js';
import { pathOf, type Handler, type Route } from '../http/server.js';
import type { Logger } from '../observability/logger.js';
import type { Admission } from '../security/admission.js';
import { handleLegacyMessage } from '../transports/legacy-sse/handle-messages.js';
import { handleLegacyStream } from '../transports/legacy-sse/handle-stream.js';
import type { TransportContext } from '../transports/shared/transport-context.js';
import { handleStreamableHttp } from '../transports/streamable-http/endpoint.js';
import type { WebSocketEndpoint } from '../transports/websocket/handle-upgrade.js';

/** What an admitted route does, with the principal the admission decided. */
export type AdmittedHandler = (req: IncomingMessage, res: ServerResponse, principal: Principal) => void | Promise<void>;

/** A route whose requests pass the admission before `handle` sees them. */
export function admitted(admission: Admission, path: string, methods: readonly string[], handle: AdmittedHandler): Route {
  return {
    path,
    methods,
    handle: (req, res) => {
      // Without authentication the verdict is known at once: no promise on the request's path.
      const known = admission.admitNow(req);
      if (known) return known.ok ? handle(req, res, known.principal) : sendWireError(res, known.reason);
      return admission.admit(req).then((verdict) => {
        if (!verdict.ok) return sendWireError(res, verdict.reason, verdict.headers ? { headers: verdict.headers } : {});
        return handle(req, res, verdict.principal);
      });
    },
  };
}

export function transportRoutes(context: TransportContext, admission: Admission, webSocket: WebSocketEndpoint | undefined): Route[] {
  const { config } = context;
  const routes: Route[] = [];
  if (config.path !== false) routes.push(admitted(admission, config.path, ['GET', 'POST', 'DELETE'], (req, res) => handleStreamableHttp(req, res, context)));
  if (config.ssePath !== false) {
    const messagesPath = config.messagesPath;
    routes.push(admitted(admission, config.ssePath, ['GET'], (req, res) => handleLegacyStream(req, res, context, messagesPath)));
    routes.push(admitted(admission, messagesPath, ['POST'], (req, res) => handleLegacyMessage(req, res, context)));
  }
  if (config.wsPath !== false && webSocket) {
    routes.push(admitted(admission, config.wsPath, ['GET'], (_req, res) => sendWireError(res, 'UPGRADE_REQUIRED', { headers: { upgrade: 'websocket' } })));
  }
  return routes;
}

/** RFC 9728: where a client that got 401 learns which authorization server to ask. */
export function metadataRoutes(metadata: ProtectedResourceMetadata | undefined, paths: readonly string[]): Route[] {
  if (!metadata) return [];
  const body = JSON.stringify(metadata);
  return paths.map((path) => ({ path, methods: ['GET'], handle: (_req, res) => sendJson(res, 200, body, { 'cache-control': 'max-age=300' }) }));
}

/**
 * Upgrades on the WebSocket path pass the same admission; a WebSocket upgrade elsewhere is not
 * found. Any other upgrade offer (`Upgrade: h2c` from curl --http2, say) is ignored, as a server
 * may: the request is served as plain HTTP/1.1 by `serve` (its body, which Node's parser leaves
 * to us, is handed to it by length), and the connection closes after the answer.
 */
export function upgradeHandler(admission: Admission, webSocket: WebSocketEndpoint | undefined, wsPath: string | false, serve: Handler, logger: Logger) {
  return (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    socket.on('error', (error) => logger.debug({ err: error }, 'upgrade socket error'));
    if (String(req.headers.upgrade).toLowerCase() !== 'websocket') return serveWithoutUpgrade(req, socket, head, serve);
    if (!webSocket || pathOf(req.url) !== wsPath) return answerOnSocket(socket, 'NOT_FOUND');
    webSocket.prepare(req);
    void admission.admit(req).then(
      (verdict) => {
        if (!verdict.ok) return answerOnSocket(socket, verdict.reason, { headers: verdict.headers ?? {} });
        webSocket.upgrade(req, socket, head);
      },
      (error: unknown) => {
        logger.error({ err: error }, 'upgrade admission failed');
        answerOnSocket(socket, 'INTERNAL');
      },
    );
  };
}

/** Time a request served this way has to send the rest of its body. */
const BODY_TIMEOUT_MS = 30_000;

function serveWithoutUpgrade(upgrade: IncomingMessage, socket: Duplex, head: Buffer, serve: Handler): void {
  const length = Number(upgrade.headers['content-length'] ?? 0);
  if (upgrade.headers['transfer-encoding'] !== undefined || !Number.isSafeInteger(length) || length < 0) {
    return answerOnSocket(socket, 'UPGRADE_UNSUPPORTED');
  }
  // Node ended the upgrade request at its headers; a copy of it carries the body: what came with
  // the headers (`head`), then the rest from the socket.
  const req = new IncomingMessage(socket as Socket);
  Object.assign(req, { method: upgrade.method, url: upgrade.url, headers: upgrade.headers, rawHeaders: upgrade.rawHeaders, httpVersion: upgrade.httpVersion });
  let missing = length;
  const end = (): void => {
    // Complete, as the parser would mark it: an incomplete request that ends is an aborted one.
    req.complete = true;
    req.push(null);
  };
  const take = (chunk: Buffer): void => {
    if (missing <= 0) return;
    const part = chunk.subarray(0, missing);
    missing -= part.length;
    req.push(part);
    if (missing === 0) end();
  };
  if (length === 0) end();
  else take(head);
  if (missing > 0) {
    socket.on('data', take);
    (socket as Socket).setTimeout(BODY_TIMEOUT_MS, () => socket.destroy());
  }
  const res = new ServerResponse(req);
  res.shouldKeepAlive = false;
  res.assignSocket(socket as Socket);
  res.once('finish', () => {
    res.detachSocket(socket as Socket);
    socket.end();
  });
  void serve(req, res);
}
