// codis-admin --dashboard=ADDR: every dashboard mode of spec/control-plane.md §12.3, each one
// route (or a few) of the dashboard API, printing what Codis's codis-admin prints.

import { encodeGoJson, type JsonValue, type SlotMapping } from '../models/index.ts';
import { MAX_SLOTS } from '../slots/index.ts';
import type { ApiClientOptions } from './api-client.ts';
import { parseInteger, requireInteger, requireString } from './arguments.ts';
import { DashboardClient, type DashboardStats } from './dashboard-client.ts';
import type { AdminOptions } from './options.ts';
import { AdminFailure, type Console } from './output.ts';

const OVERVIEW_SECTIONS = ['config', 'model', 'stats', 'slots', 'group', 'proxy'] as const;

class Session {
  readonly client: DashboardClient;
  readonly console: Console;

  constructor(client: DashboardClient, console: Console) {
    this.client = client;
    this.console = console;
  }

  /** One call, with Codis's debug lines and its `call rpc X to dashboard A failed` on error. */
  async rpc<T>(name: string, call: () => Promise<T>): Promise<T> {
    this.console.debug(`call rpc ${name} to dashboard ${this.client.addr}`);
    try {
      const result = await call();
      this.console.debug(`call rpc ${name} OK`);
      return result;
    } catch (error) {
      throw new AdminFailure(`call rpc ${name} to dashboard ${this.client.addr} failed`, error);
    }
  }

  stats(): Promise<DashboardStats> {
    return this.rpc('stats', () => this.client.stats());
  }
}

/** Reads the model, derives the xauth from its product name (or `--product_name`) and xpings. */
export async function connectDashboard(
  options: ApiClientOptions,
  console: Console,
  productName?: string,
): Promise<DashboardClient> {
  const client = new DashboardClient(options);
  const session = new Session(client, console);
  let product = productName ?? '';
  if (product === '') {
    const model = await session.rpc('model', () => client.model());
    product = typeof model?.product_name === 'string' ? model.product_name : '';
  }
  client.setProduct(product);
  await session.rpc('xping', () => client.xping());
  return client;
}

export async function runDashboardMode(options: AdminOptions, console: Console): Promise<void> {
  const addr = requireString(options.dashboard, '--dashboard');
  const clientOptions: ApiClientOptions = { addr, adminSecret: options.adminSecret };
  const connect = async (): Promise<Session> =>
    new Session(await connectDashboard(clientOptions, console, options.productName), console);

  if (options.shutdown) {
    const s = await connect();
    await s.rpc('shutdown', () => s.client.shutdown());
  } else if (options.reload) {
    const s = await connect();
    await s.rpc('reload', () => s.client.reload());
  } else if (options.logLevel !== undefined) {
    const s = await connect();
    const level = options.logLevel;
    await s.rpc('loglevel', () => s.client.logLevel(level));
  } else if (options.slotsAssign) {
    await slotsAssign(options, connect, console);
  } else if (options.slotsStatus) {
    const s = await connect();
    console.printJson(await s.rpc('slots', () => s.client.slots()));
  } else if (options.listProxy) {
    const s = await connect();
    console.printJson((await s.stats()).proxy?.models ?? []);
  } else if (
    options.createProxy ||
    options.onlineProxy ||
    options.removeProxy ||
    options.reinitProxy ||
    options.proxyStatus
  ) {
    await proxyCommand(options, await connect());
  } else if (
    options.listGroup ||
    options.createGroup ||
    options.removeGroup ||
    options.resyncGroup ||
    options.groupAdd ||
    options.groupDel ||
    options.groupStatus ||
    options.replicaGroups ||
    options.promoteServer
  ) {
    await groupCommand(options, await connect());
  } else if (options.syncAction) {
    await syncActionCommand(options, await connect());
  } else if (options.slotAction) {
    await slotActionCommand(options, await connect());
  } else if (options.rebalance) {
    const s = await connect();
    const plan = await s.rpc('slots-rebalance', () => s.client.rebalance(options.confirm === true));
    for (const line of rebalanceLines(plan)) console.print(line);
  } else if (options.sentinelAdd || options.sentinelDel || options.sentinelResync) {
    await sentinelCommand(options, await connect());
  } else {
    await overview(options, await connect());
  }
}

