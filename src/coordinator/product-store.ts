// The records of one product (spec/control-plane.md §3) on top of any Store: what the dashboard,
// codis-admin and codis-fe read and write. Records are validated both ways: a record we could not
// read back is never written, and a bad record read names its path and field.

import {
  assertProductName,
  CODIS_DIR,
  decodeGroup,
  decodeProxy,
  decodeSentinel,
  decodeSlotMapping,
  decodeTopom,
  emptySentinel,
  encodeGroup,
  encodeProxy,
  encodeSentinel,
  encodeSlotMapping,
  encodeTopom,
  type Group,
  groupDir,
  groupIdOfPath,
  groupPath,
  ModelDecodeError,
  offlineSlot,
  type ProxyModel,
  proxyDir,
  proxyPath,
  proxyTokenOfPath,
  type Sentinel,
  type SlotMapping,
  sentinelPath,
  slotDir,
  slotIdOfPath,
  slotPath,
  type Topom,
  topomPath,
} from '../models/index.ts';
import { MAX_SLOTS } from '../slots/index.ts';
import { NodeNotFoundError } from './errors.ts';
import type { LockInfo, Store, StoreLock } from './store.ts';

/** How many nodes are read at once when loading a whole directory (1024 slots). */
const READ_PARALLELISM = 32;

export interface ProductLockInfo extends LockInfo {
  /** The holder's topom record, when the lock data decodes as one. */
  readonly topom: Topom | undefined;
}

function text(encoded: string): Buffer {
  return Buffer.from(encoded, 'utf8');
}

