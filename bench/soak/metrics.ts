/** The few /metrics values the soak watches, read from the exposition text. */

export interface MetricValues {
  sessionsActive: number;
  children: number;
  spares: number;
  requestsInFlight: number;
  slowClientsDisconnected: number;
  refused: number;
  childExits: number;
  sessionsStarted: number;
}

/** The sum of the samples of `name` whose labels include every one of `labels`. */
export function sumOf(text: string, name: string, labels: Record<string, string> = {}): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (match?.[1] !== name) continue;
    const found = new Map([...(match[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map(([, key, value]) => [key, value]));
    if (Object.entries(labels).every(([key, value]) => found.get(key) === value)) sum += Number(match[3]);
  }
  return sum;
}

export async function readMetrics(baseUrl: string): Promise<MetricValues> {
  const response = await fetch(`${baseUrl}/metrics`);
  const text = await response.text();
  if (response.status !== 200) throw new Error(`/metrics answered ${response.status}: ${text.slice(0, 200)}`);
  return {
    sessionsActive: sumOf(text, 'mcp_sidecar_sessions_active'),
    children: sumOf(text, 'mcp_sidecar_children'),
    spares: sumOf(text, 'mcp_sidecar_children', { state: 'spare' }),
    requestsInFlight: sumOf(text, 'mcp_sidecar_requests_in_flight'),
    slowClientsDisconnected: sumOf(text, 'mcp_sidecar_slow_clients_disconnected_total'),
    refused: sumOf(text, 'mcp_sidecar_refused_total'),
    childExits: sumOf(text, 'mcp_sidecar_child_exits_total'),
    sessionsStarted: sumOf(text, 'mcp_sidecar_sessions_started_total'),
  };
}
