/**
 * GET /metrics (Prometheus text) and GET /status (JSON, when enabled). Both are served behind an
 * admission (daemon.ts decides which), which hands them the reader's principal: /status shows
 * what that reader may see.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Registry } from 'prom-client';
import type { Principal } from '../auth/principal.js';
import { sendJson } from './respond.js';

/** A route whose handler is given the principal its admission decided. */
export interface InternalRoute {
  path: string;
  methods: readonly string[];
  handle: (req: IncomingMessage, res: ServerResponse, reader: Principal) => void | Promise<void>;
}

export function metricsRoute(registry: Registry): InternalRoute {
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

/** `status(reader)` is the view `reader` may see. */
export function statusRoute(status: (reader: Principal) => object): InternalRoute {
  return {
    path: '/status',
    methods: ['GET'],
    handle: (_req, res, reader) => sendJson(res, 200, JSON.stringify(status(reader))),
  };
}
