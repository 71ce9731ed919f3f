/**
 * --principal-env, seen from inside the child (the env-dump fixture's whole environment): each
 * principal's children get its own variables (literal values and a secret file's content) over
 * --env, a principal the file does not name gets only --env, and no child ever holds another
 * principal's value. A named principal never gets a warm spare started without its variables.
 * The file is re-read on SIGHUP for new children; a bad file keeps the old one. Values are never logged.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { textOf } from '../helpers/mcp-client.js';
import { waitFor } from '../helpers/poll.js';
import { assertNothingLogged, connectAs, metric, newToken, reloadAndWait, TempFiles, type AuthedClient } from './auth-helpers.js';
import { JwtDaemon } from './jwt-daemon.js';

const value = (owner: string): string => `${owner}-value-${randomBytes(8).toString('hex')}`;
const values = { alice: value('alice'), aliceSecret: value('alice-secret'), bob: value('bob'), bobNext: value('bob-next'), jwt: value('user-1') };
const DEFAULT = 'shared-default';

function principalEnv(bobValue: string): string {
  return JSON.stringify({
    tokens: { alice: { MY_KEY: values.alice, MY_SECRET: { file: 'alice-secret.txt' } }, bob: { MY_KEY: bobValue } },
    subjects: { 'user-1': { MY_KEY: values.jwt } },
  });
}

describe('--principal-env', () => {
  const files = new TempFiles();
  const tokens = { alice: newToken('alice'), bob: newToken('bob'), carol: newToken('carol') };
  const clients: AuthedClient[] = [];
  let setup: JwtDaemon;
  let bobFirst: AuthedClient;

  async function envOf(token: string): Promise<{ connection: AuthedClient; env: Record<string, string> }> {
    // A spare is ready first, so a principal with variables that still gets a fresh child shows it.
    await waitFor(async () => (await metric(setup.daemon, 'mcp_sidecar_pool_spares')) >= 1, { what: 'a warm spare' });
    const connection = await connectAs(setup.daemon.url, token);
    clients.push(connection);
    const env = JSON.parse(textOf(await connection.client.callTool({ name: 'env', arguments: {} }))) as Record<string, string>;
    return { connection, env };
  }

  /** The env holds none of `others` (another principal's values) in any variable. */
  function assertNone(env: Record<string, string>, others: string[], who: string): void {
    const text = JSON.stringify(env);
    for (const other of others) assert.ok(!text.includes(other), `${who}'s child holds another principal's value`);
  }

  /** Whether the (only) session of `principal` got a warm spare; log lines arrive on their own time. */
  async function warmOf(principal: string): Promise<unknown> {
    return (await setup.daemon.waitForLog((line) => line.msg === 'session opened' && line.principal === principal)).warm;
  }

  before(async () => {
    files.write('alice-secret.txt', `${values.aliceSecret}\n`);
    const envFile = files.write('principal-env.json', principalEnv(values.bob));
    setup = await JwtDaemon.start({
      fixture: 'env-dump',
      args: ['--principal-env', envFile, '--env', `MY_KEY=${DEFAULT}`, '--pool-min', '1'],
      env: { MCP_SIDECAR_AUTH_TOKENS: Object.entries(tokens).map(([name, token]) => `${name}:${token}`).join(',') },
    });
  });
  after(async () => {
    await Promise.all(clients.map((connection) => connection.close()));
    await setup?.close();
    files.remove();
  });

  it('gives alice her value and her secret file’s content, in a fresh child', async () => {
    const { env } = await envOf(tokens.alice);
    assert.equal(env.MY_KEY, values.alice);
    assert.equal(env.MY_SECRET, values.aliceSecret, 'one trailing newline removed');
    assertNone(env, [values.bob, values.jwt, DEFAULT], 'alice');
    assert.equal(await warmOf('alice'), false, 'alice got a spare started without her variables');
  });

  it('gives bob his value and never alice’s', async () => {
    const { connection, env } = await envOf(tokens.bob);
    bobFirst = connection;
    assert.equal(env.MY_KEY, values.bob);
    assert.equal(env.MY_SECRET, undefined);
    assertNone(env, [values.alice, values.aliceSecret, values.jwt], 'bob');
  });

  it('gives a JWT subject its own value', async () => {
    const { env } = await envOf(await setup.token('user-1'));
    assert.equal(env.MY_KEY, values.jwt);
    assertNone(env, [values.alice, values.aliceSecret, values.bob], 'user-1');
  });

  it('gives a principal it does not name only --env, and a warm spare', async () => {
    const { env } = await envOf(tokens.carol);
    assert.equal(env.MY_KEY, DEFAULT);
    assert.equal(env.MY_SECRET, undefined);
    assertNone(env, [values.alice, values.aliceSecret, values.bob, values.jwt], 'carol');
    assert.equal(await warmOf('carol'), true);
  });

  it('re-reads the file on SIGHUP for new children; a running child keeps what it started with', async () => {
    files.write('principal-env.json', principalEnv(values.bobNext));
    const reloaded = await reloadAndWait(setup.daemon, (line) => line.msg === 'per-principal environments reloaded', 'the environments to be reloaded');
    assert.equal(reloaded.principals, 3);
    const { env } = await envOf(tokens.bob);
    assert.equal(env.MY_KEY, values.bobNext);
    assert.equal(textOf(await bobFirst.client.callTool({ name: 'env', arguments: {} })).includes(values.bob), true);
  });

  it('keeps the environments in force when the file turns bad', async () => {
    files.write('principal-env.json', JSON.stringify({ tokens: { bob: { MY_KEY: values.bob, PATH: '/tmp/evil' } } }));
    const error = await reloadAndWait(setup.daemon, (line) => line.msg === 'per-principal environments not reloaded; the previous ones stay in force', 'the bad file to be refused');
    assert.equal(error.level, 'error');
    assert.match(String(error.err), /PATH may not be set/);
    const { env } = await envOf(tokens.bob);
    assert.equal(env.MY_KEY, values.bobNext);
    assert.notEqual(env.PATH, '/tmp/evil');
  });

  it('never logs a value or a token', async () => {
    await assertNothingLogged(setup.daemon, [...Object.values(values), ...Object.values(tokens), ...setup.issued]);
  });
});
