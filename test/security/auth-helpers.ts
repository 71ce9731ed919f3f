/**
 * What the security tests share: fresh tokens, files the daemon reads (tokens, policies,
 * secrets) in a temporary folder, raw requests carrying a bearer token, the SDK client with one,
 * a raw WebSocket upgrade, metric values, and the check that no log line repeats a token.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { WebSocket } from 'ws';
import type { LogLine, TestDaemon } from '../helpers/daemon.js';
import { initializeBody, MCP_ACCEPT, rawRequest, sessionHeaders, type RawResponse } from '../helpers/http.js';
import { connectClient, type ConnectedClient } from '../helpers/mcp-client.js';
import { metricSum } from '../helpers/metrics.js';
import { waitFor } from '../helpers/poll.js';

export interface ErrorBody {
  jsonrpc: string;
  id: number | string | null;
  error: { code: number; message: string; data?: { reason?: string } };
}

/** A random static token (token68, well over the 16-character minimum) that names its owner. */
export function newToken(owner: string): string {
  return `${owner}-${randomBytes(18).toString('base64url')}`;
}

export function bearer(token: string | undefined): Record<string, string> {
  return token === undefined ? {} : { authorization: `Bearer ${token}` };
}

/** A temporary folder for the files a daemon reads; `remove()` in `after`. */
export class TempFiles {
  readonly dir = mkdtempSync(path.join(tmpdir(), 'mcp-sidecar-security-'));

  /** Writes (or rewrites) `name` and returns its path. */
  write(name: string, text: string): string {
    const file = path.join(this.dir, name);
    writeFileSync(file, text, { mode: 0o600 });
    return file;
  }

  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** A raw `initialize` carrying `token` (none when undefined). */
export function initializeAs(url: string, token: string | undefined, headers: Record<string, string> = {}, signal?: AbortSignal): Promise<RawResponse> {
  const init: RequestInit = { method: 'POST', headers: { 'content-type': 'application/json', accept: MCP_ACCEPT, ...bearer(token), ...headers }, body: initializeBody(1) };
  return rawRequest(url, signal ? { ...init, signal } : init);
}

/** Opens a session as `token` by hand (initialize, then initialized); returns its id. */
export async function openSessionAs(url: string, token: string): Promise<string> {
  const response = await initializeAs(url, token);
  const id = response.headers.get('mcp-session-id');
  if (response.status !== 200 || !id) throw new Error(`initialize failed: ${response.status} ${response.text}`);
  const initialized = await postAs(url, token, id, { jsonrpc: '2.0', method: 'notifications/initialized' });
  assert.equal(initialized.status, 202, initialized.text);
  return id;
}

/** A POST of `body` on session `sessionId` as `token`. */
export function postAs(url: string, token: string | undefined, sessionId: string, body: unknown): Promise<RawResponse> {
  return rawRequest(url, { method: 'POST', headers: { ...sessionHeaders(sessionId), ...bearer(token) }, body: JSON.stringify(body) });
}

/** A raw `tools/call` of `name` as `token`. */
export function callAs(url: string, token: string, sessionId: string, id: number, name: string, args: Record<string, unknown> = {}): Promise<RawResponse> {
  return postAs(url, token, sessionId, { jsonrpc: '2.0', id, method: 'tools/call', params: { name, arguments: args } });
}

/** Asserts `response` is the daemon's wire error `reason` with HTTP `status`; returns the body. */
export function assertWireError(response: RawResponse, status: number, reason: string): ErrorBody {
  assert.equal(response.status, status, `expected ${status} ${reason}, got ${response.status}: ${response.text}`);
  assert.match(response.headers.get('content-type') ?? '', /^application\/json/);
  const body = response.json as ErrorBody;
  assert.equal(body.jsonrpc, '2.0');
  assert.equal(body.error.data?.reason, reason, response.text);
  assert.equal(typeof body.error.code, 'number');
  return body;
}

export type AuthedClient = ConnectedClient;

/** The SDK's own client over Streamable HTTP, sending `Authorization: Bearer <token>` on every request. */
export function connectAs(url: string, token: string): Promise<AuthedClient> {
  return connectClient(url, {}, { requestInit: { headers: bearer(token) } });
}

export type Upgrade =
  | { opened: true; ws: WebSocket }
  | { opened: false; status: number; headers: Record<string, string | string[] | undefined>; body: string };

/** A raw WebSocket upgrade on /ws (subprotocol mcp) with `headers`: the open socket, or the HTTP answer that refused it. */
export function upgradeWs(daemon: TestDaemon, headers: Record<string, string>): Promise<Upgrade> {
  const ws = new WebSocket(`${daemon.baseUrl.replace(/^http/, 'ws')}/ws`, 'mcp', { headers });
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve({ opened: true, ws }));
    ws.once('unexpected-response', (_req, res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => {
        resolve({ opened: false, status: res.statusCode ?? 0, headers: res.headers, body });
        ws.terminate();
      });
    });
    ws.once('error', reject);
  });
}

/**
 * The sum of the /metrics samples of `name` whose labels include every one of `labels` (0 when
 * none), e.g. `metric(d, 'mcp_sidecar_policy_refusals_total', ['reason="RATE_LIMITED"'])`.
 */
export function metric(daemon: TestDaemon, name: string, labels: readonly string[] = [], token?: string): Promise<number> {
  const wanted: Record<string, string> = {};
  for (const label of labels) {
    const [, key = label, value = ''] = /^(\w+)="(.*)"$/.exec(label) ?? [];
    wanted[key] = value;
  }
  return metricSum(daemon.baseUrl, name, wanted, bearer(token));
}

/** Sends SIGHUP and waits for the first log line after it that `predicate` accepts. */
export function reloadAndWait(daemon: TestDaemon, predicate: (line: LogLine) => boolean, what: string): Promise<LogLine> {
  const from = daemon.logs.length;
  daemon.process.kill('SIGHUP');
  return waitFor(() => daemon.logs.slice(from).find(predicate), { what });
}

/**
 * Waits until every line the daemon logged so far has arrived: lines come in order, so once the
 * line of a refused request sent now is in, so is everything before it (the daemon must have auth on).
 */
export async function catchUpLogs(daemon: TestDaemon): Promise<void> {
  const marker = `logs-caught-up-${randomBytes(6).toString('hex')}`;
  const response = await rawRequest(daemon.url, { method: 'POST', headers: { 'content-type': 'application/json', 'x-request-id': marker }, body: '{}' });
  assert.equal(response.status, 401, response.text);
  await waitFor(() => daemon.logs.some((line) => line.requestId === marker), { what: 'the daemon\'s log to catch up' });
}

/** No log line, nor anything else the daemon wrote on stderr, contains any of `secrets`. */
export async function assertNothingLogged(daemon: TestDaemon, secrets: readonly string[]): Promise<void> {
  await catchUpLogs(daemon);
  const lines = [...daemon.logs.map((line) => JSON.stringify(line)), ...daemon.strayStderr];
  for (const secret of secrets) {
    const leak = lines.find((line) => line.includes(secret));
    assert.equal(leak, undefined, `a log line contains a secret: ${leak}`);
  }
}
