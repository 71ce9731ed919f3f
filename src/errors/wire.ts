/**
 * The one registry of errors that go on the wire. Each has the HTTP status it is sent with when it
 * answers a whole HTTP request, and the JSON-RPC code it carries in either place. Bodies always have
 * the JSON-RPC error shape with `data.reason` set to the registry key, so a client (or an operator
 * reading a capture) can tell them apart without parsing prose. docs/errors.md documents every key;
 * a test keeps the two in step.
 */
export interface WireErrorSpec {
  readonly status: number;
  readonly code: number;
  readonly message: string;
}

export const WIRE_ERRORS = {
  PARSE_ERROR: { status: 400, code: -32700, message: 'Parse error: the body is not valid JSON' },
  INVALID_MESSAGE: { status: 400, code: -32600, message: 'Invalid Request: not a JSON-RPC 2.0 message' },
  BATCH_REFUSED: { status: 400, code: -32600, message: 'Invalid Request: JSON-RPC batches are not accepted' },
  EMPTY_BATCH: { status: 400, code: -32600, message: 'Invalid Request: empty batch' },
  INITIALIZE_WITH_SESSION: { status: 400, code: -32600, message: 'Invalid Request: initialize must not carry Mcp-Session-Id' },
  INVALID_ID: { status: 400, code: -32600, message: 'Invalid Request: an id must be a string of at most 256 characters or an integer within ±(2^53−1)' },
  INVALID_INITIALIZE_PARAMS: { status: 400, code: -32602, message: 'Invalid params: initialize needs protocolVersion (string), capabilities (object) and clientInfo (object with string name and version)' },
  SESSION_ID_REQUIRED: { status: 400, code: -32000, message: 'Bad Request: Mcp-Session-Id header is required' },
  SESSION_ID_MALFORMED: { status: 400, code: -32000, message: 'Bad Request: Mcp-Session-Id must be visible ASCII' },
  UNSUPPORTED_PROTOCOL_VERSION: { status: 400, code: -32000, message: 'Bad Request: unsupported MCP-Protocol-Version' },
  LAST_EVENT_ID_UNKNOWN: { status: 400, code: -32000, message: 'Bad Request: Last-Event-ID names no stream this session can resume' },
  SESSION_QUERY_REQUIRED: { status: 400, code: -32000, message: 'Bad Request: the sessionId query parameter is required' },
  WEBSOCKET_SUBPROTOCOL_REQUIRED: { status: 400, code: -32000, message: 'Bad Request: Sec-WebSocket-Protocol must offer mcp' },
  WEBSOCKET_HANDSHAKE_INVALID: { status: 400, code: -32000, message: 'Bad Request: not a valid WebSocket handshake' },
  UPGRADE_UNSUPPORTED: { status: 400, code: -32000, message: 'Bad Request: only WebSocket upgrades are served; send this request without Upgrade' },
  MALFORMED_HTTP: { status: 400, code: -32000, message: 'Bad Request: the HTTP request could not be parsed' },
  RECEIVE_TIMEOUT: { status: 408, code: -32000, message: 'Request Timeout: the request did not arrive within --headers-timeout / --receive-timeout' },
  UPGRADE_REQUIRED: { status: 426, code: -32000, message: 'Upgrade Required: this path speaks WebSocket (subprotocol mcp)' },
  SESSION_NOT_FOUND: { status: 404, code: -32001, message: 'Session not found' },
  UNAUTHORIZED: { status: 401, code: -32000, message: 'Unauthorized: this endpoint needs a bearer token' },
  INVALID_TOKEN: { status: 401, code: -32000, message: 'Unauthorized: the bearer token is not valid here' },
  INSUFFICIENT_SCOPE: { status: 403, code: -32000, message: 'Forbidden: the token lacks a required scope' },
  AUTH_UNAVAILABLE: { status: 503, code: -32000, message: 'Service Unavailable: token keys cannot be fetched from the authorization server' },
  FORBIDDEN_HOST: { status: 403, code: -32000, message: 'Forbidden: Host is not a loopback name (DNS rebinding guard)' },
  FORBIDDEN_ORIGIN: { status: 403, code: -32000, message: 'Forbidden: Origin is not a loopback origin (DNS rebinding guard)' },
  NOT_FOUND: { status: 404, code: -32000, message: 'Not Found' },
  METHOD_NOT_ALLOWED: { status: 405, code: -32000, message: 'Method Not Allowed' },
  NOT_ACCEPTABLE: { status: 406, code: -32000, message: 'Not Acceptable' },
  STREAM_CONFLICT: { status: 409, code: -32000, message: 'Conflict: this session already has a standalone SSE stream' },
  BODY_TOO_LARGE: { status: 413, code: -32000, message: 'Payload Too Large' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, code: -32000, message: 'Unsupported Media Type: Content-Type must be application/json' },
  TOO_MANY_IN_FLIGHT: { status: 429, code: -32000, message: 'Too Many Requests: this session has too many requests in flight (--max-in-flight)' },
  PRINCIPAL_SESSION_LIMIT: { status: 429, code: -32000, message: 'Too Many Requests: this principal holds its most sessions (--max-sessions-per-principal)' },
  PRINCIPAL_UNINITIALIZED_LIMIT: { status: 429, code: -32000, message: 'Too Many Requests: this principal holds its most SSE streams and WebSockets that have not initialized' },
  RATE_LIMITED: { status: 429, code: -32000, message: 'Too Many Requests: this principal is over its request rate (--rate-limit)' },
  TOOL_RATE_LIMITED: { status: 429, code: -32000, message: 'Too Many Requests: this principal is over its rate for this tool (--tool-rate-limit)' },
  CONCURRENCY_LIMIT: { status: 429, code: -32000, message: 'Too Many Requests: this principal has its most requests in flight (--max-concurrent-per-principal)' },
  DRAINING: { status: 503, code: -32000, message: 'Service Unavailable: the daemon is shutting down' },
  SESSION_LIMIT: { status: 503, code: -32000, message: 'Service Unavailable: the session limit is reached (--max-sessions)' },
  MEMORY_LIMIT: { status: 503, code: -32000, message: 'Service Unavailable: children are over --memory-max-total' },
  INTERNAL: { status: 500, code: -32603, message: 'Internal error' },
  HOST_REQUIRED: { status: 400, code: -32000, message: 'Bad Request: an HTTP/1.1 request must carry a Host header' },
  HEADERS_TOO_LARGE: { status: 431, code: -32000, message: 'Request Header Fields Too Large' },
  EXPECTATION_FAILED: { status: 417, code: -32000, message: 'Expectation Failed: only Expect: 100-continue is understood' },
  // The 2026-07-28 front (docs/era-2026-07-28.md): refused before any child is touched.
  MODERN_META_INVALID: { status: 400, code: -32602, message: 'Invalid params: a 2026-07-28 request needs params._meta with io.modelcontextprotocol/protocolVersion (string) and io.modelcontextprotocol/clientCapabilities (object)' },
  HEADER_MISMATCH: { status: 400, code: -32020, message: 'Header mismatch: the MCP-Protocol-Version, Mcp-Method, Mcp-Name and Mcp-Param-* headers must be present and agree with the body' },
  CAPABILITY_REQUIRED: { status: 400, code: -32021, message: 'Missing required client capability' },
  PROTOCOL_VERSION_UNSUPPORTED: { status: 400, code: -32022, message: 'Unsupported protocol version' },
  METHOD_NOT_FOUND: { status: 404, code: -32601, message: 'Method not found' },
  LISTEN_FILTER_INVALID: { status: 400, code: -32602, message: 'Invalid params: subscriptions/listen needs params.notifications, an object whose toolsListChanged, promptsListChanged and resourcesListChanged are booleans and resourceSubscriptions an array of strings, each optional' },
  LISTEN_LIMIT: { status: 429, code: -32000, message: 'Too Many Requests: this principal holds its most subscriptions/listen streams (as many as its sessions: --max-sessions-per-principal)' },
  MODERN_BATCH_REFUSED: { status: 400, code: -32600, message: 'Invalid Request: a 2026-07-28 request is sent alone, never in a batch' },
  MODERN_SESSIONLESS: { status: 405, code: -32000, message: 'Method Not Allowed: a 2026-07-28 client has no session to GET or DELETE' },
  // Input-required bridging (session/input/): a retry that cannot resume its held call, or no room to hold one.
  REQUEST_STATE_INVALID: { status: 400, code: -32602, message: 'Invalid params: requestState is not valid for this request' },
  INPUT_RESPONSES_INVALID: { status: 400, code: -32602, message: 'Invalid params: inputResponses must be an object whose values are results (objects)' },
  INPUT_REQUIRED_LIMIT: { status: 429, code: -32000, message: 'Too Many Requests: this principal holds its most calls waiting for input (--max-input-required-per-principal)' },
  INPUT_REQUIRED_FULL: { status: 503, code: -32000, message: 'Service Unavailable: the most calls waiting for input are held (--max-input-required)' },
  // The rest answer one JSON-RPC request inside a 200 response or an SSE event, never a whole POST.
  DUPLICATE_REQUEST_ID: { status: 200, code: -32600, message: 'Invalid Request: this id is already in flight on the session' },
  CHILD_START_FAILED: { status: 200, code: -32002, message: 'The MCP server process could not be started' },
  CHILD_EXITED: { status: 200, code: -32003, message: 'The MCP server process exited before answering' },
  SESSION_ENDED: { status: 200, code: -32004, message: 'The session ended before the request was answered' },
  REQUEST_TIMEOUT: { status: 200, code: -32005, message: 'Request timed out' },
  TOOL_FORBIDDEN: { status: 200, code: -32006, message: 'Forbidden: this principal may not call this tool (--tool-policy)' },
} as const satisfies Record<string, WireErrorSpec>;

export type WireErrorReason = keyof typeof WIRE_ERRORS;

export type JsonRpcId = string | number | null;

export interface JsonRpcErrorBody {
  jsonrpc: '2.0';
  id: JsonRpcId;
  error: { code: number; message: string; data: { reason: WireErrorReason } & Record<string, unknown> };
}

/** The JSON-RPC error object for `reason`; `detail` is appended to the message, `data` merged in. */
export function wireError(
  reason: WireErrorReason,
  id: JsonRpcId = null,
  detail?: string,
  data?: Record<string, unknown>,
): JsonRpcErrorBody {
  const spec: WireErrorSpec = WIRE_ERRORS[reason];
  return {
    jsonrpc: '2.0',
    id,
    error: { code: spec.code, message: detail ? `${spec.message}: ${detail}` : spec.message, data: { ...data, reason } },
  };
}
