/**
 * End to end with the v2 SDK client (`@modelcontextprotocol/client`) in each of its era modes,
 * against the real daemon (bearer tokens for alice and bob) in front of the echo fixture, which
 * records its stdin (--record-dir):
 * - pinned to 2026-07-28 and `auto` must talk the modern era (no initialize, no session, `_meta`
 *   on every request, `server/discover` at connect); `legacy`, the client's default, the 2025 one;
 * - in every mode: list tools, call echo, progress for every step, and a call cancelled through
 *   an AbortSignal reaches the child as notifications/cancelled for that call, with nothing left
 *   in flight;
 * - alice's and bob's requests never share a child, and alice's calls one after another stay on
 *   one child (her lease, or her session in the legacy era).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { ProtocolEra, VersionNegotiationMode } from '@modelcontextprotocol/client';
import { startDaemon, type TestDaemon } from '../../helpers/daemon.js';
import { textOf } from '../../helpers/mcp-client.js';
import { connectV2, type ConnectedV2Client } from '../../helpers/mcp-client-v2.js';
import { metricSum } from '../../helpers/metrics.js';
import { waitFor } from '../../helpers/poll.js';
import { newToken, TempFiles } from '../../security/auth-helpers.js';

const MODERN = '2026-07-28';

interface ModeCase {
  name: string;
  /** undefined: `versionNegotiation` left unset, the client's default (legacy). */
  mode: VersionNegotiationMode | undefined;
  era: ProtocolEra;
}

const MODES: ModeCase[] = [
  { name: `pinned to ${MODERN}`, mode: { pin: MODERN }, era: 'modern' },
  { name: 'auto', mode: 'auto', era: 'modern' },
  { name: 'legacy (the default)', mode: undefined, era: 'legacy' },
];

interface Recorded {
  id?: unknown;
  method?: string;
  params?: { name?: string; arguments?: { ms?: number }; requestId?: unknown };
}

/** Every message each child read on stdin, one list per child. */
function recordings(dir: string): Recorded[][] {
  return readdirSync(dir).map((name) => readFileSync(path.join(dir, name), 'utf8').split('\n').flatMap((line) => {
    try {
      return [JSON.parse(line) as Recorded];
    } catch {
      return []; // The last, partial line of a file still being written.
    }
  }));
}

/** The child-side id of the `slow` call with this `ms` and that child's messages, once it reached one. */
function slowCallInChild(dir: string, ms: number): { id: unknown; messages: Recorded[] } | undefined {
  for (const messages of recordings(dir)) {
    const call = messages.find((m) => m.method === 'tools/call' && m.params?.name === 'slow' && m.params.arguments?.ms === ms);
    if (call) return { id: call.id, messages };
  }
  return undefined;
}

function pidOf(result: unknown): number {
  return (JSON.parse(textOf(result)) as { pid: number }).pid;
}

