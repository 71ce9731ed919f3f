/**
 * Backpressure from clients to the child: while any of a session's connections has more than
 * --stream-buffer waiting to be written, the child's stdout is not read. The pipe fills, the child
 * blocks on its next write, and the daemon's memory stays bounded however slowly a client reads.
 */

/** What a connection tells its session about its outbound buffer. */
export interface FlowControl {
  congested(connection: object): void;
  relieved(connection: object): void;
}

export interface Pausable {
  pauseOutput(): void;
  resumeOutput(): void;
}

export class Backpressure implements FlowControl {
  /** How many times the child was paused, over the session's life. */
  pauses = 0;
  private readonly congestedConnections = new Set<object>();
  private child: Pausable;

  constructor(child: Pausable) {
    this.child = child;
  }

  get paused(): boolean {
    return this.congestedConnections.size > 0;
  }

  congested(connection: object): void {
    if (this.congestedConnections.has(connection)) return;
    this.congestedConnections.add(connection);
    if (this.congestedConnections.size === 1) {
      this.pauses++;
      this.child.pauseOutput();
    }
  }

  relieved(connection: object): void {
    if (!this.congestedConnections.delete(connection)) return;
    if (this.congestedConnections.size === 0) this.child.resumeOutput();
  }

  /** A restart's new child starts paused if a client is still behind. */
  replaceChild(child: Pausable): void {
    this.child = child;
    if (this.paused) child.pauseOutput();
  }
}
