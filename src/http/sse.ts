/** Server-Sent Events framing for JSON-RPC messages (one message per `message` event). */
export const SSE_HEADERS = {
  'content-type': 'text/event-stream',
  'cache-control': 'no-cache, no-transform',
  connection: 'keep-alive',
  // nginx buffers proxied responses by default; a buffered event stream is a stalled one.
  'x-accel-buffering': 'no',
} as const;

/** A comment line: clients ignore it, proxies see traffic. */
export const SSE_KEEPALIVE = ': keepalive\n\n';

/** One SSE event carrying `raw`, which is a single line of JSON (no newline inside). */
export function sseEvent(raw: string, id?: string): string {
  return id === undefined ? `event: message\ndata: ${raw}\n\n` : `id: ${id}\nevent: message\ndata: ${raw}\n\n`;
}

/**
 * The 2025-11-25 priming event: an id and empty data, so the client can resume from the start of
 * the stream, and how long it should wait before it does.
 */
export function ssePriming(id: string, retryMs: number): string {
  return `id: ${id}\nretry: ${retryMs}\ndata: \n\n`;
}

/** A named event with plain data (the legacy transport's `endpoint` event). */
export function sseNamedEvent(name: string, data: string): string {
  return `event: ${name}\ndata: ${data}\n\n`;
}
