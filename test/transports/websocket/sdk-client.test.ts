/**
 * End to end with the SDK's own WebSocketClientTransport (subprotocol mcp, one message per text
 * frame): the suite every connection-bound transport passes (connection-suite.ts). Once the
 * connection closed, its session is logged closed and none is left.
 */
import assert from 'node:assert/strict';
import { rawRequest } from '../../helpers/http.js';
import { connectWsClient } from '../../helpers/legacy-clients.js';
import { waitFor } from '../../helpers/poll.js';
import { describeConnectionTransport } from '../connection-suite.js';

describeConnectionTransport({
  name: 'WebSocket',
  connect: connectWsClient,
  afterClose: async (daemon, sessionId) => {
    const ended = await daemon.waitForLog((line) => line.msg === 'session closed' && line.sessionId === sessionId, 5000, 'the session to close');
    assert.equal(ended.reason, 'session-end');
    const sessions = async (): Promise<number> => ((await rawRequest(`${daemon.baseUrl}/readyz`, { method: 'GET' })).json as { sessions: number }).sessions;
    await waitFor(async () => (await sessions()) === 0, { timeoutMs: 5000, what: 'no session left' });
  },
});
