/**
 * Which stream a child's notification or request goes to (responses go to their request's stream):
 *   - progress → the stream of the request that owns its progressToken;
 *   - anything else → the one request in flight, if there is exactly one (logging during a call,
 *     a sampling or elicitation request from a tool);
 *   - else → the standalone GET stream;
 *   - a server→client request with no GET stream open → the newest open request stream, so it still
 *     reaches the client;
 *   - nothing open → `undefined`: the session holds it (bounded) until a GET stream opens.
 */
import type { Framed, JsonRpcId, JsonRpcNotification } from '../jsonrpc/message.js';
import type { MessageSink, RequestSink } from './sink.js';

export interface RoutingView {
  readonly pending: ReadonlyMap<JsonRpcId, { sink: RequestSink }>;
  readonly progress: ReadonlyMap<JsonRpcId, RequestSink>;
  readonly standalone: MessageSink | undefined;
}

export function streamFor(view: RoutingView, framed: Framed): MessageSink | undefined {
  const message = framed.message as JsonRpcNotification;
  if (message.method === 'notifications/progress') {
    const token = message.params?.progressToken;
    const sink = token === undefined ? undefined : view.progress.get(token as JsonRpcId);
    if (sink?.open) return sink;
  }
  if (view.pending.size === 1) {
    const only = view.pending.values().next().value as { sink: RequestSink };
    if (only.sink.open) return only.sink;
  }
  if (view.standalone?.open) return view.standalone;
  if (framed.kind === 'request') {
    let newest: RequestSink | undefined;
    for (const pending of view.pending.values()) if (pending.sink.open) newest = pending.sink;
    return newest;
  }
  return undefined;
}
