/**
 * Ends connections whose credential stopped being good. A static token is re-checked when the token
 * file is reloaded (SIGHUP): a connection whose token is gone, or now names another principal, is
 * ended as `revoked`. A JWT connection is ended as `expired` by a timer at its `exp` (unref'd: it
 * never keeps the process alive). Each connection is ended at most once.
 */
import type { Credential, CredentialEnd } from './credential.js';
import type { TokenMatch } from './token-file.js';

/** setTimeout's longest delay; a later expiry is waited for in steps. */
const MAX_TIMER_MS = 2 ** 31 - 1;

interface TokenWatcher {
  readonly token: TokenMatch;
  readonly end: (cause: CredentialEnd) => void;
}

export class CredentialWatch {
  private readonly tokens = new Set<TokenWatcher>();
  private readonly holds: (token: TokenMatch) => boolean;

  /** `holds` says whether a token matched earlier is still accepted (the token store's current set). */
  constructor(holds: (token: TokenMatch) => boolean) {
    this.holds = holds;
  }

  /** Connections whose static token is watched. */
  get size(): number {
    return this.tokens.size;
  }

  /**
   * Calls `end` once when `credential` stops being good. Returns the function that stops watching;
   * call it when the connection closes for any reason.
   */
  watch(credential: Credential, end: (cause: CredentialEnd) => void): () => void {
    if (credential.kind === 'jwt') return expireAt(credential.expiresAtMs, () => end('expired'));
    if (credential.kind !== 'token') return () => {};
    const watcher: TokenWatcher = { token: credential.token, end };
    this.tokens.add(watcher);
    return () => void this.tokens.delete(watcher);
  }

  /** After the tokens were reloaded: ends every watched connection whose token is no longer accepted; returns how many. */
  recheck(): number {
    let ended = 0;
    for (const watcher of [...this.tokens]) {
      if (this.holds(watcher.token)) continue;
      this.tokens.delete(watcher);
      ended += 1;
      watcher.end('revoked');
    }
    return ended;
  }
}

/** Calls `fire` at `atMs` (never synchronously, even when that has passed); returns the cancel. */
function expireAt(atMs: number, fire: () => void): () => void {
  let timer: NodeJS.Timeout | undefined;
  const arm = (): void => {
    const wait = atMs - Date.now();
    if (wait > MAX_TIMER_MS) {
      timer = setTimeout(arm, MAX_TIMER_MS);
    } else {
      timer = setTimeout(fire, Math.max(0, wait));
    }
    timer.unref();
  };
  arm();
  return () => clearTimeout(timer);
}
