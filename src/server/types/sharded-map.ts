// A Map from strings that never rehashes more than a bounded share of its entries at once, for the
// members of big hashes, sets and sorted sets. V8's Map doubles (and halves) its table in one step:
// the insert that takes it past 1,048,576 entries copies every entry in one go (63 ms on this
// machine, 263 ms at 2,097,152), and every client of the server waits through it; restoring a
// migrated 1,000,000-field hash stalled the target that long. Redis rehashes its dicts
// incrementally for the same reason. Past SHARD_THRESHOLD (16,384) entries they move into
// SHARD_COUNT maps chosen by a hash of the key, so a growth copies at most one shard's share.
//
// Iteration visits the shards in turn, each in its insertion order, and is live as a Map's is:
// what is added or removed meanwhile is seen or not as a Map iterator would, per shard. (Redis
// leaves a hashtable's order unspecified; a small value, whose listpack order Redis keeps, is one
// map.) An iteration begun before the entries moved into shards goes on over the map they left,
// which then stays as it was: every entry present throughout is still visited, as SCAN promises.

/**
 * Entries at which one map becomes shards: moving them takes ~4 ms, and no single map's doubling
 * copies more than this many entries until a shard holds as many (4,000,000 members).
 */
export const SHARD_THRESHOLD = 1 << 14;
const SHARD_COUNT = 256;
const SHARD_MASK = SHARD_COUNT - 1;

/**
 * The shard of a key: FNV-1a over all its characters, two at a time (keys that differ anywhere
 * must spread; V8 hashes the whole string for its own lookup too), then a final mix so the low
 * bits depend on every character.
 */
export function shardOf(key: string): number {
  const length = key.length;
  let hash = 0x811c9dc5 ^ length;
  // Two characters (latin1: 8 bits each) per step.
  let i = 1;
  for (; i < length; i += 2)
    hash = Math.imul(hash ^ (key.charCodeAt(i - 1) | (key.charCodeAt(i) << 8)), 0x01000193);
  if (i === length) hash = Math.imul(hash ^ key.charCodeAt(i - 1), 0x01000193);
  hash ^= hash >>> 16;
  hash = Math.imul(hash, 0x85ebca6b);
  hash ^= hash >>> 13;
  return hash & SHARD_MASK;
}

export class ShardedMap<V> {
  /** The one map while small; undefined once the entries are in shards. */
  private single: Map<string, V> | undefined = new Map();
  private shards: Map<string, V>[] = [];
  private count = 0;

  get size(): number {
    return this.single === undefined ? this.count : this.single.size;
  }

  /** Whether the entries are spread over shards (for tests). */
  get sharded(): boolean {
    return this.single === undefined;
  }

  get(key: string): V | undefined {
    return this.mapOf(key).get(key);
  }

  has(key: string): boolean {
    return this.mapOf(key).has(key);
  }

  set(key: string, value: V): this {
    const map = this.mapOf(key);
    const size = map.size;
    map.set(key, value);
    if (map.size !== size) this.inserted();
    return this;
  }

  /**
   * The value of a key that is there, or undefined after adding it with `value`: one lookup where
   * has/get then set would hash the key twice.
   */
  addIfAbsent(key: string, value: V): V | undefined {
    const map = this.mapOf(key);
    const current = map.get(key);
    if (current !== undefined) return current;
    map.set(key, value);
    this.inserted();
    return undefined;
  }

  /** Removes a key and returns its value (undefined when it was not there). */
  take(key: string): V | undefined {
    const map = this.mapOf(key);
    const current = map.get(key);
    if (current === undefined) return undefined;
    map.delete(key);
    if (this.single === undefined) this.count--;
    return current;
  }

  delete(key: string): boolean {
    if (!this.mapOf(key).delete(key)) return false;
    if (this.single === undefined) this.count--;
    return true;
  }

  /** The map that holds (or would hold) a key. */
  private mapOf(key: string): Map<string, V> {
    return this.single ?? (this.shards[shardOf(key)] as Map<string, V>);
  }

  /** A key was added: counted in shards; the one map spreads at the threshold. */
  private inserted(): void {
    const single = this.single;
    if (single === undefined) this.count++;
    // At the threshold the map is full: spreading now spares it the doubling the next insert makes.
    else if (single.size >= SHARD_THRESHOLD) this.spread(single);
  }

  clear(): void {
    this.single = new Map();
    this.shards = [];
    this.count = 0;
  }

  // While one map holds the entries its own iterators are returned: a generator around them costs
  // a call per entry (SMEMBERS, HKEYS of every hashtable-encoded value).
  keys(): IterableIterator<string> {
    return this.single !== undefined ? this.single.keys() : this.acrossShards((map) => map.keys());
  }

  values(): IterableIterator<V> {
    return this.single !== undefined ? this.single.values() : this.acrossShards((map) => map.values());
  }

  entries(): IterableIterator<[string, V]> {
    return this.single !== undefined ? this.single.entries() : this.acrossShards((map) => map.entries());
  }

  private *acrossShards<T>(iterate: (map: Map<string, V>) => IterableIterator<T>): IterableIterator<T> {
    const shards = this.shards;
    for (let i = 0; i < shards.length; i++) yield* iterate(shards[i] as Map<string, V>);
  }

  [Symbol.iterator](): IterableIterator<[string, V]> {
    return this.entries();
  }

  /** Every entry, without an iterator object per entry (DUMP and RDB walk millions). */
  forEach(visit: (value: V, key: string) => void): void {
    const single = this.single;
    if (single !== undefined) {
      single.forEach(visit);
      return;
    }
    const shards = this.shards;
    for (let i = 0; i < shards.length; i++) (shards[i] as Map<string, V>).forEach(visit);
  }

  /** An independent copy with the same entries (COPY of a set). */
  copy(): ShardedMap<V> {
    const copied = new ShardedMap<V>();
    this.forEach((value, key) => {
      copied.set(key, value);
    });
    return copied;
  }

  /** Moves the entries of the one map into shards, keeping their relative order in each. */
  private spread(single: Map<string, V>): void {
    const shards: Map<string, V>[] = [];
    for (let i = 0; i < SHARD_COUNT; i++) shards.push(new Map());
    single.forEach((value, key) => {
      (shards[shardOf(key)] as Map<string, V>).set(key, value);
    });
    this.shards = shards;
    this.count = single.size;
    // Left as it is: an iteration begun on it goes on over what it held (see the file comment).
    this.single = undefined;
  }
}
