/**
 * The daemon's phases, in order. Only forward moves are allowed; what each phase admits is read
 * from here and nowhere else.
 *   starting → ready (listening) → draining (no new sessions; in-flight requests finish)
 *   → stopping (children go down the ladder) → stopped
 */
export const PHASES = ['starting', 'ready', 'draining', 'stopping', 'stopped'] as const;
export type Phase = (typeof PHASES)[number];

export type PhaseListener = (phase: Phase) => void;

export class Lifecycle {
  private current: Phase = 'starting';
  private readonly listeners: PhaseListener[] = [];

  /** Told of every phase entered from now on (readiness notifiers: systemd, PM2). */
  onChange(listener: PhaseListener): void {
    this.listeners.push(listener);
  }

  get phase(): Phase {
    return this.current;
  }

  /** Moves forward to `next`; false (and no change) if that would be a step back. */
  advance(next: Phase): boolean {
    if (PHASES.indexOf(next) <= PHASES.indexOf(this.current)) return false;
    this.current = next;
    for (const listener of this.listeners) listener(next);
    return true;
  }

  acceptingSessions(): boolean {
    return this.current === 'ready';
  }
}
