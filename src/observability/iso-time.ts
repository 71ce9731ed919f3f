/**
 * pino's `time` field as its `stdTimeFunctions.isoTime` writes it (`,"time":"2026-12-04T14:28:52.123Z"`),
 * without building a Date per line: the text up to the seconds is made once per second and the
 * milliseconds appended. `toISOString()` is ~10K instructions a call; the relay writes an audit
 * line per tool call.
 */
let second = Number.NaN;
let head = '';

/** The ISO 8601 UTC time of `now` (milliseconds since the epoch), as `Date#toISOString` gives it. */
export function isoTimeOf(now: number): string {
  const ms = now % 1000;
  const at = now - ms;
  if (at !== second) {
    second = at;
    const iso = new Date(at).toISOString();
    head = iso.slice(0, iso.length - 4); // up to and with the dot before "000Z"
  }
  return `${head}${ms < 10 ? '00' : ms < 100 ? '0' : ''}${ms}Z`;
}

let lastNow = Number.NaN;
let lastMember = '';

/** For pino's `timestamp` option. Lines a millisecond apart share their text. */
export function isoTime(): string {
  const now = Date.now();
  if (now !== lastNow) {
    lastNow = now;
    lastMember = `,"time":"${isoTimeOf(now)}"`;
  }
  return lastMember;
}
