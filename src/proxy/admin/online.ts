// Auto-online (spec/proxy.md §1.3): the proxy asks the dashboard to register it; the dashboard
// then calls back fillslots, start and sentinels. The dashboard's address comes from the command
// line or from its record in the coordinator.

import type { Logger } from 'pino';
import type { Store } from '../../coordinator/index.ts';
import { topomPath } from '../../models/paths.ts';
import { decodeTopom } from '../../models/topom.ts';
import { dashboardXAuth } from './auth.ts';

export class OnlineError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.name = 'OnlineError';
    this.code = code;
  }
}

async function callDashboard(method: string, url: string): Promise<unknown> {
  const response = await fetch(url, { method, signal: AbortSignal.timeout(10_000) });
  const text = await response.text();
  if (response.status === 200) return text === '' ? undefined : JSON.parse(text);
  let cause = text;
  try {
    cause = String((JSON.parse(text) as { Cause?: unknown }).Cause ?? text);
  } catch {
    // Not a Codis error body.
  }
  throw new Error(`${method} ${url}: status ${response.status}: ${cause}`);
}

export interface OnlineOptions {
  productName: string;
  /** The proxy's advertised admin address (model.admin_addr). */
  adminAddr: string;
  logger: Logger;
  /** Stops the attempts (the proxy closed). */
  signal?: AbortSignal;
  attempts?: number;
  intervalMs?: number;
}

const sleep = (ms: number, signal?: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(timer);
      resolve();
    });
  });

/** One registration: check the dashboard's product, then PUT proxy/online. */
export async function onlineOnce(dashboard: string, options: OnlineOptions): Promise<void> {
  const base = /^https?:\/\//.test(dashboard) ? dashboard : `http://${dashboard}`;
  const model = (await callDashboard('GET', `${base}/api/topom/model`)) as
    | { product_name?: unknown }
    | undefined;
  if (model?.product_name !== options.productName) {
    throw new OnlineError(
      'ERR_PROXY_ONLINE_PRODUCT',
      `unexcepted product name, got model = ${JSON.stringify(model)}`,
    );
  }
  const xauth = dashboardXAuth(options.productName);
  await callDashboard('PUT', `${base}/api/topom/proxy/online/${xauth}/${options.adminAddr}`);
}

/**
 * `--dashboard` (10 attempts) or a coordinator flag (30 attempts), 3 s apart; `dashboard` gives the
 * address for each attempt. A product mismatch is fatal at once.
 */
export async function onlineProxy(dashboard: () => Promise<string>, options: OnlineOptions): Promise<void> {
  const attempts = options.attempts ?? 10;
  const interval = options.intervalMs ?? 3000;
  for (let attempt = 1; attempt <= attempts; attempt++) {
    if (options.signal?.aborted) throw new OnlineError('ERR_PROXY_ONLINE_ABORTED', 'online proxy aborted');
    try {
      const addr = await dashboard();
      await onlineOnce(addr, options);
      options.logger.warn({ dashboard: addr }, `online proxy @${addr} ok`);
      return;
    } catch (error) {
      if (error instanceof OnlineError) throw error;
      options.logger.warn({ err: error, attempt }, `online proxy failed (${attempt}/${attempts})`);
    }
    if (attempt < attempts) await sleep(interval, options.signal);
  }
  throw new OnlineError('ERR_PROXY_ONLINE_FAILED', 'online proxy failed');
}

/** The dashboard's admin address from its record `/codis3/<product>/topom` in the coordinator. */
export async function dashboardFromStore(store: Store, productName: string): Promise<string> {
  const path = topomPath(productName);
  const data = await store.read(path);
  if (data === undefined) throw new Error(`dashboard record ${path} not found`);
  return decodeTopom(data, path).adminAddr;
}
