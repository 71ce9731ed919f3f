/**
 * Loaded with `node --import` in front of a bridge that has no host option (supergateway): any
 * net.Server.listen() that names no host binds 127.0.0.1 instead of every interface, so the bench
 * never opens a port to the network. A listen() with an explicit host, a path or a handle is left
 * alone. The bench still reads /proc/net/tcp* to check what the bridge really bound.
 */
import net from 'node:net';

const LOOPBACK = '127.0.0.1';
type Listen = (this: net.Server, ...args: unknown[]) => net.Server;

// Taken from the descriptor, not as a method reference: it is only ever called with apply().
const original = Object.getOwnPropertyDescriptor(net.Server.prototype, 'listen')?.value as Listen;

function isPort(value: unknown): boolean {
  return typeof value === 'number' || (typeof value === 'string' && /^\d+$/.test(value));
}

function withLoopback(args: unknown[]): unknown[] {
  const [first, second] = args;
  if (args.length === 0 || typeof first === 'function') return [0, LOOPBACK, ...args];
  if (isPort(first)) return typeof second === 'string' ? args : [first, LOOPBACK, ...args.slice(1)];
  if (typeof first === 'object' && first !== null && !('path' in first) && !('fd' in first) && !('_handle' in first) && !('handle' in first)) {
    const options = first as net.ListenOptions;
    return options.host === undefined ? [{ ...options, host: LOOPBACK }, ...args.slice(1)] : args;
  }
  return args;
}

const patched: Listen = function listen(this: net.Server, ...args: unknown[]) {
  return original.apply(this, withLoopback(args));
};
net.Server.prototype.listen = patched;
