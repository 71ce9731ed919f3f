/**
 * What a principal may send, decided before a request reaches its session's child: the tool
 * policy (a tool not on the principal's allow-list is refused, and `tools/list` answers are
 * filtered to the allowed ones), token buckets per principal and per principal and tool, and a cap
 * on the principal's requests in flight across its sessions. Refusals are counted by the caller.
 */
import type { Rate, SidecarConfig } from '../config/schema.js';
import type { WireErrorReason } from '../errors/wire.js';
import type { Framed, JsonRpcResponse } from '../jsonrpc/message.js';
import type { Logger } from '../observability/logger.js';
import { principalKey, type Principal } from './principal.js';
import { ConcurrencyLimit, KeyedBuckets, bucketKey } from './rate-limit.js';
import { ToolPolicy } from './tool-policy.js';

export type RequestVerdict =
  | { ok: true; release?: () => void }
  | { ok: false; reason: WireErrorReason; retryAfterSeconds?: number };

const ADMITTED: RequestVerdict = Object.freeze({ ok: true });

/** Most principals (and principal-tool pairs) with a bucket at once; the least recently used go first. */
const MAX_BUCKETS = 10_000;

function buckets(rate: Rate | undefined): KeyedBuckets | undefined {
  return rate ? new KeyedBuckets({ capacity: rate.burst, refillPerSecond: rate.perSecond, maxKeys: MAX_BUCKETS }) : undefined;
}

export class RequestPolicy {
  private tools: ToolPolicy;
  private readonly toolPolicyPath: string | undefined;
  private readonly requests: KeyedBuckets | undefined;
  private readonly toolCalls: KeyedBuckets | undefined;
  private readonly concurrency: ConcurrencyLimit | undefined;
  private readonly logger: Logger;

  /** Throws `SidecarError` when the tool policy file is bad. */
  constructor(config: SidecarConfig, logger: Logger) {
    this.logger = logger;
    this.toolPolicyPath = config.toolPolicy;
    this.tools = config.toolPolicy === undefined ? ToolPolicy.allowAll() : ToolPolicy.load(config.toolPolicy);
    this.requests = buckets(config.rateLimit);
    this.toolCalls = buckets(config.toolRateLimit);
    this.concurrency = config.maxConcurrentPerPrincipal > 0 ? new ConcurrencyLimit(config.maxConcurrentPerPrincipal) : undefined;
  }

  /**
   * Whether `principal` may send a request (a `tools/call` of `tool`) now. Checked in the order
   * that wastes least budget: the tool policy, the concurrency cap, the tool's bucket, then the
   * principal's overall bucket (a call refused by the last still used a token of the tool's).
   */
  admit(principal: Principal, tool: string | undefined): RequestVerdict {
    // The common case, on every request: no policy, no limit, nothing to compute.
    if (!this.tools.restricts && !this.requests && !this.toolCalls && !this.concurrency) return ADMITTED;
    if (tool !== undefined && !this.tools.allows(principal, tool)) return { ok: false, reason: 'TOOL_FORBIDDEN' };
    const key = principalKey(principal);
    const release = this.concurrency?.acquire(key);
    if (this.concurrency && !release) return { ok: false, reason: 'CONCURRENCY_LIMIT', retryAfterSeconds: 1 };
    const perTool = tool !== undefined ? this.toolCalls?.tryTake(bucketKey(key, tool)) : undefined;
    const overall = perTool && !perTool.ok ? undefined : this.requests?.tryTake(key);
    const limited = perTool && !perTool.ok ? { reason: 'TOOL_RATE_LIMITED' as const, taken: perTool } : overall && !overall.ok ? { reason: 'RATE_LIMITED' as const, taken: overall } : undefined;
    if (limited && !limited.taken.ok) {
      release?.();
      return { ok: false, reason: limited.reason, retryAfterSeconds: Math.ceil(limited.taken.retryAfterMs / 1000) };
    }
    return release ? { ok: true, release } : { ok: true };
  }

  /** A new session: one request against the principal's overall rate, nothing else. */
  admitOpening(principal: Principal): RequestVerdict {
    const overall = this.requests?.tryTake(principalKey(principal));
    if (overall && !overall.ok) return { ok: false, reason: 'RATE_LIMITED', retryAfterSeconds: Math.ceil(overall.retryAfterMs / 1000) };
    return { ok: true };
  }

  /**
   * A notification or a response from `principal`: one take from its overall --rate-limit bucket,
   * like a request (the tool policy and the concurrency cap are about requests only).
   */
  admitMessage(principal: Principal): RequestVerdict {
    if (!this.requests) return ADMITTED;
    const overall = this.requests.tryTake(principalKey(principal));
    return overall.ok ? ADMITTED : { ok: false, reason: 'RATE_LIMITED', retryAfterSeconds: Math.ceil(overall.retryAfterMs / 1000) };
  }

  /** A `tools/list` answer with only the tools `principal` may call; anything else as it came. */
  filterAnswer(principal: Principal, method: string, framed: Framed<JsonRpcResponse>): Framed<JsonRpcResponse> {
    if (method !== 'tools/list' || !this.tools.restricts || framed.message.result === undefined) return framed;
    const message = { ...framed.message, result: this.tools.filterToolsList(framed.message.result, principal) };
    const raw = JSON.stringify(message);
    return { kind: 'response', message, raw, bytes: Buffer.byteLength(raw) };
  }

  /** SIGHUP: re-reads the tool policy; a bad file leaves the old one in force and is logged. */
  reload(): void {
    if (this.toolPolicyPath === undefined) return;
    try {
      this.tools = ToolPolicy.load(this.toolPolicyPath);
      this.logger.info({ path: this.toolPolicyPath }, 'tool policy reloaded');
    } catch (error) {
      this.logger.error({ err: (error as Error).message }, 'tool policy not reloaded; the previous one stays in force');
    }
  }

  /** The sweep: drops idle buckets. */
  prune(): void {
    this.requests?.prune();
    this.toolCalls?.prune();
  }
}
