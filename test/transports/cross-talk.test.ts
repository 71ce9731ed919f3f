/**
 * Sessions never see each other's messages, whatever carries them. Two SDK clients on each
 * transport, then one on every transport at once, run interleaved work against one daemon: calls
 * with distinct payloads, progress, logging and a server→client request each. What each client's
 * transport received must be exactly its own answers and notifications, and its SDK client must
 * have met nothing it could not place (an unknown response id, a stray notification). Then the
 * metrics, by transport.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Client, ClientOptions } from '@modelcontextprotocol/sdk/client/index.js';
import { ElicitRequestSchema, LoggingMessageNotificationSchema, type JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import { startDaemon, type TestDaemon } from '../helpers/daemon.js';
import { metricSum } from '../helpers/metrics.js';
import { childPidOf, connectSseClient, connectWsClient, tapMessages } from '../helpers/legacy-clients.js';
import { connectClient, textOf } from '../helpers/mcp-client.js';
import { waitFor } from '../helpers/poll.js';

type Transport = 'sse' | 'websocket' | 'streamable-http';

interface Connected {
  client: Client;
  received: JSONRPCMessage[];
  close(): Promise<void>;
}

const CONNECT: Record<Transport, (daemon: TestDaemon, options: ClientOptions) => Promise<Connected>> = {
  sse: (daemon, options) => connectSseClient(daemon, options),
  websocket: (daemon, options) => connectWsClient(daemon, options),
  'streamable-http': async (daemon, options) => {
    const connected = await connectClient(daemon.url, options);
    return { ...connected, received: tapMessages(connected.transport) };
  },
};

/** A client on `transport` that answers elicitation with its own name and reports what it cannot place. */
async function connectNamed(daemon: TestDaemon, transport: Transport, name: string): Promise<Connected & { name: string; stray: unknown[]; pid: number }> {
  const connected = await CONNECT[transport](daemon, { capabilities: { elicitation: {} } });
  const { client } = connected;
  const stray: unknown[] = [];
  client.setRequestHandler(ElicitRequestSchema, () => ({ action: 'accept', content: { answer: name } }));
  client.setNotificationHandler(LoggingMessageNotificationSchema, () => undefined);
  client.fallbackNotificationHandler = (notification) => {
    stray.push(notification);
    return Promise.resolve();
  };
  // A last progress that came in its answer's read is reported as an unknown token (see
  // tapMessages); progress is checked on what the transport received instead.
  client.onerror = (error) => {
    if (!error.message.startsWith('Received a progress notification for an unknown token')) stray.push(error.message);
  };
  await client.setLoggingLevel('info');
  return { ...connected, name, stray, pid: await childPidOf(client) };
}

/** Interleaved work for client `k`: every answer and notification it brings names or counts for `k`. */
async function work(client: Client, name: string, k: number): Promise<void> {
  const steps = 3 + k;
  await Promise.all([
    client.callTool({ name: 'slow', arguments: { ms: 60 * steps, steps } }, undefined, { onprogress: () => undefined }),
    ...Array.from({ length: 10 }, (_, i) => client.callTool({ name: 'echo', arguments: { text: `${name}-${i}` } })),
    client.callTool({ name: 'ask', arguments: { message: `question for ${name}` } }),
    client.callTool({ name: 'log', arguments: { count: 2 + k } }),
  ]);
}

/** Everything client `k` received during `work`, and nothing else. */
function assertOwn(received: JSONRPCMessage[], name: string, k: number): void {
  const steps = 3 + k;
  const kinds = { answers: [] as string[], progress: [] as { progress: number; total: number }[], asked: [] as string[], logs: [] as unknown[], other: [] as unknown[] };
  for (const message of received) {
    if ('result' in message) kinds.answers.push(textOf(message.result));
    else if (!('method' in message)) kinds.other.push(message);
    else if (message.method === 'notifications/progress') {
      const { progress, total } = message.params as { progress: number; total: number };
      kinds.progress.push({ progress, total });
    }
    else if (message.method === 'elicitation/create') kinds.asked.push((message.params as { message: string }).message);
    else if (message.method === 'notifications/message') kinds.logs.push((message.params as { data: unknown }).data);
    else kinds.other.push(message);
  }
  const answer = `answer: ${JSON.stringify({ action: 'accept', content: { answer: name } })}`;
  const expected = [...Array.from({ length: 10 }, (_, i) => `${name}-${i}`), `slept ${60 * steps}`, answer, `logged ${2 + k}`];
  assert.deepEqual(kinds.answers.sort(), expected.sort(), `${name} answers`);
  assert.deepEqual(kinds.progress, Array.from({ length: steps }, (_, i) => ({ progress: i + 1, total: steps })), `${name} progress`);
  assert.deepEqual(kinds.asked, [`question for ${name}`], `${name} elicitation`);
  assert.deepEqual(kinds.logs, Array.from({ length: 2 + k }, (_, i) => `line ${i + 1}`), `${name} logs`);
  assert.deepEqual(kinds.other, [], `${name} other messages`);
}

