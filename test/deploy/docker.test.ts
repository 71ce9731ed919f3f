/**
 * Docker, without a Docker engine: the Dockerfile passes dockerfile-utils with no diagnostic at all
 * and keeps the deployment contract (multi-stage, LTS slim base, tini, non-root, curl-free
 * HEALTHCHECK), and the image's own ENTRYPOINT + CMD, read from the Dockerfile, is run here as the
 * image would run it: /app mapped to this checkout, `node` to this Node, tini when it is installed
 * (TINI_SUBREAPER stands in for being PID 1) and left out otherwise. It must serve MCP, answer its
 * HEALTHCHECK, and on SIGTERM exit 0 with nothing left behind.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import path from 'node:path';
import { describe, it } from 'node:test';
import { validate } from 'dockerfile-utils';
import type { LogLine } from '../helpers/daemon.js';
import { fixture } from '../helpers/fixtures.js';
import { rawRequest } from '../helpers/http.js';
import { connectClient, textOf } from '../helpers/mcp-client.js';
import { CLI, ROOT } from '../helpers/paths.js';
import { waitFor } from '../helpers/poll.js';
import { assertNoneTagged, newTag } from '../helpers/process-table.js';
import { processesWithEnv } from './process-env.js';

const DOCKERFILE = readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8');
const TAG_VARIABLE = 'MCP_SIDECAR_TEST_TAG';

interface Instruction {
  keyword: string;
  args: string;
}

/** Instructions in order, continuation lines joined, comments dropped. */
function parseDockerfile(text: string): Instruction[] {
  const joined = text.replace(/\\\r?\n/g, ' ');
  const instructions: Instruction[] = [];
  for (const line of joined.split('\n')) {
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith('#')) continue;
    const space = trimmed.search(/\s/);
    instructions.push({ keyword: trimmed.slice(0, space).toUpperCase(), args: trimmed.slice(space + 1).trim() });
  }
  return instructions;
}

const INSTRUCTIONS = parseDockerfile(DOCKERFILE);
const FINAL_STAGE = INSTRUCTIONS.slice(INSTRUCTIONS.map((instruction) => instruction.keyword).lastIndexOf('FROM'));

function finalStage(keyword: string): Instruction[] {
  return FINAL_STAGE.filter((instruction) => instruction.keyword === keyword);
}

/** The exec form (a JSON array) of the final stage's last `keyword`. */
function execForm(keyword: string): string[] {
  const last = finalStage(keyword).at(-1);
  assert.ok(last, `the final stage has ${keyword}`);
  const json = keyword === 'HEALTHCHECK' ? last.args.slice(last.args.indexOf('CMD') + 3).trim() : last.args;
  const parsed = JSON.parse(json) as unknown;
  assert.ok(Array.isArray(parsed) && parsed.every((item) => typeof item === 'string'), `${keyword} is in exec form: ${last.args}`);
  return parsed;
}

/** ENV of the final stage (KEY=VALUE pairs, no quoting in ours). */
function imageEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const { args } of finalStage('ENV')) {
    for (const pair of args.split(/\s+/)) {
      const eq = pair.indexOf('=');
      if (eq > 0) env[pair.slice(0, eq)] = pair.slice(eq + 1);
    }
  }
  return env;
}

const localTini = spawnSync('tini', ['--version'], { stdio: 'ignore' }).status === 0 ? 'tini' : undefined;

/** The image's command line as this machine runs it: /app is the checkout, node this Node. */
function localCommand(argv: readonly string[]): string[] {
  const local: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const word = argv[i] as string;
    if (path.basename(word) === 'tini' && i === 0) {
      if (localTini) local.push(localTini);
      else if (argv[i + 1] === '--') i++; // Not installed here: run what tini would have run.
    } else if (word === 'node') local.push(process.execPath);
    else if (word.startsWith('/app/')) local.push(path.join(ROOT, word.slice('/app/'.length)));
    else local.push(word);
  }
  return local;
}

/** A process started from the image's command line, its JSON log lines read from stderr. */
class Container {
  readonly logs: LogLine[] = [];
  readonly stray: string[] = [];
  readonly process: ChildProcessWithoutNullStreams;
  stdout = '';

