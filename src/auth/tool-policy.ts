/**
 * Which tools each principal may see and call. A policy file maps static token names, JWT
 * subjects and OAuth scopes to allow-lists of tool names:
 *
 * ```json
 * { "tokens": { "alice": ["search", "github_*"] },
 *   "subjects": { "auth0|64f1c2": ["*"] },
 *   "scopes": { "tools:read": ["search"] } }
 * ```
 *
 * A principal may use a tool when its name (under `tokens` for a static token, `subjects` for a
 * JWT: the two never match each other) or any of its scopes allows it. Once a policy is
 * configured, a principal it does not name gets no tools (deny by default); with no policy, every
 * tool is allowed. A pattern is a tool name, a prefix ending in `*`, or `*` for every tool.
 */
import { readFileSync } from 'node:fs';
import { SidecarError } from '../errors/local.js';
import type { Principal } from './principal.js';

const SECTIONS = ['tokens', 'subjects', 'scopes'] as const;
type Section = (typeof SECTIONS)[number];

/** An allow-list compiled once, so checking a tool does not re-read patterns. */
interface ToolMatcher {
  readonly all: boolean;
  readonly exact: ReadonlySet<string>;
  readonly prefixes: readonly string[];
}

function invalid(message: string): SidecarError {
  return new SidecarError('CONFIG_INVALID', message);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function compilePatterns(patterns: unknown, where: string): ToolMatcher {
  if (!Array.isArray(patterns)) throw invalid(`${where}: expected an array of tool names`);
  const exact = new Set<string>();
  const prefixes: string[] = [];
  let all = false;
  patterns.forEach((pattern: unknown, index) => {
    if (typeof pattern !== 'string' || pattern.trim() === '') {
      throw invalid(`${where}[${index}]: expected a non-empty tool name or pattern`);
    }
    const star = pattern.indexOf('*');
    if (star !== -1 && star !== pattern.length - 1) {
      throw invalid(`${where}[${index}]: ${JSON.stringify(pattern)} has a * that is not at the end (only prefix patterns such as github_* are supported)`);
    }
    if (pattern === '*') all = true;
    else if (star === -1) exact.add(pattern);
    else prefixes.push(pattern.slice(0, -1));
  });
  return { all, exact, prefixes };
}

function matches(matcher: ToolMatcher, tool: string): boolean {
  return matcher.all || matcher.exact.has(tool) || matcher.prefixes.some((prefix) => tool.startsWith(prefix));
}

function compileSection(value: unknown, where: string): Map<string, ToolMatcher> {
  const section = new Map<string, ToolMatcher>();
  if (value === undefined) return section;
  if (!isPlainObject(value)) throw invalid(`${where}: expected an object mapping names to arrays of tool names`);
  for (const [name, patterns] of Object.entries(value)) {
    section.set(name, compilePatterns(patterns, `${where}.${name}`));
  }
  return section;
}

/** Per-tool access; see the module comment for the file format. */
export class ToolPolicy {
  private readonly sections: ReadonlyMap<Section, ReadonlyMap<string, ToolMatcher>> | undefined;

  private constructor(sections: ReadonlyMap<Section, ReadonlyMap<string, ToolMatcher>> | undefined) {
    this.sections = sections;
  }

  /** The policy when none is configured: every principal may use every tool. */
  static allowAll(): ToolPolicy {
    return new ToolPolicy(undefined);
  }

  /**
   * A policy from JSON text; `source` names it in errors. Unknown top-level keys are errors (a
   * misspelt section would otherwise deny everyone silently). Throws `SidecarError` (`CONFIG_INVALID`).
   */
  static parse(text: string, source: string): ToolPolicy {
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (error) {
      throw new SidecarError('CONFIG_INVALID', `tool policy ${source} is not valid JSON: ${(error as Error).message}`, { cause: error });
    }
    if (!isPlainObject(json)) throw invalid(`tool policy ${source}: expected an object with "tokens", "subjects" and/or "scopes"`);
    for (const key of Object.keys(json)) {
      if (!(SECTIONS as readonly string[]).includes(key)) {
        throw invalid(`tool policy ${source}: unknown key ${JSON.stringify(key)}; expected "tokens", "subjects" or "scopes"`);
      }
    }
    const sections = new Map<Section, Map<string, ToolMatcher>>();
    for (const section of SECTIONS) sections.set(section, compileSection(json[section], `tool policy ${source}: ${section}`));
    return new ToolPolicy(sections);
  }

  /** Reads and parses a policy file. Throws `SidecarError` (`CONFIG_INVALID`). */
  static load(path: string): ToolPolicy {
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? 'unknown error';
      throw new SidecarError('CONFIG_INVALID', `tool policy ${path} cannot be read (${code})`, { cause: error });
    }
    return ToolPolicy.parse(text, path);
  }

  /** Whether this policy restricts anything (false for `allowAll()`). */
  get restricts(): boolean {
    return this.sections !== undefined;
  }

  /** Whether `principal` may see and call `tool`. */
  allows(principal: Principal, tool: string): boolean {
    if (!this.sections) return true;
    const byName = principal.kind === 'token' ? this.sections.get('tokens') : principal.kind === 'jwt' ? this.sections.get('subjects') : undefined;
    const own = byName?.get(principal.name);
    if (own && matches(own, tool)) return true;
    const scopes = this.sections.get('scopes');
    return principal.scopes.some((scope) => {
      const matcher = scopes?.get(scope);
      return matcher !== undefined && matches(matcher, tool);
    });
  }

  /**
   * A `tools/list` result with the tools `principal` may not use taken out (a tool entry without
   * a string name is taken out too). Anything that is not a result with a `tools` array is
   * returned as it is; so is every result when the policy restricts nothing.
   */
  filterToolsList<T>(result: T, principal: Principal): T {
    if (!this.sections || !isPlainObject(result) || !Array.isArray(result.tools)) return result;
    const tools = (result.tools as unknown[]).filter(
      (tool) => isPlainObject(tool) && typeof tool.name === 'string' && this.allows(principal, tool.name),
    );
    return { ...result, tools };
  }
}
