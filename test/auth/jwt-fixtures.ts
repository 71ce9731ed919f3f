/**
 * Fixtures for the JWT verifier tests: a real JWKS endpoint on 127.0.0.1 that serves whatever keys
 * the test sets, counts fetches (to prove caching and the refetch cooldown) and can fail on
 * purpose; signing keys made by jose; tokens signed with them.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK, type JWTPayload } from 'jose';
import type { JwtVerification } from '../../src/auth/jwt-verifier.js';

export const ISSUER = 'https://auth.example.com/';
export const RESOURCE = 'https://mcp.example.com/mcp';

/** What the server does with the next fetches. */
export type JwksBehaviour = 'serve' | 'status-500' | 'not-json' | 'not-a-key-set' | 'hang';

export interface JwksServer {
  readonly url: string;
  /** GET requests answered (or hung) so far. */
  readonly fetches: number;
  setKeys(keys: readonly JWK[]): void;
  setBehaviour(behaviour: JwksBehaviour): void;
  close(): Promise<void>;
}

export async function startJwksServer(keys: readonly JWK[] = []): Promise<JwksServer> {
  let current = [...keys];
  let behaviour: JwksBehaviour = 'serve';
  let fetches = 0;
  const server: Server = createServer((req, res) => {
    fetches += 1;
    if (behaviour === 'hang') return; // Never answers; the verifier's timeout must fire.
    if (behaviour === 'status-500') {
      res.writeHead(500).end('boom');
      return;
    }
    const body = behaviour === 'not-json' ? '<html>' : JSON.stringify(behaviour === 'not-a-key-set' ? { hello: 'world' } : { keys: current });
    res.writeHead(200, { 'content-type': 'application/json' }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/.well-known/jwks.json`,
    get fetches() {
      return fetches;
    },
    setKeys(next) {
      current = [...next];
    },
    setBehaviour(next) {
      behaviour = next;
    },
    async close() {
      // fetch keeps connections alive (and a hung request open); end them so close() returns.
      server.closeAllConnections();
      await new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
    },
  };
}

/** A URL nothing listens on: a server is started for a free port, then closed. */
export async function unusedUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}/jwks.json`;
}

export interface SigningKey {
  readonly kid: string;
  readonly alg: string;
  readonly privateKey: CryptoKey;
  /** The public half as it appears in the JWKS. */
  readonly jwk: JWK;
}

export async function createSigningKey(kid: string, alg = 'RS256'): Promise<SigningKey> {
  const { publicKey, privateKey } = await generateKeyPair(alg);
  const jwk = { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' };
  return { kid, alg, privateKey, jwk };
}

export function nowSec(): number {
  return Math.floor(Date.now() / 1000);
}

/** Standard claims of a good token; a test replaces or removes (`undefined`) any of them. */
export function claims(overrides: Record<string, unknown> = {}): JWTPayload {
  const base: Record<string, unknown> = {
    iss: ISSUER,
    aud: RESOURCE,
    sub: 'user-1',
    iat: nowSec(),
    exp: nowSec() + 300,
    scope: 'tools:read tools:call',
    ...overrides,
  };
  for (const key of Object.keys(base)) if (base[key] === undefined) delete base[key];
  return base;
}

export function sign(key: SigningKey, payload: JWTPayload = claims(), header: Record<string, unknown> = {}): Promise<string> {
  return new SignJWT(payload).setProtectedHeader({ alg: key.alg, kid: key.kid, ...header }).sign(key.privateKey);
}

/** Asserts a refusal for `reason` whose detail does not repeat `token`. */
export function expectFailure(result: JwtVerification, reason: string, token?: string): void {
  assert.equal(result.ok, false, `expected ${reason}, got a principal`);
  if (result.ok) return;
  assert.equal(result.reason, reason, `expected ${reason}, got ${result.reason}: ${result.detail}`);
  assert.equal(typeof result.detail, 'string');
  if (token) assert.ok(!result.detail.includes(token), 'the detail repeats the token');
}
