/**
 * Initializes a pool spare ahead of any client, for 2026-07-28 leases (--lease-pool-min): the
 * daemon's own clientInfo and no client capabilities. A lease whose client declared none takes
 * such a spare and skips both the spawn and the initialize; the
 * initialize and its answer are kept on the child, so a restart of the lease replays them.
 */
import type { Framed, JsonRpcResponse } from '../jsonrpc/message.js';
import type { ChildProcess } from '../supervisor/child-process.js';
import { SPARE_CAPABILITIES, DAEMON_INFO } from './lease-pool.js';
import { NEWEST_LEGACY_VERSION } from '../protocol/versions.js';

const ID = 'mcp-sidecar-spare-initialize';

function frame<M extends Framed['message']>(kind: Framed['kind'], message: M): Framed<M> {
  const raw = JSON.stringify(message);
  return { kind, message, raw, bytes: Buffer.byteLength(raw) };
}

export function prepareSpare(child: ChildProcess, timeoutMs: number): Promise<boolean> {
  const initialize = frame('request', {
    jsonrpc: '2.0', id: ID, method: 'initialize',
    params: { protocolVersion: NEWEST_LEGACY_VERSION, capabilities: SPARE_CAPABILITIES, clientInfo: DAEMON_INFO },
  });
  const initialized = frame('notification', { jsonrpc: '2.0', method: 'notifications/initialized' });
  const previous = child.handlers;
  return new Promise<boolean>((resolve) => {
    const done = (ok: boolean): void => {
      clearTimeout(timer);
      child.handlers = previous;
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    timer.unref();
    child.handlers = {
      onMessage: (framed) => {
        const message = framed.message as JsonRpcResponse;
        if (framed.kind !== 'response' || message.id !== ID) return; // Nothing else has a reader yet.
        const result = message.result as { protocolVersion?: unknown } | undefined;
        if (message.error || typeof result?.protocolVersion !== 'string') return done(false);
        child.prepared = { initialize, initialized, result: framed };
        void child.write(initialized.raw);
        done(true);
      },
      onExit: (record) => {
        done(false);
        previous.onExit(record);
      },
    };
    void child.write(initialize.raw);
  });
}
