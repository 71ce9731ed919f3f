/**
 * Newline framing for the floor's pipes, on Buffers: a line is decoded once, when it is whole,
 * so a 1 MiB answer split over many pipe reads is concatenated once and never re-scanned.
 */
const NEWLINE = 0x0a;

export class LineSplitter {
  private readonly pending: Buffer[] = [];
  private readonly onLine: (line: string) => void;

  constructor(onLine: (line: string) => void) {
    this.onLine = onLine;
  }

  push(chunk: Buffer): void {
    let start = 0;
    let newline = chunk.indexOf(NEWLINE);
    while (newline !== -1) {
      const piece = chunk.subarray(start, newline);
      const line = this.pending.length === 0 ? piece : Buffer.concat([...this.pending.splice(0), piece]);
      if (line.length > 0) this.onLine(line.toString('utf8'));
      start = newline + 1;
      newline = chunk.indexOf(NEWLINE, start);
    }
    if (start < chunk.length) this.pending.push(chunk.subarray(start));
  }
}
