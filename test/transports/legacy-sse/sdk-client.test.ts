/**
 * End to end with the SDK's own SSEClientTransport (the 2024-11-05 HTTP+SSE transport): the suite
 * every connection-bound transport passes (connection-suite.ts), over the endpoint event and
 * POST /messages. Once the stream closed, a late POST for its session gets 404.
 */
import assert from 'node:assert/strict';
import { rawRequest } from '../../helpers/http.js';
import { connectSseClient } from '../../helpers/legacy-clients.js';
import { describeConnectionTransport } from '../connection-suite.js';

describeConnectionTransport({
  name: 'legacy HTTP+SSE',
  connect: connectSseClient,
  afterClose: async (daemon, sessionId) => {
    const late = await rawRequest(`${daemon.baseUrl}/messages?sessionId=${sessionId}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
    });
    assert.equal(late.status, 404, late.text);
    assert.equal((late.json as { error: { data: { reason: string } } }).error.data.reason, 'SESSION_NOT_FOUND');
  },
});
