/**
 * The WebSocket endpoint: an HTTP upgrade that offers subprotocol `mcp` becomes a connection with
 * a session and a child of its own. Everything refused is refused before the upgrade, as an HTTP
 * answer with a JSON-RPC error body: a wrong path, a missing subprotocol, draining or a limit.
 * After it, a frame that is not a JSON-RPC message gets a JSON-RPC error frame and nothing else
 * happens; a binary frame closes the connection (1003), an oversized one too (1009).
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import type { Credential } from '../../auth/credential.js';
import type { Principal } from '../../auth/principal.js';
import { principalOf } from '../../auth/request-principal.js';
import { wireError } from '../../errors/wire.js';
import { answerOnSocket } from '../../http/respond.js';
import type { Framed, JsonRpcRequest } from '../../jsonrpc/message.js';
import { assignContext, contextOf, type RequestContext } from '../../observability/request-context.js';
import type { Session } from '../../session/session.js';
import { endWithCredential } from '../shared/end-with-credential.js';
import { frameBody } from '../shared/frame-body.js';
import { admissionRefusal, type TransportContext } from '../shared/transport-context.js';
import { CLOSE_CODES } from './close-codes.js';
import { WsConnection } from './ws-connection.js';

export const SUBPROTOCOL = 'mcp';

export class WebSocketEndpoint {
  private readonly server: WebSocketServer;
  private readonly context: TransportContext;

  constructor(context: TransportContext) {
    this.context = context;
    this.server = new WebSocketServer({
      noServer: true,
      maxPayload: context.config.maxBodyBytes,
      perMessageDeflate: false,
      handleProtocols: (protocols) => (protocols.has(SUBPROTOCOL) ? SUBPROTOCOL : false),
    });
    // A handshake ws refuses (method, key, version, a malformed header) is answered by us, in the
    // registry's JSON, instead of ws's text/html page.
    this.server.on('wsClientError', (error: Error, socket: Duplex, req: IncomingMessage) => {
      if (req.method !== 'GET') return answerOnSocket(socket, 'METHOD_NOT_ALLOWED', { headers: { allow: 'GET' } });
      const headers: Record<string, string> = /Version/.test(error.message) ? { 'sec-websocket-version': '13, 8' } : {};
      answerOnSocket(socket, 'WEBSOCKET_HANDSHAKE_INVALID', { detail: error.message, headers });
    });
  }

  /** Gives the upgrade request its correlation context (the HTTP front does not see upgrades). */
  prepare(req: IncomingMessage): void {
    assignContext(req);
  }

  /** Handles an admitted upgrade request for this endpoint's path; the connection ends with `credential`. */
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer, credential: Credential): void {
    const offered = String(req.headers['sec-websocket-protocol'] ?? '').split(',').map((protocol) => protocol.trim());
    if (!offered.includes(SUBPROTOCOL)) return answerOnSocket(socket, 'WEBSOCKET_SUBPROTOCOL_REQUIRED');
    const principal = principalOf(req);
    const refused = admissionRefusal(this.context, 'websocket', principal);
    if (refused) return answerOnSocket(socket, refused.reason, { headers: { 'retry-after': refused.retryAfterSeconds } });
    const requestContext = contextOf(req) ?? assignContext(req);
    this.server.handleUpgrade(req, socket, head, (ws) => this.connect(ws, requestContext, principal, credential));
  }

  private connect(ws: WebSocket, requestContext: RequestContext, principal: Principal, credential: Credential): void {
    const { sessions, config } = this.context;
    const session = sessions.open('websocket', principal);
    const connection = new WsConnection(ws, sessions.connectionEnv(session), {
      intervalMs: config.wsPingIntervalMs,
      onDead: () => {
        sessions.metrics.deadPeer();
        session.logger.warn({ wsPingIntervalMs: config.wsPingIntervalMs }, 'WebSocket peer did not answer a ping: disconnected');
      },
    });
    session.attachConnection(connection);
    const unwatch = endWithCredential(this.context, session, 'websocket', credential, (cause) => connection.closeWith(CLOSE_CODES.CREDENTIALS_ENDED, `credentials ${cause}`));
    ws.on('message', (data, isBinary) => void this.receive(session, connection, data, isBinary, requestContext));
    ws.on('error', (error) => session.logger.debug({ err: error }, 'WebSocket error'));
    ws.once('close', (code, reason) => {
      unwatch();
      session.logger.debug({ code, reason: reason.toString() }, 'WebSocket closed');
      if (session.live) void sessions.registry.end(session, 'session-end');
    });
  }

  private async receive(session: Session, connection: WsConnection, data: RawData, isBinary: boolean, requestContext: RequestContext): Promise<void> {
    if (isBinary) return connection.closeWith(CLOSE_CODES.UNSUPPORTED_DATA, 'MCP messages are text frames');
    const bytes = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer);
    const framed = frameBody(bytes.toString('utf8'), bytes.length);
    if ('reason' in framed) return connection.send(JSON.stringify(wireError(framed.reason, framed.id, framed.detail, framed.data)));
    if (framed.kind === 'batch') return connection.send(JSON.stringify(wireError('BATCH_REFUSED', null, 'send one message per frame')));
    if (framed.kind !== 'request') {
      // The upgrade's principal is the only one a WebSocket has; over its rate, an error frame (id null: a notification has none).
      const outcome = await session.forward(framed, session.principal);
      if (typeof outcome === 'object') connection.send(JSON.stringify(wireError(outcome.refused, null, `retry after ${outcome.retryAfterSeconds}s`)));
      return;
    }
    const request = framed as Framed<JsonRpcRequest>;
    // The upgrade's principal is the only one a WebSocket has.
    const outcome = await session.submitRequest(request, connection, session.principal, requestContext);
    if (outcome === 'duplicate-id') connection.send(JSON.stringify(wireError('DUPLICATE_REQUEST_ID', request.message.id)));
    else if (outcome !== 'accepted') connection.send(JSON.stringify(wireError(outcome.refused, request.message.id, `retry after ${outcome.retryAfterSeconds}s`)));
  }

  /** After shutdown ended every session (close frames sent): drops what is still connected. */
  close(): void {
    for (const client of this.server.clients) client.terminate();
    this.server.close();
  }
}
