/**
 * The checks a 2026-07-28 request passes before any child is touched, in the SDK's order: the
 * `_meta` envelope, the version header against it, the version itself, the standard headers, the
 * method. Each refusal is a registry reason with the data the revision asks for. Pure: headers and
 * body in, a verdict out.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { WireErrorReason } from '../../../errors/wire.js';
import type { JsonRpcRequest } from '../../../jsonrpc/message.js';
import { MODERN_METHODS, NAMED_BY } from '../../../protocol/modern-methods.js';
import { META, MODERN_VERSIONS, isModernVersion, metaOf } from '../../../protocol/versions.js';

export interface ModernRefusal {
  reason: WireErrorReason;
  detail?: string;
  data?: Record<string, unknown>;
}

/** What a checked modern request says about its client. */
export interface Envelope {
  version: string;
  capabilities: Record<string, unknown>;
  clientInfo: { name: string; version: string } | undefined;
  logLevel: string | undefined;
}

const LOG_LEVELS = ['debug', 'info', 'notice', 'warning', 'error', 'critical', 'alert', 'emergency'];

/** A header's value as the client meant it: `=?base64?…?=` decoded (the revision's encoding for non-ASCII values). */
export function decodeHeader(value: string | string[] | undefined): string | undefined {
  if (value === undefined) return undefined;
  const text = Array.isArray(value) ? value.join(',') : value;
  const encoded = /^=\?base64\?(.*)\?=$/i.exec(text.trim());
  return encoded ? Buffer.from(encoded[1] ?? '', 'base64').toString('utf8') : text.trim();
}

export function checkEnvelope(message: JsonRpcRequest | { method: string; params?: Record<string, unknown> }): Envelope | ModernRefusal {
  const meta = metaOf(message);
  if (!meta) return { reason: 'MODERN_META_INVALID', detail: 'params._meta is missing' };
  const version = meta[META.protocolVersion];
  if (typeof version !== 'string') return { reason: 'MODERN_META_INVALID', detail: `_meta["${META.protocolVersion}"] must be a string` };
  const capabilities = meta[META.clientCapabilities] as Record<string, unknown> | null | undefined;
  if (typeof capabilities !== 'object' || capabilities === null || Array.isArray(capabilities)) {
    return { reason: 'MODERN_META_INVALID', detail: `_meta["${META.clientCapabilities}"] must be an object` };
  }
  const info = meta[META.clientInfo] as { name?: unknown; version?: unknown } | undefined;
  const clientInfo = typeof info?.name === 'string' && typeof info.version === 'string' ? { name: info.name, version: info.version } : undefined;
  const logLevel = meta[META.logLevel];
  if (logLevel !== undefined && (typeof logLevel !== 'string' || !LOG_LEVELS.includes(logLevel))) {
    return { reason: 'MODERN_META_INVALID', detail: `_meta["${META.logLevel}"] must be one of ${LOG_LEVELS.join(', ')}` };
  }
  return { version, capabilities, clientInfo, logLevel };
}

/** Checks a modern request; its envelope when it passes. */
export function checkModernRequest(headers: IncomingHttpHeaders, message: JsonRpcRequest): Envelope | ModernRefusal {
  const envelope = checkEnvelope(message);
  if ('reason' in envelope) return envelope;
  const headerVersion = decodeHeader(headers['mcp-protocol-version']);
  if (headerVersion !== undefined && headerVersion !== envelope.version) {
    return { reason: 'HEADER_MISMATCH', detail: `MCP-Protocol-Version ${headerVersion} but _meta says ${envelope.version}` };
  }
  if (!isModernVersion(envelope.version)) {
    return { reason: 'PROTOCOL_VERSION_UNSUPPORTED', detail: envelope.version, data: { supported: [...MODERN_VERSIONS], requested: envelope.version } };
  }
  if (headerVersion === undefined) return { reason: 'HEADER_MISMATCH', detail: 'MCP-Protocol-Version is missing' };
  const method = decodeHeader(headers['mcp-method']);
  if (method !== message.method) return { reason: 'HEADER_MISMATCH', detail: method === undefined ? 'Mcp-Method is missing' : `Mcp-Method ${method} but the body calls ${message.method}` };
  const namedBy = NAMED_BY[message.method];
  if (namedBy) {
    const name = decodeHeader(headers['mcp-name']);
    const subject = message.params?.[namedBy];
    if (name === undefined) return { reason: 'HEADER_MISMATCH', detail: 'Mcp-Name is missing' };
    if (name !== subject) return { reason: 'HEADER_MISMATCH', detail: `Mcp-Name ${name} but params.${namedBy} is ${JSON.stringify(subject)}` };
  }
  if (!MODERN_METHODS.has(message.method)) return { reason: 'METHOD_NOT_FOUND', detail: message.method };
  return envelope;
}

/**
 * `Mcp-Param-*` headers against a tool's `inputSchema`: every argument declared with
 * `x-mcp-header` has its header, equal to the argument; a header no declaration names is refused.
 */
export function checkParamHeaders(headers: IncomingHttpHeaders, inputSchema: unknown, args: Record<string, unknown> | undefined): ModernRefusal | undefined {
  const declared = new Map<string, string>(); // header name (lower case) → argument
  const properties = (inputSchema as { properties?: Record<string, { 'x-mcp-header'?: unknown }> } | undefined)?.properties ?? {};
  for (const [argument, schema] of Object.entries(properties)) {
    const header = schema?.['x-mcp-header'];
    if (typeof header === 'string' && header !== '') declared.set(`mcp-param-${header.toLowerCase()}`, argument);
  }
  for (const name of Object.keys(headers)) {
    if (name.startsWith('mcp-param-') && !declared.has(name)) return { reason: 'HEADER_MISMATCH', detail: `${name} names no x-mcp-header of this tool` };
  }
  for (const [header, argument] of declared) {
    const value = args?.[argument];
    if (value === undefined || value === null) continue;
    const sent = decodeHeader(headers[header]);
    if (sent === undefined) return { reason: 'HEADER_MISMATCH', detail: `${header} is missing (argument ${argument} is declared x-mcp-header)` };
    const expected = typeof value === 'string' ? value : JSON.stringify(value);
    if (sent !== expected) return { reason: 'HEADER_MISMATCH', detail: `${header} disagrees with argument ${argument}` };
  }
  return undefined;
}
