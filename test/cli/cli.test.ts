/**
 * The built CLI as an operator runs it: bad flags and values are refused with exit code 2 and one
 * line that says what was wrong and what would be right, --help documents every option with its
 * variable, variables and --env take effect, no command serves the demo, and a busy port is a
 * clean exit 1.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { OPTIONS, type OptionSpec } from '../../src/config/schema.js';
import { startDaemon } from '../helpers/daemon.js';
import { connectClient, textOf } from '../helpers/mcp-client.js';
import { CLI, ROOT } from '../helpers/paths.js';
import { waitFor } from '../helpers/poll.js';
import { isAlive } from '../helpers/process-table.js';

interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The environment without any MCP_SIDECAR_* the runner may have set, plus `extra`. */
function cleanEnv(extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (value !== undefined && !key.startsWith('MCP_SIDECAR_')) env[key] = value;
  }
  return { ...env, ...extra };
}

/** Runs the CLI to completion (it must exit on its own within `timeoutMs`). */
async function runCli(args: string[], env: Record<string, string> = {}, timeoutMs = 10_000): Promise<CliRun> {
  const child = spawn(process.execPath, [CLI, ...args], { env: cleanEnv(env), cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  // 'close' (not 'exit'): both pipes are drained by then.
  const [code, signal] = (await once(child, 'close')) as [number | null, NodeJS.Signals | null];
  clearTimeout(timer);
  assert.equal(signal, null, `the CLI was killed (${signal}) after ${timeoutMs}ms: it did not exit by itself`);
  return { code, stdout, stderr };
}

function linesOf(text: string): string[] {
  return text.split('\n').filter((line) => line.trim() !== '');
}

function spec(key: string): OptionSpec {
  const found = OPTIONS.find((option) => option.key === key);
  assert.ok(found, key);
  return found;
}

function flagOf(option: OptionSpec): string {
  return option.flags.split(' ')[0] as string;
}

/** Asserts a usage error: exit 2 and one stderr line holding every one of `parts`. */
function assertUsageError(run: CliRun, parts: string[]): string {
  assert.equal(run.code, 2, `exit code (stderr: ${run.stderr})`);
  const lines = linesOf(run.stderr);
  assert.equal(lines.length, 1, `exactly one line on stderr, got:\n${run.stderr}`);
  const line = lines[0] as string;
  for (const part of parts) assert.ok(line.includes(part), `${JSON.stringify(line)} should name ${JSON.stringify(part)}`);
  assert.equal(run.stdout, '', 'nothing on stdout');
  return line;
}

describe('the CLI refuses a bad flag or value', { concurrency: 4 }, () => {
  const CASES: [string[], string, string][] = [
    [['--port', 'abc'], 'port', 'abc'],
    [['--port', '70000'], 'port', '70000'],
    [['--idle-timeout', '5parsecs'], 'idleTimeoutMs', '5parsecs'],
    [['--drain-timeout', '-1s'], 'drainTimeoutMs', '-1s'],
    [['--log-level', 'loud'], 'logLevel', 'loud'],
    [['--env', 'NOEQUALS'], 'env', 'NOEQUALS'],
    [['--max-body', '-1'], 'maxBodyBytes', '-1'],
    [['--path', 'nopath'], 'path', 'nopath'],
  ];
  for (const [args, key, value] of CASES) {
    it(`${args.join(' ')} → exit 2, naming the option, the value and what it accepts`, async () => {
      const option = spec(key);
      assertUsageError(await runCli(args), [flagOf(option), value, option.accepts]);
    });
  }

  it('every transport off → exit 2, naming the three options', async () => {
    assertUsageError(await runCli(['--path', 'off', '--sse-path', 'off'], { MCP_SIDECAR_WS_PATH: 'off' }), ['--path', '--sse-path', '--ws-path', 'at least one transport']);
  });

  it('two transports on one path → exit 2, naming both', async () => {
    assertUsageError(await runCli(['--sse-path', '/mcp']), ['--sse-path', '/mcp', '--path']);
  });

  it('--tls-cert without --tls-key → exit 2', async () => {
    assertUsageError(await runCli(['--tls-cert', '/nonexistent/cert.pem']), ['--tls-cert', '--tls-key']);
  });

  it('a token file that cannot be read → exit 2, naming it', async () => {
    assertUsageError(await runCli(['--auth-tokens-file', '/nonexistent/tokens']), ['/nonexistent/tokens']);
  });

  it('an unknown option → exit 2, naming it and where the accepted ones are listed', async () => {
    const line = assertUsageError(await runCli(['--bogus']), ['--bogus']);
    assert.match(line, /--help/, `${JSON.stringify(line)} should point at --help for the accepted options`);
  });

  it('a misspelt option → exit 2, suggesting the right one on the same line', async () => {
    assertUsageError(await runCli(['--prot', '80']), ['--prot', '--port']);
  });

  const ENV_CASES: [string, string, string][] = [
    ['MCP_SIDECAR_PORT', 'abc', 'port'],
    ['MCP_SIDECAR_IDLE_TIMEOUT', '5parsecs', 'idleTimeoutMs'],
    ['MCP_SIDECAR_LOG_LEVEL', 'loud', 'logLevel'],
    ['MCP_SIDECAR_ENV', 'NOEQUALS', 'env'],
  ];
  for (const [variable, value, key] of ENV_CASES) {
    it(`${variable}=${value} → exit 2, naming the variable, the value and what it accepts`, async () => {
      assertUsageError(await runCli([], { [variable]: value }), [variable, value, spec(key).accepts]);
    });
  }
});

describe('--help and --version', () => {
  it('--help exits 0 and lists every option with its variable and default', async () => {
    const run = await runCli(['--help']);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stderr, '');
    // One entry per option: it starts on a line indented by two spaces with the flag, and
    // continues on the more deeply indented lines that follow (commander wraps descriptions).
    const entries: string[] = [];
    for (const line of run.stdout.split('\n')) {
      if (/^ {2}-/.test(line)) entries.push(line.trim());
      else if (/^ {3,}\S/.test(line) && entries.length > 0) entries[entries.length - 1] += ` ${line.trim()}`;
    }
    for (const option of OPTIONS) {
      const entry = entries.find((text) => text.startsWith(`${option.flags} `));
      assert.ok(entry, `--help lists ${option.flags}`);
      assert.ok(entry.includes(option.env), `the ${option.flags} entry names ${option.env}: ${entry}`);
      if (option.default !== undefined) {
        // Options without a value by default describe it in their own words instead.
        assert.ok(entry.includes(`default: ${option.defaultText}`), `the ${option.flags} entry gives its default ${option.defaultText}: ${entry}`);
      }
    }
  });

  it('--version exits 0 and prints the package version', async () => {
    const run = await runCli(['--version']);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout.trim(), /^\d+\.\d+\.\d+/);
  });
});