/** Runs the work on one client per entry of `transports`, all at once, and checks each saw only its own. */
async function runIsolated(daemon: TestDaemon, transports: Transport[]): Promise<void> {
  const clients = await Promise.all(transports.map((transport, k) => connectNamed(daemon, transport, `${transport}-${k}`)));
  try {
    assert.equal(new Set(clients.map(({ pid }) => pid)).size, clients.length, 'a child for each connection');
    // Twice, so the second round interleaves with whatever the first left in flight anywhere.
    for (let round = 0; round < 2; round++) {
      for (const { received } of clients) received.length = 0;
      await Promise.all(clients.map(({ client, name }, k) => work(client, name, k)));
      clients.forEach(({ received, name }, k) => assertOwn(received, name, k));
    }
    for (const { name, stray } of clients) assert.deepEqual(stray, [], `${name} got messages it could not place`);
  } finally {
    await Promise.all(clients.map(({ close }) => close()));
  }
}


describe('sessions never see each other\'s messages', () => {
  let daemon: TestDaemon;
  before(async () => {
    daemon = await startDaemon({ fixture: { name: 'echo-server' } });
  });
  after(async () => {
    await daemon.close();
  });

  it('two legacy SSE connections', async () => {
    await runIsolated(daemon, ['sse', 'sse']);
  });

  it('two WebSocket connections', async () => {
    await runIsolated(daemon, ['websocket', 'websocket']);
  });

  it('one connection on every transport at once', async () => {
    await runIsolated(daemon, ['sse', 'websocket', 'streamable-http', 'websocket', 'sse']);
  });

  it('counts sessions and requests by transport', async () => {
    const transports: Transport[] = ['sse', 'websocket', 'streamable-http'];
    const started = async (transport: Transport): Promise<number> => metricSum(daemon.baseUrl, 'mcp_sidecar_sessions_started_total', { transport });
    const calls = async (transport: Transport): Promise<number> => metricSum(daemon.baseUrl, 'mcp_sidecar_requests_total', { transport, method: 'tools/call', outcome: 'success' });
    const before = await Promise.all(transports.map(async (transport) => ({ started: await started(transport), calls: await calls(transport) })));
    const clients = await Promise.all(transports.map((transport) => CONNECT[transport](daemon, {})));
    try {
      for (const [i, { client }] of clients.entries()) {
        for (let call = 0; call <= i; call++) await client.callTool({ name: 'echo', arguments: { text: `call ${call}` } });
      }
      for (const [i, transport] of transports.entries()) {
        assert.equal(await started(transport) - (before[i]?.started ?? 0), 1, `${transport} sessions started`);
        assert.equal(await metricSum(daemon.baseUrl, 'mcp_sidecar_sessions_active', { transport }), 1, `${transport} sessions active`);
        assert.equal(await calls(transport) - (before[i]?.calls ?? 0), i + 1, `${transport} tools/call`);
        assert.equal(await metricSum(daemon.baseUrl, 'mcp_sidecar_slow_clients_disconnected_total', { transport }), 0, `${transport} slow clients`);
      }
      assert.equal(await metricSum(daemon.baseUrl, 'mcp_sidecar_websocket_dead_peers_total', {}), 0);
    } finally {
      await Promise.all(clients.map(({ close }) => close()));
    }
    for (const transport of transports) {
      await waitFor(async () => (await metricSum(daemon.baseUrl, 'mcp_sidecar_sessions_active', { transport })) === 0, { what: `no ${transport} session active` });
    }
  });
});
