// A small in-memory stand-in for codis-dashboard's HTTP API (spec/control-plane.md §6), for testing
// clients (codis-admin) without the real program: the routes, the xauth check, status-800 errors,
// the optional admin secret, and enough state to answer stats. Every call is recorded.

import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeCall {
  readonly method: string;
  readonly path: string;
  readonly body: unknown;
  readonly secret: string | undefined;
}

interface FakeServer {
  server: string;
  datacenter: string;
  action: Record<string, unknown>;
  replica_group: boolean;
}

interface FakeGroup {
  id: number;
  servers: FakeServer[];
  promoting: Record<string, unknown>;
  out_of_sync: boolean;
}

export interface FakeProxy {
  id: number;
  token: string;
  admin_addr: string;
  proxy_addr: string;
  product_name: string;
}

export function fakeXAuth(...segments: string[]): string {
  const text = `Codis-XAuth${segments.map((s) => `-[${s}]`).join('')}`;
  return createHash('sha256').update(text).digest('hex').slice(0, 32);
}

class RouteError extends Error {
  readonly status: number;
  constructor(message: string, status = 800) {
    super(message);
    this.status = status;
  }
}

export class FakeDashboard {
  readonly product: string;
  readonly adminSecret: string;
  readonly calls: FakeCall[] = [];
  readonly groups = new Map<number, FakeGroup>();
  readonly proxies: FakeProxy[] = [];
  readonly slots: { id: number; group_id: number; action: Record<string, unknown> }[];
  /** What the next rebalance returns. */
  rebalancePlan: Record<string, number> = {};
  /** Per-address INFO maps (or errors) for `group.stats`. */
  readonly serverStats: Record<string, unknown> = {};
  /** Per-token proxy stats. */
  readonly proxyStats: Record<string, unknown> = {};
  sentinels: string[] = [];
  #server: Server | undefined;
  #addr = '';

  constructor(options: { product?: string; adminSecret?: string } = {}) {
    this.product = options.product ?? 'codis-demo';
    this.adminSecret = options.adminSecret ?? '';
    this.slots = Array.from({ length: 1024 }, (_, id) => ({ id, group_id: 0, action: {} }));
  }

  get addr(): string {
    return this.#addr;
  }

  get xauth(): string {
    return fakeXAuth(this.product);
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

  /** Calls other than the reads every codis-admin invocation makes. */
  mutations(): FakeCall[] {
    return this.calls.filter((c) => c.method !== 'GET');
  }

  stats(): Record<string, unknown> {
    return {
      closed: false,
      slots: this.slots,
      group: { models: [...this.groups.values()].sort((a, b) => a.id - b.id), stats: this.serverStats },
      proxy: { models: [...this.proxies].sort((a, b) => a.id - b.id), stats: this.proxyStats },
      slot_action: { interval: 0, disabled: false, progress: { status: '' }, executor: 0 },
      sentinels: {
        model: { servers: this.sentinels.length > 0 ? this.sentinels : undefined, out_of_sync: false },
        stats: {},
        masters: {},
      },
    };
  }

  model(): Record<string, unknown> {
    return {
      token: 'fa4e0000000000000000000000000000',
      start_time: '2026-11-25 01:32:32.844359033 +0000 UTC m=+0.004552902',
      admin_addr: this.#addr,
      product_name: this.product,
      pid: process.pid,
      pwd: '/tmp',
      sys: 'Linux fake',
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
    const secretHeader = req.headers['x-codis-admin-secret'];
    const secret = typeof secretHeader === 'string' ? secretHeader : undefined;
    this.calls.push({ method: req.method ?? 'GET', path, body, secret });
    const reply = (status: number, value: unknown): void => {
      res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8' });
      res.end(JSON.stringify(value, null, 4));
    };
    try {
      if (req.method !== 'GET' && this.adminSecret !== '' && secret !== this.adminSecret) {
        throw new RouteError('missing or invalid admin secret', 401);
      }
      const result = this.#route(req.method ?? 'GET', path, body);
      if (result === NOT_FOUND) {
        res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' });
        res.end('404 page not found\n');
        return;
      }
      reply(200, result);
    } catch (error) {
      const status = error instanceof RouteError ? error.status : 800;
      reply(status, { Cause: (error as Error).message, Stack: null });
    }
  }

  #checkXAuth(xauth: string | undefined): void {
    if (xauth === undefined || xauth === '')
      throw new RouteError('missing xauth, please check product name & auth');
    if (xauth !== this.xauth) throw new RouteError('invalid xauth, please check product name & auth');
  }

  #group(gid: number): FakeGroup {
    const g = this.groups.get(gid);
    if (g === undefined) throw new RouteError(`group-[${gid}] doesn't exist`);
    return g;
  }

