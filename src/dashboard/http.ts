// The dashboard's HTTP API (spec/control-plane.md §6): Codis's routes, xauth and error convention
// (status 800, `{"Cause", "Stack"}`), indented Go-style JSON, gzip on request; plus /metrics,
// /livez and /readyz. With `admin_secret` set, every PUT route also requires the header
// `X-Codis-Admin-Secret` (401 otherwise); read-only routes answer without it.

import { timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { gzipSync } from 'node:zlib';
import type { Logger } from 'pino';
import { Gauge, Registry } from 'prom-client';
import { pinoLevel } from '../common/log-levels.ts';
import { encodeGoJson, type JsonObject, type JsonValue, topomToJson } from '../models/index.ts';
import { dashboardConfigJson } from './config.ts';
import { DashboardError, errorText, UnauthorizedError } from './errors.ts';
import { parseInfo, serverInfo, sortKeys, withRedis } from './redis-client.ts';
import type { Topom } from './topom.ts';

export const ADMIN_SECRET_HEADER = 'x-codis-admin-secret';
export const DASHBOARD_VERSION = '3.2.2-ts (codis 3.2 compatible)';

interface Request {
  readonly params: Record<string, string>;
  readonly body: string;
  readonly req: IncomingMessage;
}

type Handler = (r: Request) => Promise<JsonValue | undefined> | JsonValue | undefined;

interface Route {
  readonly method: 'GET' | 'PUT';
  readonly segments: string[];
  /** Checks the `:xauth` segment. */
  readonly xauth: boolean;
  readonly handler: Handler;
}

export interface HttpOptions {
  topom: Topom;
  logger: Logger;
  /** Called after `PUT /api/topom/shutdown` has answered. */
  onShutdown: () => void;
}

function intParam(r: Request, name: string): number {
  const text = r.params[name];
  if (text === undefined || text === '') throw new DashboardError(`missing ${name}`);
  if (!/^[+-]?\d+$/.test(text)) throw new DashboardError(`invalid ${name}`);
  const n = Number(text);
  if (!Number.isSafeInteger(n)) throw new DashboardError(`invalid ${name}`);
  return n;
}

function strParam(r: Request, name: string): string {
  const text = r.params[name];
  if (text === undefined || text === '') throw new DashboardError(`missing ${name}`);
  return text;
}

/** The body of `slots/assign`: unparsable or empty means an empty list (Codis, §6.1). */
function parseAssignBody(body: string): { id: number; groupId: number; state: string }[] {
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch {
    return [];
  }
  if (!Array.isArray(value)) return [];
  return value.map((item: unknown) => {
    const o = (typeof item === 'object' && item !== null ? item : {}) as Record<string, unknown>;
    const action = (typeof o.action === 'object' && o.action !== null ? o.action : {}) as Record<
      string,
      unknown
    >;
    return {
      id: typeof o.id === 'number' ? o.id : 0,
      groupId: typeof o.group_id === 'number' ? o.group_id : 0,
      state: typeof action.state === 'string' ? action.state : '',
    };
  });
}

function secretMatches(given: string | string[] | undefined, secret: string): boolean {
  if (typeof given !== 'string') return false;
  const a = Buffer.from(given);
  const b = Buffer.from(secret);
  return a.length === b.length && timingSafeEqual(a, b);
}

export class DashboardHttp {
  readonly server: Server;
  private readonly topom: Topom;
  private readonly log: Logger;
  private readonly routes: Route[] = [];
  private readonly registry = new Registry();

  constructor(options: HttpOptions) {
    this.topom = options.topom;
    this.log = options.logger;
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((error: unknown) => {
        this.log.error({ err: errorText(error) }, 'http handler failed');
        if (!res.headersSent) res.writeHead(500).end();
      });
    });
    this.defineMetrics();
    this.defineRoutes(options.onShutdown);
  }

  listen(host: string, port: number): Promise<string> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        this.server.off('error', reject);
        const address = this.server.address();
        if (address === null || typeof address === 'string') {
          resolve(String(address));
          return;
        }
        const h = address.family === 'IPv6' ? `[${address.address}]` : address.address;
        resolve(`${h}:${address.port}`);
      });
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeIdleConnections();
    });
  }

  private route(method: 'GET' | 'PUT', path: string, handler: Handler): void {
    const segments = path.split('/').filter((s) => s !== '');
    this.routes.push({ method, segments, xauth: segments.includes(':xauth'), handler });
  }

  private defineRoutes(onShutdown: () => void): void {
    const t = this.topom;
    const ok = 'OK';
    const bool = (r: Request, name: string): boolean => intParam(r, name) !== 0;

    this.route('GET', '/topom', () => this.overview());
    this.route('GET', '/topom/model', () => topomToJson(t.model));
    this.route('GET', '/topom/stats', () => t.stats());
    this.route('GET', '/topom/slots', () => t.slotViews() as unknown as JsonValue);
    this.route('GET', '/api/topom/model', () => topomToJson(t.model));
    this.route('GET', '/api/topom/group/info/:addr', (r) =>
      withRedis(strParam(r, 'addr'), t.config.product_auth, 1000, (c) => serverInfo(c)),
    );
    this.route('GET', '/api/topom/sentinels/info/:addr', (r) =>
      withRedis(strParam(r, 'addr'), '', 1000, async (c) => sortKeys(parseInfo(await c.text('INFO')))),
    );
    this.route('GET', '/api/topom/sentinels/info/:addr/monitored', (r) =>
      t.sentinelMonitored(strParam(r, 'addr')),
    );

    this.route('GET', '/api/topom/xping/:xauth', () => ok);
    this.route('GET', '/api/topom/stats/:xauth', () => t.stats());
    this.route('GET', '/api/topom/slots/:xauth', () => t.slotViews() as unknown as JsonValue);
    this.route('PUT', '/api/topom/reload/:xauth', async () => {
      await t.reload();
      return ok;
    });
    this.route('PUT', '/api/topom/shutdown/:xauth', () => {
      setImmediate(onShutdown);
      return ok;
    });
    this.route('PUT', '/api/topom/loglevel/:xauth/:value', (r) => {
      const level = pinoLevel(strParam(r, 'value'));
      if (level === undefined) throw new DashboardError('invalid loglevel');
      this.log.level = level;
      t.log.level = level;
      return ok;
    });

    this.route('PUT', '/api/topom/proxy/create/:xauth/:addr', async (r) => {
      await t.createProxy(strParam(r, 'addr'));
      return ok;
    });
    this.route('PUT', '/api/topom/proxy/online/:xauth/:addr', async (r) => {
      await t.onlineProxy(strParam(r, 'addr'));
      return ok;
    });
    this.route('PUT', '/api/topom/proxy/reinit/:xauth/:token', async (r) => {
      await t.reinitProxyByToken(strParam(r, 'token'));
      return ok;
    });
    this.route('PUT', '/api/topom/proxy/remove/:xauth/:token/:force', async (r) => {
      await t.removeProxy(strParam(r, 'token'), bool(r, 'force'));
      return ok;
    });

    this.route('PUT', '/api/topom/group/create/:xauth/:gid', async (r) => {
      await t.createGroup(intParam(r, 'gid'));
      return ok;
    });
    this.route('PUT', '/api/topom/group/remove/:xauth/:gid', async (r) => {
      await t.removeGroup(intParam(r, 'gid'));
      return ok;
    });
    this.route('PUT', '/api/topom/group/resync/:xauth/:gid', async (r) => {
      await t.resyncGroup(intParam(r, 'gid'));
      return ok;
    });
    this.route('PUT', '/api/topom/group/resync-all/:xauth', async () => {
      await t.resyncGroupAll();
      return ok;
    });
    const addServer = async (r: Request): Promise<JsonValue> => {
      const gid = intParam(r, 'gid');
      const addr = strParam(r, 'addr');
      await t.checkServer(addr);
      await t.addServer(gid, addr, r.params.datacenter ?? '');
      return ok;
    };
    this.route('PUT', '/api/topom/group/add/:xauth/:gid/:addr', addServer);
    this.route('PUT', '/api/topom/group/add/:xauth/:gid/:addr/:datacenter', addServer);
    this.route('PUT', '/api/topom/group/del/:xauth/:gid/:addr', async (r) => {
      await t.delServer(intParam(r, 'gid'), strParam(r, 'addr'));
      return ok;
    });
    this.route('PUT', '/api/topom/group/promote/:xauth/:gid/:addr', async (r) => {
      await t.promoteServer(intParam(r, 'gid'), strParam(r, 'addr'));
      return ok;
    });
    this.route('PUT', '/api/topom/group/replica-groups/:xauth/:gid/:addr/:value', async (r) => {
      await t.replicaGroups(intParam(r, 'gid'), strParam(r, 'addr'), bool(r, 'value'));
      return ok;
    });
    this.route('PUT', '/api/topom/group/replica-groups-all/:xauth/:value', async (r) => {
      await t.replicaGroupsAll(bool(r, 'value'));
      return ok;
    });
    this.route('PUT', '/api/topom/group/action/create/:xauth/:addr', async (r) => {
      await t.createSyncAction(strParam(r, 'addr'));
      return ok;
    });
    this.route('PUT', '/api/topom/group/action/remove/:xauth/:addr', async (r) => {
      await t.removeSyncAction(strParam(r, 'addr'));
      return ok;
    });

    this.route('PUT', '/api/topom/slots/action/create/:xauth/:sid/:gid', async (r) => {
      await t.createSlotAction(intParam(r, 'sid'), intParam(r, 'gid'));
      return ok;
    });
    this.route('PUT', '/api/topom/slots/action/create-some/:xauth/:src/:dst/:num', async (r) => {
      await t.createSlotActionSome(intParam(r, 'src'), intParam(r, 'dst'), intParam(r, 'num'));
      return ok;
    });
    this.route('PUT', '/api/topom/slots/action/create-range/:xauth/:beg/:end/:gid', async (r) => {
      await t.createSlotActionRange(intParam(r, 'beg'), intParam(r, 'end'), intParam(r, 'gid'));
      return ok;
    });
    this.route('PUT', '/api/topom/slots/action/remove/:xauth/:sid', async (r) => {
      await t.removeSlotAction(intParam(r, 'sid'));
      return ok;
    });
    this.route('PUT', '/api/topom/slots/action/interval/:xauth/:value', (r) => {
      t.setActionInterval(intParam(r, 'value'));
      return ok;
    });
    this.route('PUT', '/api/topom/slots/action/disabled/:xauth/:value', (r) => {
      t.setActionDisabled(bool(r, 'value'));
      return ok;
    });
    const assign = (offline: boolean) => async (r: Request) => {
      const entries = parseAssignBody(r.body).map((e) => ({
        id: e.id,
        groupId: e.groupId,
        action: { index: 0, state: e.state as '', targetId: 0 },
      }));
      await t.assignSlots(entries, offline);
      return ok;
    };
    this.route('PUT', '/api/topom/slots/assign/:xauth', assign(false));
    this.route('PUT', '/api/topom/slots/assign/:xauth/offline', assign(true));
    this.route('PUT', '/api/topom/slots/rebalance/:xauth/:confirm', async (r) => {
      const plan = await t.rebalance(bool(r, 'confirm'));
      // Go encodes map keys sorted as strings.
      const out: JsonObject = {};
      for (const sid of [...plan.keys()].map(String).sort()) out[sid] = plan.get(Number(sid)) as number;
      return out;
    });

    this.route('PUT', '/api/topom/sentinels/add/:xauth/:addr', async (r) => {
      await t.addSentinel(strParam(r, 'addr'));
      return ok;
    });
    this.route('PUT', '/api/topom/sentinels/del/:xauth/:addr/:force', async (r) => {
      await t.delSentinel(strParam(r, 'addr'), bool(r, 'force'));
      return ok;
    });
    this.route('PUT', '/api/topom/sentinels/resync-all/:xauth', async () => {
      await t.resyncSentinels();
      return ok;
    });
  }

  private async overview(): Promise<JsonObject> {
    const t = this.topom;
    return {
      version: DASHBOARD_VERSION,
      compile: `node ${process.version}`,
      config: dashboardConfigJson(t.config),
      model: topomToJson(t.model),
      stats: await t.stats(),
    };
  }

  private defineMetrics(): void {
    const t = this.topom;
    const registry = this.registry;
    const stats = async (): Promise<JsonObject | undefined> =>
      t.online ? t.stats().catch(() => undefined) : undefined;
    new Gauge({
      name: 'codis_dashboard_online',
      help: '1 when the dashboard holds the product lock',
      registers: [registry],
      collect() {
        this.set(t.online && !t.closed ? 1 : 0);
      },
    });
    new Gauge({
      name: 'codis_dashboard_slots',
      help: 'Slots by action state ("none" for idle slots)',
      labelNames: ['state'],
      registers: [registry],
      async collect() {
        this.reset();
        const s = await stats();
        const slots = (s?.slots ?? []) as { action: { state?: string } }[];
        const counts = new Map<string, number>();
        for (const m of slots) {
          const state = m.action.state ?? 'none';
          counts.set(state, (counts.get(state) ?? 0) + 1);
        }
        for (const [state, n] of counts) this.set({ state }, n);
      },
    });
    new Gauge({
      name: 'codis_dashboard_migration_keys_moved',
      help: 'Keys moved by slot migrations since the dashboard started',
      registers: [registry],
      async collect() {
        const s = await stats();
        const action = s?.slot_action as { keys_moved?: number } | undefined;
        this.set(action?.keys_moved ?? 0);
      },
    });
    new Gauge({
      name: 'codis_dashboard_proxies',
      help: 'Registered proxies',
      registers: [registry],
      async collect() {
        const s = await stats();
        this.set(((s?.proxy as { models?: unknown[] } | undefined)?.models ?? []).length);
      },
    });
  }

  private match(
    method: string,
    segments: string[],
  ): { route: Route; params: Record<string, string> } | undefined {
    for (const route of this.routes) {
      if (route.method !== method || route.segments.length !== segments.length) continue;
      const params: Record<string, string> = {};
      let matched = true;
      for (let i = 0; i < segments.length; i++) {
        const pattern = route.segments[i] as string;
        const value = segments[i] as string;
        if (pattern.startsWith(':')) params[pattern.slice(1)] = value;
        else if (pattern !== value) {
          matched = false;
          break;
        }
      }
      if (matched) return { route, params };
    }
    return undefined;
  }

  private send(
    req: IncomingMessage,
    res: ServerResponse,
    status: number,
    value: JsonValue | undefined,
  ): void {
    const headers: Record<string, string> = { 'Content-Type': 'application/json; charset=utf-8' };
    let body: Buffer = Buffer.from(value === undefined ? '' : encodeGoJson(value), 'utf8');
    if (/\bgzip\b/.test(String(req.headers['accept-encoding'] ?? '')) && body.length > 0) {
      body = gzipSync(body);
      headers['Content-Encoding'] = 'gzip';
      headers.Vary = 'Accept-Encoding';
    }
    headers['Content-Length'] = String(body.length);
    res.writeHead(status, headers);
    res.end(body);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://dashboard');
    const path = url.pathname;
    const method = req.method ?? 'GET';
    if (path === '/' && method === 'GET') {
      res.writeHead(302, {
        Location: '/topom',
        'Content-Type': 'application/json; charset=utf-8',
        'Content-Length': '0',
      });
      res.end();
      return;
    }
    if (method === 'GET' && (path === '/livez' || path === '/readyz' || path === '/metrics')) {
      if (path === '/metrics') {
        const text = await this.registry.metrics();
        res.writeHead(200, { 'Content-Type': this.registry.contentType });
        res.end(text);
        return;
      }
      const ready = path === '/livez' || (this.topom.online && !this.topom.closed);
      res.writeHead(ready ? 200 : 503, { 'Content-Type': 'text/plain; charset=utf-8' });
      res.end(ready ? 'ok\n' : 'not online\n');
      return;
    }
    const segments = path
      .split('/')
      .filter((s) => s !== '')
      .map((s) => decodeURIComponent(s));
    const found = this.match(method, segments);
    if (found === undefined) {
      res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' });
      res.end('404 page not found\n');
      return;
    }
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    if (method !== 'GET' && path.startsWith('/api/')) {
      const forwarded = req.headers['x-real-ip'] ?? req.headers['x-forwarded-for'] ?? '';
      this.log.info(
        `API call ${path} from ${req.socket.remoteAddress}:${req.socket.remotePort} [${String(forwarded)}]`,
      );
    }
    try {
      if (found.route.xauth) {
        if (this.topom.closed) throw new DashboardError('use of closed topom');
        const xauth = found.params.xauth ?? '';
        if (xauth === '') throw new DashboardError('missing xauth, please check product name & auth');
        if (xauth !== this.topom.xauth)
          throw new DashboardError('invalid xauth, please check product name & auth');
      }
      const secret = this.topom.config.admin_secret;
      if (method !== 'GET' && secret !== '' && !secretMatches(req.headers[ADMIN_SECRET_HEADER], secret)) {
        throw new UnauthorizedError(
          'missing or invalid admin secret: this dashboard requires the X-Codis-Admin-Secret header (admin_secret in dashboard.toml) for state-changing calls',
        );
      }
      const value = await found.route.handler({ params: found.params, body, req });
      this.send(req, res, 200, value);
    } catch (error) {
      const status = error instanceof UnauthorizedError ? 401 : 800;
      if (!(error instanceof DashboardError)) this.log.warn({ err: errorText(error) }, `API ${path} failed`);
      this.send(req, res, status, { Cause: errorText(error), Stack: null });
    }
  }
}
