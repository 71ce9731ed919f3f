/**
 * Per-principal child environment: each user's own API keys reach only the children of that
 * user's sessions. A JSON file maps static token names and JWT subjects to variables, whose
 * values are literals or `{ "file": "…" }` (a secret file, read at load time, one trailing newline
 * removed; a relative path is relative to the JSON file):
 *
 * ```json
 * { "tokens":   { "alice": { "GITHUB_TOKEN": { "file": "/run/secrets/alice-github" } } },
 *   "subjects": { "auth0|64f1c2": { "GITHUB_TOKEN": { "file": "secrets/bob-github" }, "GH_HOST": "github.example.com" } } }
 * ```
 *
 * The file may set what a server reads as data (keys, endpoints, per-user options). It may not
 * change which program runs, how it is loaded or what it trusts: `PROTECTED_VARIABLES` are
 * refused. That includes `PATH` (which binary `npx` or `python` is) and `HOME`, because package
 * managers and interpreters load code and configuration from under it (`~/.npmrc` can point npx
 * at another registry; Python imports from the user site-packages), so a per-user HOME would be a
 * per-user choice of code. Error messages name the principal, the variable and the secret file,
 * never a value.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { SidecarError } from '../errors/local.js';
import type { Principal } from './principal.js';

/** Variables the per-principal file may not set (compared case-insensitively). */
export const PROTECTED_VARIABLES: readonly string[] = [
  'PATH', 'HOME', 'SHELL', 'IFS', 'ENV', 'BASH_ENV',
  'NODE_OPTIONS', 'NODE_PATH', 'NODE_EXTRA_CA_CERTS', 'NODE_TLS_REJECT_UNAUTHORIZED',
  'PYTHONPATH', 'PYTHONHOME', 'PYTHONSTARTUP', 'PYTHONUSERBASE',
  'PERL5LIB', 'PERL5OPT', 'RUBYLIB', 'RUBYOPT',
  'XDG_CONFIG_HOME', 'XDG_DATA_HOME',
];

/** Prefixes the file may not set: the dynamic loader's hooks and npm's configuration. */
export const PROTECTED_PREFIXES: readonly string[] = ['LD_', 'DYLD_', 'NPM_CONFIG_'];

const VARIABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** Linux refuses a single environment string longer than this (MAX_ARG_STRLEN). */
const MAX_VALUE_BYTES = 128 * 1024;

const SECTIONS = ['tokens', 'subjects'] as const;

type EnvMap = Readonly<Record<string, string>>;

const EMPTY: EnvMap = Object.freeze({});

function invalid(message: string): SidecarError {
  return new SidecarError('CONFIG_INVALID', message);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Whether the per-principal file may set `name`. */
export function isProtectedVariable(name: string): boolean {
  const upper = name.toUpperCase();
  return PROTECTED_VARIABLES.includes(upper) || PROTECTED_PREFIXES.some((prefix) => upper.startsWith(prefix));
}

/** The text of a secret file without one trailing newline (editors and `echo` add one). */
function readSecretFile(path: string, where: string): string {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'unknown error';
    throw new SidecarError('CONFIG_INVALID', `${where}: the file ${path} cannot be read (${code})`, { cause: error });
  }
  return text.endsWith('\r\n') ? text.slice(0, -2) : text.endsWith('\n') ? text.slice(0, -1) : text;
}

function parseValue(value: unknown, where: string, baseDir: string): string {
  let text: string;
  if (typeof value === 'string') {
    text = value;
  } else if (isPlainObject(value) && typeof value.file === 'string' && Object.keys(value).length === 1 && value.file !== '') {
    text = readSecretFile(resolve(baseDir, value.file), where);
    if (text === '') throw invalid(`${where}: the file ${resolve(baseDir, value.file)} is empty`);
  } else {
    throw invalid(`${where}: expected a string or { "file": "/path" }`);
  }
  if (text.includes('\0')) throw invalid(`${where}: the value contains a NUL character, which no environment can hold`);
  if (Buffer.byteLength(text) > MAX_VALUE_BYTES) throw invalid(`${where}: the value is larger than ${MAX_VALUE_BYTES / 1024} KiB`);
  return text;
}

