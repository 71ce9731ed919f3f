/** DELETE: the client ends its session; its child goes down the stop ladder. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { principalOf } from '../../auth/request-principal.js';
import { sendWireError } from '../../http/respond.js';
import { findSession, type TransportContext } from '../shared/transport-context.js';
import { isSessionlessModern } from './modern/classify.js';
import { checkProtocolVersion, sessionIdOf } from './validate.js';

export function handleDelete(req: IncomingMessage, res: ServerResponse, context: TransportContext): void {
  if (isSessionlessModern(req.headers)) return sendWireError(res, 'MODERN_SESSIONLESS', { headers: { allow: 'POST' } });
  const named = sessionIdOf(req.headers);
  if ('reason' in named) return sendWireError(res, named.reason);
  const badVersion = checkProtocolVersion(req.headers);
  if (badVersion) return sendWireError(res, badVersion, { detail: String(req.headers['mcp-protocol-version']) });
  const session = findSession(context, named.id, principalOf(req));
  if (!session) return sendWireError(res, 'SESSION_NOT_FOUND');
  void context.sessions.registry.end(session, 'session-end');
  res.writeHead(200, { 'content-length': 0 }).end();
}
