/**
 * One named server of a config file, as Claude Desktop, Cursor and VS Code write it (`command`,
 * `args`, `env`, `cwd`; VS Code's `type: "stdio"`; VS Code's and Cursor's `envFile`), with any of
 * our per-server options beside those keys. Remote entries (`url`, `type: "http"`) are refused:
 * the daemon runs stdio servers. Keys only a client acts on are ignored (CLIENT_ONLY_KEYS).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { issueAt, missingAt, type ConfigIssue, type JsonPath } from './config-issue.js';
import { envIssues, fileAccepts, optionFromJson } from './file-values.js';
import { interpolate, type InterpolationContext } from './interpolate.js';
import { SERVER_OPTIONS, SIDECAR_OPTIONS, suggestKey } from './option-keys.js';
import type { SidecarConfig } from './schema.js';

export interface ServerEntry {
  name: string;
  path: JsonPath;
  /** The program and its arguments. */
  command: string[];
  /** The per-server options the entry sets; `env` with `envFile`'s variables under its own. */
  values: Partial<Record<keyof SidecarConfig, unknown>>;
}

export interface EntryContext extends InterpolationContext {
  /** The config file's directory: relative `cwd` and `envFile` are read from there. */
  dir: string;
}

/** A server's name is the first segment of its paths (`/<name>/mcp`). */
export const SERVER_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
/** Daemon paths a server's name would shadow. */
export const RESERVED_NAMES = new Set(['healthz', 'readyz', 'metrics', 'status']);
export const SERVER_NAME_FORMAT = 'letters, digits, ., _ and -, starting with a letter or digit, at most 64 (it becomes the URL path /<name>/mcp); not healthz, readyz, metrics or status';

/** Keys clients use for themselves (approval, timeouts, descriptions): nothing for the daemon to do. */
export const CLIENT_ONLY_KEYS = new Set(['autoApprove', 'alwaysAllow', 'timeout', 'description', 'dev', 'trust', 'icon', 'gallery']);
/** Keys that hide tools in a client: ignoring them would expose tools the author meant hidden. */
const TOOL_FILTER_KEYS = new Set(['disabledTools', 'includeTools', 'excludeTools']);
const REMOTE_KEYS = new Set(['url', 'serverUrl', 'httpUrl', 'headers']);
const ENTRY_KEYS = new Set(['command', 'args', 'type', 'transportType', 'envFile', 'disabled']);

type Result = { entry?: ServerEntry; issues: ConfigIssue[] };

export function readServerEntry(name: string, json: unknown, at: JsonPath, context: EntryContext): Result {
  if (!SERVER_NAME.test(name) || RESERVED_NAMES.has(name)) return { issues: [issueAt(at, name, 'not a usable server name', SERVER_NAME_FORMAT)] };
  if (json === null || typeof json !== 'object' || Array.isArray(json)) return { issues: [issueAt(at, json, 'not an object', 'an object with command, args, env, cwd and per-server options')] };
  const raw = json as Record<string, unknown>;
  const remote = remoteIssue(raw, at);
  if (remote) return { issues: [remote] };
  const issues: ConfigIssue[] = [];
  const command = commandOf(raw, at, context, issues);
  const values: Partial<Record<keyof SidecarConfig, unknown>> = {};
  for (const [key, value] of Object.entries(raw)) {
    const keyPath = [...at, key];
    if (ENTRY_KEYS.has(key) || CLIENT_ONLY_KEYS.has(key)) continue;
    if (TOOL_FILTER_KEYS.has(key)) {
      issues.push(issueAt(keyPath, value, 'tool filters of clients are not applied by the daemon', 'toolPolicy (a JSON allow-list of tools per principal) instead'));
      continue;
    }
    const spec = SERVER_OPTIONS.get(key);
    if (!spec) {
      issues.push(unknownKey(key, value, keyPath));
      continue;
    }
    if (key === 'env') {
      const env = envOf(value, keyPath, context, issues);
      if (env) values.env = env;
      continue;
    }
    const text = key === 'cwd' && typeof value === 'string' ? resolveIn(value, keyPath, context, issues) : value;
    if (text === undefined) continue;
    const parsed = optionFromJson(spec, text);
    if (parsed === undefined) issues.push(issueAt(keyPath, value, 'not accepted', fileAccepts(spec)));
    else values[spec.key] = parsed;
  }
  if (raw.envFile !== undefined) {
    const fromFile = envFileOf(raw.envFile, [...at, 'envFile'], context, issues);
    if (fromFile) values.env = { ...fromFile, ...(values.env as Record<string, string> | undefined) };
  }
  if (raw.disabled !== undefined && typeof raw.disabled !== 'boolean') issues.push(issueAt([...at, 'disabled'], raw.disabled, 'not a boolean', 'true or false'));
  if (issues.length > 0 || command === undefined) return { issues };
  return { entry: { name, path: at, command, values }, issues };
}

