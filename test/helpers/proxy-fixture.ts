// An in-process codis-proxy in front of codis-servers, for the proxy tests.
import {
  CodisProxy,
  defaultProxyConfig,
  type ProxyConfig,
  type ProxyOptions,
  type ProxySlot,
} from '../../src/proxy/index.ts';
import { type RunningServer, startServer } from './redis-servers.ts';

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

/** Two codis-servers (slots 0..511 on A, 512..1023 on B) behind in-process proxies. */
export interface TwoGroups {
  /** Stopped by close(): a test that restarts a server stores the new one here. */
  a: RunningServer;
  b: RunningServer;
  addrA: string;
  addrB: string;
  /** Filled with that table and started. */
  proxies: ProxyFixture[];
  /** Debian's redis-server, when asked for: what the proxies' replies are compared with. */
  reference: RunningServer | undefined;
  /** Gives every proxy the same slot records. */
  fillAll(records: ProxySlot[]): void;
  close(): Promise<void>;
}

export async function startTwoGroups(
  options: {
    /** One entry per proxy: its proxy.toml overrides. Default: two proxies with defaults. */
    proxies?: Array<Partial<ProxyConfig>>;
    proxyOptions?: ProxyOptions;
    reference?: boolean;
  } = {},
): Promise<TwoGroups> {
  const [a, b, reference] = await Promise.all([
    startServer('codis-server'),
    startServer('codis-server'),
    options.reference === true ? startServer('redis-server') : undefined,
  ]);
  const addrA = `127.0.0.1:${a.port}`;
  const addrB = `127.0.0.1:${b.port}`;
  const proxies = await Promise.all(
    (options.proxies ?? [{}, {}]).map((overrides) => startProxy(overrides, options.proxyOptions)),
  );
  for (const fixture of proxies) {
    fixture.proxy.fillSlots([...slotRange(0, 511, addrA), ...slotRange(512, 1023, addrB)]);
    fixture.proxy.start();
  }
  const groups: TwoGroups = {
    a,
    b,
    addrA,
    addrB,
    proxies,
    reference,
    fillAll(records) {
      for (const fixture of proxies) fixture.proxy.fillSlots(records);
    },
    async close() {
      await Promise.all(proxies.map((fixture) => fixture.close()));
      // A test that restarted a server put the new one in `a` or `b`.
      await Promise.all([groups.a.stop(), groups.b.stop(), reference?.stop()]);
    },
  };
  return groups;
}
