/**
 * Static bearer tokens: `name:token` lines from a file (`--token-file`) or an environment variable.
 * Only SHA-256 digests are kept in memory, and a presented token is compared against every digest
 * in constant time, so neither a heap dump nor response timing tells an attacker a token. Errors
 * name the source and line but never repeat a line: a malformed line may be a bare token.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { SidecarError } from '../errors/local.js';

/** Names appear in logs, metrics labels and the tool policy, so they are kept plain. */
const NAME = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/;
/** RFC 7235 token68: anything else could never arrive in an `Authorization: Bearer` header. */
const TOKEN68 = /^[A-Za-z0-9\-._~+/]+=*$/;
/** 16 characters of base64 are 96 bits; shorter tokens are guessable online. */
export const MIN_TOKEN_LENGTH = 16;

export const TOKEN_FORMAT = `name:token lines (name: letters, digits, ., _, @ or -; token: at least ${MIN_TOKEN_LENGTH} characters of A-Z a-z 0-9 - . _ ~ + / with optional trailing =)`;

/** One accepted token, as stored: its name, its digest and where it was defined (for duplicate errors). */
interface TokenEntry {
  readonly name: string;
  readonly digest: Buffer;
  readonly where: string;
}

/** An accepted token as a connection may keep it: its name and SHA-256 digest, never the token. */
export interface TokenMatch {
  readonly name: string;
  readonly digest: Buffer;
}

/** Where token lines come from, as errors name it. */
export type TokenSource = { kind: 'file'; path: string } | { kind: 'env'; variable: string };

function hashToken(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}

function describeSource(source: TokenSource): string {
  return source.kind === 'file' ? `token file ${source.path}` : `environment variable ${source.variable}`;
}

function invalid(message: string): SidecarError {
  return new SidecarError('CONFIG_INVALID', message);
}

/**
 * The entries of one source. A file has one entry per line; the environment variable may also
 * separate entries with commas (token68 has no comma). Blank entries and `#` comments are skipped.
 * Throws a `CONFIG_INVALID` error naming the source and the line (or entry) number.
 */
function parseTokenEntries(text: string, source: TokenSource): TokenEntry[] {
  const unit = source.kind === 'file' ? 'line' : 'entry';
  const pieces = source.kind === 'file' ? text.split('\n') : text.split(/[\n,]/);
  const entries: TokenEntry[] = [];
  pieces.forEach((piece, index) => {
    const line = piece.trim();
    if (line === '' || line.startsWith('#')) return;
    const where = `${describeSource(source)} ${unit} ${index + 1}`;
    const colon = line.indexOf(':');
    if (colon === -1) throw invalid(`${where}: expected name:token (no ":" found)`);
    const name = line.slice(0, colon).trim();
    const token = line.slice(colon + 1).trim();
    if (!NAME.test(name)) {
      throw invalid(`${where}: the name must be 1-64 letters, digits, ., _, @ or - starting with a letter or digit`);
    }
    if (token.length < MIN_TOKEN_LENGTH) {
      throw invalid(`${where}: the token for "${name}" is shorter than ${MIN_TOKEN_LENGTH} characters`);
    }
    if (!TOKEN68.test(token)) {
      throw invalid(`${where}: the token for "${name}" has characters a Bearer header cannot carry (allowed: A-Z a-z 0-9 - . _ ~ + / and trailing =)`);
    }
    entries.push({ name, digest: hashToken(token), where });
  });
  return entries;
}

function refuseDuplicates(entries: readonly TokenEntry[]): void {
  const byName = new Map<string, TokenEntry>();
  const byDigest = new Map<string, TokenEntry>();
  for (const entry of entries) {
    const sameName = byName.get(entry.name);
    if (sameName) throw invalid(`${entry.where}: the name "${entry.name}" is already used at ${sameName.where}`);
    const key = entry.digest.toString('hex');
    const sameToken = byDigest.get(key);
    if (sameToken) {
      throw invalid(`${entry.where}: the token for "${entry.name}" is the same as the token for "${sameToken.name}" at ${sameToken.where}`);
    }
    byName.set(entry.name, entry);
    byDigest.set(key, entry);
  }
}

/** An immutable set of accepted tokens. */
export class TokenSet {
  private readonly entries: readonly TokenEntry[];