/** Whether the entry is switched off (`disabled: true`, as Cline and Windsurf write it). */
export function isDisabled(json: unknown): boolean {
  return json !== null && typeof json === 'object' && (json as Record<string, unknown>).disabled === true;
}

function remoteIssue(raw: Record<string, unknown>, at: JsonPath): ConfigIssue | undefined {
  for (const key of ['type', 'transportType']) {
    const type = raw[key];
    if (type !== undefined && type !== 'stdio') {
      return issueAt([...at, key], type, 'a remote server: the daemon runs stdio servers only (connect clients to that server directly)', '"stdio", or no type');
    }
  }
  const remote = Object.keys(raw).find((key) => REMOTE_KEYS.has(key));
  if (remote && raw.command === undefined) {
    return issueAt([...at, remote], raw[remote], 'a remote server: the daemon runs stdio servers only (connect clients to that server directly)', 'command and args of a stdio server');
  }
  if (remote) return issueAt([...at, remote], raw[remote], 'a key of remote servers', 'command, args, env and cwd for a stdio server');
  return undefined;
}

function commandOf(raw: Record<string, unknown>, at: JsonPath, context: EntryContext, issues: ConfigIssue[]): string[] | undefined {
  if (raw.command === undefined) return void issues.push(missingAt([...at, 'command'], 'the program to run, e.g. "npx" or "/usr/local/bin/server"'));
  if (typeof raw.command !== 'string' || raw.command.trim() === '') {
    return void issues.push(issueAt([...at, 'command'], raw.command, 'not a program', 'a non-empty string (arguments go in args)'));
  }
  const args: unknown = raw.args ?? [];
  if (!Array.isArray(args)) return void issues.push(issueAt([...at, 'args'], args, 'not an array', 'an array of strings'));
  const words: string[] = [];
  for (const [index, word] of [raw.command, ...(args as unknown[])].entries()) {
    const wordPath = index === 0 ? [...at, 'command'] : [...at, 'args', index - 1];
    if (typeof word !== 'string') {
      issues.push(issueAt(wordPath, word, 'not a string', 'a string (write numbers in quotes)'));
      continue;
    }
    const done = interpolate(word, wordPath, context);
    if ('issue' in done) issues.push(done.issue);
    else words.push(done.value);
  }
  return words.length === args.length + 1 ? words : undefined;
}

function envOf(json: unknown, at: JsonPath, context: EntryContext, issues: ConfigIssue[]): Record<string, string> | undefined {
  const found = envIssues(at, json);
  if (found.length > 0) return void issues.push(...found);
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(json as Record<string, unknown>)) {
    const done = interpolate(String(value), [...at, name], context);
    if ('issue' in done) issues.push(done.issue);
    else env[name] = done.value;
  }
  return env;
}

/** A path with its variables replaced, relative to the config file's directory. */
function resolveIn(text: string, at: JsonPath, context: EntryContext, issues: ConfigIssue[]): string | undefined {
  const done = interpolate(text, at, context);
  if ('issue' in done) return void issues.push(done.issue);
  return done.value.trim() === '' ? done.value : path.resolve(context.dir, done.value);
}

/** `NAME=value` lines; `#` comments, blank lines and `export ` are skipped, one pair of quotes removed. */
function envFileOf(json: unknown, at: JsonPath, context: EntryContext, issues: ConfigIssue[]): Record<string, string> | undefined {
  if (typeof json !== 'string' || json.trim() === '') return void issues.push(issueAt(at, json, 'not a file path', 'the path of a file of NAME=value lines'));
  const file = resolveIn(json, at, context, issues);
  if (file === undefined) return undefined;
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    return void issues.push(issueAt(at, json, `cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`, 'a readable file of NAME=value lines'));
  }
  const env: Record<string, string> = {};
  for (const [index, line] of text.split(/\r?\n/).entries()) {
    const trimmed = line.trim().replace(/^export\s+/, '');
    if (trimmed === '' || trimmed.startsWith('#')) continue;
    const match = /^([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$/.exec(trimmed);
    if (!match) {
      issues.push(issueAt(at, json, `line ${index + 1} is not NAME=value`, 'lines of NAME=value, # comments and blank lines'));
      continue;
    }
    env[match[1] as string] = (match[2] as string).replace(/^(["'])(.*)\1$/, '$2');
  }
  return env;
}

function unknownKey(key: string, value: unknown, at: JsonPath): ConfigIssue {
  if (key === 'name') return issueAt(at, value, "a server's name is its key", 'the name as the key of the entry, not inside it');
  if (SIDECAR_OPTIONS.has(key)) return issueAt(at, value, 'a daemon-wide option', `it in the "sidecar" section`);
  const suggestion = suggestKey(key, SERVER_OPTIONS);
  return issueAt(at, value, suggestion ? `unknown key (did you mean ${suggestion}?)` : 'unknown key', 'command, args, env, cwd, envFile, type, disabled or a per-server option of docs/config.schema.json');
}