  constructor(argv: string[], env: Record<string, string>) {
    const [program, ...args] = argv;
    this.process = spawn(program as string, args, { env: { ...process.env, ...env }, stdio: 'pipe' });
    let partial = '';
    this.process.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      const lines = (partial + chunk).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines.filter((text) => text.trim() !== '')) {
        try {
          this.logs.push(JSON.parse(line) as LogLine);
        } catch {
          this.stray.push(line);
        }
      }
    });
    this.process.stdout.setEncoding('utf8').on('data', (chunk: string) => (this.stdout += chunk));
  }

  async port(): Promise<number> {
    const listening = await waitFor(() => this.logs.find((line) => line.msg === 'listening'), { timeoutMs: 15_000, what: 'the "listening" line' });
    return listening.port as number;
  }

  async stop(): Promise<number | null> {
    this.process.kill('SIGTERM');
    return waitFor(() => (this.process.exitCode !== null || this.process.signalCode !== null ? { code: this.process.exitCode } : undefined), {
      timeoutMs: 20_000,
      what: 'the container process to exit',
    }).then((exited) => exited.code);
  }

  /** After a failure: whatever still runs with `tag` in its environment is killed. */
  async cleanUp(tag: string): Promise<void> {
    if (this.process.exitCode === null && this.process.signalCode === null) await this.stop().catch(() => undefined);
    for (const pid of processesWithEnv(TAG_VARIABLE, tag)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // Gone already.
      }
    }
  }
}

/** The HEALTHCHECK command, run as Docker would inside the container: exit code and output. */
function healthcheck(port: number): { code: number | null; output: string } {
  const run = spawnSync(localCommand(execForm('HEALTHCHECK'))[0] as string, localCommand(execForm('HEALTHCHECK')).slice(1), {
    env: { ...process.env, ...imageEnv(), MCP_SIDECAR_PORT: String(port) },
    encoding: 'utf8',
    timeout: 15_000,
  });
  return { code: run.status, output: `${run.stdout}${run.stderr}`.trim() };
}

describe('Dockerfile', () => {
  it('passes dockerfile-utils with no error and no warning', () => {
    const diagnostics = validate(DOCKERFILE).map(({ range, message }) => `line ${range.start.line + 1}: ${typeof message === 'string' ? message : message.value}`);
    assert.deepEqual(diagnostics, []);
  });

  it('is multi-stage on a Node LTS slim image, runs tini and a non-root user, and probes health without curl', () => {
    const froms = INSTRUCTIONS.filter((instruction) => instruction.keyword === 'FROM');
    assert.ok(froms.length >= 2, 'multi-stage');
    const defaultImage = /^ARG\s+NODE_IMAGE=(\S+)/m.exec(DOCKERFILE)?.[1];
    const base = froms.at(-1)?.args.replace('${NODE_IMAGE}', defaultImage ?? '') ?? '';
    const major = /^node:(\d+)-[a-z]+-slim$/.exec(base)?.[1];
    assert.ok(major !== undefined && Number(major) % 2 === 0, `the final stage runs on an LTS (even) Node slim image: ${base}`);

    const user = finalStage('USER').at(-1)?.args;
    assert.ok(user !== undefined && !['root', '0', '0:0'].includes(user), `USER ${String(user)}`);
    assert.ok(finalStage('RUN').some(({ args }) => /apt-get install .*\btini\b/.test(args)), 'tini comes from Debian');

    const entrypoint = execForm('ENTRYPOINT');
    assert.equal(path.basename(entrypoint[0] ?? ''), 'tini');
    assert.equal(entrypoint[1], '--');
    assert.deepEqual(entrypoint.slice(2, 4), ['node', '/app/dist/src/cli/main.js']);
    assert.deepEqual(entrypoint.slice(4), ['--host', '0.0.0.0']);
    assert.deepEqual(execForm('CMD'), [], 'no arguments: the demo server; docker run image -- <command> replaces them');

    const probe = execForm('HEALTHCHECK');
    assert.deepEqual(probe, ['node', '/app/dist/src/cli/healthcheck.js']);
    assert.ok(!INSTRUCTIONS.some(({ args }) => /\b(curl|wget)\b/.test(args)), 'no curl or wget in any stage');
    const dockerignore = readFileSync(path.join(ROOT, '.dockerignore'), 'utf8').split('\n').map((line) => line.trim());
    assert.ok(dockerignore.includes('*') && !dockerignore.some((line) => /node_modules|dist/.test(line) && line.startsWith('!')), 'the build context is an allow-list');
  });
});

