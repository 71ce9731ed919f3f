/**
 * Which ids a client may use. JSON-RPC allows any string or number; MCP narrows it to a string or
 * an integer. The daemon is stricter still where a number cannot survive the trip: an id outside
 * ±(2^53−1) is no longer the integer that was sent once JSON.parse has read it (it answers with a
 * different id, or the child never answers at all), and a string id is bounded so that a client
 * cannot make every answer and log line carry megabytes.
 */

/** The longest string id accepted, in UTF-16 code units (as `String.length` counts). */
export const MAX_ID_LENGTH = 256;

/** Why `id` is not an id a client may use, or `undefined` when it is one. */
export function idProblem(id: unknown): string | undefined {
  if (typeof id === 'string') return id.length <= MAX_ID_LENGTH ? undefined : `a string id may have at most ${MAX_ID_LENGTH} characters, this one has ${id.length}`;
  if (typeof id === 'number') {
    if (Number.isSafeInteger(id)) return undefined;
    if (Number.isInteger(id)) return `${id} is outside ±(2^53−1), where JSON numbers stop being exact integers`;
    return `${id} is not an integer`;
  }
  return `an id is a string or an integer, not ${id === null ? 'null' : Array.isArray(id) ? 'an array' : `a${typeof id === 'object' ? 'n' : ''} ${typeof id}`}`;
}

/** `id` if a client may use it (so an answer may carry it back), else `null`. */
export function representableId(id: unknown): string | number | null {
  return idProblem(id) === undefined ? (id as string | number) : null;
}
