// The demo MCP server that ships with mcp-sidecar, so `mcp-sidecar` can be tried without
// installing any other server. It is a plain stdio server built on the SDK: the sidecar
// treats it exactly like any third-party command.
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { z } from 'zod';

const README = [
  'mcp-sidecar demo server',
  '',
  'This is the small MCP server bundled with mcp-sidecar. It runs as a stdio child process,',
  'one per session, and mcp-sidecar exposes it over Streamable HTTP.',
  'Tools: echo, add, time. Prompt: summarize. Resource: demo://readme (this text).',
].join('\n');

const server = new McpServer({ name: 'mcp-sidecar-demo', version: '0.1.0' });

server.registerTool(
  'echo',
  { description: 'Return the text unchanged', inputSchema: { text: z.string() } },
  ({ text }) => ({ content: [{ type: 'text', text }] }),
);

server.registerTool(
  'add',
  { description: 'Add two numbers', inputSchema: { a: z.number(), b: z.number() } },
  ({ a, b }) => ({ content: [{ type: 'text', text: String(a + b) }] }),
);

server.registerTool('time', { description: 'Current time in ISO 8601 (UTC)' }, () => ({
  content: [{ type: 'text', text: new Date().toISOString() }],
}));

server.registerResource(
  'readme',
  'demo://readme',
  { description: 'What this server is', mimeType: 'text/plain' },
  (uri) => ({ contents: [{ uri: uri.href, mimeType: 'text/plain', text: README }] }),
);

server.registerPrompt(
  'summarize',
  { description: 'Ask the model to summarize a text', argsSchema: { text: z.string() } },
  ({ text }) => ({
    messages: [{ role: 'user', content: { type: 'text', text: `Please summarize the following text:\n\n${text}` } }],
  }),
);

// The SDK transport does not exit on stdin EOF; the sidecar's stop ladder relies on it.
process.stdin.once('end', () => process.exit(0));
await server.connect(new StdioServerTransport());
