// `codis up`'s layout of a local cluster: which ports and directories each program gets, the config
// files written for them, and how the 1024 slots are split between groups. Pure functions, so the
// layout is tested without starting anything.

import { join, resolve } from 'node:path';
import { MAX_SLOTS } from '../slots/index.ts';

export interface UpOptions {
  /** Where everything lives: coordinator, server data, config files, logs. */
  readonly dir: string;
  readonly product: string;
  readonly productAuth: string;
  readonly groups: number;
  /** Replicas per group (besides the master). */
  readonly replicas: number;
  readonly proxies: number;
  readonly host: string;
  /** First codis-server port; the others follow (group 1's master, its replicas, group 2's...). */
  readonly serverPort: number;
  readonly dashboardPort: number;
  /** First proxy port (client side) and first proxy admin port; more proxies take the next ones. */
  readonly proxyPort: number;
  readonly proxyAdminPort: number;
  /** codis-fe's port (the web UI); 0 = no codis-fe. */
  readonly fePort?: number | undefined;
  /** `filesystem`, `etcd` or `zookeeper`. */
  readonly coordinator: string;
  /** Default for the filesystem: `<dir>/coordinator`. */
  readonly coordinatorAddr?: string | undefined;
  readonly coordinatorAuth?: string | undefined;
}

export const DEFAULT_UP_OPTIONS: UpOptions = {
  dir: './data',
  product: 'codis-demo',
  productAuth: '',
  groups: 2,
  replicas: 1,
  proxies: 1,
  host: '127.0.0.1',
  serverPort: 16379,
  dashboardPort: 18080,
  proxyPort: 19000,
  proxyAdminPort: 11080,
  fePort: 9090,
  coordinator: 'filesystem',
};

export interface ServerPlan {
  readonly gid: number;
  /** 0 = master. */
  readonly index: number;
  readonly addr: string;
  readonly port: number;
  readonly dir: string;
  readonly configFile: string;
  readonly logFile: string;
  /** The master's address for a replica. */
  readonly masterAddr: string | undefined;
}

export interface ProxyPlan {
  readonly name: string;
  readonly proxyAddr: string;
  readonly adminAddr: string;
  readonly configFile: string;
  readonly logFile: string;
}

export interface ClusterPlan {
  readonly dir: string;
  readonly product: string;
  readonly productAuth: string;
  readonly coordinator: { readonly name: string; readonly addr: string; readonly auth: string };
  readonly servers: readonly ServerPlan[];
  readonly groups: readonly { readonly gid: number; readonly servers: readonly ServerPlan[] }[];
  readonly dashboard: { readonly addr: string; readonly configFile: string; readonly logFile: string };
  readonly proxies: readonly ProxyPlan[];
  /** codis-fe, the web UI of the product (absent with --fe-port=0). */
  readonly fe: { readonly addr: string; readonly logFile: string } | undefined;
}

function positive(value: number, name: string, min: number): void {
  if (!Number.isSafeInteger(value) || value < min)
    throw new RangeError(`${name} must be an integer >= ${min}`);
}

function port(value: number, name: string): void {
  if (!Number.isSafeInteger(value) || value < 1 || value > 65535)
    throw new RangeError(`invalid ${name} ${value}`);
}

