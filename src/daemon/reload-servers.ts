/**
 * A reload of the config file, applied to the running servers:
 * - added: started, at their paths at once;
 * - removed: no new sessions (404); their sessions' requests finish within --drain-timeout, then
 *   their children stop down the ladder and their paths go;
 * - changed (any per-server value, the command, the environment): a new generation takes new
 *   sessions; the old one keeps its sessions, each with its child, until they end;
 * - unchanged: not touched at all.
 * A file that does not load, or a server that cannot be built from it (a bad tool policy, say),
 * changes nothing, and the log says why. Daemon-wide values (listen address, auth, TLS) need a
 * restart: a change to them is logged and left for then.
 */
import type { LoadResult } from '../config/config-file.js';
import type { Logger } from '../observability/logger.js';
import { drainRequests } from './drain.js';
import type { ServerSlots } from './server-slots.js';
import { ServerUnit, type UnitShared } from './server-unit.js';

export interface ReloadContext {
  shared: UnitShared;
  logger: Logger;
  drainTimeoutMs: number;
}

export interface ReloadOutcome {
  /** Whether any server was added, changed or removed. */
  changed: boolean;
}

const UNCHANGED: ReloadOutcome = { changed: false };

export function reloadServers(slots: ServerSlots, loaded: LoadResult, context: ReloadContext): ReloadOutcome {
  const { logger } = context;
  if (!loaded.ok) {
    logger.error({ errors: loaded.errors }, 'config file not reloaded (errors say why); the servers run as they were');
    return UNCHANGED;
  }
  const { plan, notes, daemonChanges } = loaded;
  for (const note of notes) logger.warn({ file: plan.file }, note);
  if (daemonChanges.length > 0) logger.warn({ keys: daemonChanges }, 'daemon-wide options changed in the config file: they take effect at the next restart');
  const wanted = new Map(plan.servers.map((server) => [server.name, server]));
  const built: ServerUnit[] = [];
  try {
    for (const server of plan.servers) {
      const running = slots.get(server.name)?.current;
      if (running?.plan.fingerprint !== server.fingerprint) built.push(new ServerUnit(server, context.shared));
    }
  } catch (error) {
    for (const unit of built) void unit.stop();
    logger.error({ err: (error as Error).message }, 'config file not reloaded: a server cannot be built from it; the servers run as they were');
    return UNCHANGED;
  }
  const removed = [...slots.values()].filter((slot) => slot.current && !wanted.has(slot.name)).map((slot) => slot.name);
  const added: string[] = [];
  const changed: string[] = [];
  for (const unit of built) {
    const replaced = slots.install(unit);
    unit.start();
    if (replaced) {
      replaced.retire();
      changed.push(unit.name);
      unit.logger.info({ sessionsKept: replaced.sessionCount }, 'server changed: new sessions get the new definition; its open sessions keep their children until they end');
    } else {
      added.push(unit.name);
      unit.logger.info({ paths: [...unit.routes.keys()] }, 'server added');
    }
  }
  for (const name of removed) {
    const unit = slots.remove(name);
    if (unit) drainRemoved(slots, unit, context);
  }
  logger.info({ added, changed, removed, unchanged: plan.servers.length - built.length }, 'config file reloaded');
  return { changed: built.length > 0 || removed.length > 0 };
}

/** A removed server: its sessions' requests finish within the drain, then its children stop. */
function drainRemoved(slots: ServerSlots, unit: ServerUnit, context: ReloadContext): void {
  unit.drain();
  unit.logger.info({ sessions: unit.sessionCount, inFlight: unit.inFlight }, 'server removed: new sessions get 404; draining');
  const drain = drainRequests(() => (unit.phase === 'stopped' ? 0 : unit.inFlight), context.drainTimeoutMs);
  void drain.done.then(async (drained) => {
    await unit.stop();
    slots.forget(unit);
    unit.logger.info({ drained }, 'removed server stopped');
  });
}
