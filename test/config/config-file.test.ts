/**
 * The config file as loadConfigFile reads it: the clients' shapes (Claude Desktop and Cursor's
 * mcpServers, VS Code's servers with type and JSONC), per-server options in the flags' texts or as
 * JSON numbers, the sidecar section, precedence (entry > flag or variable > sidecar > default), and
 * a table of broken files whose every error names the file, the JSON path, the value and what is
 * accepted, and never repeats a secret.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { loadConfigFile, type CommandLineSettings, type LoadResult } from '../../src/config/config-file.js';
import type { DaemonPlan, ServerPlan } from '../../src/config/plan.js';
import { defaultConfig, type SidecarConfig } from '../../src/config/schema.js';

const scratch = mkdtempSync(path.join(tmpdir(), 'mcp-sidecar-config-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

let files = 0;
function write(content: unknown, name = `config-${++files}.json`): string {
  const file = path.join(scratch, name);
  writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content));
  return file;
}

const NO_FLAGS: CommandLineSettings = { config: defaultConfig(), explicit: new Set() };

function flags(values: Partial<SidecarConfig>): CommandLineSettings {
  return { config: { ...defaultConfig(), ...values }, explicit: new Set(Object.keys(values) as (keyof SidecarConfig)[]) };
}

function load(content: unknown, commandLine = NO_FLAGS, running?: SidecarConfig): LoadResult {
  return loadConfigFile(write(content), commandLine, running);
}

function planOf(result: LoadResult): DaemonPlan {
  if (!result.ok) assert.fail(`expected a valid file, got:\n${result.errors.join('\n')}`);
  return result.plan;
}

function server(plan: DaemonPlan, name: string): ServerPlan {
  const found = plan.servers.find((candidate) => candidate.name === name);
  assert.ok(found, `server ${name}`);
  return found;
}

const ECHO = { command: 'node', args: ['server.js'] };

describe('config file: the clients\' shapes', () => {
  it('reads Claude Desktop\'s mcpServers as it is, each server at /<name>/...', () => {
    const plan = planOf(load({ mcpServers: { github: { command: 'npx', args: ['-y', '@modelcontextprotocol/server-github'], env: { GITHUB_PERSONAL_ACCESS_TOKEN: 'ghp_x' } }, fs: ECHO } }));
    assert.deepEqual(plan.servers.map((entry) => entry.name), ['github', 'fs']);
    const github = server(plan, 'github');
    assert.deepEqual(github.command, ['npx', '-y', '@modelcontextprotocol/server-github']);
    assert.equal(github.config.env.GITHUB_PERSONAL_ACCESS_TOKEN, 'ghp_x');
    assert.equal(github.prefix, '/github');
    assert.deepEqual([github.config.path, github.config.ssePath, github.config.messagesPath, github.config.wsPath], ['/github/mcp', '/github/sse', '/github/messages', '/github/ws']);
    assert.equal(github.config.restart, 'on-failure', 'defaults where the file says nothing');
    assert.equal(github.origin, 'mcpServers.github');
  });

  it('reads VS Code\'s servers with type stdio, comments, trailing commas and inputs', () => {
    const text = `{
      // VS Code's mcp.json
      "inputs": [{ "type": "promptString", "id": "key" }],
      "servers": {
        /* the one server */
        "echo": { "type": "stdio", "command": "node", "args": ["a, b", "//not a comment",], },
      },
    }`;
    const plan = planOf(load(text));
    assert.deepEqual(server(plan, 'echo').command, ['node', 'a, b', '//not a comment']);
  });

  it('takes per-server options in the flags\' texts and as JSON numbers in the key\'s unit', () => {
    const plan = planOf(load({ mcpServers: { a: { ...ECHO, restartSecMs: '5s', memoryMaxBytes: '64mb', requestTimeoutMs: 2500, eventStoreMaxBytes: 4096, ssePath: false, wsPath: 'off', passEnv: ['HTTPS_PROXY', 'AWS_*'], rateLimit: '10/s:20', poolMin: 2, logToolArgs: true, cacheScope: 'public', isolation: 'shared', sessionTtlMs: 'infinity' } } }));
    const config = server(plan, 'a').config;
    assert.equal(config.restartSecMs, 5000);
    assert.equal(config.memoryMaxBytes, 64 * 1024 ** 2);
    assert.equal(config.requestTimeoutMs, 2500);
    assert.equal(config.eventStoreMaxBytes, 4096);
    assert.equal(config.ssePath, false);
    assert.equal(config.wsPath, false);
    assert.deepEqual(config.passEnv, ['HTTPS_PROXY', 'AWS_*']);
    assert.deepEqual(config.rateLimit, { perSecond: 10, burst: 20, text: '10/s:20' });
    assert.equal(config.poolMax, 2, '--pool-max follows --pool-min, as on the command line');
    assert.equal(config.logToolArgs, true);
    assert.equal(config.cacheScope, 'public');
    assert.equal(config.isolation, 'shared', 'passed through for the isolation modes');
    assert.equal(config.sessionTtlMs, Infinity);
  });

  it('skips disabled servers and notes top-level keys it does not read', () => {
    const result = load({ globalShortcut: 'Ctrl+Q', mcpServers: { on: ECHO, off: { ...ECHO, disabled: true, autoApprove: ['x'] } } });
    const plan = planOf(result);
    assert.deepEqual(plan.servers.map((entry) => entry.name), ['on']);
    assert.ok(result.ok);
    assert.deepEqual(result.notes, ['top-level key "globalShortcut" is not read by mcp-sidecar (ignored)', 'server "off" is disabled (not started)']);
  });

  it('replaces ${env:NAME} and ${userHome}, resolves cwd and envFile against the file, env over envFile', () => {
    process.env.MCP_SIDECAR_TEST_SECRET = 'from-daemon';
    const envFile = write('# comment\nexport A=from-file\nB="quoted"\n\nC=file\n', 'vars.env');
    const plan = planOf(load({ mcpServers: { a: { command: '${userHome}/bin/server', args: ['--key=${env:MCP_SIDECAR_TEST_SECRET}'], cwd: 'work', envFile: path.basename(envFile), env: { C: 'entry' } } } }));
    const a = server(plan, 'a');
    assert.deepEqual(a.command, [`${homedir()}/bin/server`, '--key=from-daemon']);
    assert.equal(a.config.cwd, path.join(scratch, 'work'));
    assert.deepEqual({ A: a.config.env.A, B: a.config.env.B, C: a.config.env.C }, { A: 'from-file', B: 'quoted', C: 'entry' });
  });
});

describe('config file: precedence', () => {
  const file = { sidecar: { port: 9000, restart: 'always', drainTimeoutMs: '3s', env: { SHARED: '1', OVERRIDDEN: 'sidecar' }, passEnv: ['HTTPS_PROXY'] }, mcpServers: { plain: ECHO, own: { ...ECHO, restart: 'no', env: { OVERRIDDEN: 'entry' }, passEnv: ['TOKEN'] } } };

  it('a server\'s entry, then the sidecar section, then the default', () => {
    const plan = planOf(load(file));
    assert.equal(plan.config.port, 9000);
    assert.equal(plan.config.drainTimeoutMs, 3000);
    assert.equal(server(plan, 'plain').config.restart, 'always');
    assert.equal(server(plan, 'own').config.restart, 'no');
    assert.deepEqual(server(plan, 'own').config.env, { SHARED: '1', OVERRIDDEN: 'entry' }, 'env merges by variable');
    assert.deepEqual(server(plan, 'own').config.passEnv, ['HTTPS_PROXY', 'TOKEN'], 'passEnv adds names');
  });

  it('a flag or variable overrides the sidecar section, not a server\'s entry', () => {
    const plan = planOf(load(file, flags({ port: 0, restart: 'on-failure' })));
    assert.equal(plan.config.port, 0);
    assert.equal(server(plan, 'plain').config.restart, 'on-failure');
    assert.equal(server(plan, 'own').config.restart, 'no');
  });

  it('gives each server its own audience under the daemon\'s resource URL', () => {
    const plan = planOf(load({ sidecar: { resourceUrl: 'https://mcp.example.com/', authTokens: 'ops:0123456789abcdef0123' }, mcpServers: { github: ECHO } }));
    assert.equal(plan.config.resourceUrl, 'https://mcp.example.com/');
    assert.equal(server(plan, 'github').config.resourceUrl, 'https://mcp.example.com/github');
  });

  it('on reload keeps the running daemon-wide values and names those the file changed', () => {
    const running = planOf(load(file)).config;
    const result = load({ ...file, sidecar: { ...file.sidecar, port: 9001, restart: 'no' } }, NO_FLAGS, running);
    assert.ok(result.ok);
    assert.deepEqual(result.daemonChanges, ['port']);
    assert.equal(result.plan.config.port, 9000);
    assert.equal(server(result.plan, 'plain').config.restart, 'no', 'per-server defaults apply at once');
  });

  it('fingerprints a definition: equal files are equal, a changed variable is not', () => {
    const first = server(planOf(load(file)), 'own').fingerprint;
    assert.equal(server(planOf(load(file)), 'own').fingerprint, first);
    const changed = { ...file, mcpServers: { ...file.mcpServers, own: { ...file.mcpServers.own, env: { OVERRIDDEN: 'other' } } } };
    assert.notEqual(server(planOf(load(changed)), 'own').fingerprint, first);
    assert.equal(server(planOf(load(changed)), 'plain').fingerprint, server(planOf(load(file)), 'plain').fingerprint);
  });
});

/** A broken file and what its errors must say (each regex must match one error line). */
const BROKEN: [string, unknown, RegExp[]][] = [
  ['JSON that does not parse', '{\n  "mcpServers": {\n    "a": { "command": "x" \n  }\n', [/line \d+, column \d+: .*Expected JSON \(comments and trailing commas are accepted\)/]],
  ['not an object', '[]', [/\(top level\) = \[\]: not an object\. Expected an object with mcpServers/]],
  ['no servers section', { sidecar: {} }, [/mcpServers: missing\. Expected an object of named servers: mcpServers .* or servers/]],
  ['a servers section that is not an object', { mcpServers: ['a'] }, [/mcpServers = \["a"\]: not an object\. Expected an object of named servers/]],
  ['no server in it', { mcpServers: {} }, [/mcpServers = \{\}: no server to run\. Expected at least one named server/]],
  ['every server disabled', { mcpServers: { a: { ...ECHO, disabled: true } } }, [/no server to run\. Expected at least one server without disabled: true/]],
  ['a name with a space', { mcpServers: { 'my server': ECHO } }, [/mcpServers\["my server"\] = "my server": not a usable server name\. Expected letters, digits, \., _ and -/]],
  ['a reserved name', { mcpServers: { metrics: ECHO } }, [/mcpServers\.metrics = "metrics": not a usable server name\. Expected .*not healthz, readyz, metrics or status/]],
  ['an entry that is not an object', { mcpServers: { a: 'npx server' } }, [/mcpServers\.a = "npx server": not an object\. Expected an object with command, args, env, cwd/]],
  ['no command', { mcpServers: { a: { args: [] } } }, [/mcpServers\.a\.command: missing\. Expected the program to run/]],
  ['a command that is not a string', { mcpServers: { a: { command: ['npx'] } } }, [/mcpServers\.a\.command = \["npx"\]: not a program\. Expected a non-empty string/]],
  ['args not an array', { mcpServers: { a: { command: 'x', args: '-y server' } } }, [/mcpServers\.a\.args = "-y server": not an array\. Expected an array of strings/]],
  ['an argument that is a number', { mcpServers: { a: { command: 'x', args: ['--port', 8080] } } }, [/mcpServers\.a\.args\[1\] = 8080: not a string\. Expected a string/]],
  ['VS Code\'s http type', { servers: { remote: { type: 'http', url: 'https://api.example.com/mcp' } } }, [/servers\.remote\.type = "http": a remote server: the daemon runs stdio servers only .*Expected "stdio", or no type/]],
  ['Cursor\'s remote url', { mcpServers: { remote: { url: 'https://api.example.com/sse' } } }, [/mcpServers\.remote\.url = "https:\/\/api\.example\.com\/sse": a remote server: the daemon runs stdio servers only/]],
  ['a misspelt option', { mcpServers: { a: { ...ECHO, restartSec: '5s' } } }, [/mcpServers\.a\.restartSec = "5s": unknown key \(did you mean restartSecMs\?\)\. Expected command, args, env/]],
  ['a flag name for a key', { mcpServers: { a: { ...ECHO, 'max-sessions': 4 } } }, [/mcpServers\.a\["max-sessions"\] = 4: unknown key \(did you mean maxSessions\?\)/]],
  ['a daemon-wide option in a server', { mcpServers: { a: { ...ECHO, port: 9000 } } }, [/mcpServers\.a\.port = 9000: a daemon-wide option\. Expected it in the "sidecar" section/]],
  ['name inside an entry', { mcpServers: { a: { ...ECHO, name: 'b' } } }, [/mcpServers\.a\.name = "b": a server's name is its key/]],
  ['a duration that is none', { mcpServers: { a: { ...ECHO, restartSecMs: '5 parsecs' } } }, [/mcpServers\.a\.restartSecMs = "5 parsecs": not accepted\. Expected a duration such as 500ms, 5s, 2min, 1h or infinity; a JSON number is milliseconds\./]],
  ['a size that is a boolean', { mcpServers: { a: { ...ECHO, memoryMaxBytes: true } } }, [/mcpServers\.a\.memoryMaxBytes = true: not accepted\. Expected a size such as 65536, 512kb, 4mb or 1gb, or infinity; a JSON number is bytes\./]],
  ['a choice not offered', { mcpServers: { a: { ...ECHO, isolation: 'per-user' } } }, [/mcpServers\.a\.isolation = "per-user": not accepted\. Expected session, principal, shared\./]],
  ['a negative count', { mcpServers: { a: { ...ECHO, maxSessions: -1 } } }, [/mcpServers\.a\.maxSessions = -1: not accepted\. Expected a whole number from 1, as a JSON number or a string\./]],
  ['an env value that is an object (never shown)', { mcpServers: { a: { ...ECHO, env: { API_KEY: { secret: 'hunter2' } } } } }, [/mcpServers\.a\.env\.API_KEY = \{…\}: not a string\. Expected a string/]],
  ['an env name that is none', { mcpServers: { a: { ...ECHO, env: { 'MY-VAR': 'hunter2' } } } }, [/mcpServers\.a\.env\["MY-VAR"\] = "\[redacted\]": not a variable name\./]],
  ['a VS Code input', { mcpServers: { a: { ...ECHO, env: { TOKEN: '${input:token}' } } } }, [/mcpServers\.a\.env\.TOKEN = "\[redacted\]": \$\{input:token\} is a VS Code input, asked of a user in the editor\. Expected the value itself, \$\{env:NAME\}/]],
  ['a variable the daemon lacks', { mcpServers: { a: { command: '${env:MCP_SIDECAR_TEST_UNSET}' } } }, [/mcpServers\.a\.command = "\$\{env:MCP_SIDECAR_TEST_UNSET\}": \$\{env:MCP_SIDECAR_TEST_UNSET\}: the daemon has no variable MCP_SIDECAR_TEST_UNSET\./]],
  ['an envFile not there', { mcpServers: { a: { ...ECHO, envFile: 'missing.env' } } }, [/mcpServers\.a\.envFile = "missing\.env": cannot be read \(ENOENT\)\. Expected a readable file of NAME=value lines\./]],
  ['a client\'s tool filter', { mcpServers: { a: { ...ECHO, disabledTools: ['delete_repo'] } } }, [/mcpServers\.a\.disabledTools = \["delete_repo"\]: tool filters of clients are not applied by the daemon\. Expected toolPolicy/]],
  ['the same name twice', { mcpServers: { a: ECHO }, servers: { a: ECHO } }, [/servers\.a = "a": a second server of that name\. Expected each name once across mcpServers and servers\./]],
  ['a sidecar key that is none', { sidecar: { listen: '0.0.0.0' }, mcpServers: { a: ECHO } }, [/sidecar\.listen = "0\.0\.0\.0": unknown key\. Expected an option of docs\/config\.schema\.json\./]],
  ['a sidecar port out of range', { sidecar: { port: 70000 }, mcpServers: { a: ECHO } }, [/sidecar\.port = 70000: not accepted\. Expected an integer from 0 to 65535/]],
  ['a rule between options, in a server', { mcpServers: { a: { ...ECHO, poolMin: 4, poolMax: 2 } } }, [/mcpServers\.a: option 'poolMax' value 2 is below poolMin 4\. Expected at least 4\./]],
  ['a rule between options, daemon-wide', { sidecar: { tlsCert: '/etc/cert.pem' }, mcpServers: { a: ECHO } }, [/sidecar: options 'tlsCert' and 'tlsKey' go together\. Expected both or neither\./]],
  ['several mistakes at once', { mcpServers: { a: { command: 'x', restartSecMs: 'soon' }, b: { args: [] } } }, [/mcpServers\.a\.restartSecMs = "soon"/, /mcpServers\.b\.command: missing/]],
];

describe('config file: errors name the file, the JSON path, the value and what is accepted', () => {
  for (const [what, content, expected] of BROKEN) {
    it(what, () => {
      const file = write(content);
      const result = loadConfigFile(file, NO_FLAGS);
      assert.equal(result.ok, false, `${what}: the file must be refused`);
      if (result.ok) return;
      for (const line of result.errors) assert.ok(line.startsWith(`${file}: `), `every error names the file: ${line}`);
      for (const pattern of expected) assert.ok(result.errors.some((line) => pattern.test(line)), `${what}: no error matches ${pattern}:\n${result.errors.join('\n')}`);
      assert.ok(!result.errors.join('\n').includes('hunter2'), 'no secret in an error');
    });
  }

  it('a file that cannot be read', () => {
    const file = path.join(scratch, 'absent.json');
    const result = loadConfigFile(file, NO_FLAGS);
    assert.deepEqual(result, { ok: false, errors: [`${file}: cannot be read (ENOENT). Expected a readable JSON file.`] });
  });
});
