/**
 * Serves a request whose upgrade offer the daemon declines (`Upgrade: h2c` from curl --http2, say)
 * as plain HTTP/1.1. Node hands such a request over at its headers, out of its HTTP server's
 * timers, with the body still on the socket; here it gets the same bound as any other request:
 * the body must arrive within --receive-timeout (the server's `requestTimeout`) or the client gets
 * 408 RECEIVE_TIMEOUT, and the connection closes after the answer.
 */
import { IncomingMessage, type ServerResponse, type Server } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { answerOnSocket } from './respond.js';
import { SidecarResponse } from './response.js';
import type { Handler } from './server.js';

export function serveWithoutUpgrade(upgrade: IncomingMessage, socket: Duplex, head: Buffer, serve: Handler): void {
  const length = Number(upgrade.headers['content-length'] ?? 0);
  if (upgrade.headers['transfer-encoding'] !== undefined || !Number.isSafeInteger(length) || length < 0) {
    return answerOnSocket(socket, 'UPGRADE_UNSUPPORTED');
  }
  // Node ended the upgrade request at its headers; a copy of it carries the body: what came with
  // the headers (`head`), then the rest from the socket.
  const req = new IncomingMessage(socket as Socket);
  Object.assign(req, { method: upgrade.method, url: upgrade.url, headers: upgrade.headers, rawHeaders: upgrade.rawHeaders, httpVersion: upgrade.httpVersion });
  const res = new SidecarResponse(req);
  let missing = length;
  let deadline: NodeJS.Timeout | undefined;
  const end = (): void => {
    clearTimeout(deadline);
    socket.off('data', take);
    // Complete, as the parser would mark it: an incomplete request that ends is an aborted one.
    req.complete = true;
    req.push(null);
  };
  function take(chunk: Buffer): void {
    if (missing <= 0) return;
    const part = chunk.subarray(0, missing);
    missing -= part.length;
    req.push(part);
    if (missing === 0) end();
  }
  if (length === 0) end();
  else take(head);
  if (missing > 0) {
    socket.on('data', take);
    // The headers came within --headers-timeout (Node's timers saw to that); the body has
    // --receive-timeout from here. Node does not say when the request began, so this is measured
    // from the end of the headers.
    const limitMs = (socket as { server?: Server }).server?.requestTimeout ?? 0;
    if (limitMs > 0) deadline = setTimeout(() => refuseSlowBody(socket, res), limitMs);
  }
  // A client gone, or cut off, aborts the copy: whoever reads its body stops waiting.
  socket.once('close', () => {
    clearTimeout(deadline);
    if (!req.complete) req.destroy();
  });
  res.shouldKeepAlive = false;
  res.assignSocket(socket as Socket);
  res.once('finish', () => {
    res.detachSocket(socket as Socket);
    // Destroyed once flushed: the socket is half-open capable and the client may never close it.
    socket.once('finish', () => socket.destroy());
    socket.end();
  });
  void serve(req, res);
}

/** 408 as Node answers a slow request, unless the handler already answered; then just closed. */
function refuseSlowBody(socket: Duplex, res: ServerResponse): void {
  if (res.headersSent) return void socket.destroy();
  // The handler's late answer, if any, goes nowhere: the socket now carries the 408.
  res.detachSocket(socket as Socket);
  answerOnSocket(socket, 'RECEIVE_TIMEOUT');
}