  #route(method: string, path: string, body: unknown): unknown {
    const parts = path.split('/').slice(1).map(decodeURIComponent);
    if (method === 'GET') {
      if (path === '/topom')
        return {
          version: 'fake',
          compile: 'fake',
          config: { product_name: this.product },
          model: this.model(),
          stats: this.stats(),
        };
      if (path === '/api/topom/model') return this.model();
      if (parts[0] === 'api' && parts[1] === 'topom' && parts.length === 4) {
        this.#checkXAuth(parts[3]);
        if (parts[2] === 'xping') return 'OK';
        if (parts[2] === 'stats') return this.stats();
        if (parts[2] === 'slots') return this.slots.map((s) => ({ id: s.id, forward_method: 1 }));
      }
      return NOT_FOUND;
    }
    if (method !== 'PUT' || parts[0] !== 'api' || parts[1] !== 'topom') return NOT_FOUND;
    const rest = parts.slice(2);
    const x = rest[xauthIndex(rest)];
    this.#checkXAuth(x);
    const args = rest.slice(xauthIndex(rest) + 1);
    const n = (i: number): number => {
      const v = Number(args[i]);
      if (!Number.isInteger(v)) throw new RouteError('invalid gid');
      return v;
    };
    const op = rest.slice(0, xauthIndex(rest)).join('/');
    switch (op) {
      case 'reload':
      case 'shutdown':
      case 'loglevel':
      case 'group/resync':
      case 'group/resync-all':
      case 'group/promote':
      case 'group/replica-groups':
      case 'group/action/create':
      case 'group/action/remove':
      case 'slots/action/create':
      case 'slots/action/create-some':
      case 'slots/action/create-range':
      case 'slots/action/remove':
      case 'slots/action/interval':
      case 'slots/action/disabled':
      case 'sentinels/resync-all':
      case 'proxy/reinit':
        if (op === 'loglevel' && !/^(error|warn|warning|info|debug|none)$/i.test(args[0] ?? '')) {
          throw new RouteError('invalid loglevel');
        }
        return 'OK';
      case 'group/create': {
        const gid = n(0);
        if (gid <= 0 || gid > 9999) throw new RouteError(`invalid group id = ${gid}, out of range`);
        if (this.groups.has(gid)) throw new RouteError(`group-[${gid}] already exists`);
        this.groups.set(gid, { id: gid, servers: [], promoting: {}, out_of_sync: false });
        return 'OK';
      }
      case 'group/remove': {
        const g = this.#group(n(0));
        if (g.servers.length > 0) throw new RouteError(`group-[${g.id}] isn't empty`);
        this.groups.delete(g.id);
        return 'OK';
      }
      case 'group/add': {
        const g = this.#group(n(0));
        const addr = args[1] ?? '';
        for (const other of this.groups.values()) {
          if (other.servers.some((s) => s.server === addr))
            throw new RouteError(`server-[${addr}] already exists`);
        }
        g.servers.push({ server: addr, datacenter: args[2] ?? '', action: {}, replica_group: false });
        return 'OK';
      }
      case 'group/del': {
        const g = this.#group(n(0));
        const i = g.servers.findIndex((s) => s.server === args[1]);
        if (i < 0) throw new RouteError(`group-[${g.id}] doesn't have server-[${args[1]}]`);
        g.servers.splice(i, 1);
        return 'OK';
      }
      case 'proxy/create':
      case 'proxy/online': {
        const addr = args[0] ?? '';
        const existing = this.proxies.find((p) => p.admin_addr === addr);
        if (existing !== undefined) {
          if (op === 'proxy/create') throw new RouteError(`proxy-[${existing.token}] already exists`);
          return 'OK';
        }
        const id = Math.max(0, ...this.proxies.map((p) => p.id)) + 1;
        const token = createHash('md5').update(addr).digest('hex');
        this.proxies.push({
          id,
          token,
          admin_addr: addr,
          proxy_addr: `${addr}-proxy`,
          product_name: this.product,
        });
        return 'OK';
      }
      case 'proxy/remove': {
        const i = this.proxies.findIndex((p) => p.token === args[0]);
        if (i < 0) throw new RouteError(`proxy-[${args[0]}] doesn't exist`);
        this.proxies.splice(i, 1);
        return 'OK';
      }
      case 'slots/assign': {
        const list = Array.isArray(body) ? (body as { id: number; group_id: number }[]) : [];
        const offline = args[0] === 'offline';
        for (const s of list) {
          if (offline && s.group_id !== 0) throw new RouteError(`group of slot-[${s.id}] should be 0`);
          if (!offline) {
            const g = this.#group(s.group_id);
            if (g.servers.length === 0) throw new RouteError(`group-[${g.id}] is empty`);
          }
        }
        for (const s of list) {
          const slot = this.slots[s.id];
          if (slot === undefined) throw new RouteError(`slot-[${s.id}] doesn't exist`);
          slot.group_id = s.group_id;
          slot.action = {};
        }
        return 'OK';
      }
      case 'slots/rebalance':
        return this.rebalancePlan;
      case 'sentinels/add':
        if (this.sentinels.includes(args[0] ?? ''))
          throw new RouteError(`sentinel-[${args[0]}] already exists`);
        this.sentinels.push(args[0] ?? '');
        return 'OK';
      case 'sentinels/del':
        this.sentinels = this.sentinels.filter((s) => s !== args[0]);
        return 'OK';
      default:
        return NOT_FOUND;
    }
  }
}

const NOT_FOUND = Symbol('not found');

/** Where the xauth sits in a route after /api/topom: after the 1-3 fixed words of the operation. */
function xauthIndex(rest: readonly string[]): number {
  const op2 = `${rest[0]}/${rest[1]}`;
  if (op2 === 'group/action' || op2 === 'slots/action') return 3;
  if (
    ['reload', 'shutdown', 'loglevel', 'xping', 'stats', 'slots'].includes(rest[0] ?? '') &&
    rest[0] !== 'slots'
  ) {
    return 1;
  }
  return 2;
}
