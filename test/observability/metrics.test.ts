/**
 * GET /metrics against real children: the counters, gauges and histograms of
 * src/observability/metrics.ts move as sessions, tool calls, refusals, crashes, restarts, the
 * watchdog and stderr floods happen; label values stay bounded; the exposition passes what
 * `promtool check metrics` checks (helpers/exposition.ts; .ci/check-metrics runs promtool itself);
 * --metrics-port moves /metrics (and /status) off the main port.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { EmptyResultSchema } from '@modelcontextprotocol/sdk/types.js';
import { startDaemon, type TestDaemon } from '../helpers/daemon.js';
import { assertValidExposition, readSamples, type ExpositionSample } from '../helpers/exposition.js';
import { initializeBody, MCP_ACCEPT, rawRequest } from '../helpers/http.js';
import { connectClient, type ConnectedClient } from '../helpers/mcp-client.js';
import { waitFor } from '../helpers/poll.js';

class Scrape {
  readonly samples: ExpositionSample[];
  constructor(readonly text: string) {
    this.samples = readSamples(text);
  }

  /** The sum over the samples of `name` whose labels include `labels`; 0 when there are none. */
  value(name: string, labels: Record<string, string> = {}): number {
    return this.samples
      .filter((sample) => sample.name === name && Object.entries(labels).every(([key, value]) => sample.labels[key] === value))
      .reduce((sum, sample) => sum + sample.value, 0);
  }

  labelValues(name: string, label: string): Set<string> {
    return new Set(this.samples.filter((sample) => sample.name === name).map((sample) => sample.labels[label] as string));
  }
}