async function overview(options: AdminOptions, s: Session): Promise<void> {
  const section = options.section;
  if (section !== undefined && !(OVERVIEW_SECTIONS as readonly string[]).includes(section)) {
    throw new AdminFailure(`unknown sub-command ${section}, expected one of ${OVERVIEW_SECTIONS.join('|')}`);
  }
  const o = (await s.rpc('overview', () => s.client.overview())) as Record<string, unknown>;
  const stats = (o.stats ?? {}) as Record<string, unknown>;
  switch (section) {
    case undefined:
      s.console.printJson(o);
      break;
    case 'config':
    case 'model':
    case 'stats':
      s.console.printJson(o[section] ?? null);
      break;
    default:
      s.console.printJson(stats[section] ?? null);
  }
}

async function slotsAssign(
  options: AdminOptions,
  connect: () => Promise<Session>,
  console: Console,
): Promise<void> {
  const beg = requireInteger(options.beg, '--beg');
  const end = requireInteger(options.end, '--end');
  if (beg < 0 || end >= MAX_SLOTS || beg > end) throw new AdminFailure(`invalid slot range [${beg},${end}]`);
  const offline = options.offline === true;
  const gid = offline ? 0 : requireInteger(options.gid, '--gid');
  const slots: SlotMapping[] = [];
  for (let id = beg; id <= end; id++)
    slots.push({ id, groupId: gid, action: { index: 0, state: '' as const, targetId: 0 } });
  if (options.confirm !== true) {
    console.printJson(slots.map((slot) => ({ id: slot.id, group_id: slot.groupId, action: {} })));
    return;
  }
  const s = await connect();
  if (offline) await s.rpc('slots-assign-offline', () => s.client.assignSlotsOffline(slots));
  else await s.rpc('slots-assign', () => s.client.assignSlots(slots));
}

/** The proxies named by --addr, --token or --pid (every one with --all). */
async function selectProxies(options: AdminOptions, s: Session): Promise<string[]> {
  if (options.token !== undefined) return [options.token];
  const models = (await s.stats()).proxy?.models ?? [];
  if (options.all) return models.map((p) => p.token);
  if (options.addr !== undefined) {
    const tokens = models.filter((p) => p.admin_addr === options.addr).map((p) => p.token);
    if (tokens.length === 0 && !options.force) {
      throw new AdminFailure(`can't find specific proxy with addr = ${options.addr}`);
    }
    return tokens;
  }
  if (options.pid !== undefined) {
    const pid = parseInteger(options.pid, '--pid');
    const tokens = models.filter((p) => (p.id ?? 0) === pid).map((p) => p.token);
    if (tokens.length === 0 && !options.force) {
      throw new AdminFailure(`can't find specific proxy with id = ${pid}`);
    }
    return tokens;
  }
  throw new AdminFailure('missing argument --addr, --token or --pid');
}

async function proxyCommand(options: AdminOptions, s: Session): Promise<void> {
  if (options.createProxy) {
    const addr = requireString(options.addr, '--addr');
    await s.rpc('create-proxy', () => s.client.createProxy(addr));
  } else if (options.onlineProxy) {
    const addr = requireString(options.addr, '--addr');
    await s.rpc('online-proxy', () => s.client.onlineProxy(addr));
  } else if (options.removeProxy) {
    for (const token of await selectProxies({ ...options, all: false }, s)) {
      await s.rpc('remove-proxy', () => s.client.removeProxy(token, options.force === true));
    }
  } else if (options.reinitProxy) {
    if (options.all) {
      for (const proxy of (await s.stats()).proxy?.models ?? []) {
        await s.rpc('reinit-proxy', () => s.client.reinitProxy(proxy.token));
        s.console.print(`reinit proxy: ${encodeModel(proxy)}`);
      }
      return;
    }
    for (const token of await selectProxies(options, s)) {
      await s.rpc('reinit-proxy', () => s.client.reinitProxy(token));
    }
  } else {
    for (const line of proxyStatusLines(await s.stats())) s.console.print(line);
  }
}