function parseEnvMap(value: unknown, where: string, baseDir: string): EnvMap {
  if (!isPlainObject(value)) throw invalid(`${where}: expected an object mapping variable names to values`);
  const env: Record<string, string> = {};
  for (const [name, raw] of Object.entries(value)) {
    const at = `${where}.${name}`;
    if (!VARIABLE_NAME.test(name)) throw invalid(`${at}: not a variable name (letters, digits and _, not starting with a digit)`);
    if (isProtectedVariable(name)) {
      throw invalid(`${at}: ${name} may not be set per principal (it changes which program runs or what it trusts; set it with --env for every child)`);
    }
    env[name] = parseValue(raw, at, baseDir);
  }
  return Object.freeze(env);
}

export interface PrincipalEnvSource {
  /** Names the file in errors. */
  source: string;
  /** Directory relative secret file paths are resolved against. */
  baseDir: string;
}

/** Variables per principal; see the module comment for the file format. */
export class PrincipalEnv {
  private readonly tokens: ReadonlyMap<string, EnvMap>;
  private readonly subjects: ReadonlyMap<string, EnvMap>;

  private constructor(tokens: ReadonlyMap<string, EnvMap>, subjects: ReadonlyMap<string, EnvMap>) {
    this.tokens = tokens;
    this.subjects = subjects;
  }

  /** No per-principal variables. */
  static empty(): PrincipalEnv {
    return new PrincipalEnv(new Map(), new Map());
  }

  /** Parses JSON text, reading every secret file now. Throws `SidecarError` (`CONFIG_INVALID`). */
  static parse(text: string, { source, baseDir }: PrincipalEnvSource): PrincipalEnv {
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      // JSON.parse's message quotes the text near the error, which may be a secret: not repeated.
      throw invalid(`principal environment ${source} is not valid JSON`);
    }
    if (!isPlainObject(json)) throw invalid(`principal environment ${source}: expected an object with "tokens" and/or "subjects"`);
    for (const key of Object.keys(json)) {
      if (!(SECTIONS as readonly string[]).includes(key)) {
        throw invalid(`principal environment ${source}: unknown key ${JSON.stringify(key)}; expected "tokens" or "subjects"`);
      }
    }
    const [tokens, subjects] = SECTIONS.map((section) => {
      const maps = new Map<string, EnvMap>();
      const value = json[section];
      if (value === undefined) return maps;
      const where = `principal environment ${source}: ${section}`;
      if (!isPlainObject(value)) throw invalid(`${where}: expected an object mapping names to variables`);
      for (const [name, env] of Object.entries(value)) maps.set(name, parseEnvMap(env, `${where}.${name}`, baseDir));
      return maps;
    }) as [Map<string, EnvMap>, Map<string, EnvMap>];
    return new PrincipalEnv(tokens, subjects);
  }

  /** Reads and parses a file; relative secret paths are relative to its directory. */
  static load(path: string): PrincipalEnv {
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? 'unknown error';
      throw new SidecarError('CONFIG_INVALID', `principal environment ${path} cannot be read (${code})`, { cause: error });
    }
    return PrincipalEnv.parse(text, { source: path, baseDir: dirname(resolve(path)) });
  }

  /** How many principals have variables. */
  get size(): number {
    return this.tokens.size + this.subjects.size;
  }

  /**
   * The variables for `principal`'s children (empty for one the file does not name, and for the
   * anonymous principal). They are applied over `--env`: the more specific setting wins.
   */
  envFor(principal: Principal): EnvMap {
    const section = principal.kind === 'token' ? this.tokens : principal.kind === 'jwt' ? this.subjects : undefined;
    return section?.get(principal.name) ?? EMPTY;
  }
}