  private constructor(entries: readonly TokenEntry[]) {
    this.entries = entries;
  }

  /**
   * Parses token text from each source and joins them; duplicate names or tokens, within one
   * source or across sources, are errors. Throws `SidecarError` (`CONFIG_INVALID`).
   */
  static parse(...sources: readonly { text: string; source: TokenSource }[]): TokenSet {
    const entries = sources.flatMap(({ text, source }) => parseTokenEntries(text, source));
    refuseDuplicates(entries);
    return new TokenSet(entries);
  }

  get size(): number {
    return this.entries.length;
  }

  /** The names of the accepted tokens, in definition order (for a startup log line). */
  get names(): readonly string[] {
    return this.entries.map((entry) => entry.name);
  }

  /**
   * The name of the principal `token` belongs to, or `undefined`. Compares the token's digest with
   * every stored digest, match or not, so the time taken does not depend on which entry matched
   * or how much of a token was right; digests also give `timingSafeEqual` equal lengths.
   */
  verify(token: string): string | undefined {
    return this.match(token)?.name;
  }

  /** Like `verify`, with the token's digest: what a connection keeps to re-check it later (`holds`). */
  match(token: string): TokenMatch | undefined {
    const digest = hashToken(token);
    const name = this.nameOf(digest);
    return name === undefined ? undefined : { name, digest };
  }

  /** Whether the token with this digest is still accepted, for the same name. */
  holds(match: TokenMatch): boolean {
    return this.nameOf(match.digest) === match.name;
  }

  private nameOf(digest: Buffer): string | undefined {
    let found: string | undefined;
    for (const entry of this.entries) {
      if (timingSafeEqual(digest, entry.digest)) found = entry.name;
    }
    return found;
  }
}

function readTokenFile(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'unknown error';
    throw new SidecarError('CONFIG_INVALID', `token file ${path} cannot be read (${code})`, { cause: error });
  }
}

/** Where a `TokenStore` reads its tokens: a file, an environment variable's value, or both. */
export interface TokenStoreOptions {
  file?: string;
  env?: { variable: string; value: string };
}

/**
 * The live set of static tokens. `reload()` (on SIGHUP) re-reads the file; the environment
 * variable's value is fixed for the life of the process.
 */
export class TokenStore {
  private readonly options: TokenStoreOptions;
  private current: TokenSet;

  private constructor(options: TokenStoreOptions, current: TokenSet) {
    this.options = options;
    this.current = current;
  }

  /** Reads every configured source once. Throws `SidecarError` (`CONFIG_INVALID`) when one is bad. */
  static load(options: TokenStoreOptions): TokenStore {
    if (options.file === undefined && options.env === undefined) {
      throw invalid('static tokens need a token file or a token environment variable');
    }
    return new TokenStore(options, TokenStore.read(options));
  }

  private static read(options: TokenStoreOptions): TokenSet {
    const sources: { text: string; source: TokenSource }[] = [];
    if (options.file !== undefined) {
      sources.push({ text: readTokenFile(options.file), source: { kind: 'file', path: options.file } });
    }
    if (options.env !== undefined) {
      sources.push({ text: options.env.value, source: { kind: 'env', variable: options.env.variable } });
    }
    return TokenSet.parse(...sources);
  }

  get size(): number {
    return this.current.size;
  }

  get names(): readonly string[] {
    return this.current.names;
  }

  /** See `TokenSet.verify`. */
  verify(token: string): string | undefined {
    return this.current.verify(token);
  }

  /** See `TokenSet.match`. */
  match(token: string): TokenMatch | undefined {
    return this.current.match(token);
  }

  /** Whether a token matched earlier is still in force (after a reload, say). */
  holds(match: TokenMatch): boolean {
    return this.current.holds(match);
  }

  /**
   * Re-reads the sources. When they are invalid the previous set stays in force (a typo must not
   * lock every client out) and the error is returned for the caller to log; `undefined` means
   * the new set is in force. An empty file is valid: it is how every token is revoked at once.
   */
  reload(): SidecarError | undefined {
    try {
      this.current = TokenStore.read(this.options);
      return undefined;
    } catch (error) {
      if (error instanceof SidecarError) return error;
      return new SidecarError('CONFIG_INVALID', 'static tokens could not be reloaded', { cause: error });
    }
  }
}
