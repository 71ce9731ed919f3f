/**
 * A server's paths. Client-facing ones (the three transports, /status with authentication on,
 * /metrics with --protect-metrics) pass the admission first: Host/Origin, then the bearer token,
 * refused with the registry's status and a `WWW-Authenticate` challenge; /metrics and /status pass
 * Host/Origin in any case. /healthz, /readyz and the protected resource metadata stay open.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Credential } from '../auth/credential.js';
import type { Principal } from '../auth/principal.js';
import type { ProtectedResourceMetadata } from '../auth/protected-resource.js';
import { answerOnSocket, sendJson, sendWireError } from '../http/respond.js';
import { lacksHost } from '../http/request-target.js';
import { serveWithoutUpgrade } from '../http/serve-without-upgrade.js';
import type { Handler, Route } from '../http/server.js';
import type { Logger } from '../observability/logger.js';
import type { Admission } from '../security/admission.js';
import { handleLegacyMessage } from '../transports/legacy-sse/handle-messages.js';
import { handleLegacyStream } from '../transports/legacy-sse/handle-stream.js';
import type { TransportContext } from '../transports/shared/transport-context.js';
import { handleStreamableHttp } from '../transports/streamable-http/endpoint.js';
import type { WebSocketEndpoint } from '../transports/websocket/handle-upgrade.js';
import type { UpgradeTarget } from './server-slots.js';

/** What an admitted route does, with the principal the admission decided and the credential behind it. */
export type AdmittedHandler = (req: IncomingMessage, res: ServerResponse, principal: Principal, credential: Credential) => void | Promise<void>;

/** A route whose requests pass the admission before `handle` sees them. */
export function admitted(admission: Admission, path: string, methods: readonly string[], handle: AdmittedHandler): Route {
  return {
    path,
    methods,
    handle: (req, res) => {
      // Without authentication the verdict is known at once: no promise on the request's path.
      const known = admission.admitNow(req);
      if (known) return known.ok ? handle(req, res, known.principal, known.credential) : sendWireError(res, known.reason);
      return admission.admit(req).then((verdict) => {
        if (!verdict.ok) return sendWireError(res, verdict.reason, verdict.headers ? { headers: verdict.headers } : {});
        return handle(req, res, verdict.principal, verdict.credential);
      });
    },
  };
}

export function transportRoutes(context: TransportContext, admission: Admission, webSocket: WebSocketEndpoint | undefined): Route[] {
  const { config } = context;
  const routes: Route[] = [];
  if (config.path !== false) routes.push(admitted(admission, config.path, ['GET', 'POST', 'DELETE'], (req, res, _principal, credential) => handleStreamableHttp(req, res, context, credential)));
  if (config.ssePath !== false) {
    const messagesPath = config.messagesPath;
    routes.push(admitted(admission, config.ssePath, ['GET'], (req, res, _principal, credential) => handleLegacyStream(req, res, context, messagesPath, credential)));
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
 * Upgrades on a server's WebSocket path pass that server's admission; a WebSocket upgrade
 * elsewhere is not found. Any other upgrade offer (`Upgrade: h2c` from curl --http2, say) is
 * ignored, as a server may: the request is served as plain HTTP/1.1 by `serve`, under
 * --receive-timeout (serve-without-upgrade.ts), and the connection closes after the answer.
 */
export function upgradeHandler(targetOf: (req: IncomingMessage) => UpgradeTarget | undefined, serve: Handler, logger: Logger) {
  return (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    socket.on('error', (error) => logger.debug({ err: error }, 'upgrade socket error'));
    // Node checks Host only on requests it does not hand over as upgrades.
    if (lacksHost(req)) return answerOnSocket(socket, 'HOST_REQUIRED');
    if (String(req.headers.upgrade).toLowerCase() !== 'websocket') return serveWithoutUpgrade(req, socket, head, serve);
    const target = targetOf(req);
    if (!target) return answerOnSocket(socket, 'NOT_FOUND');
    const { admission, webSocket } = target;
    webSocket.prepare(req);
    void admission.admit(req).then(
      (verdict) => {
        if (!verdict.ok) return answerOnSocket(socket, verdict.reason, { headers: verdict.headers ?? {} });
        webSocket.upgrade(req, socket, head, verdict.credential);
      },
      (error: unknown) => {
        logger.error({ err: error }, 'upgrade admission failed');
        answerOnSocket(socket, 'INTERNAL');
      },
    );
  };
}
