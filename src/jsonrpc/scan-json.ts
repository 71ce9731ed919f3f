/**
 * A validating JSON scanner over bytes that materializes nothing: it checks a whole document's
 * syntax and reports where the members of its top-level object (and of one chosen member's object)
 * start and end. The relay uses it for large child answers, so an 8 MiB result is neither decoded
 * to a string nor parsed into objects to find its `id`: the bytes go to the client as they came.
 */

/** A member of an object: its key and the byte range of its value. */
export interface Member {
  key: string;
  start: number;
  end: number;
}

export interface ScannedObject {
  members: Member[];
  /** Members of the value of the top-level member named by `inner`, when that value is an object. */
  inner?: Member[];
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const MAX_DEPTH = 256;

class Scanner {
  pos = 0;
  private readonly data: Buffer;
  /** The data as 32-bit words from its first 4-byte-aligned byte: long plain text is skipped a word at a time. */
  private readonly words: Int32Array;
  /** Where `words[0]` starts in `data`. */
  private readonly wordBase: number;

  constructor(data: Buffer) {
    this.data = data;
    const head = (4 - (data.byteOffset & 3)) & 3;
    const count = data.length > head ? (data.length - head) >> 2 : 0;
    this.wordBase = head;
    this.words = count > 0 ? new Int32Array(data.buffer, data.byteOffset + head, count) : new Int32Array(0);
  }

  get done(): boolean {
    this.skipSpace();
    return this.pos === this.data.length;
  }

  skipSpace(): void {
    const data = this.data;
    let pos = this.pos;
    for (let c = data[pos]; c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09; c = data[++pos]);
    this.pos = pos;
  }

  /** Skips one value; false when it is not valid JSON (or nests deeper than MAX_DEPTH). */
  value(depth: number): boolean {
    this.skipSpace();
    const c = this.data[this.pos];
    if (c === QUOTE) return this.string();
    if (c === 0x7b) return this.object(depth, undefined) !== undefined;
    if (c === 0x5b) return this.array(depth);
    if (c === 0x74) return this.word('true');
    if (c === 0x66) return this.word('false');
    if (c === 0x6e) return this.word('null');
    return this.number();
  }

  /** Scans an object; its members when `capture` says so (else an empty list), undefined when invalid. */
  object(depth: number, capture: { inner?: string; innerMembers?: Member[] } | undefined): Member[] | undefined {
    if (depth > MAX_DEPTH || this.data[this.pos] !== 0x7b) return undefined;
    this.pos++;
    const members: Member[] = [];
    this.skipSpace();
    if (this.data[this.pos] === 0x7d) {
      this.pos++;
      return members;
    }
    for (;;) {
      this.skipSpace();
      const keyStart = this.pos;
      if (this.data[keyStart] !== QUOTE || !this.string()) return undefined;
      const key = capture ? (JSON.parse(this.data.toString('utf8', keyStart, this.pos)) as string) : '';
      this.skipSpace();
      if (this.data[this.pos] !== 0x3a) return undefined;
      this.pos++;
      this.skipSpace();
      const start = this.pos;
      let ok: boolean;
      if (capture && key === capture.inner && this.data[start] === 0x7b) {
        const inner = this.object(depth + 1, {});
        ok = inner !== undefined;
        if (inner) capture.innerMembers = inner;
      } else {
        ok = this.value(depth + 1);
      }
      if (!ok) return undefined;
      if (capture) members.push({ key, start, end: this.pos });
      this.skipSpace();
      const next = this.data[this.pos++];
      if (next === 0x7d) return members;
      if (next !== 0x2c) return undefined;
    }
  }

  private array(depth: number): boolean {
    if (depth > MAX_DEPTH) return false;
    this.pos++;
    this.skipSpace();
    if (this.data[this.pos] === 0x5d) {
      this.pos++;
      return true;
    }
    for (;;) {
      if (!this.value(depth + 1)) return false;
      this.skipSpace();
      const next = this.data[this.pos++];
      if (next === 0x5d) return true;
      if (next !== 0x2c) return false;
    }
  }

