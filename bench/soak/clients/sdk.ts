/** The SDK's own clients, as real users connect: Streamable HTTP and legacy HTTP+SSE, with a bearer token. */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { McpError } from '@modelcontextprotocol/sdk/types.js';
import { expect, Unexpected } from '../outcomes.js';
import { bearer } from './http.js';

export interface Connected<T> {
  client: Client;
  transport: T;
}

function newClient(): Client {
  return new Client({ name: 'mcp-sidecar-soak', version: '1.0.0' });
}

export async function connectStreamable(baseUrl: string, token: string): Promise<Connected<StreamableHTTPClientTransport>> {
  const client = newClient();
  const transport = new StreamableHTTPClientTransport(new URL(`${baseUrl}/mcp`), { requestInit: { headers: bearer(token) } });
  await client.connect(transport);
  return { client, transport };
}

export async function connectLegacySse(baseUrl: string, token: string): Promise<Connected<SSEClientTransport>> {
  const client = newClient();
  const transport = new SSEClientTransport(new URL(`${baseUrl}/sse`), { requestInit: { headers: bearer(token) } });
  await client.connect(transport);
  return { client, transport };
}

export function textOf(result: unknown): string {
  const content = (result as { content?: { type: string; text?: string }[] }).content ?? [];
  return content.map((part) => part.text ?? '').join('');
}

/** Calls echo and checks the text came back unchanged. */
export async function echo(client: Client, text: string): Promise<void> {
  const got = textOf(await client.callTool({ name: 'echo', arguments: { text } }));
  expect(got === text, `echo ${JSON.stringify(text)} answered ${JSON.stringify(got.slice(0, 200))}`);
}

/** Calls big and checks the size of what came back. */
export async function big(client: Client, bytes: number): Promise<void> {
  const got = textOf(await client.callTool({ name: 'big', arguments: { bytes } }));
  expect(got.length === bytes && /^x*$/.test(got), `big ${bytes} answered ${got.length} characters`);
}

/** The JSON-RPC error code a call rejected with; throws Unexpected if it did not reject. */
export async function errorCodeOf(call: Promise<unknown>): Promise<number> {
  try {
    const result = await call;
    throw new Unexpected(`wanted an error, got ${JSON.stringify(result).slice(0, 300)}`);
  } catch (error) {
    if (error instanceof Unexpected) throw error;
    if (error instanceof McpError) return error.code;
    throw new Unexpected(`wanted an MCP error, got ${String(error)}`);
  }
}
