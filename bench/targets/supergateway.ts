/**
 * supergateway (devDependency) with its defaults, except what the comparison needs:
 * `--outputTransport streamableHttp` (its default output is SSE) and `--stateful` (its stateless
 * default spawns a child and re-initializes it for every POST, so there is no session to set up
 * and every call would pay a spawn). It has no host option and listens on all interfaces: it runs
 * under a preload (`node --import listen-loopback.js`) that binds any listen() without a host to
 * 127.0.0.1, and the bench checks /proc/net/tcp* before using it. Its default `--logLevel info`
 * logs every message it relays; that goes to a log file, as it would in production.
 */
import { LISTEN_LOOPBACK_PRELOAD, packageBin } from '../lib/paths.js';
import { BridgeProcess } from './bridge-process.js';
import { shellCommand } from './fixture-command.js';
import { accepts, freePort } from './free-port.js';
import { HttpTarget } from './http-target.js';
import type { TargetDefinition } from './target.js';

export const supergateway: TargetDefinition = {
  name: 'supergateway',
  describe: () =>
    `supergateway ${packageBin('supergateway').version}: \`node --import bench/preload/listen-loopback.js supergateway --stdio "<fixture>" --outputTransport streamableHttp --stateful --port <free>\` (one child per session; no host flag, so the preload binds 127.0.0.1)`,
  async start(context) {
    const command = context.command;
    const port = await freePort();
    const args = ['--stdio', shellCommand(command), '--outputTransport', 'streamableHttp', '--stateful', '--port', String(port)];
    const bridge = new BridgeProcess({
      name: 'supergateway',
      nodeArgs: ['--import', LISTEN_LOOPBACK_PRELOAD],
      script: packageBin('supergateway').script,
      args,
      logFile: context.logFile,
      tag: context.tag,
    });
    await bridge.waitUntil(() => accepts(port), `port ${port} to accept`);
    return new HttpTarget('supergateway', bridge, `http://127.0.0.1:${port}/mcp`, command).ready(1);
  },
};
