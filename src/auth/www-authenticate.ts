/**
 * `WWW-Authenticate` challenges for the MCP authorization spec (2025-06-18, 2025-11-25): RFC 6750
 * §3 Bearer challenges carrying RFC 9728's `resource_metadata`, so a client that gets a 401 or 403
 * knows where to discover the authorization server and which scopes to ask for.
 *
 * Every value is quoted here, once: control characters (CR and LF above all: header injection)
 * and anything outside printable ASCII are dropped, `"` and `\` are backslash-escaped, and the
 * free-text description is capped so a long library message cannot bloat the header.
 */

const DESCRIPTION_MAX = 200;

/**
 * A quoted-string (RFC 9110 §5.6.4) holding `value`: characters that could end the header or
 * that Node refuses in a header are removed, `"` and `\` are escaped.
 */
export function quoteParam(value: string): string {
  // Keep printable ASCII and space only; everything else (CR, LF, NUL, DEL, non-ASCII) goes.
  const printable = value.replace(/[^\x20-\x7e]/g, '');
  return `"${printable.replace(/["\\]/g, (c) => `\\${c}`)}"`;
}

function shortenDescription(text: string): string {
  const flat = text.replace(/[^\x20-\x7e]+/g, ' ').trim();
  return flat.length > DESCRIPTION_MAX ? `${flat.slice(0, DESCRIPTION_MAX - 3)}...` : flat;
}

/** A scope list as RFC 6749 §3.3 writes it: space-separated, without empty or repeated entries. */
function scopeList(scopes: readonly string[]): string {
  return [...new Set(scopes.map((scope) => scope.trim()).filter((scope) => scope !== ''))].join(' ');
}

function challenge(params: readonly (readonly [string, string | undefined])[]): string {
  const parts = params.filter((pair): pair is readonly [string, string] => pair[1] !== undefined && pair[1] !== '');
  return `Bearer ${parts.map(([key, value]) => `${key}=${quoteParam(value)}`).join(', ')}`;
}

/** What a 401 challenge says. */
export interface UnauthorizedChallenge {
  /** The RFC 9728 metadata URL (see `wellKnownMetadataUrl`). */
  resourceMetadata: string;
  /** Scopes a client should request (MCP: SHOULD be present); omitted when empty. */
  scopes?: readonly string[];
  /**
   * Absent when the request carried no credential (RFC 6750 §3.1: no error code then);
   * `invalid_token` for a presented token that is bad, expired or for another resource;
   * `invalid_request` for a malformed Authorization header.
   */
  error?: 'invalid_token' | 'invalid_request';
  /** Human-readable, for developers; never the token. */
  errorDescription?: string;
}

/**
 * The `WWW-Authenticate` value of a 401, e.g.
 * `Bearer resource_metadata="https://h/.well-known/oauth-protected-resource/mcp", scope="files:read"`
 * or, for a bad token,
 * `Bearer error="invalid_token", error_description="token expired", resource_metadata="…", scope="…"`.
 */
export function buildUnauthorizedChallenge(options: UnauthorizedChallenge): string {
  const error = options.error;
  return challenge([
    ['error', error],
    ['error_description', error && options.errorDescription ? shortenDescription(options.errorDescription) : undefined],
    ['resource_metadata', options.resourceMetadata],
    ['scope', options.scopes ? scopeList(options.scopes) : undefined],
  ]);
}

/** What a 403 challenge says. */
export interface InsufficientScopeChallenge {
  resourceMetadata: string;
  /** The scopes the request needs (MCP: include those already granted that are still needed). */
  scopes: readonly string[];
  errorDescription?: string;
}

/**
 * The `WWW-Authenticate` value of a 403 for a token without the scopes an operation needs, e.g.
 * `Bearer error="insufficient_scope", scope="files:read files:write", resource_metadata="…"`.
 */
export function buildInsufficientScopeChallenge(options: InsufficientScopeChallenge): string {
  return challenge([
    ['error', 'insufficient_scope'],
    ['scope', scopeList(options.scopes)],
    ['resource_metadata', options.resourceMetadata],
    ['error_description', options.errorDescription ? shortenDescription(options.errorDescription) : undefined],
  ]);
}
