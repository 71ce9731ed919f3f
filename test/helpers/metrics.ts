/** Reading the daemon's /metrics in tests. */
import assert from 'node:assert/strict';
import { rawRequest } from './http.js';

/**
 * The sum of the /metrics samples of `name` whose labels include every one of `labels` (0 when
 * none). `headers` go with the scrape (a bearer token under --protect-metrics).
 */
export async function metricSum(baseUrl: string, name: string, labels: Record<string, string> = {}, headers: Record<string, string> = {}): Promise<number> {
  const response = await rawRequest(`${baseUrl}/metrics`, { method: 'GET', headers });
  assert.equal(response.status, 200, response.text);
  let sum = 0;
  for (const line of response.text.split('\n')) {
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (match?.[1] !== name) continue;
    const found = new Map([...(match[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map(([, key, value]) => [key, value]));
    if (Object.entries(labels).every(([key, value]) => found.get(key) === value)) sum += Number(match[3]);
  }
  return sum;
}
