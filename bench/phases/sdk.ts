/**
 * The SDK's own client (Client + StreamableHTTPClientTransport; for the floor, StdioClientTransport
 * spawning the fixture), sequential calls: what a typical client sees, client cost included.
 */
import { performance } from 'node:perf_hooks';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { CLIENT_INFO, toolText } from '../client/session.js';
import { monotonicMicros } from '../lib/clock.js';
import { percentile } from '../lib/stats.js';
import type { RunningTarget } from '../targets/target.js';
import { exceptWarm, type Phase } from './phase.js';

const TEXT = 'hello from the sdk';

function transportFor(target: RunningTarget): StreamableHTTPClientTransport | StdioClientTransport {
  if (target.url !== undefined) return new StreamableHTTPClientTransport(new URL(target.url));
  const [command, ...args] = target.fixtureCommand as [string, ...string[]];
  return new StdioClientTransport({ command, args, stderr: 'ignore' });
}

async function call(client: Client): Promise<void> {
  const text = toolText({ result: await client.callTool({ name: 'echo', arguments: { text: TEXT } }) }, 'echo');
  if (text !== TEXT) throw new Error(`echo answered ${JSON.stringify(text)}`);
}

export const sdkPhase: Phase = {
  name: 'sdk',
  title: 'SDK client, sequential',
  method: (counts) =>
    `the MCP SDK's Client (StreamableHTTPClientTransport; the floor: StdioClientTransport), one session; ${counts.sdkWarmup} warm-up calls, then ${counts.sdkCalls} echo calls one after another.`,
  metrics: [
    { key: 'p50', label: 'p50', unit: 'ms', better: 'lower', ratios: true, digits: 3 },
    { key: 'p99', label: 'p99', unit: 'ms', better: 'lower', ratios: false, digits: 3 },
  ],
  appliesTo: exceptWarm,
  async run(target, counts) {
    const client = new Client(CLIENT_INFO);
    const transport = transportFor(target);
    await client.connect(transport);
    try {
      for (let i = 0; i < counts.sdkWarmup; i++) await call(client);
      const latencies: number[] = [];
      const begin = monotonicMicros();
      for (let i = 0; i < counts.sdkCalls; i++) {
        const start = performance.now();
        await call(client);
        latencies.push(performance.now() - start);
      }
      const window = { start: begin, end: monotonicMicros() };
      return { metrics: { p50: percentile(latencies, 50), p99: percentile(latencies, 99) }, errors: 0, window };
    } finally {
      if (transport instanceof StreamableHTTPClientTransport) await transport.terminateSession().catch(() => undefined);
      await client.close();
    }
  },
};