  private string(): boolean {
    const data = this.data;
    let pos = this.pos + 1;
    for (;;) {
      pos = this.skipPlain(pos);
      const c = data[pos];
      if (c === undefined || c < 0x20) return false;
      if (c === QUOTE) break;
      if (c === BACKSLASH) {
        const escaped = data[pos + 1];
        if (escaped === 0x75) {
          for (let i = 2; i < 6; i++) if (!isHex(data[pos + i])) return false;
          pos += 6;
          continue;
        }
        // " \ / b f n r t
        if (escaped !== QUOTE && escaped !== BACKSLASH && escaped !== 0x2f && escaped !== 0x62 && escaped !== 0x66
          && escaped !== 0x6e && escaped !== 0x72 && escaped !== 0x74) return false;
        pos += 2;
        continue;
      }
      pos++;
    }
    this.pos = pos + 1;
    return true;
  }

  /**
   * From `pos`, the first byte that may end a string, escape, or be invalid in it; at most the
   * start of the 4-byte word holding it. Whole words with no quote, backslash or control byte
   * are skipped at once (each test below is exact for "some byte of the word is …"), which makes
   * a 1 MiB text three times quicker to check than byte by byte.
   */
  private skipPlain(start: number): number {
    const data = this.data;
    let pos = start;
    while (((pos - this.wordBase) & 3) !== 0) {
      const c = data[pos];
      if (c === undefined || c < 0x20 || c === QUOTE || c === BACKSLASH) return pos;
      pos++;
    }
    const words = this.words;
    let index = (pos - this.wordBase) >> 2;
    for (const count = words.length; index < count; index++) {
      const word = words[index] as number;
      const quote = word ^ 0x22222222;
      const backslash = word ^ 0x5c5c5c5c;
      // A byte below 0x20; a byte equal to 0 after the XOR (a quote, a backslash).
      if ((((word - 0x20202020) & ~word) | ((quote - 0x01010101) & ~quote) | ((backslash - 0x01010101) & ~backslash)) & 0x80808080) break;
    }
    return Math.max(pos, this.wordBase + index * 4);
  }

  private word(text: string): boolean {
    for (let i = 0; i < text.length; i++) if (this.data[this.pos + i] !== text.charCodeAt(i)) return false;
    this.pos += text.length;
    return true;
  }

  private number(): boolean {
    const data = this.data;
    let pos = this.pos;
    if (data[pos] === 0x2d) pos++;
    if (data[pos] === 0x30) pos++;
    else if (isDigit(data[pos]) && data[pos] !== 0x30) while (isDigit(data[pos])) pos++;
    else return false;
    if (data[pos] === 0x2e) {
      pos++;
      if (!isDigit(data[pos])) return false;
      while (isDigit(data[pos])) pos++;
    }
    if (data[pos] === 0x65 || data[pos] === 0x45) {
      pos++;
      if (data[pos] === 0x2b || data[pos] === 0x2d) pos++;
      if (!isDigit(data[pos])) return false;
      while (isDigit(data[pos])) pos++;
    }
    this.pos = pos;
    return true;
  }
}

function isDigit(c: number | undefined): boolean {
  return c !== undefined && c >= 0x30 && c <= 0x39;
}

function isHex(c: number | undefined): boolean {
  return c !== undefined && ((c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66));
}

/**
 * Scans `data` as one JSON document whose top level is an object. Returns its members (and those
 * of member `inner`, if that is an object), or `undefined` when `data` is not valid JSON, its top
 * level is not an object, or it nests deeper than the scanner follows (callers then parse it
 * the ordinary way).
 */
export function scanObject(data: Buffer, inner?: string): ScannedObject | undefined {
  const scanner = new Scanner(data);
  scanner.skipSpace();
  const capture: { inner?: string; innerMembers?: Member[] } = inner === undefined ? {} : { inner };
  const members = scanner.object(0, capture);
  if (!members || !scanner.done) return undefined;
  return capture.innerMembers ? { members, inner: capture.innerMembers } : { members };
}