function encodeModel(value: unknown): string {
  return encodeGoJson(value as JsonValue);
}

/** `[S] proxy-<id> [T] <token> [A] <admin> [P] <proxy>`, S = ' ', E(rror), T(imeout), ? (no stats). */
export function proxyStatusLines(stats: DashboardStats): string[] {
  const lines: string[] = [];
  const polled = stats.proxy?.stats ?? {};
  for (const p of stats.proxy?.models ?? []) {
    const x = polled[p.token];
    let status = ' ';
    if (x === undefined || x === null) status = '?';
    else if (x.error !== undefined && x.error !== null) status = 'E';
    else if (x.timeout === true) status = 'T';
    lines.push(`[${status}] proxy-${p.id ?? 0} [T] ${p.token} [A] ${p.admin_addr} [P] ${p.proxy_addr}`);
  }
  return lines;
}

/**
 * One line per server (spec §9.3): `[S] group-<gid> [<index>] <addr>      ==> <actual master>`,
 * S = ' ' (as expected), X (mismatch), E (error), T (timeout), ? (no stats yet).
 */
export function groupStatusLines(stats: DashboardStats): string[] {
  const models = stats.group?.models ?? [];
  const polled = stats.group?.stats ?? {};
  let wgid = 0;
  let widx = 0;
  let wsrv = 0;
  for (const g of models) {
    wgid = Math.max(wgid, String(g.id).length);
    (g.servers ?? []).forEach((x, i) => {
      widx = Math.max(widx, String(i).length);
      wsrv = Math.max(wsrv, x.server.length);
    });
  }
  const lines: string[] = [];
  for (const g of models) {
    const servers = g.servers ?? [];
    servers.forEach((x, i) => {
      const label =
        `group-${String(g.id).padStart(wgid, '0')} [${String(i).padStart(widx, '0')}] ` +
        x.server.padEnd(wsrv);
      const v = polled[x.server];
      if (v === undefined || v === null) {
        lines.push(`[?] ${label}`);
      } else if (v.timeout === true) {
        lines.push(`[T] ${label}`);
      } else if (v.error !== undefined && v.error !== null) {
        lines.push(`[E] ${label}`);
      } else {
        const info = v.stats ?? {};
        const expect = i === 0 ? 'NO:ONE' : `${servers[0]?.server ?? ''}:up`;
        const master =
          info.master_addr !== undefined ? `${info.master_addr}:${info.master_link_status ?? ''}` : 'NO:ONE';
        lines.push(`[${master === expect ? ' ' : 'X'}] ${label}      ==> ${master}`);
      }
    });
  }
  return lines;
}

async function groupCommand(options: AdminOptions, s: Session): Promise<void> {
  if (options.listGroup) {
    s.console.printJson((await s.stats()).group?.models ?? []);
  } else if (options.createGroup) {
    const gid = requireInteger(options.gid, '--gid');
    await s.rpc('create-group', () => s.client.createGroup(gid));
  } else if (options.removeGroup) {
    const gid = requireInteger(options.gid, '--gid');
    await s.rpc('remove-group', () => s.client.removeGroup(gid));
  } else if (options.resyncGroup) {
    if (options.all) {
      for (const g of (await s.stats()).group?.models ?? []) {
        await s.rpc('resync-group', () => s.client.resyncGroup(g.id));
      }
    } else {
      const gid = requireInteger(options.gid, '--gid');
      await s.rpc('resync-group', () => s.client.resyncGroup(gid));
    }
  } else if (options.groupAdd) {
    const gid = requireInteger(options.gid, '--gid');
    const addr = requireString(options.addr, '--addr');
    await s.rpc('group-add', () => s.client.groupAddServer(gid, addr, options.datacenter ?? ''));
  } else if (options.groupDel) {
    const gid = requireInteger(options.gid, '--gid');
    const addr = requireString(options.addr, '--addr');
    await s.rpc('group-del', () => s.client.groupDelServer(gid, addr));
  } else if (options.replicaGroups) {
    const gid = requireInteger(options.gid, '--gid');
    const addr = requireString(options.addr, '--addr');
    if (options.enable === options.disable) throw new AdminFailure('expected one of --enable or --disable');
    await s.rpc('replica-groups', () => s.client.replicaGroups(gid, addr, options.enable === true));
  } else if (options.promoteServer) {
    const gid = requireInteger(options.gid, '--gid');
    const addr = requireString(options.addr, '--addr');
    await s.rpc('promote-server', () => s.client.promoteServer(gid, addr));
    // As Codis: the status right away, with the statistics of the last poll (stale).
    for (const line of groupStatusLines(await s.stats())) s.console.print(line);
  } else {
    for (const line of groupStatusLines(await s.stats())) s.console.print(line);
  }
}

