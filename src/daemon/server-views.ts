/**
 * What /readyz and /status say about the servers. The command line's daemon answers as it always
 * has. A config file's daemon is ready while it is listening and at least one server can start a
 * working child, naming every server that cannot (`notReady`): one crash-looping server must not
 * take the others out of a load balancer. Each server's own `/<name>/readyz` says 503 for it alone.
 */
import type { Readiness } from '../http/health.js';
import type { StatusScope } from '../session/status-view.js';
import type { Phase } from './lifecycle.js';
import type { ServerSlots } from './server-slots.js';
import type { ServerUnit } from './server-unit.js';

export function readinessOf(phase: Phase, slots: ServerSlots, fromFile: boolean): Readiness {
  const units = slots.units();
  const sessions = units.reduce((sum, unit) => sum + unit.sessionCount, 0);
  if (phase !== 'ready') return { ready: false, reason: phase === 'starting' ? 'not listening yet' : `shutting down (${phase})`, phase, sessions };
  const notReady: Record<string, string> = {};
  let ready = 0;
  for (const slot of slots.values()) {
    if (!slot.current) continue;
    const problem = slot.current.problem();
    if (problem === undefined) ready++;
    else notReady[slot.name] = problem;
  }
  if (!fromFile) {
    const [problem] = Object.values(notReady);
    return problem === undefined ? { ready: true, phase, sessions } : { ready: false, reason: problem, phase, sessions };
  }
  if (ready === 0) return { ready: false, reason: 'no server is ready', phase, sessions, notReady };
  return { ready: true, phase, sessions, notReady };
}

/** A generation's view, each session saying its server. */
function viewOf(unit: ServerUnit, scope: StatusScope): { sessions: object[] } {
  const view = unit.host.status(scope) as { sessions: object[] };
  return { ...view, sessions: view.sessions.map((session) => ({ server: unit.name, ...session })) };
}

/**
 * GET /status: the command line's one server as it always was (its sessions now say `server`); a
 * file's servers as a list, one entry per generation alive (`state`: serving, or retiring and
 * draining for those a reload changed or removed that still hold sessions).
 */
export function statusOf(slots: ServerSlots, fromFile: boolean, scope: StatusScope): object {
  const units = slots.units();
  if (!fromFile && units[0]) return viewOf(units[0], scope);
  return { servers: units.map((unit) => ({ server: unit.name, state: unit.phase, ...viewOf(unit, scope) })) };
}
