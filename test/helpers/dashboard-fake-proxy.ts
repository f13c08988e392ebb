// A stand-in for a codis-proxy's admin API as the dashboard uses it (spec/control-plane.md §7.1):
// model, xping, stats, fillslots, start, sentinels, shutdown, with the proxy xauth checked. It keeps
// the slot table it was given, records every fillslots, and can go unreachable (stop) at will.

import { createHash, randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeSlot {
  id: number;
  locked?: boolean;
  backend_addr?: string;
  backend_addr_group_id?: number;
  migrate_from?: string;
  migrate_from_group_id?: number;
  forward_method?: number;
  replica_groups?: string[][];
}

function xauth(...segments: string[]): string {
  const text = `Codis-XAuth${segments.map((s) => `-[${s}]`).join('')}`;
  return createHash('sha256').update(text).digest('hex').slice(0, 32);
}

export class DashboardFakeProxy {
  readonly token = randomBytes(16).toString('hex');
  readonly product: string;
  readonly auth: string;
  readonly datacenter: string;
  online = false;
  shutdownCalled = false;
  /** Every fillslots body, in order. */
  readonly fills: FakeSlot[][] = [];
  readonly slots = new Map<number, FakeSlot>();
  sentinels: unknown;
  private server: Server | undefined;
  private port = 0;

  constructor(product: string, auth = '', datacenter = '') {
    this.product = product;
    this.auth = auth;
    this.datacenter = datacenter;
  }

  get addr(): string {
    return `127.0.0.1:${this.port}`;
  }

  model(): Record<string, unknown> {
    return {
      token: this.token,
      start_time: new Date().toISOString(),
      admin_addr: this.addr,
      proto_type: 'tcp4',
      proxy_addr: `127.0.0.1:${this.port + 1}`,
      product_name: this.product,
      pid: process.pid,
      pwd: process.cwd(),
      sys: 'Linux test',
      hostname: 'test',
      datacenter: this.datacenter,
    };
  }

  async start(port = 0): Promise<this> {
    const x = xauth(this.product, this.auth, this.token);
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const parts = (req.url ?? '').split('/').filter((s) => s !== '');
        const reply = (status: number, value: unknown): void => {
          res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8' });
          res.end(JSON.stringify(value));
        };
        if (req.method === 'GET' && parts.join('/') === 'api/proxy/model') return reply(200, this.model());
        if (parts[0] !== 'api' || parts[1] !== 'proxy') return reply(404, 'not found');
        const route = parts[2];
        if (parts[3] !== x) return reply(800, { Cause: 'invalid xauth', Stack: null });
        if (route === 'xping') return reply(200, 'OK');
        if (route === 'stats') return reply(200, { online: this.online, closed: false, ops: { total: 0 } });
        if (route === 'fillslots') {
          const slots = JSON.parse(Buffer.concat(chunks).toString('utf8')) as FakeSlot[];
          this.fills.push(slots);
          for (const s of slots) this.slots.set(s.id, s);
          return reply(200, 'OK');
        }
        if (route === 'start') {
          this.online = true;
          return reply(200, 'OK');
        }
        if (route === 'sentinels') {
          this.sentinels = JSON.parse(Buffer.concat(chunks).toString('utf8'));
          return reply(200, 'OK');
        }
        if (route === 'shutdown') {
          this.shutdownCalled = true;
          reply(200, 'OK');
          setImmediate(() => void this.stop());
          return;
        }
        return reply(404, 'not found');
      });
    });
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    this.server = server;
    this.port = (server.address() as AddressInfo).port;
    return this;
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (server === undefined) return;
    this.server = undefined;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
