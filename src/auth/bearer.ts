/**
 * The `Authorization: Bearer <token>` header (RFC 6750 §2.1), the only place a token is accepted:
 * the MCP authorization spec forbids tokens in the query string, and we take none from a body.
 */

/** Why no token could be taken from a request. */
export type BearerFailure =
  /** No Authorization header, or an empty one: the client does not know it must authenticate. */
  | 'missing'
  /**
   * Another scheme (e.g. `Basic`). RFC 6750 §3.1 treats this like a missing credential: the
   * challenge carries no error code.
   */
  | 'unsupported-scheme'
  /** `Bearer` with no token, more than one, or characters outside token68: `invalid_request`. */
  | 'malformed';

export type BearerResult = { ok: true; token: string } | { ok: false; reason: BearerFailure };

// "Bearer" 1*SP token68, scheme case-insensitive (RFC 9110 §11.1); OWS around the value is trimmed.
const BEARER = /^Bearer +([A-Za-z0-9\-._~+/]+=*)$/i;
const SCHEME = /^([!#$%&'*+\-.^_`|~0-9A-Za-z]+)(?: |$)/;

/**
 * The token of an Authorization header value (`req.headers.authorization`; Node keeps the first
 * of repeated Authorization headers). A list of credentials is malformed, never guessed between.
 */
export function parseBearer(header: string | undefined): BearerResult {
  const value = header?.trim() ?? '';
  if (value === '') return { ok: false, reason: 'missing' };
  const match = BEARER.exec(value);
  if (match?.[1] !== undefined) return { ok: true, token: match[1] };
  const scheme = SCHEME.exec(value)?.[1];
  if (scheme !== undefined && scheme.toLowerCase() !== 'bearer') return { ok: false, reason: 'unsupported-scheme' };
  return { ok: false, reason: 'malformed' };
}