async function scrape(baseUrl: string): Promise<Scrape> {
  const response = await rawRequest(`${baseUrl}/metrics`, { method: 'GET' });
  assert.equal(response.status, 200);
  assert.match(response.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
  return new Scrape(response.text);
}

/** Scrapes until `check` holds; returns that scrape. */
function scrapeUntil(baseUrl: string, check: (scrape: Scrape) => boolean, what: string, timeoutMs = 10_000): Promise<Scrape> {
  return waitFor(async () => {
    const current = await scrape(baseUrl);
    return check(current) ? current : undefined;
  }, { timeoutMs, what });
}

function post(daemon: TestDaemon, headers: Record<string, string>, body: string): ReturnType<typeof rawRequest> {
  return rawRequest(daemon.url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
}

describe('metrics of a daemon in front of the echo server', () => {
  let daemon: TestDaemon;
  let session: ConnectedClient | undefined;
  const opened = (): ConnectedClient => {
    assert.ok(session, 'the first test opens the session');
    return session;
  };
  const transport = { transport: 'streamable-http' };
  before(async () => {
    daemon = await startDaemon({
      fixture: { name: 'echo-server' },
      args: ['--pool-min', '1', '--max-sessions', '1', '--request-timeout', '1s', '--restart', 'on-failure', '--restart-sec', '100ms'],
    });
  });
  after(async () => {
    await session?.close();
    await daemon.close();
  });

  it('shows a warm spare, then the session that takes it (pool hit)', async () => {
    await scrapeUntil(daemon.baseUrl, (s) => s.value('mcp_sidecar_children', { state: 'spare' }) === 1 && s.value('mcp_sidecar_pool_spares') === 1, 'a spare');
    session = await connectClient(daemon.url);
    const s = await scrapeUntil(daemon.baseUrl, (current) => current.value('mcp_sidecar_children', { state: 'spare' }) === 1, 'the pool to refill');
    assert.equal(s.value('mcp_sidecar_sessions_started_total', transport), 1);
    assert.equal(s.value('mcp_sidecar_sessions_active', transport), 1);
    assert.equal(s.value('mcp_sidecar_pool_takes_total', { result: 'hit' }), 1);
    assert.equal(s.value('mcp_sidecar_pool_takes_total', { result: 'miss' }), 0);
    assert.equal(s.value('mcp_sidecar_children', { state: 'running' }), 1);
    assert.equal(s.value('mcp_sidecar_children', { state: 'stopping' }), 0);
    assert.equal(s.value('mcp_sidecar_requests_total', { method: 'initialize', outcome: 'success' }), 1);
  });

  it('counts refusals by reason and status', async () => {
    const sessionHeaders = { accept: MCP_ACCEPT, 'mcp-session-id': 'no-such-session', 'mcp-protocol-version': '2025-06-18' };
    assert.equal((await post(daemon, sessionHeaders, JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }))).status, 404);
    assert.equal((await post(daemon, { accept: 'application/json' }, initializeBody())).status, 406);
    assert.equal((await post(daemon, { accept: MCP_ACCEPT }, initializeBody())).status, 503, '--max-sessions 1 and one session open');
    const s = await scrape(daemon.baseUrl);
    assert.equal(s.value('mcp_sidecar_refused_total', { reason: 'SESSION_NOT_FOUND', status: '404' }), 1);
    assert.equal(s.value('mcp_sidecar_refused_total', { reason: 'NOT_ACCEPTABLE', status: '406' }), 1);
    assert.equal(s.value('mcp_sidecar_refused_total', { reason: 'SESSION_LIMIT', status: '503' }), 1);
  });

  it('counts tool calls by tool and outcome (success, is-error, error, timeout) with durations and bytes', async () => {
    const before = await scrape(daemon.baseUrl);
    const { client } = opened();
    await client.callTool({ name: 'echo', arguments: { text: 'counted' } });
    assert.equal((await client.callTool({ name: 'fail', arguments: {} })).isError, true);
    await assert.rejects(client.callTool({ name: 'throw', arguments: {} }), /thrown on purpose/);
    await assert.rejects(client.callTool({ name: 'slow', arguments: { ms: 10_000 } }), /timed out/i);
    const s = await scrape(daemon.baseUrl);
    const expected = [['echo', 'success'], ['fail', 'is-error'], ['throw', 'error'], ['slow', 'timeout']] as const;
    for (const [tool, outcome] of expected) {
      assert.equal(s.value('mcp_sidecar_tool_calls_total', { tool, outcome }), 1, `${tool} ${outcome}`);
      assert.equal(s.value('mcp_sidecar_tool_call_duration_seconds_count', { tool }), 1, `${tool} duration`);
      assert.equal(s.value('mcp_sidecar_requests_total', { method: 'tools/call', outcome }), 1, `tools/call ${outcome}`);
    }
    assert.equal(s.value('mcp_sidecar_request_duration_seconds_count', { method: 'tools/call' }), 4);
    assert.equal(s.value('mcp_sidecar_request_duration_seconds_bucket', { method: 'tools/call', le: '+Inf' }), 4);
    assert.ok(s.value('mcp_sidecar_tool_call_duration_seconds_sum', { tool: 'slow' }) >= 1, 'the timed-out call took --request-timeout');
    assert.equal(s.value('mcp_sidecar_requests_in_flight'), 0);
    for (const direction of ['in', 'out']) {
      const grew = s.value('mcp_sidecar_message_bytes_total', { direction }) - before.value('mcp_sidecar_message_bytes_total', { direction });
      assert.ok(grew > 0, `bytes ${direction} grew by ${grew}`);
    }
  });

  it('folds unknown JSON-RPC methods and tool names past 100 into "other"', async () => {
    const { client } = opened();
    await assert.rejects(client.request({ method: 'vendor/unknown-method', params: {} }, EmptyResultSchema), /not found/i);
    for (let i = 0; i < 105; i++) {
      assert.equal((await client.callTool({ name: `no-such-tool-${i}`, arguments: {} })).isError, true);
    }
    const s = await scrape(daemon.baseUrl);
    assert.equal(s.value('mcp_sidecar_requests_total', { method: 'other', outcome: 'error' }), 1);
    assert.ok(!s.labelValues('mcp_sidecar_requests_total', 'method').has('vendor/unknown-method'));
    const tools = s.labelValues('mcp_sidecar_tool_calls_total', 'tool');
    assert.equal(tools.size, 101, `100 names and "other": ${[...tools].join(', ')}`);
    assert.ok(tools.has('other') && tools.has('echo'));
    // 4 names were known before; 96 more got labels, the last 9 fold into "other".
    assert.equal(s.value('mcp_sidecar_tool_calls_total', { tool: 'other', outcome: 'is-error' }), 9);
    assert.equal(s.labelValues('mcp_sidecar_tool_call_duration_seconds_count', 'tool').size, 101);
  });

  it('counts a crash (exit-code) and its restart, then DELETE (session-end)', async () => {
    const { client } = opened();
    await assert.rejects(client.callTool({ name: 'crash', arguments: { code: 3 } }), /exited with code 3/);
    await scrapeUntil(daemon.baseUrl, (s) => s.value('mcp_sidecar_child_exits_total', { result: 'exit-code' }) === 1 && s.value('mcp_sidecar_child_restarts_total') === 1, 'the crash and restart');
    // The call waits for the restarted child.
    await client.callTool({ name: 'echo', arguments: { text: 'after the crash' } });
    await opened().close();
    session = undefined;
    const s = await scrapeUntil(daemon.baseUrl, (current) => current.value('mcp_sidecar_child_exits_total', { result: 'session-end' }) === 1, 'the session-end exit');
    assert.equal(s.value('mcp_sidecar_sessions_active', transport), 0);
    assert.equal(s.value('mcp_sidecar_children', { state: 'running' }), 0);
    assert.equal(s.value('mcp_sidecar_sessions_started_total', transport), 1);
  });

  it('exposes text that passes the checks of promtool check metrics', async () => {
    const s = await scrape(daemon.baseUrl);
    // Every family the module declares is in the scrape, with its HELP and TYPE.
    for (const family of ['sessions_started_total', 'sessions_active', 'children', 'children_rss_bytes', 'pool_spares', 'requests_in_flight',
      'child_exits_total', 'child_restarts_total', 'watchdog_stops_total', 'pool_takes_total', 'requests_total', 'request_duration_seconds',
      'tool_calls_total', 'tool_call_duration_seconds', 'message_bytes_total', 'child_stderr_lines_total', 'refused_total', 'child_messages_dropped_total']) {
      assert.match(s.text, new RegExp(`^# TYPE mcp_sidecar_${family} (counter|gauge|histogram)$`, 'm'), family);
    }
    assertValidExposition(s.text);
  });
});

