/** /healthz (the process answers) and /readyz (it can serve a new session), both JSON. */
import type { ServerResponse } from 'node:http';
import { sendJson } from './respond.js';

export interface Readiness {
  ready: boolean;
  /** Why not, when not ready. */
  reason?: string;
  phase: string;
  sessions: number;
  /** A config file's servers that cannot serve a new session, with why (the daemon is ready while one can). */
  notReady?: Record<string, string>;
}

export function sendHealth(res: ServerResponse, phase: string): void {
  sendJson(res, 200, JSON.stringify({ status: 'ok', phase }));
}

export function sendReadiness(res: ServerResponse, readiness: Readiness): void {
  const notReady = readiness.notReady && Object.keys(readiness.notReady).length > 0 ? { notReady: readiness.notReady } : {};
  const body = readiness.ready
    ? { status: 'notReady' in notReady ? 'degraded' : 'ready', phase: readiness.phase, sessions: readiness.sessions, ...notReady }
    : { status: 'not-ready', reason: readiness.reason, phase: readiness.phase, sessions: readiness.sessions, ...notReady };
  sendJson(res, readiness.ready ? 200 : 503, JSON.stringify(body));
}
