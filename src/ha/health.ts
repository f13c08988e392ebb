// What codis-ha sees in the dashboard's stats (spec/control-plane.md §9.3, §12.5): the health of
// every proxy and of every server of every group, and the status lines it logs for them. Pure
// functions over the JSON of `GET /api/topom/stats/:xauth`, so every rule is tested without processes.

import type { DashboardStats, GroupJson, ProxyJson, RedisStatsJson } from '../admin/index.ts';

/** A proxy as the dashboard's last poll saw it. */
export type ProxyHealth = 'alive' | 'error' | 'timeout' | 'missing';

/**
 * A server as the dashboard's last poll saw it. `ready`: a master with no master of its own, or a
 * replica of servers[0] whose link is up; `broken`: a replica of servers[0] whose link is down;
 * `sync-error`: anything else (a master replicating, a replica of another server, a link syncing).
 */
export type ServerHealth = 'ready' | 'broken' | 'sync-error' | 'error' | 'timeout' | 'missing';

export interface ProxyState {
  readonly proxy: ProxyJson;
  readonly health: ProxyHealth;
}

export interface ServerState {
  readonly gid: number;
  readonly index: number;
  readonly addr: string;
  readonly health: ServerHealth;
  /** The server's INFO map when it answered (empty otherwise). */
  readonly info: Readonly<Record<string, string>>;
  /** The state of the server's sync action in the group ('' when none: `pending`, `syncing`...). */
  readonly action: string;
}

export interface GroupState {
  readonly group: GroupJson;
  readonly servers: readonly ServerState[];
  /** `promoting.state` of the group ('' when no promotion is under way). */
  readonly promoting: string;
}

export interface Health {
  readonly proxies: readonly ProxyState[];
  readonly groups: readonly GroupState[];
}

const present = (value: unknown): boolean => value !== undefined && value !== null;

/**
 * The health of one polled entry, as Codis's codis-ha decides it: no entry → missing; an error →
 * error; a timeout, or no stats body at all → timeout.
 */
function pollHealth(
  entry: { error?: unknown; timeout?: boolean; stats?: unknown } | null | undefined,
): 'missing' | 'error' | 'timeout' | undefined {
  if (entry === undefined || entry === null) return 'missing';
  if (present(entry.error)) return 'error';
  if (entry.timeout === true || !present(entry.stats)) return 'timeout';
  return undefined;
}

export function proxyHealth(stats: DashboardStats, token: string): ProxyHealth {
  return pollHealth(stats.proxy?.stats?.[token]) ?? 'alive';
}

/** §9.3: index 0 is ready without `master_addr`; a replica must follow servers[0] with its link up. */
export function serverHealth(
  entry: RedisStatsJson | null | undefined,
  index: number,
  masterAddr: string,
): ServerHealth {
  const polled = pollHealth(entry);
  if (polled !== undefined) return polled;
  const info = entry?.stats ?? {};
  const following = info.master_addr ?? '';
  if (index === 0) return following === '' ? 'ready' : 'sync-error';
  if (following !== masterAddr) return 'sync-error';
  switch (info.master_link_status) {
    case 'up':
      return 'ready';
    case 'down':
      return 'broken';
    default:
      return 'sync-error';
  }
}

function actionState(action: unknown): string {
  const state = (action as { state?: unknown } | null | undefined)?.state;
  return typeof state === 'string' ? state : '';
}

export function classify(stats: DashboardStats): Health {
  const proxies = (stats.proxy?.models ?? []).map((proxy) => ({
    proxy,
    health: proxyHealth(stats, proxy.token),
  }));
  const polled = stats.group?.stats ?? {};
  const groups = (stats.group?.models ?? []).map((group) => {
    const list = group.servers ?? [];
    const masterAddr = list[0]?.server ?? '';
    const servers = list.map((x, index) => {
      const entry = polled[x.server];
      return {
        gid: group.id,
        index,
        addr: x.server,
        health: serverHealth(entry, index, masterAddr),
        info: entry?.stats ?? {},
        action: actionState(x.action),
      };
    });
    const promoting = group.promoting as { state?: unknown } | null | undefined;
    return {
      group,
      servers,
      promoting: typeof promoting?.state === 'string' ? promoting.state : '',
    };
  });
  return { proxies, groups };
}

/** The marker Codis prints before a line: ` ` healthy, E error, T timeout, ? no stats, X out of sync. */
export function marker(health: ProxyHealth | ServerHealth): string {
  switch (health) {
    case 'alive':
    case 'ready':
      return '[ ]';
    case 'error':
      return '[E]';
    case 'timeout':
      return '[T]';
    case 'missing':
      return '[?]';
    case 'broken':
    case 'sync-error':
      return '[X]';
  }
}

export interface StatusLine {
  /** `info` for a healthy proxy or server, `warn` for any other. */
  readonly level: 'info' | 'warn';
  readonly text: string;
  readonly health: ProxyHealth | ServerHealth;
}

/** `[S] proxy-<id> [T] <token> [A] <admin> [P] <proxy>`, ids zero-padded and columns aligned as Codis does. */
export function proxyLines(health: Health): StatusLine[] {
  let wid = 0;
  let wadmin = 0;
  for (const { proxy } of health.proxies) {
    wid = Math.max(wid, String(proxy.id ?? 0).length);
    wadmin = Math.max(wadmin, proxy.admin_addr.length);
  }
  return health.proxies.map(({ proxy, health: h }) => ({
    level: h === 'alive' ? 'info' : 'warn',
    health: h,
    text:
      `${marker(h)} proxy-${String(proxy.id ?? 0).padStart(wid, '0')} [T] ${proxy.token}` +
      ` [A] ${proxy.admin_addr.padEnd(wadmin)} [P] ${proxy.proxy_addr}`,
  }));
}

/** `[S] group-<gid> [<index>] <addr>`, zero-padded as Codis does. */
export function groupLines(health: Health): StatusLine[] {
  let wgid = 0;
  let widx = 0;
  for (const g of health.groups) {
    wgid = Math.max(wgid, String(g.group.id).length);
    for (const s of g.servers) widx = Math.max(widx, String(s.index).length);
  }
  return health.groups.flatMap((g) =>
    g.servers.map((s) => ({
      level: s.health === 'ready' ? 'info' : 'warn',
      health: s.health,
      text:
        `${marker(s.health)} group-${String(g.group.id).padStart(wgid, '0')}` +
        ` [${String(s.index).padStart(widx, '0')}] ${s.addr}`,
    })),
  );
}
