/**
 * `--config FILE`: the servers a client config names (`mcpServers`, or VS Code's `servers`), each
 * at `/<name>/...`, and a `sidecar` section for the daemon-wide options (and per-server defaults).
 *
 * Precedence, most specific first: a server's own entry; then a flag or MCP_SIDECAR_* variable
 * given to the daemon; then the `sidecar` section; then the built-in default. Daemon-wide options
 * have no entry level. On reload (`running` given) the daemon-wide values stay those the daemon
 * runs with, and the file's changes to them are reported as needing a restart.
 */
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';
import { describeIssue, formatJsonPath, issueAt, missingAt, type ConfigIssue } from './config-issue.js';
import { envIssues, fileAccepts, optionFromJson } from './file-values.js';
import { parseJsonc } from './jsonc.js';
import { SIDECAR_OPTIONS, suggestKey } from './option-keys.js';
import { fingerprintOf, jsonReplacer, type DaemonPlan, type ServerPlan } from './plan.js';
import { defaultConfig, OPTIONS, settleConfig, type SidecarConfig } from './schema.js';
import { isDisabled, readServerEntry, type EntryContext, type ServerEntry } from './server-entry.js';

/** What the command line said, and which keys it said explicitly (a flag or a variable). */
export interface CommandLineSettings {
  config: SidecarConfig;
  explicit: ReadonlySet<keyof SidecarConfig>;
}

export type LoadResult =
  | { ok: true; plan: DaemonPlan; notes: string[]; daemonChanges: string[] }
  | { ok: false; errors: string[] };

/** Sections that hold servers: Claude Desktop's and Cursor's, then VS Code's. */
export const SERVER_SECTIONS = ['mcpServers', 'servers'] as const;
export const SIDECAR_SECTION = 'sidecar';
/** Top-level keys of clients' files the daemon has no use for (VS Code's prompted inputs). */
const IGNORED_TOP_LEVEL = new Set(['inputs', '$schema']);

const DAEMON_KEYS = OPTIONS.filter((option) => option.scope === 'daemon').map((option) => option.key);
const TRANSPORT_PATHS = ['path', 'ssePath', 'messagesPath', 'wsPath'] as const;
const FLAG_TO_KEY = new Map(OPTIONS.map((option) => [option.flags.split(' ')[0] as string, option.key]));

export function loadConfigFile(file: string, commandLine: CommandLineSettings, running?: SidecarConfig): LoadResult {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    return { ok: false, errors: [`${file}: cannot be read (${code}). Expected a readable JSON file.`] };
  }
  const parsed = parseJsonc(text);
  if (!parsed.ok) return { ok: false, errors: [`${file}: line ${parsed.line}, column ${parsed.column}: ${parsed.message}. Expected JSON (comments and trailing commas are accepted).`] };
  const context: EntryContext = { dir: path.dirname(path.resolve(file)), env: process.env, home: homedir() };
  const read = readDocument(parsed.value, context);
  if (read.issues.length > 0) return { ok: false, errors: read.issues.map((issue) => describeIssue(file, issue)) };
  return plan(file, read, commandLine, running);
}

interface Document {
  sidecar: Partial<Record<keyof SidecarConfig, unknown>>;
  servers: ServerEntry[];
  notes: string[];
  issues: ConfigIssue[];
}

function readDocument(json: unknown, context: EntryContext): Document {
  const document: Document = { sidecar: {}, servers: [], notes: [], issues: [] };
  if (json === null || typeof json !== 'object' || Array.isArray(json)) {
    document.issues.push(issueAt([], json, 'not an object', 'an object with mcpServers (or servers) and optionally sidecar'));
    return document;
  }
  const top = json as Record<string, unknown>;
  for (const key of Object.keys(top)) {
    if (!(SERVER_SECTIONS as readonly string[]).includes(key) && key !== SIDECAR_SECTION && !IGNORED_TOP_LEVEL.has(key)) {
      document.notes.push(`top-level key ${JSON.stringify(key)} is not read by mcp-sidecar (ignored)`);
    }
  }
  if (top[SIDECAR_SECTION] !== undefined) readSidecar(top[SIDECAR_SECTION], document);
  const sections = SERVER_SECTIONS.filter((section) => top[section] !== undefined);
  if (sections.length === 0) {
    document.issues.push(missingAt(['mcpServers'], 'an object of named servers: mcpServers (as Claude Desktop and Cursor write it) or servers (as VS Code does)'));
  }
  const seen = new Set<string>();
  for (const section of sections) {
    const entries = top[section];
    if (entries === null || typeof entries !== 'object' || Array.isArray(entries)) {
      document.issues.push(issueAt([section], entries, 'not an object', 'an object of named servers, e.g. {"github": {"command": "npx", "args": [...]}}'));
      continue;
    }
    for (const [name, entry] of Object.entries(entries)) {
      if (seen.has(name)) {
        document.issues.push(issueAt([section, name], name, 'a second server of that name', 'each name once across mcpServers and servers'));
        continue;
      }
      seen.add(name);
      if (isDisabled(entry)) {
        document.notes.push(`server ${JSON.stringify(name)} is disabled (not started)`);
        continue;
      }
      const read = readServerEntry(name, entry, [section, name], context);
      document.issues.push(...read.issues);
      if (read.entry) document.servers.push(read.entry);
    }
  }
  if (sections.length > 0 && seen.size > 0 && document.servers.length === 0 && document.issues.length === 0) {
    document.issues.push(issueAt([sections[0] as string], '(every server disabled)', 'no server to run', 'at least one server without disabled: true'));
  } else if (sections.length > 0 && seen.size === 0) {
    document.issues.push(issueAt([sections[0] as string], {}, 'no server to run', 'at least one named server'));
  }
  return document;
}

