/**
 * The modern front's side of input-required bridging (session/input/held-call.ts): a call that may
 * ask its client for input runs as a held call on a lease of its own, and a retry that carries a
 * `requestState` resumes the call it names, or is refused before anything reaches a child.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Principal } from '../../../auth/principal.js';
import { wireError } from '../../../errors/wire.js';
import { sendWireError } from '../../../http/respond.js';
import { progressTokenOf, type JsonRpcRequest } from '../../../jsonrpc/message.js';
import { contextOf } from '../../../observability/request-context.js';
import type { CacheHints } from '../../../protocol/modern-result.js';
import { paramsDigest, STATE_PROBLEMS } from '../../../protocol/request-state.js';
import { CAPABILITY_OF_REQUEST, HeldCall, type Leg } from '../../../session/input/held-call.js';
import type { Lease } from '../../../session/lease.js';
import type { TransportContext } from '../../shared/transport-context.js';
import type { Envelope } from './check-request.js';
import { ModernStream } from './modern-stream.js';

/** The requests a server may answer with input_required (the revision's list). */
export const INPUT_METHODS: ReadonlySet<string> = new Set(['tools/call', 'prompts/get', 'resources/read']);

/** The retry's own fields, checked before anything else looks at the request. */
export interface InputFields {
  inputResponses: Record<string, Record<string, unknown>> | undefined;
  requestState: string | undefined;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `inputResponses` and `requestState` as the revision shapes them, or why not (INPUT_RESPONSES_INVALID). */
export function checkInputFields(request: JsonRpcRequest): InputFields | { detail: string } {
  const params = request.params;
  const hasResponses = params !== undefined && 'inputResponses' in params;
  const hasState = params !== undefined && 'requestState' in params;
  if (!hasResponses && !hasState) return { inputResponses: undefined, requestState: undefined };
  if (!INPUT_METHODS.has(request.method)) return { detail: `${request.method} cannot ask for input: inputResponses and requestState belong to tools/call, prompts/get and resources/read` };
  const responses = params?.inputResponses;
  if (hasResponses && !isPlainObject(responses)) return { detail: 'inputResponses must be an object' };
  for (const [key, value] of Object.entries(responses ?? {})) {
    if (!isPlainObject(value)) return { detail: `inputResponses.${key} must be an object (an ElicitResult, CreateMessageResult or ListRootsResult)` };
  }
  const state = params?.requestState;
  if (hasState && typeof state !== 'string') return { detail: 'requestState must be the string an input_required result gave' };
  return { inputResponses: responses as Record<string, Record<string, unknown>> | undefined, requestState: state as string | undefined };
}

/** Whether a call may ask its client for input: an input method, from a client that can be asked something. */
export function mayAskForInput(request: JsonRpcRequest, capabilities: Record<string, unknown>): boolean {
  return INPUT_METHODS.has(request.method) && Object.values(CAPABILITY_OF_REQUEST).some((capability) => capability in capabilities);
}

/** The request as the child gets it: without the retry's fields, which a 2025-era server does not know. */
export function withoutInputFields(request: JsonRpcRequest): JsonRpcRequest {
  if (!request.params || !('inputResponses' in request.params || 'requestState' in request.params)) return request;
  const params = { ...request.params };
  delete params.inputResponses;
  delete params.requestState;
  return { ...request, params };
}

function legOf(stream: ModernStream, request: JsonRpcRequest, envelope: Envelope): Leg {
  return { stream, clientId: request.id, clientToken: progressTokenOf(request), capabilities: envelope.capabilities };
}

function streamFor(res: ServerResponse, request: JsonRpcRequest, envelope: Envelope, lease: Lease, context: TransportContext, cache: CacheHints, gone: () => void): ModernStream {
  return new ModernStream(res, context.sessions.connectionEnv(lease.session), { method: request.method, serverInfo: lease.server.serverInfo, cache }, envelope.logLevel, {
    gone,
    childRequest: () => undefined, // The held call takes the child's requests itself.
  });
}

/** A first call that may ask for input, on a lease it holds alone. */
export async function carryHeldCall(req: IncomingMessage, res: ServerResponse, request: JsonRpcRequest, envelope: Envelope, lease: Lease, principal: Principal, context: TransportContext, cache: CacheHints): Promise<void> {
  const held = context.sessions.heldCalls;
  let gone = false;
  // The hook runs only once the response closes, after `call` exists.
  const stream = streamFor(res, request, envelope, lease, context, cache, () => {
    gone = true;
    call.clientGone();
  });
  const call = new HeldCall(lease, request, paramsDigest(request.params), principal, legOf(stream, request, envelope), held, lease.session.logger);
  const { childId, outcome } = await lease.submitTo(withoutInputFields(request), call, principal, contextOf(req));
  call.childId = childId;
  if (outcome === 'accepted') {
    if (gone && !stream.answered) call.clientGone();
    return;
  }
  lease.release();
  if (outcome === 'duplicate-id') return stream.answer(wireError('INTERNAL', request.id));
  sendWireError(res, outcome.refused, { id: request.id, headers: { 'retry-after': outcome.retryAfterSeconds } });
}

/**
 * A retry: its state must open under the daemon's key, name this principal, this method and these
 * params, and the call's last round; the client must declare what the call's questions need.
 * Refused otherwise, and the child hears nothing.
 */
export function resumeHeldCall(res: ServerResponse, request: JsonRpcRequest, envelope: Envelope, fields: InputFields, principal: Principal, context: TransportContext, cache: CacheHints): void {
  const held = context.sessions.heldCalls;
  const found = held.find(fields.requestState as string, { principal, method: request.method, digest: paramsDigest(request.params) });
  if ('problem' in found) {
    held.counted('refused');
    return sendWireError(res, 'REQUEST_STATE_INVALID', { id: request.id, detail: STATE_PROBLEMS[found.problem] });
  }
  const missing = found.neededCapabilities().filter((capability) => !(capability in envelope.capabilities));
  if (missing.length > 0) {
    const required = Object.fromEntries(missing.map((capability) => [capability, {}]));
    return sendWireError(res, 'CAPABILITY_REQUIRED', { id: request.id, detail: `the questions of this call need ${missing.join(', ')}`, data: { requiredCapabilities: required } });
  }
  const call = found;
  const stream = streamFor(res, request, envelope, call.lease, context, cache, () => call.clientGone());
  call.resume(legOf(stream, request, envelope), fields.inputResponses ?? {});
}
