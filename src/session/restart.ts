/**
 * A session's child exited unasked: whether to start another (the restart policy and the
 * crash-loop guard, both pure), and how to bring a new one to where the old one was: replay the
 * client's initialize (checking the answer is compatible, not forwarding it), its initialized
 * notification, its logging level and its resource subscriptions.
 */
import { setTimeout as delay } from 'node:timers/promises';
import { formatDuration } from '../config/duration.js';
import type { ExitRecord } from '../supervisor/exit-record.js';
import { admitStart, nextRestartDelay, shouldRestart } from '../supervisor/restart-policy.js';
import type { ChildLink } from './child-link.js';
import type { Session } from './session.js';

/** Why a session ended when its child exited and was not restarted. */
export type NotRestarted = 'not-initialized' | 'no-restart' | 'start-limit-hit';

export type RestartDecision = { restart: true; delayMs: number } | { restart: false; reason: NotRestarted; why: string };

const INITIALIZED = JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' });

export function decideRestart(session: Session, record: ExitRecord, now = Date.now()): RestartDecision {
  const policy = session.options.restart;
  if (!session.initialized) return { restart: false, reason: 'not-initialized', why: 'it had not answered initialize, so there is nothing to restore' };
  if (!shouldRestart(policy.restart, record)) {
    return { restart: false, reason: 'no-restart', why: `--restart ${policy.restart} does not restart after ${record.result}` };
  }
  const admitted = admitStart(session.starts, now, policy);
  if (!admitted.allowed) {
    return {
      restart: false,
      reason: 'start-limit-hit',
      why: `start-limit-hit: ${policy.startLimitBurst} starts within ${formatDuration(policy.startLimitIntervalMs)} (--start-limit-burst, --start-limit-interval)`,
    };
  }
  session.starts = admitted.starts;
  // Starts inside the window, less the first, number the restarts: backoff resets as they age out.
  return { restart: true, delayMs: nextRestartDelay(policy, admitted.starts.length - 2) };
}

/** Waits `delayMs`, starts a new child, attaches it and replays the session's setup to it. */
export async function restartChild(session: Session, delayMs: number, attach: (child: ChildLink) => void): Promise<void> {
  if (delayMs > 0) await delay(delayMs, undefined, { ref: false });
  if (!session.live) return;
  const child = session.options.launch();
  attach(child);
  const initialize = session.recorded.initialize;
  if (!initialize) throw new Error('no initialize was recorded');
  const timeoutMs = session.options.replayTimeoutMs;
  const replayed = session.internal.create('initialize', initialize.params, timeoutMs);
  await child.write(replayed.raw);
  const answer = await replayed.answer;
  const result = answer.result as { protocolVersion?: unknown; serverInfo?: { name?: unknown } } | undefined;
  if (!result || result.protocolVersion !== session.protocolVersion) {
    throw new Error(`the new child answered initialize incompatibly (protocol ${String(result?.protocolVersion)}, was ${session.protocolVersion})`);
  }
  if (session.serverName !== undefined && result.serverInfo?.name !== session.serverName) {
    throw new Error(`the new child is a different server (${String(result.serverInfo?.name)}, was ${session.serverName})`);
  }
  await child.write(session.recorded.initialized ?? INITIALIZED);
  for (const request of session.recorded.replayRequests()) {
    const replay = session.internal.create(request.method, request.params, timeoutMs);
    await child.write(replay.raw);
    const reply = await replay.answer;
    if (reply.error) session.logger.warn({ method: request.method, error: reply.error }, 'replayed request refused by the new child');
  }
  session.logger.info({ pid: child.pid, restarts: session.restarts }, 'child restarted; session setup replayed (the old child\'s in-memory state is lost)');
}
