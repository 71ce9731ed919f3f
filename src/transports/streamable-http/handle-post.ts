/**
 * POST: one client message. Validation comes first and is complete before anything is spawned: a
 * refused request never leaves a process behind.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { wireError } from '../../errors/wire.js';
import { formatSize } from '../../config/size.js';
import { readBody } from '../../http/read-body.js';
import { sendJson, sendWireError } from '../../http/respond.js';
import { classify, type Framed, type JsonRpcRequest } from '../../jsonrpc/message.js';
import { contextOf } from '../../observability/request-context.js';
import type { Session } from '../../session/session.js';
import type { StreamableHttpContext } from './context.js';
import { PostStream } from './post-stream.js';
import { checkContentType, checkPostAccept, checkProtocolVersion, sessionIdOf } from './validate.js';

/** How long a client should wait before retrying when the daemon is draining. */
const RETRY_AFTER_SECONDS = 5;

export async function handlePost(req: IncomingMessage, res: ServerResponse, context: StreamableHttpContext): Promise<void> {
  const refused = checkPostAccept(req.headers) ?? checkContentType(req.headers);
  if (refused) return sendWireError(res, refused);

  const body = await readBody(req, context.config.maxBodyBytes);
  if (!body.ok) {
    if (body.reason === 'too-large') {
      sendWireError(res, 'BODY_TOO_LARGE', { detail: `the limit is ${formatSize(context.config.maxBodyBytes)} (--max-body)`, headers: { connection: 'close' } });
    }
    return;
  }

  const framed = frame(body.body, body.bytes);
  if ('reason' in framed) return sendWireError(res, framed.reason, { id: framed.id });

  if (framed.kind === 'request' && (framed.message as JsonRpcRequest).method === 'initialize') {
    return initialize(req, res, framed as Framed<JsonRpcRequest>, context);
  }

  const named = sessionIdOf(req.headers);
  if ('reason' in named) return sendWireError(res, named.reason);
  const badVersion = checkProtocolVersion(req.headers);
  if (badVersion) return sendWireError(res, badVersion, { detail: String(req.headers['mcp-protocol-version']) });
  const session = context.sessions.registry.get(named.id);
  if (!session) return sendWireError(res, 'SESSION_NOT_FOUND');

  if (framed.kind === 'request') return request(req, res, framed as Framed<JsonRpcRequest>, session);
  if (await session.forward(framed)) {
    res.writeHead(202).end();
    return;
  }
  sendWireError(res, 'SESSION_NOT_FOUND');
}

type FrameResult = Framed | { reason: 'PARSE_ERROR' | 'BATCH_REFUSED' | 'EMPTY_BATCH' | 'INVALID_MESSAGE'; id: string | number | null };

function frame(text: string, bytes: number): FrameResult {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { reason: 'PARSE_ERROR', id: null };
  }
  if (Array.isArray(value)) return { reason: value.length === 0 ? 'EMPTY_BATCH' : 'BATCH_REFUSED', id: null };
  const kind = classify(value);
  if (!kind) {
    const id = (value as { id?: unknown } | null)?.id;
    return { reason: 'INVALID_MESSAGE', id: typeof id === 'string' || typeof id === 'number' ? id : null };
  }
  // The child reads one message per line: a pretty-printed body is re-serialized onto one.
  if (!text.includes('\n') && !text.includes('\r')) return { kind, message: value as Framed['message'], raw: text, bytes };
  const raw = JSON.stringify(value);
  return { kind, message: value as Framed['message'], raw, bytes: Buffer.byteLength(raw) };
}

async function initialize(req: IncomingMessage, res: ServerResponse, framed: Framed<JsonRpcRequest>, context: StreamableHttpContext): Promise<void> {
  if (req.headers['mcp-session-id'] !== undefined) return sendWireError(res, 'INITIALIZE_WITH_SESSION', { id: framed.message.id });
  const refused = context.acceptingSessions() ? context.sessions.refusal() : 'DRAINING';
  if (refused) {
    context.logger.warn({ reason: refused }, 'new session refused');
    return sendWireError(res, refused, { id: framed.message.id, headers: { 'retry-after': RETRY_AFTER_SECONDS } });
  }
  const session = context.sessions.open('streamable-http');
  await session.submitRequest(framed, new PostStream(res, 1, session.id), contextOf(req));
}

async function request(req: IncomingMessage, res: ServerResponse, framed: Framed<JsonRpcRequest>, session: Session): Promise<void> {
  const outcome = await session.submitRequest(framed, new PostStream(res, 1), contextOf(req));
  if (outcome === 'duplicate-id') {
    sendJson(res, 200, JSON.stringify(wireError('DUPLICATE_REQUEST_ID', framed.message.id)));
  } else if (outcome === 'too-many-in-flight') {
    sendWireError(res, 'TOO_MANY_IN_FLIGHT', { id: framed.message.id, headers: { 'retry-after': 1 } });
  }
}