export function planCluster(options: UpOptions): ClusterPlan {
  positive(options.groups, '--groups', 1);
  positive(options.replicas, '--replicas', 0);
  positive(options.proxies, '--proxies', 1);
  if (options.groups > 9999) throw new RangeError('--groups must be at most 9999');
  const dir = resolve(options.dir);
  const perGroup = options.replicas + 1;
  const servers: ServerPlan[] = [];
  const groups: { gid: number; servers: ServerPlan[] }[] = [];
  for (let gid = 1; gid <= options.groups; gid++) {
    const members: ServerPlan[] = [];
    for (let index = 0; index < perGroup; index++) {
      const p = options.serverPort + (gid - 1) * perGroup + index;
      port(p, 'server port');
      const serverDir = join(dir, 'servers', String(p));
      const server: ServerPlan = {
        gid,
        index,
        addr: `${options.host}:${p}`,
        port: p,
        dir: serverDir,
        configFile: join(serverDir, 'redis.conf'),
        logFile: join(dir, 'logs', `server-${p}.log`),
        masterAddr: index === 0 ? undefined : members[0]?.addr,
      };
      members.push(server);
      servers.push(server);
    }
    groups.push({ gid, servers: members });
  }
  port(options.dashboardPort, 'dashboard port');
  const proxies: ProxyPlan[] = [];
  for (let k = 0; k < options.proxies; k++) {
    port(options.proxyPort + k, 'proxy port');
    port(options.proxyAdminPort + k, 'proxy admin port');
    const name = `proxy-${k + 1}`;
    proxies.push({
      name,
      proxyAddr: `${options.host}:${options.proxyPort + k}`,
      adminAddr: `${options.host}:${options.proxyAdminPort + k}`,
      configFile: join(dir, `${name}.toml`),
      logFile: join(dir, 'logs', `${name}.log`),
    });
  }
  const fePort = options.fePort ?? 0;
  if (fePort !== 0) port(fePort, 'codis-fe port');
  const used = new Map<number, string>();
  const claim = (p: number, what: string): void => {
    const other = used.get(p);
    if (other !== undefined) throw new RangeError(`port ${p} is given to both ${other} and ${what}`);
    used.set(p, what);
  };
  for (const s of servers) claim(s.port, `server ${s.addr}`);
  claim(options.dashboardPort, 'the dashboard');
  for (const p of proxies) {
    claim(Number(p.proxyAddr.split(':').pop()), p.name);
    claim(Number(p.adminAddr.split(':').pop()), `${p.name} admin`);
  }
  if (fePort !== 0) claim(fePort, 'codis-fe');
  const coordinatorAddr =
    options.coordinatorAddr ?? (options.coordinator.startsWith('f') ? join(dir, 'coordinator') : '');
  if (coordinatorAddr === '') throw new RangeError(`--coordinator-addr is needed for ${options.coordinator}`);
  return {
    dir,
    product: options.product,
    productAuth: options.productAuth,
    coordinator: {
      name: options.coordinator,
      addr: options.coordinator.startsWith('f') ? resolve(coordinatorAddr) : coordinatorAddr,
      auth: options.coordinatorAuth ?? '',
    },
    servers,
    groups,
    dashboard: {
      addr: `${options.host}:${options.dashboardPort}`,
      configFile: join(dir, 'dashboard.toml'),
      logFile: join(dir, 'logs', 'dashboard.log'),
    },
    proxies,
    fe:
      fePort === 0 ? undefined : { addr: `${options.host}:${fePort}`, logFile: join(dir, 'logs', 'fe.log') },
  };
}

/** Contiguous, nearly equal ranges of the 1024 slots, one per group, in group order. */
export function evenSlotRanges(gids: readonly number[]): { gid: number; beg: number; end: number }[] {
  const ranges: { gid: number; beg: number; end: number }[] = [];
  let beg = 0;
  gids.forEach((gid, i) => {
    const size = Math.floor(MAX_SLOTS / gids.length) + (i < MAX_SLOTS % gids.length ? 1 : 0);
    if (size > 0) ranges.push({ gid, beg, end: beg + size - 1 });
    beg += size;
  });
  return ranges;
}

function tomlString(value: string): string {
  return JSON.stringify(value);
}

/** A redis.conf for a codis-server: written once, then left to the server (CONFIG REWRITE). */
export function serverConfig(plan: ClusterPlan, server: ServerPlan): string {
  const host = server.addr.slice(0, server.addr.lastIndexOf(':'));
  const lines = [
    '# Written by `codis up` on the first start; the server may rewrite it (CONFIG REWRITE).',
    `bind ${host}`,
    `port ${server.port}`,
    `dir ${JSON.stringify(server.dir)}`,
    'appendonly yes',
    'appendfsync everysec',
  ];
  if (plan.productAuth !== '') {
    lines.push(
      `requirepass ${JSON.stringify(plan.productAuth)}`,
      `masterauth ${JSON.stringify(plan.productAuth)}`,
    );
  }
  if (server.masterAddr !== undefined) {
    const colon = server.masterAddr.lastIndexOf(':');
    lines.push(`replicaof ${server.masterAddr.slice(0, colon)} ${server.masterAddr.slice(colon + 1)}`);
  }
  return `${lines.join('\n')}\n`;
}

export function dashboardConfig(plan: ClusterPlan): string {
  return [
    '# Written by `codis up` at every start.',
    `coordinator_name = ${tomlString(plan.coordinator.name)}`,
    `coordinator_addr = ${tomlString(plan.coordinator.addr)}`,
    `coordinator_auth = ${tomlString(plan.coordinator.auth)}`,
    `product_name = ${tomlString(plan.product)}`,
    `product_auth = ${tomlString(plan.productAuth)}`,
    `admin_addr = ${tomlString(plan.dashboard.addr)}`,
    '',
  ].join('\n');
}

export function proxyConfig(plan: ClusterPlan, proxy: ProxyPlan): string {
  return [
    '# Written by `codis up` at every start.',
    `product_name = ${tomlString(plan.product)}`,
    `product_auth = ${tomlString(plan.productAuth)}`,
    'proto_type = "tcp4"',
    `proxy_addr = ${tomlString(proxy.proxyAddr)}`,
    `admin_addr = ${tomlString(proxy.adminAddr)}`,
    '',
  ].join('\n');
}
