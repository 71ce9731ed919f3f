/**
 * A shared child's life: sessions on all three transports join it; DELETE of one session leaves
 * the others working on it; when it crashes, every session sees what a session sees when its own
 * child crashes (its calls in flight fail at once, the restart policy brings it back) and they all
 * join the one new child; after the last session ends it is kept for --idle-timeout, then stopped,
 * and the next session starts another.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startDaemon, type TestDaemon } from '../../helpers/daemon.js';
import { childPidOf, connectSseClient, connectWsClient } from '../../helpers/legacy-clients.js';
import { MCP_ACCEPT, initializeBody, rawRequest, sessionHeaders } from '../../helpers/http.js';
import { textOf } from '../../helpers/mcp-client.js';
import { waitFor } from '../../helpers/poll.js';
import { isAlive } from '../../helpers/process-table.js';
import { closeAll, connectRecorded, fixturePids, pidOf, statusOf, type Recorded } from './helpers.js';

describe('--isolation shared: the shared child\'s life', () => {
  let daemon: TestDaemon;
  const clients: Recorded[] = [];

  before(async () => {
    daemon = await startDaemon({
      fixture: { name: 'shared-server' },
      args: ['--isolation', 'shared', '--status', '--idle-timeout', '3s', '--restart-sec', '100ms'],
    });
  });
  after(async () => {
    await closeAll(clients);
    await daemon.close();
  });

  async function connect(): Promise<Recorded> {
    const connected = await connectRecorded(daemon.url);
    clients.push(connected);
    return connected;
  }

  it('has sessions on Streamable HTTP, legacy SSE and WebSocket share the child', async () => {
    const http = await connect();
    const sse = await connectSseClient(daemon);
    const ws = await connectWsClient(daemon);
    try {
      const pid = await pidOf(http);
      assert.equal(await childPidOf(sse.client), pid);
      assert.equal(await childPidOf(ws.client), pid);
      assert.deepEqual(fixturePids(daemon), [pid]);
    } finally {
      await Promise.all([sse.close(), ws.close()]);
    }
  });

  it('leaves the other sessions working when one is deleted', async () => {
    const a = await connect();
    const b = await connect();
    const pid = await pidOf(a);
    const idA = a.transport.sessionId ?? '';
    await a.transport.terminateSession();
    const gone = await rawRequest(daemon.url, { method: 'POST', headers: sessionHeaders(idA), body: JSON.stringify({ jsonrpc: '2.0', id: 5, method: 'tools/list' }) });
    assert.equal(gone.status, 404);
    assert.equal(textOf(await b.client.callTool({ name: 'echo', arguments: { text: 'still here' } })), 'still here');
    assert.equal(await pidOf(b), pid);
  });

  it('fails every session\'s calls in flight when the child crashes, and brings all of them onto one new child', async () => {
    const a = await connect();
    const b = await connect();
    const before = await pidOf(a);
    const idB = b.transport.sessionId ?? '';
    const slow = b.client.callTool({ name: 'slow', arguments: { ms: 10_000 } });
    await waitFor(async () => (await statusOf(daemon)).isolation?.sharedChildren[0]?.inFlight === 1, { what: 'B\'s call in flight' });
    await assert.rejects(a.client.callTool({ name: 'crash', arguments: {} }), /exited with code 1.*crashing now/s);
    await assert.rejects(slow, /exited with code 1/);
    await daemon.waitForLog((line) => line.sessionId === idB && line.msg.startsWith('child restarted; session setup replayed'), 10_000, 'B to restart');
    const after = await pidOf(a);
    assert.notEqual(after, before);
    assert.equal(await pidOf(b), after);
    await waitFor(() => !isAlive(before), { what: 'the crashed child to be gone' });
    assert.deepEqual(fixturePids(daemon), [after]);
    const status = await statusOf(daemon);
    const restarted = status.sessions.filter((session) => session.id === idB || session.id === a.transport.sessionId);
    assert.deepEqual(restarted.map((session) => session.restarts), [1, 1]);
    assert.equal(status.isolation?.sharedChildren.length, 1);
  });

  it('stops the child --idle-timeout after its last session ended, and starts another for the next', async () => {
    await closeAll(clients);
    const a = await connect();
    await connect();
    const pid = await pidOf(a);
    await closeAll(clients);
    // Unused: kept for --idle-timeout, then stopped as idle.
    assert.ok(isAlive(pid));
    const stopped = await daemon.waitForLog((line) => line.msg === 'shared child unused for --idle-timeout: stopping it' && line.pid === pid, 10_000, 'the idle stop');
    assert.equal(stopped.idleTimeoutMs, 3000);
    await waitFor(() => !isAlive(pid), { what: 'the idle child to exit' });
    assert.deepEqual((await statusOf(daemon)).isolation?.sharedChildren, []);
    assert.deepEqual(fixturePids(daemon), []);
    const next = await connect();
    assert.notEqual(await pidOf(next), pid);
  });
});

describe('--isolation shared with a server that refuses initialize', () => {
  it('answers the client\'s initialize with the server\'s refusal at once, and stops the child', async () => {
    const daemon = await startDaemon({ fixture: { name: 'modern-server' }, args: ['--isolation', 'shared', '--server-era', 'legacy'] });
    try {
      const response = await rawRequest(daemon.url, { method: 'POST', headers: { 'content-type': 'application/json', accept: MCP_ACCEPT }, body: initializeBody(1) });
      const body = response.json as { id: number; error?: { message: string } };
      assert.equal(body.id, 1);
      assert.ok(body.error, response.text);
      assert.equal(response.headers.get('mcp-session-id'), null);
      const stopped = await daemon.waitForLog((line) => typeof line.msg === 'string' && line.msg.startsWith('child was stopped (session-end)'), 10_000, 'the refused child to be stopped');
      await waitFor(() => !isAlive(stopped.pid as number), { what: 'the refused child to exit' });
    } finally {
      await daemon.close();
    }
  });
});
