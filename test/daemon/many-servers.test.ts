/**
 * Several servers in one daemon, from a config file, with real children and the SDK's clients:
 * the echo fixture under two names, each at its own paths on all three transports with its own
 * environment; a third server that crash-loops (it dies before initialize) is named by /readyz
 * and its own /<name>/readyz, while the daemon stays ready and the other two serve on, their
 * sessions and children untouched; a fourth whose child outgrows its --memory-max is stopped
 * alone; every log line, metric and /status entry says its server.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { FileDaemon, fixtureEntry } from '../helpers/config-daemon.js';
import { rawRequest } from '../helpers/http.js';
import { childPidOf, connectSseClient, connectWsClient } from '../helpers/legacy-clients.js';
import { connectClient, textOf, type ConnectedClient } from '../helpers/mcp-client.js';
import { metricSum } from '../helpers/metrics.js';
import { waitFor } from '../helpers/poll.js';

describe('two echo servers and a crash-looping one in one daemon', () => {
  let file: FileDaemon;
  const clients: { close(): Promise<void> }[] = [];
  let alpha: ConnectedClient;
  let beta: ConnectedClient;

  before(async () => {
    file = await FileDaemon.start((tag) => ({
      mcpServers: {
        alpha: { ...fixtureEntry('echo-server', tag), env: { WHO: 'alpha' } },
        beta: { ...fixtureEntry('echo-server', tag), env: { WHO: 'beta' } },
        // A spare kept started, dying at once each time: a crash loop with no client involved.
        broken: { ...fixtureEntry('crash-before-init', tag), poolMin: 1, restartSecMs: 50, restartMaxDelayMs: 200 },
        // Its children grow until its own --memory-max stops them.
        leaky: { ...fixtureEntry('memory-leak', tag, '--leak-mb-per-sec=100', '--leak-cap-mb=256'), memoryMaxBytes: '48mb', watchdogIntervalMs: 100, restart: 'no' },
      },
      sidecar: { status: true },
    }));
    alpha = await connectClient(file.url('/alpha/mcp'));
    beta = await connectClient(file.url('/beta/mcp'));
    clients.push(alpha, beta);
  });
  after(async () => {
    await Promise.all(clients.map((client) => client.close().catch(() => undefined)));
    await file?.close();
  });

  const who = async (client: { callTool: ConnectedClient['client']['callTool'] }): Promise<string> => textOf(await client.callTool({ name: 'env', arguments: { name: 'WHO' } }));

  it('serves each server at its own Streamable HTTP path, with its own environment', async () => {
    assert.equal(await who(alpha.client), 'alpha');
    assert.equal(await who(beta.client), 'beta');
  });

  it('serves each over legacy SSE and WebSocket at /<name>/sse and /<name>/ws', async () => {
    const sse = await connectSseClient({ baseUrl: file.url('/beta') });
    const ws = await connectWsClient({ baseUrl: file.url('/alpha') });
    clients.push(sse, ws);
    assert.equal(await who(sse.client), 'beta');
    assert.equal(await who(ws.client), 'alpha');
  });

  it('answers 404 for a server it does not have', async () => {
    const response = await rawRequest(file.url('/gamma/mcp'), { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    assert.equal(response.status, 404);
  });

  it('names the crash-looping server in /readyz, stays ready for the others, and says 503 at /broken/readyz', async () => {
    const readyz = await waitFor(async () => {
      const response = await rawRequest(file.url('/readyz'), { method: 'GET' });
      const body = response.json as { notReady?: Record<string, string> };
      return body.notReady?.broken ? { response, body } : undefined;
    }, { timeoutMs: 15_000, what: '/readyz to name the broken server' });
    assert.equal(readyz.response.status, 200, 'one broken server must not take the others out of a load balancer');
    assert.equal((readyz.body as { status: string }).status, 'degraded');
    assert.deepEqual(Object.keys(readyz.body.notReady ?? {}), ['broken']);
    assert.match(readyz.body.notReady?.broken ?? '', /failed before initialize/);
    const broken = await rawRequest(file.url('/broken/readyz'), { method: 'GET' });
    assert.equal(broken.status, 503);
    assert.equal((broken.json as { server: string }).server, 'broken');
    for (const name of ['alpha', 'beta']) {
      const own = await rawRequest(file.url(`/${name}/readyz`), { method: 'GET' });
      assert.equal(own.status, 200, `${name} is ready`);
    }
  });

  it('keeps the other servers\' sessions and children while the crash loop goes on', async () => {
    const pids = { alpha: await childPidOf(alpha.client), beta: await childPidOf(beta.client) };
    const exitsBefore = await metricSum(file.daemon.baseUrl, 'mcp_sidecar_child_exits_total', { server: 'broken' });
    // Calls on both while the broken server's spares die several more times.
    await waitFor(async () => {
      assert.equal(await who(alpha.client), 'alpha');
      assert.equal(await who(beta.client), 'beta');
      return (await metricSum(file.daemon.baseUrl, 'mcp_sidecar_child_exits_total', { server: 'broken' })) >= exitsBefore + 3;
    }, { timeoutMs: 15_000, what: 'three more exits of the broken server' });
    assert.deepEqual({ alpha: await childPidOf(alpha.client), beta: await childPidOf(beta.client) }, pids);
    for (const server of ['alpha', 'beta']) {
      assert.equal(await metricSum(file.daemon.baseUrl, 'mcp_sidecar_child_exits_total', { server }), 0, `${server}: no child exited`);
      assert.equal(await metricSum(file.daemon.baseUrl, 'mcp_sidecar_child_restarts_total', { server }), 0, `${server}: nothing restarted`);
    }
  });

  it('stops a server\'s child over its --memory-max and nobody else\'s', async () => {
    const pids = { alpha: await childPidOf(alpha.client), beta: await childPidOf(beta.client) };
    const leaky = await connectClient(file.url('/leaky/mcp'));
    clients.push(leaky);
    await waitFor(async () => (await metricSum(file.daemon.baseUrl, 'mcp_sidecar_child_exits_total', { server: 'leaky', result: 'memory' })) === 1, { timeoutMs: 15_000, what: 'the watchdog to stop the leaky child' });
    assert.equal(await metricSum(file.daemon.baseUrl, 'mcp_sidecar_watchdog_stops_total', { server: 'leaky' }), 1);
    for (const server of ['alpha', 'beta']) assert.equal(await metricSum(file.daemon.baseUrl, 'mcp_sidecar_watchdog_stops_total', { server }), 0);
    assert.deepEqual({ alpha: await childPidOf(alpha.client), beta: await childPidOf(beta.client) }, pids);
    assert.equal(await who(alpha.client), 'alpha');
  });

  it('labels every per-server metric with its server', async () => {
    assert.equal(await metricSum(file.daemon.baseUrl, 'mcp_sidecar_sessions_active', { server: 'alpha', transport: 'streamable-http' }), 1);
    assert.equal(await metricSum(file.daemon.baseUrl, 'mcp_sidecar_sessions_active', { server: 'alpha', transport: 'websocket' }), 1);
    assert.equal(await metricSum(file.daemon.baseUrl, 'mcp_sidecar_sessions_active', { server: 'beta', transport: 'sse' }), 1);
    assert.equal(await metricSum(file.daemon.baseUrl, 'mcp_sidecar_sessions_active', { server: 'broken' }), 0);
    assert.ok(await metricSum(file.daemon.baseUrl, 'mcp_sidecar_tool_calls_total', { server: 'alpha', tool: 'env', outcome: 'success' }) >= 2);
    const response = await rawRequest(file.url('/metrics'), { method: 'GET' });
    const unlabelled = response.text.split('\n').filter((line) => /^mcp_sidecar_(sessions|children|child|pool|requests|tool|message)_/.test(line) && !line.includes('server="'));
    assert.deepEqual(unlabelled, [], 'every per-server series says its server');
  });

  it('says the server on every /status entry and every log line about a server', async () => {
    const status = (await rawRequest(file.url('/status'), { method: 'GET' })).json as { servers: { server: string; state: string; sessions: { server: string }[] }[] };
    assert.deepEqual(status.servers.map((entry) => [entry.server, entry.state]), [['alpha', 'serving'], ['beta', 'serving'], ['broken', 'serving'], ['leaky', 'serving']]);
    for (const entry of status.servers) for (const session of entry.sessions) assert.equal(session.server, entry.server);
    const opened = file.daemon.logs.filter((line) => line.msg === 'session opened');
    assert.ok(opened.length >= 4);
    assert.deepEqual(new Set(opened.map((line) => line.server)), new Set(['alpha', 'beta', 'leaky']));
    const exits = file.daemon.logs.filter((line) => typeof line.msg === 'string' && /spare|child/.test(line.msg) && line.level !== 'debug');
    for (const line of exits) assert.ok(typeof line.server === 'string', `log line without server: ${JSON.stringify(line)}`);
  });
});
