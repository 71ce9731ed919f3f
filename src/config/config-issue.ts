/**
 * What is wrong in a configuration file, said the one way every such error is said: the file, the
 * JSON path, the value found there and what is accepted, e.g.
 * `servers.json: mcpServers.github.restartSecMs = "5 parsecs": not accepted. Expected a duration…`.
 */

/** Keys and array indexes from the document's root. */
export type JsonPath = readonly (string | number)[];

export interface ConfigIssue {
  path: JsonPath;
  /** The value found at `path`; absent when the problem is that nothing is there. */
  value?: unknown;
  /** Whether a value was there at all (`value` may be `undefined` legitimately only when it was not). */
  present: boolean;
  problem: string;
  expected: string;
}

const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;
const PREVIEW_CHARS = 80;

/** `mcpServers.github.args[2]`, `mcpServers["my.server"].env.TOKEN`; the root is `(top level)`. */
export function formatJsonPath(path: JsonPath): string {
  if (path.length === 0) return '(top level)';
  let text = '';
  for (const step of path) {
    if (typeof step === 'number') text += `[${step}]`;
    else if (IDENTIFIER.test(step)) text += text === '' ? step : `.${step}`;
    else text += `[${JSON.stringify(step)}]`;
  }
  return text;
}

/** A value as the error shows it: JSON, cut short, and never a secret's text. */
export function previewValue(value: unknown, secret = false): string {
  if (secret && typeof value === 'string') return '"[redacted]"';
  if (secret && value !== null && typeof value === 'object') return Array.isArray(value) ? '[…]' : '{…}';
  const json = JSON.stringify(value) ?? String(value);
  return json.length > PREVIEW_CHARS ? `${json.slice(0, PREVIEW_CHARS - 1)}…` : json;
}

/** Keys whose values an error must not repeat. */
const SECRET_KEYS = new Set(['authTokens']);

export function describeIssue(file: string, issue: ConfigIssue): string {
  const last = issue.path[issue.path.length - 1];
  const secret = typeof last === 'string' && (SECRET_KEYS.has(last) || issue.path.includes('env'));
  const where = issue.present ? `${formatJsonPath(issue.path)} = ${previewValue(issue.value, secret)}` : formatJsonPath(issue.path);
  return `${file}: ${where}: ${issue.problem}. Expected ${issue.expected}.`;
}

/** An issue about the value at `path`. */
export function issueAt(path: JsonPath, value: unknown, problem: string, expected: string): ConfigIssue {
  return { path, value, present: true, problem, expected };
}

/** An issue about something missing at `path`. */
export function missingAt(path: JsonPath, expected: string): ConfigIssue {
  return { path, present: false, problem: 'missing', expected };
}
