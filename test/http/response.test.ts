/**
 * SidecarResponse puts its request's id on the head however the head is written: given headers
 * as an object or as a flat array, with a status message, implicitly by end(), or after setHeader();
 * writeOwnHead() puts it into the caller's own object, once.
 */
import assert from 'node:assert/strict';
import { createServer, get, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { SidecarResponse, markRequestId, writeOwnHead } from '../../src/http/response.js';

const WRITES: Record<string, (res: SidecarResponse) => void> = {
  '/object': (res) => res.writeHead(200, { 'content-type': 'text/plain' }).end('a'),
  '/reason': (res) => res.writeHead(201, 'Made', { 'content-type': 'text/plain' }).end('b'),
  '/array': (res) => res.writeHead(202, ['content-type', 'text/plain', 'x-other', '1']).end('c'),
  '/implicit': (res) => res.end('d'),
  '/set-first': (res) => {
    res.setHeader('cache-control', 'no-store');
    res.writeHead(200, { 'content-type': 'text/plain' }).end('e');
  },
  '/own': (res) => {
    writeOwnHead(res, 200, { 'content-type': 'text/plain' });
    res.end('g');
  },
  '/own-set-first': (res) => {
    res.setHeader('cache-control', 'no-store');
    writeOwnHead(res, 200, { 'content-type': 'text/plain' });
    res.end('h');
  },
};

function fetchHead(port: number, path: string): Promise<{ status: number; message: string; headers: IncomingHttpHeaders; raw: string[] }> {
  return new Promise((resolve, reject) => {
    get({ host: '127.0.0.1', port, path, agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, message: res.statusMessage ?? '', headers: res.headers, raw: res.rawHeaders }));
    }).on('error', reject);
  });
}

describe('SidecarResponse', () => {
  let server: Server;
  let port: number;

  before(async () => {
    server = createServer({ ServerResponse: SidecarResponse }, (req, res) => {
      markRequestId(res, `id-${req.url?.slice(1) ?? ''}`);
      WRITES[req.url ?? '']?.(res);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });

  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  for (const path of Object.keys(WRITES)) {
    it(`carries x-request-id, and the rest of the head, for ${path.slice(1)}`, async () => {
      const head = await fetchHead(port, path);
      assert.equal(head.headers['x-request-id'], `id-${path.slice(1)}`);
      assert.equal(head.raw.filter((name, at) => at % 2 === 0 && name.toLowerCase() === 'x-request-id').length, 1, 'sent once');
      if (path !== '/implicit') assert.equal(head.headers['content-type'], 'text/plain');
      if (path === '/reason') assert.deepEqual([head.status, head.message], [201, 'Made']);
      if (path === '/array') assert.deepEqual([head.status, head.headers['x-other']], [202, '1']);
      if (path.endsWith('set-first')) assert.equal(head.headers['cache-control'], 'no-store');
    });
  }

  it('sets the header at once on a plain ServerResponse', async () => {
    const plain = createServer((_req, res) => {
      markRequestId(res, 'id-plain');
      res.writeHead(200, { 'content-type': 'text/plain' }).end('f');
    });
    await new Promise<void>((resolve) => plain.listen(0, '127.0.0.1', resolve));
    try {
      const head = await fetchHead((plain.address() as AddressInfo).port, '/');
      assert.equal(head.headers['x-request-id'], 'id-plain');
    } finally {
      await new Promise<void>((resolve) => plain.close(() => resolve()));
    }
  });
});
