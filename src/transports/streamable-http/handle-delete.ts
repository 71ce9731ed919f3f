/** DELETE: the client ends its session; its child goes down the stop ladder. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { sendWireError } from '../../http/respond.js';
import type { TransportContext } from '../shared/transport-context.js';
import { checkProtocolVersion, sessionIdOf } from './validate.js';

export function handleDelete(req: IncomingMessage, res: ServerResponse, context: TransportContext): void {
  const named = sessionIdOf(req.headers);
  if ('reason' in named) return sendWireError(res, named.reason);
  const badVersion = checkProtocolVersion(req.headers);
  if (badVersion) return sendWireError(res, badVersion, { detail: String(req.headers['mcp-protocol-version']) });
  const session = context.sessions.registry.get(named.id);
  if (!session) return sendWireError(res, 'SESSION_NOT_FOUND');
  void context.sessions.registry.end(session, 'session-end');
  res.writeHead(200, { 'content-length': 0 }).end();
}
