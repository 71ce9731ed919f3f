/** A POST's body read and framed, or refused with its answer already sent (413, 400). */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { formatSize } from '../../config/size.js';
import { readBody } from '../../http/read-body.js';
import { sendWireError } from '../../http/respond.js';
import type { Framed } from '../../jsonrpc/message.js';
import { frameBody } from './frame-body.js';

export async function readMessage(req: IncomingMessage, res: ServerResponse, maxBodyBytes: number): Promise<Framed | { kind: 'batch'; items: unknown[] } | undefined> {
  const body = await readBody(req, maxBodyBytes);
  if (!body.ok) {
    if (body.reason === 'too-large') {
      sendWireError(res, 'BODY_TOO_LARGE', { detail: `the limit is ${formatSize(maxBodyBytes)} (--max-body)`, headers: { connection: 'close' } });
    }
    return undefined;
  }
  const framed = frameBody(body.body, body.bytes);
  if (!('reason' in framed)) return framed;
  sendWireError(res, framed.reason, { id: framed.id, detail: framed.detail, data: framed.data });
  return undefined;
}
