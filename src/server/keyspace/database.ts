// One logical database. Keys are partitioned by Codis slot (1024 maps), so the slot commands and
// migration touch one slot without scanning the others; the maps together are the keyspace.
import { MAX_SLOTS, slotOf } from '../../slots/index.ts';
import { Entry } from './entry.ts';
import type { StoredValue } from './value.ts';
import { valueArena } from './value-arena.ts';

/** What the database tells the rest of the server about. */
export interface KeyspaceHooks {
  /** A key was found expired and removed (lazily or by the active cycle). */
  keyExpired(database: Database, key: string): void;
  /** Whether expired keys are only hidden, not deleted (replicas wait for their master's DEL). */
  readonly expiryHidesOnly: boolean;
  /** Whether expired keys are still seen (a replica applying its master's stream). */
  readonly expiryDisabled?: boolean;
  /**
   * A stream was deleted or replaced (DEL, expiry, an overwrite, RENAME...): XREADGROUP readers
   * blocked on it are told, as Redis 7.0 does.
   */
  streamRemoved?(database: Database, key: string): void;
  /**
   * How many clients are blocked (BLPOP, XREAD...). While none is, a write does not look at the
   * value it replaces or removes to tell streamRemoved: that value is cold in memory, and reading
   * its type was a cache miss on every overwrite (8% of a backend's CPU under 10-key MSETs).
   */
  readonly blockedClients?: number;
  /** Keyspace notifications, when enabled: a key created sends `new` (class n). */
  readonly keyspaceNotifier?:
    | ((type: string, event: string, key: string, databaseIndex: number) => void)
    | undefined;
}

/**
 * Told about a key (in its slot map) just BEFORE it changes, while a snapshot runs: the snapshot
 * keeps the key's pre-image (copy-on-write per key, see persistence/snapshot.ts).
 */
export type WriteObserver = (map: Map<string, Entry>, key: string) => void;

export class Database {
  readonly index: number;
  readonly slots: Map<string, Entry>[];
  /** Keys that have a TTL, for the active expiry cycle and the volatile-* eviction policies. */
  readonly volatileKeys = new Set<string>();
  size = 0;
  /** Set while a snapshot (BGSAVE, AOF rewrite) runs; undefined otherwise so writes pay one check. */
  writeObserver: WriteObserver | undefined;
  /** Slot maps flushed while a snapshot was reading them (see flush). */
  private readonly retiredWhileObserved: Map<string, Entry>[][] = [];
  private readonly hooks: KeyspaceHooks;

  constructor(index: number, hooks: KeyspaceHooks) {
    this.index = index;
    this.hooks = hooks;
    this.slots = new Array<Map<string, Entry>>(MAX_SLOTS);
    for (let i = 0; i < MAX_SLOTS; i++) this.slots[i] = new Map();
  }

  /** The map holding a key's slot. */
  slotMap(key: string): Map<string, Entry> {
    return this.slots[slotOf(key)] as Map<string, Entry>;
  }

  /** A key is about to change (command write lookups, and every mutator below). */
  beforeWrite(key: string): void {
    const observer = this.writeObserver;
    if (observer !== undefined) observer(this.slotMap(key), key);
  }

  /** The entry of a key without any expiry check (used by SLOTSSCAN-like raw views). */
  findRaw(key: string): Entry | undefined {
    return this.slotMap(key).get(key);
  }

  /** The live entry of a key: an expired key is removed (or hidden on a replica) and not returned. */
  lookup(key: string, now: number): Entry | undefined {
    const map = this.slots[slotOf(key)] as Map<string, Entry>;
    const entry = map.get(key);
    if (entry === undefined) return undefined;
    if (entry.expireAt !== 0 && entry.expireAt <= now) {
      if (this.hooks.expiryDisabled) return entry;
      if (this.hooks.expiryHidesOnly) return undefined;
      this.removeEntry(map, key, entry);
      this.hooks.keyExpired(this, key);
      return undefined;
    }
    return entry;
  }

  /** Whether the key has expired (for the active cycle); removes it when it has. */
  expireIfNeeded(key: string, now: number): boolean {
    const map = this.slotMap(key);
    const entry = map.get(key);
    if (entry === undefined || entry.expireAt === 0 || entry.expireAt > now) return false;
    if (this.hooks.expiryHidesOnly) return true;
    this.removeEntry(map, key, entry);
    this.hooks.keyExpired(this, key);
    return true;
  }

  /** Adds a key that does not exist yet. */
  add(key: string, value: StoredValue, now: number): Entry {
    if (this.writeObserver !== undefined) this.beforeWrite(key);
    const entry = new Entry(value, now);
    this.slotMap(key).set(key, entry);
    this.size++;
    if (this.hooks.keyspaceNotifier !== undefined) this.hooks.keyspaceNotifier('n', 'new', key, this.index);
    return entry;
  }

  /**
   * Sets a key's value, creating it when needed. An overwrite drops the TTL unless keepTtl (SET's
   * rule); the access statistics of an existing key are kept.
   */
  set(key: string, value: StoredValue, now: number, keepTtl = false): Entry {
    const map = this.slotMap(key);
    if (this.writeObserver !== undefined) this.writeObserver(map, key);
    const entry = map.get(key);
    if (entry === undefined) {
      const created = new Entry(value, now);
      map.set(key, created);
      this.size++;
      if (this.hooks.keyspaceNotifier !== undefined) this.hooks.keyspaceNotifier('n', 'new', key, this.index);
      return created;
    }
    // The replaced value is read only for blocked stream readers: an arena string would be copied.
    const previous = this.hooks.blockedClients ? entry.value : undefined;
    entry.value = value;
    entry.stringForm = 0;
    if (typeof previous === 'object' && previous.type === 'stream' && previous !== value)
      this.hooks.streamRemoved?.(this, key);
    if (!keepTtl && entry.expireAt !== 0) {
      entry.expireAt = 0;
      this.volatileKeys.delete(key);
    }
    if (entry.expireAt !== 0 && entry.expireAt <= now) {
      // A key found expired but kept (KEEPTTL on a hidden key) would resurrect: drop its TTL.
      entry.expireAt = 0;
      this.volatileKeys.delete(key);
    }
    return entry;
  }

