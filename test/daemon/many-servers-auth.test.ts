/**
 * Authentication with a config file: one token file and one authorization server for the daemon,
 * but each server its own resource (`<resource URL>/<name>`, the audience its JWTs must name), its
 * own protected resource metadata and its own tool policy; SIGHUP re-reads the token file and each
 * server's policy as it does on the command line.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { claims, createSigningKey, ISSUER, sign, startJwksServer, type JwksServer, type SigningKey } from '../auth/jwt-fixtures.js';
import { FileDaemon, fixtureEntry } from '../helpers/config-daemon.js';
import { rawRequest } from '../helpers/http.js';
import { connectAs, initializeAs, newToken, TempFiles, type AuthedClient } from '../security/auth-helpers.js';

const RESOURCE_BASE = 'https://mcp.example.com';

async function toolNames(client: AuthedClient): Promise<string[]> {
  return (await client.client.listTools()).tools.map((tool) => tool.name).sort();
}

describe('a config file\'s servers behind static tokens and JWTs', () => {
  const files = new TempFiles();
  const clients: AuthedClient[] = [];
  let file: FileDaemon;
  let jwks: JwksServer;
  let key: SigningKey;
  let definition: (tag: string) => unknown;
  const tokens = { ops: newToken('ops'), dev: newToken('dev') };

  before(async () => {
    key = await createSigningKey('many-servers-key');
    jwks = await startJwksServer([key.jwk]);
    const tokenFile = files.write('tokens', `ops:${tokens.ops}\n`);
    const policy = files.write('alpha-policy.json', JSON.stringify({ tokens: { ops: ['echo'], dev: ['echo'] } }));
    definition = (tag) => ({
      sidecar: { authTokensFile: tokenFile, jwksUrl: jwks.url, resourceUrl: RESOURCE_BASE, authorizationServers: [ISSUER] },
      mcpServers: {
        alpha: { ...fixtureEntry('echo-server', tag), toolPolicy: policy },
        beta: fixtureEntry('echo-server', tag),
      },
    });
    file = await FileDaemon.start((tag) => definition(tag));
  });
  after(async () => {
    await Promise.all(clients.map((client) => client.close().catch(() => undefined)));
    await file?.close();
    await jwks?.close();
    files.remove();
  });

  const connect = async (path: string, token: string): Promise<AuthedClient> => {
    const client = await connectAs(file.url(path), token);
    clients.push(client);
    return client;
  };

  it('challenges with the server\'s own metadata, served where clients look for it', async () => {
    const refused = await initializeAs(file.url('/alpha/mcp'), undefined);
    assert.equal(refused.status, 401);
    assert.match(refused.headers.get('www-authenticate') ?? '', /resource_metadata="https:\/\/mcp\.example\.com\/\.well-known\/oauth-protected-resource\/alpha"/);
    for (const path of ['/.well-known/oauth-protected-resource/alpha', '/.well-known/oauth-protected-resource/alpha/mcp', '/.well-known/oauth-protected-resource/alpha/sse', '/alpha/.well-known/oauth-protected-resource']) {
      const metadata = await rawRequest(file.url(path), { method: 'GET' });
      assert.equal(metadata.status, 200, path);
      assert.deepEqual((metadata.json as { resource: string; authorization_servers: string[] }).resource, `${RESOURCE_BASE}/alpha`, path);
    }
    const beta = await rawRequest(file.url('/.well-known/oauth-protected-resource/beta'), { method: 'GET' });
    assert.equal((beta.json as { resource: string }).resource, `${RESOURCE_BASE}/beta`);
    const root = await rawRequest(file.url('/.well-known/oauth-protected-resource'), { method: 'GET' });
    assert.equal(root.status, 404, 'no document names the daemon as a whole: its audience would fit no server');
  });

  it('takes a JWT only at the server its audience names', async () => {
    const forAlpha = await sign(key, claims({ sub: 'user-1', aud: `${RESOURCE_BASE}/alpha` }));
    assert.equal((await initializeAs(file.url('/alpha/mcp'), forAlpha)).status, 200);
    const atBeta = await initializeAs(file.url('/beta/mcp'), forAlpha);
    assert.equal(atBeta.status, 401);
    assert.match(atBeta.headers.get('www-authenticate') ?? '', /error="invalid_token"/);
  });

  it('applies each server\'s own tool policy to the same token', async () => {
    assert.deepEqual(await toolNames(await connect('/alpha/mcp', tokens.ops)), ['echo']);
    assert.ok((await toolNames(await connect('/beta/mcp', tokens.ops))).length > 5, 'beta has no policy: every tool');
  });

  it('re-reads the token file and the servers\' policies on SIGHUP', async () => {
    assert.equal((await initializeAs(file.url('/beta/mcp'), tokens.dev)).status, 401);
    files.write('tokens', `dev:${tokens.dev}\n`);
    files.write('alpha-policy.json', JSON.stringify({ tokens: { dev: ['echo', 'env'] } }));
    const outcome = await file.reload(definition(file.tag));
    assert.equal(outcome.unchanged, 2, 'the file itself did not change');
    await file.daemon.waitForLog((line) => line.msg === 'token file reloaded' && file.daemon.logs.indexOf(line) > file.daemon.logs.indexOf(outcome));
    assert.equal((await initializeAs(file.url('/beta/mcp'), tokens.ops)).status, 401, 'ops is gone from the token file');
    assert.deepEqual(await toolNames(await connect('/alpha/mcp', tokens.dev)), ['echo', 'env']);
  });
});
