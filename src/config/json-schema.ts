/**
 * The config file's JSON Schema (draft-07, which editors understand), made from the option table
 * like the README's table: `mcp-sidecar --print-config-schema` prints it, docs/config.schema.json
 * is that output committed (test/config/config-schema.test.ts keeps the two equal).
 */
import { fileAccepts, valueKindOf } from './file-values.js';
import { formatOption } from './format-option.js';
import { INTERPOLATION_FORMAT } from './interpolate.js';
import { SERVER_OPTIONS, SIDECAR_OPTIONS } from './option-keys.js';
import type { OptionSpec } from './schema.js';
import { CLIENT_ONLY_KEYS, RESERVED_NAMES, SERVER_NAME } from './server-entry.js';

type Schema = Record<string, unknown>;

const BOOLEAN_WORDS = ['true', 'false', '1', '0', 'yes', 'no', 'on', 'off'];

function valueSchema(spec: OptionSpec): Schema {
  if (spec.choices) return { type: 'string', enum: [...spec.choices] };
  switch (valueKindOf(spec)) {
    case 'env': return { type: 'object', propertyNames: { pattern: '^[A-Za-z_][A-Za-z0-9_]*$' }, additionalProperties: { type: ['string', 'number', 'boolean'] } };
    case 'duration': return { anyOf: [{ type: 'number', minimum: 0 }, { type: 'string' }] };
    case 'size': return { anyOf: [{ type: 'integer', minimum: 1 }, { type: 'string' }] };
    case 'boolean': return { anyOf: [{ type: 'boolean' }, { type: 'string', enum: BOOLEAN_WORDS }] };
    case 'list': return { anyOf: [{ type: 'array', items: { type: 'string' } }, { type: 'string' }] };
    case 'number': return { anyOf: [{ type: 'integer', minimum: 0 }, { type: 'string', pattern: '^\\s*\\d+\\s*$' }] };
    case 'path': return spec.accepts.endsWith(', or off') ? { anyOf: [{ type: 'string' }, { const: false }] } : { type: 'string' };
    case 'text': return { type: 'string' };
  }
}

function optionSchema(spec: OptionSpec, scope: string): Schema {
  const schema: Schema = { description: `${spec.description} (${scope}; flag ${spec.flags.split(' ')[0] as string}). Accepts ${fileAccepts(spec)}.`, ...valueSchema(spec) };
  const fallback = formatOption(spec, spec.default);
  if (fallback !== undefined) schema.default = fallback;
  return schema;
}

function optionsOf(options: ReadonlyMap<string, OptionSpec>, scopeOf: (spec: OptionSpec) => string): Schema {
  const properties: Schema = {};
  for (const [key, spec] of options) properties[key] = optionSchema(spec, scopeOf(spec));
  return properties;
}

function serverSchema(): Schema {
  const clientOnly: Schema = {};
  for (const key of CLIENT_ONLY_KEYS) clientOnly[key] = { description: 'read by clients only; the daemon ignores it' };
  return {
    type: 'object',
    description: 'A stdio MCP server, as Claude Desktop, Cursor and VS Code write it, with per-server options beside.',
    required: ['command'],
    properties: {
      command: { type: 'string', minLength: 1, description: `The program to run (${INTERPOLATION_FORMAT} are replaced).` },
      args: { type: 'array', items: { type: 'string' }, description: 'Its arguments.' },
      type: { const: 'stdio', description: 'VS Code\'s transport type; only stdio servers run here.' },
      transportType: { const: 'stdio', description: 'Cline\'s transport type; only stdio servers run here.' },
      envFile: { type: 'string', description: 'A file of NAME=value lines added under env (env wins); relative to the config file.' },
      disabled: { type: 'boolean', description: 'true: the server is not started.' },
      ...optionsOf(SERVER_OPTIONS, () => 'per server'),
      ...clientOnly,
    },
    additionalProperties: false,
  };
}

export function configJsonSchema(): Schema {
  const servers = {
    type: 'object',
    propertyNames: { pattern: SERVER_NAME.source, not: { enum: [...RESERVED_NAMES] } },
    additionalProperties: { $ref: '#/definitions/server' },
  };
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    title: 'mcp-sidecar config file',
    description: 'Named stdio MCP servers (mcpServers, or VS Code\'s servers), each served at /<name>/mcp, /<name>/sse and /<name>/ws, and the daemon\'s own options in sidecar. Durations and sizes are written as the flags take them ("5s", "64mb") or as JSON numbers (milliseconds for keys ending in Ms, bytes for keys ending in Bytes).',
    type: 'object',
    properties: {
      mcpServers: { ...servers, description: 'Servers by name, as Claude Desktop and Cursor write them.' },
      servers: { ...servers, description: 'Servers by name, as VS Code writes them.' },
      sidecar: {
        type: 'object',
        description: 'Daemon-wide options, and per-server options as every server\'s default. A flag or MCP_SIDECAR_* variable given to the daemon overrides this section; a server\'s own entry overrides both.',
        properties: optionsOf(SIDECAR_OPTIONS, (spec) => (spec.scope === 'daemon' ? 'daemon-wide' : 'default of every server')),
        additionalProperties: false,
      },
    },
    anyOf: [{ required: ['mcpServers'] }, { required: ['servers'] }],
    definitions: { server: serverSchema() },
  };
}
