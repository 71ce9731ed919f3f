/** Raw HTTP against the daemon, for what the SDK client would never send. */
export const MCP_ACCEPT = 'application/json, text/event-stream';

export interface RawResponse {
  status: number;
  headers: Headers;
  text: string;
  json: unknown;
}

export async function rawRequest(url: string, init: RequestInit): Promise<RawResponse> {
  const response = await fetch(url, init);
  const text = await response.text();
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined; // An SSE body or plain text: callers read `text`.
  }
  return { status: response.status, headers: response.headers, text, json };
}

export function initializeBody(id: number | string = 1, protocolVersion = '2025-06-18'): string {
  return JSON.stringify({
    jsonrpc: '2.0',
    id,
    method: 'initialize',
    params: { protocolVersion, capabilities: {}, clientInfo: { name: 'raw-test', version: '1.0.0' } },
  });
}

/** Opens a session by hand; returns its id. */
export async function openSession(url: string, protocolVersion = '2025-06-18'): Promise<string> {
  const response = await rawRequest(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: MCP_ACCEPT },
    body: initializeBody(1, protocolVersion),
  });
  const id = response.headers.get('mcp-session-id');
  if (response.status !== 200 || !id) throw new Error(`initialize failed: ${response.status} ${response.text}`);
  await rawRequest(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: MCP_ACCEPT, 'mcp-session-id': id, 'mcp-protocol-version': protocolVersion },
    body: JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }),
  });
  return id;
}

/** Headers of a request on an open session. */
export function sessionHeaders(sessionId: string, protocolVersion = '2025-06-18'): Record<string, string> {
  return { 'content-type': 'application/json', accept: MCP_ACCEPT, 'mcp-session-id': sessionId, 'mcp-protocol-version': protocolVersion };
}

/** Ends a session with DELETE; resolves with the status. */
export function deleteSession(daemon: { url: string }, sessionId: string): Promise<number> {
  return rawRequest(daemon.url, { method: 'DELETE', headers: sessionHeaders(sessionId) }).then((response) => response.status);
}

/**
 * Starts the echo fixture's `slow` tool with a progress token and resolves once its first progress
 * event arrived (the request is in flight at the child); `rest` resolves with the whole SSE body.
 */
export async function startSlowCall(
  url: string, sessionId: string, id: number, options: { ms: number; steps: number; headers?: Record<string, string> },
): Promise<{ rest: Promise<string> }> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { ...sessionHeaders(sessionId), ...options.headers },
    body: JSON.stringify({ jsonrpc: '2.0', id, method: 'tools/call', params: { name: 'slow', arguments: { ms: options.ms, steps: options.steps }, _meta: { progressToken: `p${id}` } } }),
  });
  if (response.status !== 200) throw new Error(`slow call ${id}: status ${response.status}`);
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  let text = '';
  while (!text.includes('notifications/progress')) {
    const chunk = await reader.read();
    if (chunk.done) throw new Error(`the call ended before any progress: ${text}`);
    text += decoder.decode(chunk.value, { stream: true });
  }
  const rest = (async (): Promise<string> => {
    for (;;) {
      const chunk = await reader.read();
      if (chunk.done) return text;
      text += decoder.decode(chunk.value, { stream: true });
    }
  })();
  return { rest };
}
