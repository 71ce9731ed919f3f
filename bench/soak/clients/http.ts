/** Raw Streamable HTTP for what the SDK client would never send, and for cutting a call short. */
import { expect } from '../outcomes.js';

export const MCP_ACCEPT = 'application/json, text/event-stream';
export const PROTOCOL_VERSION = '2025-06-18';

export interface Answer {
  status: number;
  headers: Headers;
  text: string;
  json: unknown;
}

export async function send(url: string, init: RequestInit): Promise<Answer> {
  const response = await fetch(url, init);
  const text = await response.text();
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined; // An SSE body or plain text: callers read `text`.
  }
  return { status: response.status, headers: response.headers, text, json };
}

/** `error.data.reason` of a daemon's JSON-RPC error body, if it is one. */
export function reasonOf(json: unknown): string | undefined {
  const reason = (json as { error?: { data?: { reason?: unknown } } } | undefined)?.error?.data?.reason;
  return typeof reason === 'string' ? reason : undefined;
}

/** Checks a refusal: its status and reason; returns the reason as the outcome's label. */
export function refusedWith(answer: Answer, status: number, reason: string): string {
  expect(answer.status === status && reasonOf(answer.json) === reason, `wanted ${status} ${reason}, got ${answer.status} ${answer.text.slice(0, 300)}`);
  return reason;
}

export function bearer(token: string): Record<string, string> {
  return { authorization: `Bearer ${token}` };
}

export function initializeBody(id: number | string = 1): string {
  const params = { protocolVersion: PROTOCOL_VERSION, capabilities: {}, clientInfo: { name: 'mcp-sidecar-soak', version: '1.0.0' } };
  return JSON.stringify({ jsonrpc: '2.0', id, method: 'initialize', params });
}

export function sessionHeaders(token: string, sessionId: string): Record<string, string> {
  return { ...bearer(token), 'content-type': 'application/json', accept: MCP_ACCEPT, 'mcp-session-id': sessionId, 'mcp-protocol-version': PROTOCOL_VERSION };
}

/** Opens a session by hand (initialize, then notifications/initialized); returns its id. */
export async function openSession(url: string, token: string): Promise<string> {
  const answer = await send(url, { method: 'POST', headers: { ...bearer(token), 'content-type': 'application/json', accept: MCP_ACCEPT }, body: initializeBody() });
  const id = answer.headers.get('mcp-session-id');
  expect(answer.status === 200 && id !== null, `initialize: ${answer.status} ${answer.text.slice(0, 300)}`);
  const initialized = await send(url, { method: 'POST', headers: sessionHeaders(token, id), body: JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }) });
  expect(initialized.status === 202, `notifications/initialized: ${initialized.status} ${initialized.text.slice(0, 300)}`);
  return id;
}

export async function deleteSession(url: string, token: string, sessionId: string): Promise<number> {
  return (await send(url, { method: 'DELETE', headers: sessionHeaders(token, sessionId) })).status;
}
