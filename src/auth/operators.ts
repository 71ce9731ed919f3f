/**
 * Principals named as operators (--status-operators): they see every session in /status, where
 * any other principal sees its own. An entry is a static token's name (`ops`), a JWT subject
 * (`sub:auth0|64f1c2`) or a JWT scope (`scope:mcp:admin`). A name and a subject never match each
 * other, as everywhere else (principal.ts): a JWT whose subject is `ops` is not the token `ops`.
 */
import type { Principal } from './principal.js';

export const OPERATOR_FORMAT = 'token names, sub:<JWT subject> or scope:<JWT scope>, comma-separated';

const SUBJECT = 'sub:';
const SCOPE = 'scope:';
/** Token names cannot hold a colon (token-file.ts), so the prefixes are unambiguous. */
const TOKEN_NAME = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/;

/** Whether `entry` is one an operator list accepts. */
export function isOperatorEntry(entry: string): boolean {
  if (entry.startsWith(SUBJECT)) return entry.length > SUBJECT.length;
  if (entry.startsWith(SCOPE)) return entry.length > SCOPE.length;
  return TOKEN_NAME.test(entry);
}

export class Operators {
  private readonly tokens: ReadonlySet<string>;
  private readonly subjects: ReadonlySet<string>;
  private readonly scopes: readonly string[];

  /** `entries` are already checked (isOperatorEntry) by the config. */
  constructor(entries: readonly string[]) {
    const tokens = new Set<string>();
    const subjects = new Set<string>();
    const scopes: string[] = [];
    for (const entry of entries) {
      if (entry.startsWith(SUBJECT)) subjects.add(entry.slice(SUBJECT.length));
      else if (entry.startsWith(SCOPE)) scopes.push(entry.slice(SCOPE.length));
      else tokens.add(entry);
    }
    this.tokens = tokens;
    this.subjects = subjects;
    this.scopes = scopes;
  }

  includes(principal: Principal): boolean {
    if (principal.kind === 'token') return this.tokens.has(principal.name);
    if (principal.kind !== 'jwt') return false;
    return (principal.subject !== undefined && this.subjects.has(principal.subject)) || this.scopes.some((scope) => principal.scopes.includes(scope));
  }
}
