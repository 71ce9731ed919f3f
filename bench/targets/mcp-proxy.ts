/**
 * mcp-proxy (devDependency) with its defaults and `--host 127.0.0.1` (its default is "::"). It
 * starts ONE child when it starts and shares it among all sessions: its sessions cost no spawn,
 * and the 16×8 phase funnels every session through that one child.
 */
import { packageBin } from '../lib/paths.js';
import { BridgeProcess } from './bridge-process.js';
import { accepts, freePort } from './free-port.js';
import { HttpTarget } from './http-target.js';
import type { TargetDefinition } from './target.js';

export const mcpProxy: TargetDefinition = {
  name: 'mcp-proxy',
  describe: () => `mcp-proxy ${packageBin('mcp-proxy').version}: \`mcp-proxy --host 127.0.0.1 --port <free> -- <fixture>\` (one child shared by every session)`,
  async start(context) {
    const command = context.command;
    const port = await freePort();
    const bridge = new BridgeProcess({
      name: 'mcp-proxy',
      nodeArgs: [],
      script: packageBin('mcp-proxy').script,
      args: ['--host', '127.0.0.1', '--port', String(port), '--', ...command],
      logFile: context.logFile,
      tag: context.tag,
    });
    await bridge.waitUntil(() => accepts(port), `port ${port} to accept`);
    // Its shared child is started before it listens: at rest it is two processes.
    return new HttpTarget('mcp-proxy', bridge, `http://127.0.0.1:${port}/mcp`, command).ready(2);
  },
};