describe('metrics of the memory watchdog', () => {
  it('counts a child over --memory-max: exit result memory, a watchdog stop and a restart', async () => {
    const daemon = await startDaemon({
      fixture: { name: 'memory-leak', args: ['--leak-mb-per-sec=100', '--leak-cap-mb=400'] },
      args: ['--memory-max', '150mb', '--watchdog-interval', '200ms', '--restart', 'on-failure', '--restart-sec', '100ms'],
    });
    try {
      const connected = await connectClient(daemon.url);
      try {
        await scrapeUntil(daemon.baseUrl, (s) => s.value('mcp_sidecar_children_rss_bytes') > 0, 'the watchdog to measure');
        const s = await scrapeUntil(daemon.baseUrl, (current) => current.value('mcp_sidecar_child_exits_total', { result: 'memory' }) >= 1
          && current.value('mcp_sidecar_child_restarts_total') >= 1, 'the watchdog stop and the restart', 15_000);
        assert.ok(s.value('mcp_sidecar_watchdog_stops_total') >= 1);
      } finally {
        await connected.close();
      }
    } finally {
      await daemon.close();
    }
  });

  it('counts one watchdog stop for a child that is slow to go down', async () => {
    // Any node child is over 10mb; this one ignores stdin EOF, so the ladder takes --timeout-stop
    // while the watchdog keeps ticking.
    const daemon = await startDaemon({
      fixture: { name: 'hang-after-init' },
      args: ['--memory-max', '10mb', '--watchdog-interval', '200ms', '--timeout-stop', '1s', '--restart', 'no'],
    });
    try {
      const connected = await connectClient(daemon.url);
      try {
        const s = await scrapeUntil(daemon.baseUrl, (current) => current.value('mcp_sidecar_child_exits_total', { result: 'memory' }) === 1, 'the memory stop');
        assert.equal(s.value('mcp_sidecar_watchdog_stops_total'), 1, 'one child stopped once, however many ticks its stop took');
      } finally {
        await connected.close();
      }
    } finally {
      await daemon.close();
    }
  });
});

describe('--metrics-port', () => {
  it('serves /metrics and /status on its own port only, and counts stderr lines logged and dropped', async () => {
    const daemon = await startDaemon({ fixture: { name: 'stderr-flood' }, args: ['--metrics-port', '0', '--status'] });
    try {
      const listening = await daemon.waitForLog((line) => line.msg === 'metrics listening', 5000, 'the metrics port');
      const metricsBase = new URL('/', listening.url as string).toString().replace(/\/$/, '');
      assert.notEqual(metricsBase, daemon.baseUrl);
      for (const path of ['/metrics', '/status']) {
        assert.equal((await rawRequest(`${daemon.baseUrl}${path}`, { method: 'GET' })).status, 404, `main port ${path}`);
      }
      const status = await rawRequest(`${metricsBase}/status`, { method: 'GET' });
      assert.equal(status.status, 200);
      assert.ok(Array.isArray((status.json as { sessions: unknown }).sessions));

      const connected = await connectClient(daemon.url);
      try {
        const flooded = await connected.client.callTool({ name: 'flood', arguments: { lines: 5000 } });
        assert.deepEqual(flooded.content, [{ type: 'text', text: 'flooded 5000' }]);
        const s = await scrapeUntil(metricsBase, (current) => current.value('mcp_sidecar_child_stderr_lines_total') === 5000, 'all 5000 lines counted');
        const logged = s.value('mcp_sidecar_child_stderr_lines_total', { disposition: 'logged' });
        assert.ok(logged > 0 && logged < 5000, `logged ${logged}`);
        // Every line counted as logged is in the daemon's log.
        await waitFor(() => daemon.logs.filter((line) => line.stream === 'stderr' && line.msg.startsWith('flood ')).length === logged, { what: 'the logged lines' });
        assertValidExposition(s.text);
      } finally {
        await connected.close();
      }
    } finally {
      await daemon.close();
    }
  });
});
