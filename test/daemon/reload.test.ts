/**
 * SIGHUP with a config file, while SDK clients hold sessions on all three transports and calls are
 * in flight: an unchanged server's sessions are not dropped, restarted or slowed; a removed
 * server's in-flight calls finish (the drain), then its children stop and new sessions get 404; a
 * changed server gives new sessions the new definition (an environment variable the fixture
 * reads) while the open ones keep their children; an added server serves at once; a broken file,
 * or one naming a tool policy that does not load, changes nothing.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { FileDaemon, fixtureEntry } from '../helpers/config-daemon.js';
import { rawRequest, initializeBody, MCP_ACCEPT } from '../helpers/http.js';
import { childPidOf, connectSseClient, connectWsClient } from '../helpers/legacy-clients.js';
import { connectClient, textOf, type ConnectedClient } from '../helpers/mcp-client.js';
import { metricSum } from '../helpers/metrics.js';
import { waitFor } from '../helpers/poll.js';
import { isAlive } from '../helpers/process-table.js';

type Caller = ConnectedClient['client'];

async function who(client: Caller): Promise<string> {
  return textOf(await client.callTool({ name: 'env', arguments: { name: 'WHO' } }));
}

async function slow(client: Caller, ms: number): Promise<string> {
  return textOf(await client.callTool({ name: 'slow', arguments: { ms } }, undefined, { timeout: 30_000 }));
}

interface Timed {
  start: number;
  end: number;
}

/** Sequential echo calls until stopped: when each one ran, and any error. */
function callContinuously(client: Caller): { stop(): Promise<{ calls: Timed[]; errors: string[] }> } {
  let running = true;
  const calls: Timed[] = [];
  const errors: string[] = [];
  const loop = (async () => {
    while (running) {
      const start = performance.now();
      try {
        const text = textOf(await client.callTool({ name: 'echo', arguments: { text: `n${calls.length}` } }));
        if (text !== `n${calls.length}`) errors.push(`wrong answer ${text}`);
      } catch (error) {
        errors.push(String(error));
      }
      calls.push({ start, end: performance.now() });
    }
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
      return { calls, errors };
    },
  };
}

function newSessionStatus(url: string): Promise<number> {
  return rawRequest(url, { method: 'POST', headers: { 'content-type': 'application/json', accept: MCP_ACCEPT }, body: initializeBody() }).then((response) => response.status);
}