function readSidecar(json: unknown, document: Document): void {
  if (json === null || typeof json !== 'object' || Array.isArray(json)) {
    document.issues.push(issueAt([SIDECAR_SECTION], json, 'not an object', 'an object of options, e.g. {"port": 8808, "drainTimeoutMs": "10s"}'));
    return;
  }
  for (const [key, value] of Object.entries(json)) {
    const at = [SIDECAR_SECTION, key];
    const spec = SIDECAR_OPTIONS.get(key);
    if (!spec) {
      const suggestion = suggestKey(key, SIDECAR_OPTIONS);
      const problem = key === 'name' ? 'servers are named by their keys in mcpServers' : suggestion ? `unknown key (did you mean ${suggestion}?)` : 'unknown key';
      document.issues.push(issueAt(at, value, problem, 'an option of docs/config.schema.json'));
      continue;
    }
    if (key === 'env' && envIssues(at, value).length > 0) {
      document.issues.push(...envIssues(at, value));
      continue;
    }
    const parsed = optionFromJson(spec, value);
    if (parsed === undefined) document.issues.push(issueAt(at, value, 'not accepted', fileAccepts(spec)));
    else document.sidecar[spec.key] = parsed;
  }
}

/** A rule between options, broken: its sentence with the flags written as the file's keys. */
function ruleBroken(file: string, at: readonly (string | number)[], sentence: string): string {
  const inKeys = sentence.replace(/--[a-z][a-z-]*/g, (flag) => FLAG_TO_KEY.get(flag) ?? flag);
  return `${file}: ${formatJsonPath(at)}: ${inKeys}`;
}

function plan(file: string, document: Document, commandLine: CommandLineSettings, running: SidecarConfig | undefined): LoadResult {
  const errors: string[] = [];
  const base = defaultConfig() as unknown as Record<string, unknown>;
  for (const option of OPTIONS) {
    if (commandLine.explicit.has(option.key)) base[option.key] = commandLine.config[option.key];
    else if (document.sidecar[option.key] !== undefined) base[option.key] = document.sidecar[option.key];
  }
  // Servers start from the values before the rules filled any in (--pool-max from --pool-min, say),
  // so a server's own value is the one those rules see.
  const unsettled = { ...base } as unknown as SidecarConfig;
  const daemon = base as unknown as SidecarConfig;
  const broken = settleConfig(daemon);
  if (broken) return { ok: false, errors: [ruleBroken(file, [SIDECAR_SECTION], broken)] };
  const daemonChanges: string[] = [];
  if (running) {
    for (const key of DAEMON_KEYS) {
      if (JSON.stringify(daemon[key], jsonReplacer) !== JSON.stringify(running[key], jsonReplacer)) daemonChanges.push(key);
      (daemon as unknown as Record<string, unknown>)[key] = running[key];
    }
  }
  for (const key of DAEMON_KEYS) (unsettled as unknown as Record<string, unknown>)[key] = daemon[key];
  const servers: ServerPlan[] = [];
  for (const entry of document.servers) {
    const server = serverPlan(unsettled, entry);
    const rule = settleConfig(server.config);
    if (rule) errors.push(ruleBroken(file, entry.path, rule));
    else servers.push({ ...server, config: prefixed(server.config, entry.name), fingerprint: fingerprintOf(server.config, server.command) });
  }
  if (errors.length > 0) return { ok: false, errors };
  return { ok: true, plan: { config: daemon, servers, file }, notes: document.notes, daemonChanges };
}

/** The entry over the daemon's values: `env` merges by variable, `passEnv` adds names, the rest replaces. */
function serverPlan(daemon: SidecarConfig, entry: ServerEntry): ServerPlan {
  const config = { ...daemon, ...entry.values } as SidecarConfig;
  config.env = { ...daemon.env, ...(entry.values.env as Record<string, string> | undefined) };
  config.passEnv = [...new Set([...daemon.passEnv, ...((entry.values.passEnv as string[] | undefined) ?? [])])];
  return { name: entry.name, config, command: entry.command, prefix: `/${entry.name}`, fingerprint: '', origin: formatJsonPath(entry.path) };
}

/** The server's paths under `/<name>`, and its resource URL (the audience of its tokens) under the daemon's. */
function prefixed(config: SidecarConfig, name: string): SidecarConfig {
  const out = { ...config };
  for (const key of TRANSPORT_PATHS) {
    const value = config[key];
    if (value !== false) (out as Record<string, unknown>)[key] = value === '/' ? `/${name}` : `/${name}${value}`;
  }
  if (config.resourceUrl !== undefined) out.resourceUrl = `${config.resourceUrl.replace(/\/+$/, '')}/${name}`;
  return out;
}
