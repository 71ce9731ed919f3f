/**
 * A child's stderr, turned into log lines. Each line is logged with the child's bindings (server,
 * session, pid); long lines are cut; a flood is held to a token bucket and what was dropped is
 * counted in a later line instead of being lost without a word; the last lines are kept so that a
 * failure can be explained to the client with the child's own words.
 */
import { LineFramer } from '../jsonrpc/line-framer.js';
import type { Logger } from '../observability/logger.js';

export interface StderrCaptureOptions {
  maxLineBytes: number;
  /** Sustained lines per second that are logged. */
  linesPerSecond: number;
  /** Lines that may be logged at once before the rate applies. */
  burst: number;
  /** How many last lines to keep for error messages. */
  tailLines: number;
}

export const DEFAULT_STDERR_CAPTURE: StderrCaptureOptions = {
  maxLineBytes: 4096,
  linesPerSecond: 200,
  burst: 400,
  tailLines: 20,
};

/** During a flood, the count of dropped lines is reported at most this often (and at the end). */
const DROP_REPORT_INTERVAL_MS = 1000;

export class StderrCapture {
  /** Replaced when the child is bound to a session. */
  logger: Logger;
  /** Correlation for the next lines (the one request in flight on the session), if any. */
  context: () => object | undefined = () => undefined;
  /** Told of each line: logged, or dropped by the rate limit. */
  onCounted?: (logged: boolean) => void;
  private readonly options: StderrCaptureOptions;
  private readonly framer: LineFramer;
  private readonly tailRing: string[] = [];
  private tokens: number;
  private refilledAt = Date.now();
  private droppedSinceReport = 0;
  private reportedAt = 0;
  logged = 0;
  dropped = 0;

  constructor(logger: Logger, options: StderrCaptureOptions = DEFAULT_STDERR_CAPTURE) {
    this.logger = logger;
    this.options = options;
    this.tokens = options.burst;
    this.framer = new LineFramer({
      maxLineBytes: options.maxLineBytes,
      mode: 'truncate',
      onLine: (line, truncatedBytes) => this.onLine(line, truncatedBytes),
    });
  }

  push(chunk: Buffer): void {
    this.framer.push(chunk);
  }

  /** Flushes a last unterminated line and reports what the rate limit dropped. */
  end(): void {
    this.framer.end();
    this.reportDropped();
  }

  /** The last lines, oldest first. */
  tail(): string[] {
    return [...this.tailRing];
  }

  private onLine(line: string, truncatedBytes: number): void {
    if (line === '' && truncatedBytes === 0) return;
    this.tailRing.push(line);
    if (this.tailRing.length > this.options.tailLines) this.tailRing.shift();
    if (!this.takeToken()) {
      this.dropped++;
      this.droppedSinceReport++;
      this.onCounted?.(false);
      return;
    }
    this.onCounted?.(true);
    if (Date.now() - this.reportedAt >= DROP_REPORT_INTERVAL_MS) this.reportDropped();
    this.logged++;
    const context = this.context();
    if (truncatedBytes > 0) this.logger.info({ stream: 'stderr', truncatedBytes, ...context }, line);
    else if (context) this.logger.info({ stream: 'stderr', ...context }, line);
    else this.logger.info({ stream: 'stderr' }, line);
  }

  private takeToken(): boolean {
    const now = Date.now();
    const refill = ((now - this.refilledAt) / 1000) * this.options.linesPerSecond;
    if (refill >= 1) {
      this.tokens = Math.min(this.options.burst, this.tokens + refill);
      this.refilledAt = now;
    }
    if (this.tokens < 1) return false;
    this.tokens--;
    return true;
  }

  private reportDropped(): void {
    if (this.droppedSinceReport === 0) return;
    this.logger.warn({ stream: 'stderr', dropped: this.droppedSinceReport }, 'child stderr lines dropped by the rate limit');
    this.droppedSinceReport = 0;
    this.reportedAt = Date.now();
  }
}
