/** A POST's body read and framed, or refused with its answer already sent (413, 400). */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { readBody } from '../../http/read-body.js';
import { refuseBody } from '../../http/refuse-body.js';
import { sendWireError } from '../../http/respond.js';
import type { Framed } from '../../jsonrpc/message.js';
import { frameBody } from './frame-body.js';

export async function readMessage(req: IncomingMessage, res: ServerResponse, maxBodyBytes: number): Promise<Framed | { kind: 'batch'; items: unknown[] } | undefined> {
  const body = await readBody(req, maxBodyBytes);
  if (!body.ok) {
    // The client may still be sending: the close lingers so that it reads the 413 (refuse-body.ts).
    if (body.reason === 'too-large') refuseBody(res, maxBodyBytes);
    return undefined;
  }
  const framed = frameBody(body.body, body.bytes);
  if (!('reason' in framed)) return framed;
  sendWireError(res, framed.reason, { id: framed.id, detail: framed.detail, data: framed.data });
  return undefined;
}
