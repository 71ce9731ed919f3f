/**
 * mcp-sidecar with `--isolation shared` (one child for every session), started by a phase beside
 * the target the runner gave it: the same fixture, tagged `<instance tag>-shared` so the runner's
 * sweep covers it; the phase stops it. `--max-sessions` is raised to what the phase holds at once.
 */
import path from 'node:path';
import { SIDECAR_CLI } from '../lib/paths.js';
import { BridgeProcess } from './bridge-process.js';
import { HttpTarget } from './http-target.js';
import { listeningUrl } from './mcp-sidecar.js';
import { tagOf } from './sidecar-with-tokens.js';
import type { RunningTarget } from './target.js';

export async function startSharedSidecar(target: RunningTarget, maxSessions: number, logDir: string): Promise<HttpTarget> {
  const instanceTag = tagOf(target);
  const tag = `${instanceTag}-shared`;
  const command = target.fixtureCommand.map((word) => (word === `--tag=${instanceTag}` ? `--tag=${tag}` : word));
  const logFile = path.join(logDir, `${tag}.log`);
  const args = ['--port', '0', '--isolation', 'shared', '--max-sessions', String(maxSessions), '--', ...command];
  const bridge = new BridgeProcess({ name: 'mcp-sidecar --isolation shared', nodeArgs: [], script: SIDECAR_CLI, args, logFile, tag });
  try {
    const url = await bridge.waitUntil(() => listeningUrl(logFile), 'its "listening" log line');
    // No child until the first session: at rest it is the daemon alone.
    return await new HttpTarget('mcp-sidecar', bridge, url, command).ready(1);
  } catch (error) {
    await bridge.stop();
    throw error;
  }
}
