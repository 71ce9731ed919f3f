/**
 * The audit log against the real daemon: one structured line per tool call with the session from
 * the logger's bindings; arguments only with --log-tool-args, and then with every value under a
 * secret-looking key and every secret-shaped value redacted. No secret the client sends
 * (arguments, bearer token) reaches any line the daemon writes.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { startDaemon, type LogLine, type TestDaemon } from '../helpers/daemon.js';
import { connectClient } from '../helpers/mcp-client.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const SECRETS = ['sk-SECRET-123', 'hunter2', 'tok-in-a-list'];
const BEARER = 'bearer-TOKEN-4f1d2c';
// echo's input schema is not strict: the server drops the extra keys, the daemon sees them all.
const SECRET_ARGUMENTS = {
  text: 'hi',
  apiKey: 'sk-SECRET-123',
  nested: { password: 'hunter2', keep: 'visible' },
  list: [{ token: 'tok-in-a-list' }],
};

function auditLines(daemon: TestDaemon, sessionId: string): LogLine[] {
  return daemon.logs.filter((line) => line.audit === 'tool-call' && line.sessionId === sessionId);
}

/** Every byte the daemon wrote on stderr, as lines. */
function everything(daemon: TestDaemon): string[] {
  return [...daemon.logs.map((line) => JSON.stringify(line)), ...daemon.strayStderr];
}

function assertNoSecrets(daemon: TestDaemon, secrets: readonly string[]): void {
  for (const secret of secrets) {
    const leaks = everything(daemon).filter((line) => line.includes(secret));
    assert.deepEqual(leaks, [], `${secret} reached the log`);
  }
}

describe('audit log', () => {
  it('writes one line per tool call, with outcome, duration, error code and request id, and no arguments by default', async () => {
    const daemon = await startDaemon({ fixture: { name: 'echo-server' } });
    try {
      const { client, transport, close } = await connectClient(daemon.url);
      const sessionId = transport.sessionId ?? '';
      await client.listTools();
      await client.callTool({ name: 'echo', arguments: SECRET_ARGUMENTS });
      await client.callTool({ name: 'fail', arguments: {} });
      await assert.rejects(client.callTool({ name: 'throw', arguments: {} }), /thrown on purpose/);
      await close();
      await daemon.waitForLog((line) => line.sessionId === sessionId && line.msg === 'session closed', 10_000, 'the session to close');

      const lines = auditLines(daemon, sessionId);
      assert.deepEqual(lines.map((line) => [line.tool, line.outcome]), [['echo', 'success'], ['fail', 'is-error'], ['throw', 'error']]);
      for (const line of lines) {
        assert.equal(line.level, 'info');
        assert.equal(line.msg, `tool call ${String(line.tool)}: ${String(line.outcome)}`);
        assert.equal(typeof line.server, 'string');
        assert.ok(typeof line.durationMs === 'number' && line.durationMs >= 0, `durationMs ${String(line.durationMs)}`);
        assert.match(String(line.requestId), UUID);
        assert.ok(!('arguments' in line), 'arguments are left out without --log-tool-args');
      }
      assert.equal(new Set(lines.map((line) => line.requestId)).size, 3, 'one request id per HTTP request');
      assert.equal(lines[2]?.errorCode, -32603);
      assert.ok(!('errorCode' in (lines[0] as LogLine)) && !('errorCode' in (lines[1] as LogLine)));
      // tools/list is not a tool call.
      assert.equal(daemon.logs.filter((line) => line.audit !== undefined && line.audit !== 'tool-call').length, 0);
      assertNoSecrets(daemon, SECRETS);
    } finally {
      await daemon.close();
    }
  });

  it('with --log-tool-args logs the arguments with secrets redacted, and never a bearer token', async () => {
    const daemon = await startDaemon({ fixture: { name: 'echo-server' }, args: ['--log-tool-args'] });
    try {
      const client = new Client({ name: 'mcp-sidecar-test', version: '1.0.0' });
      const transport = new StreamableHTTPClientTransport(new URL(daemon.url), {
        requestInit: { headers: { Authorization: `Bearer ${BEARER}` } },
      });
      await client.connect(transport);
      const sessionId = transport.sessionId ?? '';
      const echoed = await client.callTool({ name: 'echo', arguments: SECRET_ARGUMENTS });
      assert.deepEqual(echoed.content, [{ type: 'text', text: 'hi' }]);
      await client.callTool({ name: 'env', arguments: { name: 'PATH' } });
      await transport.terminateSession();
      await client.close();
      await daemon.waitForLog((line) => line.sessionId === sessionId && line.msg === 'session closed', 10_000, 'the session to close');

      const [echo, env] = auditLines(daemon, sessionId);
      assert.deepEqual(echo?.arguments, {
        text: 'hi',
        apiKey: '[redacted]',
        nested: { password: '[redacted]', keep: 'visible' },
        list: [{ token: '[redacted]' }],
      });
      assert.deepEqual(env?.arguments, { name: 'PATH' });
      assertNoSecrets(daemon, [...SECRETS, BEARER]);
    } finally {
      await daemon.close();
    }
  });

  it('with --log-tool-args, secrets under unusual keys and secret-shaped values never reach the log', async () => {
    const jwt = `eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJlMmUifQ.${'Qx7'.repeat(14)}`;
    const github = `ghp_${'Zk4'.repeat(12)}`;
    const secrets = ['pw-e2e-71', 'pin-e2e-4242', 'otp-e2e-913', 'sig-e2e-5a5a', 'bearer-key-e2e', 'url-pass-e2e', 'opaque-e2e-77f1', jwt, github, 'fw-e2e-pass'];
    const args = {
      text: 'hi',
      'Pass-Word': 'pw-e2e-71',
      pin: 'pin-e2e-4242',
      otp: 'otp-e2e-913',
      signature: 'sig-e2e-5a5a',
      bearer: 'bearer-key-e2e',
      'ｐａｓｓｗｏｒｄ': 'fw-e2e-pass',
      endpoint: 'https://alice:url-pass-e2e@db.example.com/app',
      header: 'Bearer opaque-e2e-77f1',
      data: jwt,
      config: { note: `use ${github} for the API` },
      opinion: 'pineapple',
    };
    const daemon = await startDaemon({ fixture: { name: 'echo-server' }, args: ['--log-tool-args'] });
    try {
      const { client, transport, close } = await connectClient(daemon.url);
      const sessionId = transport.sessionId ?? '';
      await client.callTool({ name: 'echo', arguments: args });
      await close();
      await daemon.waitForLog((line) => line.sessionId === sessionId && line.msg === 'session closed', 10_000, 'the session to close');
      const [line] = auditLines(daemon, sessionId);
      assert.deepEqual(line?.arguments, {
        text: 'hi',
        'Pass-Word': '[redacted]',
        pin: '[redacted]',
        otp: '[redacted]',
        signature: '[redacted]',
        bearer: '[redacted]',
        'ｐａｓｓｗｏｒｄ': '[redacted]',
        endpoint: 'https://[redacted]@db.example.com/app',
        header: 'Bearer [redacted]',
        data: '[redacted]',
        config: { note: 'use [redacted] for the API' },
        opinion: 'pineapple',
      });
      assertNoSecrets(daemon, secrets);
    } finally {
      await daemon.close();
    }
  });
});
