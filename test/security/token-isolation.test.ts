/**
 * A bearer token stops at the daemon. Seen from inside the child (the env-dump fixture reports its
 * whole environment and every byte it read on stdin), on every transport and for static tokens
 * (from the file and from MCP_SIDECAR_AUTH_TOKENS) and JWTs alike: no variable holds a token or
 * the daemon's token settings, and no message carries a token or an Authorization header. No log
 * line repeats a token either, accepted or refused.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { after, before, describe, it } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import type { WebSocket } from 'ws';
import { textOf } from '../helpers/mcp-client.js';
import { waitFor } from '../helpers/poll.js';
import { assertNothingLogged, bearer, connectAs, initializeAs, newToken, TempFiles, upgradeWs } from './auth-helpers.js';
import { JwtDaemon } from './jwt-daemon.js';

/** What the child saw. */
interface Seen {
  env: Record<string, string>;
  stdin: string;
}

async function seenBy(client: Client): Promise<Seen> {
  const env = JSON.parse(textOf(await client.callTool({ name: 'env', arguments: {} }))) as Record<string, string>;
  return { env, stdin: textOf(await client.callTool({ name: 'stdin', arguments: {} })) };
}

/** The same two calls over a raw WebSocket (the SDK's WebSocket client cannot send headers). */
async function seenOverWebSocket(ws: WebSocket): Promise<Seen> {
  const answers = new Map<number, { result?: unknown }>();
  ws.on('message', (data: Buffer) => {
    const message = JSON.parse(data.toString('utf8')) as { id?: number; result?: unknown };
    if (typeof message.id === 'number') answers.set(message.id, message);
  });
  const call = async (id: number, method: string, params: unknown): Promise<unknown> => {
    ws.send(JSON.stringify({ jsonrpc: '2.0', id, method, params }));
    return (await waitFor(() => answers.get(id), { what: `the answer to ${method}` })).result;
  };
  await call(1, 'initialize', { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw-ws', version: '1' } });
  ws.send(JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }));
  const env = JSON.parse(textOf(await call(2, 'tools/call', { name: 'env', arguments: {} }))) as Record<string, string>;
  return { env, stdin: textOf(await call(3, 'tools/call', { name: 'stdin', arguments: {} })) };
}

function assertNoToken(seen: Seen, secrets: readonly string[], via: string): void {
  for (const [name, value] of Object.entries(seen.env)) {
    assert.ok(!/^MCP_SIDECAR_/.test(name) && !/authorization/i.test(name), `${via}: the child has ${name}`);
    for (const secret of secrets) assert.ok(!value.includes(secret), `${via}: ${name} holds a token`);
  }
  assert.ok(seen.stdin.includes('"method":"initialize"'), `${via}: the stdin capture is empty`);
  assert.ok(!/authorization|bearer/i.test(seen.stdin), `${via}: a message mentions authorization`);
  for (const secret of secrets) assert.ok(!seen.stdin.includes(secret), `${via}: a message carries a token`);
}

describe('tokens never reach the child', () => {
  const files = new TempFiles();
  const fromFile = newToken('alice');
  const fromVariable = newToken('bob');
  const refused = newToken('mallory');
  let setup: JwtDaemon;
  let jwt: string;
  let secrets: string[];

  before(async () => {
    const tokenFile = files.write('tokens', `alice:${fromFile}\n`);
    setup = await JwtDaemon.start({
      fixture: 'env-dump',
      args: ['--auth-tokens-file', tokenFile],
      env: { MCP_SIDECAR_AUTH_TOKENS: `bob:${fromVariable}` },
    });
    jwt = await setup.token('user-1');
    secrets = [fromFile, fromVariable, refused, jwt];
  });
  after(async () => {
    await setup?.close();
    files.remove();
  });

  it('over Streamable HTTP, for a static token and a JWT', async () => {
    const cases: [string, string][] = [['static token from the file', fromFile], ['JWT', jwt]];
    for (const [via, token] of cases) {
      const connection = await connectAs(setup.daemon.url, token);
      try {
        assertNoToken(await seenBy(connection.client), secrets, via);
      } finally {
        await connection.close();
      }
    }
  });

  it('over legacy SSE, for the variable’s static token', async () => {
    const client = new Client({ name: 'sse-test', version: '1' });
    await client.connect(new SSEClientTransport(new URL(`${setup.daemon.baseUrl}/sse`), { requestInit: { headers: bearer(fromVariable) } }));
    try {
      assertNoToken(await seenBy(client), secrets, 'legacy SSE');
    } finally {
      await client.close();
    }
  });

  it('over WebSocket, for a JWT', async () => {
    const upgrade = await upgradeWs(setup.daemon, bearer(await setup.token('user-2')));
    assert.ok(upgrade.opened, 'the upgrade was refused');
    if (!upgrade.opened) return;
    try {
      assertNoToken(await seenOverWebSocket(upgrade.ws), [...secrets, ...setup.issued], 'WebSocket');
    } finally {
      const closed = once(upgrade.ws, 'close');
      upgrade.ws.close();
      await closed;
    }
  });

  it('never logs a token, accepted or refused', async () => {
    assert.equal((await initializeAs(setup.daemon.url, refused)).status, 401);
    await setup.daemon.waitForLog((line) => line.msg === 'request not authenticated' && line.reason === 'INVALID_TOKEN');
    await assertNothingLogged(setup.daemon, [...secrets, ...setup.issued]);
  });
});
