/**
 * Input-required bridging, from outside with raw HTTP and the v2 SDK client: a 2025-era server's
 * questions in the middle of a 2026-07-28 call (elicitation, sampling, roots) become
 * `input_required` answers, and the client's retry answers them and gets the call's result.
 * A `requestState` that is forged, replayed, expired, another principal's or another request's is
 * refused and the held call is untouched (its own state still finishes it); a call whose client
 * never comes back is let go at --input-required-timeout with nothing left behind; the limits on
 * held calls answer 429 and 503 with Retry-After.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { after, before, describe, it } from 'node:test';
import { startDaemon, type TestDaemon } from '../../helpers/daemon.js';
import type { RawResponse } from '../../helpers/http.js';
import { textOf } from '../../helpers/mcp-client.js';
import { CLI } from '../../helpers/paths.js';
import { connectV2 } from '../../helpers/mcp-client-v2.js';
import { metricSum } from '../../helpers/metrics.js';
import { modernMeta, postModern, type ModernCall } from '../../helpers/modern-http.js';
import { waitFor } from '../../helpers/poll.js';
import { listProcesses } from '../../helpers/process-table.js';
import { TempFiles, newToken } from '../../security/auth-helpers.js';

const ALL = { elicitation: {}, sampling: {}, roots: {} };

interface InputRequired {
  resultType: 'input_required';
  inputRequests: Record<string, { method: string; params?: Record<string, unknown> }>;
  requestState: string;
}

function bodyOf(response: RawResponse): { id: unknown; result?: Record<string, unknown>; error?: { code: number; message: string; data: Record<string, unknown> } } {
  assert.ok(response.json, `a JSON answer: ${response.status} ${response.text}`);
  return response.json as never;
}

function inputRequired(response: RawResponse): InputRequired {
  assert.equal(response.status, 200, response.text);
  const result = bodyOf(response).result as unknown as InputRequired;
  assert.equal(result?.resultType, 'input_required', response.text);
  assert.equal(typeof result.requestState, 'string');
  return result;
}

function completeText(response: RawResponse): string {
  assert.equal(response.status, 200, response.text);
  const result = bodyOf(response).result as { resultType?: string; content?: Array<{ text?: string }> } | undefined;
  assert.equal(result?.resultType, 'complete', response.text);
  return result.content?.map((part) => part.text).join('') ?? '';
}

function refused(response: RawResponse, status: number, code: number, reason: string): string {
  assert.equal(response.status, status, response.text);
  const body = bodyOf(response);
  assert.equal(body.error?.code, code, response.text);
  assert.equal(body.error?.data.reason, reason, response.text);
  return body.error.message;
}

const accept = (content: Record<string, unknown>) => ({ action: 'accept', content });

describe('input-required bridging of a 2025-era server (raw HTTP)', () => {
  const files = new TempFiles();
  const tokens = { alice: newToken('alice'), bob: newToken('bob') };
  let daemon: TestDaemon;
  let nextId = 100;

  const call = (token: string, request: ModernCall): Promise<RawResponse> =>
    postModern(daemon.url, { id: nextId++, meta: modernMeta(ALL), ...request, headers: { authorization: `Bearer ${token}`, ...request.headers } });
  const tool = (token: string, name: string, extra: Record<string, unknown> = {}, meta?: Record<string, unknown>): Promise<RawResponse> =>
    call(token, { method: 'tools/call', params: { name, arguments: {}, ...extra }, ...(meta ? { meta } : {}) });

  before(async () => {
    const tokenFile = files.write('tokens', `alice:${tokens.alice}\nbob:${tokens.bob}\n`);
    daemon = await startDaemon({ fixture: { name: 'conformance-server' }, args: ['--auth-tokens-file', tokenFile] });
  });
  after(async () => {
    await daemon.close();
    files.remove();
  });

  it('an elicitation becomes input_required; the retry (a new id) answers it and gets the tool\'s result', async () => {
    const first = inputRequired(await tool(tokens.alice, 'test_input_required_result_elicitation'));
    const keys = Object.keys(first.inputRequests);
    assert.equal(keys.length, 1);
    const asked = first.inputRequests[keys[0] as string];
    assert.equal(asked?.method, 'elicitation/create');
    assert.equal(asked?.params?.message, 'What is your name?', 'the server\'s own question, passed through');
    const text = completeText(await tool(tokens.alice, 'test_input_required_result_elicitation', { inputResponses: { [keys[0] as string]: accept({ name: 'Alice' }) }, requestState: first.requestState }));
    assert.equal(text, 'Hello, Alice!');
    await waitFor(async () => (await metricSum(daemon.baseUrl, 'mcp_sidecar_input_required_held')) === 0, { what: 'nothing held' });
    assert.ok((await metricSum(daemon.baseUrl, 'mcp_sidecar_input_required_total', { outcome: 'completed' })) >= 1);
  });

  it('questions the server sends together are asked together; every kind reaches the server answered', async () => {
    const first = inputRequired(await tool(tokens.alice, 'test_input_required_result_multiple_inputs'));
    const methods = Object.values(first.inputRequests).map((asked) => asked.method).sort();
    assert.deepEqual(methods, ['elicitation/create', 'roots/list', 'sampling/createMessage']);
    const responses: Record<string, unknown> = {};
    for (const [key, asked] of Object.entries(first.inputRequests)) {
      if (asked.method === 'elicitation/create') responses[key] = accept({ name: 'Bo' });
      if (asked.method === 'sampling/createMessage') responses[key] = { role: 'assistant', content: { type: 'text', text: 'Hi there' }, model: 'm', stopReason: 'endTurn' };
      if (asked.method === 'roots/list') responses[key] = { roots: [{ uri: 'file:///work', name: 'work' }] };
    }
    const text = completeText(await tool(tokens.alice, 'test_input_required_result_multiple_inputs', { inputResponses: responses, requestState: first.requestState }));
    assert.equal(text, 'All inputs received: name=Bo, greeting=Hi there, roots=file:///work');
  });

  it('a second question after the first answer is a second round with a new state; a left-out key is asked again', async () => {
    const first = inputRequired(await tool(tokens.alice, 'test_input_required_result_multi_round'));
    const [key1] = Object.keys(first.inputRequests) as [string];
    // The retry answers nothing (an unknown key): the revision's advice is to ask again, not to fail.
    const again = inputRequired(await tool(tokens.alice, 'test_input_required_result_multi_round', { inputResponses: { other: accept({}) }, requestState: first.requestState }));
    assert.deepEqual(Object.keys(again.inputRequests), [key1]);
    assert.notEqual(again.requestState, first.requestState);
    const second = inputRequired(await tool(tokens.alice, 'test_input_required_result_multi_round', { inputResponses: { [key1]: accept({ name: 'Alice' }) }, requestState: again.requestState }));
    const [key2] = Object.keys(second.inputRequests) as [string];
    assert.notEqual(key2, key1);
    assert.match(String(second.inputRequests[key2]?.params?.message), /favorite color/);
    const text = completeText(await tool(tokens.alice, 'test_input_required_result_multi_round', { inputResponses: { [key2]: accept({ color: 'blue' }) }, requestState: second.requestState }));
    assert.equal(text, 'Hello Alice, your favorite color is blue');
  });

  it('prompts/get asks the same way', async () => {
    const prompt = (extra: Record<string, unknown> = {}) => call(tokens.alice, { method: 'prompts/get', params: { name: 'test_input_required_result_prompt', arguments: {}, ...extra } });
    const first = inputRequired(await prompt());
    const [key] = Object.keys(first.inputRequests) as [string];
    const response = await prompt({ inputResponses: { [key]: accept({ context: 'tests' }) }, requestState: first.requestState });
    const result = bodyOf(response).result as { resultType: string; messages: Array<{ content: { text: string } }> };
    assert.equal(result.resultType, 'complete');
    assert.equal(result.messages[0]?.content.text, 'Prompt with context: tests');
  });

  it('a requestState that is forged, replayed, another principal\'s, another request\'s or expired is refused, and the call is untouched', async () => {
    const name = 'test_input_required_result_request_state';
    const first = inputRequired(await tool(tokens.alice, name));
    const [key] = Object.keys(first.inputRequests) as [string];
    const answer = { [key]: accept({ ok: true }) };
    const [body, mac] = first.requestState.split('.') as [string, string];
    const flipped = `${mac.slice(0, -2)}${mac.endsWith('AA') ? 'AB' : 'AA'}`;
    const forgedBody = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(body, 'base64url').toString()), principal: 'static:bob' })).toString('base64url');
    const cases: Array<{ what: string; send: () => Promise<RawResponse>; status?: number; code?: number; reason?: string; says: RegExp }> = [
      { what: 'tampered (suffix)', send: () => tool(tokens.alice, name, { inputResponses: answer, requestState: `${first.requestState}-TAMPERED` }), says: /not one this server issued|integrity/ },
      { what: 'tampered MAC', send: () => tool(tokens.alice, name, { inputResponses: answer, requestState: `${body}.${flipped}` }), says: /integrity/ },
      { what: 'payload rewritten for bob', send: () => tool(tokens.bob, name, { inputResponses: answer, requestState: `${forgedBody}.${mac}` }), says: /integrity/ },
      { what: 'another principal', send: () => tool(tokens.bob, name, { inputResponses: answer, requestState: first.requestState }), says: /another principal/ },
      { what: 'another request (arguments differ)', send: () => tool(tokens.alice, name, { arguments: { x: 1 }, inputResponses: answer, requestState: first.requestState }), says: /another request/ },
      { what: 'another method', send: () => call(tokens.alice, { method: 'prompts/get', params: { name, inputResponses: answer, requestState: first.requestState } }), says: /another request/ },
      { what: 'not a state at all', send: () => tool(tokens.alice, name, { inputResponses: answer, requestState: 'hello' }), says: /not one this server issued/ },
      { what: 'not a string', send: () => tool(tokens.alice, name, { inputResponses: answer, requestState: 42 }), reason: 'INPUT_RESPONSES_INVALID', says: /requestState must be/ },
      { what: 'inputResponses not an object', send: () => tool(tokens.alice, name, { inputResponses: null, requestState: first.requestState }), reason: 'INPUT_RESPONSES_INVALID', says: /inputResponses must be an object/ },
      { what: 'an answer not an object', send: () => tool(tokens.alice, name, { inputResponses: { [key]: 12345 }, requestState: first.requestState }), reason: 'INPUT_RESPONSES_INVALID', says: /must be an object/ },
      { what: 'on a method that cannot ask', send: () => call(tokens.alice, { method: 'tools/list', params: { requestState: first.requestState } }), reason: 'INPUT_RESPONSES_INVALID', says: /cannot ask for input/ },
      {
        what: 'a client that no longer declares elicitation',
        send: () => tool(tokens.alice, name, { inputResponses: answer, requestState: first.requestState }, modernMeta({ sampling: {} })),
        code: -32021, reason: 'CAPABILITY_REQUIRED', says: /elicitation/,
      },
    ];
    for (const refusal of cases) {
      const message = refused(await refusal.send(), refusal.status ?? 400, refusal.code ?? -32602, refusal.reason ?? 'REQUEST_STATE_INVALID');
      assert.match(message, refusal.says, refusal.what);
    }
    // None of that reached the server: its question is still open, and the real state answers it.
    assert.equal(await metricSum(daemon.baseUrl, 'mcp_sidecar_input_required_held'), 1);
    assert.equal(completeText(await tool(tokens.alice, name, { inputResponses: answer, requestState: first.requestState })), 'state-ok');
    // Used once: the same state again finds nothing to resume.
    assert.match(refused(await tool(tokens.alice, name, { inputResponses: answer, requestState: first.requestState }), 400, -32602, 'REQUEST_STATE_INVALID'), /already used/);
  });

  it('a client without the capability the server asks for gets -32021 and the call is cancelled', async () => {
    const response = await tool(tokens.alice, 'test_missing_capability', {}, modernMeta({}));
    refused(response, 400, -32021, 'CAPABILITY_REQUIRED');
    assert.deepEqual(bodyOf(response).error?.data.requiredCapabilities, { sampling: {} });
  });

  it('the server sees only what its client declared (capabilities pass through to the lease\'s child)', async () => {
    const first = inputRequired(await tool(tokens.bob, 'test_input_required_result_capabilities', {}, modernMeta({ sampling: {} })));
    assert.deepEqual(Object.values(first.inputRequests).map((asked) => asked.method), ['sampling/createMessage']);
    const [key] = Object.keys(first.inputRequests) as [string];
    const text = completeText(await tool(tokens.bob, 'test_input_required_result_capabilities', {
      inputResponses: { [key]: { role: 'assistant', content: { type: 'text', text: 'ok' }, model: 'm' } }, requestState: first.requestState,
    }, modernMeta({ sampling: {} })));
    assert.equal(text, 'Capabilities respected: sampling=ok');
  });
});

describe('held calls are bounded: a timeout, and limits per principal and in all', () => {
  const files = new TempFiles();
  const tokens = { alice: newToken('alice'), bob: newToken('bob'), carol: newToken('carol') };
  // Two daemons: one whose held calls outlive the test (limits), one whose expire quickly.
  let limited: TestDaemon;
  let quick: TestDaemon;
  let daemon: TestDaemon;
  let nextId = 1;
  const tool = (token: string, name: string, extra: Record<string, unknown> = {}): Promise<RawResponse> =>
    postModern(daemon.url, { id: nextId++, meta: modernMeta(ALL), method: 'tools/call', params: { name, arguments: {}, ...extra }, headers: { authorization: `Bearer ${token}` } });
  const children = (): number => listProcesses().filter((info) => info.cmdline.includes(daemon.tag) && info.ppid === daemon.pid).length;

  before(async () => {
    const tokenFile = files.write('tokens', `alice:${tokens.alice}\nbob:${tokens.bob}\ncarol:${tokens.carol}\n`);
    const fixture = { name: 'conformance-server' };
    [limited, quick] = await Promise.all([
      startDaemon({ fixture, args: ['--auth-tokens-file', tokenFile, '--max-input-required-per-principal', '1', '--max-input-required', '2'] }),
      startDaemon({ fixture, args: ['--auth-tokens-file', tokenFile, '--input-required-timeout', '1500ms'] }),
    ]);
  });
  after(async () => {
    await Promise.all([limited.close(), quick.close()]);
    files.remove();
  });

  it('past the limits: 429 for the principal, 503 in all, each with Retry-After, and the refused call is cancelled', async () => {
    daemon = limited;
    inputRequired(await tool(tokens.alice, 'test_input_required_result_elicitation'));
    const mine = await tool(tokens.alice, 'test_input_required_result_elicitation');
    refused(mine, 429, -32000, 'INPUT_REQUIRED_LIMIT');
    assert.equal(mine.headers.get('retry-after'), '5');
    inputRequired(await tool(tokens.bob, 'test_input_required_result_elicitation'));
    const all = await tool(tokens.carol, 'test_input_required_result_elicitation');
    refused(all, 503, -32000, 'INPUT_REQUIRED_FULL');
    assert.equal(all.headers.get('retry-after'), '5');
    assert.equal(await metricSum(daemon.baseUrl, 'mcp_sidecar_input_required_held'), 2);
    assert.ok((await metricSum(daemon.baseUrl, 'mcp_sidecar_input_required_total', { outcome: 'refused' })) >= 1);
  });

  it('a held call whose client never returns is ended at --input-required-timeout: its child released, nothing left', async () => {
    daemon = quick;
    inputRequired(await tool(tokens.alice, 'test_input_required_result_elicitation'));
    inputRequired(await tool(tokens.bob, 'test_input_required_result_elicitation'));
    await waitFor(async () => (await metricSum(daemon.baseUrl, 'mcp_sidecar_input_required_held')) === 0, { what: 'the held calls to expire', timeoutMs: 10_000 });
    assert.ok((await metricSum(daemon.baseUrl, 'mcp_sidecar_input_required_total', { outcome: 'expired' })) >= 2);
    await waitFor(async () => (await metricSum(daemon.baseUrl, 'mcp_sidecar_requests_in_flight')) === 0, { what: 'the calls cancelled at the child' });
    const before = children();
    // The lease is free again: the next call of the same principal reuses its child.
    const first = inputRequired(await tool(tokens.alice, 'test_input_required_result_request_state'));
    const [key] = Object.keys(first.inputRequests) as [string];
    assert.equal(completeText(await tool(tokens.alice, 'test_input_required_result_request_state', { inputResponses: { [key]: accept({ ok: true }) }, requestState: first.requestState })), 'state-ok');
    assert.equal(children(), before, 'no new child: the expired call released its own');
    // An expired state is refused for what it is.
    const late = inputRequired(await tool(tokens.bob, 'test_input_required_result_request_state'));
    await waitFor(async () => (await metricSum(daemon.baseUrl, 'mcp_sidecar_input_required_held')) === 0, { what: 'bob\'s call to expire', timeoutMs: 10_000 });
    const [lateKey] = Object.keys(late.inputRequests) as [string];
    assert.match(refused(await tool(tokens.bob, 'test_input_required_result_request_state', { inputResponses: { [lateKey]: accept({ ok: true }) }, requestState: late.requestState }), 400, -32602, 'REQUEST_STATE_INVALID'), /expired/);
    const ended = await daemon.waitForLog((line) => line.outcome === 'expired' && typeof line.rounds === 'number');
    assert.equal(ended.rounds, 1, 'the audit line says how many rounds the call took');
  });

  it('shutdown does not wait for a client that may never come back', async () => {
    daemon = limited;
    await waitFor(async () => (await metricSum(daemon.baseUrl, 'mcp_sidecar_input_required_held')) === 2, { what: 'the two held calls' });
    const started = Date.now();
    assert.equal(await daemon.stop('SIGTERM'), 0);
    assert.ok(Date.now() - started < 8000, 'well within the 10 s drain');
    await daemon.waitForLog((line) => line.outcome === 'expired' && line.msg.startsWith('input-required call ended'));
  });
});

describe('a held call whose child dies while it waits', () => {
  let daemon: TestDaemon;
  before(async () => {
    daemon = await startDaemon({ fixture: { name: 'echo-server' } });
  });
  after(() => daemon.close());

  it('the retry gets the error the call ended with, and the child is not held for it', async () => {
    const meta = modernMeta({ elicitation: { form: {} } });
    const ask = (id: number, extra: Record<string, unknown> = {}) => postModern(daemon.url, { id, meta, method: 'tools/call', params: { name: 'ask', arguments: {}, ...extra } });
    const first = inputRequired(await ask(1));
    const [child] = listProcesses().filter((info) => info.cmdline.includes(daemon.tag) && info.ppid === daemon.pid);
    assert.ok(child, 'the leased child');
    process.kill(child.pid, 'SIGKILL');
    await waitFor(async () => (await metricSum(daemon.baseUrl, 'mcp_sidecar_child_exits_total')) >= 1, { what: 'the child\'s exit' });
    const retry = await ask(2, { inputResponses: { [Object.keys(first.inputRequests)[0] as string]: accept({ answer: 'late' }) }, requestState: first.requestState });
    assert.equal(retry.status, 200, retry.text);
    assert.equal(bodyOf(retry).error?.data.reason, 'CHILD_EXITED', retry.text);
    assert.equal(await metricSum(daemon.baseUrl, 'mcp_sidecar_input_required_held'), 0);
    // The lease (restarted by its policy) serves the next call of this client.
    const again = inputRequired(await ask(3));
    assert.equal(Object.values(again.inputRequests)[0]?.method, 'elicitation/create');
  });
});

describe('a child that asks too much', () => {
  let daemon: TestDaemon;
  before(async () => {
    daemon = await startDaemon({ fixture: { name: 'echo-server' } });
  });
  after(() => daemon.close());

  it('a held call keeps at most 32 questions open; the child hears an error for each one more', async () => {
    const meta = modernMeta({ elicitation: { form: {} } });
    const first = inputRequired(await postModern(daemon.url, { id: 1, meta, method: 'tools/call', params: { name: 'ask-many', arguments: { count: 40 } } }));
    const keys = Object.keys(first.inputRequests);
    assert.equal(keys.length, 32);
    const inputResponses = Object.fromEntries(keys.map((key) => [key, accept({})]));
    const done = await postModern(daemon.url, { id: 2, meta, method: 'tools/call', params: { name: 'ask-many', arguments: { count: 40 }, inputResponses, requestState: first.requestState } });
    assert.equal(completeText(done), 'answered 32, refused 8');
  });
});

describe('input-required bridging with the v2 SDK client pinned to 2026-07-28', () => {
  const files = new TempFiles();
  const token = newToken('alice');
  let daemon: TestDaemon;

  before(async () => {
    const tokenFile = files.write('tokens', `alice:${token}\n`);
    daemon = await startDaemon({ fixture: { name: 'echo-server' }, args: ['--auth-tokens-file', tokenFile] });
  });
  after(async () => {
    await daemon.close();
    files.remove();
  });

  it('tools that elicit, sample and list roots answer through the client\'s own handlers; progress after the answer reaches it', async () => {
    const connected = await connectV2(daemon.url, token, { pin: '2026-07-28' }, { sampling: {}, elicitation: { form: {} }, roots: {} });
    try {
      const { client } = connected;
      client.setRequestHandler('elicitation/create', () => ({ action: 'accept', content: { answer: 'yes' } }));
      client.setRequestHandler('sampling/createMessage', () => ({ role: 'assistant', content: { type: 'text', text: 'sampled reply' }, model: 'test-model' }));
      client.setRequestHandler('roots/list', () => ({ roots: [{ uri: 'file:///srv', name: 'srv' }] }));
      assert.equal(textOf(await client.callTool({ name: 'ask', arguments: { message: 'ok?' } })), 'answer: {"action":"accept","content":{"answer":"yes"}}');
      assert.equal(textOf(await client.callTool({ name: 'sample', arguments: { prompt: 'hi' } })), 'sampled: sampled reply');
      assert.equal(textOf(await client.callTool({ name: 'roots', arguments: {} })), '[{"uri":"file:///srv","name":"srv"}]');
      const progress: number[] = [];
      const worked = await client.callTool({ name: 'ask-then-work', arguments: { ms: 300, steps: 3 } }, { onprogress: (update) => progress.push(update.progress) });
      assert.equal(textOf(worked), 'worked after: {"answer":"yes"}');
      // The SDK reports its own round (1), then the server's three steps after the answer.
      assert.deepEqual(progress.slice(-3), [1, 2, 3], JSON.stringify(progress));
    } finally {
      await connected.close();
    }
    assert.equal(await metricSum(daemon.baseUrl, 'mcp_sidecar_input_required_held'), 0);
    assert.ok((await metricSum(daemon.baseUrl, 'mcp_sidecar_input_required_total', { outcome: 'resumed' })) >= 4);
  });
});

describe('the key that seals requestState (--input-required-key-file)', () => {
  const files = new TempFiles();
  const token = newToken('alice');
  const daemons: TestDaemon[] = [];
  after(async () => {
    await Promise.all(daemons.map((daemon) => daemon.close()));
    files.remove();
  });

  it('a key file of fewer than 32 bytes stops the start with one line naming the option', async () => {
    const short = files.write('short-key', 'too short\n');
    const child = spawn(process.execPath, [CLI, '--port', '0', '--input-required-key-file', short], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const [code] = (await once(child, 'close')) as [number | null];
    assert.equal(code, 2, stderr);
    assert.match(stderr, /^error: option '--input-required-key-file' value .* holds 9 bytes\. Expected at least 32 bytes/m);
  });

  it('instances sharing a key file accept each other\'s seal; another key is an integrity failure', async () => {
    const tokenFile = files.write('tokens', `alice:${token}\n`);
    const shared = files.write('shared-key', `${'k'.repeat(48)}\n`);
    const other = files.write('other-key', `${'o'.repeat(48)}\n`);
    const start = (key: string) => startDaemon({ fixture: { name: 'conformance-server' }, args: ['--auth-tokens-file', tokenFile, '--input-required-key-file', key] });
    const [a, b, c] = await Promise.all([start(shared), start(shared), start(other)]);
    daemons.push(a, b, c);
    const name = 'test_input_required_result_request_state';
    const send = (daemon: TestDaemon, extra: Record<string, unknown> = {}) =>
      postModern(daemon.url, { meta: modernMeta(ALL), method: 'tools/call', params: { name, arguments: {}, ...extra }, headers: { authorization: `Bearer ${token}` } });
    const first = inputRequired(await send(a));
    const retry = { inputResponses: { [Object.keys(first.inputRequests)[0] as string]: accept({ ok: true }) }, requestState: first.requestState };
    // b verifies a's seal (it names a call b does not hold: "used or ended"); c, with another key, cannot.
    assert.match(refused(await send(b, retry), 400, -32602, 'REQUEST_STATE_INVALID'), /already used, or its call has ended/);
    assert.match(refused(await send(c, retry), 400, -32602, 'REQUEST_STATE_INVALID'), /integrity/);
    assert.equal(completeText(await send(a, retry)), 'state-ok');
  });
});