describe(`the image's entrypoint, run here (${localTini ? 'under tini' : 'tini not installed: without it'})`, () => {
  it('serves the demo server (CMD []), answers its HEALTHCHECK, and exits 0 on SIGTERM with nothing left', async () => {
    const tag = newTag();
    const argv = localCommand([...execForm('ENTRYPOINT'), ...execForm('CMD')]);
    // Port 0: the flag-less port comes from the variable, as in the image; the log line gives it.
    const container = new Container(argv, { ...imageEnv(), MCP_SIDECAR_PORT: '0', TINI_SUBREAPER: '1', [TAG_VARIABLE]: tag });
    try {
      const port = await container.port();
      const base = `http://127.0.0.1:${port}`;
      assert.equal((await rawRequest(`${base}/readyz`, { method: 'GET' })).status, 200);

      const connected = await connectClient(`${base}/mcp`);
      assert.equal(connected.client.getServerVersion()?.name, 'mcp-sidecar-demo');
      assert.equal(textOf(await connected.client.callTool({ name: 'add', arguments: { a: 20, b: 22 } })), '42');
      await connected.close();

      const healthy = healthcheck(port);
      assert.equal(healthy.code, 0, healthy.output);
      assert.match(healthy.output, /\/readyz: 200/);

      assert.equal(await container.stop(), 0);
      const unhealthy = healthcheck(port);
      assert.equal(unhealthy.code, 1, unhealthy.output);
      await waitFor(() => processesWithEnv(TAG_VARIABLE, tag).length === 0, { timeoutMs: 10_000, what: 'every process of the container to exit' });
      assert.ok(container.logs.some((line) => line.msg === 'stopped'));
      assert.deepEqual(container.stray, [], 'only JSON log lines on stderr');
      assert.equal(container.stdout, '', 'nothing on stdout');
    } finally {
      await container.cleanUp(tag);
    }
  });

  it('runs the stdio command given after "--" (docker run image -- <command>)', async () => {
    const tag = newTag();
    const argv = localCommand([...execForm('ENTRYPOINT'), '--', ...fixture('echo-server', tag)]);
    const container = new Container(argv, { ...imageEnv(), MCP_SIDECAR_PORT: '0', TINI_SUBREAPER: '1', [TAG_VARIABLE]: tag });
    try {
      const port = await container.port();
      const connected = await connectClient(`http://127.0.0.1:${port}/mcp`);
      assert.equal(connected.client.getServerVersion()?.name, 'echo-fixture');
      assert.equal(textOf(await connected.client.callTool({ name: 'echo', arguments: { text: 'through the image' } })), 'through the image');
      assert.equal(await container.stop(), 0);
      await assertNoneTagged(tag);
      await connected.close().catch(() => undefined); // The daemon is gone: nothing to terminate.
    } finally {
      await container.cleanUp(tag);
    }
  });
});

describe('the HEALTHCHECK command (dist/src/cli/healthcheck.js)', () => {
  const HEALTHCHECK = path.join(path.dirname(CLI), 'healthcheck.js');

  function run(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; output: string; ms: number }> {
    const started = Date.now();
    const child = spawn(process.execPath, [HEALTHCHECK, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    return once(child, 'close').then(([code]) => ({ code: code as number | null, output, ms: Date.now() - started }));
  }

  it('exits 1 with one line naming a bad variable (never 2, which Docker reserves)', async () => {
    const result = await run([], { MCP_SIDECAR_PORT: 'eighty' });
    assert.equal(result.code, 1);
    assert.deepEqual(result.output.trim().split('\n'), ['healthcheck: invalid MCP_SIDECAR_PORT "eighty": expected an integer from 0 to 65535']);
  });

  it('exits 1 within its --timeout when the port accepts but never answers', async () => {
    const sockets: Socket[] = [];
    const silent = createServer((socket) => sockets.push(socket));
    silent.listen(0, '127.0.0.1');
    await once(silent, 'listening');
    try {
      const port = (silent.address() as { port: number }).port;
      const result = await run(['--port', String(port), '--timeout', '300ms']);
      assert.equal(result.code, 1, result.output);
      assert.match(result.output, /no answer/);
      assert.ok(result.ms < 5000, `gave up after ${result.ms}ms`);
    } finally {
      for (const socket of sockets) socket.destroy();
      silent.close();
    }
  });
});
