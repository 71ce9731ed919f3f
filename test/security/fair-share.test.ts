/**
 * With authentication on and --max-sessions-per-principal unset, one principal cannot take every
 * slot of --max-sessions: its cap is a quarter of them (logged at start-up), and it may hold at
 * most 4 legacy SSE streams or WebSockets that never initialize (each holds a child). Another
 * principal can still open a session and call a tool.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { WebSocket } from 'ws';
import { startDaemon, type TestDaemon } from '../helpers/daemon.js';
import { rawRequest, type RawResponse } from '../helpers/http.js';
import { RawWs } from '../helpers/legacy-clients.js';
import { textOf } from '../helpers/mcp-client.js';
import { processesTagged } from '../helpers/process-table.js';
import { assertWireError, bearer, connectAs, initializeAs, newToken, upgradeWs, type ErrorBody } from './auth-helpers.js';

const tokens = { alice: newToken('alice'), bob: newToken('bob') };

/** An opening that did not happen: the HTTP answer, in the shape assertWireError reads. */
type Refused = RawResponse;

describe('authentication on, --max-sessions 20, --max-sessions-per-principal unset', () => {
  let daemon: TestDaemon;
  const sockets: WebSocket[] = [];
  const streams: AbortController[] = [];

  /** Opens a WebSocket as `token` and sends nothing on it; the refusal when there is one. */
  async function openWs(token: string): Promise<Refused | undefined> {
    const upgrade = await upgradeWs(daemon, bearer(token));
    if (upgrade.opened) {
      sockets.push(upgrade.ws);
      return undefined;
    }
    const flat = Object.entries(upgrade.headers).map(([name, value]) => [name, String(value)] as [string, string]);
    return { status: upgrade.status, headers: new Headers(flat), text: upgrade.body, json: JSON.parse(upgrade.body) as ErrorBody };
  }

  /** Opens GET /sse as `token` and never posts; the refusal when there is one. */
  async function openSse(token: string): Promise<Refused | undefined> {
    const abort = new AbortController();
    const response = await fetch(`${daemon.baseUrl}/sse`, { headers: { accept: 'text/event-stream', ...bearer(token) }, signal: abort.signal });
    if (response.status === 200) {
      streams.push(abort);
      return undefined;
    }
    const text = await response.text();
    return { status: response.status, headers: response.headers, text, json: JSON.parse(text) as ErrorBody };
  }

  const children = (): number => processesTagged(daemon.tag).filter((info) => info.pid !== daemon.pid).length;

  before(async () => {
    daemon = await startDaemon({
      fixture: { name: 'echo-server' },
      args: ['--max-sessions', '20', '--idle-timeout-unused', '10min', '--status'],
      env: { MCP_SIDECAR_AUTH_TOKENS: `alice:${tokens.alice},bob:${tokens.bob}` },
    });
  });
  after(async () => {
    for (const ws of sockets) ws.terminate();
    for (const abort of streams) abort.abort();
    await daemon?.close();
  });

  it('logs the fair share it settled on at start-up', async () => {
    const line = await daemon.waitForLog((entry) => typeof entry.maxSessionsPerPrincipal === 'number');
    assert.equal(line.maxSessionsPerPrincipal, 5);
    assert.equal(line.uninitializedPerPrincipal, 4);
    assert.equal(line.level, 'info');
  });

  it('lets alice hold only 4 never-initializing SSE streams and WebSockets, refusing the next before anything is spawned', async () => {
    let refused: Refused | undefined;
    let opened = 0;
    for (let attempt = 0; attempt < 20 && !refused; attempt++) {
      refused = attempt % 2 === 0 ? await openWs(tokens.alice) : await openSse(tokens.alice);
      if (!refused) opened++;
    }
    assert.equal(opened, 4);
    assert.ok(refused);
    assertWireError(refused, 429, 'PRINCIPAL_UNINITIALIZED_LIMIT');
    assert.equal(refused.headers.get('retry-after'), '5');
    const spawned = children();
    assertWireError((await openSse(tokens.alice)) ?? assert.fail('a fifth SSE stream opened'), 429, 'PRINCIPAL_UNINITIALIZED_LIMIT');
    assertWireError((await openWs(tokens.alice)) ?? assert.fail('a fifth WebSocket opened'), 429, 'PRINCIPAL_UNINITIALIZED_LIMIT');
    assert.equal(children(), spawned, 'a refused opening spawned a child');
  });

  it('still lets alice open a Streamable HTTP session, up to her fair share of 5, then 429', async () => {
    const fifth = await initializeAs(daemon.url, tokens.alice);
    assert.equal(fifth.status, 200, fifth.text);
    assertWireError(await initializeAs(daemon.url, tokens.alice), 429, 'PRINCIPAL_SESSION_LIMIT');
  });

  it('lets bob open a session and call a tool, over Streamable HTTP and over a WebSocket', async () => {
    const bob = await connectAs(daemon.url, tokens.bob);
    try {
      assert.equal(textOf(await bob.client.callTool({ name: 'echo', arguments: { text: 'still served' } })), 'still served');
    } finally {
      await bob.close();
    }
    const ws = await RawWs.open(daemon, { headers: bearer(tokens.bob) });
    try {
      await ws.initialize();
      const answer = await ws.request('call', 'tools/call', { name: 'echo', arguments: { text: 'over ws' } });
      assert.equal(textOf(answer.result), 'over ws');
    } finally {
      await ws.close();
    }
  });

  it('shows the caps in /status', async () => {
    const response = await rawRequest(`${daemon.baseUrl}/status`, { headers: bearer(tokens.bob) });
    assert.equal(response.status, 200, response.text);
    const { limits } = response.json as { limits: Record<string, number> };
    assert.deepEqual({ perPrincipal: limits.maxSessionsPerPrincipal, uninitialized: limits.uninitializedPerPrincipal }, { perPrincipal: 5, uninitialized: 4 });
  });
});

describe('authentication on, --max-sessions-per-principal set', () => {
  it('keeps the configured cap (not a quarter) and logs no fair share; a WebSocket that initialized no longer counts as waiting', async () => {
    const daemon = await startDaemon({
      fixture: { name: 'echo-server' },
      args: ['--max-sessions', '10', '--max-sessions-per-principal', '6'],
      env: { MCP_SIDECAR_AUTH_TOKENS: `alice:${tokens.alice}` },
    });
    const sockets: RawWs[] = [];
    const refusal = async (): Promise<string | undefined> => {
      const upgrade = await upgradeWs(daemon, bearer(tokens.alice));
      if (upgrade.opened) {
        upgrade.ws.terminate();
        return undefined;
      }
      return (JSON.parse(upgrade.body) as ErrorBody).error.data?.reason;
    };
    try {
      for (let index = 0; index < 4; index++) sockets.push(await RawWs.open(daemon, { headers: bearer(tokens.alice) }));
      assert.equal(await refusal(), 'PRINCIPAL_UNINITIALIZED_LIMIT');
      await sockets[0]?.initialize();
      sockets.push(await RawWs.open(daemon, { headers: bearer(tokens.alice) }));
      assert.equal(await refusal(), 'PRINCIPAL_UNINITIALIZED_LIMIT');
      const sixth = await initializeAs(daemon.url, tokens.alice);
      assert.equal(sixth.status, 200, sixth.text);
      assertWireError(await initializeAs(daemon.url, tokens.alice), 429, 'PRINCIPAL_SESSION_LIMIT');
      assert.equal(daemon.logs.some((line) => typeof line.maxSessionsPerPrincipal === 'number'), false);
    } finally {
      for (const socket of sockets) await socket.close();
      await daemon.close();
    }
  });
});
