/**
 * mcp-sidecar with `--auth-tokens-file`: one bearer token per principal, so a phase can be a new
 * principal whenever it likes. Started by a phase itself (beside the target the runner gave it),
 * tagged with that target's tag so the runner's sweep covers it; the phase stops it.
 */
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { SIDECAR_CLI } from '../lib/paths.js';
import { BridgeProcess } from './bridge-process.js';
import { fixtureCommand } from './fixture-command.js';
import { HttpTarget } from './http-target.js';
import { listeningUrl } from './mcp-sidecar.js';
import type { RunningTarget } from './target.js';

export interface Principal {
  name: string;
  token: string;
}

/** `count` principals with random tokens, written as `name:token` lines to `file`. */
export function writeTokens(file: string, prefix: string, count: number): Principal[] {
  const principals = Array.from({ length: count }, (_, i) => ({ name: `${prefix}-${String(i + 1).padStart(3, '0')}`, token: randomBytes(18).toString('base64url') }));
  writeFileSync(file, principals.map(({ name, token }) => `${name}:${token}\n`).join(''), { mode: 0o600 });
  return principals;
}

/** The `--tag=` a running target's fixture carries: its instance's tag. */
export function tagOf(target: RunningTarget): string {
  const tag = target.fixtureCommand.find((word) => word.startsWith('--tag='))?.slice('--tag='.length);
  if (tag === undefined) throw new Error(`${target.name}: its fixture command carries no --tag=`);
  return tag;
}

export interface TokenSidecarLaunch {
  /** Added to the instance tag: `<tag>-<suffix>`. */
  tag: string;
  tokensFile: string;
  poolMin: number;
  logDir: string;
}

/** Started and at rest (its spares loaded). Named like the target it mirrors (mcp-sidecar-warm with a pool). */
export async function startTokenSidecar(launch: TokenSidecarLaunch): Promise<HttpTarget> {
  const name = launch.poolMin > 0 ? 'mcp-sidecar-warm' : 'mcp-sidecar';
  const command = fixtureCommand('lean', launch.tag);
  const logFile = path.join(launch.logDir, `${launch.tag}.log`);
  // The warm pool for 2026-07-28 leases: spares spawned and initialized ahead (--lease-pool-min).
  const pool = launch.poolMin > 0 ? ['--pool-min', String(launch.poolMin), '--lease-pool-min', String(launch.poolMin)] : [];
  const args = ['--port', '0', '--auth-tokens-file', launch.tokensFile, ...pool, '--', ...command];
  const bridge = new BridgeProcess({ name: `${name} (auth tokens)`, nodeArgs: [], script: SIDECAR_CLI, args, logFile, tag: launch.tag });
  try {
    const url = await bridge.waitUntil(() => listeningUrl(logFile), 'its "listening" log line');
    // At rest: the daemon, its --pool-min spares and its --lease-pool-min initialized ones.
    return await new HttpTarget(name, bridge, url, command).ready(1 + 2 * launch.poolMin);
  } catch (error) {
    await bridge.stop();
    throw error;
  }
}
