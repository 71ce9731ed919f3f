/**
 * Holds a session's client writes while a restart brings its new child up: closed by the first
 * restart, it stays closed through any further attempts and opens once, when the child is up or
 * the session ends.
 */
export class WriteGate {
  private held: { promise: Promise<void>; open(): void } | undefined;

  close(): void {
    if (this.held) return;
    let open = (): void => undefined;
    const promise = new Promise<void>((resolve) => { open = resolve; });
    this.held = { promise, open };
  }

  open(): void {
    const held = this.held;
    this.held = undefined;
    held?.open();
  }

  /** No restart is holding writes. */
  get isOpen(): boolean {
    return this.held === undefined;
  }

  /** Resolves at once when open, else when it opens. */
  async pass(): Promise<void> {
    if (this.held) await this.held.promise;
  }
}
