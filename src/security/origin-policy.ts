/**
 * Which Host and Origin headers a client-facing request may carry. Against DNS rebinding: while
 * bound to loopback, Host must be a loopback name and Origin a loopback origin, unless listed in
 * --allowed-hosts / --allowed-origins. On another address, a listed Host is required when a list is
 * given, and an Origin must be listed, be a CORS origin, or match the request's own Host (a page of
 * the same site). Requests without Origin (every non-browser client) pass the Origin check.
 * "Host" is the host the request is for: an absolute-form target's authority replaces the header.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { WireErrorReason } from '../errors/wire.js';
import { authorityOf } from '../http/request-target.js';
import { hostnameOf, isLoopback } from './loopback.js';

const MAX_CACHED_VERDICTS = 64;

export interface OriginPolicyOptions {
  /** The daemon listens on a loopback address. */
  loopback: boolean;
  allowedHosts: readonly string[];
  allowedOrigins: readonly string[];
  /** Origins CORS answers for (`*`: any). */
  corsOrigins: readonly string[];
}

export class OriginPolicy {
  private readonly options: OriginPolicyOptions;
  private readonly hosts: Set<string>;
  private readonly origins: Set<string>;
  /** Verdicts on Host values seen: a client sends the same one every time. Bounded. */
  private readonly hostVerdicts = new Map<string, boolean>();

  constructor(options: OriginPolicyOptions) {
    this.options = options;
    this.hosts = new Set(options.allowedHosts.map((host) => host.toLowerCase()));
    this.origins = new Set([...options.allowedOrigins, ...options.corsOrigins].map((origin) => origin.replace(/\/$/, '').toLowerCase()));
  }

  check(req: { url?: string | undefined; headers: IncomingHttpHeaders }): WireErrorReason | undefined {
    const { headers } = req;
    const host = authorityOf(req);
    if (!this.hostVerdict(host)) return 'FORBIDDEN_HOST';
    const origin = headers.origin;
    if (origin === undefined) return undefined;
    return this.originAllowed(origin, host) ? undefined : 'FORBIDDEN_ORIGIN';
  }

  private hostVerdict(host: string | undefined): boolean {
    if (host === undefined) return this.hostAllowed(undefined);
    let allowed = this.hostVerdicts.get(host);
    if (allowed === undefined) {
      allowed = this.hostAllowed(host ? hostnameOf(host).toLowerCase() : undefined);
      if (this.hostVerdicts.size < MAX_CACHED_VERDICTS) this.hostVerdicts.set(host, allowed);
    }
    return allowed;
  }

  private hostAllowed(hostname: string | undefined): boolean {
    if (hostname === undefined) return !this.options.loopback && this.hosts.size === 0;
    if (this.hosts.has(hostname)) return true;
    if (this.options.loopback) return isLoopback(hostname);
    return this.hosts.size === 0;
  }

  private originAllowed(origin: string, host: string | undefined): boolean {
    if (this.options.corsOrigins.includes('*') || this.origins.has(origin.toLowerCase())) return true;
    let url: URL;
    try {
      url = new URL(origin);
    } catch {
      return false; // "null" or garbage: no page we know of.
    }
    if (this.options.loopback) return isLoopback(url.hostname);
    return host !== undefined && url.host.toLowerCase() === host.toLowerCase();
  }
}
