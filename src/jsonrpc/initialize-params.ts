/**
 * The members of an `initialize` request's params that the daemon checks before it opens a session
 * for it. A stdio server answers a malformed initialize with its schema validator's dump (or not at
 * all), after a child was taken and a session counted; checked here, the client learns which field
 * is wrong and nothing is started. Only what every MCP version requires is checked; the rest
 * (capability contents, unknown members) is the server's to judge.
 */

/** The first field that is missing or of the wrong type, and what was expected of it. */
export interface ParamsProblem {
  /** A dotted path from `params`: `protocolVersion`, `clientInfo.name`. */
  field: string;
  expected: string;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** What is wrong with an initialize request's `params`, or `undefined` when the checked members are right. */
export function initializeParamsProblem(params: unknown): ParamsProblem | undefined {
  if (!isObject(params)) return { field: 'params', expected: 'an object' };
  if (typeof params.protocolVersion !== 'string') return { field: 'protocolVersion', expected: 'a string' };
  if (!isObject(params.capabilities)) return { field: 'capabilities', expected: 'an object' };
  const clientInfo = params.clientInfo;
  if (!isObject(clientInfo)) return { field: 'clientInfo', expected: 'an object' };
  if (typeof clientInfo.name !== 'string') return { field: 'clientInfo.name', expected: 'a string' };
  if (typeof clientInfo.version !== 'string') return { field: 'clientInfo.version', expected: 'a string' };
  return undefined;
}

/** The problem as it reads in an error message: `clientInfo.name must be a string (got a number)`. */
export function describeProblem(problem: ParamsProblem, params: unknown): string {
  return `${problem.field} must be ${problem.expected} (got ${describeValue(valueAt(params, problem.field))})`;
}

function valueAt(params: unknown, field: string): unknown {
  if (field === 'params') return params;
  return field.split('.').reduce<unknown>((value, key) => (isObject(value) ? value[key] : undefined), params);
}

function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}
