import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SidecarError } from '../errors/local.js';

/** Listens; rejects with LISTEN_FAILED naming the address (in use, no permission) in one sentence. */
export function listenOn(server: Server, host: string, port: number): Promise<AddressInfo> {
  return new Promise((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException): void => {
      reject(new SidecarError('LISTEN_FAILED', `cannot listen on ${host}:${port}: ${error.code ?? error.message}`, { cause: error }));
    };
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve(server.address() as AddressInfo);
    });
  });
}

/** Closes a server and every connection it holds (keep-alive sockets, open streams). */
export function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) return resolve();
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

export function urlOf(address: AddressInfo, path = '', scheme = 'http'): string {
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return `${scheme}://${host}:${address.port}${path}`;
}
