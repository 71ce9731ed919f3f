/** The SDK's own client over Streamable HTTP, as real users connect. */
import { Client, type ClientOptions } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport, type StreamableHTTPClientTransportOptions } from '@modelcontextprotocol/sdk/client/streamableHttp.js';

export interface ConnectedClient {
  client: Client;
  transport: StreamableHTTPClientTransport;
  close(): Promise<void>;
}

export async function connectClient(
  url: string, options: ClientOptions = {}, transportOptions: StreamableHTTPClientTransportOptions = {},
): Promise<ConnectedClient> {
  const client = new Client({ name: 'mcp-sidecar-test', version: '1.0.0' }, options);
  const transport = new StreamableHTTPClientTransport(new URL(url), transportOptions);
  await client.connect(transport);
  return {
    client,
    transport,
    close: async () => {
      await transport.terminateSession().catch(() => undefined);
      await client.close();
    },
  };
}

/** The text of a tool result's content parts, joined. */
export function textOf(result: unknown): string {
  const content = (result as { content: { type: string; text?: string }[] }).content;
  return content.map((part) => part.text ?? '').join('');
}
