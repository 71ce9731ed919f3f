/**
 * The one check every client-facing request passes before a transport sees it, on every transport
 * (Streamable HTTP, legacy SSE, the WebSocket upgrade): Host and Origin, then the bearer token.
 * The principal it decides is kept for the transports (request-principal.ts).
 */
import type { IncomingMessage } from 'node:http';
import type { Authenticator } from '../auth/authenticator.js';
import { NO_CREDENTIAL, type Credential } from '../auth/credential.js';
import { ANONYMOUS, type Principal } from '../auth/principal.js';
import { setPrincipal } from '../auth/request-principal.js';
import type { WireErrorReason } from '../errors/wire.js';
import type { Logger } from '../observability/logger.js';
import { contextOf } from '../observability/request-context.js';
import type { OriginPolicy } from './origin-policy.js';

export type AdmissionVerdict =
  | { ok: true; principal: Principal; /** What a long-lived connection keeps to end with its credential. */ credential: Credential }
  | { ok: false; reason: WireErrorReason; headers?: Record<string, string> };

export class Admission {
  private readonly origins: OriginPolicy;
  private readonly auth: Authenticator | undefined;
  private readonly logger: Logger;

  constructor(origins: OriginPolicy, auth: Authenticator | undefined, logger: Logger) {
    this.origins = origins;
    this.auth = auth;
    this.logger = logger;
  }

  /** The verdict when it needs no token check (authentication off), else `undefined`: call `admit`. */
  admitNow(req: IncomingMessage): AdmissionVerdict | undefined {
    if (this.auth) return undefined;
    const forbidden = this.origins.check(req);
    // principalOf() reads anonymous for a request it has no principal for: nothing to record.
    return forbidden ? { ok: false, reason: forbidden } : { ok: true, principal: ANONYMOUS, credential: NO_CREDENTIAL };
  }

  async admit(req: IncomingMessage): Promise<AdmissionVerdict> {
    const forbidden = this.origins.check(req);
    if (forbidden) return { ok: false, reason: forbidden };
    if (!this.auth) {
      setPrincipal(req, ANONYMOUS);
      return { ok: true, principal: ANONYMOUS, credential: NO_CREDENTIAL };
    }
    const outcome = await this.auth.authenticate(req);
    if (!outcome.ok) {
      this.logger.info({ reason: outcome.reason, detail: outcome.detail, ...contextOf(req) }, 'request not authenticated');
      return { ok: false, reason: outcome.reason, headers: outcome.headers };
    }
    setPrincipal(req, outcome.principal);
    return { ok: true, principal: outcome.principal, credential: outcome.credential };
  }
}
