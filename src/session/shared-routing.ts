/**
 * Which session a shared child's message goes to. Within that session, the session's own routing
 * (routing.ts) then picks the stream, exactly as for a child of its own.
 *   - a response → the session whose request it answers, under its client's id;
 *   - progress → the session whose request owns the token, under its client's token;
 *   - logging (`notifications/message`) → while exactly one call is in flight on the child, that
 *     call's session; otherwise every session; each session only at or above the level it set;
 *   - `notifications/resources/updated` → the sessions subscribed to that uri;
 *   - `notifications/cancelled` (the child gives up a request it put to a client) → that session,
 *     under the id the session was given;
 *   - any other notification (list changes, …) → every session sharing the child;
 *   - a request (sampling, elicitation, roots, ping) → the session of the one call in flight, when
 *     exactly one is and its client declared the capability the request needs. Otherwise a ping is
 *     answered by the daemon, and anything else refused to the child with an error and logged:
 *     never put to a session it may not belong to.
 */
import type { Framed, JsonRpcNotification, JsonRpcRequest, JsonRpcResponse } from '../jsonrpc/message.js';
import type { ChildPort } from './child-port.js';
import { reframe } from './rewriting-sink.js';
import type { SharedChild } from './shared-child.js';
import { missingCapability, wantsLog } from './shared-terms.js';

export function routeFromChild(shared: SharedChild, framed: Framed): void {
  if (framed.kind === 'response') return routeResponse(shared, framed as Framed<JsonRpcResponse>);
  if (framed.kind === 'request') return routeRequest(shared, framed as Framed<JsonRpcRequest>);
  routeNotification(shared, framed as Framed<JsonRpcNotification>);
}

function routeResponse(shared: SharedChild, framed: Framed<JsonRpcResponse>): void {
  const call = shared.calls.settle(framed.message.id);
  if (!call) {
    shared.logger.debug({ id: framed.message.id }, 'shared child answered a request no session has in flight (cancelled, or its session gone); dropped');
    return;
  }
  call.sink.deliver(framed);
}

function routeNotification(shared: SharedChild, framed: Framed<JsonRpcNotification>): void {
  const { method, params } = framed.message;
  switch (method) {
    case 'notifications/progress': {
      const call = shared.calls.progressOf(params?.progressToken);
      if (call) call.sink.deliver(framed);
      else shared.logger.debug({ progressToken: params?.progressToken }, 'progress for no request in flight on the shared child; dropped');
      return;
    }
    case 'notifications/message': {
      const only = shared.calls.onlyClientCall();
      const to = only ? [only.port] : shared.ports;
      for (const port of to) if (wantsLog(port.logLevel, params?.level)) port.receive(framed);
      return;
    }
    case 'notifications/resources/updated': {
      const uri = params?.uri;
      for (const port of shared.ports) if (typeof uri === 'string' && port.subscriptions.has(uri)) port.receive(framed);
      return;
    }
    case 'notifications/cancelled': {
      const childRequestId = params?.requestId;
      const ask = shared.calls.askOf(childRequestId);
      if (!ask) return;
      shared.calls.forgetAsk(childRequestId as string | number);
      ask.port.asks.delete(ask.portId);
      ask.port.receive(reframe(framed, { ...framed.message, params: { ...params, requestId: ask.portId } }));
      return;
    }
    default:
      for (const port of shared.ports) port.receive(framed);
  }
}

function routeRequest(shared: SharedChild, framed: Framed<JsonRpcRequest>): void {
  const { id, method } = framed.message;
  const cause = shared.calls.onlyClientCall();
  const port: ChildPort | undefined = cause?.port;
  const missing = port ? missingCapability(method, port.capabilities) : undefined;
  if (port && missing === undefined) {
    const portId = port.ask(framed);
    shared.calls.ask(id, { port, portId });
    return;
  }
  if (method === 'ping') {
    shared.write({ jsonrpc: '2.0', id, result: {} });
    return;
  }
  if (port) {
    port.logger.info({ method, capability: missing }, 'shared child asked this session\'s client for what it did not declare: refused to the child');
    shared.write({ jsonrpc: '2.0', id, error: { code: -32601, message: `mcp-sidecar: the client did not declare the ${missing} capability` } });
    return;
  }
  const inFlight = shared.calls.inFlight;
  shared.logger.warn({ method, inFlight, sessions: shared.ports.size },
    'shared child sent a request that cannot be attributed to one session (not exactly one call in flight): refused to the child, sent to no session');
  shared.write({ jsonrpc: '2.0', id, error: { code: -32603, message: `mcp-sidecar: ${method} cannot be put to a client: the child is shared and ${inFlight} calls are in flight, so which session caused it is unknown` } });
}
