/**
 * Is the server itself modern? Asked once, as the v2 SDK client asks: a throwaway child gets a
 * `server/discover` with a 2026-07-28 envelope; a result listing 2026-07-28 means it serves modern
 * requests itself, and the daemon relays them without translation. Anything else (an error, no
 * answer within the bound, an exit) means a 2025-era server. The child is stopped either way.
 */
import type { Logger } from '../observability/logger.js';
import { META, MODERN_VERSIONS } from '../protocol/versions.js';
import { ChildProcess, type ChildOptions, type ChildSpec } from './child-process.js';

export interface ModernServer {
  era: 'modern';
  /** The child's own discover result. */
  discover: Record<string, unknown>;
}

export type ServerEra = ModernServer | { era: 'legacy' };

const PROBE_ID = 'mcp-sidecar-era-probe';

export async function probeServerEra(spec: ChildSpec, options: ChildOptions, logger: Logger, timeoutMs: number): Promise<ServerEra> {
  let settle: (era: ServerEra) => void = () => undefined;
  const decided = new Promise<ServerEra>((resolve) => { settle = resolve; });
  const child = new ChildProcess(spec, options, logger.child({ probe: 'server/discover' }), {
    onMessage: (framed) => {
      const message = framed.message as { id?: unknown; result?: { supportedVersions?: unknown } };
      if (framed.kind !== 'response' || message.id !== PROBE_ID) return;
      const versions = message.result?.supportedVersions;
      const modern = Array.isArray(versions) && MODERN_VERSIONS.some((version) => versions.includes(version));
      settle(modern ? { era: 'modern', discover: message.result as Record<string, unknown> } : { era: 'legacy' });
    },
    onExit: () => settle({ era: 'legacy' }),
  });
  const timer = setTimeout(() => settle({ era: 'legacy' }), timeoutMs);
  timer.unref();
  const meta = { [META.protocolVersion]: MODERN_VERSIONS[0], [META.clientCapabilities]: {}, [META.clientInfo]: { name: 'mcp-sidecar', version: '0.1.0' } };
  void child.write(JSON.stringify({ jsonrpc: '2.0', id: PROBE_ID, method: 'server/discover', params: { _meta: meta } }));
  const era = await decided;
  clearTimeout(timer);
  await child.stop('session-end');
  logger.info({ era: era.era }, era.era === 'modern' ? 'the server speaks 2026-07-28 itself: modern requests are relayed without translation' : 'the server is 2025-era: modern requests are translated');
  return era;
}
