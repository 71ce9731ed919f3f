/**
 * A 2026-07-28 POST: checked whole before any child is touched (check-request.ts), then answered
 * by the daemon (`server/discover`) or carried by a lease of the caller's principal and declared
 * capabilities (session/lease-pool.ts). The caller's principal and request context travel as
 * arguments from here to the lease.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Principal } from '../../../auth/principal.js';
import { WIRE_ERRORS, wireError, type WireErrorReason } from '../../../errors/wire.js';
import { sendJson, sendWireError } from '../../../http/respond.js';
import type { Framed, JsonRpcRequest, JsonRpcResponse } from '../../../jsonrpc/message.js';
import { contextOf } from '../../../observability/request-context.js';
import { discoverResult } from '../../../protocol/discover.js';
import { modernResponse, type CacheHints } from '../../../protocol/modern-result.js';
import { Lease, type ServerView } from '../../../session/lease.js';
import type { ClientClaim, LeaseFailure } from '../../../session/lease-pool.js';
import { admissionRefusal, type TransportContext } from '../../shared/transport-context.js';
import { checkModernRequest, checkParamHeaders, type Envelope } from './check-request.js';
import { carryHeldCall, checkInputFields, mayAskForInput, resumeHeldCall, withoutInputFields } from './input-required.js';
import { ModernStream } from './modern-stream.js';

/** The capability a server must declare for a method to exist on it. */
const CAPABILITY_OF: Readonly<Record<string, string>> = {
  'tools/list': 'tools', 'tools/call': 'tools',
  'resources/list': 'resources', 'resources/templates/list': 'resources', 'resources/read': 'resources',
  'prompts/list': 'prompts', 'prompts/get': 'prompts',
  'completion/complete': 'completions',
};

/** Child→client requests, by the client capability that lets a server send them. */
const NEEDS_CAPABILITY: Readonly<Record<string, string>> = {
  'sampling/createMessage': 'sampling',
  'elicitation/create': 'elicitation',
  'roots/list': 'roots',
};

export async function handleModern(req: IncomingMessage, res: ServerResponse, framed: Framed, principal: Principal, context: TransportContext): Promise<void> {
  if (framed.kind === 'notification') {
    // Cancellation is a closed response in this revision, and progress flows the other way: nothing to forward.
    res.writeHead(202).end();
    return;
  }
  if (framed.kind !== 'request') return sendWireError(res, 'INVALID_MESSAGE', { detail: 'a 2026-07-28 client sends requests and notifications only' });
  const request = framed.message as JsonRpcRequest;
  const checked = checkModernRequest(req.headers, request);
  if ('reason' in checked) {
    return sendWireError(res, checked.reason, { id: request.id, ...(checked.detail ? { detail: checked.detail } : {}), ...(checked.data ? { data: checked.data } : {}) });
  }
  const claim: ClientClaim = { capabilities: checked.capabilities, clientInfo: checked.clientInfo };
  const admit = () => admissionRefusal(context, 'streamable-http', principal);
  const cache: CacheHints = { ttlMs: context.config.cacheTtlMs, cacheScope: context.config.cacheScope };
  const leases = context.sessions.leases;

  if (request.method === 'server/discover') {
    const view = await leases.discover(principal, claim, admit);
    if (failed(view)) return refuse(res, request, view);
    return sendJson(res, 200, JSON.stringify({ jsonrpc: '2.0', id: request.id, result: view.modern ?? discoverResult(view, cache) }));
  }

  // A server of the revision's own answers input_required itself: its retries pass through.
  const bridging = (await leases.modernServer()) === undefined;
  const fields = bridging ? checkInputFields(request) : { inputResponses: undefined, requestState: undefined };
  if ('detail' in fields) return sendWireError(res, 'INPUT_RESPONSES_INVALID', { id: request.id, detail: fields.detail });
  if (fields.requestState !== undefined) return resumeHeldCall(res, request, checked, fields, principal, context, cache);
  const asking = bridging && mayAskForInput(request, checked.capabilities);

  const lease = await leases.acquire(principal, claim, admit, asking);
  if (!(lease instanceof Lease)) return refuse(res, request, lease);
  if (asking) {
    const refused = await checkServer(req, request, lease, context);
    if (refused) {
      lease.release();
      return sendWireError(res, refused.reason, { id: request.id, ...(refused.detail ? { detail: refused.detail } : {}) });
    }
    return carryHeldCall(req, res, request, checked, lease, principal, context, cache);
  }
  const refused = await checkServer(req, request, lease, context);
  if (refused) return sendWireError(res, refused.reason, { id: request.id, ...(refused.detail ? { detail: refused.detail } : {}) });
  await carry(req, res, withoutInputFields(request), checked, lease, principal, context, cache);
}

/** What the lease's server must have for this request: the method's capability, and a tool's `Mcp-Param-*` headers. */
async function checkServer(req: IncomingMessage, request: JsonRpcRequest, lease: Lease, context: TransportContext): Promise<{ reason: WireErrorReason; detail?: string } | undefined> {
  const capability = CAPABILITY_OF[request.method];
  if (capability && !(capability in lease.server.capabilities)) {
    return { reason: 'METHOD_NOT_FOUND', detail: `${request.method}: the server does not declare ${capability}` };
  }
  if (request.method === 'tools/call') return checkToolHeaders(req, request, lease, context);
  return undefined;
}

