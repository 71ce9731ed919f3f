/**
 * The config file from the command line, as an operator meets it: --check-config validates like
 * `nginx -t` (the effective configuration on stdout with secrets redacted, exit 0; every error on
 * a line of its own, exit 2), flags and MCP_SIDECAR_* variables override the file's sidecar
 * section, --config refuses a command after -- and --name, and --print-config-schema prints the
 * committed docs/config.schema.json.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:http';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { CLI, FIXTURES, ROOT } from '../helpers/paths.js';

interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

function cleanEnv(extra: Record<string, string>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) if (value !== undefined && !key.startsWith('MCP_SIDECAR_')) env[key] = value;
  return { ...env, ...extra };
}

async function runCli(args: string[], env: Record<string, string> = {}): Promise<CliRun> {
  const child = spawn(process.execPath, [CLI, ...args], { env: cleanEnv(env), cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
  const [code, signal] = (await once(child, 'close')) as [number | null, NodeJS.Signals | null];
  clearTimeout(timer);
  assert.equal(signal, null, 'the CLI must exit by itself');
  return { code, stdout, stderr };
}

const scratch = mkdtempSync(path.join(tmpdir(), 'mcp-sidecar-config-cli-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

function write(name: string, content: unknown): string {
  const file = path.join(scratch, name);
  writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content, null, 2));
  return file;
}

const ECHO = { command: process.execPath, args: [path.join(FIXTURES, 'echo-server.js')] };
const VALID = {
  sidecar: { port: 9100, drainTimeoutMs: '3s', authTokens: 'ops:s3cr3t-token-value-0123456789' },
  mcpServers: {
    github: { ...ECHO, env: { GITHUB_PERSONAL_ACCESS_TOKEN: 'ghp_abcdefghijklmnopqrstuvwxyz0123456789', LOG: 'debug' }, restartSecMs: 250 },
    db: { ...ECHO, args: [...ECHO.args, 'postgresql://app:hunter2@db.internal/app'], ssePath: false },
  },
};

describe('--check-config', () => {
  it('prints the effective configuration, secrets redacted, and exits 0', async () => {
    const file = write('valid.json', VALID);
    const run = await runCli(['--check-config', file]);
    assert.equal(run.code, 0, run.stderr);
    const effective = JSON.parse(run.stdout) as { sidecar: Record<string, unknown>; mcpServers: Record<string, Record<string, unknown>> };
    assert.equal(effective.sidecar.port, 9100);
    assert.equal(effective.sidecar.drainTimeoutMs, '3s');
    assert.equal(effective.sidecar.authTokens, '[redacted]');
    const github = effective.mcpServers.github as Record<string, unknown>;
    assert.deepEqual(github.env, { GITHUB_PERSONAL_ACCESS_TOKEN: '[redacted]', LOG: 'debug' });
    assert.equal(github.restartSecMs, '250ms');
    assert.equal(github.path, '/mcp', 'paths as the file writes them, under the server\'s prefix');
    assert.equal(github.restart, 'on-failure');
    assert.deepEqual((effective.mcpServers.db as Record<string, unknown>).args, [ECHO.args[0], 'postgresql://[redacted]@db.internal/app']);
    for (const secret of ['s3cr3t-token', 'ghp_abc', 'hunter2']) assert.ok(!run.stdout.includes(secret) && !run.stderr.includes(secret), `${secret} must not be printed`);
    assert.match(run.stderr, /^serves github: \/github\/mcp \/github\/sse \/github\/ws$/m);
    assert.match(run.stderr, /^serves db: \/db\/mcp \/db\/ws$/m);
    assert.match(run.stderr, new RegExp(`configuration file ${file} test is successful`));
  });

  it('prints what it prints as a file it accepts itself', async () => {
    const first = await runCli(['--check-config', write('round-1.json', VALID)]);
    const again = await runCli(['--check-config', write('round-2.json', first.stdout.replace(/"\[redacted\]"/g, '"ops:redacted-value-0123456789"'))]);
    assert.equal(again.code, 0, again.stderr);
  });

  it('lets flags and MCP_SIDECAR_* variables override the sidecar section, not a server\'s entry', async () => {
    const file = write('precedence.json', VALID);
    const run = await runCli(['--check-config', file, '--drain-timeout', '7s', '--restart-sec', '1s'], { MCP_SIDECAR_PORT: '9200' });
    assert.equal(run.code, 0, run.stderr);
    const effective = JSON.parse(run.stdout) as { sidecar: Record<string, unknown>; mcpServers: Record<string, Record<string, unknown>> };
    assert.equal(effective.sidecar.drainTimeoutMs, '7s');
    assert.equal(effective.sidecar.port, 9200);
    assert.equal(effective.mcpServers.github?.restartSecMs, '250ms', 'the entry wins');
    assert.equal(effective.mcpServers.db?.restartSecMs, '1s', 'the flag is every other server\'s default');
  });

  it('prints every error on a line of its own and exits 2', async () => {
    const file = write('broken.json', { sidecar: { drainTimeout: '5s' }, mcpServers: { a: { command: 'x', restartSecMs: 'soon' }, b: { type: 'sse', url: 'https://x' } } });
    const run = await runCli(['--check-config', file]);
    assert.equal(run.code, 2);
    assert.equal(run.stdout, '');
    const lines = run.stderr.trim().split('\n');
    assert.deepEqual(lines.map((line) => line.replace(file, 'FILE')), [
      'FILE: sidecar.drainTimeout = "5s": unknown key (did you mean drainTimeoutMs?). Expected an option of docs/config.schema.json.',
      'FILE: mcpServers.a.restartSecMs = "soon": not accepted. Expected a duration such as 500ms, 5s, 2min, 1h or infinity; a JSON number is milliseconds.',
      'FILE: mcpServers.b.type = "sse": a remote server: the daemon runs stdio servers only (connect clients to that server directly). Expected "stdio", or no type.',
      'mcp-sidecar: configuration file FILE test failed',
    ]);
  });

  it('reads the files a server names (a bad tool policy fails the check, naming the server)', async () => {
    const policy = write('policy.json', '{"tokens": {"ops": "search"}}');
    const file = write('policy-config.json', { mcpServers: { a: { ...ECHO, toolPolicy: policy } } });
    const run = await runCli(['--check-config', file]);
    assert.equal(run.code, 2);
    assert.match(run.stderr, new RegExp(`^${file}: mcpServers\\.a: .*expected an array of tool names`, 'm'));
  });

  it('warns of a command that is not there, and still passes (the daemon would start)', async () => {
    const file = write('missing-command.json', { mcpServers: { ghost: { command: 'mcp-sidecar-test-no-such-program' } } });
    const run = await runCli(['--check-config', file]);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stderr, /^warning: .*: mcpServers\.ghost\.command: command not found in PATH: mcp-sidecar-test-no-such-program/m);
  });
});

describe('--config on the command line', () => {
  it('refuses a command after -- beside it', async () => {
    const run = await runCli(['--config', write('with-command.json', VALID), '--', 'node', 'server.js']);
    assert.equal(run.code, 2);
    assert.match(run.stderr, /a command after -- and a config file \(.*\) do not go together: the file names the servers/);
  });

  it('refuses --name beside it', async () => {
    const run = await runCli(['--config', write('with-name.json', VALID), '--name', 'x']);
    assert.equal(run.code, 2);
    assert.match(run.stderr, /option '--name' names the command line's one server/);
  });

  it('does not start with a broken file, printing why', async () => {
    const file = write('start-broken.json', { mcpServers: { a: { command: 'x', memoryMaxBytes: 'lots' } } });
    const run = await runCli(['--config', file]);
    assert.equal(run.code, 2);
    assert.equal(run.stderr.trim(), `error: ${file}: mcpServers.a.memoryMaxBytes = "lots": not accepted. Expected a size such as 65536, 512kb, 4mb or 1gb, or infinity; a JSON number is bytes.`);
  });
});

it('--print-config-schema prints docs/config.schema.json', async () => {
  const run = await runCli(['--print-config-schema']);
  assert.equal(run.code, 0);
  assert.equal(run.stdout, readFileSync(path.join(ROOT, 'docs', 'config.schema.json'), 'utf8'));
});

it('the container HEALTHCHECK probes the port the config file\'s sidecar section names', async () => {
  const server = createServer((req, res) => res.writeHead(req.url === '/readyz' ? 200 : 404).end('{"status":"ready"}'));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  try {
    const port = (server.address() as { port: number }).port;
    const file = write('healthcheck.json', `{ // JSONC, as the daemon reads it\n "sidecar": { "port": ${port} }, "mcpServers": {} }`);
    const healthcheck = path.join(path.dirname(CLI), 'healthcheck.js');
    const probe = async (env: Record<string, string>): Promise<{ code: number | null; stdout: string }> => {
      const child = spawn(process.execPath, [healthcheck], { env: cleanEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
      const [code] = (await once(child, 'close')) as [number | null];
      return { code, stdout };
    };
    const found = await probe({ MCP_SIDECAR_CONFIG: file });
    assert.equal(found.code, 0);
    assert.match(found.stdout, new RegExp(`127\\.0\\.0\\.1:${port}/readyz: 200`));
    const overridden = await probe({ MCP_SIDECAR_CONFIG: file, MCP_SIDECAR_PORT: '1' });
    assert.equal(overridden.code, 1, 'the variable wins over the file, as for the daemon');
  } finally {
    server.close();
  }
});
