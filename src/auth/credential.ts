/**
 * What a long-lived connection (a WebSocket, a legacy SSE stream) keeps of the credential it was
 * admitted with, so that it can end when that credential stops being good: a static token's name
 * and SHA-256 digest (never the token), a JWT's expiry. Requests check their own credential each
 * time; only a connection outlives the check.
 */
import type { TokenMatch } from './token-file.js';

export type Credential =
  | { readonly kind: 'token'; readonly token: TokenMatch }
  | { readonly kind: 'jwt'; readonly expiresAtMs: number }
  | { readonly kind: 'none' };

/** The credential of every request while authentication is off: nothing to re-check. */
export const NO_CREDENTIAL: Credential = Object.freeze({ kind: 'none' });

/** Why a connection's credential stopped being good: its token left the token file, or its JWT expired. */
export type CredentialEnd = 'revoked' | 'expired';
