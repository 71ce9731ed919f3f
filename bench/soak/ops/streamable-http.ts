/** Churn on Streamable HTTP: the SDK client for sessions, raw fetch for cuts and refusals. */
import { randomUUID } from 'node:crypto';
import { big, connectStreamable, echo, errorCodeOf } from '../clients/sdk.js';
import { bearer, deleteSession, initializeBody, MCP_ACCEPT, openSession, refusedWith, send, sessionHeaders } from '../clients/http.js';
import { expect, Unexpected } from '../outcomes.js';
import { BIG_BYTES, SLOW_CALL, type Operation, type OperationContext } from './operation.js';

const CHILD_EXITED = -32003;

function endpoint(context: OperationContext): string {
  return `${context.baseUrl}/mcp`;
}

/** Runs `work` on a fresh SDK session, then ends it with DELETE and closes the client. */
async function withSession(context: OperationContext, work: (client: Awaited<ReturnType<typeof connectStreamable>>['client']) => Promise<string>): Promise<string> {
  const { client, transport } = await connectStreamable(context.baseUrl, context.token);
  try {
    const label = await work(client);
    await transport.terminateSession();
    return label;
  } finally {
    await client.close();
  }
}

/** POSTs a slow call, reads its stream until the first progress event, then aborts the fetch. */
async function cutSlowCall(context: OperationContext, sessionId: string): Promise<void> {
  const abort = new AbortController();
  const response = await fetch(endpoint(context), {
    method: 'POST',
    headers: sessionHeaders(context.token, sessionId),
    body: JSON.stringify({ jsonrpc: '2.0', id: 7, method: 'tools/call', params: { name: 'slow', arguments: SLOW_CALL, _meta: { progressToken: 'cut' } } }),
    signal: abort.signal,
  });
  expect(response.status === 200 && response.body !== null, `slow call: status ${response.status}`);
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  let text = '';
  while (!text.includes('notifications/progress')) {
    const chunk = await reader.read();
    if (chunk.done) throw new Unexpected(`the slow call ended before any progress: ${text.slice(0, 300)}`);
    text += decoder.decode(chunk.value, { stream: true });
  }
  abort.abort();
  await reader.cancel().catch(() => undefined); // Already aborted: the cut is the point.
}

export const STREAMABLE_HTTP_OPERATIONS: Operation[] = [
  {
    name: 'http.session', transport: 'streamable-http', weight: 6,
    run: (context) => withSession(context, async (client) => {
      for (let i = 0; i < 3; i++) await echo(client, `soak ${i} ${randomUUID()}`);
      return 'ok';
    }),
  },
  {
    name: 'http.big', transport: 'streamable-http', weight: 2,
    run: (context) => withSession(context, async (client) => {
      await big(client, BIG_BYTES);
      return 'ok';
    }),
  },
  {
    name: 'http.crash', transport: 'streamable-http', weight: 2,
    run: (context) => withSession(context, async (client) => {
      const code = await errorCodeOf(client.callTool({ name: 'crash', arguments: {} }));
      expect(code === CHILD_EXITED, `crash answered code ${code}, wanted ${CHILD_EXITED} (CHILD_EXITED)`);
      // The session survives on a restarted child (--restart on-failure).
      await echo(client, 'after the crash');
      return 'CHILD_EXITED';
    }),
  },
  {
    name: 'http.abandon', transport: 'streamable-http', weight: 2,
    run: async (context) => {
      const { client } = await connectStreamable(context.baseUrl, context.token);
      await echo(client, 'about to be abandoned');
      // close() ends the GET stream but sends no DELETE: only --idle-timeout ends this session.
      await client.close();
      return 'abandoned';
    },
  },
  {
    name: 'http.cut', transport: 'streamable-http', weight: 2,
    run: async (context) => {
      const sessionId = await openSession(endpoint(context), context.token);
      await cutSlowCall(context, sessionId);
      const status = await deleteSession(endpoint(context), context.token, sessionId);
      expect(status === 200, `DELETE after the cut answered ${status}`);
      return 'cut';
    },
  },
  {
    name: 'http.bad-json', transport: 'streamable-http', weight: 1,
    run: async (context) => refusedWith(await send(endpoint(context), {
      method: 'POST', headers: { ...bearer(context.token), 'content-type': 'application/json', accept: MCP_ACCEPT }, body: '{"jsonrpc": "2.0", "id": 1, "method": ',
    }), 400, 'PARSE_ERROR'),
  },
  {
    name: 'http.wrong-accept', transport: 'streamable-http', weight: 1,
    run: async (context) => refusedWith(await send(endpoint(context), {
      method: 'POST', headers: { ...bearer(context.token), 'content-type': 'application/json', accept: 'application/json' }, body: initializeBody(),
    }), 406, 'NOT_ACCEPTABLE'),
  },
  {
    name: 'http.unknown-session', transport: 'streamable-http', weight: 1,
    run: async (context) => refusedWith(await send(endpoint(context), {
      method: 'POST', headers: sessionHeaders(context.token, `soak-${randomUUID()}`), body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list', params: {} }),
    }), 404, 'SESSION_NOT_FOUND'),
  },
  {
    name: 'http.wrong-token', transport: 'streamable-http', weight: 1,
    run: async (context) => refusedWith(await send(endpoint(context), {
      method: 'POST', headers: { ...bearer(context.wrongToken), 'content-type': 'application/json', accept: MCP_ACCEPT }, body: initializeBody(),
    }), 401, 'INVALID_TOKEN'),
  },
  {
    name: 'http.no-token', transport: 'streamable-http', weight: 1,
    run: async (context) => refusedWith(await send(endpoint(context), {
      method: 'POST', headers: { 'content-type': 'application/json', accept: MCP_ACCEPT }, body: initializeBody(),
    }), 401, 'UNAUTHORIZED'),
  },
];
