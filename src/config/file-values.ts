/**
 * An option's value as a config file writes it: the same text the flag takes ("5s", "64mb",
 * "10/s:50", "off"), or JSON where JSON is natural: a number in the key's own unit (`…Ms` keys are
 * milliseconds, `…Bytes` keys bytes), `true`/`false`, an array for a list, an object for `env`.
 * Every value goes through the option's own parser, so the file accepts exactly what the flag does.
 */
import { issueAt, type ConfigIssue, type JsonPath } from './config-issue.js';
import type { OptionSpec } from './schema.js';

export type ValueKind = 'duration' | 'size' | 'boolean' | 'list' | 'env' | 'number' | 'path' | 'text';

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** What kind of JSON an option takes, from its key and default (the schema's naming rules). */
export function valueKindOf(spec: OptionSpec): ValueKind {
  if (spec.key === 'env') return 'env';
  if (spec.key.endsWith('Ms')) return 'duration';
  if (spec.key.endsWith('Bytes')) return 'size';
  if (typeof spec.default === 'boolean') return 'boolean';
  if (Array.isArray(spec.default)) return 'list';
  if (typeof spec.default === 'number' || spec.key === 'metricsPort') return 'number';
  if (spec.key === 'path' || spec.key.endsWith('Path')) return 'path';
  return 'text';
}

/** What the file accepts for `spec`, said in its errors and the JSON Schema. */
export function fileAccepts(spec: OptionSpec): string {
  switch (valueKindOf(spec)) {
    case 'env': return 'an object of variables: names like MY_VAR, values strings';
    case 'duration': return `${spec.accepts}; a JSON number is milliseconds`;
    case 'size': return `${spec.accepts}; a JSON number is bytes`;
    case 'boolean': return 'true or false';
    case 'list': return `${spec.accepts}; a JSON array of strings, or one comma-separated string`;
    case 'number': return `${spec.accepts}, as a JSON number or a string`;
    case 'path': return spec.accepts.endsWith(', or off') ? `${spec.accepts} (false is off too)` : spec.accepts;
    case 'text': return spec.accepts;
  }
}

/** The flag texts a JSON value stands for, most likely first. */
function textsOf(spec: OptionSpec, json: unknown): string[] {
  if (typeof json === 'string') return [json];
  if (typeof json === 'number') {
    if (!Number.isFinite(json)) return [];
    return valueKindOf(spec) === 'duration' ? [`${json}ms`] : [String(json)];
  }
  if (typeof json === 'boolean') return json ? ['true'] : ['false', 'off'];
  if (Array.isArray(json) && json.every((item) => typeof item === 'string' && !item.includes(','))) return [json.join(',')];
  return [];
}

/** `env`: an object of variables. Values may be numbers or booleans too (written as text). */
function envFrom(json: unknown): Record<string, string> | undefined {
  if (json === null || typeof json !== 'object' || Array.isArray(json)) return undefined;
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(json)) {
    if (!ENV_NAME.test(name)) return undefined;
    if (typeof value === 'string') env[name] = value;
    else if (typeof value === 'number' || typeof value === 'boolean') env[name] = String(value);
    else return undefined;
  }
  return env;
}

/** The option value `json` stands for, or `undefined` when the option does not accept it. */
export function optionFromJson(spec: OptionSpec, json: unknown): unknown {
  if (valueKindOf(spec) === 'env') return envFrom(json);
  // An empty list is the default ("none"); the parsers want at least one item.
  if (Array.isArray(json) && json.length === 0 && Array.isArray(spec.default)) return [];
  for (const text of textsOf(spec, json)) {
    const value = spec.parse(text, undefined);
    if (value !== undefined) return value;
  }
  return undefined;
}

/** Each variable of an `env` object that is not acceptable, at its own path (values never shown). */
export function envIssues(path: JsonPath, json: unknown): ConfigIssue[] {
  if (json === null || typeof json !== 'object' || Array.isArray(json)) {
    return [issueAt(path, json, 'not an object', 'an object of variables: names like MY_VAR, values strings')];
  }
  const issues: ConfigIssue[] = [];
  for (const [name, value] of Object.entries(json)) {
    if (!ENV_NAME.test(name)) issues.push(issueAt([...path, name], value, 'not a variable name', 'letters, digits and _, not starting with a digit'));
    else if (!['string', 'number', 'boolean'].includes(typeof value)) issues.push(issueAt([...path, name], value, 'not a string', 'a string (numbers and booleans are written as text)'));
  }
  return issues;
}
