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
 * change which program runs, how it is loaded, which package index code comes from, or what it
 * trusts: `PROTECTED_FAMILIES` are refused. That includes `PATH` (which binary `npx` or `python` is) and `HOME`, because package
 * managers and interpreters load code and configuration from under it (`~/.npmrc` can point npx
 * at another registry; Python imports from the user site-packages), so a per-user HOME would be a
 * per-user choice of code. Error messages name the principal, the variable and the secret file,
 * never a value.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { SidecarError } from '../errors/local.js';
import type { Principal } from './principal.js';

/**
 * One family of variables that choose which code runs, where it is loaded from, which package
 * index it comes from, or which certificates are trusted. `names` are exact; `prefixes` are for
 * families in which every member is (or may become, with the next release) such a choice.
 */
export interface ProtectedFamily {
  readonly family: string;
  readonly names: readonly string[];
  readonly prefixes: readonly string[];
}

/**
 * What the per-principal file may not set, compared case-insensitively. The README's list is
 * this table; a variable missing here is allowed, so when in doubt a family gets a prefix.
 */
export const PROTECTED_FAMILIES: readonly ProtectedFamily[] = [
  // PATH picks the binary; HOME and the XDG folders hold configuration that loads code (~/.npmrc,
  // user site-packages, ~/.gitconfig); the rest are run by shells or tools on their own.
  { family: 'shell and home', names: ['PATH', 'HOME', 'USERPROFILE', 'APPDATA', 'SHELL', 'IFS', 'ENV', 'BASH_ENV', 'CDPATH', 'GLOBIGNORE', 'SHELLOPTS', 'BASHOPTS', 'ZDOTDIR', 'PS1', 'PS4', 'PROMPT_COMMAND', 'EDITOR', 'VISUAL', 'PAGER', 'MANPAGER', 'BROWSER', 'LESSOPEN', 'LESSCLOSE', 'SSH_ASKPASS'], prefixes: ['XDG_', 'BASH_FUNC_'] },
  { family: 'dynamic loader and glibc', names: ['GCONV_PATH', 'GLIBC_TUNABLES', 'LOCPATH', 'NLSPATH', 'HOSTALIASES', 'RESOLV_HOST_CONF'], prefixes: ['LD_', 'DYLD_', 'GCONV_'] },
  { family: 'C toolchain', names: ['CC', 'CXX', 'CPP', 'LD', 'AR', 'CFLAGS', 'CXXFLAGS', 'CPPFLAGS', 'LDFLAGS', 'MAKEFLAGS', 'MAKEFILES', 'PKG_CONFIG_PATH'], prefixes: ['CGO_'] },
  { family: 'node, npm, yarn, pnpm, bun, deno', names: ['NODE_OPTIONS', 'NODE_PATH', 'NODE_EXTRA_CA_CERTS', 'NODE_TLS_REJECT_UNAUTHORIZED', 'NODE_REPL_EXTERNAL_MODULE', 'NODE_ICU_DATA', 'NODE_COMPILE_CACHE', 'ELECTRON_RUN_AS_NODE', 'PNPM_HOME', 'DENO_DIR', 'DENO_CERT', 'DENO_TLS_CA_STORE', 'DENO_INSTALL_ROOT'], prefixes: ['NPM_CONFIG_', 'YARN_', 'COREPACK_', 'BUN_'] },
  // PYTHONWARNINGS imports the module a warning category names; PIP_/UV_ choose the index.
  { family: 'python, pip, uv, conda', names: ['VIRTUAL_ENV', 'CONDARC'], prefixes: ['PYTHON', 'PIP_', 'PIPX_', 'UV_', 'PYENV_', 'CONDA_', 'POETRY_'] },
  { family: 'java and the JVM', names: ['CLASSPATH', 'JDK_JAVA_OPTIONS'], prefixes: ['JAVA_', '_JAVA_', 'MAVEN_', 'GRADLE_'] },
  { family: 'ruby', names: [], prefixes: ['RUBY', 'GEM_', 'BUNDLE_', 'BUNDLER_'] },
  { family: 'perl', names: ['PERLLIB'], prefixes: ['PERL5', 'PERL_'] },
  // Not a GO prefix: it would catch GOOGLE_API_KEY and friends.
  { family: 'go', names: ['GOROOT', 'GOPATH', 'GOBIN', 'GOFLAGS', 'GOENV', 'GOTOOLCHAIN', 'GOPROXY', 'GOSUMDB', 'GONOSUMDB', 'GONOSUMCHECK', 'GONOPROXY', 'GOPRIVATE', 'GOINSECURE', 'GOCACHE', 'GOMODCACHE', 'GOEXPERIMENT', 'GODEBUG', 'GOAMD64', 'GOOS', 'GOARCH'], prefixes: [] },
  { family: 'rust and cargo', names: ['RUSTFLAGS', 'RUSTDOCFLAGS'], prefixes: ['CARGO_', 'RUSTC', 'RUSTUP_'] },
  { family: '.NET', names: [], prefixes: ['DOTNET_', 'CORECLR_', 'COMPLUS_'] },
  { family: 'php, lua', names: ['PHPRC', 'PHP_INI_SCAN_DIR'], prefixes: ['LUA_'] },
  // GIT_SSH_COMMAND, GIT_ASKPASS, GIT_EXEC_PATH, GIT_CONFIG_* run or configure code.
  { family: 'git', names: [], prefixes: ['GIT_'] },
  { family: 'docker', names: [], prefixes: ['DOCKER_'] },
  // OPENSSL_CONF loads a provider library into any process that links OpenSSL (Node included).
  { family: 'TLS trust and OpenSSL', names: ['REQUESTS_CA_BUNDLE', 'AWS_CA_BUNDLE', 'SSLKEYLOGFILE', 'CURL_HOME', 'WGETRC', 'GRPC_DEFAULT_SSL_ROOTS_FILE_PATH', 'NIX_SSL_CERT_FILE'], prefixes: ['OPENSSL_', 'SSL_', 'CURL_CA'] },
];

/**
 * Members of a refused family that only carry data and are commonly per user: a git identity.
 * They choose no code, so they stay allowed.
 */
export const ALLOWED_IN_FAMILIES: readonly string[] = ['GIT_AUTHOR_NAME', 'GIT_AUTHOR_EMAIL', 'GIT_COMMITTER_NAME', 'GIT_COMMITTER_EMAIL'];

const PROTECTED_NAMES: ReadonlyMap<string, string> = new Map(PROTECTED_FAMILIES.flatMap(({ family, names }) => names.map((name) => [name, family] as const)));
const PROTECTED_PREFIXES: readonly (readonly [string, string])[] = PROTECTED_FAMILIES.flatMap(({ family, prefixes }) => prefixes.map((prefix) => [prefix, family] as const));

/** The family that makes `name` unsettable per principal, or `undefined` when the file may set it. */
export function protectedFamilyOf(name: string): string | undefined {
  const upper = name.toUpperCase();
  if (ALLOWED_IN_FAMILIES.includes(upper)) return undefined;
  return PROTECTED_NAMES.get(upper) ?? PROTECTED_PREFIXES.find(([prefix]) => upper.startsWith(prefix))?.[1];
}

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

/** Whether the per-principal file may not set `name`. */
export function isProtectedVariable(name: string): boolean {
  return protectedFamilyOf(name) !== undefined;
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
    const family = protectedFamilyOf(name);
    if (family !== undefined) {
      throw invalid(`${at}: ${name} may not be set per principal (${family}: it changes which program runs, where code comes from or what it trusts; set it with --env for every child)`);
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
