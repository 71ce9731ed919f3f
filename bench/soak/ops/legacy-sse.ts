/** Churn on legacy HTTP+SSE (2024-11-05): the SDK's SSE client for sessions, raw fetch for refusals. */
import { randomUUID } from 'node:crypto';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { bearer, refusedWith, send } from '../clients/http.js';
import { big, connectLegacySse, echo, errorCodeOf } from '../clients/sdk.js';
import { expect } from '../outcomes.js';
import { BIG_BYTES, SLOW_CALL, type Operation, type OperationContext } from './operation.js';

const CHILD_EXITED = -32003;

/** Runs `work` on a fresh legacy SSE session, then closes the stream (which ends the session). */
async function withSession(context: OperationContext, work: (client: Client) => Promise<string>): Promise<string> {
  const { client } = await connectLegacySse(context.baseUrl, context.token);
  try {
    return await work(client);
  } finally {
    await client.close();
  }
}

export const LEGACY_SSE_OPERATIONS: Operation[] = [
  {
    name: 'sse.session', transport: 'legacy-sse', weight: 4,
    run: (context) => withSession(context, async (client) => {
      for (let i = 0; i < 3; i++) await echo(client, `soak ${i} ${randomUUID()}`);
      return 'ok';
    }),
  },
  {
    name: 'sse.big', transport: 'legacy-sse', weight: 2,
    run: (context) => withSession(context, async (client) => {
      await big(client, BIG_BYTES);
      return 'ok';
    }),
  },
  {
    name: 'sse.crash', transport: 'legacy-sse', weight: 2,
    run: (context) => withSession(context, async (client) => {
      const code = await errorCodeOf(client.callTool({ name: 'crash', arguments: {} }));
      expect(code === CHILD_EXITED, `crash answered code ${code}, wanted ${CHILD_EXITED} (CHILD_EXITED)`);
      await echo(client, 'after the crash');
      return 'CHILD_EXITED';
    }),
  },
  {
    name: 'sse.cut', transport: 'legacy-sse', weight: 2,
    run: async (context) => {
      const { client } = await connectLegacySse(context.baseUrl, context.token);
      let progressed = false;
      const call = client.callTool({ name: 'slow', arguments: SLOW_CALL }, undefined, { onprogress: () => { progressed = true; } });
      const settled = call.then(() => 'answered', () => 'rejected');
      // The stream is cut as soon as the call is known to be running at the child.
      const deadline = Date.now() + 20_000;
      while (!progressed && Date.now() < deadline) await Promise.race([settled, new Promise((resolve) => setTimeout(resolve, 20))]);
      expect(progressed, 'the slow call sent no progress within 20 s');
      await client.close();
      expect(await settled === 'rejected', 'the cut call was answered');
      return 'cut';
    },
  },
  {
    name: 'sse.wrong-token', transport: 'legacy-sse', weight: 1,
    run: async (context) => refusedWith(await send(`${context.baseUrl}/sse`, {
      method: 'GET', headers: { ...bearer(context.wrongToken), accept: 'text/event-stream' },
    }), 401, 'INVALID_TOKEN'),
  },
  {
    name: 'sse.unknown-session', transport: 'legacy-sse', weight: 1,
    run: async (context) => refusedWith(await send(`${context.baseUrl}/messages?sessionId=${randomUUID()}`, {
      method: 'POST', headers: { ...bearer(context.token), 'content-type': 'application/json' }, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list', params: {} }),
    }), 404, 'SESSION_NOT_FOUND'),
  },
];
