/**
 * A shared child's own requests (sampling, elicitation, ping): put to the session whose call is
 * the only one in flight, whose answer goes back to the child under the child's id; refused to the
 * child, and shown to no session, when nobody can say whose they are (two calls in flight, or none);
 * refused for a session whose client did not declare the capability.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CreateMessageRequestSchema, ElicitRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import { startDaemon, type TestDaemon } from '../../helpers/daemon.js';
import { textOf } from '../../helpers/mcp-client.js';
import { waitFor } from '../../helpers/poll.js';
import { closeAll, connectRecorded, statusOf, type Recorded } from './helpers.js';

const CAPABLE: { capabilities: Record<string, object> } = { capabilities: { sampling: {}, elicitation: {} } };

describe('--isolation shared: the child\'s own requests', () => {
  let daemon: TestDaemon;
  const clients: Recorded[] = [];
  /** Which client's handlers were asked, in order. */
  const asked: string[] = [];

  before(async () => {
    daemon = await startDaemon({ fixture: { name: 'shared-server' }, args: ['--isolation', 'shared', '--status'] });
  });
  after(async () => {
    await closeAll(clients);
    await daemon.close();
  });

  /** A client that answers sampling and elicitation with its own name, and records being asked. */
  async function connect(name: string, options = CAPABLE): Promise<Recorded> {
    const connected = await connectRecorded(daemon.url, options);
    clients.push(connected);
    if ('sampling' in options.capabilities) {
      connected.client.setRequestHandler(CreateMessageRequestSchema, () => {
        asked.push(`${name}:sampling`);
        return { role: 'assistant', model: 'test', content: { type: 'text', text: `from ${name}` } };
      });
    }
    if ('elicitation' in options.capabilities) {
      connected.client.setRequestHandler(ElicitRequestSchema, () => {
        asked.push(`${name}:elicitation`);
        return { action: 'accept', content: { answer: name } };
      });
    }
    return connected;
  }

  it('puts a sampling or elicitation request during a session\'s only call to that session, and its answer to the child', async () => {
    asked.length = 0;
    const a = await connect('a');
    const b = await connect('b');
    assert.equal(textOf(await a.client.callTool({ name: 'sample', arguments: { prompt: 'hi' } })), 'sampled: from a');
    assert.equal(textOf(await b.client.callTool({ name: 'ask', arguments: {} })), 'answer: {"action":"accept","content":{"answer":"b"}}');
    assert.equal(textOf(await b.client.callTool({ name: 'ping-client', arguments: {} })), 'pong');
    assert.deepEqual(asked, ['a:sampling', 'b:elicitation']);
  });

  it('refuses to the child, and shows no session, a request made while two calls are in flight', async () => {
    asked.length = 0;
    const a = await connect('a');
    const b = await connect('b');
    const slow = a.client.callTool({ name: 'slow', arguments: { ms: 3000 } });
    await waitFor(async () => (await statusOf(daemon)).isolation?.sharedChildren[0]?.inFlight === 1, { what: 'A\'s call in flight' });
    const sampled = await b.client.callTool({ name: 'sample', arguments: { prompt: 'whose?' } });
    assert.equal(sampled.isError, true);
    assert.match(textOf(sampled), /cannot be put to a client: the child is shared and 2 calls are in flight/);
    assert.equal(textOf(await slow), 'slept 3000');
    assert.deepEqual(asked, []);
    const logged = await daemon.waitForLog((line) => line.msg.startsWith('shared child sent a request that cannot be attributed'));
    assert.equal(logged.method, 'sampling/createMessage');
    assert.equal(logged.inFlight, 2);
  });

  it('refuses to the child, and shows no session, a request made with no call in flight', async () => {
    asked.length = 0;
    const a = await connect('a');
    await connect('b');
    assert.equal(textOf(await a.client.callTool({ name: 'sample-later', arguments: { ms: 200 } })), 'later');
    const outcome = await daemon.waitForLog((line) => line.stream === 'stderr' && line.msg.startsWith('sample-later: '), 10_000, 'the child to tell what became of its request');
    assert.match(outcome.msg, /^sample-later: refused .*cannot be put to a client: the child is shared and 0 calls are in flight/);
    assert.deepEqual(asked, []);
  });

  it('refuses to the child a request whose capability the calling session\'s client did not declare', async () => {
    asked.length = 0;
    const plain = await connect('plain', { capabilities: {} });
    await connect('capable');
    const sampled = await plain.client.callTool({ name: 'sample', arguments: { prompt: 'hi' } });
    assert.equal(sampled.isError, true);
    assert.match(textOf(sampled), /did not declare the sampling capability/);
    assert.deepEqual(asked, []);
  });
});
