/** What the --isolation tests share: the shared fixture's processes, /status, SDK clients that record what reaches them. */
import type { ClientOptions } from '@modelcontextprotocol/sdk/client/index.js';
import type { StreamableHTTPClientTransportOptions } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import type { TestDaemon } from '../../helpers/daemon.js';
import { rawRequest } from '../../helpers/http.js';
import { tapMessages } from '../../helpers/legacy-clients.js';
import { connectClient, type ConnectedClient, textOf } from '../../helpers/mcp-client.js';
import { processesTagged } from '../../helpers/process-table.js';

/** The shared fixture's processes this daemon started (the daemon's own command line names the fixture too). */
export function fixturePids(daemon: TestDaemon): number[] {
  return processesTagged(daemon.tag).filter((info) => info.pid !== daemon.pid && info.cmdline.includes('shared-server.js')).map((info) => info.pid);
}

export interface SharedStatus {
  sessions: { id: string; pid: number; restarts: number }[];
  children: Record<string, number>;
  isolation?: { mode: string; sharedChildren: { label: string; pid: number; sessions: number; inFlight: number }[] };
}

export async function statusOf(daemon: TestDaemon, headers: Record<string, string> = {}): Promise<SharedStatus> {
  const response = await rawRequest(`${daemon.baseUrl}/status`, { headers });
  if (response.status !== 200) throw new Error(`/status: ${response.status} ${response.text}`);
  return response.json as SharedStatus;
}

export interface Recorded extends ConnectedClient {
  /** Every message the daemon sent this client after initialize, in arrival order. */
  received: JSONRPCMessage[];
}

/** The SDK client over Streamable HTTP, recording what reaches it. */
export async function connectRecorded(url: string, options: ClientOptions = {}, transportOptions: StreamableHTTPClientTransportOptions = {}): Promise<Recorded> {
  const connected = await connectClient(url, options, transportOptions);
  return { ...connected, received: tapMessages(connected.transport) };
}

/** The notifications of `method` in `received`. */
export function notificationsIn(received: JSONRPCMessage[], method: string): JSONRPCMessage[] {
  return received.filter((message) => 'method' in message && !('id' in message) && message.method === method);
}

/** The pid of the child behind `connected` (the fixture's `pid` tool). */
export async function pidOf(connected: ConnectedClient): Promise<number> {
  return (JSON.parse(textOf(await connected.client.callTool({ name: 'pid', arguments: {} }))) as { pid: number }).pid;
}

/** Closes every client, ignoring those already gone. */
export async function closeAll(clients: ConnectedClient[]): Promise<void> {
  await Promise.all(clients.splice(0).map((client) => client.close().catch(() => undefined)));
}
