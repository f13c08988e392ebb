// The dashboard's state and operations (spec/control-plane.md §5, §7–§11): the product lock, the
// cache of the coordinator, proxies, groups, slot actions and their scheduler, SLAVEOF jobs,
// promotion, rebalance, sentinels and stats. Every state change is written to the coordinator
// before it is acted on (or, for the proxy pushes of §8.4, the coordinator keeps the earlier state
// until every proxy has it), so a dashboard killed at any point resumes where it stopped.

import type { Logger } from 'pino';
import { LockHeldError } from '../coordinator/errors.ts';
import { ProductStore } from '../coordinator/product-store.ts';
import type { Store, StoreLock } from '../coordinator/store.ts';
import {
  emptyGroup,
  type Group,
  type GroupServer,
  goTimeNow,
  groupServer,
  groupToJson,
  type JsonObject,
  type JsonValue,
  offlineSlot,
  type ProxyModel,
  proxyFromJson,
  proxyToJson,
  type Sentinel,
  type SlotMapping,
  sentinelToJson,
  slotMappingToJson,
  type Topom as TopomModel,
} from '../models/index.ts';
import { MAX_GROUP_ID } from '../models/paths.ts';
import type { ProxySlot } from '../proxy/slot.ts';
import { RespError, type RespValue } from '../resp/index.ts';
import { MAX_SLOTS } from '../slots/index.ts';
import { dashboardXAuth } from './auth.ts';
import type { DashboardConfig } from './config.ts';
import { DashboardError, errorText, fail } from './errors.ts';
import { Mutex, sleep, Wakeup } from './mutex.ts';
import { ProxyClient } from './proxy-client.ts';
import { rebalancePlan } from './rebalance.ts';
import { pairsToMap, parseInfo, RedisClient, serverInfo, withRedis } from './redis-client.ts';
import { SentinelWatcher } from './sentinel-watcher.ts';
import { renderSlot } from './slot-view.ts';

/** Timings of the background loops, in ms; tests shorten them. */
export interface TopomTimings {
  /** Pause between scheduler passes and SLAVEOF jobs (Codis: 1 s). */
  loop: number;
  /** Extra pause after a failed pass (Codis: 5 s). */
  errorBackoff: number;
  /** Stats polling period (Codis: 1 s) and each probe's deadline. */
  stats: number;
  /** Bound on every proxy admin call. */
  proxyTimeout: number;
}

export const DEFAULT_TIMINGS: TopomTimings = {
  loop: 1000,
  errorBackoff: 5000,
  stats: 1000,
  proxyTimeout: 5000,
};

export interface TopomOptions {
  config: DashboardConfig;
  store: Store;
  logger: Logger;
  model: TopomModel;
  timings?: Partial<TopomTimings>;
}

interface Progress {
  interval: number;
  disabled: boolean;
  status: string;
  executor: number;
  keysMoved: number;
}

/** The migration run in progress (a pass with work), for the progress figures in the stats. */
interface MigrationRun {
  /** Date.now() when the run started; 0 when no migration is running. */
  started: number;
  slotsDone: number;
  /** progress.keysMoved when the run started. */
  keysAtStart: number;
}

/** SLOTSMGRTTAGSLOT calls sent at once for one slot in one round of the sync copy. */
const SYNC_PIPELINE = 16;

const pad4 = (n: number): string => String(n).padStart(4, '0');

function withState(m: SlotMapping, state: SlotMapping['action']['state']): SlotMapping {
  return { ...cloneSlot(m), action: { ...m.action, state } };
}

/** Slot ids for logs: `3,5-9,12`. */
function describeIds(mappings: SlotMapping[]): string {
  const ids = mappings.map((m) => m.id).sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < ids.length; ) {
    let j = i;
    while (j + 1 < ids.length && (ids[j + 1] as number) === (ids[j] as number) + 1) j++;
    parts.push(i === j ? String(ids[i]) : `${ids[i]}-${ids[j]}`);
    i = j + 1;
  }
  return parts.join(',');
}

function cloneGroup(g: Group): Group {
  return {
    id: g.id,
    servers: g.servers.map((s) => ({ ...s, action: { ...s.action } })),
    promoting: { ...g.promoting },
    outOfSync: g.outOfSync,
  };
}

function cloneSlot(m: SlotMapping): SlotMapping {
  return { id: m.id, groupId: m.groupId, action: { ...m.action } };
}

function splitHostPort(addr: string): [string, string] {
  const colon = addr.lastIndexOf(':');
  return [addr.slice(0, colon), addr.slice(colon + 1)];
}

function remoteError(error: unknown): JsonObject {
  return { Cause: errorText(error), Stack: null };
}

function unixtime(): number {
  return Math.floor(Date.now() / 1000);
}

/** A bounded probe: its value, or `timeout`. */
async function probe<T>(
  ms: number,
  fn: () => Promise<T>,
): Promise<{ value: T } | { error: unknown } | 'timeout'> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), ms);
  });
  try {
    return await Promise.race([fn().then((value) => ({ value })), deadline]);
  } catch (error) {
    return { error };
  } finally {
    clearTimeout(timer);
  }
}

export class Topom {
  readonly config: DashboardConfig;
  readonly store: ProductStore;
  readonly log: Logger;
  /** Set once the admin address is known (the token depends on it). */
  model: TopomModel;
  readonly xauth: string;
  readonly timings: TopomTimings;

  online = false;
  closed = false;

  private lock: StoreLock | undefined;
  private slots: SlotMapping[] = [];
  private groups = new Map<number, Group>();
  private proxies = new Map<string, ProxyModel>();
  private sentinel: Sentinel = { servers: [], outOfSync: false };
  private dirty = true;
  private readonly mutex = new Mutex();
  private readonly progress: Progress = {
    interval: 0,
    disabled: false,
    status: '',
    executor: 0,
    keysMoved: 0,
  };
  private readonly run: MigrationRun = { started: 0, slotsDone: 0, keysAtStart: 0 };
  private readonly slotWakeup = new Wakeup();
  private serverStats = new Map<string, JsonObject>();
  private proxyStats = new Map<string, JsonObject>();
  private sentinelStats = new Map<string, JsonObject>();
  private haMasters: Record<string, string> = {};
  private watcher: SentinelWatcher | undefined;
  private readonly stopping = new AbortController();
  private loops: Promise<void>[] = [];

  constructor(options: TopomOptions) {
    this.config = options.config;
    this.store = new ProductStore(options.store, options.config.product_name);
    this.log = options.logger;
    this.model = options.model;
    this.xauth = dashboardXAuth(options.config.product_name);
    this.timings = { ...DEFAULT_TIMINGS, ...options.timings };
  }

  // ---- Lifecycle (§5.1, §5.2) ----

  /**
   * Takes the product lock, retrying every `retryMs` (Codis: 2 s, 17 attempts). A lock held by a
   * live dashboard fails each attempt with the spec's message; a dead holder's lock is taken over.
   */
  async goOnline(attempts = 17, retryMs = 2000): Promise<void> {
    for (let i = 0; ; i++) {
      if (this.closed) fail('use of closed topom');
      try {
        this.lock = await this.store.acquireLock(this.model);
        break;
      } catch (error) {
        const holder =
          error instanceof LockHeldError ? ` (held by ${error.holder})` : ` (${errorText(error)})`;
        this.log.error(`store: acquire lock of ${this.config.product_name} failed${holder}`);
        if (i + 1 >= attempts) {
          throw new DashboardError(
            `dashboard online failed, give up & abort :'(${holder}`,
            'ERR_DASHBOARD_LOCK',
          );
        }
        this.log.warn(`dashboard online failed [${i}]`);
        await sleep(retryMs, this.stopping.signal);
      }
    }
    this.lock.lost.addEventListener('abort', () => {
      if (!this.closed)
        this.log.error(`lock of ${this.config.product_name} lost: ${errorText(this.lock?.lost.reason)}`);
    });
    await this.load();
    this.online = true;
    this.log.warn('dashboard is working ...');
    const signal = this.stopping.signal;
    this.loops = [
      this.loop('slot action', () => this.processSlotActions(), signal, this.slotWakeup),
      this.loop('sync action', () => this.processSyncAction(), signal),
      this.statsLoop(signal),
    ];
    this.rewatchSentinels(this.sentinel.servers);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.stopping.abort();
    this.watcher?.stop();
    this.watcher = undefined;
    await Promise.allSettled(this.loops);
    // Wait for an operation in progress, then release the lock (§5.1 step 9).
    await this.mutex.run(async () => undefined);
    if (this.lock !== undefined) {
      try {
        await this.lock.release();
      } catch (error) {
        this.log.error(`release lock failed: ${errorText(error)}`);
      }
    }
    this.online = false;
  }

