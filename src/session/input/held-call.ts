/**
 * One 2026-07-28 call whose 2025-era server asks its client for input. The server sends
 * `elicitation/create`, `sampling/createMessage` or `roots/list` in the middle of its work and
 * waits; a 2026-07-28 client expects an `input_required` answer and retries the call with
 * `inputResponses`. A held call connects the two: it is the sink of the call at the child (so the
 * child's requests during the call come here), it collects what the child asks, answers the
 * client's POST with `input_required` and a sealed `requestState`, keeps the child's questions
 * open while the client gathers its answers, and on the retry answers them and carries the rest of
 * the call (progress, the next round, the final answer) on the retry's own response.
 *
 * The call holds its leased child alone (lease-pool.ts, `exclusive`), so every request the child
 * sends meanwhile is this call's. It ends exactly once: completed, expired, gone (its client closed
 * a response), refused (no room to hold it), or when its session ends.
 */
import { randomBytes } from 'node:crypto';
import type { Principal } from '../../auth/principal.js';
import { WIRE_ERRORS, wireError, type WireErrorReason } from '../../errors/wire.js';
import type { Framed, JsonRpcId, JsonRpcRequest, JsonRpcResponse } from '../../jsonrpc/message.js';
import type { Logger } from '../../observability/logger.js';
import type { InputRequiredOutcome } from '../../observability/metrics.js';
import type { Lease } from '../lease.js';
import { RewritingSink } from '../rewriting-sink.js';
import type { RequestSink } from '../sink.js';

/** The client capability that lets a server send each request. */
export const CAPABILITY_OF_REQUEST: Readonly<Record<string, string>> = {
  'elicitation/create': 'elicitation',
  'sampling/createMessage': 'sampling',
  'roots/list': 'roots',
};

/** Questions one call may have open at once; a child that asks more hears an error for each extra one. */
const MAX_OPEN_QUESTIONS = 32;
/** How long after the child's last question the answer goes out, so questions sent together are asked together. */
const QUIET_MS = 10;
/** ...but no later than this after the first. */
const GATHER_MAX_MS = 100;

/** The client's POST that carries one round of the call. */
export interface LegStream extends RequestSink {
  readonly answered: boolean;
  /** An answer made by the daemon, sent as it is (`status` while nothing was sent yet). */
  answer(response: JsonRpcResponse, status?: number, headers?: Record<string, string | number>): void;
}

export interface Leg {
  stream: LegStream;
  clientId: JsonRpcId;
  clientToken: JsonRpcId | undefined;
  /** What this POST declared: a question needing more is refused with CAPABILITY_REQUIRED. */
  capabilities: Record<string, unknown>;
}

/** A question of the child's, under the key the client answers it by. */
interface Asked {
  childRequestId: JsonRpcId;
  method: string;
  params: Record<string, unknown> | undefined;
  /** Sent to the client in an input_required answer (a later one arrived after the answer went). */
  issued: boolean;
}

/** What the call needs from the registry and the transport; implemented in held-calls.ts and the modern front. */
export interface HeldCallHost {
  readonly timeoutMs: number;
  /** Room to hold this call, or the refusal when the limits are reached. */
  admit(call: HeldCall): { reason: WireErrorReason; retryAfterSeconds: number } | undefined;
  /** Seals the state a client echoes to resume `round` of `call`. */
  seal(call: HeldCall, round: number): string;
  /** The input_required answer, in the 2026 shape. */
  inputRequired(call: HeldCall, clientId: JsonRpcId, inputRequests: Record<string, unknown>, requestState: string): JsonRpcResponse;
  ended(call: HeldCall, outcome: InputRequiredOutcome): void;
  counted(outcome: InputRequiredOutcome): void;
}

const SHORT_NAME: Readonly<Record<string, string>> = { 'elicitation/create': 'elicitation', 'sampling/createMessage': 'sampling', 'roots/list': 'roots' };

export class HeldCall implements RequestSink {
  readonly id = randomBytes(12).toString('base64url');
  readonly lease: Lease;
  readonly principal: Principal;
  readonly method: string;
  readonly digest: string;
  readonly tool: string | undefined;
  readonly startedAt = Date.now();
  /** The call's id at the child; known once it is submitted. */
  childId: string | undefined;
  /** input_required answers sent so far; the state of the last one resumes round `rounds`. */
  rounds = 0;
  private readonly host: HeldCallHost;
  private readonly logger: Logger;
  private leg: Leg | undefined;
  private legSink: RewritingSink | undefined;
  private readonly asked = new Map<string, Asked>();
  private seq = 0;
  private phase: 'running' | 'gathering' | 'parked' | 'ended' = 'running';
  private gatherTimer: NodeJS.Timeout | undefined;
  private gatherDeadline = 0;
  private expiry: NodeJS.Timeout | undefined;
  /** The child's answer when it came while no client was there to take it (delivered on the retry). */
  private finalAnswer: Framed | undefined;
  /** Counted against the limits since its first input_required answer. */
  admitted = false;
  private released = false;

