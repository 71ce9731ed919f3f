/** The Streamable HTTP endpoint: one path, three methods. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Credential } from '../../auth/credential.js';
import { sendWireError } from '../../http/respond.js';
import type { TransportContext } from '../shared/transport-context.js';
import { handleDelete } from './handle-delete.js';
import { handleGet } from './handle-get.js';
import { handlePost } from './handle-post.js';

export function handleStreamableHttp(req: IncomingMessage, res: ServerResponse, context: TransportContext, credential?: Credential): void | Promise<void> {
  switch (req.method) {
    case 'POST':
      return handlePost(req, res, context, credential);
    case 'GET':
      return handleGet(req, res, context);
    case 'DELETE':
      return handleDelete(req, res, context);
    default:
      return sendWireError(res, 'METHOD_NOT_ALLOWED', { headers: { allow: 'GET, POST, DELETE' } });
  }
}
