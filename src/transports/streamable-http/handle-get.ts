/** GET: the standalone SSE stream of a session (one at a time). */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { sendWireError } from '../../http/respond.js';
import type { StreamableHttpContext } from './context.js';
import { StandaloneStream } from './standalone-stream.js';
import { checkGetAccept, checkProtocolVersion, sessionIdOf } from './validate.js';

export function handleGet(req: IncomingMessage, res: ServerResponse, context: StreamableHttpContext): void {
  const refused = checkGetAccept(req.headers);
  if (refused) return sendWireError(res, refused, { detail: 'GET needs Accept: text/event-stream' });
  const named = sessionIdOf(req.headers);
  if ('reason' in named) return sendWireError(res, named.reason);
  const badVersion = checkProtocolVersion(req.headers);
  if (badVersion) return sendWireError(res, badVersion, { detail: String(req.headers['mcp-protocol-version']) });
  const session = context.sessions.registry.get(named.id);
  if (!session) return sendWireError(res, 'SESSION_NOT_FOUND');
  if (session.hasOpenStream) return sendWireError(res, 'STREAM_CONFLICT');
  session.openStandalone(new StandaloneStream(res, (stream) => session.standaloneClosed(stream)));
}
