// An in-process codis-proxy in front of codis-servers, for the proxy tests.
import {
  CodisProxy,
  defaultProxyConfig,
  type ProxyConfig,
  type ProxyOptions,
  type ProxySlot,
} from '../../src/proxy/index.ts';

export interface ProxyFixture {
  proxy: CodisProxy;
  port: number;
  close(): Promise<void>;
}

export async function startProxy(
  overrides: Partial<ProxyConfig> = {},
  options: ProxyOptions = {},
): Promise<ProxyFixture> {
  const config: ProxyConfig = {
    ...defaultProxyConfig(),
    proxy_addr: '127.0.0.1:0',
    admin_addr: '127.0.0.1:0',
    backend_number_databases: 4,
    ...overrides,
  };
  const proxy = new CodisProxy(config, options);
  await proxy.listen();
  return { proxy, port: proxy.address().port, close: () => proxy.close() };
}

/** Slots [from, to] on one backend. */
export function slotRange(
  from: number,
  to: number,
  addr: string,
  extra: Partial<ProxySlot> = {},
): ProxySlot[] {
  const slots: ProxySlot[] = [];
  for (let id = from; id <= to; id++) slots.push({ id, backend_addr: addr, ...extra });
  return slots;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
