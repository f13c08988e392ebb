// The 1024-slot table (spec/proxy.md §6): each slot's primary, migration source and replica groups
// as shared backends, its forwarding method and lock. A fill locks the slot, waits for the requests
// already forwarded through it, then switches (§6.2); sessions waiting on a locked slot are woken
// when it unlocks.
import { MAX_SLOTS } from '../slots/index.ts';
import { BackendPool, type SharedBackend, splitAddress } from './backend.ts';
import type { ProxyConfig } from './config/types.ts';
import { closedRouter, invalidForwardMethod, invalidSlotId } from './errors.ts';
import type { ProxyLogger } from './logger.ts';
import type { InflightTracker } from './request.ts';
import { normaliseSlot, type ProxySlot } from './slot.ts';

/** A session blocked on a locked slot. */
export interface SlotWaiter {
  slotUnlocked(): void;
}

/** The replica groups of every slot without any: one shared array, so reading its length hits a warm cache line. */
const NO_REPLICA_GROUPS: readonly SharedBackend[][] = Object.freeze([]);

export class Slot implements InflightTracker {
  readonly id: number;
  record: ProxySlot;
  backend: SharedBackend | null = null;
  migrateFrom: SharedBackend | null = null;
  /** host and port of the backend, for SLOTSMGRTTAGONE. */
  backendHost = '';
  backendPort = '';
  replicaGroups: readonly SharedBackend[][] = NO_REPLICA_GROUPS;
  method = 0;
  locked = false;
  /** Last filled by a sentinel-driven switch (§6.8); cleared by a normal fill. */
  switched = false;
  inflight = 0;
  /** Fills waiting for the in-flight requests to drain. */
  pendingFills: ProxySlot[] = [];
  waiters: SlotWaiter[] = [];
  private readonly router: Router;

  constructor(id: number, router: Router) {
    this.id = id;
    this.record = { id };
    this.router = router;
  }

  inflightDone(): void {
    this.inflight--;
    if (this.inflight === 0 && this.pendingFills.length > 0) this.router.applyPending(this);
  }

  addWaiter(waiter: SlotWaiter): void {
    this.waiters.push(waiter);
  }

  removeWaiter(waiter: SlotWaiter): void {
    const index = this.waiters.indexOf(waiter);
    if (index >= 0) this.waiters.splice(index, 1);
  }
}

export class Router {
  readonly slots: Slot[] = [];
  /**
   * Per slot, the index in `plainBackends` of its primary when the slot is plain (served, not
   * locked, not migrating, no replica groups), else -1. The split path reads this table instead of
   * the Slot objects: 2 KB that stay in cache, where 1024 Slot objects and their arrays do not
   * (bench/RESULTS.md, session 10).
   */
  readonly plainRoutes = new Int16Array(MAX_SLOTS).fill(-1);
  readonly plainBackends: SharedBackend[] = [];
  readonly primaries: BackendPool;
  readonly replicas: BackendPool;
  closed = false;
  private readonly config: ProxyConfig;

  readonly logger: ProxyLogger;
  /** Told after each slot switch (pub/sub subscriptions follow the table: pubsub/hub.ts). */
  readonly applyListeners: Array<() => void> = [];

  constructor(config: ProxyConfig, logger: ProxyLogger) {
    this.config = config;
    this.logger = logger;
    this.primaries = new BackendPool(config.backend_primary_parallel, config, logger);
    this.replicas = new BackendPool(config.backend_replica_parallel, config, logger);
    for (let id = 0; id < MAX_SLOTS; id++) this.slots.push(new Slot(id, this));
  }

  fill(records: readonly ProxySlot[], switched = false): void {
    for (const record of records) {
      if (this.closed) throw closedRouter();
      if (!Number.isInteger(record.id) || record.id < 0 || record.id >= MAX_SLOTS) throw invalidSlotId();
      const method = record.forward_method ?? 0;
      if (method !== 0 && method !== 1) throw invalidForwardMethod();
      const slot = this.slots[record.id] as Slot;
      slot.pendingFills.push(normaliseSlot(record));
      slot.switched = switched;
      // New requests wait from now on; the switch happens once the in-flight ones are answered.
      slot.locked = true;
      this.plainRoutes[slot.id] = -1;
      if (slot.inflight === 0) this.applyPending(slot);
    }
  }

  applyPending(slot: Slot): void {
    while (slot.pendingFills.length > 0 && slot.inflight === 0) {
      this.apply(slot, slot.pendingFills.shift() as ProxySlot);
    }
    if (slot.pendingFills.length > 0) slot.locked = true;
    this.refreshRoute(slot);
    if (!slot.locked) this.wake(slot);
  }

  private refreshRoute(slot: Slot): void {
    const backend = slot.backend;
    const plain =
      backend !== null && !slot.locked && slot.migrateFrom === null && slot.replicaGroups.length === 0;
    if (plain && this.plainBackends.length >= 2 * MAX_SLOTS && !this.plainBackends.includes(backend)) {
      // Released backends are dropped: at most MAX_SLOTS are any slot's current one.
      const old = this.plainBackends.splice(0);
      const routes = this.plainRoutes;
      for (let id = 0; id < MAX_SLOTS; id++) {
        const route = routes[id] as number;
        if (route >= 0) routes[id] = this.plainIndex(old[route] as SharedBackend);
      }
    }
    this.plainRoutes[slot.id] = plain ? this.plainIndex(backend) : -1;
  }

