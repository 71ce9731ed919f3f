/** Churn on WebSocket: a raw `ws` client speaking MCP JSON-RPC frames directly. */
import { randomUUID } from 'node:crypto';
import { UpgradeRefused, WsClient, errorOf, resultText } from '../clients/ws.js';
import { expect, Unexpected } from '../outcomes.js';
import { BIG_BYTES, SLOW_CALL, type Operation, type OperationContext } from './operation.js';

const CHILD_EXITED = -32003;
const PARSE_ERROR = -32700;

/** Runs `work` on a fresh initialized WebSocket session, then closes it cleanly. */
async function withSession(context: OperationContext, work: (client: WsClient) => Promise<string>): Promise<string> {
  const client = await WsClient.open(context.baseUrl, context.token);
  try {
    await client.initialize();
    const label = await work(client);
    await client.close();
    return label;
  } finally {
    client.ws.terminate();
  }
}

async function echo(client: WsClient, text: string): Promise<void> {
  const got = resultText(await client.callTool('echo', { text }));
  expect(got === text, `echo ${JSON.stringify(text)} answered ${JSON.stringify(got.slice(0, 200))}`);
}

export const WEBSOCKET_OPERATIONS: Operation[] = [
  {
    name: 'ws.session', transport: 'websocket', weight: 4,
    run: (context) => withSession(context, async (client) => {
      for (let i = 0; i < 3; i++) await echo(client, `soak ${i} ${randomUUID()}`);
      return 'ok';
    }),
  },
  {
    name: 'ws.big', transport: 'websocket', weight: 2,
    run: (context) => withSession(context, async (client) => {
      const got = resultText(await client.callTool('big', { bytes: BIG_BYTES }));
      expect(got.length === BIG_BYTES, `big ${BIG_BYTES} answered ${got.length} characters`);
      return 'ok';
    }),
  },
  {
    name: 'ws.crash', transport: 'websocket', weight: 2,
    run: (context) => withSession(context, async (client) => {
      const { code } = errorOf(await client.callTool('crash', {}));
      expect(code === CHILD_EXITED, `crash answered code ${code}, wanted ${CHILD_EXITED} (CHILD_EXITED)`);
      await echo(client, 'after the crash');
      return 'CHILD_EXITED';
    }),
  },
  {
    name: 'ws.cut', transport: 'websocket', weight: 2,
    run: async (context) => {
      const client = await WsClient.open(context.baseUrl, context.token);
      try {
        await client.initialize();
        client.send(JSON.stringify({ jsonrpc: '2.0', id: 'slow', method: 'tools/call', params: { name: 'slow', arguments: SLOW_CALL, _meta: { progressToken: 'cut' } } }));
        const deadline = Date.now() + 20_000;
        while (!client.messages.some((message) => message.method === 'notifications/progress')) {
          if (Date.now() > deadline) throw new Unexpected('the slow call sent no progress within 20 s');
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
      } finally {
        // The raw socket is destroyed with the call in flight: no close frame.
        client.ws.terminate();
      }
      return 'cut';
    },
  },
  {
    name: 'ws.abandon', transport: 'websocket', weight: 1,
    run: async (context) => {
      const client = await WsClient.open(context.baseUrl, context.token);
      try {
        await client.initialize();
        await echo(client, 'about to be abandoned');
        // Left open and quiet: --idle-timeout ends the session and the daemon closes the socket.
        const { code } = await client.waitClosed(context.idleTimeoutMs * 4 + 10_000).catch(() => {
          throw new Unexpected(`a quiet WebSocket was not closed within ${context.idleTimeoutMs * 4 + 10_000} ms`);
        });
        return `reaped (close ${code})`;
      } finally {
        client.ws.terminate();
      }
    },
  },
  {
    name: 'ws.bad-json', transport: 'websocket', weight: 1,
    run: (context) => withSession(context, async (client) => {
      client.send('{"jsonrpc": "2.0", "id": 1, "method": ');
      const { code, reason } = errorOf(await client.answerTo(null));
      expect(code === PARSE_ERROR && reason === 'PARSE_ERROR', `a frame that is not JSON answered ${code} ${reason ?? ''}`);
      await echo(client, 'after the bad frame');
      return 'PARSE_ERROR';
    }),
  },
  {
    name: 'ws.wrong-token', transport: 'websocket', weight: 1,
    run: async (context) => {
      try {
        const client = await WsClient.open(context.baseUrl, context.wrongToken);
        client.ws.terminate();
      } catch (error) {
        if (!(error instanceof UpgradeRefused)) throw new Unexpected(`wanted a 401 to the upgrade, got ${String(error)}`);
        expect(error.status === 401 && error.reason === 'INVALID_TOKEN', `the upgrade got ${error.status} ${error.reason ?? ''}`);
        return 'INVALID_TOKEN';
      }
      throw new Unexpected('the upgrade with a wrong token was accepted');
    },
  },
];
