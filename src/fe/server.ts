// The codis-fe HTTP server (spec/control-plane.md §13.2): the UI's static files, `GET /list`, and
// every other request with `?forward=<product>` reverse-proxied unchanged to that product's
// dashboard. Ours adds an optional login (a password set on the FE: a session cookie is required
// for /list and forwarding) and clear JSON errors `{"Cause": ...}` when a dashboard is unknown or
// unreachable, in the dashboard's own error shape so the UI shows them the same way.

import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import {
  createServer,
  request as httpRequest,
  type IncomingMessage,
  type OutgoingHttpHeaders,
  type Server,
  type ServerResponse,
} from 'node:http';
import { extname, join, normalize, sep } from 'node:path';
import type { Logger } from 'pino';
import type { DashboardDirectory } from './directory.ts';

export const SESSION_COOKIE = 'codis_fe_session';
/** Sessions end after this long without use. */
const SESSION_IDLE_MS = 12 * 60 * 60 * 1000;
/** A failed login answers only after this delay, to slow down guessing. */
const LOGIN_FAILURE_DELAY_MS = 300;
const DIAL_TIMEOUT_MS = 10_000;
const MAX_LOGIN_BODY = 4096;

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
};

// The UI builds its DOM from text nodes; the policy is a second line of defence against any value
// from the cluster being run as script.
const SECURITY_HEADERS = {
  'Content-Security-Policy':
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'no-referrer',
};

// Hop-by-hop headers are never forwarded (RFC 9110 §7.6.1), nor the FE's own session cookie.
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'host',
  'cookie',
]);

export interface FeServerOptions {
  readonly directory: DashboardDirectory;
  readonly assetsDir: string;
  readonly logger: Logger;
  /** When set, the UI asks for it and the API answers 401 without a session. */
  readonly password?: string | undefined;
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

function sendJson(res: ServerResponse, status: number, value: unknown, contentType?: string): void {
  const body = JSON.stringify(value, null, 4);
  res.writeHead(status, {
    'Content-Type': contentType ?? 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(body),
    'Cache-Control': 'no-store',
  });
  res.end(body);
}

/** The dashboard's error shape (§6.1), so the UI handles FE and dashboard errors alike. */
function sendError(res: ServerResponse, status: number, cause: string): void {
  sendJson(res, status, { Cause: cause, Stack: null });
}

function cookieValue(req: IncomingMessage, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

function readBody(req: IncomingMessage, limit: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => {
      text += chunk;
      if (text.length > limit) {
        reject(new Error('request body too large'));
        req.destroy();
      }
    });
    req.on('end', () => resolve(text));
    req.on('error', reject);
  });
}

export class FeServer {
  readonly #options: FeServerOptions;
  readonly #server: Server;
  readonly #sessions = new Map<string, number>();
  readonly #passwordDigest: Buffer | undefined;

