// Stats documents as `GET /api/topom/stats/:xauth` returns them (spec/control-plane.md §6.4), built
// in a line per proxy or server, for the unit tests of codis-ha's classification and repairs.

import type { DashboardStats, ProxyStatsJson, RedisStatsJson } from '../../src/admin/index.ts';

/** A poll entry; undefined means the dashboard has no entry at all (not polled yet). */
export type Entry = RedisStatsJson | undefined;

const now = 1795570637;

export const polled = {
  /** A master: no master_addr. */
  master: (): RedisStatsJson => ({ stats: { role: 'master', connected_slaves: '1' }, unixtime: now }),
  /** A replica of `master` whose link is up. */
  up: (master: string): RedisStatsJson => ({
    stats: { role: 'slave', master_addr: master, master_link_status: 'up' },
    unixtime: now,
  }),
  /** A replica of `master` whose link went down `seconds` ago. */
  down: (master: string, seconds: number | string): RedisStatsJson => ({
    stats: {
      role: 'slave',
      master_addr: master,
      master_link_status: 'down',
      master_link_down_since_seconds: String(seconds),
    },
    unixtime: now,
  }),
  /** A replica of `master` whose link is in another state (Redis 7 never says more than up/down, others might). */
  link: (master: string, status: string | undefined): RedisStatsJson => ({
    stats: {
      role: 'slave',
      master_addr: master,
      ...(status === undefined ? {} : { master_link_status: status }),
    },
    unixtime: now,
  }),
  error: (): RedisStatsJson => ({
    error: { Cause: 'dial tcp 127.0.0.1:16381: connect: connection refused', Stack: null },
    unixtime: now,
  }),
  timeout: (): RedisStatsJson => ({ unixtime: now, timeout: true }),
  /** Neither stats nor error nor timeout: Codis counts it as a timeout. */
  empty: (): RedisStatsJson => ({ unixtime: now }),
};

export const proxyPolled = {
  alive: (): ProxyStatsJson => ({ stats: { online: true, closed: false }, unixtime: now }),
  error: (): ProxyStatsJson => ({ error: { Cause: 'connection refused', Stack: null }, unixtime: now }),
  timeout: (): ProxyStatsJson => ({ unixtime: now, timeout: true }),
  empty: (): ProxyStatsJson => ({ unixtime: now }),
};

export interface GroupSpec {
  readonly id: number;
  /**
   * [addr, what the dashboard polled, the state of its sync action ('' or absent: none)] in group
   * order: index 0 is the master.
   */
  readonly servers: readonly (readonly [string, Entry, string?])[];
  readonly promoting?: string;
}

export interface ProxySpec {
  readonly id: number;
  readonly token: string;
  readonly entry: ProxyStatsJson | undefined;
}

export function statsOf(groups: readonly GroupSpec[], proxies: readonly ProxySpec[] = []): DashboardStats {
  const serverStats: Record<string, RedisStatsJson> = {};
  for (const g of groups)
    for (const [addr, entry] of g.servers) if (entry !== undefined) serverStats[addr] = entry;
  const proxyStats: Record<string, ProxyStatsJson> = {};
  for (const p of proxies) if (p.entry !== undefined) proxyStats[p.token] = p.entry;
  return {
    closed: false,
    slots: [],
    group: {
      models: groups.map((g) => ({
        id: g.id,
        servers: g.servers.map(([server, , action]) => ({
          server,
          datacenter: '',
          action: action ? { index: 1, state: action } : {},
          replica_group: false,
        })),
        promoting: g.promoting === undefined ? {} : { index: 1, state: g.promoting },
        out_of_sync: false,
      })),
      stats: serverStats,
    },
    proxy: {
      models: proxies.map((p) => ({
        id: p.id,
        token: p.token,
        start_time: '2026-11-25 01:27:13.000000000 +0000 UTC',
        admin_addr: `127.0.0.1:${11080 + p.id}`,
        proxy_addr: `127.0.0.1:${19000 + p.id}`,
        product_name: 'codis-demo',
      })),
      stats: proxyStats,
    },
  };
}
