/** What every phase drives: one MCP session, over HTTP through a bridge or over the floor's pipes. */

export interface McpSession {
  /** `tools/call`; resolves with the text of the result's first content, rejects on any error. */
  callTool(name: string, args: Record<string, unknown>): Promise<string>;
  /** Ends the session (DELETE, or stdin EOF for the floor). Never rejects. */
  close(): Promise<void>;
}

/** The protocol revision the bench clients ask for. */
export const PROTOCOL_VERSION = '2025-06-18';

export const CLIENT_INFO = { name: 'mcp-sidecar-bench', version: '1.0.0' };

export function initializeParams(): Record<string, unknown> {
  return { protocolVersion: PROTOCOL_VERSION, capabilities: {}, clientInfo: CLIENT_INFO };
}

interface RpcAnswer {
  result?: unknown;
  error?: { code?: unknown; message?: unknown };
}

/** The `result` of a JSON-RPC answer; throws with the error's code and message otherwise. */
export function resultOf(answer: unknown, what: string): unknown {
  const { result, error } = (answer ?? {}) as RpcAnswer;
  if (error) throw new Error(`${what}: JSON-RPC error ${String(error.code)} ${String(error.message)}`);
  if (result === undefined) throw new Error(`${what}: answer has neither result nor error`);
  return result;
}

/** The text of a tools/call result's first content. */
export function toolText(answer: unknown, tool: string): string {
  const result = resultOf(answer, `tools/call ${tool}`) as { content?: Array<{ text?: unknown }>; isError?: unknown };
  const text = result.content?.[0]?.text;
  if (result.isError === true) throw new Error(`tools/call ${tool}: tool error ${String(text)}`);
  if (typeof text !== 'string') throw new Error(`tools/call ${tool}: result has no text content`);
  return text;
}
