/**
 * Self-signed certificates made with the system's openssl, and HTTPS requests that trust exactly
 * the certificates given and report which one the server presented. Each request has its own
 * connection (no agent), so a request after a reload sees the reloaded certificate.
 */
import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import type { IncomingHttpHeaders } from 'node:http';
import { request } from 'node:https';
import path from 'node:path';
import type { TLSSocket } from 'node:tls';

const OPENSSL = '/usr/bin/openssl';

/**
 * Why the TLS tests cannot run here (no system openssl to make their certificates), or undefined.
 * Debian's base image has it; a bare container may not: the tests then say so instead of failing.
 */
export const NO_OPENSSL: string | undefined = existsSync(OPENSSL) ? undefined : `${OPENSSL} is not installed (Debian package openssl): the TLS tests cannot make their certificates`;

export interface Certificate {
  certPath: string;
  keyPath: string;
  /** The PEM certificate, to trust as a CA. */
  pem: string;
  /** SHA-256 fingerprint, as `X509Certificate.fingerprint256` and `getPeerCertificate()` spell it. */
  fingerprint: string;
}

/** A P-256 self-signed certificate for localhost and 127.0.0.1, valid one day, in `dir`. */
export function makeCertificate(dir: string, name: string): Certificate {
  const certPath = path.join(dir, `${name}.cert.pem`);
  const keyPath = path.join(dir, `${name}.key.pem`);
  execFileSync(OPENSSL, [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-subj', `/CN=localhost/O=${name}`, '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1',
    '-days', '1', '-keyout', keyPath, '-out', certPath,
  ], { stdio: ['ignore', 'ignore', 'pipe'] });
  const pem = readFileSync(certPath, 'utf8');
  return { certPath, keyPath, pem, fingerprint: new X509Certificate(pem).fingerprint256 };
}

export interface HttpsReply {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
  json: unknown;
  /** Fingerprint of the certificate the server presented on this connection. */
  fingerprint: string;
}

export interface HttpsInit {
  /** PEM certificates to trust (and nothing else). */
  ca: string[];
  method?: string;
  headers?: Record<string, string>;
  body?: string;
}

/** One HTTPS request on a connection of its own; resolves with the whole answer. */
export function httpsRequest(url: string, init: HttpsInit): Promise<HttpsReply> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: init.method ?? 'GET', headers: init.headers ?? {}, ca: init.ca, agent: false }, (res) => {
      const fingerprint = (res.socket as TLSSocket).getPeerCertificate().fingerprint256;
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('error', reject);
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json: unknown;
        try {
          json = text ? JSON.parse(text) : undefined;
        } catch {
          json = undefined; // Callers read `text`.
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json, fingerprint });
      });
    });
    req.setTimeout(10_000, () => req.destroy(new Error(`no answer from ${url} within 10s`)));
    req.on('error', reject);
    req.end(init.body);
  });
}