  private async load(): Promise<void> {
    const [slots, groups, proxies, sentinel] = await Promise.all([
      this.store.readSlots(),
      this.store.readGroups(),
      this.store.readProxies(),
      this.store.readSentinel(),
    ]);
    this.slots = slots;
    this.groups = new Map(groups.map((g) => [g.id, g]));
    this.proxies = new Map(proxies.map((p) => [p.token, p]));
    this.sentinel = sentinel;
    this.dirty = false;
  }

  private check(): void {
    if (this.closed) fail('use of closed topom');
    if (!this.online) fail('topom is not online');
  }

  /** Runs an operation under the mutex with a fresh cache (§5.4). */
  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    return this.mutex.run(async () => {
      this.check();
      if (this.dirty) await this.load();
      try {
        return await fn();
      } catch (error) {
        // A failed write may or may not have landed: re-read before the next operation.
        if (!(error instanceof DashboardError)) this.dirty = true;
        throw error;
      }
    });
  }

  private async loop(
    name: string,
    pass: () => Promise<unknown>,
    signal: AbortSignal,
    wakeup?: Wakeup,
  ): Promise<void> {
    while (!signal.aborted) {
      try {
        await pass();
      } catch (error) {
        if (signal.aborted) return;
        this.log.warn({ err: errorText(error) }, `process ${name} failed`);
        await sleep(this.timings.errorBackoff, signal);
      }
      // New work (a slot action created) ends the pause at once rather than up to a loop later.
      if (wakeup !== undefined) await wakeup.wait(this.timings.loop, signal);
      else await sleep(this.timings.loop, signal);
    }
  }

  // ---- Coordinator writes: persisted first, then cached ----

  private async writeSlot(m: SlotMapping): Promise<void> {
    this.log.info(`update slot-[${m.id}]: ${JSON.stringify(slotMappingToJson(m))}`);
    await this.store.updateSlot(m);
    this.slots[m.id] = m;
  }

  private async writeGroup(g: Group): Promise<void> {
    this.log.info(`update group-[${g.id}]: ${JSON.stringify(groupToJson(g))}`);
    await this.store.updateGroup(g);
    this.groups.set(g.id, g);
  }

  private async writeProxy(p: ProxyModel): Promise<void> {
    await this.store.updateProxy(p);
    this.proxies.set(p.token, p);
  }

  private async writeSentinel(s: Sentinel): Promise<void> {
    await this.store.updateSentinel(s);
    this.sentinel = s;
  }

  // ---- Lookups ----

  private group(gid: number): Group {
    const g = this.groups.get(gid);
    if (g === undefined) fail(`group-[${gid}] doesn't exist`);
    return g;
  }

  private slot(sid: number): SlotMapping {
    const m = sid >= 0 && sid < MAX_SLOTS ? this.slots[sid] : undefined;
    if (m === undefined) fail(`slot-[${sid}] doesn't exist`);
    return m;
  }

  private groupOfServer(addr: string): [Group, number] | undefined {
    for (const g of this.groups.values()) {
      const i = g.servers.findIndex((s) => s.addr === addr);
      if (i >= 0) return [g, i];
    }
    return undefined;
  }

  private isGroupInUse(gid: number): boolean {
    return this.slots.some((m) => m.groupId === gid || m.action.targetId === gid);
  }

  private master(gid: number): string {
    return this.groups.get(gid)?.servers[0]?.addr ?? '';
  }

  private forwardMethod(): number {
    return this.config.migration_method === 'sync' ? 0 : 1;
  }

  private proxyClient(p: ProxyModel): ProxyClient {
    return new ProxyClient(
      p.adminAddr,
      this.config.product_name,
      this.config.product_auth,
      p.token,
      this.timings.proxyTimeout,
    );
  }

  private render(m: SlotMapping, groups: ReadonlyMap<number, Group>, proxy?: ProxyModel): ProxySlot {
    return renderSlot(m, { groups, forwardMethod: this.forwardMethod() }, proxy);
  }

  // ---- Pushing to proxies (§7.2) ----

  /** Sends the mappings to every proxy at once; any failure fails the whole push. */
  private async resyncSlots(
    mappings: SlotMapping[],
    groups: ReadonlyMap<number, Group> = this.groups,
  ): Promise<void> {
    if (mappings.length === 0) return;
    const proxies = [...this.proxies.values()];
    const results = await Promise.allSettled(
      proxies.map((p) => this.proxyClient(p).fillSlots(mappings.map((m) => this.render(m, groups, p)))),
    );
    let failed: string | undefined;
    results.forEach((r, i) => {
      if (r.status === 'rejected') {
        const token = proxies[i]?.token ?? '';
        this.log.warn({ err: errorText(r.reason) }, `proxy-[${token}] resync slots failed`);
        failed = token;
      }
    });
    if (failed !== undefined) fail(`proxy-[${failed}] resync slots failed`);
  }

  private async reinitProxy(p: ProxyModel): Promise<void> {
    const client = this.proxyClient(p);
    try {
      await client.fillSlots(this.slots.map((m) => this.render(m, this.groups, p)));
    } catch (error) {
      this.log.warn({ err: errorText(error) }, `proxy-[${p.token}] fillslots failed`);
      fail(`proxy-[${p.token}] fillslots failed`);
    }
    try {
      await client.start();
    } catch (error) {
      this.log.warn({ err: errorText(error) }, `proxy-[${p.token}] start failed`);
      fail(`proxy-[${p.token}] start failed`);
    }
    try {
      await client.setSentinels(sentinelToJson(this.sentinel));
    } catch (error) {
      this.log.warn({ err: errorText(error) }, `proxy-[${p.token}] set sentinels failed`);
      fail(`proxy-[${p.token}] set sentinels failed`);
    }
  }

  // ---- Proxies ----

  private async fetchProxy(addr: string, withCause: boolean): Promise<ProxyModel> {
    let model: ProxyModel;
    try {
      model = proxyFromJson(await ProxyClient.model(addr, this.timings.proxyTimeout));
    } catch (error) {
      fail(`proxy@${addr} fetch model failed${withCause ? `, ${errorText(error)}` : ''}`);
    }
    try {
      await this.proxyClient(model).xping();
    } catch (error) {
      fail(`proxy@${addr} check xauth failed${withCause ? `, ${errorText(error)}` : ''}`);
    }
    return model;
  }

  private nextProxyId(): number {
    let max = 0;
    for (const p of this.proxies.values()) max = Math.max(max, p.id);
    return max + 1;
  }

  createProxy(addr: string): Promise<void> {
    return this.exclusive(async () => {
      const model = await this.fetchProxy(addr, true);
      if (this.proxies.has(model.token)) fail(`proxy-[${model.token}] already exists`);
      const p = { ...model, id: this.nextProxyId() };
      await this.writeProxy(p);
      await this.reinitProxy(p);
      await this.pollProxy(p);
    });
  }

  onlineProxy(addr: string): Promise<void> {
    return this.exclusive(async () => {
      const model = await this.fetchProxy(addr, false);
      const old = this.proxies.get(model.token);
      const p = { ...model, id: old !== undefined ? old.id : this.nextProxyId() };
      await this.writeProxy(p);
      await this.reinitProxy(p);
      await this.pollProxy(p);
    });
  }

  reinitProxyByToken(token: string): Promise<void> {
    return this.exclusive(async () => {
      const p = this.proxies.get(token);
      if (p === undefined) fail(`proxy-[${token}] doesn't exist`);
      await this.reinitProxy(p);
    });
  }

  removeProxy(token: string, force: boolean): Promise<void> {
    return this.exclusive(async () => {
      const p = this.proxies.get(token);
      if (p === undefined) fail(`proxy-[${token}] doesn't exist`);
      try {
        await this.proxyClient(p).shutdown();
      } catch (error) {
        this.log.warn({ err: errorText(error) }, `proxy-[${token}] shutdown failed`);
        if (!force) fail(`proxy-[${token}] shutdown failed`);
      }
      await this.store.deleteProxy(token);
      this.proxies.delete(token);
      this.proxyStats.delete(token);
    });
  }

  // ---- Groups (§9.1) ----

  createGroup(gid: number): Promise<void> {
    return this.exclusive(async () => {
      if (gid <= 0 || gid > MAX_GROUP_ID) fail(`invalid group id = ${gid}, out of range`);
      if (this.groups.has(gid)) fail(`group-[${gid}] already exists`);
      await this.writeGroup(emptyGroup(gid));
    });
  }

  removeGroup(gid: number): Promise<void> {
    return this.exclusive(async () => {
      const g = this.group(gid);
      if (g.servers.length !== 0) fail(`group-[${gid}] isn't empty`);
      await this.store.deleteGroup(gid);
      this.groups.delete(gid);
    });
  }

  private async resyncGroupLocked(gid: number): Promise<void> {
    const g = this.group(gid);
    await this.resyncSlots(this.slots.filter((m) => m.groupId === gid || m.action.targetId === gid));
    const next = cloneGroup(g);
    next.outOfSync = false;
    await this.writeGroup(next);
  }

  resyncGroup(gid: number): Promise<void> {
    return this.exclusive(() => this.resyncGroupLocked(gid));
  }

  resyncGroupAll(): Promise<void> {
    return this.exclusive(async () => {
      for (const gid of [...this.groups.keys()].sort((a, b) => a - b)) await this.resyncGroupLocked(gid);
    });
  }

  private async markSentinelOutOfSync(): Promise<void> {
    if (this.sentinel.servers.length > 0 && !this.sentinel.outOfSync) {
      await this.writeSentinel({ servers: [...this.sentinel.servers], outOfSync: true });
    }
  }

  /** Checks the address is a codis-server (SLOTSINFO), as the HTTP layer of Codis does first. */
  async checkServer(addr: string): Promise<void> {
    this.check();
    await withRedis(addr, this.config.product_auth, 1000, async (c) => {
      await c.ok('SLOTSINFO');
    });
  }

  addServer(gid: number, addr: string, datacenter: string): Promise<void> {
    return this.exclusive(async () => {
      if (addr === '') fail('invalid server address');
      if (this.groupOfServer(addr) !== undefined) fail(`server-[${addr}] already exists`);
      const g = this.group(gid);
      if (g.promoting.state !== '') fail(`group-[${gid}] is promoting`);
      await this.markSentinelOutOfSync();
      const next = cloneGroup(g);
      next.servers.push(groupServer(addr, datacenter));
      await this.writeGroup(next);
    });
  }

  delServer(gid: number, addr: string): Promise<void> {
    return this.exclusive(async () => {
      const g = this.group(gid);
      const index = g.servers.findIndex((s) => s.addr === addr);
      if (index < 0) fail(`group-[${gid}] doesn't have server-[${addr}]`);
      if (g.promoting.state !== '') fail(`group-[${gid}] is promoting`);
      if (index === 0 && (g.servers.length !== 1 || this.isGroupInUse(gid))) {
        fail(`group-[${gid}] can't remove master, still in use`);
      }
      await this.markSentinelOutOfSync();
      const next = cloneGroup(g);
      const [removed] = next.servers.splice(index, 1);
      if (index !== 0 && removed?.replicaGroup === true) next.outOfSync = true;
      if (next.servers.length === 0) next.outOfSync = false;
      await this.writeGroup(next);
      this.serverStats.delete(addr);
    });
  }

  replicaGroups(gid: number, addr: string, value: boolean): Promise<void> {
    return this.exclusive(async () => {
      const g = this.group(gid);
      const index = g.servers.findIndex((s) => s.addr === addr);
      if (index < 0) fail(`group-[${gid}] doesn't have server-[${addr}]`);
      if (g.promoting.state !== '') fail(`group-[${gid}] is promoting`);
      const next = cloneGroup(g);
      (next.servers[index] as GroupServer).replicaGroup = value;
      if (next.servers.length > 1 && this.isGroupInUse(gid)) next.outOfSync = true;
      await this.writeGroup(next);
    });
  }

  replicaGroupsAll(value: boolean): Promise<void> {
    return this.exclusive(async () => {
      for (const g of [...this.groups.values()].sort((a, b) => a.id - b.id)) {
        if (g.promoting.state !== '') fail(`group-[${g.id}] is promoting`);
        if (g.servers.every((s) => s.replicaGroup === value)) continue;
        const next = cloneGroup(g);
        for (const s of next.servers) s.replicaGroup = value;
        if (next.servers.length > 1 && this.isGroupInUse(g.id)) next.outOfSync = true;
        await this.writeGroup(next);
      }
    });
  }

  // ---- SLAVEOF jobs (§9.2) ----

  createSyncAction(addr: string): Promise<void> {
    return this.exclusive(async () => {
      const found = this.groupOfServer(addr);
      if (found === undefined) fail(`server-[${addr}] doesn't exist`);
      const [g, index] = found;
      if (g.promoting.state !== '') fail(`group-[${g.id}] is promoting`);
      if (g.servers[index]?.action.state === 'pending') fail(`server-[${addr}] action already exist`);
      let max = 0;
      for (const group of this.groups.values()) {
        for (const s of group.servers) if (s.action.state === 'pending') max = Math.max(max, s.action.index);
      }
      const next = cloneGroup(g);
      (next.servers[index] as GroupServer).action = { index: max + 1, state: 'pending' };
      await this.writeGroup(next);
    });
  }

  removeSyncAction(addr: string): Promise<void> {
    return this.exclusive(async () => {
      const found = this.groupOfServer(addr);
      if (found === undefined) fail(`server-[${addr}] doesn't exist`);
      const [g, index] = found;
      if (g.promoting.state !== '') fail(`group-[${g.id}] is promoting`);
      if (g.servers[index]?.action.state === '') fail(`server-[${addr}] action doesn't exist`);
      const next = cloneGroup(g);
      (next.servers[index] as GroupServer).action = { index: 0, state: '' };
      await this.writeGroup(next);
    });
  }

  /** One SLAVEOF job: pick, persist `syncing`, run the transaction, persist the outcome. */
  private async processSyncAction(): Promise<void> {
    const job = await this.exclusive(async () => {
      let best: [Group, number] | undefined;
      for (const g of this.groups.values()) {
        g.servers.forEach((s, i) => {
          if (s.action.state !== 'pending') return;
          const b = best === undefined ? undefined : best[0].servers[best[1]];
          if (b === undefined || s.action.index < b.action.index) best = [g, i];
        });
      }
      if (best === undefined) return undefined;
      const [g, index] = best;
      if (g.promoting.state !== '') return undefined;
      const next = cloneGroup(g);
      const server = next.servers[index] as GroupServer;
      this.log.warn(`server-[${server.addr}] action prepare`);
      server.action = { index: 0, state: 'syncing' };
      await this.writeGroup(next);
      return {
        gid: g.id,
        addr: server.addr,
        master: index === 0 ? 'NO:ONE' : (next.servers[0] as GroupServer).addr,
      };
    });
    if (job === undefined) return;
    let failed = false;
    try {
      await this.slaveOf(job.addr, job.master, 30_000);
    } catch (error) {
      this.log.warn({ err: errorText(error) }, `redis ${job.addr} set master to ${job.master} failed`);
      failed = true;
    }
    await this.exclusive(async () => {
      const g = this.groups.get(job.gid);
      const index = g?.servers.findIndex((s) => s.addr === job.addr) ?? -1;
      if (g === undefined || index < 0 || g.promoting.state !== '') return;
      if (g.servers[index]?.action.state !== 'syncing') return;
      const next = cloneGroup(g);
      (next.servers[index] as GroupServer).action = { index: 0, state: failed ? 'synced_failed' : 'synced' };
      this.log.warn(`server-[${job.addr}] action failed = ${failed}`);
      await this.writeGroup(next);
    });
  }

  /** `SLAVEOF` in one transaction with masterauth, CONFIG REWRITE and a client kill (§9.2 step 3). */
  private async slaveOf(addr: string, master: string, timeout: number): Promise<void> {
    await withRedis(addr, this.config.product_auth, timeout, async (c) => {
      const [host, port] = master === 'NO:ONE' ? ['NO', 'ONE'] : splitHostPort(master);
      await c.ok('MULTI');
      await c.ok('CONFIG', 'SET', 'masterauth', this.config.product_auth);
      await c.ok('SLAVEOF', host, port);
      await c.ok('CONFIG', 'REWRITE');
      await c.ok('CLIENT', 'KILL', 'TYPE', 'normal');
      const replies = await c.ok('EXEC');
      if (Array.isArray(replies)) {
        for (const r of replies) if (r instanceof RespError) throw new DashboardError(r.message);
      }
    });
  }

  // ---- Promote (§9.4) ----

  promoteServer(gid: number, addr: string): Promise<void> {
    return this.exclusive(async () => {
      let g = this.group(gid);
      const index = g.servers.findIndex((s) => s.addr === addr);
      if (index < 0) fail(`group-[${gid}] doesn't have server-[${addr}]`);
      if (g.promoting.state !== '') {
        if (index !== g.promoting.index) fail(`group-[${gid}] is promoting index = ${g.promoting.index}`);
      } else if (index === 0) {
        fail(`group-[${gid}] can't promote master`);
      }
      if (this.progress.executor !== 0) fail(`slots-migration is running = ${this.progress.executor}`);
      const groupSlots = (): SlotMapping[] =>
        this.slots.filter((m) => m.groupId === gid || m.action.targetId === gid);

      if (g.promoting.state === '') {
        g = cloneGroup(g);
        g.promoting = { index, state: 'preparing' };
        await this.writeGroup(g);
      }
      if (g.promoting.state === 'preparing') {
        const prepared = cloneGroup(g);
        prepared.promoting.state = 'prepared';
        const view = new Map(this.groups).set(gid, prepared);
        try {
          await this.resyncSlots(groupSlots(), view);
        } catch (error) {
          this.log.warn(`group-[${gid}] resync-rollback to preparing`);
          await this.resyncSlots(groupSlots()).catch(() => undefined);
          throw error;
        }
        await this.writeGroup(prepared);
        g = prepared;
      }
      if (g.promoting.state === 'prepared') {
        if (this.sentinel.servers.length > 0) {
          await this.writeSentinel({ servers: [...this.sentinel.servers], outOfSync: true });
          await this.sentinelRemoveGroups([gid]).catch((error: unknown) => {
            this.log.warn({ err: errorText(error) }, `group-[${gid}] remove sentinel monitor failed`);
          });
          delete this.haMasters[String(gid)];
        }
        const next = cloneGroup(g);
        const i = g.promoting.index;
        const promoted = next.servers[i] as GroupServer;
        const others = next.servers.filter((_, k) => k !== 0 && k !== i);
        next.servers = [promoted, ...others, next.servers[0] as GroupServer];
        for (const s of next.servers) s.action = { index: 0, state: '' };
        next.promoting = { index: 0, state: 'finished' };
        await this.writeGroup(next);
        try {
          await this.slaveOf(promoted.addr, 'NO:ONE', 1000);
        } catch (error) {
          this.log.warn({ err: errorText(error) }, `redis ${promoted.addr} set master to NO:ONE failed`);
        }
        g = next;
      }
      if (g.promoting.state === 'finished') {
        await this.resyncSlots(groupSlots());
        const done = cloneGroup(g);
        done.promoting = { index: 0, state: '' };
        done.outOfSync = false;
        await this.writeGroup(done);
      }
    });
  }

  // ---- Slot actions (§8.3) ----

  private nextActionIndex(): number {
    let max = 0;
    for (const m of this.slots) if (m.action.state !== '') max = Math.max(max, m.action.index);
    return max + 1;
  }

  private targetGroup(gid: number): Group {
    const g = this.group(gid);
    if (g.servers.length === 0) fail(`group-[${gid}] is empty`);
    return g;
  }

  createSlotAction(sid: number, gid: number): Promise<void> {
    return this.queued(async () => {
      this.targetGroup(gid);
      const m = this.slot(sid);
      if (m.action.state !== '') fail(`slot-[${sid}] action already exists`);
      if (m.groupId === gid) fail(`slot-[${sid}] already in group-[${gid}]`);
      await this.writeSlot({
        id: sid,
        groupId: m.groupId,
        action: { index: this.nextActionIndex(), state: 'pending', targetId: gid },
      });
    });
  }

  /** An operation that queues slot actions: the scheduler is woken when it succeeds. */
  private async queued<T>(fn: () => Promise<T>): Promise<T> {
    const result = await this.exclusive(fn);
    this.slotWakeup.kick();
    return result;
  }

  /** Writes `pending` actions with consecutive indices (§8.3), all writes issued at once. */
  private async queueSlots(targets: [SlotMapping, number][]): Promise<void> {
    const first = this.nextActionIndex();
    await this.writeSlots(
      targets.map(([m, gid], i) => ({
        id: m.id,
        groupId: m.groupId,
        action: { index: first + i, state: 'pending' as const, targetId: gid },
      })),
    );
  }

  createSlotActionRange(beg: number, end: number, gid: number): Promise<void> {
    return this.queued(async () => {
      if (!(beg >= 0 && beg <= end && end < MAX_SLOTS)) fail(`invalid slot range [${beg},${end}]`);
      this.targetGroup(gid);
      for (let sid = beg; sid <= end; sid++) {
        const m = this.slot(sid);
        if (m.action.state !== '') fail(`slot-[${sid}] action already exists`);
        if (m.groupId === gid) fail(`slot-[${sid}] already in group-[${gid}]`);
      }
      const targets: [SlotMapping, number][] = [];
      for (let sid = beg; sid <= end; sid++) targets.push([this.slot(sid), gid]);
      await this.queueSlots(targets);
    });
  }

  createSlotActionSome(src: number, dst: number, num: number): Promise<void> {
    return this.queued(async () => {
      this.targetGroup(dst);
      if (src === dst) return;
      const targets: [SlotMapping, number][] = [];
      for (const m of this.slots) {
        if (targets.length >= num) break;
        if (m.action.state !== '' || m.groupId !== src) continue;
        targets.push([m, dst]);
      }
      await this.queueSlots(targets);
    });
  }

  removeSlotAction(sid: number): Promise<void> {
    return this.exclusive(async () => {
      const m = this.slot(sid);
      if (m.action.state === '') fail(`slot-[${sid}] action doesn't exist`);
      if (m.action.state !== 'pending') fail(`slot-[${sid}] action isn't pending`);
      await this.writeSlot({ id: sid, groupId: m.groupId, action: { index: 0, state: '', targetId: 0 } });
    });
  }

  setActionInterval(us: number): void {
    this.check();
    this.progress.interval = Math.min(Math.max(us, 0), 1_000_000);
  }

  setActionDisabled(disabled: boolean): void {
    this.check();
    this.progress.disabled = disabled;
    if (!disabled) this.slotWakeup.kick();
  }

  // ---- Assign (§8.7) and rebalance (§8.8) ----

  assignSlots(entries: SlotMapping[], offline: boolean): Promise<void> {
    return this.exclusive(async () => {
      for (const e of entries) {
        this.slot(e.id);
        if (offline) {
          if (e.groupId !== 0) fail(`group of slot-[${e.id}] should be 0`);
        } else {
          this.targetGroup(e.groupId);
        }
        if (e.action.state !== '') fail(`invalid slot-[${e.id}] action = ${e.action.state}`);
      }
      if (!offline) {
        for (const gid of new Set(entries.map((e) => e.groupId))) {
          const g = this.group(gid);
          if (!g.outOfSync) {
            const next = cloneGroup(g);
            next.outOfSync = true;
            await this.writeGroup(next);
          }
        }
      }
      const written = entries.map((e) => ({
        id: e.id,
        groupId: e.groupId,
        action: { index: 0, state: '' as const, targetId: 0 },
      }));
      await this.writeSlots(written);
      await this.resyncSlots(written);
    });
  }

  rebalance(confirm: boolean): Promise<Map<number, number>> {
    return this.queued(async () => {
      const plan = rebalancePlan(this.slots, this.groups.values());
      if (confirm) {
        const sids = [...plan.keys()].sort((a, b) => a - b);
        await this.queueSlots(sids.map((sid) => [this.slot(sid), plan.get(sid) as number]));
      }
      return plan;
    });
  }

  // ---- The scheduler (§8.4–§8.6) ----

  /**
   * One scheduling pass: batches of slots until nothing is left to do. Codis runs one slot per
   * group at a time and a whole state machine per slot (spec §15 quirk 4: 1024 slots between two
   * groups take minutes even when empty). Here a batch takes up to `migration_parallel_slots` slots
   * whatever their groups and moves them through each state of §8.4 together: every slot's state is
   * still written before it is acted on (the writes of one phase are issued at once), and each
   * push to the proxies carries the whole batch, so a killed dashboard still resumes every slot
   * where it stopped and no proxy routes a slot to its target before all of them hold it.
   */
  private async processSlotActions(): Promise<void> {
    // Batches overlap by one stage: the next batch is picked, stored and pushed while the current
    // one is copied, and the current one is completed while the next is copied, so a source goes
    // from one batch's copy to the next without waiting for the coordinator's writes and the
    // proxies' pushes in between. Copies still run one batch after the other (a source serves one
    // migration per database at a time), and every slot keeps the order of §8.4.
    const inFlight = new Set<number>();
    let copied: Promise<unknown> = Promise.resolve();
    let completed: Promise<unknown> = Promise.resolve();
    let failure: { error: unknown } | undefined;
    try {
      while (!this.stopping.signal.aborted && failure === undefined) {
        const batch = await this.exclusive(() => this.prepareBatch(inFlight));
        if (batch.length === 0) {
          if (inFlight.size === 0) break;
          // Nothing new to start: once the batches in flight are done, look again (a failed copy
          // leaves its slots to be picked up by the next pass).
          await completed;
          continue;
        }
        for (const sid of batch) inFlight.add(sid);
        const previousCopy = copied;
        const previousCompletion = completed;
        // After a failure the batches not yet copied stay `migrating` for the next pass; the
        // slots already copied are still completed.
        const copy = previousCopy
          .then(async () => {
            if (failure !== undefined) return [];
            const result = await this.copyBatch(batch);
            if (result.error !== undefined) failure ??= { error: result.error };
            return result.done;
          })
          .catch((error: unknown) => {
            failure ??= { error };
            return [];
          });
        copied = copy;
        completed = copy.then(async (done) => {
          await previousCompletion;
          try {
            await this.exclusive(() => this.completeBatch(done));
          } catch (error) {
            failure ??= { error };
          } finally {
            for (const sid of batch) inFlight.delete(sid);
          }
        });
        // At most one batch waits for its copy: the next one is prepared once this one starts.
        // A throttled migration (`interval` set) keeps Codis's pace: one batch after the other.
        await (this.progress.interval > 0 ? completed : previousCopy);
      }
    } finally {
      await completed;
    }
    if (failure !== undefined) throw failure.error;
    this.run.started = 0;
  }

  /**
   * Picks the batch (§8.6: lowest index first, slots past `pending` before pending ones, pending
   * ones only while the scheduler is enabled) and advances it to `migrating` (§8.4 steps 1–3).
   */
  private async prepareBatch(inFlight: ReadonlySet<number>): Promise<number[]> {
    const advanced: SlotMapping[] = [];
    const pending: SlotMapping[] = [];
    for (const m of this.slots) {
      if (inFlight.has(m.id)) continue;
      if (m.action.state === 'pending') {
        if (!this.progress.disabled) pending.push(m);
      } else if (m.action.state !== '') {
        advanced.push(m);
      }
    }
    const byIndex = (a: SlotMapping, b: SlotMapping): number => a.action.index - b.action.index;
    const limit = Math.max(1, this.config.migration_parallel_slots);
    // A throttled migration (`interval` set) keeps Codis's rule, one slot per group at a time: it
    // is how an operator slows a migration down to spare the servers.
    const throttled = this.progress.interval > 0;
    const used = new Set<number>();
    const picked: SlotMapping[] = [];
    for (const m of [...advanced.sort(byIndex), ...pending.sort(byIndex)]) {
      if (picked.length >= limit) break;
      if (throttled) {
        if ((m.groupId !== 0 && used.has(m.groupId)) || used.has(m.action.targetId)) continue;
        if (m.groupId !== 0) used.add(m.groupId);
        used.add(m.action.targetId);
      }
      picked.push(m);
    }
    if (picked.length === 0) return [];
    if (this.run.started === 0) {
      this.run.started = Date.now();
      this.run.slotsDone = 0;
      this.run.keysAtStart = this.progress.keysMoved;
    }
    const sids = picked.map((m) => m.id);
    const inState = (state: string): SlotMapping[] =>
      sids.map((sid) => this.slot(sid)).filter((m) => m.action.state === state);

    const pendingNow = inState('pending');
    if (pendingNow.length > 0) {
      this.log.warn(`slots-[${describeIds(pendingNow)}] action prepare`);
      await this.writeSlots(pendingNow.map((m) => withState(m, 'preparing')));
    }
    const preparing = inState('preparing');
    if (preparing.length > 0) {
      // Phase one: every proxy holds the slots (locked) before anyone routes them to the target.
      const prepared = preparing.map((m) => withState(m, 'prepared'));
      this.log.warn(`slots-[${describeIds(preparing)}] resync to prepared`);
      try {
        await this.resyncSlots(prepared);
      } catch (error) {
        this.log.warn(`slots-[${describeIds(preparing)}] resync-rollback to preparing`);
        await this.resyncSlots(preparing).catch(() => undefined);
        throw error;
      }
      // Phase two follows at once, and only `migrating` is stored, after both pushes: `prepared`
      // would add a write per slot (an fdatasync each) that no resume needs. A dashboard stopped
      // before `migrating` is stored finds `preparing` and locks the slots again before routing
      // them to the target; until `migrating` is stored no key of these slots is copied.
      const migrating = prepared.map((m) => withState(m, 'migrating'));
      this.log.warn(`slots-[${describeIds(preparing)}] resync to migrating`);
      await this.resyncSlots(migrating);
      await this.writeSlots(migrating);
    }
    const prepared = inState('prepared');
    if (prepared.length > 0) {
      const migrating = prepared.map((m) => withState(m, 'migrating'));
      this.log.warn(`slots-[${describeIds(prepared)}] resync to migrating`);
      await this.resyncSlots(migrating);
      await this.writeSlots(migrating);
    }
    return sids;
  }

  /**
   * §8.4 step 5 for the slots whose data is all on the target (and `finished` ones resumed). The
   * proxies get the slots as `finished` (target only), then the action is cleared; `finished` is
   * not stored in between: a dashboard stopped after the push finds `migrating`, whose rendering
   * (target, migrating from an emptied source) is as correct, and its copy finds nothing to move.
   */
  private async completeBatch(sids: number[]): Promise<void> {
    const finishing = sids
      .map((sid) => this.slot(sid))
      .filter((m) => m.action.state === 'migrating' || m.action.state === 'finished');
    if (finishing.length === 0) return;
    this.log.warn(`slots-[${describeIds(finishing)}] action complete, resync to finished`);
    await this.resyncSlots(finishing.map((m) => withState(m, 'finished')));
    await this.writeSlots(
      finishing.map((m) => ({
        id: m.id,
        groupId: m.action.targetId,
        action: { index: 0, state: '', targetId: 0 },
      })),
    );
    this.run.slotsDone += finishing.length;
  }

  /** Writes mappings concurrently; waits for every write, then fails with the first error. */
  private async writeSlots(mappings: SlotMapping[]): Promise<void> {
    const results = await Promise.allSettled(mappings.map((m) => this.writeSlot(m)));
    const failure = results.find((r) => r.status === 'rejected');
    if (failure !== undefined) throw (failure as PromiseRejectedResult).reason;
  }

  /**
   * The data copy of the batch's `migrating` slots (§8.5). A source serves one batch per database
   * at a time, so the slots of one source are copied one after the other on one connection, and
   * different sources concurrently. The slots done (or with nothing to copy) and the first error.
   */
  private async copyBatch(sids: number[]): Promise<{ done: number[]; error: unknown }> {
    const bySource = new Map<string, number[]>();
    const done: number[] = [];
    for (const sid of sids) {
      const m = this.slots[sid];
      if (m === undefined) continue;
      if (m.action.state !== 'migrating') {
        done.push(sid);
        continue;
      }
      const from = this.master(m.groupId);
      // No source master (offline slot, empty group): nothing to copy (§8.5 step 2).
      if (from === '') {
        done.push(sid);
        continue;
      }
      const list = bySource.get(from);
      if (list === undefined) bySource.set(from, [sid]);
      else list.push(sid);
    }
    let error: unknown;
    await Promise.all(
      [...bySource].map(async ([from, list]) => {
        try {
          await this.copyFrom(from, list, done);
        } catch (e) {
          error ??= e;
        }
      }),
    );
    return { done, error };
  }

  /** Copies `sids` off `from`; each slot whose keys are all on its target is pushed to `done`. */
  private async copyFrom(from: string, sids: number[], done: number[]): Promise<void> {
    const client = await RedisClient.open(
      from,
      this.config.product_auth,
      this.config.migration_timeout + 5000,
    );
    try {
      const work = await this.keysBySlot(client, sids);
      for (const [db, slots] of work) {
        await client.ok('SELECT', db);
        await this.copyDb(client, from, db, slots);
      }
      this.progress.status = '';
      done.push(...sids);
    } finally {
      client.close();
    }
  }

  /**
   * Per database of the source, the slots of `sids` holding keys there and how many (INFO
   * keyspace, then SLOTSINFO per database): empty slots, the common case when slots are rebalanced
   * onto new groups, need no migration command at all. Once a slot is `migrating` the proxies write
   * its keys to the target only, so the source's keys of that slot can only decrease.
   */
  private async keysBySlot(client: RedisClient, sids: number[]): Promise<Map<number, Map<number, number>>> {
    const wanted = new Set(sids);
    const keyspace = parseInfo(await client.text('INFO', 'keyspace'));
    const dbs = Object.keys(keyspace)
      .filter((k) => /^db\d+$/.test(k))
      .map((k) => Number(k.slice(2)))
      .sort((a, b) => a - b);
    const work = new Map<number, Map<number, number>>();
    for (const db of dbs) {
      await client.ok('SELECT', db);
      const reply = await client.ok('SLOTSINFO', 0, MAX_SLOTS);
      if (!Array.isArray(reply)) fail('invalid response of slotsinfo');
      const slots = new Map<number, number>();
      for (const entry of reply) {
        if (!Array.isArray(entry) || typeof entry[0] !== 'number' || typeof entry[1] !== 'number') continue;
        if (wanted.has(entry[0]) && entry[1] > 0) slots.set(entry[0], entry[1]);
      }
      if (slots.size > 0) work.set(db, slots);
    }
    return work;
  }

  /**
   * The copy loop of §8.5 for the slots of one database, in rounds: each round sends one migration
   * step for every slot with keys left, pipelined on the connection. The source runs them one
   * after the other (a command waiting for its target holds back the connection's next one), so
   * the source goes from one slot to the next without waiting for the dashboard in between. With
   * a non-zero `interval` the steps go one at a time with the pause after each.
   */
  private async copyDb(
    client: RedisClient,
    from: string,
    db: number,
    left: Map<number, number>,
  ): Promise<void> {
    const signal = this.stopping.signal;
    while (left.size > 0) {
      if (signal.aborted) fail('use of closed topom');
      const steps: [number, string, number][] = [];
      let paused = this.progress.disabled;
      for (const [sid, size] of left) {
        const m = this.slots[sid];
        if (m === undefined || m.action.state !== 'migrating') {
          left.delete(sid);
          continue;
        }
        const source = this.groups.get(m.groupId);
        const target = this.groups.get(m.action.targetId);
        if ((source !== undefined && source.promoting.state !== '') || (target?.promoting.state ?? '') !== '')
          paused = true;
        // A promotion while paused may have changed the source's master: the next pass starts over.
        if (this.master(m.groupId) !== from) fail(`group-[${m.groupId}] master changed during migration`);
        const to = this.master(m.action.targetId);
        if (to === '') fail(`group-[${m.action.targetId}] is empty`);
        steps.push([sid, to, size]);
      }
      if (paused) {
        await sleep(1000, signal);
        continue;
      }
      // A sync step parks every other client's writes on the source until it ends, and the next
      // pipelined step would start before they resume: sync steps go one slot at a time.
      const depth = this.progress.interval > 0 || this.config.migration_method === 'sync' ? 1 : steps.length;
      for (let i = 0; i < steps.length; i += depth) {
        const round = steps.slice(i, i + depth);
        this.progress.executor += round.length;
        let results: PromiseSettledResult<number>[];
        try {
          results = await Promise.allSettled(
            round.map(([sid, to, size]) => this.migrateStep(client, to, sid, size)),
          );
        } finally {
          this.progress.executor -= round.length;
        }
        round.forEach(([sid], k) => {
          const r = results[k] as PromiseSettledResult<number>;
          if (r.status === 'rejected') {
            this.progress.status = `[ERROR] Slot[${pad4(sid)}]: ${errorText(r.reason)}`;
            throw r.reason;
          }
          if (r.value === 0) left.delete(sid);
          else {
            left.set(sid, r.value);
            this.progress.status = `[OK] Slot[${pad4(sid)}]@DB[${db}]=${r.value}`;
          }
        });
        if (this.progress.interval > 0) await sleep(this.progress.interval / 1000, signal);
      }
    }
  }

  /**
   * One migration step for a slot with about `size` keys left; the keys left after it. The sync
   * command moves one key (with its tag) per call, so up to SYNC_PIPELINE calls go at once to keep
   * round trips off the per-key cost; each call still runs alone on the source, as in Codis, and
   * the writes it parks wait for at most SYNC_PIPELINE small keys.
   */
  private async migrateStep(client: RedisClient, to: string, sid: number, size: number): Promise<number> {
    const [host, port] = splitHostPort(to);
    const c = this.config;
    if (c.migration_method === 'sync') {
      const calls: Promise<RespValue>[] = [];
      const depth = this.progress.interval > 0 ? 1 : Math.max(1, Math.min(size, SYNC_PIPELINE));
      for (let i = 0; i < depth; i++)
        calls.push(client.ok('SLOTSMGRTTAGSLOT', host, port, c.migration_timeout, sid));
      let remaining = 0;
      for (const reply of await Promise.all(calls)) remaining = this.countMoved(reply);
      return remaining;
    }
    return this.countMoved(
      await client.ok(
        'SLOTSMGRTTAGSLOT-ASYNC',
        host,
        port,
        Math.min(5000, c.migration_timeout),
        c.migration_async_maxbulks,
        c.migration_async_maxbytes,
        sid,
        c.migration_async_numkeys,
      ),
    );
  }

  /** Adds a migration reply's moved count to the progress; the keys left it reports. */
  private countMoved(reply: RespValue): number {
    if (!Array.isArray(reply) || typeof reply[0] !== 'number' || typeof reply[1] !== 'number') {
      fail('invalid response of slots migration');
    }
    this.progress.keysMoved += reply[0] as number;
    return reply[1] as number;
  }

  // ---- Sentinels (§10.2) ----

  private isProductMaster(name: string): boolean {
    const prefix = `${this.config.product_name}-`;
    return name.startsWith(prefix) && /^\d+$/.test(name.slice(prefix.length));
  }

  private async sentinelMasters(c: RedisClient): Promise<Record<string, string>[]> {
    const reply = await c.ok('SENTINEL', 'MASTERS');
    return Array.isArray(reply) ? reply.map(pairsToMap) : [];
  }

  private async removeProductMasters(addr: string, only?: Set<string>): Promise<void> {
    const timeout = this.config.sentinel_client_timeout;
    await withRedis(addr, '', timeout + 5000, async (c) => {
      for (const master of await this.sentinelMasters(c)) {
        const name = master.name ?? '';
        if (!this.isProductMaster(name) || (only !== undefined && !only.has(name))) continue;
        await c.ok('SENTINEL', 'REMOVE', name);
      }
    });
  }

  private async sentinelRemoveGroups(gids: number[]): Promise<void> {
    const names = new Set(gids.map((gid) => `${this.config.product_name}-${gid}`));
    await Promise.all(this.sentinel.servers.map((addr) => this.removeProductMasters(addr, names)));
  }

  addSentinel(addr: string): Promise<void> {
    return this.exclusive(async () => {
      if (addr === '') fail('invalid sentinel address');
      if (this.sentinel.servers.includes(addr)) fail(`sentinel-[${addr}] already exists`);
      await withRedis(addr, '', this.config.sentinel_client_timeout, async (c) => {
        await c.ok('SENTINEL', 'FLUSHCONFIG');
      });
      await this.writeSentinel({ servers: [...this.sentinel.servers, addr], outOfSync: true });
    });
  }

  delSentinel(addr: string, force: boolean): Promise<void> {
    return this.exclusive(async () => {
      if (!this.sentinel.servers.includes(addr)) fail(`sentinel-[${addr}] not found`);
      await this.writeSentinel({ servers: [...this.sentinel.servers], outOfSync: true });
      try {
        await this.removeProductMasters(addr);
      } catch (error) {
        this.log.warn({ err: errorText(error) }, `remove sentinel ${addr} failed`);
        if (!force) fail(`remove sentinel ${addr} failed`);
      }
      await this.writeSentinel({ servers: this.sentinel.servers.filter((s) => s !== addr), outOfSync: true });
    });
  }

  resyncSentinels(): Promise<void> {
    return this.exclusive(async () => {
      const servers = [...this.sentinel.servers];
      await this.writeSentinel({ servers, outOfSync: true });
      const c = this.config;
      const groups = [...this.groups.values()]
        .filter((g) => g.servers.length > 0)
        .sort((a, b) => a.id - b.id);
      for (const addr of servers) {
        await withRedis(addr, '', c.sentinel_client_timeout + 5000, async (client) => {
          for (const master of await this.sentinelMasters(client)) {
            const name = master.name ?? '';
            if (this.isProductMaster(name)) await client.ok('SENTINEL', 'REMOVE', name);
          }
          for (const g of groups) {
            const name = `${c.product_name}-${g.id}`;
            const [host, port] = splitHostPort((g.servers[0] as GroupServer).addr);
            await client.ok('SENTINEL', 'MONITOR', name, host, port, c.sentinel_quorum);
            const settings: (string | number)[] = [
              'parallel-syncs',
              c.sentinel_parallel_syncs,
              'down-after-milliseconds',
              c.sentinel_down_after,
              'failover-timeout',
              c.sentinel_failover_timeout,
            ];
            if (c.product_auth !== '') settings.push('auth-pass', c.product_auth);
            if (c.sentinel_notification_script !== '')
              settings.push('notification-script', c.sentinel_notification_script);
            if (c.sentinel_client_reconfig_script !== '') {
              settings.push('client-reconfig-script', c.sentinel_client_reconfig_script);
            }
            await client.ok('SENTINEL', 'SET', name, ...settings);
          }
        });
      }
      for (const p of this.proxies.values()) {
        try {
          await this.proxyClient(p).setSentinels(sentinelToJson({ servers, outOfSync: false }));
        } catch (error) {
          this.log.warn({ err: errorText(error) }, `proxy-[${p.token}] sentinel failed`);
          fail(`proxy-[${p.token}] sentinel failed`);
        }
      }
      this.rewatchSentinels(servers);
      await this.writeSentinel({ servers, outOfSync: false });
    });
  }

  /** (Re)starts the watcher of §10.3 on `servers`; an empty list clears the HA view. */
  private rewatchSentinels(servers: readonly string[]): void {
    this.watcher?.stop();
    this.watcher = undefined;
    if (servers.length === 0) {
      this.haMasters = {};
      return;
    }
    const log = {
      warn: (message: string) => this.log.warn(message),
      info: (message: string) => this.log.info(message),
    };
    this.watcher = new SentinelWatcher(
      [...servers],
      this.config.product_name,
      (masters) => this.switchMasters(masters),
      log,
    );
    this.watcher.start();
  }

  /**
   * The sentinels' masters (§10.4): remembered as the HA view; a group whose first server is not
   * the sentinels' master gets that server swapped into position 0 and is marked out_of_sync.
   * The proxies follow the sentinels on their own.
   */
  switchMasters(masters: Map<number, string>): Promise<void> {
    return this.exclusive(async () => {
      const ha: Record<string, string> = {};
      for (const gid of [...masters.keys()].sort((a, b) => a - b))
        ha[String(gid)] = masters.get(gid) as string;
      this.haMasters = ha;
      const runIds = new Map<string, Promise<string>>();
      const runIdOf = (addr: string): Promise<string> => {
        let id = runIds.get(addr);
        if (id === undefined) {
          id = withRedis(
            addr,
            this.config.product_auth,
            100,
            async (c) => parseInfo(await c.text('INFO')).run_id ?? '',
          ).catch(() => '');
          runIds.set(addr, id);
        }
        return id;
      };
      for (const [gid, master] of masters) {
        const g = this.groups.get(gid);
        if (g === undefined) continue;
        if (g.promoting.state !== '') {
          this.log.warn(`group-[${gid}] is promoting, sentinel switch ignored`);
          continue;
        }
        let index = g.servers.findIndex((s) => s.addr === master);
        if (index < 0) {
          const runId = await runIdOf(master);
          if (runId !== '') {
            for (let i = 0; i < g.servers.length && index < 0; i++) {
              if ((await runIdOf((g.servers[i] as GroupServer).addr)) === runId) index = i;
            }
          }
        }
        if (index < 0) {
          this.log.warn(`group-[${gid}] doesn't have server ${master}`);
          continue;
        }
        if (index === 0) continue;
        const next = cloneGroup(g);
        const first = next.servers[0] as GroupServer;
        next.servers[0] = next.servers[index] as GroupServer;
        next.servers[index] = first;
        next.outOfSync = true;
        this.log.warn(`group-[${gid}] will switch master to server[${index}] = ${master}`);
        await this.writeGroup(next);
      }
    });
  }

  /** `{name: {master, slaves?}}` for this product's masters on one sentinel (§10.5, §10.6). */
  async sentinelMonitored(addr: string, timeout = this.config.sentinel_client_timeout): Promise<JsonObject> {
    return withRedis(addr, '', timeout, async (c) => {
      const out: JsonObject = {};
      const masters = (await this.sentinelMasters(c)).filter((m) => this.isProductMaster(m.name ?? ''));
      masters.sort((a, b) => ((a.name ?? '') < (b.name ?? '') ? -1 : 1));
      for (const master of masters) {
        const name = master.name ?? '';
        const slaves = await c.ok('SENTINEL', 'SLAVES', name);
        const list = Array.isArray(slaves) ? slaves.map(pairsToMap) : [];
        out[name] = { master, slaves: list.length > 0 ? list : undefined };
      }
      return out;
    });
  }

  // ---- Stats (§11) ----

  private async statsLoop(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      await Promise.allSettled([this.pollServers(), this.pollProxies(), this.pollSentinels()]);
      await sleep(this.timings.stats, signal);
    }
  }

  private async pollServers(): Promise<void> {
    const addrs = [...this.groups.values()].flatMap((g) => g.servers.map((s) => s.addr));
    const next = new Map<string, JsonObject>();
    await Promise.all(
      addrs.map(async (addr) => {
        const r = await probe(this.timings.stats, () =>
          withRedis(addr, this.config.product_auth, 5000, (c) => serverInfo(c)),
        );
        next.set(addr, this.statsEntry(r));
      }),
    );
    this.serverStats = next;
  }

  private statsEntry(r: { value: JsonValue } | { error: unknown } | 'timeout'): JsonObject {
    if (r === 'timeout') return { unixtime: unixtime(), timeout: true };
    if ('error' in r) return { error: remoteError(r.error), unixtime: unixtime() };
    return { stats: r.value, unixtime: unixtime() };
  }

  private async pollProxies(): Promise<void> {
    const proxies = [...this.proxies.values()];
    const next = new Map<string, JsonObject>();
    await Promise.all(
      proxies.map(async (p) => {
        const r = await probe(this.timings.stats, () => this.proxyClient(p).stats(this.timings.stats));
        next.set(p.token, this.statsEntry(r as { value: JsonValue } | { error: unknown } | 'timeout'));
        // Auto-online (§11.2): a restarted proxy (same token) waiting to be told to go online.
        if (typeof r === 'object' && 'value' in r) {
          const body = r.value as { online?: unknown; closed?: unknown };
          if (body.online === false && body.closed === false && this.online && !this.closed) {
            this.onlineProxy(p.adminAddr).catch((error: unknown) => {
              this.log.warn({ err: errorText(error) }, `proxy-[${p.token}] auto-online failed`);
            });
          }
        }
      }),
    );
    // A proxy registered while this poll ran keeps the entry its registration read.
    for (const [token, entry] of this.proxyStats)
      if (!next.has(token) && this.proxies.has(token)) next.set(token, entry);
    this.proxyStats = next;
  }

  /** One proxy's stats, read at once: a proxy just registered shows in the stats right away. */
  private async pollProxy(p: ProxyModel): Promise<void> {
    const r = await probe(this.timings.stats, () => this.proxyClient(p).stats(this.timings.stats));
    if (this.proxies.has(p.token))
      this.proxyStats.set(
        p.token,
        this.statsEntry(r as { value: JsonValue } | { error: unknown } | 'timeout'),
      );
  }

  private async pollSentinels(): Promise<void> {
    const next = new Map<string, JsonObject>();
    await Promise.all(
      this.sentinel.servers.map(async (addr) => {
        const r = await probe(this.timings.stats, async () => {
          const info = await withRedis(addr, '', 5000, async (c) => sortKeysInfo(await c.text('INFO')));
          const sentinel = await this.sentinelMonitored(addr, 5000);
          return { info, sentinel };
        });
        if (typeof r === 'object' && 'value' in r) {
          const entry: JsonObject = { stats: r.value.info, unixtime: unixtime() };
          if (Object.keys(r.value.sentinel).length > 0) entry.sentinel = r.value.sentinel;
          next.set(addr, entry);
        } else {
          next.set(addr, this.statsEntry(r as { error: unknown } | 'timeout'));
        }
      }),
    );
    this.sentinelStats = next;
  }

  // ---- Read-only views ----

  slotViews(): ProxySlot[] {
    this.check();
    return this.slots.map((m) => this.render(m, this.groups));
  }

  slotMappings(): SlotMapping[] {
    return this.slots.length === MAX_SLOTS
      ? this.slots
      : Array.from({ length: MAX_SLOTS }, (_, i) => offlineSlot(i));
  }

  /** Forces the next operation to re-read the coordinator (§5.3). */
  reload(): Promise<void> {
    return this.exclusive(async () => {
      this.dirty = true;
    });
  }

  /**
   * The running migration: slots left and done, keys moved, the rates so far and the time left at
   * the rate slots have been finishing (null until one is done). All zero when nothing runs.
   */
  private migrationProgress(): JsonObject {
    let left = 0;
    for (const m of this.slots) if (m.action.state !== '') left++;
    const running = this.run.started !== 0 && left > 0;
    const seconds = running ? (Date.now() - this.run.started) / 1000 : 0;
    const keys = running ? this.progress.keysMoved - this.run.keysAtStart : 0;
    const done = running ? this.run.slotsDone : 0;
    return {
      running,
      slots_left: left,
      slots_done: done,
      keys_moved: keys,
      elapsed_seconds: Math.round(seconds * 10) / 10,
      keys_per_second: seconds > 0 ? Math.round(keys / seconds) : 0,
      eta_seconds: done > 0 ? Math.round((seconds / done) * left * 10) / 10 : null,
    };
  }

  /** The stats object (§6.4), with `slot_action.keys_moved` and `slot_action.migration` added. */
  stats(): Promise<JsonObject> {
    return this.exclusive(async () => {
      const groups = [...this.groups.values()].sort((a, b) => a.id - b.id);
      const proxies = [...this.proxies.values()].sort((a, b) => a.id - b.id);
      const serverStats: JsonObject = {};
      const inGroups = new Set(groups.flatMap((g) => g.servers.map((s) => s.addr)));
      for (const addr of [...this.serverStats.keys()].sort()) {
        if (inGroups.has(addr)) serverStats[addr] = this.serverStats.get(addr) as JsonObject;
      }
      const proxyStats: JsonObject = {};
      for (const token of [...this.proxyStats.keys()].sort())
        proxyStats[token] = this.proxyStats.get(token) as JsonObject;
      const sentinelStats: JsonObject = {};
      for (const addr of [...this.sentinelStats.keys()].sort()) {
        if (this.sentinel.servers.includes(addr))
          sentinelStats[addr] = this.sentinelStats.get(addr) as JsonObject;
      }
      return {
        closed: false,
        slots: this.slots.map(slotMappingToJson),
        group: { models: groups.map(groupToJson), stats: serverStats },
        proxy: { models: proxies.map(proxyToJson), stats: proxyStats },
        slot_action: {
          interval: this.progress.interval,
          disabled: this.progress.disabled,
          progress: { status: this.progress.status },
          executor: this.progress.executor,
          keys_moved: this.progress.keysMoved,
          migration: this.migrationProgress(),
        },
        sentinels: {
          model: sentinelToJson(this.sentinel),
          stats: sentinelStats,
          masters: { ...this.haMasters },
        },
      };
    });
  }

  /** Start time for new records. */
  static now(): string {
    return goTimeNow();
  }
}

function sortKeysInfo(text: string): Record<string, string> {
  const info = parseInfo(text);
  const out: Record<string, string> = {};
  for (const key of Object.keys(info).sort()) out[key] = info[key] as string;
  return out;
}
