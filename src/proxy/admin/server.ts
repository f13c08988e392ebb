// The admin HTTP API (spec/proxy.md §8): a small route table on node:http with Codis's conventions —
// 4-space JSON in Go's encoding, errors as status 800 `{"Cause", "Stack"}`, gzip on request,
// `404 page not found` for anything else. Adds /metrics (Prometheus), /livez and /readyz.

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { encodeGoJson, type JsonValue } from '../../models/go-json.ts';
import { splitHostPort } from './model.ts';
import type { ProxyService } from './service.ts';
import { slotsFromBody } from './slots-json.ts';
import { STATS_CMD, STATS_RUNTIME } from './stats.ts';

type Params = Record<string, string>;
type Handler = (params: Params, body: string, req: IncomingMessage) => JsonValue | Promise<JsonValue>;

interface Route {
  method: 'GET' | 'PUT';
  segments: string[];
  /** Checks `:xauth` before the handler. */
  auth: boolean;
  handler: Handler;
}

const JSON_TYPE = 'application/json; charset=utf-8';
const MAX_BODY = 64 * 1024 * 1024;

/** Go's strconv.Atoi, with its error texts. */
export function atoi(text: string): number {
  if (!/^[+-]?\d+$/.test(text)) {
    throw new HttpError(`strconv.Atoi: parsing ${JSON.stringify(text)}: invalid syntax`);
  }
  const value = BigInt(text);
  if (value > 9223372036854775807n || value < -9223372036854775808n) {
    throw new HttpError(`strconv.Atoi: parsing ${JSON.stringify(text)}: value out of range`);
  }
  // Codis casts to a uint32 bitmask: negative numbers wrap to all bits.
  return Number(BigInt.asUintN(32, value));
}

class HttpError extends Error {
  readonly code = 'ERR_PROXY_ADMIN_REQUEST';
}

export class AdminServer {
  private readonly service: ProxyService;
  private readonly server: Server;
  private readonly routes: Route[] = [];

