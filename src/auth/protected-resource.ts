/**
 * OAuth 2.0 Protected Resource Metadata (RFC 9728): the document that tells an MCP client which
 * authorization server issues tokens for this endpoint, and where that document lives. The MCP
 * authorization spec requires it of every protected MCP server, and its 401 challenges point to it.
 */
import { SidecarError } from '../errors/local.js';
import { isLoopback } from '../security/loopback.js';

/** The well-known URI suffix registered by RFC 9728 §3. */
export const WELL_KNOWN_SUFFIX = '/.well-known/oauth-protected-resource';

/** The metadata document, with RFC 9728 §2's member names. */
export interface ProtectedResourceMetadata {
  resource: string;
  authorization_servers: string[];
  scopes_supported?: string[];
  bearer_methods_supported: ['header'];
  resource_documentation?: string;
  resource_name?: string;
}

export interface ProtectedResourceOptions {
  /** This endpoint's public URL as clients reach it (see `parseResourceUrl`). */
  resource: string;
  /** Issuer URLs of the authorization servers whose tokens are accepted; at least one. */
  authorizationServers: readonly string[];
  /** Scopes a client may request; RFC 9728 recommends listing them, MCP clients fall back to them. */
  scopesSupported?: readonly string[];
  /** A page for developers about this endpoint. */
  resourceDocumentation?: string;
  /** A human-readable name for consent screens. */
  resourceName?: string;
}

function invalid(message: string): SidecarError {
  return new SidecarError('CONFIG_INVALID', message);
}

function parseHttpUrl(raw: string, what: string): URL {
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    throw invalid(`${what} ${JSON.stringify(raw)} is not an absolute URL`);
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && isLoopback(url.hostname))) {
    throw invalid(`${what} ${JSON.stringify(raw)} must use https (http is accepted for loopback hosts only)`);
  }
  if (url.username !== '' || url.password !== '') throw invalid(`${what} ${JSON.stringify(raw)} must not carry credentials`);
  if (url.hash !== '' || raw.includes('#')) throw invalid(`${what} ${JSON.stringify(raw)} must not have a fragment`);
  if (url.search !== '' || raw.includes('?')) throw invalid(`${what} ${JSON.stringify(raw)} must not have a query`);
  return url;
}

function parseDocumentationUrl(raw: string): string {
  try {
    const url = new URL(raw.trim());
    if (url.protocol === 'https:' || url.protocol === 'http:') return url.href;
  } catch {
    // Reported below with the same message as a non-HTTP URL.
  }
  throw invalid(`the resource documentation URL ${JSON.stringify(raw)} is not an http(s) URL`);
}

/** The URL without the trailing slash of an empty path, as the MCP spec's canonical form writes it. */
function canonicalForm(url: URL): string {
  return url.pathname === '/' ? url.origin : `${url.origin}${url.pathname}`;
}

/**
 * The canonical resource identifier (RFC 8707 §2, MCP "canonical server URI") for a configured
 * URL: lower-case scheme and host, no default port, no trailing slash on an empty path. It must be
 * https (http only for loopback hosts, for local testing) with no fragment, no query and no
 * credentials. Tokens are checked against this exact string as their audience, so it must be the
 * URL clients use, not one derived from the request's Host header (which a client controls).
 * Throws `SidecarError` (`CONFIG_INVALID`).
 */
export function parseResourceUrl(raw: string, what = 'the resource URL'): string {
  return canonicalForm(parseHttpUrl(raw, what));
}

/**
 * Where the metadata of `resource` is served (RFC 9728 §3.1): the well-known suffix goes between
 * the host and the path, so `https://h/mcp` has `https://h/.well-known/oauth-protected-resource/mcp`
 * and `https://h` has `https://h/.well-known/oauth-protected-resource`. The MCP spec lets clients
 * fall back to the root form, so serving the document at both paths is the interoperable choice.
 */
export function wellKnownMetadataUrl(resource: string): string {
  const url = parseHttpUrl(resource, 'the resource URL');
  return `${url.origin}${wellKnownMetadataPath(resource)}`;
}

/** The path part of `wellKnownMetadataUrl(resource)`, for routing. */
export function wellKnownMetadataPath(resource: string): string {
  const url = parseHttpUrl(resource, 'the resource URL');
  return url.pathname === '/' ? WELL_KNOWN_SUFFIX : `${WELL_KNOWN_SUFFIX}${url.pathname}`;
}

/**
 * The metadata document for `options`, validated: the resource as `parseResourceUrl` makes it,
 * at least one authorization server (MCP requires one), each an https issuer URL without query or
 * fragment (RFC 8414 §2), kept as written. Throws `SidecarError` (`CONFIG_INVALID`).
 */
export function buildProtectedResourceMetadata(options: ProtectedResourceOptions): ProtectedResourceMetadata {
  const resource = parseResourceUrl(options.resource);
  if (options.authorizationServers.length === 0) {
    throw invalid('at least one authorization server (issuer URL) is required');
  }
  const authorizationServers = options.authorizationServers.map((issuer) => {
    parseHttpUrl(issuer, 'the authorization server');
    // Kept exactly as written: clients compare it with the `issuer` of the server's own metadata
    // (RFC 8414 §3.3), and some issuers end with a slash.
    return issuer.trim();
  });
  const metadata: ProtectedResourceMetadata = {
    resource,
    authorization_servers: [...new Set(authorizationServers)],
    bearer_methods_supported: ['header'],
  };
  const scopes = (options.scopesSupported ?? []).map((scope) => scope.trim()).filter((scope) => scope !== '');
  for (const scope of scopes) {
    // RFC 6749 §3.3 scope-token: printable ASCII except space, " and \.
    if (!/^[\x21\x23-\x5b\x5d-\x7e]+$/.test(scope)) throw invalid(`scope ${JSON.stringify(scope)} has a character a scope cannot contain`);
  }
  if (scopes.length > 0) metadata.scopes_supported = [...new Set(scopes)];
  if (options.resourceDocumentation !== undefined) {
    metadata.resource_documentation = parseDocumentationUrl(options.resourceDocumentation);
  }
  if (options.resourceName !== undefined && options.resourceName.trim() !== '') metadata.resource_name = options.resourceName.trim();
  return metadata;
}
