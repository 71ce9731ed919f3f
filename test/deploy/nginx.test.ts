/**
 * Scale-out with real parts: Debian's nginx running deploy/nginx/mcp-sidecar.conf, as shipped but
 * for the two daemons' addresses, its listen line and its access log, in front of two daemons
 * (--instance-id mcp-1 and mcp-2, the names the shipped file routes on). Checked:
 * - the file passes `nginx -t`;
 * - 2025 SDK clients work through it, new sessions land on both daemons, and every request of a
 *   session (POST, GET stream, DELETE) reaches the daemon its id names: the child that answers is
 *   that daemon's, that daemon's /status lists the session and the other's does not, and nginx's
 *   access log shows no request of it sent anywhere else;
 * - legacy SSE (?sessionId= on POST /messages) and WebSocket (/ws) work through it;
 * - 2026-07-28 clients (the v2 SDK client pinned to it) work through it, progress streams, and
 *   every request of one principal reaches one daemon;
 * - when a daemon stops, its sessions' next request gets 404 (from the other daemon, its backup),
 *   the SDK client does not start a new session by itself (what is true of the 1.x SDK: it rejects
 *   the call with StreamableHTTPError 404 and keeps the dead id), a new connect lands on the
 *   daemon left, and sessions there and 2026-07-28 clients go on without noticing.
 * Skips, saying why, only where there is no nginx binary.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { once } from 'node:events';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import { StreamableHTTPError } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { WebSocket } from 'ws';
import { startDaemon, type TestDaemon } from '../helpers/daemon.js';
import { INITIALIZED, initializeMessage } from '../helpers/legacy-clients.js';
import { connectClient, textOf, type ConnectedClient } from '../helpers/mcp-client.js';
import { connectV2 } from '../helpers/mcp-client-v2.js';
import { findNginx, freePort, nginxVersion, render, TestNginx } from '../helpers/nginx.js';
import { ROOT } from '../helpers/paths.js';
import { waitFor } from '../helpers/poll.js';
import { processesTagged } from '../helpers/process-table.js';
import { bearer, newToken, TempFiles } from '../security/auth-helpers.js';

const SHIPPED = readFileSync(path.join(ROOT, 'deploy/nginx/mcp-sidecar.conf'), 'utf8');
const NGINX = findNginx();
const SKIP = NGINX === undefined
  ? 'no nginx binary (/usr/sbin/nginx or on PATH): install Debian\'s nginx (.ci/run does) to run the scale-out test'
  : false;
const MODERN = { pin: '2026-07-28' } as const;

interface Instance {
  id: string;
  daemon: TestDaemon;
  /** host:port as nginx's access log names it. */
  address: string;
}

interface StatusBody {
  sessions: { id: string; pid: number }[];
}

