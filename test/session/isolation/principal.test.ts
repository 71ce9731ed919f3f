/**
 * --isolation principal: one child per authenticated principal, shared by that principal's
 * sessions and never by another's; it carries the principal's --principal-env variables. A
 * 2026-07-28 request of a principal borrows its lease on that same child. --isolation shared with
 * authentication serves several principals on one child and quotes its stderr to none of them;
 * with --principal-env it is refused at start, saying why.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { after, before, describe, it } from 'node:test';
import { startDaemon, type TestDaemon } from '../../helpers/daemon.js';
import { rawRequest } from '../../helpers/http.js';
import { textOf } from '../../helpers/mcp-client.js';
import { CLI } from '../../helpers/paths.js';
import { bearer, connectAs, newToken, TempFiles, type AuthedClient } from '../../security/auth-helpers.js';
import { closeAll, fixturePids, pidOf, statusOf } from './helpers.js';

/** The pid tool over a 2026-07-28 tools/call (no session: the envelope in `_meta`) as `token`. */
async function modernPid(daemon: TestDaemon, token: string): Promise<string> {
  const meta = { 'io.modelcontextprotocol/protocolVersion': '2026-07-28', 'io.modelcontextprotocol/clientCapabilities': {}, 'io.modelcontextprotocol/clientInfo': { name: 'modern-test', version: '1.0.0' } };
  const response = await rawRequest(daemon.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-protocol-version': '2026-07-28', 'mcp-method': 'tools/call', 'mcp-name': 'pid', ...bearer(token) },
    body: JSON.stringify({ jsonrpc: '2.0', id: 7, method: 'tools/call', params: { name: 'pid', arguments: {}, _meta: meta } }),
  });
  assert.equal(response.status, 200, response.text);
  return (response.json as { result: { content: { text: string }[] } }).result.content[0]?.text ?? '';
}

describe('--isolation principal', () => {
  const files = new TempFiles();
  const tokens = { alice: newToken('alice'), bob: newToken('bob'), ops: newToken('ops') };
  const clients: AuthedClient[] = [];
  let daemon: TestDaemon;

  before(async () => {
    const envFile = files.write('principal-env.json', JSON.stringify({ tokens: { alice: { MY_KEY: 'alice-key' }, bob: { MY_KEY: 'bob-key' } } }));
    daemon = await startDaemon({
      fixture: { name: 'shared-server' },
      args: ['--isolation', 'principal', '--principal-env', envFile, '--status', '--status-operators', 'ops', '--server-era', 'legacy'],
      env: { MCP_SIDECAR_AUTH_TOKENS: Object.entries(tokens).map(([name, token]) => `${name}:${token}`).join(',') },
    });
  });
  after(async () => {
    await closeAll(clients);
    await daemon.close();
    files.remove();
  });

  async function connect(token: string): Promise<AuthedClient> {
    const connected = await connectAs(daemon.url, token);
    clients.push(connected);
    return connected;
  }

  it('gives one principal\'s sessions one child, and two principals two, each with its own variables', async () => {
    const alice1 = await connect(tokens.alice);
    const alice2 = await connect(tokens.alice);
    const bob = await connect(tokens.bob);
    const alicePid = await pidOf(alice1);
    assert.equal(await pidOf(alice2), alicePid);
    const bobPid = await pidOf(bob);
    assert.notEqual(bobPid, alicePid);
    assert.deepEqual(fixturePids(daemon).sort(), [alicePid, bobPid].sort());
    assert.equal(textOf(await alice2.client.callTool({ name: 'env', arguments: { name: 'MY_KEY' } })), 'alice-key');
    assert.equal(textOf(await bob.client.callTool({ name: 'env', arguments: { name: 'MY_KEY' } })), 'bob-key');
    const status = await statusOf(daemon, bearer(tokens.ops));
    const shared = status.isolation?.sharedChildren ?? [];
    assert.deepEqual(shared.map((child) => [child.label, child.sessions]).sort(), [['alice', 2], ['bob', 1]]);
    assert.equal(status.children.running, 2);
  });

  it('serves a principal\'s 2026-07-28 requests on that principal\'s child', async () => {
    const alice = await connect(tokens.alice);
    const pid = await pidOf(alice);
    assert.equal((JSON.parse(await modernPid(daemon, tokens.alice)) as { pid: number }).pid, pid);
    assert.equal(fixturePids(daemon).length, 2);
  });
});

describe('--isolation shared with authentication', () => {
  const tokens = { alice: newToken('alice'), bob: newToken('bob'), ops: newToken('ops') };
  const clients: AuthedClient[] = [];
  let daemon: TestDaemon;

  before(async () => {
    daemon = await startDaemon({
      fixture: { name: 'shared-server' },
      args: ['--isolation', 'shared', '--status', '--status-operators', 'ops'],
      env: { MCP_SIDECAR_AUTH_TOKENS: Object.entries(tokens).map(([name, token]) => `${name}:${token}`).join(',') },
    });
  });
  after(async () => {
    await closeAll(clients);
    await daemon.close();
  });

  it('shares one child between principals, quoting its stderr to none of them but to operators', async () => {
    const alice = await connectAs(daemon.url, tokens.alice);
    const bob = await connectAs(daemon.url, tokens.bob);
    clients.push(alice, bob);
    assert.equal(await pidOf(alice), await pidOf(bob));
    assert.equal(textOf(await alice.client.callTool({ name: 'stderr', arguments: { lines: 2 } })), 'wrote 2');
    await daemon.waitForLog((line) => line.stream === 'stderr' && line.msg === 'stderr line 2');
    const own = await statusOf(daemon, bearer(tokens.bob)) as unknown as { sessions: { stderr: string[] }[] };
    assert.deepEqual(own.sessions.map((session) => session.stderr), [[]]);
    const all = await statusOf(daemon, bearer(tokens.ops)) as unknown as { isolation: { sharedChildren: { stderr: string[] }[] } };
    assert.deepEqual(all.isolation.sharedChildren[0]?.stderr.slice(-2), ['stderr line 1', 'stderr line 2']);
    // Alice's crash is Bob's too; its last words are not his to read.
    await assert.rejects(alice.client.callTool({ name: 'crash', arguments: {} }), (error: Error) => /exited with code 1/.test(error.message) && !error.message.includes('crashing now'));
  });
});

describe('--isolation shared with --principal-env', () => {
  it('is refused at start, naming both options and what to use instead', async () => {
    const files = new TempFiles();
    try {
      const envFile = files.write('principal-env.json', JSON.stringify({ tokens: {} }));
      const child = spawn(process.execPath, [CLI, '--port', '0', '--isolation', 'shared', '--principal-env', envFile, '--', process.execPath, '-e', ''], { stdio: ['ignore', 'pipe', 'pipe'] });
      let stderr = '';
      child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
      const [code] = (await once(child, 'close')) as [number | null];
      assert.equal(code, 2, stderr);
      assert.match(stderr, /'--isolation' value shared cannot go with --principal-env.*Expected --isolation principal/);
    } finally {
      files.remove();
    }
  });
});
