/** The principal the daemon's admission decided for a request; transports read it from here. */
import type { IncomingMessage } from 'node:http';
import { ANONYMOUS, type Principal } from './principal.js';

const principals = new WeakMap<IncomingMessage, Principal>();

export function setPrincipal(req: IncomingMessage, principal: Principal): void {
  principals.set(req, principal);
}

/** Anonymous when authentication is off. */
export function principalOf(req: IncomingMessage): Principal {
  return principals.get(req) ?? ANONYMOUS;
}
