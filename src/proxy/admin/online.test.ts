import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { pino } from 'pino';
import { FilesystemStore } from '../../coordinator/index.ts';
import { topomPath } from '../../models/paths.ts';
import { encodeTopom } from '../../models/topom.ts';
import { dashboardXAuth } from './auth.ts';
import { dashboardFromStore, onlineProxy } from './online.ts';

/** A dashboard that answers the two calls a proxy makes, failing the first `failures` onlines. */
function fakeDashboard(
  product: string,
  failures: number,
): Promise<{ server: Server; addr: string; calls: string[] }> {
  const calls: string[] = [];
  let left = failures;
  const server = createServer((req, res) => {
    calls.push(`${req.method} ${req.url}`);
    res.setHeader('Content-Type', 'application/json; charset=utf-8');
    if (req.method === 'GET' && req.url === '/api/topom/model') {
      res.end(JSON.stringify({ token: 't', admin_addr: 'x', product_name: product }));
    } else if (req.method === 'PUT' && req.url?.startsWith('/api/topom/proxy/online/')) {
      if (left-- > 0) res.writeHead(800, 'status code 800').end('{"Cause": "not yet", "Stack": null}');
      else res.end('"OK"');
    } else res.writeHead(404).end();
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({ server, addr: `127.0.0.1:${(server.address() as AddressInfo).port}`, calls }),
    ),
  );
}

const logger = pino({ level: 'silent' });

describe('auto-online (spec §1.3)', () => {
  const servers: Server[] = [];
  after(() => {
    for (const server of servers) server.close();
  });

  it('registers through the dashboard, retrying failures', async () => {
    const d = await fakeDashboard('codis-spec', 1);
    servers.push(d.server);
    await onlineProxy(() => Promise.resolve(d.addr), {
      productName: 'codis-spec',
      adminAddr: '127.0.0.1:37091',
      logger,
      intervalMs: 10,
    });
    const put = `PUT /api/topom/proxy/online/${dashboardXAuth('codis-spec')}/127.0.0.1:37091`;
    assert.deepEqual(d.calls, ['GET /api/topom/model', put, 'GET /api/topom/model', put]);
    assert.equal(dashboardXAuth('codis-spec'), '3e0a81b39c98c22cf1d85aafedb12800');
  });

  it('a different product is fatal at once; attempts run out with online proxy failed', async () => {
    const d = await fakeDashboard('other', 0);
    servers.push(d.server);
    const options = { productName: 'codis-spec', adminAddr: 'a:1', logger, intervalMs: 5, attempts: 3 };
    await assert.rejects(
      onlineProxy(() => Promise.resolve(d.addr), options),
      {
        message: /^unexcepted product name, got model = /,
      },
    );
    assert.equal(d.calls.length, 1);
    await assert.rejects(
      onlineProxy(() => Promise.resolve('127.0.0.1:1'), options),
      { message: 'online proxy failed' },
    );
  });

  it('finds the dashboard in the coordinator', async () => {
    const root = mkdtempSync(join(tmpdir(), 'proxy-online-'));
    const store = await FilesystemStore.open({ root });
    try {
      await assert.rejects(dashboardFromStore(store, 'p'), /not found/);
      const record = {
        token: 't',
        startTime: 's',
        adminAddr: '127.0.0.1:18080',
        productName: 'p',
        pid: 1,
        pwd: '/',
        sys: '',
      };
      await store.update(topomPath('p'), Buffer.from(encodeTopom(record)));
      assert.equal(await dashboardFromStore(store, 'p'), '127.0.0.1:18080');
    } finally {
      await store.close();
      rmSync(root, { recursive: true, force: true });
    }
  });
});
