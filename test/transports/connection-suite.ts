/**
 * The end-to-end suite every connection-bound transport (legacy HTTP+SSE, WebSocket) passes with
 * the SDK's own client against the real daemon in front of the echo fixture: tools, progress and
 * logging on the connection, server→client requests, one child per connection, and the child
 * stopped when the connection closes. Each transport's test file runs it with its own client.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  CreateMessageRequestSchema,
  ElicitRequestSchema,
  ListRootsRequestSchema,
  LoggingMessageNotificationSchema,
  ResourceUpdatedNotificationSchema,
} from '@modelcontextprotocol/sdk/types.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { startDaemon, type TestDaemon } from '../helpers/daemon.js';
import type { ClientOptions } from '@modelcontextprotocol/sdk/client/index.js';
import { childPidOf, progressIn, type DaemonAddress, type SdkConnection } from '../helpers/legacy-clients.js';
import { textOf } from '../helpers/mcp-client.js';
import { waitFor } from '../helpers/poll.js';
import { isAlive } from '../helpers/process-table.js';

export interface ConnectionTransport {
  name: string;
  connect(daemon: DaemonAddress, options?: ClientOptions): Promise<SdkConnection<Transport>>;
  /** What proves the session is gone once its connection closed (`sessionId` from the log). */
  afterClose(daemon: TestDaemon, sessionId: string): Promise<void>;
}

export function describeConnectionTransport(transport: ConnectionTransport): void {
  describe(`${transport.name} with the SDK client`, () => {
    let daemon: TestDaemon;
    before(async () => {
      daemon = await startDaemon({ fixture: { name: 'echo-server' } });
    });
    after(async () => {
      await daemon.close();
    });

    it('initializes, lists and calls tools', async () => {
      const { client, close } = await transport.connect(daemon);
      try {
        assert.equal(client.getServerVersion()?.name, 'echo-fixture');
        const tools = await client.listTools();
        assert.ok(tools.tools.some((tool) => tool.name === 'echo'));
        assert.equal(textOf(await client.callTool({ name: 'echo', arguments: { text: 'héllo 🚀' } })), 'héllo 🚀');
      } finally {
        await close();
      }
    });

    it('gives each connection its own child', async () => {
      const a = await transport.connect(daemon);
      const b = await transport.connect(daemon);
      try {
        const [pidA, pidB] = await Promise.all([childPidOf(a.client), childPidOf(b.client)]);
        assert.notEqual(pidA, pidB);
        assert.ok(isAlive(pidA) && isAlive(pidB));
      } finally {
        await a.close();
        await b.close();
      }
    });

    it('stops the child down the ladder when the connection closes, and the session is gone', async () => {
      const { client, close } = await transport.connect(daemon);
      const pid = await childPidOf(client);
      const opened = await daemon.waitForLog((line) => line.msg === 'session opened' && line.pid === pid, 5000, 'the session to be logged');
      const sessionId = opened.sessionId as string;
      await close();
      const stopped = await daemon.waitForLog(
        (line) => line.msg.startsWith('child was stopped (session-end)') && line.pid === pid, 10_000, 'the child to be stopped');
      assert.equal((stopped.exit as { stoppedBy?: string }).stoppedBy, 'eof', 'the echo fixture goes at the first rung: stdin EOF');
      await waitFor(() => !isAlive(pid), { what: `child ${pid} to exit` });
      await transport.afterClose(daemon, sessionId);
    });

    it('delivers progress notifications to the request that asked for them', async () => {
      const { client, received, close } = await transport.connect(daemon);
      try {
        const seen: number[] = [];
        const result = await client.callTool({ name: 'slow', arguments: { ms: 200, steps: 4 } }, undefined, {
          onprogress: (progress) => seen.push(progress.progress),
        });
        assert.equal(textOf(result), 'slept 200');
        // All four reached the client, before the answer...
        assert.deepEqual(progressIn(received), [1, 2, 3, 4]);
        assert.equal(received.findIndex((message) => 'result' in message), received.length - 1);
        // ...and onprogress saw them in order, but for the last one when it came in the answer's read (see tapMessages).
        assert.deepEqual(seen, [1, 2, 3, 4].slice(0, Math.max(seen.length, 3)));
      } finally {
        await close();
      }
    });

    it('delivers logging sent during a call', async () => {
      const { client, close } = await transport.connect(daemon);
      try {
        const lines: unknown[] = [];
        client.setNotificationHandler(LoggingMessageNotificationSchema, (notification) => {
          lines.push(notification.params.data);
        });
        await client.setLoggingLevel('info');
        assert.equal(textOf(await client.callTool({ name: 'log', arguments: { count: 3 } })), 'logged 3');
        assert.deepEqual(lines, ['line 1', 'line 2', 'line 3']);
      } finally {
        await close();
      }
    });

    it('relays elicitation, sampling and roots requests to the client and their answers back', async () => {
      const { client, close } = await transport.connect(daemon, {
        capabilities: { elicitation: {}, sampling: {}, roots: { listChanged: true } },
      });
      try {
        const asked: string[] = [];
        client.setRequestHandler(ElicitRequestSchema, (request) => {
          asked.push(request.params.message);
          return { action: 'accept', content: { answer: 'forty-two' } };
        });
        client.setRequestHandler(CreateMessageRequestSchema, () => ({
          role: 'assistant', model: 'test-model', content: { type: 'text', text: 'sampled text' },
        }));
        client.setRequestHandler(ListRootsRequestSchema, () => ({ roots: [{ uri: 'file:///work', name: 'work' }] }));
        assert.equal(textOf(await client.callTool({ name: 'ask', arguments: { message: 'what is it?' } })),
          'answer: {"action":"accept","content":{"answer":"forty-two"}}');
        assert.deepEqual(asked, ['what is it?']);
        assert.equal(textOf(await client.callTool({ name: 'sample', arguments: { prompt: 'hi' } })), 'sampled: sampled text');
        assert.match(textOf(await client.callTool({ name: 'roots', arguments: {} })), /file:\/\/\/work/);
      } finally {
        await close();
      }
    });

    it('answers concurrent calls of one session each with its own result', async () => {
      const { client, close } = await transport.connect(daemon);
      try {
        const texts = await Promise.all(
          Array.from({ length: 20 }, (_, i) => client.callTool({ name: 'echo', arguments: { text: `call ${i}` } }).then(textOf)),
        );
        assert.deepEqual(texts, Array.from({ length: 20 }, (_, i) => `call ${i}`));
      } finally {
        await close();
      }
    });

    it('carries tool errors and JSON-RPC errors as the child sent them', async () => {
      const { client, close } = await transport.connect(daemon);
      try {
        assert.equal((await client.callTool({ name: 'fail', arguments: {} })).isError, true);
        await assert.rejects(client.callTool({ name: 'throw', arguments: {} }), /thrown on purpose/);
      } finally {
        await close();
      }
    });

    it('delivers a notification outside any request on the same connection', async () => {
      const { client, close } = await transport.connect(daemon);
      try {
        const updated: string[] = [];
        client.setNotificationHandler(ResourceUpdatedNotificationSchema, (notification) => {
          updated.push(notification.params.uri);
        });
        await client.subscribeResource({ uri: 'fixture://static' });
        await waitFor(() => updated.length > 0, { timeoutMs: 5000, what: 'notifications/resources/updated' });
        assert.deepEqual(updated, ['fixture://static']);
      } finally {
        await close();
      }
    });
  });
}
