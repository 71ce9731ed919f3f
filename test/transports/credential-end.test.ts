/**
 * Long-lived connections end with their credential. A WebSocket and a legacy SSE stream are
 * authenticated once, when they open; a static token removed from the token file on SIGHUP closes
 * that token's WebSocket with 4004 and ends its SSE stream, while another token's connections stay
 * open and usable. A JWT's connections close at its `exp` (JWKS served on loopback). Closures are
 * counted (mcp_sidecar_credential_closures_total) and logged, never with the token.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startDaemon, type LogLine, type TestDaemon } from '../helpers/daemon.js';
import { initializeMessage, INITIALIZED, RawSse, RawWs } from '../helpers/legacy-clients.js';
import { waitFor } from '../helpers/poll.js';
import { assertNothingLogged, bearer, metric, newToken, reloadAndWait, TempFiles } from '../security/auth-helpers.js';
import { JwtDaemon } from '../security/jwt-daemon.js';
import { nowSec } from '../auth/jwt-fixtures.js';

const CREDENTIALS_ENDED = 4004;
const CLOSURES = 'mcp_sidecar_credential_closures_total';

/** Opens a WebSocket as `token` and initializes its session. */
async function openWs(daemon: TestDaemon, token: string): Promise<RawWs> {
  const ws = await RawWs.open(daemon, { headers: bearer(token) });
  await ws.initialize();
  return ws;
}

/** Opens a legacy SSE stream as `token` and initializes its session (the answer comes on the stream). */
async function openSse(daemon: TestDaemon, token: string): Promise<RawSse> {
  const sse = await RawSse.open(daemon, bearer(token));
  await postOnSse(daemon, sse, token, initializeMessage('init'));
  await sse.answerTo('init');
  await postOnSse(daemon, sse, token, INITIALIZED);
  return sse;
}

async function postOnSse(daemon: TestDaemon, sse: RawSse, token: string, message: unknown): Promise<void> {
  const response = await fetch(new URL(sse.endpoint, daemon.baseUrl), { method: 'POST', headers: { 'content-type': 'application/json', ...bearer(token) }, body: JSON.stringify(message) });
  assert.equal(response.status, 202, await response.text());
}

describe('static tokens: a token removed on SIGHUP closes its connections', () => {
  const files = new TempFiles();
  const tokens = { alice: newToken('alice'), bob: newToken('bob') };
  let tokenFile: string;
  let daemon: TestDaemon;

  const writeTokens = (...names: (keyof typeof tokens)[]): string => files.write('tokens', names.map((name) => `${name}:${tokens[name]}\n`).join(''));

  before(async () => {
    tokenFile = writeTokens('alice', 'bob');
    daemon = await startDaemon({ fixture: { name: 'echo-server' }, args: ['--auth-tokens-file', tokenFile] });
  });
  after(async () => {
    await daemon?.close();
    files.remove();
  });

  it('closes alice’s WebSocket with 4004 and ends her SSE stream; bob’s stay open and answer', async () => {
    const aliceWs = await openWs(daemon, tokens.alice);
    const aliceSse = await openSse(daemon, tokens.alice);
    const bobWs = await openWs(daemon, tokens.bob);
    const bobSse = await openSse(daemon, tokens.bob);
    try {
      writeTokens('bob');
      const reloaded = await reloadAndWait(daemon, (line: LogLine) => line.msg === 'token file reloaded', 'the reload');
      assert.equal(reloaded.connectionsRevoked, 2);

      const closed = await aliceWs.waitClosed();
      assert.equal(closed.code, CREDENTIALS_ENDED, `close ${closed.code} ${closed.reason}`);
      assert.equal(closed.reason, 'credentials revoked');
      await waitFor(() => aliceSse.ended, { what: 'alice’s SSE stream to end' });

      assert.equal(bobWs.closed, undefined, 'bob’s WebSocket was closed');
      assert.equal(bobSse.ended, false, 'bob’s SSE stream ended');
      assert.equal((await bobWs.request(2, 'ping')).result !== undefined, true);
      await postOnSse(daemon, bobSse, tokens.bob, { jsonrpc: '2.0', id: 2, method: 'ping' });
      assert.ok('result' in (await bobSse.answerTo(2)));

      assert.equal(await metric(daemon, CLOSURES, ['transport="websocket"', 'cause="revoked"'], tokens.bob), 1);
      assert.equal(await metric(daemon, CLOSURES, ['transport="sse"', 'cause="revoked"'], tokens.bob), 1);
      const logged = daemon.logs.filter((line) => line.msg === 'credentials revoked: connection closed');
      assert.deepEqual(logged.map((line) => `${String(line.transport)} ${String(line.principal)}`).sort(), ['sse alice', 'websocket alice']);
      await assertNothingLogged(daemon, Object.values(tokens));
    } finally {
      await Promise.all([aliceWs.close(), bobWs.close()]);
      aliceSse.close();
      bobSse.close();
    }
  });

  it('leaves every connection open on a reload that removes nothing', async () => {
    const bobWs = await openWs(daemon, tokens.bob);
    try {
      writeTokens('bob');
      const reloaded = await reloadAndWait(daemon, (line: LogLine) => line.msg === 'token file reloaded', 'the reload');
      assert.equal(reloaded.connectionsRevoked, 0);
      assert.ok('result' in (await bobWs.request(3, 'ping')));
      assert.equal(bobWs.closed, undefined);
    } finally {
      await bobWs.close();
    }
  });
});

describe('JWTs: a connection closes when its token expires', () => {
  let jwt: JwtDaemon;

  before(async () => {
    jwt = await JwtDaemon.start();
  });
  after(async () => {
    await jwt?.close();
  });

  it('closes a WebSocket with 4004 and ends an SSE stream at exp; a longer-lived token’s stay open', async () => {
    const exp = nowSec() + 5;
    const short = await jwt.token('user-short', { exp });
    const long = await jwt.token('user-long', { exp: nowSec() + 600 });
    // Opened, not initialized: a busy machine must not make the stream expire before its first answer.
    const shortWs = await RawWs.open(jwt.daemon, { headers: bearer(short) });
    const shortSse = await RawSse.open(jwt.daemon, bearer(short));
    const longWs = await openWs(jwt.daemon, long);
    assert.ok(Date.now() < exp * 1000, 'the connections opened after the token expired: the machine is too slow for this test');
    try {
      const closed = await shortWs.waitClosed(15_000);
      assert.equal(closed.code, CREDENTIALS_ENDED, `close ${closed.code} ${closed.reason}`);
      assert.equal(closed.reason, 'credentials expired');
      assert.ok(Date.now() >= exp * 1000 - 50, `closed ${exp * 1000 - Date.now()}ms before exp`);
      await waitFor(() => shortSse.ended, { timeoutMs: 15_000, what: 'the SSE stream to end' });

      assert.ok('result' in (await longWs.request(2, 'ping')));
      assert.equal(longWs.closed, undefined);
      assert.equal(await metric(jwt.daemon, CLOSURES, ['transport="websocket"', 'cause="expired"'], long), 1);
      assert.equal(await metric(jwt.daemon, CLOSURES, ['transport="sse"', 'cause="expired"'], long), 1);
      await assertNothingLogged(jwt.daemon, jwt.issued);
    } finally {
      await Promise.all([shortWs.close(), longWs.close()]);
      shortSse.close();
    }
  });
});