  constructor(service: ProxyService) {
    this.service = service;
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((error: unknown) => {
        service.logger.error({ err: error }, 'admin request failed');
        if (!res.headersSent) res.writeHead(500).end();
        else res.destroy();
      });
    });
    this.server.keepAliveTimeout = 5000;
    this.defineRoutes();
  }

  listen(addr: string): Promise<void> {
    const parsed = splitHostPort(addr);
    if (parsed === undefined) return Promise.reject(new Error(`invalid admin_addr = ${addr}`));
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(parsed.port, parsed.host === '' ? '0.0.0.0' : parsed.host, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
  }

  address(): { host: string; port: number } {
    const info = this.server.address() as AddressInfo | null;
    if (info === null) return { host: '', port: 0 };
    return { host: info.address, port: info.port };
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      if (!this.server.listening) {
        resolve();
        return;
      }
      this.server.close(() => resolve());
      this.server.closeIdleConnections();
      // Responses in flight (the shutdown call itself) get a moment to finish.
      setTimeout(() => this.server.closeAllConnections(), 200).unref();
    });
  }

  private route(method: 'GET' | 'PUT', pattern: string, auth: boolean, handler: Handler): void {
    this.routes.push({ method, segments: pattern.split('/').slice(1), auth, handler });
  }

  private defineRoutes(): void {
    const s = this.service;
    const ok = (): JsonValue => 'OK';
    this.route('GET', '/proxy', false, () => s.overview(STATS_CMD | STATS_RUNTIME, true));
    this.route('GET', '/proxy/', false, () => s.overview(STATS_CMD | STATS_RUNTIME, true));
    this.route('GET', '/proxy/model', false, () => s.modelJson());
    this.route('GET', '/proxy/stats', false, () => s.statsJson(STATS_CMD | STATS_RUNTIME));
    this.route('GET', '/proxy/slots', false, () => s.slotsJson());
    this.route('GET', '/api/proxy/model', false, () => s.modelJson());
    this.route('GET', '/api/proxy/xping/:xauth', true, ok);
    this.route('GET', '/api/proxy/stats/:xauth', true, () => s.statsJson(0));
    this.route('GET', '/api/proxy/stats/:xauth/:flags', true, (p) => s.statsJson(atoi(p.flags ?? '')));
    this.route('GET', '/api/proxy/slots/:xauth', true, () => s.slotsJson());
    this.route('PUT', '/api/proxy/start/:xauth', true, () => {
      s.start();
      return 'OK';
    });
    this.route('PUT', '/api/proxy/stats/reset/:xauth', true, () => {
      s.resetStats();
      return 'OK';
    });
    this.route('PUT', '/api/proxy/forcegc/:xauth', true, () => {
      s.forceGC();
      return 'OK';
    });
    this.route('PUT', '/api/proxy/shutdown/:xauth', true, () => {
      // Answer first; the close (which ends this server) runs right after.
      setImmediate(() => void s.close());
      return 'OK';
    });
    this.route('PUT', '/api/proxy/loglevel/:xauth/:value', true, (p) => {
      s.setLogLevel(p.value ?? '');
      return 'OK';
    });
    this.route('PUT', '/api/proxy/fillslots/:xauth', true, (_p, body) => {
      s.fillSlots(slotsFromBody(body));
      return 'OK';
    });
    this.route('PUT', '/api/proxy/sentinels/:xauth', true, (_p, body) => {
      let servers: string[] = [];
      try {
        const value = JSON.parse(body) as { servers?: unknown };
        if (Array.isArray(value?.servers))
          servers = value.servers.filter((x): x is string => typeof x === 'string');
      } catch {
        // Codis runs the handler with whatever decoded: no servers.
      }
      s.setSentinels(servers);
      return 'OK';
    });
    this.route('PUT', '/api/proxy/sentinels/:xauth/rewatch', true, () => {
      s.rewatchSentinels();
      return 'OK';
    });
  }

  private match(method: string, path: string): { route: Route; params: Params } | 'method' | undefined {
    const parts = path.split('/').slice(1);
    let wrongMethod = false;
    for (const route of this.routes) {
      if (route.segments.length !== parts.length) continue;
      const params: Params = {};
      let matched = true;
      for (let i = 0; i < parts.length; i++) {
        const want = route.segments[i] as string;
        const got = parts[i] as string;
        if (want.startsWith(':')) {
          if (got === '') {
            matched = false;
            break;
          }
          params[want.slice(1)] = decodeURIComponent(got);
        } else if (want !== got) {
          matched = false;
          break;
        }
      }
      if (!matched) continue;
      if (route.method !== method) {
        wrongMethod = true;
        continue;
      }
      return { route, params };
    }
    return wrongMethod ? 'method' : undefined;
  }

  private async readBody(req: IncomingMessage): Promise<string> {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of req) {
      size += (chunk as Buffer).length;
      if (size > MAX_BODY) throw new HttpError('request body too large');
      chunks.push(chunk as Buffer);
    }
    return Buffer.concat(chunks).toString('utf8');
  }

  private send(
    req: IncomingMessage,
    res: ServerResponse,
    status: number,
    body: string,
    type = JSON_TYPE,
  ): void {
    const headers: Record<string, string> = { 'Content-Type': type };
    let payload: Buffer = Buffer.from(body);
    if (/\bgzip\b/.test(req.headers['accept-encoding'] ?? '')) {
      payload = gzipSync(payload);
      headers['Content-Encoding'] = 'gzip';
      headers.Vary = 'Accept-Encoding';
    }
    headers['Content-Length'] = String(payload.length);
    res.writeHead(status, status === 800 ? 'status code 800' : undefined, headers);
    res.end(payload);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://admin');
    const path = url.pathname;
    const method = req.method ?? 'GET';
    if (path === '/' && method === 'GET') {
      res.writeHead(302, { 'Content-Type': JSON_TYPE, Location: '/proxy', 'Content-Length': '0' });
      res.end();
      return;
    }
    if (method === 'GET' && (path === '/livez' || path === '/readyz')) {
      const ready = path === '/livez' || (this.service.online && !this.service.closed);
      this.send(req, res, ready ? 200 : 503, encodeGoJson(ready ? 'OK' : 'not online'));
      return;
    }
    if (method === 'GET' && path === '/metrics') {
      const text = await this.service.metrics.metrics();
      this.send(req, res, 200, text, this.service.metrics.contentType);
      return;
    }
    const found = this.match(method, path);
    if (found === undefined || found === 'method') {
      res.writeHead(404, {
        'Content-Type': 'text/plain; charset=utf-8',
        'X-Content-Type-Options': 'nosniff',
      });
      res.end('404 page not found\n');
      return;
    }
    const body = method === 'GET' ? '' : await this.readBody(req);
    if (method !== 'GET' && path.startsWith('/api/')) {
      this.service.logger.info({ path, remote: req.socket.remoteAddress }, `[${method}] ${path}`);
    }
    try {
      if (found.route.auth) this.service.checkXAuth(found.params.xauth ?? '');
      const result = await found.route.handler(found.params, body, req);
      this.send(req, res, 200, encodeGoJson(result));
    } catch (error) {
      const cause = error instanceof Error ? error.message : String(error);
      if (!(error instanceof Error && 'code' in error)) {
        this.service.logger.warn({ err: error, path }, 'admin call failed');
      }
      this.send(req, res, 800, encodeGoJson({ Cause: cause, Stack: null }));
    }
  }
}
