/**
 * The servers by name, each with the generation that takes new sessions (`current`) and the older
 * ones still holding sessions (`previous`: changed or removed by a reload), and the route table
 * the HTTP front reads. A path of a server with one generation maps straight to that
 * generation's route: the request path pays nothing for reloads that never happened. Only while
 * older generations live does a path go through `dispatch`, which sends a request naming one of
 * their sessions to it, and everything else to the current generation (404 if it was removed).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { sendWireError } from '../http/respond.js';
import type { Route } from '../http/server.js';
import { pathOf } from '../http/request-target.js';
import type { ServerUnit } from './server-unit.js';
import type { WebSocketEndpoint } from '../transports/websocket/handle-upgrade.js';
import type { Admission } from '../security/admission.js';

export interface ServerSlot {
  name: string;
  /** Takes new sessions; `undefined` once the server was removed (its old sessions drain). */
  current: ServerUnit | undefined;
  previous: ServerUnit[];
}

/** Where a WebSocket upgrade on some path goes. */
export interface UpgradeTarget {
  admission: Admission;
  webSocket: WebSocketEndpoint;
}

export class ServerSlots {
  /** The live route table of the HTTP front (the daemon's own routes included). */
  readonly table = new Map<string, Route>();
  private readonly slots = new Map<string, ServerSlot>();
  /** WebSocket paths of the current generations. */
  private readonly upgrades = new Map<string, ServerUnit>();
  private readonly daemonRoutes: readonly Route[];

  constructor(daemonRoutes: readonly Route[]) {
    this.daemonRoutes = daemonRoutes;
  }

  get(name: string): ServerSlot | undefined {
    return this.slots.get(name);
  }

  values(): IterableIterator<ServerSlot> {
    return this.slots.values();
  }

  /** Every generation alive, current ones first. */
  units(): ServerUnit[] {
    const slots = [...this.slots.values()];
    return [...slots.flatMap((slot) => (slot.current ? [slot.current] : [])), ...slots.flatMap((slot) => slot.previous)];
  }

  /** `unit` becomes its server's current generation; the one it replaces, if any, is returned. */
  install(unit: ServerUnit): ServerUnit | undefined {
    const slot = this.slots.get(unit.name) ?? { name: unit.name, current: undefined, previous: [] };
    this.slots.set(unit.name, slot);
    const replaced = slot.current;
    if (replaced) slot.previous.push(replaced);
    slot.current = unit;
    this.rebuild();
    return replaced;
  }

  /** The server takes no new sessions; its current generation is returned to drain. */
  remove(name: string): ServerUnit | undefined {
    const slot = this.slots.get(name);
    const removed = slot?.current;
    if (!slot || !removed) return undefined;
    slot.current = undefined;
    slot.previous.push(removed);
    this.rebuild();
    return removed;
  }

  /** A stopped generation leaves; a server with none left leaves with it. */
  forget(unit: ServerUnit): void {
    const slot = this.slots.get(unit.name);
    if (!slot) return;
    slot.previous = slot.previous.filter((other) => other !== unit);
    if (slot.current === unit) slot.current = undefined;
    if (!slot.current && slot.previous.length === 0) this.slots.delete(unit.name);
    this.rebuild();
  }

  /** The WebSocket endpoint of `req`'s path: always the current generation's (an upgrade opens a session). */
  upgradeTarget(req: IncomingMessage): UpgradeTarget | undefined {
    const unit = this.upgrades.get(pathOf(req.url));
    return unit?.webSocket ? { admission: unit.admission, webSocket: unit.webSocket } : undefined;
  }

  private rebuild(): void {
    this.table.clear();
    this.upgrades.clear();
    for (const route of this.daemonRoutes) this.table.set(route.path, route);
    for (const slot of this.slots.values()) {
      const wsPath = slot.current?.plan.config.wsPath;
      if (slot.current && wsPath) this.upgrades.set(wsPath, slot.current);
      const units = [...(slot.current ? [slot.current] : []), ...slot.previous];
      for (const unit of units) {
        for (const [path, route] of unit.routes) {
          if (this.table.has(path)) continue;
          const direct = slot.previous.length === 0 && unit === slot.current;
          this.table.set(path, direct ? route : { path, methods: route.methods, handle: (req, res) => dispatch(slot, path, req, res) });
        }
      }
    }
  }
}

/** The generation whose session `req` names, else the current one; 404 when neither serves `path`. */
function dispatch(slot: ServerSlot, path: string, req: IncomingMessage, res: ServerResponse): void | Promise<void> {
  const holder = slot.previous.find((unit) => unit.holdsSessionOf(req, path));
  const route = (holder ?? slot.current)?.routes.get(path);
  if (!route) return sendWireError(res, 'NOT_FOUND', { detail: slot.current ? 'no such path' : `server ${slot.name} was removed` });
  return route.handle(req, res);
}