async function syncActionCommand(options: AdminOptions, s: Session): Promise<void> {
  const addr = requireString(options.addr, '--addr');
  if (options.create) await s.rpc('create-sync-action', () => s.client.createSyncAction(addr));
  else if (options.remove) await s.rpc('remove-sync-action', () => s.client.removeSyncAction(addr));
  else throw new AdminFailure('expected one of --create or --remove');
}

async function slotActionCommand(options: AdminOptions, s: Session): Promise<void> {
  if (options.create) {
    const sid = requireInteger(options.sid, '--sid');
    const gid = requireInteger(options.gid, '--gid');
    await s.rpc('create-slot-action', () => s.client.createSlotAction(sid, gid));
  } else if (options.remove) {
    const sid = requireInteger(options.sid, '--sid');
    await s.rpc('remove-slot-action', () => s.client.removeSlotAction(sid));
  } else if (options.createSome) {
    const from = requireInteger(options.gidFrom, '--gid-from');
    const to = requireInteger(options.gidTo, '--gid-to');
    const num = requireInteger(options.numSlots, '--num-slots');
    await s.rpc('create-slot-action-some', () => s.client.createSlotActionSome(from, to, num));
  } else if (options.createRange) {
    const beg = requireInteger(options.beg, '--beg');
    const end = requireInteger(options.end, '--end');
    const gid = requireInteger(options.gid, '--gid');
    await s.rpc('create-slot-action-range', () => s.client.createSlotActionRange(beg, end, gid));
  } else if (options.interval !== undefined) {
    const value = parseInteger(options.interval, '--interval');
    await s.rpc('slot-action-interval', () => s.client.setSlotActionInterval(value));
  } else if (options.disabled !== undefined) {
    const value = parseInteger(options.disabled, '--disabled');
    await s.rpc('slot-action-disabled', () => s.client.setSlotActionDisabled(value));
  } else {
    throw new AdminFailure(
      'expected one of --create, --remove, --create-some, --create-range, --interval or --disabled',
    );
  }
}

async function sentinelCommand(options: AdminOptions, s: Session): Promise<void> {
  if (options.sentinelAdd) {
    const addr = requireString(options.addr, '--addr');
    await s.rpc('sentinel-add', () => s.client.addSentinel(addr));
  } else if (options.sentinelDel) {
    const addr = requireString(options.addr, '--addr');
    await s.rpc('sentinel-del', () => s.client.delSentinel(addr, options.force === true));
  } else {
    await s.rpc('sentinel-resync', () => s.client.resyncSentinels());
  }
}

/** The plan as Codis prints it: consecutive slots going to one group as `[%04d,%04d] => gid`. */
export function rebalanceLines(plan: Record<string, number>): string[] {
  const entries = Object.entries(plan)
    .map(([sid, gid]) => [Number(sid), gid] as const)
    .sort((a, b) => a[0] - b[0]);
  if (entries.length === 0) return ['nothing changes'];
  const lines: string[] = [];
  const id = (n: number): string => String(n).padStart(4, '0');
  let [beg, gid] = entries[0] as readonly [number, number];
  let end = beg;
  for (const [sid, g] of entries.slice(1)) {
    if (sid === end + 1 && g === gid) {
      end = sid;
      continue;
    }
    lines.push(`[${id(beg)},${id(end)}] => ${gid}`);
    beg = sid;
    end = sid;
    gid = g;
  }
  lines.push(`[${id(beg)},${id(end)}] => ${gid}`);
  lines.push('done');
  return lines;
}
