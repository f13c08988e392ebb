// A map from stream IDs to values that iterates in ID order (Redis keeps pending entries in a rax):
// a Map for lookups plus a sorted array of keys. Deliveries mostly append in ID order, so an
// insert is usually a push; a delete only leaves its key behind in the array (a lookup in the Map
// tells live keys apart), and the array is compacted when most of it is such leftovers.
import { idKey, idOfKey, type StreamId } from './stream-id.ts';

export class IdMap<V> {
  private readonly values = new Map<string, V>();
  /** Sorted keys (idKey), including keys deleted since the last compaction. */
  private keys: string[] = [];

  get size(): number {
    return this.values.size;
  }

  get(id: StreamId): V | undefined {
    return this.values.get(idKey(id));
  }

  has(id: StreamId): boolean {
    return this.values.has(idKey(id));
  }

  set(id: StreamId, value: V): void {
    const key = idKey(id);
    const values = this.values;
    if (values.has(key)) {
      values.set(key, value);
      return;
    }
    values.set(key, value);
    const keys = this.keys;
    const last = keys[keys.length - 1];
    if (last === undefined || last < key) {
      keys.push(key);
      return;
    }
    const at = lowerBound(keys, key);
    // A key deleted earlier may still sit at its place.
    if (keys[at] !== key) keys.splice(at, 0, key);
  }

  delete(id: StreamId): boolean {
    if (!this.values.delete(idKey(id))) return false;
    if (this.values.size === 0) this.keys = [];
    else if (this.keys.length > 64 && this.keys.length > 2 * this.values.size) this.compact();
    return true;
  }

  clear(): void {
    this.values.clear();
    this.keys = [];
  }

  /** The entries with IDs >= `from` (all when undefined), in ID order, as [id, value]. */
  *entries(from?: StreamId): Generator<[StreamId, V]> {
    let keys = this.keys;
    let i = from === undefined ? 0 : lowerBound(keys, idKey(from));
    while (i < keys.length) {
      const key = keys[i] as string;
      const value = this.values.get(key);
      if (value !== undefined) yield [idOfKey(key), value];
      if (keys === this.keys) i++;
      else {
        // A delete by the caller compacted the keys: go on after this one in the new array.
        keys = this.keys;
        i = lowerBound(keys, key);
        if (keys[i] === key) i++;
      }
    }
  }

  /** The first live entry, or undefined. */
  first(): [StreamId, V] | undefined {
    for (const entry of this.entries()) return entry;
    return undefined;
  }

  /** The last live entry, or undefined. */
  last(): [StreamId, V] | undefined {
    const keys = this.keys;
    for (let i = keys.length - 1; i >= 0; i--) {
      const key = keys[i] as string;
      const value = this.values.get(key);
      if (value !== undefined) return [idOfKey(key), value];
    }
    return undefined;
  }

  private compact(): void {
    this.keys = this.keys.filter((key) => this.values.has(key));
  }
}

/** The index of the first key >= key. */
function lowerBound(keys: readonly string[], key: string): number {
  let low = 0;
  let high = keys.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if ((keys[middle] as string) < key) low = middle + 1;
    else high = middle;
  }
  return low;
}