async function mapLimited<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next++;
      results[index] = await fn(items[index] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

export class ProductStore {
  readonly store: Store;
  readonly product: string;

  constructor(store: Store, product: string) {
    assertProductName(product);
    this.store = store;
    this.product = product;
  }

  // The lock: the topom node, held as long as the dashboard lives (see Store.acquireLock).

  /** Takes the product lock, writing the dashboard's record; `LockHeldError` names the holder. */
  acquireLock(topom: Topom): Promise<StoreLock> {
    return this.store.acquireLock(topomPath(this.product), text(checked(encodeTopom(topom), decodeTopom)));
  }

  async inspectLock(): Promise<ProductLockInfo | undefined> {
    const info = await this.store.inspectLock(topomPath(this.product));
    if (info === undefined) return undefined;
    let topom: Topom | undefined;
    try {
      topom = decodeTopom(info.data, info.path);
    } catch {
      topom = undefined;
    }
    return { ...info, topom };
  }

  /** `--remove-lock`: removes the lock whoever holds it; returns whether there was one. */
  forceRemoveLock(): Promise<boolean> {
    return this.store.forceUnlock(topomPath(this.product));
  }

  /** The dashboard record, if a dashboard holds the product. */
  async readTopom(): Promise<Topom | undefined> {
    const path = topomPath(this.product);
    const data = await this.store.read(path);
    return data === undefined ? undefined : decodeTopom(data, path);
  }

  // Slots: a missing node is an offline slot.

  async readSlot(id: number): Promise<SlotMapping> {
    const path = slotPath(this.product, checkSlotId(id));
    const data = await this.store.read(path);
    return data === undefined ? offlineSlot(id) : decodeSlotAt(data, path);
  }

  /** All 1024 slot mappings, in slot order. */
  async readSlots(): Promise<SlotMapping[]> {
    const slots = Array.from({ length: MAX_SLOTS }, (_, id) => offlineSlot(id));
    const children = (await this.store.list(slotDir(this.product))) ?? [];
    const stored = children.filter((path) => slotIdOfPath(path) !== undefined);
    const read = await mapLimited(stored, READ_PARALLELISM, async (path) => {
      const data = await this.store.read(path);
      return data === undefined ? undefined : decodeSlotAt(data, path);
    });
    for (const slot of read) if (slot !== undefined) slots[slot.id] = slot;
    return slots;
  }

  async updateSlot(slot: SlotMapping): Promise<void> {
    const path = slotPath(this.product, checkSlotId(slot.id));
    await this.store.update(path, text(checked(encodeSlotMapping(slot), decodeSlotMapping)));
  }

  // Groups.

  async readGroup(id: number): Promise<Group | undefined> {
    const path = groupPath(this.product, id);
    const data = await this.store.read(path);
    return data === undefined ? undefined : decodeGroupAt(data, path);
  }

  /** Every group, by id. */
  async readGroups(): Promise<Group[]> {
    const children = (await this.store.list(groupDir(this.product))) ?? [];
    const groups = await mapLimited(children, READ_PARALLELISM, async (path) => {
      const data = await this.store.read(path);
      return data === undefined ? undefined : decodeGroupAt(data, path);
    });
    return groups.filter((g) => g !== undefined).sort((a, b) => a.id - b.id);
  }

  async updateGroup(group: Group): Promise<void> {
    await this.store.update(
      groupPath(this.product, group.id),
      text(checked(encodeGroup(group), decodeGroup)),
    );
  }

  async deleteGroup(id: number): Promise<void> {
    await this.store.delete(groupPath(this.product, id));
  }

  // Proxies.

  async readProxy(token: string): Promise<ProxyModel | undefined> {
    const path = proxyPath(this.product, token);
    const data = await this.store.read(path);
    return data === undefined ? undefined : decodeProxyAt(data, path);
  }

  /** Every registered proxy, by id. */
  async readProxies(): Promise<ProxyModel[]> {
    const children = (await this.store.list(proxyDir(this.product))) ?? [];
    const proxies = await mapLimited(children, READ_PARALLELISM, async (path) => {
      const data = await this.store.read(path);
      return data === undefined ? undefined : decodeProxyAt(data, path);
    });
    return proxies.filter((p) => p !== undefined).sort((a, b) => a.id - b.id || (a.token < b.token ? -1 : 1));
  }

  async updateProxy(proxy: ProxyModel): Promise<void> {
    await this.store.update(
      proxyPath(this.product, proxy.token),
      text(checked(encodeProxy(proxy), decodeProxy)),
    );
  }

  async deleteProxy(token: string): Promise<void> {
    await this.store.delete(proxyPath(this.product, token));
  }

  // Sentinels: a missing node means none.

  async readSentinel(): Promise<Sentinel> {
    const path = sentinelPath(this.product);
    const data = await this.store.read(path);
    return data === undefined ? emptySentinel() : decodeSentinel(data, path);
  }

  async updateSentinel(sentinel: Sentinel): Promise<void> {
    await this.store.update(
      sentinelPath(this.product),
      text(checked(encodeSentinel(sentinel), decodeSentinel)),
    );
  }

  /** Like `readTopom`, failing with `NodeNotFoundError` when no dashboard holds the product. */
  async mustReadTopom(): Promise<Topom> {
    const topom = await this.readTopom();
    if (topom === undefined) {
      throw new NodeNotFoundError({
        coordinator: this.store.description,
        operation: 'read',
        path: topomPath(this.product),
      });
    }
    return topom;
  }
}

/** The products present in the coordinator (children of /codis3), sorted. */
export async function listProducts(store: Store): Promise<string[]> {
  const children = (await store.list(CODIS_DIR)) ?? [];
  return children.map((path) => path.slice(CODIS_DIR.length + 1));
}

/** Refuses to write a record that would not decode (an id out of range, an unknown state). */
function checked(encoded: string, decode: (text: string) => unknown): string {
  decode(encoded);
  return encoded;
}

function checkSlotId(id: number): number {
  if (!Number.isSafeInteger(id) || id < 0 || id >= MAX_SLOTS) {
    throw new ModelDecodeError(
      'slot',
      undefined,
      'id',
      `${id} is out of range, expected 0..${MAX_SLOTS - 1}`,
    );
  }
  return id;
}

function mismatch(record: string, path: string, field: string, value: string | number): never {
  throw new ModelDecodeError(record, path, field, `${JSON.stringify(value)} does not match the node name`);
}

function decodeSlotAt(data: Buffer, path: string): SlotMapping {
  const slot = decodeSlotMapping(data, path);
  if (slot.id !== slotIdOfPath(path)) mismatch('slot', path, 'id', slot.id);
  return slot;
}

function decodeGroupAt(data: Buffer, path: string): Group {
  const group = decodeGroup(data, path);
  const named = groupIdOfPath(path);
  if (named !== undefined && group.id !== named) mismatch('group', path, 'id', group.id);
  return group;
}

function decodeProxyAt(data: Buffer, path: string): ProxyModel {
  const proxy = decodeProxy(data, path);
  const named = proxyTokenOfPath(path);
  if (named !== undefined && proxy.token !== named) mismatch('proxy', path, 'token', proxy.token);
  return proxy;
}