  constructor(lease: Lease, request: JsonRpcRequest, digest: string, principal: Principal, leg: Leg, host: HeldCallHost, logger: Logger) {
    this.lease = lease;
    this.principal = principal;
    this.method = request.method;
    this.digest = digest;
    this.tool = request.method === 'tools/call' && typeof request.params?.name === 'string' ? request.params.name : undefined;
    this.host = host;
    this.logger = logger;
    this.attach(leg);
  }

  get open(): boolean {
    return this.phase !== 'ended';
  }

  get parked(): boolean {
    return this.phase === 'parked';
  }

  /** The capabilities the questions sent to the client need. */
  neededCapabilities(): string[] {
    const needed = new Set<string>();
    for (const asked of this.asked.values()) if (asked.issued) needed.add(CAPABILITY_OF_REQUEST[asked.method] as string);
    return [...needed];
  }

  // --- the child's side: the session delivers the call's messages here ---

  deliver(framed: Framed): void {
    if (this.phase === 'ended') return;
    if (framed.kind === 'request') return this.childAsked(framed as Framed<JsonRpcRequest>);
    if (framed.kind === 'response') {
      if (!this.legSink) {
        // Nobody to take it now: the retry gets it. The child is done with this call: others may have it.
        this.finalAnswer = framed;
        this.asked.clear(); // Its questions died with its call.
        this.releaseLease();
        return;
      }
      this.legSink.deliver(framed);
      this.declineAll('the call has ended');
      this.end('completed');
      return;
    }
    // Progress and logs go to the client that is there; between rounds nobody is.
    if (this.legSink) this.legSink.deliver(framed);
    else this.lease.session.streams.countDropped(1);
  }

  abandon(): void {
    this.legSink?.abandon();
    this.declineAll('the call was cancelled');
    this.end('gone');
  }

  close(reason?: Parameters<RequestSink['close']>[0], detail?: string): void {
    this.legSink?.close(reason, detail);
    this.end('gone');
  }

  // --- the client's side ---

  /** The client closed the POST of the current round before its answer: the call is cancelled. */
  clientGone(): void {
    if (this.phase === 'ended' || this.phase === 'parked') return;
    this.cancel('the client closed its response');
    this.end('gone');
  }

  /**
   * A retry whose state names this call and its last round: answers the child's questions from
   * `responses` and carries the call on `leg`. The caller checked the state and the capabilities.
   */
  resume(leg: Leg, responses: Record<string, Record<string, unknown>>): void {
    if (this.phase !== 'parked') return;
    clearTimeout(this.expiry);
    this.host.counted('resumed');
    this.attach(leg);
    this.phase = 'running';
    this.lease.session.holdRequest(this.childId as string, false);
    for (const [key, asked] of [...this.asked]) {
      const result = asked.issued ? responses[key] : undefined;
      if (!result) continue;
      this.asked.delete(key);
      this.lease.session.sendToChild({ jsonrpc: '2.0', id: asked.childRequestId, result });
    }
    if (this.finalAnswer) {
      const answer = this.finalAnswer;
      this.finalAnswer = undefined;
      return this.deliver(answer);
    }
    // A key the client left out is asked again (the revision's advice), with what came meanwhile.
    if (this.asked.size > 0) this.answerInputRequired();
  }

  /** --input-required-timeout passed with no retry, or the daemon is shutting down. */
  expire(detail: string): void {
    if (this.phase === 'ended') return;
    this.declineAll(detail);
    this.cancel(detail);
    this.end('expired');
  }

  // --- inside ---

  private attach(leg: Leg): void {
    this.leg = leg;
    this.legSink = new RewritingSink(leg.stream, leg.clientId, leg.clientToken);
  }

