/**
 * --tool-policy with the SDK's client: tools/list is filtered per principal (static token name,
 * JWT subject, JWT scopes; deny by default for a principal the policy does not name), and a call
 * to any other tool gets JSON-RPC error -32006 TOOL_FORBIDDEN in a 200 answer without reaching
 * the child (the env-dump fixture lists the calls it received). Refusals are logged at warn and
 * counted. The policy is re-read on SIGHUP; a bad file leaves the old one in force.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { McpError } from '@modelcontextprotocol/sdk/types.js';
import { textOf } from '../helpers/mcp-client.js';
import { assertNothingLogged, callAs, connectAs, metric, newToken, openSessionAs, reloadAndWait, TempFiles, type AuthedClient, type ErrorBody } from './auth-helpers.js';
import { JwtDaemon } from './jwt-daemon.js';

const ALL_TOOLS = ['calls', 'echo', 'env', 'pid', 'stdin'];
const POLICY = {
  tokens: { alice: ['echo', 'calls'], bob: ['*'] },
  subjects: { 'user-9': ['pid'] },
  scopes: { 'tools:read': ['echo', 'calls'] },
};
const REFUSED_LOG = 'tools/call of a tool this principal may not use: refused';

async function toolNames(connection: AuthedClient): Promise<string[]> {
  return (await connection.client.listTools()).tools.map((tool) => tool.name).sort();
}

function assertForbidden(error: unknown): true {
  assert.ok(error instanceof McpError, `expected an McpError, got ${String(error)}`);
  assert.equal(error.code, -32006);
  assert.equal((error.data as { reason?: string } | undefined)?.reason, 'TOOL_FORBIDDEN');
  return true;
}

describe('--tool-policy', () => {
  const files = new TempFiles();
  const tokens = { alice: newToken('alice'), bob: newToken('bob'), carol: newToken('carol') };
  const clients: AuthedClient[] = [];
  let setup: JwtDaemon;
  let policyFile: string;

  async function connect(token: string): Promise<AuthedClient> {
    const connection = await connectAs(setup.daemon.url, token);
    clients.push(connection);
    return connection;
  }

  before(async () => {
    policyFile = files.write('policy.json', JSON.stringify(POLICY));
    setup = await JwtDaemon.start({
      fixture: 'env-dump',
      args: ['--tool-policy', policyFile],
      env: { MCP_SIDECAR_AUTH_TOKENS: Object.entries(tokens).map(([name, token]) => `${name}:${token}`).join(',') },
    });
  });
  after(async () => {
    await Promise.all(clients.map((connection) => connection.close()));
    await setup?.close();
    files.remove();
  });

  it('filters tools/list per token name, JWT subject and scope, and denies a principal it does not name', async () => {
    assert.deepEqual(await toolNames(await connect(tokens.alice)), ['calls', 'echo']);
    assert.deepEqual(await toolNames(await connect(tokens.bob)), ALL_TOOLS);
    assert.deepEqual(await toolNames(await connect(tokens.carol)), []);
    assert.deepEqual(await toolNames(await connect(await setup.token('user-1', { scope: 'tools:read' }))), ['calls', 'echo']);
    assert.deepEqual(await toolNames(await connect(await setup.token('user-9', { scope: 'other' }))), ['pid']);
    assert.deepEqual(await toolNames(await connect(await setup.token('user-9', { scope: 'tools:read' }))), ['calls', 'echo', 'pid']);
    // A JWT whose subject is a token name is not that token's principal.
    assert.deepEqual(await toolNames(await connect(await setup.token('bob', { scope: 'other' }))), []);
  });

  it('refuses a forbidden tools/call with -32006 TOOL_FORBIDDEN; the child never sees it', async () => {
    const refusedBefore = await metric(setup.daemon, 'mcp_sidecar_policy_refusals_total', ['reason="TOOL_FORBIDDEN"']);
    const alice = await connect(tokens.alice);
    assert.equal(textOf(await alice.client.callTool({ name: 'echo', arguments: { text: 'allowed' } })), 'allowed');
    await assert.rejects(alice.client.callTool({ name: 'env', arguments: {} }), assertForbidden);
    await assert.rejects(alice.client.callTool({ name: 'stdin', arguments: {} }), assertForbidden);
    assert.deepEqual(JSON.parse(textOf(await alice.client.callTool({ name: 'calls', arguments: {} }))), ['echo', 'calls']);

    const logged = await setup.daemon.waitForLog((line) => line.msg === REFUSED_LOG && line.tool === 'env' && line.principal === 'alice');
    assert.equal(logged.level, 'warn');
    const jwt = await connect(await setup.token('user-1', { scope: 'tools:read' }));
    await assert.rejects(jwt.client.callTool({ name: 'pid', arguments: {} }), assertForbidden);
    assert.equal(await metric(setup.daemon, 'mcp_sidecar_policy_refusals_total', ['reason="TOOL_FORBIDDEN"']), refusedBefore + 3);
  });

  it('answers the refusal in a 200 with the request’s id', async () => {
    const session = await openSessionAs(setup.daemon.url, tokens.carol);
    const response = await callAs(setup.daemon.url, tokens.carol, session, 42, 'echo', { text: 'no' });
    assert.equal(response.status, 200, response.text);
    const body = response.json as ErrorBody;
    assert.equal(body.id, 42);
    assert.equal(body.error.code, -32006);
    assert.equal(body.error.data?.reason, 'TOOL_FORBIDDEN');
  });

  it('re-reads the policy on SIGHUP, and keeps it when the file turns bad', async () => {
    const alice = await connect(tokens.alice);
    files.write('policy.json', JSON.stringify({ ...POLICY, tokens: { alice: ['*'] } }));
    await reloadAndWait(setup.daemon, (line) => line.msg === 'tool policy reloaded', 'the tool policy to be reloaded');
    assert.deepEqual(await toolNames(alice), ALL_TOOLS);
    assert.equal(textOf(await alice.client.callTool({ name: 'pid', arguments: {} })).includes('pid'), true);
    const bob = await connect(tokens.bob);
    assert.deepEqual(await toolNames(bob), [], 'bob is no longer named');

    files.write('policy.json', '{"tokens": {"alice": "echo"}}');
    const error = await reloadAndWait(setup.daemon, (line) => line.msg === 'tool policy not reloaded; the previous one stays in force', 'the bad policy to be refused');
    assert.equal(error.level, 'error');
    assert.deepEqual(await toolNames(alice), ALL_TOOLS);
  });

  it('never logs a token', async () => {
    await assertNothingLogged(setup.daemon, [...Object.values(tokens), ...setup.issued]);
  });
});
