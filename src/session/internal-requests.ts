/**
 * Requests the daemon itself sends to a child (the replayed initialize after a restart, later
 * pings). Their ids carry a per-process random prefix so they never meet a client's, and their
 * answers are taken out of the stream before routing.
 */
import { randomBytes } from 'node:crypto';
import type { JsonRpcId, JsonRpcResponse } from '../jsonrpc/message.js';

const PREFIX = `mcp-sidecar:${randomBytes(4).toString('hex')}:`;

/** Whether `id` is one the daemon gave a request of its own (not a client's). */
export function isDaemonRequestId(id: JsonRpcId | null): id is string {
  return typeof id === 'string' && id.startsWith(PREFIX);
}

interface Waiting {
  resolve(response: JsonRpcResponse): void;
  reject(error: Error): void;
  timer: NodeJS.Timeout;
}

export class InternalRequests {
  private seq = 0;
  private readonly waiting = new Map<string, Waiting>();

  /** A request line to write, and the promise of its answer (rejected after `timeoutMs`). */
  create(method: string, params: Record<string, unknown> | undefined, timeoutMs: number): { raw: string; answer: Promise<JsonRpcResponse> } {
    const id = `${PREFIX}${++this.seq}`;
    const raw = JSON.stringify(params === undefined ? { jsonrpc: '2.0', id, method } : { jsonrpc: '2.0', id, method, params });
    const answer = new Promise<JsonRpcResponse>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(id);
        reject(new Error(`${method} was not answered within ${timeoutMs}ms`));
      }, timeoutMs);
      timer.unref();
      this.waiting.set(id, { resolve, reject, timer });
    });
    return { raw, answer };
  }

  /** Takes a response meant for us; false when it is a client's. */
  settle(id: JsonRpcId | null, response: JsonRpcResponse): boolean {
    if (!isDaemonRequestId(id)) return false;
    const waiting = this.waiting.get(id);
    if (waiting) {
      this.waiting.delete(id);
      clearTimeout(waiting.timer);
      waiting.resolve(response);
    }
    return true;
  }

  failAll(reason: string): void {
    for (const waiting of this.waiting.values()) {
      clearTimeout(waiting.timer);
      waiting.reject(new Error(reason));
    }
    this.waiting.clear();
  }
}
