import { randomBytes } from 'node:crypto';

/** 192 random bits, base64url: visible ASCII only, as the spec asks of Mcp-Session-Id. */
export function newSessionId(): string {
  return randomBytes(24).toString('base64url');
}

const VISIBLE_ASCII = /^[\x21-\x7E]{1,256}$/;

export function isWellFormedSessionId(value: string): boolean {
  return VISIBLE_ASCII.test(value);
}
