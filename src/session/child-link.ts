/**
 * What a session needs of its child: a `ChildProcess` of its own (`--isolation session`), or its
 * port on a child it shares with other sessions (`ChildPort`, `--isolation principal|shared`).
 * The session writes lines, hears messages and one exit through `handlers`, and stops it; whether
 * that stops a process or only lets go of a shared one is the link's business.
 */
import type { Logger } from '../observability/logger.js';
import type { ChildHandlers, PreparedChild } from '../supervisor/child-process.js';
import type { ExitRecord, StopReason } from '../supervisor/exit-record.js';
import type { Pausable } from './backpressure.js';

export interface ChildLink extends Pausable {
  readonly pid: number | undefined;
  readonly startedAt: number;
  /** The process behind it is still there and this link to it still holds. */
  readonly alive: boolean;
  /** Settles once with the record that ended the link: the child's exit, or its release. */
  readonly exited: Promise<ExitRecord>;
  /** The child's last stderr lines, and where the context of the next ones comes from. */
  readonly stderr: { tail(): string[]; context: () => object | undefined };
  /** RSS of the child's process tree at the last watchdog check. */
  readonly rssBytes: number;
  /** Set when the pool initialized this child ahead of a client (a child of its own only). */
  readonly prepared: PreparedChild | undefined;
  handlers: ChildHandlers;
  /** Writes one message line; false when the child can no longer be written to. */
  write(raw: string): Promise<boolean>;
  /** Ends the link for `reason`: a child of its own goes down the stop ladder. */
  stop(reason: StopReason): Promise<ExitRecord>;
  bindLogger(logger: Logger): void;
}
