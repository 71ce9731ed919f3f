/**
 * An answer its client does not read must not pin the daemon's memory. Clients ask for large
 * `application/json` results over raw sockets and stop reading at the first byte: each answer
 * counts against --client-buffer-budget, over it every child is paused, and every connection
 * holding bytes is cut after --slow-client-timeout (counted per transport, logged). The daemon's
 * RSS is sampled throughout; afterwards the gauge reads 0 and a new session is served as usual.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { describe, it } from 'node:test';
import { startDaemon, type TestDaemon } from '../helpers/daemon.js';
import { openSession, rawRequest, sessionHeaders } from '../helpers/http.js';
import { metricSum } from '../helpers/metrics.js';
import { waitFor } from '../helpers/poll.js';

const MIB = 1024 * 1024;
const PROTOCOL = '2025-06-18';

function rssOf(pid: number): number {
  const match = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(match?.[1] ?? assert.fail(`no VmRSS for ${pid}`)) * 1024;
}

const bigCall = (id: number, bytes: number): string =>
  JSON.stringify({ jsonrpc: '2.0', id, method: 'tools/call', params: { name: 'big', arguments: { bytes } } });

/** A raw POST whose socket stops reading at the first byte of the answer (the headers). */
async function askAndNeverRead(daemon: TestDaemon, headers: Record<string, string>, body: string): Promise<Socket> {
  const url = new URL(daemon.url);
  const socket = connect(Number(url.port), url.hostname);
  socket.setNoDelay(true);
  await once(socket, 'connect');
  const lines = [`POST ${url.pathname} HTTP/1.1`, `Host: ${url.host}`, ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`), `Content-Length: ${Buffer.byteLength(body)}`];
  socket.on('error', () => undefined); // Cut by the daemon: expected.
  socket.write(`${lines.join('\r\n')}\r\n\r\n${body}`);
  await new Promise<void>((resolve) => socket.once('data', () => {
    socket.pause();
    resolve();
  }));
  return socket;
}

async function serveOneMore(daemon: TestDaemon): Promise<void> {
  const session = await openSession(daemon.url, PROTOCOL);
  const answer = await rawRequest(daemon.url, { method: 'POST', headers: sessionHeaders(session, PROTOCOL), body: bigCall(9, 1000) });
  assert.equal(answer.status, 200, answer.text);
  assert.equal(((answer.json as { result: { content: [{ text: string }] } }).result.content[0].text).length, 1000);
}

describe('answers nobody reads', () => {
  it('are bounded by --client-buffer-budget: children pause, non-readers are cut and counted, the daemon stays small', async (t) => {
    const clients = 16;
    const answerBytes = 8 * MIB;
    const budget = 16 * MIB;
    const daemon = await startDaemon({
      fixture: { name: 'flood-server' },
      args: ['--client-buffer-budget', '16mb', '--stream-buffer', '256kb', '--slow-client-timeout', '2s', '--max-message-size', '16mb', '--max-sessions', '64'],
    });
    const sockets: Socket[] = [];
    try {
      const sessions = await Promise.all(Array.from({ length: clients }, () => openSession(daemon.url, PROTOCOL)));
      const baseline = rssOf(daemon.pid);
      let maxRss = baseline;
      let maxBuffered = 0;
      const sample = setInterval(() => { maxRss = Math.max(maxRss, rssOf(daemon.pid)); }, 20);
      const overloaded = async (): Promise<boolean> => await metricSum(daemon.baseUrl, 'mcp_sidecar_client_buffer_overloads_total') >= 1;
      try {
        // Half of them one after another, as slow clients arrive: each answer is in (and unread)
        // before the next is asked, until the budget is reached; then the rest at once.
        for (const [i, session] of sessions.entries()) {
          if (i >= clients / 2) break;
          const socket = askAndNeverRead(daemon, sessionHeaders(session, PROTOCOL), bigCall(i + 1, answerBytes));
          let answered = false;
          void socket.then((opened) => { answered = true; sockets.push(opened); });
          await waitFor(async () => answered || await overloaded(), { timeoutMs: 30_000, what: `answer ${i + 1} or the budget` });
          maxBuffered = Math.max(maxBuffered, await metricSum(daemon.baseUrl, 'mcp_sidecar_client_buffered_bytes'));
        }
        for (const [i, session] of sessions.entries()) {
          if (i < clients / 2) continue;
          void askAndNeverRead(daemon, sessionHeaders(session, PROTOCOL), bigCall(i + 1, answerBytes)).then((opened) => sockets.push(opened));
        }
        // Every client that does not read is cut; those whose child waited get their answer (and
        // are cut) once the first ones have gone.
        await waitFor(async () => {
          maxBuffered = Math.max(maxBuffered, await metricSum(daemon.baseUrl, 'mcp_sidecar_client_buffered_bytes'));
          return await metricSum(daemon.baseUrl, 'mcp_sidecar_slow_clients_disconnected_total', { transport: 'streamable-http' }) === clients;
        }, { timeoutMs: 120_000, intervalMs: 100, what: `all ${clients} non-readers cut` });
      } finally {
        clearInterval(sample);
      }
      const summary = `${clients} unread answers of ${answerBytes / MIB} MiB (${clients * answerBytes / MIB} MiB asked), budget ${budget / MIB} MiB: `
        + `RSS ${(baseline / MIB).toFixed(0)} → max ${(maxRss / MIB).toFixed(0)} MiB, most bytes waiting at once (sampled) ${(maxBuffered / MIB).toFixed(1)} MiB`;
      t.diagnostic(summary);
      // What waits unread is the budget plus the answer that tripped it.
      assert.ok(maxBuffered <= budget + answerBytes, summary);
      // Bounded by the budget and the answers being read at once, not by every answer asked.
      assert.ok(maxRss - baseline < 2 * clients * answerBytes, summary);
      await daemon.waitForLog((line) => line.level === 'warn' && typeof line.msg === 'string' && line.msg.includes('over --client-buffer-budget'));
      await waitFor(async () => await metricSum(daemon.baseUrl, 'mcp_sidecar_client_buffered_bytes') === 0
        && await metricSum(daemon.baseUrl, 'mcp_sidecar_children_output_paused') === 0, { what: 'nothing waiting, no child paused' });
      // The sessions themselves live on: a cut connection is not a cancelled session.
      const again = await rawRequest(daemon.url, { method: 'POST', headers: sessionHeaders(sessions[0] as string, PROTOCOL), body: bigCall(100, 10) });
      assert.equal(again.status, 200, again.text);
      await serveOneMore(daemon);
    } finally {
      for (const socket of sockets) socket.destroy();
      await daemon.close();
    }
  });

  it('one unread answer over --stream-buffer is cut after --slow-client-timeout while its session goes on', async () => {
    const daemon = await startDaemon({ fixture: { name: 'flood-server' }, args: ['--stream-buffer', '64kb', '--slow-client-timeout', '1s'] });
    try {
      const session = await openSession(daemon.url, PROTOCOL);
      const socket = await askAndNeverRead(daemon, sessionHeaders(session, PROTOCOL), bigCall(1, 8 * MIB));
      await waitFor(async () => await metricSum(daemon.baseUrl, 'mcp_sidecar_slow_clients_disconnected_total', { transport: 'streamable-http' }) === 1,
        { timeoutMs: 20_000, what: 'the non-reader cut' });
      await daemon.waitForLog((line) => line.level === 'warn' && typeof line.msg === 'string' && line.msg.includes('did not read for --slow-client-timeout'));
      socket.resume();
      await waitFor(() => socket.destroyed || socket.readableEnded, { timeoutMs: 20_000, what: 'the cut socket to end' });
      socket.destroy();
      // Its session answers the next request as usual; nothing counts as waiting any more.
      const next = await rawRequest(daemon.url, { method: 'POST', headers: sessionHeaders(session, PROTOCOL), body: bigCall(2, 100) });
      assert.equal(next.status, 200, next.text);
      assert.equal(await metricSum(daemon.baseUrl, 'mcp_sidecar_client_buffered_bytes'), 0);
      assert.equal(await metricSum(daemon.baseUrl, 'mcp_sidecar_client_buffer_overloads_total'), 0);
    } finally {
      await daemon.close();
    }
  });
});
