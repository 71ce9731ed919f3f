/**
 * A body over --max-body is answered 413 and the connection closed, but the answer must reach a
 * client that is still sending. Closing a socket with unread bytes in it makes the kernel send
 * RST, which can discard the 413 before the client reads it (it sees EPIPE or ECONNRESET
 * instead). So the close lingers, as nginx's `lingering_close` does: once the answer is flushed
 * the socket is half-closed (FIN), and what the client still sends is read and thrown away until
 * it closes its side, for at most `LINGER_MS` and `lingerBytes(maxBodyBytes)`, then destroyed.
 */
import type { ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { formatSize } from '../config/size.js';
import { sendWireError } from './respond.js';

/** How long a refused client may go on sending after its answer. */
export const LINGER_MS = 2000;
/** The most bytes read and discarded after an answer, whatever --max-body is. */
export const LINGER_MAX_BYTES = 64 * 1024 ** 2;
/**
 * How often the byte bound is checked while lingering: a client on loopback can send ~2 GB/s, so
 * the bound may be passed by up to ~20 MB before a check sees it.
 */
const LINGER_CHECK_MS = 10;

/** Bytes a refused client may still send: four bodies' worth, at most `LINGER_MAX_BYTES`. */
export function lingerBytes(maxBodyBytes: number): number {
  return Math.min(4 * maxBodyBytes, LINGER_MAX_BYTES);
}

/** Whether the request declares a Content-Length over `maxBodyBytes` (a chunked one declares none). */
export function declaresTooLarge(headers: { 'content-length'?: string | undefined }, maxBodyBytes: number): boolean {
  const declared = Number(headers['content-length']);
  return Number.isFinite(declared) && declared > maxBodyBytes;
}

/** Answers 413 BODY_TOO_LARGE with `Connection: close`, and closes the connection lingering. */
export function refuseBody(res: ServerResponse, maxBodyBytes: number): void {
  lingerOnClose(res, lingerBytes(maxBodyBytes));
  sendWireError(res, 'BODY_TOO_LARGE', { detail: `the limit is ${formatSize(maxBodyBytes)} (--max-body)`, headers: { connection: 'close' } });
}

/**
 * Makes the close that follows `res` (a `Connection: close` answer) linger. Node's server ends
 * such a response's socket with `destroySoon()` once the answer is written (end, then destroy at
 * once); this socket's `destroySoon` lingers instead. The HTTP parser stays attached and discards
 * the rest of the body (Node dumps an unread request); the client's FIN ends the socket cleanly.
 */
function lingerOnClose(res: ServerResponse, maxBytes: number): void {
  const socket = res.socket;
  if (!socket || socket.destroyed) return;
  socket.destroySoon = () => linger(socket, maxBytes);
}

function linger(socket: Socket, maxBytes: number): void {
  if (socket.destroyed) return;
  socket.end();
  const readBefore = socket.bytesRead;
  const deadline = setTimeout(() => socket.destroy(), LINGER_MS);
  // With Node's parser reading the socket natively there are no 'data' events to count: poll.
  const bound = setInterval(() => {
    if (socket.bytesRead - readBefore > maxBytes) socket.destroy();
  }, LINGER_CHECK_MS);
  deadline.unref();
  bound.unref();
  socket.once('close', () => {
    clearTimeout(deadline);
    clearInterval(bound);
  });
}
