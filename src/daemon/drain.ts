/** Waiting for requests in flight to finish, within a deadline, polled (no request path is touched). */

const DRAIN_POLL_MS = 25;

export interface Drain {
  /** True when nothing was left in flight, false when the deadline passed or the drain was cut. */
  done: Promise<boolean>;
  /** Ends the wait now (a second signal). */
  cut: () => void;
}

export function drainRequests(inFlight: () => number, timeoutMs: number): Drain {
  const deadline = Date.now() + timeoutMs;
  let timer: NodeJS.Timeout | undefined;
  let finish: (drained: boolean) => void = () => undefined;
  const done = new Promise<boolean>((resolve) => {
    finish = (drained) => {
      clearTimeout(timer);
      resolve(drained);
    };
    const check = (): void => {
      if (inFlight() === 0) return finish(true);
      if (Date.now() >= deadline) return finish(false);
      timer = setTimeout(check, DRAIN_POLL_MS);
    };
    check();
  });
  return { done, cut: () => finish(false) };
}
