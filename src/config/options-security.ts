/** Options of who may call and how: authentication, per-principal limits and access, network hygiene. */
import { DURATION_FORMAT } from './duration.js';
import { RATE_FORMAT, bool, count, isOrigin, isUrl, list, positiveDuration, rate, text } from './parsers.js';
import { OPERATOR_FORMAT, isOperatorEntry } from '../auth/operators.js';
import { TOKEN_FORMAT } from '../auth/token-file.js';
import type { OptionSpec } from './schema.js';

export const SECURITY_OPTIONS: readonly OptionSpec[] = [
  // Authentication and access.
  {
    key: 'authTokensFile', scope: 'daemon', flags: '--auth-tokens-file <path>', env: 'MCP_SIDECAR_AUTH_TOKENS_FILE',
    description: 'static bearer tokens, one name:token per line (the name is the principal); kept hashed, re-read on SIGHUP',
    default: undefined, defaultText: 'none', accepts: 'a file path', parse: text,
  },
  {
    key: 'authTokens', scope: 'daemon', flags: '--auth-tokens <name:token,...>', env: 'MCP_SIDECAR_AUTH_TOKENS',
    description: 'static bearer tokens as name:token entries (comma or newline separated); prefer the variable, a flag shows in ps',
    default: undefined, defaultText: 'none', accepts: TOKEN_FORMAT.replace(' lines', ' entries, comma or newline separated'), parse: text,
  },
  {
    key: 'resourceUrl', scope: 'daemon', flags: '--resource-url <url>', env: 'MCP_SIDECAR_RESOURCE_URL',
    description: 'the public URL of this MCP endpoint, as clients reach it: the audience JWTs must name (RFC 8707) and the resource of the protected resource metadata (RFC 9728)',
    default: undefined, defaultText: 'none', accepts: 'an http(s) URL', parse: (raw) => (isUrl(raw.trim()) ? raw.trim() : undefined),
  },
  {
    key: 'authorizationServers', scope: 'daemon', flags: '--authorization-server <url>', env: 'MCP_SIDECAR_AUTHORIZATION_SERVER',
    description: 'OAuth 2.1 authorization server (issuer URL) announced in the protected resource metadata; repeatable',
    default: [], defaultText: 'none', accepts: 'http(s) URLs, comma-separated', parse: list(isUrl),
  },
  {
    key: 'jwtIssuer', scope: 'daemon', flags: '--jwt-issuer <url>', env: 'MCP_SIDECAR_JWT_ISSUER',
    description: 'the iss JWT access tokens must carry (default: the first --authorization-server)',
    default: undefined, defaultText: 'the first --authorization-server', accepts: 'an issuer identifier', parse: text,
  },
  {
    key: 'jwksUrl', scope: 'daemon', flags: '--jwks-url <url>', env: 'MCP_SIDECAR_JWKS_URL',
    description: 'JWKS of the authorization server: turns on JWT access tokens (needs --resource-url); keys are cached and re-fetched for an unknown kid',
    default: undefined, defaultText: 'none', accepts: 'an http(s) URL (http only on loopback)', parse: (raw) => (isUrl(raw.trim()) ? raw.trim() : undefined),
  },
  {
    key: 'requiredScopes', scope: 'daemon', flags: '--required-scopes <scope,...>', env: 'MCP_SIDECAR_REQUIRED_SCOPES',
    description: 'scopes every JWT must carry (403 insufficient_scope otherwise); announced in the metadata and in 401 challenges',
    default: [], defaultText: 'none', accepts: 'scope names, comma-separated', parse: list((item) => /^[\x21\x23-\x5B\x5D-\x7E]+$/.test(item)),
  },
  {
    key: 'protectMetrics', scope: 'daemon', flags: '--protect-metrics [enabled]', env: 'MCP_SIDECAR_PROTECT_METRICS',
    description: '/metrics and /status need a valid token too (they are open by default, like /healthz and /readyz)',
    default: false, defaultText: 'off', accepts: 'true or false (the bare flag: true)', parse: bool,
  },
  {
    key: 'statusOperators', scope: 'daemon', flags: '--status-operators <name,...>', env: 'MCP_SIDECAR_STATUS_OPERATORS',
    description: 'principals who see every session in /status on the main port; with authentication on, any other principal sees only its own (needs --auth-tokens, --auth-tokens-file or --jwks-url)',
    default: [], defaultText: 'none', accepts: OPERATOR_FORMAT, parse: list(isOperatorEntry),
  },
  {
    key: 'maxSessionsPerPrincipal', scope: 'server', flags: '--max-sessions-per-principal <count>', env: 'MCP_SIDECAR_MAX_SESSIONS_PER_PRINCIPAL',
    description: 'most live sessions one principal may hold; one more gets 429 (0: no limit but --max-sessions; with authentication on, 0 means a quarter of --max-sessions)',
    default: 0, defaultText: '0', accepts: 'a whole number', parse: count(0),
  },
  {
    key: 'rateLimit', scope: 'server', flags: '--rate-limit <rate>', env: 'MCP_SIDECAR_RATE_LIMIT',
    description: 'requests one principal may send, across its sessions (token bucket); over it: 429 with Retry-After',
    default: undefined, defaultText: 'none', accepts: RATE_FORMAT, parse: rate,
  },
  {
    key: 'toolRateLimit', scope: 'server', flags: '--tool-rate-limit <rate>', env: 'MCP_SIDECAR_TOOL_RATE_LIMIT',
    description: 'tools/call one principal may send per tool (token bucket); over it: 429 with Retry-After',
    default: undefined, defaultText: 'none', accepts: RATE_FORMAT, parse: rate,
  },
  {
    key: 'maxConcurrentPerPrincipal', scope: 'server', flags: '--max-concurrent-per-principal <count>', env: 'MCP_SIDECAR_MAX_CONCURRENT_PER_PRINCIPAL',
    description: 'requests one principal may have in flight across its sessions; one more gets 429 (0: no limit but --max-in-flight)',
    default: 0, defaultText: '0', accepts: 'a whole number', parse: count(0),
  },
  {
    key: 'toolPolicy', scope: 'server', flags: '--tool-policy <path>', env: 'MCP_SIDECAR_TOOL_POLICY',
    description: 'JSON allow-lists of tools per token name, JWT subject or scope: tools/list is filtered, other tools/call refused; re-read on SIGHUP (none: every tool for everyone)',
    default: undefined, defaultText: 'none', accepts: 'a file path', parse: text,
  },
  {
    key: 'principalEnv', scope: 'server', flags: '--principal-env <path>', env: 'MCP_SIDECAR_PRINCIPAL_ENV',
    description: "JSON map from token name or JWT subject to environment variables for that principal's children only (values or secret files); re-read on SIGHUP",
    default: undefined, defaultText: 'none', accepts: 'a file path', parse: text,
  },
  // Network hygiene.
  {
    key: 'allowedHosts', scope: 'daemon', flags: '--allowed-hosts <host,...>', env: 'MCP_SIDECAR_ALLOWED_HOSTS',
    description: 'Host header names accepted (403 otherwise), against DNS rebinding; loopback names are always accepted while bound to loopback',
    default: [], defaultText: 'none', accepts: 'host names, comma-separated', parse: list((item) => /^[A-Za-z0-9.*[\]:-]+$/.test(item)),
  },
  {
    key: 'allowedOrigins', scope: 'daemon', flags: '--allowed-origins <origin,...>', env: 'MCP_SIDECAR_ALLOWED_ORIGINS',
    description: 'browser Origins accepted (403 otherwise); requests without Origin pass; loopback origins are always accepted while bound to loopback',
    default: [], defaultText: 'none', accepts: 'origins such as https://app.example.com, comma-separated', parse: list(isOrigin),
  },
  {
    key: 'corsOrigins', scope: 'daemon', flags: '--cors-origins <origin,...>', env: 'MCP_SIDECAR_CORS_ORIGINS',
    description: 'answer CORS for these browser origins (* for any), exposing Mcp-Session-Id and WWW-Authenticate; off by default',
    default: [], defaultText: 'none', accepts: 'origins, comma-separated, or *', parse: list((item) => item === '*' || isOrigin(item)),
  },
  {
    key: 'headersTimeoutMs', scope: 'daemon', flags: '--headers-timeout <duration>', env: 'MCP_SIDECAR_HEADERS_TIMEOUT',
    description: "a client must send a request's headers within this (slow clients get 408 and are disconnected); at most --receive-timeout",
    default: 10_000, defaultText: '10s', accepts: `${DURATION_FORMAT}, above zero`, parse: positiveDuration,
  },
  {
    key: 'receiveTimeoutMs', scope: 'daemon', flags: '--receive-timeout <duration>', env: 'MCP_SIDECAR_RECEIVE_TIMEOUT',
    description: 'a client must send a whole request, headers and body, within this (408 otherwise); streams being answered are not cut by it',
    default: 30_000, defaultText: '30s', accepts: `${DURATION_FORMAT}, above zero`, parse: positiveDuration,
  },
  {
    key: 'maxConnections', scope: 'daemon', flags: '--max-connections <count>', env: 'MCP_SIDECAR_MAX_CONNECTIONS',
    description: 'most open client connections; more are dropped at accept, logged and counted',
    default: 4096, defaultText: '4096', accepts: 'a whole number from 1', parse: count(1),
  },
  {
    key: 'tlsCert', scope: 'daemon', flags: '--tls-cert <path>', env: 'MCP_SIDECAR_TLS_CERT',
    description: 'serve HTTPS with this PEM certificate chain (with --tls-key); both re-read on SIGHUP (none: plain HTTP)',
    default: undefined, defaultText: 'none', accepts: 'a file path', parse: text,
  },
  {
    key: 'tlsKey', scope: 'daemon', flags: '--tls-key <path>', env: 'MCP_SIDECAR_TLS_KEY',
    description: 'the PEM private key of --tls-cert',
    default: undefined, defaultText: 'none', accepts: 'a file path', parse: text,
  },
];
