/**
 * A daemon that takes OAuth 2.1 JWT access tokens, with the authorization server played by the
 * test: a real JWKS on 127.0.0.1 (test/auth/jwt-fixtures.ts) and tokens signed with its key. Every
 * token issued is remembered, so a test can check none of them was ever logged.
 */
import { claims, createSigningKey, ISSUER, RESOURCE, sign, startJwksServer, type JwksServer, type SigningKey } from '../auth/jwt-fixtures.js';
import { startDaemon, type TestDaemon } from '../helpers/daemon.js';

export { ISSUER, RESOURCE };

/** Where clients of RESOURCE find its metadata (RFC 9728: the well-known suffix before the path). */
export const METADATA_URL = 'https://mcp.example.com/.well-known/oauth-protected-resource/mcp';

export interface JwtDaemonOptions {
  fixture?: string;
  /** Arguments after the JWT ones. */
  args?: string[];
  env?: Record<string, string>;
  /** --required-scopes, comma-separated (none when omitted). */
  requiredScopes?: string;
}

export class JwtDaemon {
  readonly daemon: TestDaemon;
  readonly jwks: JwksServer;
  readonly key: SigningKey;
  /** Every token `token()` signed, good or bad. */
  readonly issued: string[] = [];

  private constructor(daemon: TestDaemon, jwks: JwksServer, key: SigningKey) {
    this.daemon = daemon;
    this.jwks = jwks;
    this.key = key;
  }

  static async start(options: JwtDaemonOptions = {}): Promise<JwtDaemon> {
    const key = await createSigningKey('test-key-1');
    const jwks = await startJwksServer([key.jwk]);
    const args = ['--jwks-url', jwks.url, '--resource-url', RESOURCE, '--authorization-server', ISSUER];
    if (options.requiredScopes !== undefined) args.push('--required-scopes', options.requiredScopes);
    try {
      const daemon = await startDaemon({
        fixture: { name: options.fixture ?? 'echo-server' },
        args: [...args, ...(options.args ?? [])],
        ...(options.env ? { env: options.env } : {}),
      });
      return new JwtDaemon(daemon, jwks, key);
    } catch (error) {
      await jwks.close();
      throw error;
    }
  }

  /** A token for `sub` with `overrides` of the standard claims, signed by `key` (the JWKS key by default). */
  async token(sub: string, overrides: Record<string, unknown> = {}, key: SigningKey = this.key): Promise<string> {
    const token = await sign(key, claims({ sub, ...overrides }));
    this.issued.push(token);
    return token;
  }

  async close(): Promise<void> {
    try {
      await this.daemon.close();
    } finally {
      await this.jwks.close();
    }
  }
}
