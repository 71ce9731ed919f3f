/** /healthz (the process answers) and /readyz (it can serve a new session), both JSON. */
import type { ServerResponse } from 'node:http';
import { sendJson } from './respond.js';

export interface Readiness {
  ready: boolean;
  /** Why not, when not ready. */
  reason?: string;
  phase: string;
  sessions: number;
}

export function sendHealth(res: ServerResponse, phase: string): void {
  sendJson(res, 200, JSON.stringify({ status: 'ok', phase }));
}

export function sendReadiness(res: ServerResponse, readiness: Readiness): void {
  const body = readiness.ready
    ? { status: 'ready', phase: readiness.phase, sessions: readiness.sessions }
    : { status: 'not-ready', reason: readiness.reason, phase: readiness.phase, sessions: readiness.sessions };
  sendJson(res, readiness.ready ? 200 : 503, JSON.stringify(body));
}
