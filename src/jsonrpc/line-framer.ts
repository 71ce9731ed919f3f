/**
 * Newline framing for a byte stream, bounded. Splits on the 0x0A byte, which never occurs inside a
 * multi-byte UTF-8 sequence, so a character cut across two chunks is decoded whole. A line longer
 * than `maxLineBytes` is never held in memory beyond the cap: in `drop` mode it is reported and
 * skipped (stdout: a partial JSON message must not be forwarded); in `truncate` mode its head is
 * emitted with the count of bytes cut (stderr: the start of a long log line is still worth reading).
 */
export interface LineFramerOptions {
  maxLineBytes: number;
  mode: 'drop' | 'truncate';
  /** One line, without its newline; `bytes` is its size as received (before any cut). */
  onLine(line: string, truncatedBytes: number, bytes: number): void;
  /** Called in `drop` mode once per oversized line, with its full length in bytes. */
  onOversize?(bytes: number): void;
  /**
   * Whole lines of at least `minBytes` go here as bytes, not decoded (large child answers are
   * relayed as they came); `onLine` gets them decoded when this returns false.
   */
  large?: { minBytes: number; onLine(line: Buffer): boolean };
  /**
   * The chunks given to push() are never written to again by whoever made them (a stream's read
   * buffers are fresh for every read): a part of a line is held as a view, not copied. Default
   * false: a held part is copied, as a pooled buffer may be reused.
   */
  chunksOwned?: boolean;
}

const NEWLINE = 0x0a;
const CARRIAGE_RETURN = 0x0d;

export class LineFramer {
  private readonly options: LineFramerOptions;
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  /** Bytes of the current line seen past the cap; > 0 means the line is over size. */
  private overflowBytes = 0;

  constructor(options: LineFramerOptions) {
    if (!Number.isSafeInteger(options.maxLineBytes) || options.maxLineBytes <= 0) {
      throw new RangeError(`maxLineBytes must be a positive integer, got ${options.maxLineBytes}`);
    }
    this.options = options;
  }

  push(chunk: Buffer): void {
    let start = 0;
    let newline = chunk.indexOf(NEWLINE, start);
    while (newline !== -1) {
      this.finishLine(chunk, start, newline);
      start = newline + 1;
      newline = chunk.indexOf(NEWLINE, start);
    }
    if (start < chunk.length) this.hold(chunk.subarray(start));
  }

  /** Emits a last line that had no newline (a server that exits without one is still heard). */
  end(): void {
    if (this.pendingBytes > 0 || this.overflowBytes > 0) this.finishLine(Buffer.alloc(0), 0, 0);
  }

  private hold(part: Buffer): void {
    if (this.overflowBytes > 0) {
      this.overflowBytes += part.length;
      return;
    }
    const room = this.options.maxLineBytes - this.pendingBytes;
    if (part.length <= room) {
      // Copy unless told otherwise: the caller's chunk may be a slice of a pooled buffer that is reused.
      this.keep(this.options.chunksOwned === true ? part : Buffer.from(part));
      return;
    }
    if (this.options.mode === 'truncate') {
      this.keep(Buffer.from(part.subarray(0, room)));
      this.overflowBytes = part.length - room;
      return;
    }
    this.overflowBytes = this.pendingBytes + part.length;
    this.pending = [];
    this.pendingBytes = 0;
  }

  private keep(part: Buffer): void {
    this.pending.push(part);
    this.pendingBytes += part.length;
  }

  private finishLine(chunk: Buffer, start: number, end: number): void {
    const tailBytes = end - start;
    if (this.overflowBytes === 0 && this.pendingBytes + tailBytes <= this.options.maxLineBytes) {
      // A line inside one chunk (nearly every line) is read where it lies; nothing was held for it.
      if (this.pendingBytes === 0) return this.emit(chunk, 0, start, end);
      const line = Buffer.concat([...this.pending, chunk.subarray(start, end)]);
      this.reset();
      this.emit(line, 0);
      return;
    }
    const total = this.pendingBytes + this.overflowBytes + tailBytes;
    if (this.options.mode === 'drop') {
      this.reset();
      this.options.onOversize?.(total);
      return;
    }
    const room = this.options.maxLineBytes - this.pendingBytes;
    const head = Buffer.concat([...this.pending, chunk.subarray(start, start + Math.max(0, Math.min(room, tailBytes)))]);
    this.reset();
    this.emit(head, total - head.length);
  }

  /** Emits `buffer` from `start` to `end` (all of it by default). */
  private emit(buffer: Buffer, truncatedBytes: number, start = 0, end = buffer.length): void {
    const large = this.options.large;
    if (large && truncatedBytes === 0 && end - start >= large.minBytes && large.onLine(start === 0 && end === buffer.length ? buffer : buffer.subarray(start, end))) return;
    const stop = end > start && buffer[end - 1] === CARRIAGE_RETURN ? end - 1 : end;
    this.options.onLine(buffer.toString('utf8', start, stop), truncatedBytes, stop - start);
  }

  private reset(): void {
    this.pending = [];
    this.pendingBytes = 0;
    this.overflowBytes = 0;
  }
}
