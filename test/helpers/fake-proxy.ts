// A small stand-in for codis-proxy's admin HTTP API (spec/proxy.md §8.3), for testing clients
// (codis-admin --proxy) without the real program. Every call is recorded.

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type FakeCall, fakeXAuth } from './fake-dashboard.ts';

export class FakeProxy {
  readonly product: string;
  readonly auth: string;
  readonly token = '2e7212a146c4e36a17404fc19d2ed3cf';
  readonly calls: FakeCall[] = [];
  online = false;
  #server: Server | undefined;
  #addr = '';

  constructor(options: { product?: string; auth?: string } = {}) {
    this.product = options.product ?? 'codis-demo';
    this.auth = options.auth ?? '';
  }

  get addr(): string {
    return this.#addr;
  }

  get xauth(): string {
    return fakeXAuth(this.product, this.auth, this.token);
  }

  async start(): Promise<this> {
    const server = createServer((req, res) => {
      this.#handle(req, res).catch((error: unknown) => {
        res.writeHead(500);
        res.end(String(error));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    this.#server = server;
    this.#addr = `127.0.0.1:${(server.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    const server = this.#server;
    if (server === undefined) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  mutations(): FakeCall[] {
    return this.calls.filter((c) => c.method !== 'GET');
  }

  model(): Record<string, unknown> {
    return {
      token: this.token,
      start_time: '2026-11-25 01:32:55.075393046 +0000 UTC m=+0.004377963',
      admin_addr: this.#addr,
      proto_type: 'tcp4',
      proxy_addr: '127.0.0.1:19000',
      product_name: this.product,
      pid: process.pid,
      pwd: '/tmp',
      sys: 'Linux fake',
      hostname: 'fake',
      datacenter: '',
    };
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    let body: unknown;
    try {
      body = text === '' ? undefined : JSON.parse(text);
    } catch {
      body = text;
    }
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const header = req.headers['x-codis-admin-secret'];
    this.calls.push({
      method: req.method ?? 'GET',
      path,
      body,
      secret: typeof header === 'string' ? header : undefined,
    });
    const reply = (status: number, value: unknown): void => {
      res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8' });
      res.end(JSON.stringify(value, null, 4));
    };
    const parts = path.split('/').slice(1);
    const stats = {
      online: this.online,
      closed: false,
      sentinels: {},
      ops: { total: 0, fails: 0, redis: { errors: 0 }, qps: 0 },
    };
    if (req.method === 'GET' && path === '/proxy') {
      reply(200, {
        version: 'fake',
        compile: 'fake',
        config: { product_name: this.product },
        model: this.model(),
        stats,
        slots: [{ id: 0 }],
      });
      return;
    }
    if (req.method === 'GET' && path === '/api/proxy/model') {
      reply(200, this.model());
      return;
    }
    if (parts[0] !== 'api' || parts[1] !== 'proxy') {
      res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' });
      res.end('404 page not found\n');
      return;
    }
    const op = parts[2] === 'stats' && parts[3] === 'reset' ? 'stats/reset' : (parts[2] ?? '');
    const x = op === 'stats/reset' ? parts[4] : parts[3];
    if (x !== this.xauth) {
      reply(800, { Cause: 'invalid xauth, please check product name & auth', Stack: null });
      return;
    }
    if (op === 'loglevel' && !/^(error|warn|warning|info|debug|none)$/i.test(parts[4] ?? '')) {
      reply(800, { Cause: 'invalid loglevel', Stack: null });
      return;
    }
    if (op === 'start') this.online = true;
    reply(200, 'OK');
  }
}
