/**
 * Errors that stay inside the daemon (string codes, never sent as they are). Code that surfaces one
 * to a client maps it to a wire error first.
 */
export type LocalErrorCode =
  | 'CONFIG_INVALID'
  | 'LISTEN_FAILED'
  | 'SPAWN_FAILED'
  | 'CHILD_EXITED'
  | 'CHILD_STDIN_CLOSED'
  | 'FRAME_TOO_LARGE';

export class SidecarError extends Error {
  readonly code: LocalErrorCode;

  constructor(code: LocalErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SidecarError';
    this.code = code;
  }
}