describe('real nginx with deploy/nginx/mcp-sidecar.conf in front of two daemons', { skip: SKIP }, () => {
  const files = new TempFiles();
  const tokens = { alice: newToken('alice'), bob: newToken('bob'), carol: newToken('carol'), ops: newToken('ops') };
  let nginx: TestNginx;
  let url = '';
  let baseUrl = '';
  let accessLog = '';
  let instances: Instance[] = [];
  const clients: { close(): Promise<void> }[] = [];
  /** The daemon the stop test stopped. */
  let stopped: Instance | undefined;

  const other = (instance: Instance): Instance => instances.find((candidate) => candidate !== instance) as Instance;
  const instanceNamed = (sessionId: string): Instance => {
    const found = instances.find((instance) => sessionId.startsWith(`${instance.id}.`));
    assert.ok(found, `session id ${sessionId} names one of the daemons`);
    return found;
  };
  /** The daemon whose child has `pid`. */
  const ownerOfPid = (pid: number): Instance => {
    const found = instances.find((instance) => processesTagged(instance.daemon.tag).some((info) => info.pid === pid));
    assert.ok(found, `pid ${pid} is a child of one of the daemons`);
    return found;
  };
  const statusOf = async (instance: Instance): Promise<StatusBody> => {
    const response = await fetch(`${instance.daemon.baseUrl}/status`, { headers: bearer(tokens.ops) });
    assert.equal(response.status, 200);
    return (await response.json()) as StatusBody;
  };
  const track = <T extends { close(): Promise<void> }>(client: T): T => {
    clients.push(client);
    return client;
  };
  const connect2025 = async (token: string): Promise<ConnectedClient> =>
    track(await connectClient(url, {}, { requestInit: { headers: bearer(token) } }));
  const pidOf = async (connected: { client: { callTool(params: { name: string; arguments: Record<string, unknown> }): Promise<unknown> } }): Promise<number> =>
    (JSON.parse(textOf(await connected.client.callTool({ name: 'pid', arguments: {} }))) as { pid: number }).pid;

  before(async () => {
    const binary = NGINX as string;
    const tokenFile = files.write('tokens', Object.entries(tokens).map(([name, token]) => `${name}:${token}`).join('\n'));
    const start = (id: string): Promise<TestDaemon> => startDaemon({
      fixture: { name: 'echo-server' },
      args: ['--instance-id', id, '--auth-tokens-file', tokenFile, '--status', '--status-operators', 'ops'],
    });
    const [one, two] = await Promise.all([start('mcp-1'), start('mcp-2')]);
    instances = [
      { id: 'mcp-1', daemon: one, address: new URL(one.baseUrl).host },
      { id: 'mcp-2', daemon: two, address: new URL(two.baseUrl).host },
    ];
    nginx = new TestNginx(binary);
    process.stdout.write(`${nginxVersion(binary)} (${binary})\n`);
    accessLog = nginx.file('mcp-sidecar.access.log');
    // A port can be taken between freePort and nginx's bind: try another.
    for (let attempt = 1; ; attempt++) {
      const port = await freePort();
      const conf = nginx.writeConfig(render(SHIPPED, [
        ['listen 80;', `listen 127.0.0.1:${port};`],
        ['mcp-1.internal:8808', instances[0]?.address ?? ''],
        ['mcp-2.internal:8808', instances[1]?.address ?? ''],
        ['/var/log/nginx/mcp-sidecar.access.log', accessLog],
      ]));
      try {
        await nginx.start(conf, port);
        url = `http://127.0.0.1:${port}/mcp`;
        baseUrl = `http://127.0.0.1:${port}`;
        break;
      } catch (error) {
        if (attempt === 3 || !/Address already in use/.test(String(error))) throw error;
      }
    }
  });

  after(async () => {
    for (const client of clients) await client.close().catch(() => undefined);
    await nginx?.stop();
    for (const instance of instances) await instance.daemon.close();
    files.remove();
  });

  it('passes nginx -t as rendered', () => {
    const checked = nginx.check(nginx.file('nginx.conf'));
    assert.equal(checked.code, 0, checked.output);
    assert.match(checked.output, /syntax is ok/);
  });

  it('2025 sessions: opened on both daemons, every request of a session reaches the daemon its id names', async () => {
    const sessions: { client: ConnectedClient; id: string; pid: number }[] = [];
    for (const token of [tokens.alice, tokens.bob, tokens.alice, tokens.carol]) {
      const client = await connect2025(token);
      const id = client.transport.sessionId ?? '';
      assert.match(id, /^mcp-[12]\.[A-Za-z0-9_-]{32}$/);
      assert.equal(textOf(await client.client.callTool({ name: 'echo', arguments: { text: 'through nginx' } })), 'through nginx');
      const seen: number[] = [];
      const slow = await client.client.callTool({ name: 'slow', arguments: { ms: 100, steps: 3 } }, undefined, {
        onprogress: (progress) => seen.push(progress.progress),
      });
      assert.equal(textOf(slow), 'slept 100');
      assert.deepEqual(seen, [1, 2, 3], 'progress streams through nginx');
      const pids = [await pidOf(client), await pidOf(client)];
      assert.equal(pids[0], pids[1], 'one child per session');
      sessions.push({ client, id, pid: pids[0] as number });
    }
    assert.deepEqual(new Set(sessions.map((session) => instanceNamed(session.id).id)), new Set(['mcp-1', 'mcp-2']), 'new sessions are balanced');

    const statuses = new Map(await Promise.all(instances.map(async (instance) => [instance, await statusOf(instance)] as const)));
    for (const session of sessions) {
      const owner = instanceNamed(session.id);
      assert.equal(ownerOfPid(session.pid), owner, `the child answering ${session.id} is ${owner.id}'s`);
      assert.deepEqual(statuses.get(owner)?.sessions.find((listed) => listed.id === session.id)?.pid, session.pid);
      assert.equal(statuses.get(other(owner))?.sessions.some((listed) => listed.id === session.id), false);
    }

    // Ending the sessions sends DELETE and ends each GET stream: then every request is in the log.
    for (const session of sessions) await session.client.close();
    for (const session of sessions) {
      const owner = instanceNamed(session.id);
      const lines = await waitFor(() => {
        const found = nginx.accessLog(accessLog).filter((line) => line.session === session.id);
        return found.some((line) => line.line.includes('"DELETE /mcp')) && found.some((line) => line.line.includes('"GET /mcp')) ? found : undefined;
      }, { what: `the access log to show ${session.id}'s DELETE and GET stream` });
      for (const line of lines) assert.deepEqual(line.upstreams, [owner.address], line.line);
    }
  });

  it('legacy SSE: every POST /messages?sessionId= reaches the daemon holding the stream', async () => {
    for (const token of [tokens.alice, tokens.bob, tokens.carol]) {
      const transport = new SSEClientTransport(new URL(`${baseUrl}/sse`), { requestInit: { headers: bearer(token) } });
      const client = track(new Client({ name: 'mcp-sidecar-test', version: '1.0.0' }));
      await client.connect(transport);
      const pid = await pidOf({ client });
      const owner = ownerOfPid(pid);
      const listed = (await statusOf(owner)).sessions.find((session) => session.pid === pid);
      assert.ok(listed, `${owner.id}'s /status lists the session of child ${pid}`);
      assert.equal(instanceNamed(listed.id), owner);
      // initialize, notifications/initialized, tools/call: each a POST naming the session.
      const posts = await waitFor(() => {
        const found = nginx.accessLog(accessLog).filter((line) => line.session === listed.id);
        return found.length >= 3 ? found : undefined;
      }, { what: `the access log to show the POSTs of ${listed.id}` });
      for (const line of posts) {
        assert.match(line.line, /"POST \/messages\?sessionId=/);
        assert.deepEqual(line.upstreams, [owner.address], line.line);
      }
    }
  });

  it('WebSocket: /ws upgrades through nginx and serves MCP', async () => {
    const socket = new WebSocket(`${baseUrl.replace(/^http/, 'ws')}/ws`, 'mcp', { headers: bearer(tokens.alice) });
    const answers: { id?: unknown; result?: unknown }[] = [];
    socket.on('message', (data: Buffer) => answers.push(JSON.parse(data.toString('utf8')) as { id?: unknown; result?: unknown }));
    await once(socket, 'open');
    assert.equal(socket.protocol, 'mcp');
    try {
      socket.send(JSON.stringify(initializeMessage(1)));
      await waitFor(() => answers.find((answer) => answer.id === 1), { what: 'the answer to initialize over /ws' });
      socket.send(JSON.stringify(INITIALIZED));
      socket.send(JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'pid', arguments: {} } }));
      const called = await waitFor(() => answers.find((answer) => answer.id === 2), { what: 'the answer to tools/call over /ws' });
      ownerOfPid((JSON.parse(textOf(called.result)) as { pid: number }).pid);
    } finally {
      socket.close();
      await once(socket, 'close');
    }
  });

  it('2026-07-28: every request of one principal reaches one daemon, and progress streams', async () => {
    const ownersByPrincipal = new Map<string, Set<string>>();
    for (const name of ['alice', 'bob', 'carol'] as const) {
      const owners = new Set<string>();
      for (let round = 0; round < 2; round++) {
        const client = track(await connectV2(url, tokens[name], MODERN));
        assert.equal(client.client.getProtocolEra(), 'modern');
        assert.equal(client.transport.sessionId, undefined);
        for (let call = 0; call < 3; call++) owners.add(ownerOfPid(await pidOf(client)).id);
        const seen: number[] = [];
        await client.client.callTool({ name: 'slow', arguments: { ms: 100, steps: 3 } }, { onprogress: (progress) => seen.push(progress.progress) });
        assert.deepEqual(seen, [1, 2, 3]);
        await client.close();
      }
      assert.equal(owners.size, 1, `${name}'s requests all reached ${[...owners].join(' and ')}`);
      ownersByPrincipal.set(name, owners);
    }
    const modernLines = nginx.accessLog(accessLog).filter((line) => line.line.includes('version="2026-07-28"'));
    assert.ok(modernLines.length >= 3 * 2 * 4, `${modernLines.length} 2026-07-28 requests logged`);
    for (const line of modernLines) assert.equal(line.session, '', line.line);
  });

  // Last: it stops a daemon.
  it('a daemon stops: its sessions get 404 from the other, a new connect lands there, the rest goes on', async () => {
    // A 2026-07-28 client, and 2025 sessions until both daemons hold one.
    const modern = track(await connectV2(url, tokens.alice, MODERN));
    const victim = ownerOfPid(await pidOf(modern));
    const survivor = other(victim);
    const held = new Map<Instance, ConnectedClient>();
    // New sessions take turns between the daemons; one that lands where one is held stays open unused.
    for (let attempt = 0; attempt < 8 && held.size < 2; attempt++) {
      const client = await connect2025(tokens.bob);
      const owner = instanceNamed(client.transport.sessionId ?? '');
      if (!held.has(owner)) held.set(owner, client);
    }
    const onVictim = held.get(victim);
    const onSurvivor = held.get(survivor);
    assert.ok(onVictim && onSurvivor, 'a 2025 session on each daemon');
    const deadId = onVictim.transport.sessionId ?? '';

    assert.equal(await victim.daemon.stop('SIGTERM'), 0, `${victim.id} drains and exits 0`);
    stopped = victim;

    // The SDK 1.x client: the call fails with the HTTP status, and the transport keeps the dead
    // session id; it starts no new session by itself.
    await assert.rejects(onVictim.client.callTool({ name: 'pid', arguments: {} }), (error: unknown) => {
      assert.ok(error instanceof StreamableHTTPError, String(error));
      assert.equal(error.code, 404);
      assert.match(error.message, /Session not found/);
      return true;
    });
    assert.equal(onVictim.transport.sessionId, deadId);
    // That call's POST; the SDK's GET stream may also have come back during the drain and been
    // refused 404 by the stopping daemon itself, whose sessions had ended.
    const refused = await waitFor(() => nginx.accessLog(accessLog).find((line) => line.session === deadId && line.status === 404 && line.line.includes('"POST /mcp ')),
      { what: `the access log to show ${deadId}'s POST refused 404` });
    assert.equal(refused.upstreams.at(-1), survivor.address, `${victim.id}'s backup answered: ${refused.line}`);

    // What an application does on that 404: connect again. nginx sends the initialize to the daemon left.
    const again = await connect2025(tokens.bob);
    assert.equal(instanceNamed(again.transport.sessionId ?? ''), survivor);
    assert.equal(ownerOfPid(await pidOf(again)), survivor);

    // Sessions on the daemon left, and 2026-07-28 clients (no session to lose), go on as they were.
    const survivorPid = await pidOf(onSurvivor);
    assert.equal(ownerOfPid(survivorPid), survivor);
    assert.equal(ownerOfPid(await pidOf(modern)), survivor, 'the 2026-07-28 client carries on with the daemon left');
    assert.equal(ownerOfPid(await pidOf(modern)), survivor);
  });

  it('nginx logged errors only about the daemon that stopped, and nothing worse than an error', () => {
    assert.ok(stopped, 'the previous test stopped a daemon');
    const lines = nginx.errorLog().split('\n');
    assert.deepEqual(lines.filter((line) => /\[(crit|alert|emerg)\]/.test(line)), []);
    const problems = lines.filter((line) => /\[(warn|error)\]/.test(line));
    assert.deepEqual(problems.filter((line) => !line.includes(`upstream: "http://${stopped?.address ?? ''}/`)), []);
  });
});
