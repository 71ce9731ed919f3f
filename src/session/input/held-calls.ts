/**
 * Every call held for its client's input (held-call.ts), with the limits on them and the key that
 * seals their `requestState`. A retry finds its call here by the id inside a state this daemon
 * sealed; a state naming a call that ended, or a round already resumed, finds nothing.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Principal } from '../../auth/principal.js';
import { SidecarError } from '../../errors/local.js';
import type { WireErrorReason } from '../../errors/wire.js';
import type { JsonRpcId, JsonRpcResponse } from '../../jsonrpc/message.js';
import type { InputRequiredOutcome } from '../../observability/metrics.js';
import type { ServerMetrics } from '../../observability/server-metrics.js';
import { inputRequiredResult } from '../../protocol/modern-result.js';
import { openState, sealState, type StateProblem } from '../../protocol/request-state.js';
import type { HeldCall, HeldCallHost } from './held-call.js';

export interface HeldCallLimits {
  timeoutMs: number;
  maxHeld: number;
  maxHeldPerPrincipal: number;
  /** --input-required-key-file; a random key per process without it. */
  keyFile: string | undefined;
}

/** How long a client refused for want of room should wait. */
const RETRY_AFTER_SECONDS = 5;
const MIN_KEY_BYTES = 32;

export function principalKey(principal: Principal): string {
  return `${principal.kind}:${principal.name}`;
}

/** The sealing key: the file's bytes (trailing newline left out), at least 32 of them. */
export function loadStateKey(file: string | undefined): Buffer {
  if (file === undefined) return randomBytes(MIN_KEY_BYTES);
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (error) {
    throw new SidecarError('CONFIG_INVALID', `option '--input-required-key-file' value ${file} cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}). Expected a readable file holding at least ${MIN_KEY_BYTES} bytes of secret.`);
  }
  let end = bytes.length;
  while (end > 0 && (bytes[end - 1] === 0x0a || bytes[end - 1] === 0x0d)) end -= 1;
  if (end < MIN_KEY_BYTES) {
    throw new SidecarError('CONFIG_INVALID', `option '--input-required-key-file' value ${file} holds ${end} bytes. Expected at least ${MIN_KEY_BYTES} bytes of secret (e.g. openssl rand -base64 48 > ${file}).`);
  }
  return bytes.subarray(0, end);
}

export class HeldCalls implements HeldCallHost {
  readonly timeoutMs: number;
  private readonly limits: HeldCallLimits;
  private readonly key: Buffer;
  private readonly metrics: ServerMetrics;
  private readonly calls = new Map<string, HeldCall>();
  private readonly byPrincipal = new Map<string, number>();

  /** Throws `SidecarError` (CONFIG_INVALID) when the key file is unusable. */
  constructor(limits: HeldCallLimits, metrics: ServerMetrics) {
    this.limits = limits;
    this.timeoutMs = limits.timeoutMs;
    this.key = loadStateKey(limits.keyFile);
    this.metrics = metrics;
  }

  /** Calls counted against the limits now. */
  get size(): number {
    return this.calls.size;
  }

  admit(call: HeldCall): { reason: WireErrorReason; retryAfterSeconds: number } | undefined {
    const key = principalKey(call.principal);
    const mine = this.byPrincipal.get(key) ?? 0;
    if (mine >= this.limits.maxHeldPerPrincipal) return this.refused('INPUT_REQUIRED_LIMIT');
    if (this.calls.size >= this.limits.maxHeld) return this.refused('INPUT_REQUIRED_FULL');
    this.calls.set(call.id, call);
    this.byPrincipal.set(key, mine + 1);
    return undefined;
  }

  seal(call: HeldCall, round: number): string {
    return sealState(this.key, {
      call: call.id, round, principal: principalKey(call.principal), method: call.method, digest: call.digest,
      expiresAt: Date.now() + this.timeoutMs,
    });
  }

  inputRequired(call: HeldCall, clientId: JsonRpcId, inputRequests: Record<string, unknown>, requestState: string): JsonRpcResponse {
    return { jsonrpc: '2.0', id: clientId, result: inputRequiredResult(inputRequests, requestState, call.lease.server.serverInfo) };
  }

  ended(call: HeldCall, outcome: InputRequiredOutcome): void {
    this.counted(outcome);
    if (!call.admitted || !this.calls.delete(call.id)) return;
    const key = principalKey(call.principal);
    const left = (this.byPrincipal.get(key) ?? 1) - 1;
    if (left > 0) this.byPrincipal.set(key, left);
    else this.byPrincipal.delete(key);
  }

  counted(outcome: InputRequiredOutcome): void {
    this.metrics.inputRequired(outcome);
  }

  /**
   * The held call a retry's state resumes, or why it resumes none. `used`: the state is sound but
   * its round was resumed already, or its call ended (expired, gone, completed).
   */
  find(state: string, presented: { principal: Principal; method: string; digest: string }): HeldCall | { problem: StateProblem | 'used' } {
    const opened = openState(this.key, state, { principal: principalKey(presented.principal), method: presented.method, digest: presented.digest }, Date.now());
    if ('problem' in opened) return opened;
    const call = this.calls.get(opened.call);
    if (!call || !call.parked || call.rounds !== opened.round) return { problem: 'used' };
    return call;
  }

  /** Shutdown: every call waiting for a client that may never come back is ended now. */
  expireAll(detail: string): void {
    for (const call of [...this.calls.values()]) call.expire(detail);
  }

  private refused(reason: WireErrorReason): { reason: WireErrorReason; retryAfterSeconds: number } {
    return { reason, retryAfterSeconds: RETRY_AFTER_SECONDS };
  }
}