  constructor(options: FeServerOptions) {
    this.#options = options;
    this.#passwordDigest =
      options.password === undefined || options.password === '' ? undefined : digest(options.password);
    this.#server = createServer((req, res) => {
      this.#handle(req, res).catch((error: Error) => {
        options.logger.error({ err: error.message, url: req.url }, 'request failed');
        if (!res.headersSent) sendError(res, 500, `codis-fe: ${error.message}`);
        else res.destroy();
      });
    });
  }

  /** Listens; resolves to the actual `host:port`. */
  listen(host: string, port: number): Promise<string> {
    return new Promise((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen(port, host, () => {
        this.#server.off('error', reject);
        const address = this.#server.address();
        if (address === null || typeof address === 'string') resolve(String(address));
        else
          resolve(`${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`);
      });
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.#server.close(() => resolve());
      this.#server.closeAllConnections();
    });
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://codis-fe');
    const method = req.method ?? 'GET';
    // Static files first, as Codis does; they need no session (the page shows the login form).
    if ((method === 'GET' || method === 'HEAD') && (await this.#serveStatic(url.pathname, method, res))) {
      return;
    }
    if (url.pathname === '/login' && method === 'POST') return this.#login(req, res);
    if (url.pathname === '/logout' && method === 'POST') return this.#logout(req, res);
    if (url.pathname === '/session' && method === 'GET') {
      sendJson(res, 200, {
        login: this.#passwordDigest !== undefined,
        authenticated: this.#authenticated(req),
      });
      return;
    }
    if (!this.#authenticated(req)) {
      sendError(res, 401, 'codis-fe: login required');
      return;
    }
    if (url.pathname === '/list' && method === 'GET') {
      let products: string[];
      try {
        products = await this.#options.directory.products();
      } catch (error) {
        sendError(res, 500, `codis-fe: cannot list products: ${(error as Error).message}`);
        return;
      }
      sendJson(res, 200, products, 'text/plain; charset=utf-8');
      return;
    }
    const product = url.searchParams.get('forward') ?? '';
    const dashboard = product === '' ? undefined : await this.#options.directory.dashboard(product);
    if (dashboard === undefined) {
      sendError(
        res,
        403,
        product === ''
          ? 'codis-fe: no product given (?forward=<product>)'
          : `codis-fe: unknown product ${JSON.stringify(product)} (no running dashboard found for it)`,
      );
      return;
    }
    this.#forward(req, res, product, dashboard);
  }

  async #serveStatic(pathname: string, method: string, res: ServerResponse): Promise<boolean> {
    let decoded: string;
    try {
      decoded = decodeURIComponent(pathname);
    } catch {
      return false;
    }
    const relative = decoded === '/' ? 'index.html' : normalize(decoded).replace(/^[/\\]+/, '');
    const root = this.#options.assetsDir;
    const file = join(root, relative);
    if (
      relative.includes('\0') ||
      !(file === root || file.startsWith(root.endsWith(sep) ? root : root + sep))
    ) {
      return false;
    }
    const info = await stat(file).catch(() => undefined);
    if (info === undefined || !info.isFile()) return false;
    res.writeHead(200, {
      'Content-Type': CONTENT_TYPES[extname(file)] ?? 'application/octet-stream',
      'Content-Length': info.size,
      'Cache-Control': 'no-cache',
      ...SECURITY_HEADERS,
    });
    if (method === 'HEAD') res.end();
    else createReadStream(file).pipe(res);
    return true;
  }

  #authenticated(req: IncomingMessage): boolean {
    if (this.#passwordDigest === undefined) return true;
    const id = cookieValue(req, SESSION_COOKIE);
    if (id === undefined) return false;
    const last = this.#sessions.get(id);
    if (last === undefined) return false;
    if (Date.now() - last > SESSION_IDLE_MS) {
      this.#sessions.delete(id);
      return false;
    }
    this.#sessions.set(id, Date.now());
    return true;
  }

  async #login(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (this.#passwordDigest === undefined) {
      sendJson(res, 200, 'OK');
      return;
    }
    let password = '';
    try {
      const body: unknown = JSON.parse(await readBody(req, MAX_LOGIN_BODY));
      if (
        typeof body === 'object' &&
        body !== null &&
        typeof (body as { password?: unknown }).password === 'string'
      ) {
        password = (body as { password: string }).password;
      }
    } catch {
      password = '';
    }
    if (!timingSafeEqual(digest(password), this.#passwordDigest)) {
      this.#options.logger.warn({ remote: req.socket.remoteAddress }, 'login failed');
      await new Promise((resolve) => setTimeout(resolve, LOGIN_FAILURE_DELAY_MS));
      sendError(res, 401, 'codis-fe: wrong password');
      return;
    }
    const id = randomBytes(32).toString('hex');
    this.#sessions.set(id, Date.now());
    res.setHeader('Set-Cookie', `${SESSION_COOKIE}=${id}; Path=/; HttpOnly; SameSite=Strict`);
    sendJson(res, 200, 'OK');
  }

  #logout(req: IncomingMessage, res: ServerResponse): void {
    const id = cookieValue(req, SESSION_COOKIE);
    if (id !== undefined) this.#sessions.delete(id);
    res.setHeader('Set-Cookie', `${SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0`);
    sendJson(res, 200, 'OK');
  }

  /** Method, path, query, body and headers as received; the answer streamed back as is. */
  #forward(req: IncomingMessage, res: ServerResponse, product: string, dashboard: string): void {
    const { logger } = this.#options;
    const colon = dashboard.lastIndexOf(':');
    const host = dashboard.slice(0, colon).replace(/^\[|\]$/g, '');
    const port = Number(dashboard.slice(colon + 1));
    const headers: OutgoingHttpHeaders = {};
    for (const [name, value] of Object.entries(req.headers)) {
      if (!HOP_BY_HOP.has(name) && value !== undefined) headers[name] = value;
    }
    const remote = req.socket.remoteAddress ?? '';
    const forwardedFor = req.headers['x-forwarded-for'];
    headers['x-forwarded-for'] = forwardedFor === undefined ? remote : `${forwardedFor}, ${remote}`;
    headers.host = dashboard;
    const upstream = httpRequest({
      host,
      port,
      method: req.method,
      path: req.url,
      headers,
      timeout: DIAL_TIMEOUT_MS,
    });
    upstream.on('response', (answer) => {
      const out: OutgoingHttpHeaders = {};
      for (const [name, value] of Object.entries(answer.headers)) {
        if (!HOP_BY_HOP.has(name) && name !== 'set-cookie' && value !== undefined) out[name] = value;
      }
      res.writeHead(answer.statusCode ?? 502, answer.statusMessage, out);
      answer.pipe(res);
    });
    upstream.on('timeout', () => upstream.destroy(new Error(`no answer in ${DIAL_TIMEOUT_MS / 1000} s`)));
    upstream.on('error', (error: NodeJS.ErrnoException) => {
      logger.warn({ product, dashboard, err: error.message }, 'dashboard unreachable');
      if (res.headersSent) {
        res.destroy();
        return;
      }
      const reason = error.code === 'ECONNREFUSED' ? 'connection refused' : error.message;
      sendError(res, 502, `dashboard of product ${product} at ${dashboard} is unreachable: ${reason}`);
    });
    req.pipe(upstream);
  }
}
