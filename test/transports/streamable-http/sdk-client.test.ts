/**
 * End to end with the SDK's own Client over Streamable HTTP, against the real daemon in front of
 * the echo fixture: tools, progress and logging on the request's stream, server→client requests
 * (elicitation, sampling, roots) and large results.
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
import { connectClient, textOf } from '../../helpers/mcp-client.js';
import { startDaemon, type TestDaemon } from '../../helpers/daemon.js';

describe('Streamable HTTP with the SDK client', () => {
  let daemon: TestDaemon;
  before(async () => {
    daemon = await startDaemon({ fixture: { name: 'echo-server' } });
  });
  after(async () => {
    await daemon.close();
  });

  it('initializes, lists and calls tools, and ends the session with DELETE', async () => {
    const { client, transport, close } = await connectClient(daemon.url);
    assert.match(transport.sessionId ?? '', /^[\x21-\x7E]{20,}$/);
    const tools = await client.listTools();
    assert.ok(tools.tools.some((tool) => tool.name === 'echo'));
    assert.equal(textOf(await client.callTool({ name: 'echo', arguments: { text: 'héllo 🚀' } })), 'héllo 🚀');
    const pid = (await client.callTool({ name: 'pid', arguments: {} }));
    const childPid = (JSON.parse(textOf(pid)) as { pid: number }).pid;
    await close();
    await daemon.waitForLog((line) => line.msg.startsWith('child was stopped (session-end)') && line.pid === childPid, 10_000, 'the child to be stopped');
  });

  it('gives each session its own child', async () => {
    const a = await connectClient(daemon.url);
    const b = await connectClient(daemon.url);
    const pidA = JSON.parse(textOf(await a.client.callTool({ name: 'pid', arguments: {} }))) as { pid: number };
    const pidB = JSON.parse(textOf(await b.client.callTool({ name: 'pid', arguments: {} }))) as { pid: number };
    assert.notEqual(pidA.pid, pidB.pid);
    await a.close();
    await b.close();
  });

  it('delivers progress notifications on the request that asked for them', async () => {
    const { client, close } = await connectClient(daemon.url);
    const seen: number[] = [];
    const result = await client.callTool({ name: 'slow', arguments: { ms: 200, steps: 4 } }, undefined, {
      onprogress: (progress) => seen.push(progress.progress),
    });
    assert.equal(textOf(result), 'slept 200');
    assert.deepEqual(seen, [1, 2, 3, 4]);
    await close();
  });

  it('delivers logging sent during a call', async () => {
    const { client, close } = await connectClient(daemon.url);
    const lines: unknown[] = [];
    client.setNotificationHandler(LoggingMessageNotificationSchema, (notification) => {
      lines.push(notification.params.data);
    });
    await client.setLoggingLevel('info');
    assert.equal(textOf(await client.callTool({ name: 'log', arguments: { count: 3 } })), 'logged 3');
    assert.deepEqual(lines, ['line 1', 'line 2', 'line 3']);
    await close();
  });

  it('relays elicitation, sampling and roots requests to the client and their answers back', async () => {
    const { client, close } = await connectClient(daemon.url, {
      capabilities: { elicitation: {}, sampling: {}, roots: { listChanged: true } },
    });
    client.setRequestHandler(ElicitRequestSchema, () => ({ action: 'accept', content: { answer: 'forty-two' } }));
    client.setRequestHandler(CreateMessageRequestSchema, () => ({
      role: 'assistant', model: 'test-model', content: { type: 'text', text: 'sampled text' },
    }));
    client.setRequestHandler(ListRootsRequestSchema, () => ({ roots: [{ uri: 'file:///work', name: 'work' }] }));
    assert.match(textOf(await client.callTool({ name: 'ask', arguments: {} })), /forty-two/);
    assert.match(textOf(await client.callTool({ name: 'sample', arguments: { prompt: 'hi' } })), /sampled text/);
    assert.match(textOf(await client.callTool({ name: 'roots', arguments: {} })), /file:\/\/\/work/);
    await close();
  });

  it('carries a 5 MiB result intact', async () => {
    const { client, close } = await connectClient(daemon.url);
    const text = textOf(await client.callTool({ name: 'big', arguments: { bytes: 5 * 1024 * 1024 } }));
    assert.equal(text.length, 5 * 1024 * 1024);
    assert.ok(/^x+$/.test(text));
    await close();
  });

  it('answers isError results and JSON-RPC errors from tools as the child sent them', async () => {
    const { client, close } = await connectClient(daemon.url);
    const failed = await client.callTool({ name: 'fail', arguments: {} });
    assert.equal(failed.isError, true);
    await assert.rejects(client.callTool({ name: 'throw', arguments: {} }), /thrown on purpose/);
    await close();
  });

  it('keeps concurrent calls of one session on their own streams', async () => {
    const { client, close } = await connectClient(daemon.url);
    const texts = await Promise.all(
      Array.from({ length: 20 }, (_, i) => client.callTool({ name: 'echo', arguments: { text: `call ${i}` } }).then(textOf)),
    );
    assert.deepEqual(texts, Array.from({ length: 20 }, (_, i) => `call ${i}`));
    await close();
  });

  it('delivers a notification outside any request on the standalone GET stream', async () => {
    const { client, close } = await connectClient(daemon.url);
    const updated = new Promise<string>((resolve) => {
      client.setNotificationHandler(ResourceUpdatedNotificationSchema, (notification) => resolve(notification.params.uri));
    });
    await client.subscribeResource({ uri: 'fixture://static' });
    assert.equal(await updated, 'fixture://static');
    await close();
  });
});