describe('the CLI with a working configuration', () => {
  it('takes option values from MCP_SIDECAR_* variables, a flag winning over its variable', async () => {
    const daemon = await startDaemon({
      fixture: { name: 'echo-server' },
      env: {
        MCP_SIDECAR_PATH: '/custom',
        MCP_SIDECAR_IDLE_TIMEOUT: '2min',
        MCP_SIDECAR_ENV: 'SIDECAR_TEST_FROM_VAR_A=1\nSIDECAR_TEST_FROM_VAR_B=two words',
        // startDaemon passes --log-level debug: the "listening" line (info) shows the flag won.
        MCP_SIDECAR_LOG_LEVEL: 'warn',
      },
    });
    try {
      assert.ok(daemon.url.endsWith('/custom'), daemon.url);
      const listening = daemon.logs.find((line) => line.msg === 'listening');
      assert.equal(listening?.idleTimeout, '2min');
      const { client, close } = await connectClient(daemon.url);
      assert.equal(textOf(await client.callTool({ name: 'echo', arguments: { text: 'on /custom' } })), 'on /custom');
      assert.equal(textOf(await client.callTool({ name: 'env', arguments: { name: 'SIDECAR_TEST_FROM_VAR_A' } })), '1');
      assert.equal(textOf(await client.callTool({ name: 'env', arguments: { name: 'SIDECAR_TEST_FROM_VAR_B' } })), 'two words');
      await close();
      const old = await fetch(`${daemon.baseUrl}/mcp`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
      await old.body?.cancel();
      assert.equal(old.status, 404);
    } finally {
      await daemon.close();
    }
  });

  it('passes --env KEY=VALUE to the child, repeated flags accumulating', async () => {
    const daemon = await startDaemon({
      fixture: { name: 'echo-server' },
      args: ['--env', 'SIDECAR_TEST_GREETING=hello=world', '--env', 'SIDECAR_TEST_SECOND=2'],
    });
    try {
      const { client, close } = await connectClient(daemon.url);
      assert.equal(textOf(await client.callTool({ name: 'env', arguments: { name: 'SIDECAR_TEST_GREETING' } })), 'hello=world');
      assert.equal(textOf(await client.callTool({ name: 'env', arguments: { name: 'SIDECAR_TEST_SECOND' } })), '2');
      assert.equal(textOf(await client.callTool({ name: 'env', arguments: { name: 'SIDECAR_TEST_UNSET' } })), '<unset>');
      await close();
    } finally {
      await daemon.close();
    }
  });

  it('serves the built-in demo server when no command is given', async () => {
    const daemon = await startDaemon();
    try {
      const { client, close } = await connectClient(daemon.url);
      const tools = (await client.listTools()).tools.map((tool) => tool.name);
      for (const name of ['echo', 'add', 'time']) assert.ok(tools.includes(name), `demo tool ${name} in ${tools.join(', ')}`);
      assert.equal(textOf(await client.callTool({ name: 'add', arguments: { a: 2, b: 3 } })), '5');
      const opened = await daemon.waitForLog((line) => line.msg === 'session opened', 5000, 'the session to open');
      assert.equal(opened.server, 'demo');
      const pid = opened.pid as number;
      await close();
      // The demo child carries no tag: check it by pid.
      await waitFor(() => !isAlive(pid), { timeoutMs: 10_000, what: `the demo child ${pid} to exit` });
    } finally {
      await daemon.close();
    }
  });
});

describe('the CLI when it cannot listen', () => {
  let blocker: ReturnType<typeof createServer>;
  let port = 0;
  before(async () => {
    blocker = createServer();
    blocker.listen(0, '127.0.0.1');
    await once(blocker, 'listening');
    port = (blocker.address() as { port: number }).port;
  });
  after(() => {
    blocker.close();
  });

  it('exits 1 with one line naming the address already in use', async () => {
    const run = await runCli(['--host', '127.0.0.1', '--port', String(port)]);
    assert.equal(run.code, 1, run.stderr);
    const lines = linesOf(run.stderr);
    assert.equal(lines.length, 1, `exactly one line on stderr, got:\n${run.stderr}`);
    assert.ok(lines[0]?.includes(`127.0.0.1:${port}`), lines[0]);
    assert.match(lines[0] ?? '', /EADDRINUSE|in use/);
  });
});
