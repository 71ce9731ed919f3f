/**
 * Who is on the other end of a request, once authentication has decided. Everything downstream
 * (session binding, per-principal limits, tool policy, per-principal child environment, audit)
 * reads this one shape and never the credential itself.
 */

/** How a principal was established. */
export type PrincipalKind = 'token' | 'jwt' | 'anonymous';

/** An authenticated caller. Immutable: one object is shared by every request of a session. */
export interface Principal {
  /** The static token's name, or the JWT's subject; `anonymous` when authentication is off. */
  readonly name: string;
  readonly kind: PrincipalKind;
  /** OAuth scopes granted (from the JWT); static tokens carry none. */
  readonly scopes: readonly string[];
  /** The JWT `sub` claim, when the principal came from one. */
  readonly subject?: string;
}

/** The principal of every request while authentication is off. */
export const ANONYMOUS: Principal = Object.freeze({
  name: 'anonymous',
  kind: 'anonymous',
  scopes: Object.freeze([]),
});

/** The principal a static bearer token stands for. */
export function createTokenPrincipal(name: string): Principal {
  return Object.freeze({ name, kind: 'token', scopes: Object.freeze([]) });
}

/** The principal a verified JWT stands for. */
export function createJwtPrincipal(subject: string, scopes: readonly string[]): Principal {
  return Object.freeze({ name: subject, kind: 'jwt', scopes: Object.freeze([...scopes]), subject });
}

/**
 * A key that tells principals apart across kinds, for maps and limits: a static token named
 * `alice` and a JWT whose subject is `alice` are two different callers and must not share a
 * session, a rate-limit bucket or a session count.
 */
export function principalKey(principal: Principal): string {
  return `${principal.kind}:${principal.name}`;
}

/** Whether two principals are the same caller (same kind and name); scopes may differ between tokens. */
export function isSamePrincipal(a: Principal, b: Principal): boolean {
  return a.kind === b.kind && a.name === b.name;
}
