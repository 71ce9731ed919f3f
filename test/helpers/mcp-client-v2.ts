/**
 * The v2 SDK client (`@modelcontextprotocol/client`) over Streamable HTTP, in one of its three
 * era modes: `'legacy'` (its default: the 2025 `initialize` handshake), `'auto'` (probe with
 * `server/discover`, fall back to legacy) or `{ pin: '2026-07-28' }` (modern or fail).
 */
import { Client, StreamableHTTPClientTransport, type ClientCapabilities, type VersionNegotiationMode } from '@modelcontextprotocol/client';

export interface ConnectedV2Client {
  client: Client;
  transport: StreamableHTTPClientTransport;
  close(): Promise<void>;
}

/**
 * Connects as `token` (sent as `Authorization: Bearer <token>` on every request through
 * `requestInit.headers`). `mode` undefined leaves `versionNegotiation` unset: the client's default.
 * `capabilities` are declared to the server (register the handlers that answer them on `client`).
 */
export async function connectV2(url: string, token: string, mode: VersionNegotiationMode | undefined, capabilities?: ClientCapabilities): Promise<ConnectedV2Client> {
  const client = new Client(
    { name: 'mcp-sidecar-test-v2', version: '1.0.0' },
    { ...(mode === undefined ? {} : { versionNegotiation: { mode } }), ...(capabilities ? { capabilities } : {}) },
  );
  const transport = new StreamableHTTPClientTransport(new URL(url), {
    requestInit: { headers: { authorization: `Bearer ${token}` } },
  });
  await client.connect(transport);
  return {
    client,
    transport,
    close: async () => {
      // A legacy connection has a session to end; a modern one has none and sends nothing.
      if (transport.sessionId !== undefined) await transport.terminateSession().catch(() => undefined);
      await client.close();
    },
  };
}
