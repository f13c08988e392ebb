// The dashboard's HTTP client for proxies' admin APIs (spec/control-plane.md §7.1). Every call is
// bounded (Codis waits up to a minute; an unreachable proxy then froze every operation), and
// errors read like Codis's: the remote `Cause` for 800/1500 answers, `[code] text - url` otherwise.

import type { ProxySlot } from '../proxy/slot.ts';
import { proxyXAuth } from './auth.ts';

export class ProxyCallError extends Error {
  readonly code = 'ERR_DASHBOARD_PROXY_CALL';
}

/** Whole-request limit for proxy calls, in ms. */
export const PROXY_CALL_TIMEOUT = 5_000;

async function request(method: 'GET' | 'PUT', url: string, body: unknown, timeout: number): Promise<unknown> {
  let response: Response;
  try {
    response = await fetch(url, {
      method,
      signal: AbortSignal.timeout(timeout),
      ...(body === undefined
        ? {}
        : { body: JSON.stringify(body), headers: { 'Content-Type': 'application/json' } }),
    });
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause;
    const host = new URL(url).host;
    if (cause?.code === 'ECONNREFUSED') {
      throw new ProxyCallError(`${method} "${url}": dial tcp ${host}: connect: connection refused`);
    }
    if ((error as Error).name === 'TimeoutError') throw new ProxyCallError(`${method} "${url}": timeout`);
    throw new ProxyCallError(`${method} "${url}": ${(error as Error).message}`);
  }
  const text = await response.text();
  if (response.status === 200) {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      throw new ProxyCallError(`${method} "${url}": invalid JSON reply`);
    }
  }
  if (response.status === 800 || response.status === 1500) {
    let cause = text;
    try {
      cause = String((JSON.parse(text) as { Cause?: unknown }).Cause ?? text);
    } catch {
      // Keep the raw text.
    }
    throw new ProxyCallError(cause);
  }
  throw new ProxyCallError(`[${response.status}] ${response.statusText} - ${url}`);
}

export class ProxyClient {
  readonly adminAddr: string;
  private readonly xauth: string;
  private readonly timeout: number;

  constructor(adminAddr: string, product: string, auth: string, token: string, timeout = PROXY_CALL_TIMEOUT) {
    this.adminAddr = adminAddr;
    this.xauth = proxyXAuth(product, auth, token);
    this.timeout = timeout;
  }

  static model(adminAddr: string, timeout = PROXY_CALL_TIMEOUT): Promise<unknown> {
    return request('GET', `http://${adminAddr}/api/proxy/model`, undefined, timeout);
  }

  private url(route: string): string {
    return `http://${this.adminAddr}/api/proxy/${route}/${this.xauth}`;
  }

  async xping(): Promise<void> {
    await request('GET', this.url('xping'), undefined, this.timeout);
  }

  stats(timeout = this.timeout): Promise<unknown> {
    return request('GET', this.url('stats'), undefined, timeout);
  }

  async fillSlots(slots: ProxySlot[]): Promise<void> {
    await request('PUT', this.url('fillslots'), slots, this.timeout);
  }

  async start(): Promise<void> {
    await request('PUT', this.url('start'), undefined, this.timeout);
  }

  async setSentinels(sentinel: unknown): Promise<void> {
    await request('PUT', this.url('sentinels'), sentinel, this.timeout);
  }

  async shutdown(): Promise<void> {
    await request('PUT', this.url('shutdown'), undefined, this.timeout);
  }
}
