/**
 * CounterTally: counts kept as numbers and added to their counter when it is scraped. One slot per
 * label set, however many take it: a server reloaded many times keeps one series per label set
 * (the counts of its generations add up), and the tally does not grow with the reloads.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Counter, Registry } from 'prom-client';
import { CounterTally } from '../../src/observability/counter-tally.js';
import { Metrics, type MetricsSources } from '../../src/observability/metrics.js';

const IDLE_SOURCES: MetricsSources = {
  sessionsByTransport: () => new Map(),
  childrenByState: () => new Map(),
  poolSpares: () => 0,
  inFlight: () => 0,
  childrenRssBytes: () => 0,
  outputPaused: () => 0,
  clientBufferedBytes: () => 0,
  listenStreams: () => 0,
  inputRequiredHeld: () => 0,
};

/** The exposition's sample lines of `name` (its own series, not the _created ones). */
async function samples(registry: Registry, name: string): Promise<string[]> {
  return (await registry.metrics()).split('\n').filter((line) => line.startsWith(`${name}{`) || line.startsWith(`${name} `));
}

describe('CounterTally', () => {
  it('gives the same slot for the same label values, in any key order, and adds every count at the scrape', async () => {
    const registry = new Registry();
    const tally = new CounterTally<'method' | 'outcome'>();
    new Counter({ name: 'app_calls_total', help: 'Calls.', labelNames: ['method', 'outcome'], registers: [registry], collect() { tally.flushInto(this); } });
    const first = tally.slot({ method: 'tools/call', outcome: 'success' });
    const again = tally.slot({ outcome: 'success', method: 'tools/call' });
    const other = tally.slot({ method: 'tools/call', outcome: 'error' });
    assert.equal(again, first);
    assert.notEqual(other, first);
    first.pending += 2;
    again.pending += 3;
    other.pending += 1;
    assert.deepEqual(await samples(registry, 'app_calls_total'), [
      'app_calls_total{method="tools/call",outcome="success"} 5',
      'app_calls_total{method="tools/call",outcome="error"} 1',
    ]);
    // Counted once: the next scrape adds nothing that was not counted since.
    first.pending += 1;
    assert.deepEqual(await samples(registry, 'app_calls_total'), [
      'app_calls_total{method="tools/call",outcome="success"} 6',
      'app_calls_total{method="tools/call",outcome="error"} 1',
    ]);
  });

  it('keeps one series per label set across 200 generations of a reloaded server', async () => {
    const metrics = new Metrics({ serverLabel: true });
    for (let generation = 0; generation < 200; generation++) {
      const server = metrics.forServer('files', IDLE_SOURCES);
      server.requestDone('streamable-http', 'tools/call', 'read', 'success', 0.002);
      server.messageIn(10);
      server.dispose();
    }
    assert.deepEqual(await samples(metrics.registry, 'mcp_sidecar_requests_total'), [
      'mcp_sidecar_requests_total{server="files",method="tools/call",outcome="success",transport="streamable-http"} 200',
    ]);
    assert.deepEqual(await samples(metrics.registry, 'mcp_sidecar_tool_calls_total'), [
      'mcp_sidecar_tool_calls_total{server="files",tool="read",outcome="success"} 200',
    ]);
    assert.ok((await samples(metrics.registry, 'mcp_sidecar_message_bytes_total')).includes('mcp_sidecar_message_bytes_total{server="files",direction="in"} 2000'));
    const tally = metrics.families.requests as unknown as { slots: Map<string, unknown> };
    assert.equal(tally.slots.size, 1);
  });
});
