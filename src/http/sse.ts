/** Server-Sent Events framing for JSON-RPC messages (one message per `message` event). */
export const SSE_HEADERS = {
  'content-type': 'text/event-stream',
  'cache-control': 'no-cache, no-transform',
  connection: 'keep-alive',
  // nginx buffers proxied responses by default; a buffered event stream is a stalled one.
  'x-accel-buffering': 'no',
} as const;

/** One SSE event carrying `raw`, which is a single line of JSON (no newline inside). */
export function sseEvent(raw: string): string {
  return `event: message\ndata: ${raw}\n\n`;
}