  private childAsked(framed: Framed<JsonRpcRequest>): void {
    const { id, method, params } = framed.message;
    if (method === 'ping') return this.lease.session.sendToChild({ jsonrpc: '2.0', id, result: {} });
    const capability = CAPABILITY_OF_REQUEST[method];
    if (!capability) {
      return this.lease.session.sendToChild({ jsonrpc: '2.0', id, error: { code: -32601, message: `${method}: a 2026-07-28 client cannot be asked this (mcp-sidecar)` } });
    }
    if (this.leg && !(capability in this.leg.capabilities)) {
      // The revision: a request that needs a capability its client did not declare is refused with -32021.
      this.lease.session.sendToChild({ jsonrpc: '2.0', id, error: { code: -32601, message: `${method}: the client did not declare ${capability} (mcp-sidecar)` } });
      this.refuse(wireError('CAPABILITY_REQUIRED', this.leg.clientId, `${method} needs ${capability}`, { requiredCapabilities: { [capability]: {} } }), WIRE_ERRORS.CAPABILITY_REQUIRED.status);
      return;
    }
    if (this.asked.size >= MAX_OPEN_QUESTIONS) {
      return this.lease.session.sendToChild({ jsonrpc: '2.0', id, error: { code: -32603, message: `${method}: this call already has ${MAX_OPEN_QUESTIONS} questions open for its client (mcp-sidecar)` } });
    }
    const short = SHORT_NAME[method] as string;
    this.asked.set(`${short}-${++this.seq}`, { childRequestId: id, method, params, issued: false });
    if (this.phase === 'running') {
      this.phase = 'gathering';
      this.gatherDeadline = Date.now() + GATHER_MAX_MS;
    }
    if (this.phase !== 'gathering') return; // Parked: asked with the next round.
    clearTimeout(this.gatherTimer);
    this.gatherTimer = setTimeout(() => this.answerInputRequired(), Math.max(0, Math.min(QUIET_MS, this.gatherDeadline - Date.now())));
  }

  /** Sends the client what the child asks, and parks the call until the retry. */
  private answerInputRequired(): void {
    clearTimeout(this.gatherTimer);
    const leg = this.leg;
    if (this.phase === 'ended' || !leg) return;
    if (!this.admitted) {
      const refused = this.host.admit(this);
      if (refused) {
        const response = wireError(refused.reason, leg.clientId, 'the server asked for input, and no more calls can wait for it now');
        this.refuse(response, WIRE_ERRORS[refused.reason].status, { 'retry-after': refused.retryAfterSeconds });
        return;
      }
      this.admitted = true;
    }
    const inputRequests: Record<string, unknown> = {};
    for (const [key, asked] of this.asked) {
      asked.issued = true;
      inputRequests[key] = asked.params === undefined ? { method: asked.method } : { method: asked.method, params: asked.params };
    }
    this.rounds += 1;
    const state = this.host.seal(this, this.rounds);
    this.phase = 'parked';
    this.leg = undefined;
    this.legSink = undefined;
    this.lease.session.holdRequest(this.childId as string, true);
    leg.stream.answer(this.host.inputRequired(this, leg.clientId, inputRequests, state));
    this.host.counted('held');
    this.expiry = setTimeout(() => this.expire(`no retry within ${this.host.timeoutMs}ms (--input-required-timeout)`), this.host.timeoutMs);
    this.expiry.unref();
  }

  /** Ends the call with a daemon answer on the current POST: the child's questions declined, the call cancelled. */
  private refuse(response: JsonRpcResponse, status: number, headers?: Record<string, string | number>): void {
    this.leg?.stream.answer(response, status, headers);
    this.declineAll('the client cannot be asked');
    this.cancel('the client cannot be asked');
    this.end('refused');
  }

  private declineAll(detail: string): void {
    for (const asked of this.asked.values()) {
      this.lease.session.sendToChild({ jsonrpc: '2.0', id: asked.childRequestId, error: { code: -32603, message: `${detail} (mcp-sidecar)` } });
    }
    this.asked.clear();
  }

  /** Once: another call may hold the lease by the time this one ends. */
  private releaseLease(): void {
    if (this.released) return;
    this.released = true;
    this.lease.release();
  }

  private cancel(reason: string): void {
    if (this.childId !== undefined) this.lease.cancel(this.childId, reason);
  }

  private end(outcome: InputRequiredOutcome): void {
    if (this.phase === 'ended') return;
    this.phase = 'ended';
    clearTimeout(this.gatherTimer);
    clearTimeout(this.expiry);
    this.leg = undefined;
    this.legSink = undefined;
    this.releaseLease();
    this.host.ended(this, outcome);
    if (this.rounds > 0 || outcome !== 'completed') {
      this.logger.info({ heldCall: this.id, method: this.method, ...(this.tool ? { tool: this.tool } : {}), principal: this.principal.name, rounds: this.rounds, outcome, durationMs: Date.now() - this.startedAt },
        `input-required call ended after ${this.rounds} round${this.rounds === 1 ? '' : 's'}: ${outcome}`);
    }
  }
}