async function carry(req: IncomingMessage, res: ServerResponse, request: JsonRpcRequest, envelope: Envelope, lease: Lease, principal: Principal, context: TransportContext, cache: CacheHints): Promise<void> {
  // Known once the request is on its way; the hooks may fire before (a client gone at once).
  const call: { childId?: string; gone?: boolean } = {};
  const stream: ModernStream = new ModernStream(res, context.sessions.connectionEnv(lease.session), { method: request.method, serverInfo: lease.server.serverInfo, cache, passthrough: lease.server.modern !== undefined }, envelope.logLevel, {
    gone: () => {
      call.gone = true;
      if (call.childId !== undefined) lease.cancel(call.childId, 'the client closed its response');
    },
    childRequest: (asked) => {
      if (answerChild(asked, stream, request, envelope, lease) && call.childId !== undefined) lease.cancel(call.childId, 'a client capability it needs was not declared');
    },
  });
  const submitted = await lease.submit(request, stream, principal, contextOf(req));
  call.childId = submitted.childId;
  const { outcome } = submitted;
  if (outcome === 'accepted') {
    if (call.gone && !stream.answered) lease.cancel(submitted.childId, 'the client closed its response');
    return;
  }
  if (outcome === 'duplicate-id') return stream.answer(modernError('INTERNAL', request));
  sendWireError(res, outcome.refused, { id: request.id, headers: { 'retry-after': outcome.retryAfterSeconds } });
}

/**
 * The child asked its client something while serving a request that cannot ask for input (a
 * held call takes its child's questions itself: input-required.ts). Its ping the daemon answers;
 * a question whose capability the request did not declare ends the request with
 * CAPABILITY_REQUIRED (and the call is cancelled at the child); one it did declare, on a method
 * the revision gives no input_required (tools/list, say), the child hears its client cannot answer.
 */
function answerChild(asked: Framed<JsonRpcRequest>, stream: ModernStream, request: JsonRpcRequest, envelope: Envelope, lease: Lease): boolean {
  const { id, method } = asked.message;
  if (method === 'ping') {
    lease.session.sendToChild({ jsonrpc: '2.0', id, result: {} });
    return false;
  }
  const capability = NEEDS_CAPABILITY[method];
  lease.session.sendToChild({ jsonrpc: '2.0', id, error: { code: -32601, message: `${method}: the client of this 2026-07-28 request cannot be asked (mcp-sidecar)` } });
  if (!capability || capability in envelope.capabilities) return false;
  stream.answer(modernError('CAPABILITY_REQUIRED', request, `${method} needs ${capability}`, { requiredCapabilities: { [capability]: {} } }), WIRE_ERRORS.CAPABILITY_REQUIRED.status);
  return true;
}

/** A tools/call's `Mcp-Param-*` headers against its tool's schema, learned from the child once per lease. */
async function checkToolHeaders(req: IncomingMessage, request: JsonRpcRequest, lease: Lease, context: TransportContext): Promise<ReturnType<typeof checkParamHeaders>> {
  if (!lease.catalog.tools) {
    try {
      learnTools(lease, await lease.listTools(Math.min(context.config.requestTimeoutMs, 30_000)));
    } catch {
      lease.catalog.tools = new Map(); // The child would not list its tools: no declarations to hold headers to.
    }
  }
  const name = request.params?.name;
  const schema = typeof name === 'string' ? lease.catalog.tools?.get(name) : undefined;
  return checkParamHeaders(req.headers, schema, request.params?.arguments as Record<string, unknown> | undefined);
}

function learnTools(lease: Lease, response: JsonRpcResponse): void {
  const tools = (response.result as { tools?: unknown } | undefined)?.tools;
  if (!Array.isArray(tools)) return;
  // A fresh list replaces the old one: tools may have gone.
  const known = new Map<string, unknown>();
  for (const tool of tools as Array<{ name?: unknown; inputSchema?: unknown }>) if (typeof tool.name === 'string') known.set(tool.name, tool.inputSchema);
  lease.catalog.tools = known;
}

function failed(view: ServerView | LeaseFailure): view is LeaseFailure {
  return 'reason' in view || 'failed' in view;
}

function refuse(res: ServerResponse, request: JsonRpcRequest, failure: LeaseFailure): void {
  if ('reason' in failure) return sendWireError(res, failure.reason, { id: request.id, headers: { 'retry-after': failure.retryAfterSeconds } });
  sendJson(res, 200, JSON.stringify(modernError('CHILD_START_FAILED', request, failure.failed)));
}

function modernError(reason: Parameters<typeof wireError>[0], request: JsonRpcRequest, detail?: string, data?: Record<string, unknown>): JsonRpcResponse {
  return modernResponse(wireError(reason, request.id, detail, data), { method: request.method, serverInfo: undefined, cache: { ttlMs: 0, cacheScope: 'private' } });
}