  /** Puts an entry object as is (RENAME, MOVE, SWAPDB keep the record). */
  putEntry(key: string, entry: Entry): void {
    const map = this.slotMap(key);
    if (this.writeObserver !== undefined) this.writeObserver(map, key);
    const previous = map.get(key);
    if (previous === undefined) {
      this.size++;
      if (this.hooks.keyspaceNotifier !== undefined) this.hooks.keyspaceNotifier('n', 'new', key, this.index);
    } else {
      if (previous.expireAt !== 0) this.volatileKeys.delete(key);
      const value = this.hooks.blockedClients ? previous.value : undefined;
      if (typeof value === 'object' && value.type === 'stream' && value !== entry.value)
        this.hooks.streamRemoved?.(this, key);
      if (previous !== entry) previous.release();
    }
    map.set(key, entry);
    if (entry.expireAt !== 0) this.volatileKeys.add(key);
  }

  delete(key: string): boolean {
    const map = this.slotMap(key);
    const entry = map.get(key);
    if (entry === undefined) return false;
    this.removeEntry(map, key, entry);
    return true;
  }

  /** Removes a key whose record moves elsewhere (RENAME, MOVE): its value is kept. */
  detach(key: string): Entry | undefined {
    const map = this.slotMap(key);
    const entry = map.get(key);
    if (entry !== undefined) this.removeEntry(map, key, entry, false);
    return entry;
  }

  /**
   * Removes a key; `release` frees its arena value at once (the snapshot, the only reader of
   * removed records, took its pre-image in writeObserver first).
   */
  private removeEntry(map: Map<string, Entry>, key: string, entry: Entry, release = true): void {
    if (this.writeObserver !== undefined) this.writeObserver(map, key);
    map.delete(key);
    this.size--;
    if (entry.expireAt !== 0) this.volatileKeys.delete(key);
    if (this.hooks.blockedClients) {
      const value = entry.value;
      if (typeof value === 'object' && value.type === 'stream') this.hooks.streamRemoved?.(this, key);
    }
    if (release) entry.release();
  }

  setExpire(key: string, entry: Entry, expireAt: number): void {
    if (this.writeObserver !== undefined) this.beforeWrite(key);
    entry.expireAt = expireAt;
    this.volatileKeys.add(key);
  }

  removeExpire(key: string, entry: Entry): boolean {
    if (entry.expireAt === 0) return false;
    if (this.writeObserver !== undefined) this.beforeWrite(key);
    entry.expireAt = 0;
    this.volatileKeys.delete(key);
    return true;
  }

  /** Removes every key; returns how many there were. */
  flush(): number {
    const removed = this.size;
    const retired = this.slots.slice();
    // Fresh maps rather than clear(): a running snapshot keeps reading the old ones, so their
    // arena values are freed only when it is done.
    for (let i = 0; i < MAX_SLOTS; i++) this.slots[i] = new Map();
    this.volatileKeys.clear();
    this.size = 0;
    if (this.writeObserver === undefined) releaseValues(retired);
    else this.retiredWhileObserved.push(retired);
    return removed;
  }

  /** A snapshot is done with this database: values flushed while it read them are freed. */
  endObservation(): void {
    this.writeObserver = undefined;
    for (const maps of this.retiredWhileObserved) releaseValues(maps);
    this.retiredWhileObserved.length = 0;
  }

  /** Exchanges the whole contents with another database (SWAPDB). */
  swapContents(other: Database): void {
    for (let i = 0; i < MAX_SLOTS; i++) {
      const mine = this.slots[i] as Map<string, Entry>;
      this.slots[i] = other.slots[i] as Map<string, Entry>;
      other.slots[i] = mine;
    }
    const size = this.size;
    this.size = other.size;
    other.size = size;
    const volatile = [...this.volatileKeys];
    this.volatileKeys.clear();
    for (const key of other.volatileKeys) this.volatileKeys.add(key);
    other.volatileKeys.clear();
    for (const key of volatile) other.volatileKeys.add(key);
  }

  /** Every key with its entry, slot by slot (expired keys included). */
  *entries(): IterableIterator<[string, Entry]> {
    for (const map of this.slots) yield* map;
  }

  /** A random key (expired keys included; callers check). Undefined when empty. */
  randomKey(): string | undefined {
    if (this.size === 0) return undefined;
    // Pick a slot weighted by its size, then a position in it.
    let target = Math.floor(Math.random() * this.size);
    for (const map of this.slots) {
      if (target < map.size) {
        for (const key of map.keys()) {
          if (target-- === 0) return key;
        }
      }
      target -= map.size;
    }
    return undefined;
  }
}

/** Frees the arena values of flushed slot maps (their records are garbage from here). */
function releaseValues(maps: readonly Map<string, Entry>[]): void {
  // Without a value in the arena there is nothing to free: no walk over every key.
  if (valueArena.usedBytes === 0) return;
  for (const map of maps) {
    if (map.size === 0) continue;
    for (const entry of map.values()) entry.release();
  }
}
