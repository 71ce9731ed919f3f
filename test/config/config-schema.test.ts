/**
 * The config file's JSON Schema: docs/config.schema.json is what --print-config-schema prints
 * (this test fails, printing the fresh schema, when they differ), it compiles under a strict
 * draft-07 validator, names every option where the file takes it, and agrees with the loader on a
 * table of files: what the loader accepts the schema accepts, and the shape errors it catches.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { Ajv } from 'ajv';
import { loadConfigFile } from '../../src/config/config-file.js';
import { configJsonSchema } from '../../src/config/json-schema.js';
import { defaultConfig, OPTIONS } from '../../src/config/schema.js';
import { ROOT } from '../helpers/paths.js';

const SCHEMA_FILE = path.join(ROOT, 'docs', 'config.schema.json');
const scratch = mkdtempSync(path.join(tmpdir(), 'mcp-sidecar-schema-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

type Properties = Record<string, unknown>;

describe('the config file\'s JSON Schema', () => {
  const schema = configJsonSchema();
  const fresh = `${JSON.stringify(schema, null, 2)}\n`;

  it('is committed as docs/config.schema.json', () => {
    assert.equal(readFileSync(SCHEMA_FILE, 'utf8'), fresh, `docs/config.schema.json must be the current schema:\n\n${fresh}`);
  });

  it('names every option where the file takes it', () => {
    const properties = schema.properties as { sidecar: { properties: Properties } };
    const server = (schema.definitions as { server: { properties: Properties } }).server.properties;
    for (const option of OPTIONS) {
      if (option.key === 'name') continue;
      assert.ok(option.key in properties.sidecar.properties, `sidecar.${option.key}`);
      assert.equal(option.key in server, option.scope === 'server', `server entries ${option.scope === 'server' ? 'take' : 'refuse'} ${option.key}`);
    }
  });

  // strictRequired would flag `anyOf: [{ required: ['mcpServers'] }, …]`, whose properties are
  // defined one level up, as draft-07 allows; every other strict check stays on.
  const ajv = new Ajv({ strict: true, strictRequired: false, allowUnionTypes: true, allErrors: true });
  const validate = ajv.compile(schema);
  const ECHO = { command: 'node', args: ['server.js'] };
  /** A file, and whether both the loader and the schema accept it. */
  const FILES: [string, unknown, boolean][] = [
    ['Claude Desktop\'s shape', { mcpServers: { github: { command: 'npx', args: ['-y', 'server'], env: { TOKEN: 'x' } } } }, true],
    ['VS Code\'s shape', { inputs: [], servers: { echo: { type: 'stdio', ...ECHO, cwd: '/tmp' } } }, true],
    ['options as text and as numbers', { sidecar: { port: 8080, drainTimeoutMs: '5s', allowedHosts: ['a.example'], status: true, restart: 'always' }, mcpServers: { a: { ...ECHO, memoryMaxBytes: 1048576, idleTimeoutMs: '10min', ssePath: false, passEnv: 'A,B', logToolArgs: 'on' } } }, true],
    ['client-only keys', { mcpServers: { a: { ...ECHO, autoApprove: ['x'], timeout: 60, disabled: false } } }, true],
    ['a daemon-wide key in a server', { mcpServers: { a: { ...ECHO, port: 9000 } } }, false],
    ['an unknown key in a server', { mcpServers: { a: { ...ECHO, restartSec: '5s' } } }, false],
    ['an unknown sidecar key', { sidecar: { listen: 'x' }, mcpServers: { a: ECHO } }, false],
    ['no command', { mcpServers: { a: { args: [] } } }, false],
    ['a remote type', { servers: { a: { type: 'http', url: 'https://x' } } }, false],
    ['a bad server name', { mcpServers: { 'my server': ECHO } }, false],
    ['a reserved server name', { mcpServers: { status: ECHO } }, false],
    ['a choice not offered', { mcpServers: { a: { ...ECHO, restart: 'sometimes' } } }, false],
    ['no servers', { sidecar: {} }, false],
  ];
  for (const [what, file, valid] of FILES) {
    it(`${valid ? 'accepts' : 'refuses'} ${what}, as the loader does`, () => {
      const target = path.join(scratch, `${what.replace(/\W+/g, '-')}.json`);
      writeFileSync(target, JSON.stringify(file));
      const loaded = loadConfigFile(target, { config: defaultConfig(), explicit: new Set() });
      assert.equal(loaded.ok, valid, `loader: ${loaded.ok ? 'accepted' : loaded.errors.join('\n')}`);
      assert.equal(validate(file), valid, `schema: ${JSON.stringify(validate.errors)}`);
    });
  }
});
