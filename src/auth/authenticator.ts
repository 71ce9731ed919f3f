/**
 * Who a request comes from: a static bearer token (hashed, constant-time, re-read on SIGHUP) or an
 * OAuth 2.1 JWT access token checked against the authorization server's JWKS, issuer, expiry and
 * audience. Off (everyone is `anonymous`) unless tokens or a JWKS are configured. A refusal carries
 * the registry reason and the `WWW-Authenticate` challenge the MCP authorization spec asks for;
 * the token itself never leaves this file (not in logs, not to a child).
 */
import type { IncomingMessage } from 'node:http';
import type { SidecarConfig } from '../config/schema.js';
import type { WireErrorReason } from '../errors/wire.js';
import type { Logger } from '../observability/logger.js';
import { parseBearer } from './bearer.js';
import type { Credential } from './credential.js';
import { CredentialWatch } from './credential-watch.js';
import type { JwksFetchOutcome } from './jwks-source.js';
import { createJwtVerifier, type JwtVerifier } from './jwt-verifier.js';
import { ANONYMOUS, createTokenPrincipal, type Principal } from './principal.js';
import { buildProtectedResourceMetadata, wellKnownMetadataPath, wellKnownMetadataUrl, WELL_KNOWN_SUFFIX, type ProtectedResourceMetadata } from './protected-resource.js';
import { TokenStore } from './token-file.js';
import { buildInsufficientScopeChallenge, buildUnauthorizedChallenge } from './www-authenticate.js';

export type AuthOutcome =
  | { ok: true; principal: Principal; credential: Credential }
  | { ok: false; reason: WireErrorReason; headers: Record<string, string>; detail: string };

/** What the authenticator reports to metrics. */
export interface AuthObserver {
  jwksFetched(outcome: JwksFetchOutcome): void;
}

export class Authenticator {
  /** Paths that serve the protected resource metadata (open to all). */
  readonly metadataPaths: readonly string[];
  /** Long-lived connections and their credentials: ended when a reload revokes a token or a JWT expires. */
  readonly connections: CredentialWatch;
  private readonly tokens: TokenStore | undefined;
  private readonly jwt: JwtVerifier | undefined;
  private readonly metadata: ProtectedResourceMetadata | undefined;
  private readonly metadataUrl: string | undefined;
  private readonly requiredScopes: readonly string[];
  private readonly logger: Logger;

  private constructor(config: SidecarConfig, logger: Logger, observer: AuthObserver | undefined) {
    this.logger = logger;
    this.requiredScopes = config.requiredScopes;
    this.connections = new CredentialWatch((token) => this.tokens?.holds(token) ?? false);
    if (config.authTokensFile !== undefined || config.authTokens !== undefined) {
      this.tokens = TokenStore.load({
        ...(config.authTokensFile !== undefined ? { file: config.authTokensFile } : {}),
        ...(config.authTokens !== undefined ? { env: { variable: 'MCP_SIDECAR_AUTH_TOKENS', value: config.authTokens.replace(/,/g, '\n') } } : {}),
      });
    }
    const resource = config.resourceUrl;
    if (config.jwksUrl !== undefined && resource !== undefined) {
      this.jwt = createJwtVerifier({
        jwksUrl: config.jwksUrl,
        issuer: config.jwtIssuer ?? '',
        audience: resource,
        onJwksFetch: (outcome) => {
          observer?.jwksFetched(outcome);
          if (outcome !== 'ok') this.logger.warn({ outcome, jwksUrl: config.jwksUrl }, 'JWKS fetch failed; retrying after a delay (1 s doubling to 30 s)');
        },
      });
    }
    if (resource !== undefined && config.authorizationServers.length > 0) {
      this.metadata = buildProtectedResourceMetadata({ resource, authorizationServers: config.authorizationServers, scopesSupported: config.requiredScopes });
      this.metadataUrl = wellKnownMetadataUrl(resource);
      this.metadataPaths = [...new Set([wellKnownMetadataPath(resource), WELL_KNOWN_SUFFIX])];
    } else {
      this.metadataPaths = [];
    }
  }

  /** The authenticator `config` asks for, or `undefined` when authentication is off. Throws on a bad token file. */
  static fromConfig(config: SidecarConfig, logger: Logger, observer?: AuthObserver): Authenticator | undefined {
    const on = config.authTokensFile !== undefined || config.authTokens !== undefined || config.jwksUrl !== undefined;
    return on ? new Authenticator(config, logger, observer) : undefined;
  }

  /** The RFC 9728 document, when --resource-url and --authorization-server are set. */
  get resourceMetadata(): ProtectedResourceMetadata | undefined {
    return this.metadata;
  }

  async authenticate(req: IncomingMessage): Promise<AuthOutcome> {
    const bearer = parseBearer(req.headers.authorization);
    if (!bearer.ok) {
      return bearer.reason === 'malformed'
        ? this.refuse('INVALID_TOKEN', 'invalid_request', 'the Authorization header is not one Bearer token')
        : this.refuse('UNAUTHORIZED', undefined, 'no bearer token');
    }
    const token = this.tokens?.match(bearer.token);
    if (token !== undefined) return { ok: true, principal: createTokenPrincipal(token.name), credential: { kind: 'token', token } };
    if (!this.jwt) return this.refuse('INVALID_TOKEN', 'invalid_token', 'unknown token');
    const verified = await this.jwt.verify(bearer.token);
    if (!verified.ok) {
      if (verified.reason === 'jwks-unavailable') {
        this.logger.error({ reason: verified.reason, detail: verified.detail }, 'cannot check JWTs: the JWKS is unavailable');
        return { ok: false, reason: 'AUTH_UNAVAILABLE', headers: { 'retry-after': '5' }, detail: verified.detail };
      }
      return this.refuse('INVALID_TOKEN', 'invalid_token', `${verified.reason}: ${verified.detail}`);
    }
    const missing = this.requiredScopes.filter((scope) => !verified.principal.scopes.includes(scope));
    if (missing.length > 0) {
      const challenge = buildInsufficientScopeChallenge({ resourceMetadata: this.metadataUrl ?? '', scopes: this.requiredScopes, errorDescription: `missing scope ${missing.join(' ')}` });
      return { ok: false, reason: 'INSUFFICIENT_SCOPE', headers: { 'www-authenticate': challenge }, detail: `missing scope ${missing.join(' ')}` };
    }
    return { ok: true, principal: verified.principal, credential: { kind: 'jwt', expiresAtMs: verified.expiresAtMs } };
  }

  /**
   * SIGHUP: re-reads the token file; a bad file leaves the tokens in force and is logged. A good
   * one ends every open connection whose token it no longer has (`connections`).
   */
  reload(): void {
    if (!this.tokens) return;
    const error = this.tokens.reload();
    if (error) return void this.logger.error({ err: error.message }, 'token file not reloaded; the previous tokens stay in force');
    const revoked = this.connections.recheck();
    this.logger.info({ tokens: this.tokens.size, connectionsRevoked: revoked }, 'token file reloaded');
  }

  private refuse(reason: WireErrorReason, error: 'invalid_token' | 'invalid_request' | undefined, detail: string): AuthOutcome {
    const challenge = this.metadataUrl
      ? buildUnauthorizedChallenge({ resourceMetadata: this.metadataUrl, scopes: this.requiredScopes, ...(error ? { error, errorDescription: detail } : {}) })
      : `Bearer${error ? ` error="${error}"` : ''}`;
    return { ok: false, reason, headers: { 'www-authenticate': challenge }, detail };
  }
}

/** The principal of every request while authentication is off. */
export { ANONYMOUS };