  private plainIndex(backend: SharedBackend): number {
    const index = this.plainBackends.indexOf(backend);
    return index >= 0 ? index : this.plainBackends.push(backend) - 1;
  }

  private apply(slot: Slot, record: ProxySlot): void {
    // Retain the new backends before releasing the old ones, so refilling a slot with the same
    // address keeps its connections (§6.2 implementation note).
    const backend = record.backend_addr ? this.primaries.retain(record.backend_addr) : null;
    const migrateFrom = record.migrate_from ? this.primaries.retain(record.migrate_from) : null;
    const replicaGroups: SharedBackend[][] = [];
    if (!this.config.backend_primary_only) {
      for (const group of record.replica_groups ?? []) {
        const list = group.filter((addr) => addr !== '').map((addr) => this.replicas.retain(addr));
        if (list.length > 0) replicaGroups.push(list);
      }
    }
    this.releaseSlot(slot);
    slot.backend = backend;
    slot.migrateFrom = migrateFrom;
    slot.replicaGroups = replicaGroups.length > 0 ? replicaGroups : NO_REPLICA_GROUPS;
    if (backend !== null) {
      const { host, port } = splitAddress(backend.addr);
      slot.backendHost = host;
      slot.backendPort = String(port);
    }
    slot.method = record.forward_method ?? 0;
    slot.record = record;
    slot.locked = record.locked === true;
    for (const listener of this.applyListeners) listener();
  }

  private releaseSlot(slot: Slot): void {
    if (slot.backend !== null) this.primaries.release(slot.backend);
    if (slot.migrateFrom !== null) this.primaries.release(slot.migrateFrom);
    for (const group of slot.replicaGroups) for (const replica of group) this.replicas.release(replica);
    slot.backend = null;
    slot.migrateFrom = null;
    slot.replicaGroups = NO_REPLICA_GROUPS;
  }

  private wake(slot: Slot): void {
    const waiters = slot.waiters;
    if (waiters.length === 0) return;
    slot.waiters = [];
    for (const waiter of waiters) waiter.slotUnlocked();
  }

  /** The records as the admin API shows them: the latest fill of each slot. */
  records(): ProxySlot[] {
    return this.slots.map((slot) => {
      const last = slot.pendingFills[slot.pendingFills.length - 1];
      return { ...(last ?? slot.record) };
    });
  }

  /** Every (current, sentinel's) address pair a switch to `masters` would replace (§6.8). */
  masterSwitchPairs(masters: ReadonlyMap<number, string>): Array<[string, string]> {
    const pairs: Array<[string, string]> = [];
    this.eachMasterSwitch(masters, (current, next) => {
      pairs.push([current, next]);
      return true;
    });
    return pairs;
  }

  /**
   * Points the slots of groups whose master moved at the new address (§6.8), keeping their lock
   * state and replica groups, unless `sameServer` says both addresses reach one process (equal
   * run_id). True when some slot changed.
   */
  switchMasters(
    masters: ReadonlyMap<number, string>,
    sameServer: (current: string, next: string) => boolean = () => false,
  ): boolean {
    const changed = this.eachMasterSwitch(masters, (current, next) => !sameServer(current, next));
    if (changed.length > 0 && !this.closed) {
      this.logger.warn(`sentinel: ${changed.length} slots switched to new masters`);
      this.fill(changed, true);
    }
    return changed.length > 0;
  }

  private eachMasterSwitch(
    masters: ReadonlyMap<number, string>,
    accept: (current: string, next: string) => boolean,
  ): ProxySlot[] {
    const changed: ProxySlot[] = [];
    for (const slot of this.slots) {
      const record = slot.pendingFills[slot.pendingFills.length - 1] ?? slot.record;
      const next: ProxySlot = { ...record };
      let moved = false;
      const backend = record.backend_addr_group_id ? masters.get(record.backend_addr_group_id) : undefined;
      if (
        backend !== undefined &&
        record.backend_addr &&
        backend !== record.backend_addr &&
        accept(record.backend_addr, backend)
      ) {
        next.backend_addr = backend;
        moved = true;
      }
      const source = record.migrate_from_group_id ? masters.get(record.migrate_from_group_id) : undefined;
      if (
        source !== undefined &&
        record.migrate_from &&
        source !== record.migrate_from &&
        accept(record.migrate_from, source)
      ) {
        next.migrate_from = source;
        moved = true;
      }
      if (moved) changed.push(next);
    }
    return changed;
  }

  /** A backend currently referenced by a slot, primaries first (PING/INFO/SLOTSINFO by address). */
  backendByAddress(addr: string): SharedBackend | undefined {
    return this.primaries.backends.get(addr) ?? this.replicas.backends.get(addr);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const slot of this.slots) {
      slot.pendingFills = [];
      this.releaseSlot(slot);
      slot.record = { id: slot.id };
      slot.locked = false;
      this.plainRoutes[slot.id] = -1;
      this.wake(slot);
    }
    this.primaries.close();
    this.replicas.close();
  }
}
