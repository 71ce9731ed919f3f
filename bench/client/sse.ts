/** The JSON messages in a complete `text/event-stream` body (the `data:` of each event). */
export function sseMessages(body: string): unknown[] {
  const messages: unknown[] = [];
  let data: string[] = [];
  const dispatch = (): void => {
    if (data.length > 0) messages.push(JSON.parse(data.join('\n')));
    data = [];
  };
  for (const rawLine of body.split('\n')) {
    const line = rawLine.endsWith('\r') ? rawLine.slice(0, -1) : rawLine;
    if (line === '') dispatch();
    else if (line.startsWith('data:')) data.push(line.slice(line.startsWith('data: ') ? 6 : 5));
    // id:, event:, retry: and comments carry nothing the bench needs.
  }
  dispatch();
  return messages;
}
