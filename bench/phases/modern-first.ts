/**
 * The first 2026-07-28 request of a new principal: a tools/call that has to open a lease (take a
 * warm spare or spawn a child, initialize it on the principal's behalf, then carry the call). Two
 * daemons with the same token file, one with a warm pool and one without, each sample a principal
 * neither has seen; samples alternate between them, each daemon at rest before its sample.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { HttpEndpoint } from '../client/http-endpoint.js';
import { ModernClient } from '../client/modern-client.js';
import { POOL_MIN } from '../targets/mcp-sidecar.js';
import type { HttpTarget } from '../targets/http-target.js';
import { settle } from '../targets/settle.js';
import { startTokenSidecar, tagOf, writeTokens, type Principal } from '../targets/sidecar-with-tokens.js';
import type { RunningTarget } from '../targets/target.js';
import { rotate } from '../runner/rounds.js';
import { callEcho } from './drive.js';

export interface FirstRequestTimes {
  warm: number[];
  cold: number[];
}

interface Daemon {
  kind: keyof FirstRequestTimes;
  target: HttpTarget;
  endpoint: HttpEndpoint;
  poolMin: number;
  /** Leases open, one per principal served (a child each). */
  leases: number;
}

/** One principal's first request, from its POST to the checked answer. */
async function firstRequest(daemon: Daemon, principal: Principal): Promise<number> {
  const client = new ModernClient(daemon.endpoint, principal.token);
  const start = performance.now();
  await callEcho(client);
  const elapsed = performance.now() - start;
  daemon.leases++;
  return elapsed;
}

/** At rest: the daemon, its spares refilled and loaded, one child per lease, no CPU. */
async function atRest(daemon: Daemon): Promise<void> {
  // The daemon, its --pool-min spares, its --lease-pool-min initialized ones (as many again) and a child per lease.
  const size = 1 + 2 * daemon.poolMin + daemon.leases;
  await settle(() => daemon.target.tree(), { size, what: `${daemon.target.name} (auth tokens) to be at rest with ${size} process(es)` });
}

async function startDaemon(kind: Daemon['kind'], target: RunningTarget, tokensFile: string, logDir: string): Promise<Daemon> {
  const poolMin = kind === 'warm' ? POOL_MIN : 0;
  const started = await startTokenSidecar({ tag: `${tagOf(target)}-${kind}`, tokensFile, poolMin, logDir });
  return { kind, target: started, endpoint: new HttpEndpoint(started.url), poolMin, leases: 0 };
}

async function sample(daemons: readonly Daemon[], principals: readonly Principal[], samples: number): Promise<FirstRequestTimes> {
  const times: FirstRequestTimes = { warm: [], cold: [] };
  let next = 0;
  const principal = (): Principal => principals[next++] as Principal;
  for (const daemon of daemons) {
    await atRest(daemon);
    await firstRequest(daemon, principal());
  }
  for (let i = 0; i < samples; i++) {
    for (const daemon of rotate(daemons, i)) {
      await atRest(daemon);
      times[daemon.kind].push(await firstRequest(daemon, principal()));
    }
  }
  return times;
}

/**
 * `samples` new principals on each daemon, after one unmeasured principal each (a fresh daemon's
 * first lease also pays for loading its code). Logs are kept, and named in the error, on failure.
 */
export async function timeFirstRequests(target: RunningTarget, samples: number): Promise<FirstRequestTimes> {
  const logDir = mkdtempSync(path.join(os.tmpdir(), 'mcp-sidecar-bench-modern-'));
  const tokensFile = path.join(logDir, 'tokens');
  const principals = writeTokens(tokensFile, 'principal', 2 * samples + 2);
  const daemons: Daemon[] = [];
  let times: FirstRequestTimes | undefined;
  let failure: string | undefined;
  try {
    daemons.push(await startDaemon('warm', target, tokensFile, logDir));
    daemons.push(await startDaemon('cold', target, tokensFile, logDir));
    times = await sample(daemons, principals, samples);
  } catch (error) {
    failure = error instanceof Error ? error.message : String(error);
  }
  for (const daemon of daemons) daemon.endpoint.close();
  const left = (await Promise.all(daemons.map((daemon) => daemon.target.stop()))).flat();
  if (failure === undefined && left.length > 0) failure = `the auth-token daemons left processes behind: ${left.join('; ')}`;
  if (failure !== undefined || times === undefined) throw new Error(`${failure ?? 'no samples'} (logs in ${logDir})`);
  rmSync(logDir, { recursive: true, force: true });
  return times;
}
