/**
 * The listen stream's own rules (src/transports/streamable-http/modern/listen-stream.ts), against
 * a stand-in response whose socket can be made to fall behind, which a loopback socket in a test
 * would only do after megabytes: the acknowledgment is always first; what arrives before it is
 * kept and sent if granted; while the client is behind, repeats merge (one per kind and URI) and go
 * out when it reads; a client behind for --slow-client-timeout is disconnected; the graceful end
 * is the listen's complete response.
 */
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import type { ServerResponse } from 'node:http';
import { describe, it } from 'node:test';
import type { JsonRpcNotification } from '../../../src/jsonrpc/message.js';
import type { Session } from '../../../src/session/session.js';
import { ClientBacklog } from '../../../src/session/client-backlog.js';
import type { ConnectionEnv } from '../../../src/transports/shared/connection-env.js';
import { ListenStream } from '../../../src/transports/streamable-http/modern/listen-stream.js';
import { waitFor } from '../../helpers/poll.js';

const SUB = 'io.modelcontextprotocol/subscriptionId';

/** A response that records what is written and reports itself behind while `behind` is set. */
class FakeResponse extends EventEmitter {
  readonly written: string[] = [];
  behind = false;
  destroyed = false;
  writableLength = 0;
  ended = false;

  writeHead(): this {
    return this;
  }

  flushHeaders(): void {}

  write(chunk: string): boolean {
    this.written.push(chunk);
    return !this.behind;
  }

  end(): void {
    this.ended = true;
    this.emit('close');
  }

  destroy(): void {
    this.destroyed = true;
    this.emit('close');
  }

  /** The client read everything. */
  drain(): void {
    this.behind = false;
    this.emit('drain');
  }

  /** The JSON-RPC messages written, in order (keepalive comments left out). */
  messages(): Array<Record<string, unknown>> {
    return this.written.filter((chunk) => chunk.startsWith('event: message')).map((chunk) => JSON.parse(chunk.slice(chunk.indexOf('data: ') + 6)) as Record<string, unknown>);
  }
}

const session = {} as Session;
const principal = { name: 'alice', kind: 'token', scopes: [] } as const;

function streamOn(res: FakeResponse, options: { slowClientTimeoutMs?: number; onSlow?: () => void } = {}): { stream: ListenStream; delivered: string[]; ended: string[] } {
  const env: ConnectionEnv = {
    keepaliveMs: Infinity,
    retryMs: 1000,
    limits: { highWaterBytes: 1 << 20, slowClientTimeoutMs: options.slowClientTimeoutMs ?? 60_000 },
    flow: { congested: () => undefined, relieved: () => undefined },
    backlog: new ClientBacklog(1 << 30, { changed: () => undefined }),
    slowClient: options.onSlow ?? (() => undefined),
  };
  const delivered: string[] = [];
  const ended: string[] = [];
  const stream = new ListenStream(res as unknown as ServerResponse, env, { id: 'L', principal, session, serverInfo: { name: 's', version: '1' } },
    { toolsListChanged: true, resourceSubscriptions: ['r://a', 'r://b', 'r://refused'] },
    { delivered: (method) => delivered.push(method), ended: (how) => ended.push(how) });
  return { stream, delivered, ended };
}

const toolsChanged: JsonRpcNotification = { jsonrpc: '2.0', method: 'notifications/tools/list_changed' };
const updated = (uri: string): JsonRpcNotification => ({ jsonrpc: '2.0', method: 'notifications/resources/updated', params: { uri } });

describe('ListenStream', () => {
  it('sends the acknowledgment first; what came before it follows if it was granted', () => {
    const res = new FakeResponse();
    const { stream } = streamOn(res);
    assert.ok(stream.wants(updated('r://refused'), session), 'while opening, what may be granted is kept');
    stream.deliver(updated('r://refused'));
    stream.deliver(toolsChanged);
    assert.deepEqual(res.messages(), []);
    stream.acknowledge({ toolsListChanged: true, resourceSubscriptions: ['r://a', 'r://b'] });
    assert.deepEqual(res.messages().map((message) => message.method), ['notifications/subscriptions/acknowledged', 'notifications/tools/list_changed']);
    assert.ok(!stream.wants(updated('r://refused'), session), 'once acknowledged, only what was granted');
    assert.ok(!stream.wants(updated('r://a'), {} as Session), 'an update from another child is not this listen\'s');
  });

  it('while the client is behind, repeats merge and go out once it reads', () => {
    const res = new FakeResponse();
    const { stream, delivered } = streamOn(res);
    stream.acknowledge({ toolsListChanged: true, resourceSubscriptions: ['r://a', 'r://b'] });
    res.behind = true;
    stream.deliver(toolsChanged); // written, and the write says the socket is full
    for (let i = 0; i < 100; i++) {
      stream.deliver(toolsChanged);
      stream.deliver(updated('r://a'));
      stream.deliver(updated('r://b'));
    }
    assert.equal(res.messages().length, 2, 'nothing more is written while behind');
    res.drain();
    const after = res.messages().slice(2);
    assert.deepEqual(after.map((message) => [message.method, (message.params as { uri?: string }).uri]), [
      ['notifications/tools/list_changed', undefined], ['notifications/resources/updated', 'r://a'], ['notifications/resources/updated', 'r://b'],
    ]);
    assert.ok(after.every((message) => (message.params as { _meta: Record<string, unknown> })._meta[SUB] === 'L'));
    assert.equal(delivered.length, 4);
  });

  it('disconnects a client that stays behind for --slow-client-timeout', async () => {
    const res = new FakeResponse();
    let slow = 0;
    const { stream, ended } = streamOn(res, { slowClientTimeoutMs: 50, onSlow: () => slow++ });
    stream.acknowledge({ toolsListChanged: true });
    res.behind = true;
    stream.deliver(toolsChanged);
    await waitFor(() => res.destroyed, { what: 'the slow client to be disconnected' });
    assert.equal(slow, 1);
    assert.deepEqual(ended, ['client']);
    assert.ok(!stream.open);
  });

  it('ends gracefully with the complete response, once', () => {
    const res = new FakeResponse();
    const { stream, ended } = streamOn(res);
    stream.acknowledge({});
    stream.end(true);
    stream.end(true);
    assert.deepEqual(res.messages().at(-1), { jsonrpc: '2.0', id: 'L', result: { resultType: 'complete', _meta: { 'io.modelcontextprotocol/serverInfo': { name: 's', version: '1' }, [SUB]: 'L' } } });
    assert.ok(res.ended);
    assert.deepEqual(ended, ['graceful']);
    stream.deliver(toolsChanged);
    assert.equal(res.messages().length, 2, 'nothing after the end');
  });
});
