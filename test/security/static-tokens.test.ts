/**
 * Static bearer tokens from a file (--auth-tokens-file) and from MCP_SIDECAR_AUTH_TOKENS, with the
 * file re-read on SIGHUP: a token added works at once, a token removed is refused at once (its
 * open sessions included), the variable's tokens stay, and a bad or missing file keeps the tokens
 * in force and is logged at error without repeating its lines.
 */
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { startDaemon, type LogLine, type TestDaemon } from '../helpers/daemon.js';
import { textOf } from '../helpers/mcp-client.js';
import { assertNothingLogged, assertWireError, connectAs, initializeAs, newToken, openSessionAs, postAs, reloadAndWait, TempFiles } from './auth-helpers.js';

const RELOADED = (line: LogLine): boolean => line.msg === 'token file reloaded';
const NOT_RELOADED = (line: LogLine): boolean => line.msg === 'token file not reloaded; the previous tokens stay in force';

describe('static tokens, reloaded on SIGHUP', () => {
  const files = new TempFiles();
  const tokens = { alice: newToken('alice'), bob: newToken('bob'), carol: newToken('carol'), dave: newToken('dave') };
  /** A line that is only a token: the error must not quote it. */
  const bareToken = newToken('bare');
  let tokenFile: string;
  let daemon: TestDaemon;

  function writeTokens(...names: (keyof typeof tokens)[]): string {
    return files.write('tokens', `# name:token\n${names.map((name) => `${name}:${tokens[name]}`).join('\n')}\n`);
  }

  async function accepted(name: keyof typeof tokens): Promise<boolean> {
    const response = await initializeAs(daemon.url, tokens[name]);
    if (response.status === 200) return true;
    assertWireError(response, 401, 'INVALID_TOKEN');
    return false;
  }

  before(async () => {
    tokenFile = writeTokens('alice', 'bob');
    daemon = await startDaemon({
      fixture: { name: 'echo-server' },
      args: ['--auth-tokens-file', tokenFile],
      env: { MCP_SIDECAR_AUTH_TOKENS: `carol:${tokens.carol}` },
    });
  });
  after(async () => {
    await daemon?.close();
    files.remove();
  });

  it('accepts the file’s tokens and the variable’s, and no other', async () => {
    const alice = await connectAs(daemon.url, tokens.alice);
    try {
      assert.equal(textOf(await alice.client.callTool({ name: 'echo', arguments: { text: 'alice here' } })), 'alice here');
    } finally {
      await alice.close();
    }
    assert.equal(await accepted('bob'), true);
    assert.equal(await accepted('carol'), true);
    assert.equal(await accepted('dave'), false);
    assertWireError(await initializeAs(daemon.url, undefined), 401, 'UNAUTHORIZED');
    // Without --resource-url there is no metadata to point at: a bare challenge.
    assert.equal((await initializeAs(daemon.url, undefined)).headers.get('www-authenticate'), 'Bearer');
  });

  it('on SIGHUP, takes a token added to the file and refuses one removed from it, open sessions included', async () => {
    const bobSession = await openSessionAs(daemon.url, tokens.bob);
    const ping = { jsonrpc: '2.0', id: 2, method: 'ping' };
    assert.equal((await postAs(daemon.url, tokens.bob, bobSession, ping)).status, 200);

    writeTokens('alice', 'dave');
    const reloaded = await reloadAndWait(daemon, RELOADED, 'the token file to be reloaded');
    assert.equal(reloaded.tokens, 3, 'alice and dave from the file, carol from the variable');

    assert.equal(await accepted('dave'), true);
    assert.equal(await accepted('bob'), false);
    assertWireError(await postAs(daemon.url, tokens.bob, bobSession, ping), 401, 'INVALID_TOKEN');
    assert.equal(await accepted('alice'), true);
    assert.equal(await accepted('carol'), true, 'the variable’s tokens are not the file’s to revoke');
  });

  it('keeps the tokens in force when the file turns bad, logging an error that does not quote it', async () => {
    files.write('tokens', `alice:${tokens.alice}\n${bareToken}\n`);
    const error = await reloadAndWait(daemon, NOT_RELOADED, 'the bad token file to be refused');
    assert.equal(error.level, 'error');
    assert.match(String(error.err), /line 2/);
    assert.equal(await accepted('dave'), true);
    assert.equal(await accepted('bob'), false);

    rmSync(tokenFile);
    const missing = await reloadAndWait(daemon, NOT_RELOADED, 'the missing token file to be refused');
    assert.match(String(missing.err), /ENOENT/);
    assert.equal(await accepted('dave'), true);
    assert.equal(await accepted('alice'), true);
  });

  it('takes a good file again once it is fixed', async () => {
    writeTokens('bob');
    await reloadAndWait(daemon, RELOADED, 'the fixed token file to be reloaded');
    assert.equal(await accepted('bob'), true);
    assert.equal(await accepted('dave'), false);
    assert.equal(await accepted('alice'), false);
    assert.equal(await accepted('carol'), true);
  });

  it('never logs a token, nor a bad line of the file', async () => {
    await assertNothingLogged(daemon, [...Object.values(tokens), bareToken]);
  });
});
