/**
 * Least privilege for children: a child inherits only an allow-list of the daemon's environment
 * (plus --pass-env and --env), so the daemon's own secrets never reach it. Seen from inside the
 * echo fixture through its `env` tool.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { defaultConfig } from '../../src/config/schema.js';
import { childEnvironment, isInherited } from '../../src/supervisor/child-spec.js';
import { startDaemon, type TestDaemon } from '../helpers/daemon.js';
import { connectClient, textOf } from '../helpers/mcp-client.js';

describe('the environment a child inherits', () => {
  const cases: [string, readonly string[], boolean][] = [
    ['PATH', [], true],
    ['HOME', [], true],
    ['LC_ALL', [], true],
    ['HTTPS_PROXY', [], true],
    ['AWS_SECRET_ACCESS_KEY', [], false],
    ['MCP_SIDECAR_AUTH_TOKENS', [], false],
    ['MCP_SIDECAR_AUTH_TOKENS', ['MCP_*'], false],
    ['GITHUB_TOKEN', ['GITHUB_TOKEN'], true],
    ['GITHUB_TOKEN', ['GITHUB_*'], true],
    ['GITLAB_TOKEN', ['GITHUB_*'], false],
    ['GITHUB_TOKEN_X', ['GITHUB_TOKEN'], false],
  ];
  for (const [name, passEnv, expected] of cases) {
    it(`${name} with --pass-env [${passEnv.join(',')}]: ${expected ? 'inherited' : 'withheld'}`, () => {
      assert.equal(isInherited(name, passEnv), expected);
    });
  }

  it('puts --env over what is inherited', () => {
    const config = { ...defaultConfig(), env: { PATH: '/opt/bin', EXTRA: '1' }, passEnv: ['KEEP_*'] };
    const env = childEnvironment(config, { PATH: '/usr/bin', HOME: '/home/x', KEEP_ME: 'yes', DROP_ME: 'secret' });
    assert.deepEqual(env, { PATH: '/opt/bin', HOME: '/home/x', KEEP_ME: 'yes', EXTRA: '1' });
  });
});

describe('a child started by the daemon', () => {
  let daemon: TestDaemon;
  before(async () => {
    daemon = await startDaemon({
      fixture: { name: 'echo-server' },
      args: ['--pass-env', 'SIDECAR_TEST_PASSED'],
      env: { SIDECAR_TEST_SECRET: 'daemon-secret', SIDECAR_TEST_PASSED: 'passed', MCP_SIDECAR_ENV: 'SIDECAR_TEST_SET=set' },
    });
  });
  after(async () => {
    await daemon.close();
  });

  it('sees the allow-list, --pass-env and --env, and none of the daemon\'s other variables', async () => {
    const { client, close } = await connectClient(daemon.url);
    const read = async (name: string): Promise<string> => textOf(await client.callTool({ name: 'env', arguments: { name } }));
    try {
      assert.equal(await read('SIDECAR_TEST_SECRET'), '<unset>');
      assert.equal(await read('MCP_SIDECAR_ENV'), '<unset>');
      assert.equal(await read('SIDECAR_TEST_PASSED'), 'passed');
      assert.equal(await read('SIDECAR_TEST_SET'), 'set');
      assert.notEqual(await read('PATH'), '<unset>');
    } finally {
      await close();
    }
  });
});
