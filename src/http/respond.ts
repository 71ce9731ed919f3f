/**
 * Every HTTP answer the daemon writes itself goes through here: JSON, with a length, and for
 * errors the JSON-RPC error shape from the registry. Never an HTML page, a stack or a path.
 */
import { STATUS_CODES, type Server, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { WIRE_ERRORS, wireError, type JsonRpcId, type WireErrorReason } from '../errors/wire.js';

export type Headers = Record<string, string | number>;

export function sendJson(res: ServerResponse, status: number, body: string, headers: Headers = {}): void {
  if (res.headersSent || res.destroyed) return;
  res.writeHead(status, {
    ...headers,
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
  });
  res.end(body);
}

/** `res` is absent for a refused upgrade, which has none. */
export type RefusalObserver = (reason: WireErrorReason, status: number, res: ServerResponse | undefined) => void;

/** Per HTTP server, so that two daemons in one process each hear their own refusals. */
const observers = new WeakMap<Server, RefusalObserver>();

/** Tells `observer` of every refusal `server` sends (the daemon logs and counts them). */
export function observeRefusals(server: Server, observer: RefusalObserver): void {
  observers.set(server, observer);
}

/** Answers the whole HTTP request with a registry error and its status. */
export function sendWireError(
  res: ServerResponse,
  reason: WireErrorReason,
  options: { id?: JsonRpcId; detail?: string; data?: Record<string, unknown>; headers?: Headers } = {},
): void {
  const body = wireError(reason, options.id ?? null, options.detail, options.data);
  const status = WIRE_ERRORS[reason].status;
  const server = (res.socket as { server?: Server } | null)?.server;
  if (server) observers.get(server)?.(reason, status, res);
  sendJson(res, status, JSON.stringify(body), options.headers);
}

/**
 * Answers on a bare socket with a registry error and closes it: a refused upgrade (WebSocket) has
 * no response object, nor does a request Node's parser rejected or timed out.
 */
export function answerOnSocket(socket: Duplex, reason: WireErrorReason, options: { headers?: Headers; detail?: string } = {}): void {
  const body = JSON.stringify(wireError(reason, null, options.detail));
  const status = WIRE_ERRORS[reason].status;
  const server = (socket as { server?: Server }).server;
  if (server) observers.get(server)?.(reason, status, undefined);
  const lines = [`HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}`, 'content-type: application/json', `content-length: ${Buffer.byteLength(body)}`, 'connection: close'];
  for (const [name, value] of Object.entries(options.headers ?? {})) lines.push(`${name}: ${value}`);
  if (!socket.writable) return void socket.destroy();
  // Closed once the answer is flushed: an HTTP server's sockets are half-open capable, and a client
  // that never closes its side would otherwise hold the connection for good.
  socket.once('finish', () => socket.destroy());
  socket.end(`${lines.join('\r\n')}\r\n\r\n${body}`);
}
