/**
 * The resource subscriptions the daemon holds on a lease child for listen streams
 * (src/session/child-subscriptions.ts), against a stand-in session that records what the child
 * would be asked: one resources/subscribe per URI however many listens share the child, one
 * resources/unsubscribe when the last lets go, a refusal left out and not kept, and every
 * accepted subscription recorded for a restart's replay.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Framed, JsonRpcRequest, JsonRpcResponse } from '../../src/jsonrpc/message.js';
import { ChildSubscriptions } from '../../src/session/child-subscriptions.js';
import type { Session } from '../../src/session/session.js';

class FakeSession {
  live = true;
  readonly asked: string[] = [];
  readonly recorded: { observe(framed: Framed): void; seen: string[] };
  readonly logger = { debug: () => undefined, warn: () => undefined };
  refuse = new Set<string>();

  constructor() {
    const seen: string[] = [];
    this.recorded = {
      seen,
      observe: (framed) => {
        const message = framed.message as JsonRpcRequest;
        seen.push(`${message.method} ${String(message.params?.uri)}`);
      },
    };
  }

  ask(method: string, params: { uri: string }): Promise<JsonRpcResponse> {
    this.asked.push(`${method} ${params.uri}`);
    if (this.refuse.has(params.uri)) return Promise.resolve({ jsonrpc: '2.0', id: 1, error: { code: -32002, message: 'Resource not found' } });
    return Promise.resolve({ jsonrpc: '2.0', id: 1, result: {} });
  }
}

function fake(): { fakeSession: FakeSession; session: Session } {
  const fakeSession = new FakeSession();
  return { fakeSession, session: fakeSession as unknown as Session };
}

describe('ChildSubscriptions', () => {
  it('subscribes once per URI for listens that share a child, and unsubscribes when the last lets go', async () => {
    const subscriptions = new ChildSubscriptions(1000);
    const { fakeSession, session } = fake();
    const [first, second] = await Promise.all([subscriptions.subscribe(session, ['r://a', 'r://b']), subscriptions.subscribe(session, ['r://a'])]);
    assert.deepEqual(first, ['r://a', 'r://b']);
    assert.deepEqual(second, ['r://a']);
    assert.deepEqual(fakeSession.asked, ['resources/subscribe r://a', 'resources/subscribe r://b']);
    subscriptions.unsubscribe(session, first);
    assert.deepEqual(fakeSession.asked.slice(2), ['resources/unsubscribe r://b'], 'r://a is still held by the second listen');
    assert.deepEqual(subscriptions.urisOf(session), ['r://a']);
    subscriptions.unsubscribe(session, second);
    assert.deepEqual(fakeSession.asked.slice(3), ['resources/unsubscribe r://a']);
    assert.deepEqual(subscriptions.urisOf(session), []);
    assert.deepEqual(fakeSession.recorded.seen, ['resources/subscribe r://a', 'resources/subscribe r://b', 'resources/unsubscribe r://b', 'resources/unsubscribe r://a'], 'recorded for a restart\'s replay');
  });

  it('leaves a refused URI out, keeps no record of it, and asks again for the next listen', async () => {
    const subscriptions = new ChildSubscriptions(1000);
    const { fakeSession, session } = fake();
    fakeSession.refuse.add('r://missing');
    assert.deepEqual(await subscriptions.subscribe(session, ['r://missing', 'r://ok']), ['r://ok']);
    assert.deepEqual(subscriptions.urisOf(session), ['r://ok']);
    fakeSession.refuse.clear();
    assert.deepEqual(await subscriptions.subscribe(session, ['r://missing']), ['r://missing']);
    assert.equal(fakeSession.asked.filter((line) => line === 'resources/subscribe r://missing').length, 2);
    assert.ok(!fakeSession.recorded.seen.includes('resources/unsubscribe r://missing'));
  });

  it('asks nothing of an ended session, and forgets one that ended', async () => {
    const subscriptions = new ChildSubscriptions(1000);
    const { fakeSession, session } = fake();
    assert.deepEqual(await subscriptions.subscribe(session, ['r://a']), ['r://a']);
    subscriptions.forget(session);
    fakeSession.live = false;
    subscriptions.unsubscribe(session, ['r://a']);
    assert.deepEqual(await subscriptions.subscribe(session, ['r://b']), []);
    assert.deepEqual(fakeSession.asked, ['resources/subscribe r://a']);
  });
});