describe('Streamable HTTP with the v2 SDK client, in each era mode', () => {
  const files = new TempFiles();
  const recordDir = mkdtempSync(path.join(tmpdir(), 'mcp-sidecar-v2-record-'));
  const tokens = { alice: newToken('alice'), bob: newToken('bob') };
  let daemon: TestDaemon;
  // Each cancelled call sleeps a different length, so its recording can be told from the others'.
  let nextSlowMs = 600_000;

  before(async () => {
    const tokenFile = files.write('tokens', `alice:${tokens.alice}\nbob:${tokens.bob}\n`);
    daemon = await startDaemon({
      fixture: { name: 'echo-server', args: [`--record-dir=${recordDir}`] },
      args: ['--auth-tokens-file', tokenFile],
    });
  });
  after(async () => {
    await daemon.close();
    files.remove();
    rmSync(recordDir, { recursive: true, force: true });
  });

  for (const { name, mode, era } of MODES) {
    describe(name, () => {
      async function withClient(token: string, run: (connected: ConnectedV2Client) => Promise<void>): Promise<void> {
        const connected = await connectV2(daemon.url, token, mode);
        try {
          // `auto` falls back to legacy silently; without this its tests would pass on the 2025 path.
          assert.equal(connected.client.getProtocolEra(), era, `the client connected in the ${era} era`);
          await run(connected);
        } finally {
          await connected.close();
        }
      }

      it(`negotiates the ${era} era`, () => withClient(tokens.alice, ({ client, transport }) => {
        assert.equal(client.getProtocolEra(), era);
        if (era === 'modern') {
          assert.equal(client.getNegotiatedProtocolVersion(), MODERN);
          assert.equal(transport.sessionId, undefined, 'a modern connection has no session');
        } else {
          assert.notEqual(client.getNegotiatedProtocolVersion(), MODERN);
          assert.match(transport.sessionId ?? '', /^[\x21-\x7E]{20,}$/);
        }
        return Promise.resolve();
      }));

      it('lists tools and calls echo', () => withClient(tokens.alice, async ({ client }) => {
        const tools = await client.listTools();
        for (const tool of ['echo', 'slow', 'pid']) assert.ok(tools.tools.some((t) => t.name === tool), `${tool} is listed`);
        assert.equal(textOf(await client.callTool({ name: 'echo', arguments: { text: 'héllo 🚀' } })), 'héllo 🚀');
      }));

      it('delivers every progress step to onprogress', () => withClient(tokens.alice, async ({ client }) => {
        const seen: number[] = [];
        const result = await client.callTool({ name: 'slow', arguments: { ms: 200, steps: 4 } }, {
          onprogress: (progress) => seen.push(progress.progress),
        });
        assert.equal(textOf(result), 'slept 200');
        assert.deepEqual(seen, [1, 2, 3, 4]);
      }));

      it('cancels a call through its AbortSignal: the child gets notifications/cancelled, nothing stays in flight', () =>
        withClient(tokens.alice, async ({ client }) => {
          const ms = nextSlowMs++;
          const controller = new AbortController();
          const call = client.callTool({ name: 'slow', arguments: { ms } }, { signal: controller.signal });
          const reached = await waitFor(() => slowCallInChild(recordDir, ms), { what: 'the call to reach a child' });
          controller.abort(new Error('the test cancels'));
          await assert.rejects(call);
          await waitFor(() => slowCallInChild(recordDir, ms)?.messages.some((m) =>
            m.method === 'notifications/cancelled' && m.params?.requestId === reached.id), { what: `notifications/cancelled for child id ${String(reached.id)}` });
          await waitFor(async () => (await metricSum(daemon.baseUrl, 'mcp_sidecar_requests_in_flight')) === 0, { what: 'requests_in_flight to return to 0' });
        }));

      it('never lets alice and bob share a child, and keeps alice on one child call after call', () =>
        withClient(tokens.alice, (alice) => withClient(tokens.bob, async (bob) => {
          const pid = async (c: ConnectedV2Client): Promise<number> => pidOf(await c.client.callTool({ name: 'pid', arguments: {} }));
          const aliceSequential = [await pid(alice), await pid(alice), await pid(alice)];
          assert.equal(new Set(aliceSequential).size, 1, `alice's calls one after another reuse one child: ${aliceSequential.join(', ')}`);
          const bobPid = await pid(bob);
          assert.notEqual(bobPid, aliceSequential[0]);
          // Concurrency may take more children, but never one the other principal has.
          const both = await Promise.all([...Array.from({ length: 4 }, () => pid(alice)), ...Array.from({ length: 4 }, () => pid(bob))]);
          const alicePids = new Set([...aliceSequential, ...both.slice(0, 4)]);
          const bobPids = new Set([bobPid, ...both.slice(4)]);
          assert.deepEqual([...alicePids].filter((p) => bobPids.has(p)), [], `alice ${[...alicePids].join(',')} / bob ${[...bobPids].join(',')}`);
        })));
    });
  }
});
