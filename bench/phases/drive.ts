/** What the phases share: opening sessions, the echo call they check, coming to rest. */
import type { McpSession } from '../client/session.js';
import { settle } from '../targets/settle.js';
import type { RunningTarget } from '../targets/target.js';

/** Opening many sessions this many at a time (a spawn storm would measure the machine). */
const OPEN_BATCH = 8;

/** tools/call echo, checked: the answer must be the text sent. */
export async function callEcho(session: McpSession, text = 'hello from the bench'): Promise<void> {
  const answer = await session.callTool('echo', { text });
  if (answer !== text) throw new Error(`echo answered ${JSON.stringify(answer.slice(0, 80))} to ${JSON.stringify(text)}`);
}

/** Opens `count` sessions, each proven with one echo call. Closes them all if one fails. */
export async function openSessions(target: RunningTarget, count: number): Promise<McpSession[]> {
  const sessions: McpSession[] = [];
  try {
    while (sessions.length < count) {
      const batch = Math.min(OPEN_BATCH, count - sessions.length);
      const opened = await Promise.allSettled(Array.from({ length: batch }, () => target.openSession()));
      for (const result of opened) if (result.status === 'fulfilled') sessions.push(result.value);
      const failed = opened.find((result) => result.status === 'rejected');
      if (failed) throw failed.reason;
    }
    await Promise.all(sessions.map((session) => callEcho(session)));
    return sessions;
  } catch (error) {
    await closeSessions(sessions);
    throw error;
  }
}

export async function closeSessions(sessions: readonly McpSession[]): Promise<void> {
  await Promise.all(sessions.map((session) => session.close()));
}

/** Waits until the target is as it was after start (no session's process left) and idle. */
export async function settleIdle(target: RunningTarget): Promise<void> {
  await settle(() => target.tree(), { size: target.idleTreeSize, what: `${target.name} to be back at rest (${target.idleTreeSize} process(es), no CPU)` });
}

/** Runs `work` with the session, then closes it. */
export async function withSession<T>(target: RunningTarget, work: (session: McpSession) => Promise<T>): Promise<T> {
  const session = await target.openSession();
  try {
    return await work(session);
  } finally {
    await session.close();
  }
}
