/** GET /metrics (Prometheus text) and GET /status (JSON, when enabled). */
import type { Registry } from 'prom-client';
import type { Route } from './server.js';
import { sendJson } from './respond.js';

export function metricsRoute(registry: Registry): Route {
  return {
    path: '/metrics',
    methods: ['GET'],
    handle: async (_req, res) => {
      const body = await registry.metrics();
      res.writeHead(200, { 'content-type': registry.contentType, 'content-length': Buffer.byteLength(body) });
      res.end(body);
    },
  };
}

export function statusRoute(status: () => object): Route {
  return {
    path: '/status',
    methods: ['GET'],
    handle: (_req, res) => sendJson(res, 200, JSON.stringify(status())),
  };
}
