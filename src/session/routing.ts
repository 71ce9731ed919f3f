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

export interface InFlightView {
  readonly byId: ReadonlyMap<JsonRpcId, { sink: RequestSink }>;
  readonly progress: ReadonlyMap<JsonRpcId, RequestSink>;
}

export function streamFor(inFlight: InFlightView, standalone: MessageSink | undefined, framed: Framed): MessageSink | undefined {
  const message = framed.message as JsonRpcNotification;
  if (message.method === 'notifications/progress') {
    const token = message.params?.progressToken;
    const sink = token === undefined ? undefined : inFlight.progress.get(token as JsonRpcId);
    if (sink?.open) return sink;
  }
  if (inFlight.byId.size === 1) {
    const only = inFlight.byId.values().next().value as { sink: RequestSink };
    if (only.sink.open) return only.sink;
  }
  if (standalone?.open) return standalone;
  if (framed.kind === 'request') {
    let newest: RequestSink | undefined;
    for (const pending of inFlight.byId.values()) if (pending.sink.open) newest = pending.sink;
    return newest;
  }
  return undefined;
}
