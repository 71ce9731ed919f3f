/**
 * HTTPS with --tls-cert/--tls-key, against the real daemon and the echo fixture: a session runs
 * end to end over TLS with the configured certificate, SIGHUP re-reads both files (a new
 * connection sees the new certificate; sessions live on), a reload that fails keeps the old
 * certificate, and a TLS file that cannot be used at start is a usage error: exit 2, one line.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { copyFileSync, mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startDaemon, type TestDaemon } from '../helpers/daemon.js';
import { fixture } from '../helpers/fixtures.js';
import { initializeBody, MCP_ACCEPT } from '../helpers/http.js';
import { CLI, ROOT } from '../helpers/paths.js';
import { assertNoneTagged, newTag } from '../helpers/process-table.js';
import { NO_OPENSSL, httpsRequest, makeCertificate, type Certificate, type HttpsReply } from './tls-certs.js';

const PROTOCOL = '2025-06-18';

describe('HTTPS with --tls-cert and --tls-key', { skip: NO_OPENSSL }, () => {
  let dir: string;
  let first: Certificate;
  let second: Certificate;
  /** The paths the daemon was given; tests copy other certificates over them. */
  let live: { cert: string; key: string };
  let daemon: TestDaemon;
  let ca: string[];

  const install = (certificate: Certificate): void => {
    copyFileSync(certificate.certPath, live.cert);
    copyFileSync(certificate.keyPath, live.key);
  };

  const post = (body: string, sessionId?: string): Promise<HttpsReply> =>
    httpsRequest(daemon.url, {
      ca,
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: MCP_ACCEPT, ...(sessionId ? { 'mcp-session-id': sessionId, 'mcp-protocol-version': PROTOCOL } : {}) },
      body,
    });

  const openSession = async (): Promise<string> => {
    const reply = await post(initializeBody(1, PROTOCOL));
    assert.equal(reply.status, 200, reply.text);
    const id = reply.headers['mcp-session-id'];
    assert.ok(typeof id === 'string' && id !== '', 'initialize answered with an Mcp-Session-Id');
    assert.equal((await post(JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }), id)).status, 202);
    return id;
  };

  const echo = async (sessionId: string, text: string): Promise<HttpsReply> => {
    const reply = await post(JSON.stringify({ jsonrpc: '2.0', id: text, method: 'tools/call', params: { name: 'echo', arguments: { text } } }), sessionId);
    assert.equal(reply.status, 200, reply.text);
    assert.deepEqual((reply.json as { result: unknown }).result, { content: [{ type: 'text', text }] });
    return reply;
  };

  /** Sends SIGHUP and waits for the `count`-th log line `msg`. */
  const hangUp = async (msg: string): Promise<void> => {
    const seen = daemon.logs.filter((line) => line.msg === msg).length;
    daemon.process.kill('SIGHUP');
    await daemon.waitForLog((line) => line.msg === msg && daemon.logs.filter((other) => other.msg === msg).length > seen, 10_000, `"${msg}"`);
  };

  before(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'mcp-sidecar-tls-'));
    first = makeCertificate(dir, 'first');
    second = makeCertificate(dir, 'second');
    ca = [first.pem, second.pem];
    live = { cert: path.join(dir, 'live.cert.pem'), key: path.join(dir, 'live.key.pem') };
    install(first);
    daemon = await startDaemon({ fixture: { name: 'echo-server' }, args: ['--tls-cert', live.cert, '--tls-key', live.key] });
  });

  after(async () => {
    await daemon.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('listens on https:// and presents the configured certificate', async () => {
    assert.match(daemon.url, /^https:\/\/127\.0\.0\.1:\d+\/mcp$/);
    const listening = daemon.logs.find((line) => line.msg === 'listening');
    assert.match(String(listening?.wsUrl), /^wss:\/\//);
    const health = await httpsRequest(`${daemon.baseUrl}/healthz`, { ca });
    assert.equal(health.status, 200);
    assert.equal(health.fingerprint, first.fingerprint);
  });

  it('refuses a client that does not trust the certificate', async () => {
    const other = makeCertificate(dir, 'untrusted');
    await assert.rejects(httpsRequest(`${daemon.baseUrl}/healthz`, { ca: [other.pem] }), /self[- ]signed|unable to verify|certificate/i);
  });

  it('runs a session end to end over HTTPS: initialize, tools/call, DELETE', async () => {
    const sessionId = await openSession();
    await echo(sessionId, 'over tls');
    const deleted = await httpsRequest(daemon.url, { ca, method: 'DELETE', headers: { 'mcp-session-id': sessionId, 'mcp-protocol-version': PROTOCOL } });
    assert.equal(deleted.status, 200, deleted.text);
    const gone = await post(JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/list' }), sessionId);
    assert.equal(gone.status, 404);
    assert.equal((gone.json as { error: { data: { reason: string } } }).error.data.reason, 'SESSION_NOT_FOUND');
  });

  it('re-reads both files on SIGHUP: a new connection sees the new certificate, and a session lives on', async () => {
    const sessionId = await openSession();
    assert.equal((await echo(sessionId, 'before')).fingerprint, first.fingerprint);
    install(second);
    await hangUp('TLS certificate reloaded');
    assert.equal((await echo(sessionId, 'after')).fingerprint, second.fingerprint);
    const health = await httpsRequest(`${daemon.baseUrl}/healthz`, { ca: [second.pem] });
    assert.equal(health.fingerprint, second.fingerprint);
    const deleted = await httpsRequest(daemon.url, { ca, method: 'DELETE', headers: { 'mcp-session-id': sessionId } });
    assert.equal(deleted.status, 200);
  });

  it('keeps the certificate in use when a reload cannot read or use the files', async () => {
    install(second);
    unlinkSync(live.key);
    await hangUp('TLS certificate not reloaded; the previous one stays in use');
    assert.equal((await httpsRequest(`${daemon.baseUrl}/healthz`, { ca })).fingerprint, second.fingerprint);
    // Readable, but a key that does not belong to the certificate.
    copyFileSync(first.keyPath, live.key);
    await hangUp('TLS certificate not reloaded; the previous one stays in use');
    const health = await httpsRequest(`${daemon.baseUrl}/healthz`, { ca });
    assert.equal(health.status, 200);
    assert.equal(health.fingerprint, second.fingerprint);
    assert.equal(daemon.process.exitCode, null, 'the daemon is still running');
  });
});

describe('a TLS file that cannot be used at start', { skip: NO_OPENSSL }, () => {
  let dir: string;
  let good: Certificate;

  before(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'mcp-sidecar-tls-bad-'));
    good = makeCertificate(dir, 'good');
    writeFileSync(path.join(dir, 'not-pem.txt'), 'this is not a certificate\n');
  });

  after(() => rmSync(dir, { recursive: true, force: true }));

  /** Runs the CLI with `args` in front of a tagged echo fixture; it must exit by itself. */
  const runCli = async (args: string[]): Promise<{ code: number | null; stderr: string; stdout: string }> => {
    const tag = newTag();
    const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('MCP_SIDECAR_')));
    const child = spawn(process.execPath, [CLI, '--port', '0', ...args, '--', ...fixture('echo-server', tag)], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    const [code] = (await once(child, 'close')) as [number | null];
    clearTimeout(timer);
    await assertNoneTagged(tag);
    return { code, stdout, stderr };
  };

  const assertUsageError = (run: { code: number | null; stderr: string; stdout: string }, parts: string[]): void => {
    assert.equal(run.code, 2, `exit code (stderr: ${run.stderr})`);
    const lines = run.stderr.split('\n').filter((line) => line.trim() !== '');
    assert.equal(lines.length, 1, `one line on stderr, got:\n${run.stderr}`);
    for (const part of parts) assert.ok(lines[0]?.includes(part), `${JSON.stringify(lines[0])} should name ${JSON.stringify(part)}`);
    assert.equal(run.stdout, '');
  };

  it('a --tls-cert that does not exist: exit 2, one line naming the option and the path', async () => {
    const missing = path.join(dir, 'missing.pem');
    assertUsageError(await runCli(['--tls-cert', missing, '--tls-key', good.keyPath]), ['--tls-cert', missing]);
  });

  it('a --tls-key that does not exist: exit 2, one line naming the option and the path', async () => {
    const missing = path.join(dir, 'missing-key.pem');
    assertUsageError(await runCli(['--tls-cert', good.certPath, '--tls-key', missing]), ['--tls-key', missing]);
  });

  it('--tls-cert without --tls-key: exit 2, one line naming both', async () => {
    assertUsageError(await runCli(['--tls-cert', good.certPath]), ['--tls-cert', '--tls-key']);
  });

  it('a --tls-cert that is not PEM: exit 2, one line naming the option', async () => {
    const notPem = path.join(dir, 'not-pem.txt');
    assertUsageError(await runCli(['--tls-cert', notPem, '--tls-key', good.keyPath]), ['--tls-cert', notPem]);
  });

  it('a --tls-key that is not a key: exit 2, one line naming the option', async () => {
    assertUsageError(await runCli(['--tls-cert', good.certPath, '--tls-key', good.certPath]), ['--tls-key', good.certPath]);
  });
});