describe('reloading the config file with sessions open and calls in flight', () => {
  let file: FileDaemon;
  let definition: (tag: string) => Record<string, unknown>;
  const clients: { close(): Promise<void> }[] = [];
  const track = <T extends { close(): Promise<void> }>(client: T): T => {
    clients.push(client);
    return client;
  };

  before(async () => {
    definition = (tag) => ({
      mcpServers: {
        steady: { ...fixtureEntry('echo-server', tag), env: { WHO: 'steady' } },
        changing: { ...fixtureEntry('echo-server', tag), env: { WHO: 'v1' } },
        leaving: { ...fixtureEntry('echo-server', tag), env: { WHO: 'leaving' } },
      },
    });
    file = await FileDaemon.start(definition);
  });
  after(async () => {
    await Promise.all(clients.map((client) => client.close().catch(() => undefined)));
    await file?.close();
  });

  it('adds, removes and changes servers without touching the unchanged one', async () => {
    const steady = track(await connectClient(file.url('/steady/mcp')));
    const steadySse = track(await connectSseClient({ baseUrl: file.url('/steady') }));
    const changing = track(await connectClient(file.url('/changing/mcp')));
    const changingSse = track(await connectSseClient({ baseUrl: file.url('/changing') }));
    const changingWs = track(await connectWsClient({ baseUrl: file.url('/changing') }));
    const leaving = track(await connectClient(file.url('/leaving/mcp')));
    const pids = { steady: await childPidOf(steady.client), steadySse: await childPidOf(steadySse.client), changing: await childPidOf(changing.client), leaving: await childPidOf(leaving.client) };
    const steadySession = steady.transport.sessionId;

    const calls = callContinuously(steady.client);
    const inFlight = {
      steady: slow(steadySse.client, 1500),
      changing: slow(changing.client, 1500),
      changingSse: slow(changingSse.client, 1500),
      leaving: slow(leaving.client, 1500),
    };
    // The calls have reached their children before the reload.
    const inFlightOn = (server: string): Promise<number> => metricSum(file.daemon.baseUrl, 'mcp_sidecar_requests_in_flight', { server });
    await waitFor(async () => (await inFlightOn('steady')) >= 1 && (await inFlightOn('changing')) >= 2 && (await inFlightOn('leaving')) >= 1, { what: 'the slow calls in flight' });

    const next = definition(file.tag) as { mcpServers: Record<string, Record<string, unknown>> };
    delete next.mcpServers.leaving;
    (next.mcpServers.changing as { env: Record<string, string> }).env = { WHO: 'v2' };
    next.mcpServers.joining = { ...fixtureEntry('echo-server', file.tag), env: { WHO: 'joining' } };
    const reloadStart = performance.now();
    const outcome = await file.reload(next);
    const reloadEnd = performance.now();
    assert.deepEqual({ added: outcome.added, changed: outcome.changed, removed: outcome.removed, unchanged: outcome.unchanged }, { added: ['joining'], changed: ['changing'], removed: ['leaving'], unchanged: 1 });

    // New sessions: the added server serves, the changed one has its new definition, the removed one is gone.
    const joining = track(await connectClient(file.url('/joining/mcp')));
    assert.equal(await who(joining.client), 'joining');
    const changed = track(await connectClient(file.url('/changing/mcp')));
    assert.equal(await who(changed.client), 'v2');
    const changedSse = track(await connectSseClient({ baseUrl: file.url('/changing') }));
    assert.equal(await who(changedSse.client), 'v2');
    assert.equal(await newSessionStatus(file.url('/leaving/mcp')), 404);

    // Every call in flight at the reload finishes with its answer, the removed server's too.
    assert.deepEqual(await Promise.all(Object.values(inFlight)), ['slept 1500', 'slept 1500', 'slept 1500', 'slept 1500']);
    const steadyCalls = await calls.stop();
    assert.deepEqual(steadyCalls.errors, []);
    const during = steadyCalls.calls.filter((call) => call.start < reloadEnd && call.end > reloadStart);
    assert.ok(during.length >= 1, 'calls of the unchanged server ran through the reload');
    const slowest = Math.max(...during.map((call) => call.end - call.start));
    assert.ok(slowest < 1000, `no call of the unchanged server was held up by the reload (slowest ${Math.round(slowest)} ms)`);

    // The unchanged server: same sessions, same children.
    assert.equal(steady.transport.sessionId, steadySession);
    assert.equal(await childPidOf(steady.client), pids.steady);
    assert.equal(await childPidOf(steadySse.client), pids.steadySse);
    assert.equal(await metricSum(file.daemon.baseUrl, 'mcp_sidecar_child_restarts_total', { server: 'steady' }), 0);

    // The changed server's open sessions, on every transport, keep their child and the old definition.
    assert.equal(await who(changing.client), 'v1');
    assert.equal(await childPidOf(changing.client), pids.changing);
    assert.equal(await who(changingSse.client), 'v1');
    assert.equal(await who(changingWs.client), 'v1');

    // The removed server drained: its child stopped once its call was answered, its paths are gone.
    await file.daemon.waitForLog((line) => line.msg === 'removed server stopped' && line.server === 'leaving', 10_000);
    assert.equal(file.daemon.logs.find((line) => line.msg === 'removed server stopped')?.drained, true);
    await waitFor(() => !isAlive(pids.leaving), { what: 'the removed server\'s child to exit' });
    await assert.rejects(who(leaving.client));
    assert.equal(await newSessionStatus(file.url('/leaving/mcp')), 404);
    assert.equal((await rawRequest(file.url('/leaving/readyz'), { method: 'GET' })).status, 404);

    const readyz = (await rawRequest(file.url('/readyz'), { method: 'GET' })).json as { status: string };
    assert.equal(readyz.status, 'ready');
  });

  it('retires the changed server\'s previous definition when its last session ends', async () => {
    // Close every client still on the old generation (opened before the reload).
    for (const client of clients.splice(0)) await client.close().catch(() => undefined);
    await file.daemon.waitForLog((line) => line.msg === 'previous definition retired: its last session ended' && line.server === 'changing', 15_000);
  });

  it('changes nothing for a file that does not parse, and says why', async () => {
    const client = track(await connectClient(file.url('/steady/mcp')));
    const pid = await childPidOf(client.client);
    const outcome = await file.reload('{ "mcpServers": { "steady": ');
    assert.equal(outcome.level, 'error');
    assert.match((outcome.errors as string[])[0] ?? '', /servers\.json: line \d+, column \d+: /);
    assert.equal(await who(client.client), 'steady');
    assert.equal(await childPidOf(client.client), pid);
    assert.equal(await newSessionStatus(file.url('/joining/mcp')), 200, 'the servers of the last good file still serve');
    assert.equal(await newSessionStatus(file.url('/leaving/mcp')), 404);
  });

  it('changes nothing when a server of the file cannot be built (its tool policy does not load)', async () => {
    const next = definition(file.tag) as { mcpServers: Record<string, Record<string, unknown>> };
    next.mcpServers.steady = { ...next.mcpServers.steady, toolPolicy: '/nonexistent/policy.json' };
    const outcome = await file.reload(next);
    assert.equal(outcome.msg, 'config file not reloaded: a server cannot be built from it; the servers run as they were');
    assert.equal(await newSessionStatus(file.url('/leaving/mcp')), 404, 'the removed server was not brought back');
    assert.equal(await newSessionStatus(file.url('/joining/mcp')), 200);
  });

  it('leaves daemon-wide changes for a restart, and says which', async () => {
    const next = { ...definition(file.tag), sidecar: { drainTimeoutMs: '1s', maxConnections: 10 } };
    const outcome = await file.reload(next);
    assert.equal(outcome.msg, 'config file reloaded');
    const warning = file.daemon.logs.find((line) => line.msg === 'daemon-wide options changed in the config file: they take effect at the next restart');
    assert.deepEqual(warning?.keys, ['drainTimeoutMs', 'maxConnections']);
  });
});
