// The set type with Redis 7.0's two encodings. An intset (only canonical 64-bit integers, at most
// set-max-intset-entries) is a sorted array of the members' text in numeric order: O(log n) lookup,
// O(n) insert like Redis's intset, and SMEMBERS comes out sorted as in Redis. A hashtable is a Map
// (member → slot in an array) for O(1) add/remove/lookup and O(1) random members (SPOP,
// SRANDMEMBER); deletion moves the last slot into the hole, and the map's iteration order stays
// stable under mutation, which scans rely on. The map is a ShardedMap and the array a ChunkedList: a
// set of millions of members never stops the server to rehash or copy them all at once.
import { parseInt64 } from '../arguments.ts';
import type { CollectionValue } from '../keyspace/value.ts';
import { ChunkedList } from './chunked-list.ts';
import { encodingLimits } from './encoding-limits.ts';
import { ShardedMap } from './sharded-map.ts';

/** Whether Redis would store the member in an intset (string2ll succeeds). */
export function isIntegerMember(member: string): boolean {
  const first = member.charCodeAt(0);
  // Fast rejection before the full parse: an integer starts with a digit or '-'.
  if (!(first === 45 || (first >= 48 && first <= 57))) return false;
  return parseInt64(member) !== undefined;
}

/** Numeric order of two canonical integer texts. */
export function compareIntegerText(a: string, b: string): number {
  const aNegative = a.charCodeAt(0) === 45;
  const bNegative = b.charCodeAt(0) === 45;
  if (aNegative !== bNegative) return aNegative ? -1 : 1;
  let order: number;
  if (a.length !== b.length) order = a.length < b.length ? -1 : 1;
  else order = a < b ? -1 : a > b ? 1 : 0;
  return aNegative ? -order : order;
}

export class SetValue implements CollectionValue {
  readonly type = 'set';
  /** Intset: the members in numeric order (emptied when the set becomes a hashtable). */
  private intset: string[] = [];
  /** Hashtable: the members by slot, and each member's slot (one-way conversion). */
  private list: ChunkedList<string> | undefined;
  private slots: ShardedMap<number> | undefined;

  static fromMembers(members: Iterable<string>): SetValue {
    const set = new SetValue();
    for (const member of members) set.add(member);
    return set;
  }

  encoding(): string {
    return this.slots === undefined ? 'intset' : 'hashtable';
  }

  isIntset(): boolean {
    return this.slots === undefined;
  }

  get size(): number {
    return this.list === undefined ? this.intset.length : this.list.length;
  }

  has(member: string): boolean {
    if (this.slots !== undefined) return this.slots.has(member);
    return isIntegerMember(member) && this.search(member) >= 0;
  }

  /** Binary search in the intset: the index, or -(insertion point) - 1. */
  private search(member: string): number {
    const intset = this.intset;
    let low = 0;
    let high = intset.length - 1;
    while (low <= high) {
      const middle = (low + high) >>> 1;
      const order = compareIntegerText(intset[middle] as string, member);
      if (order < 0) low = middle + 1;
      else if (order > 0) high = middle - 1;
      else return middle;
    }
    return -low - 1;
  }

  /** Adds a member; returns whether it was new. */
  add(member: string): boolean {
    const slots = this.slots;
    if (slots !== undefined) {
      const list = this.list as ChunkedList<string>;
      if (slots.addIfAbsent(member, list.length) !== undefined) return false;
      list.push(member);
      return true;
    }
    if (!isIntegerMember(member)) {
      this.convert();
      return this.add(member);
    }
    const at = this.search(member);
    if (at >= 0) return false;
    this.intset.splice(-at - 1, 0, member);
    if (this.intset.length > encodingLimits.setMaxIntsetEntries) this.convert();
    return true;
  }

  /** Forces the hashtable encoding (sets restored chunk by chunk by a migration keep it). */
  convertToHashtable(): void {
    if (this.slots === undefined) this.convert();
  }

  private convert(): void {
    const slots = new ShardedMap<number>();
    const list = new ChunkedList<string>();
    const intset = this.intset;
    for (let i = 0; i < intset.length; i++) {
      slots.set(intset[i] as string, i);
      list.push(intset[i] as string);
    }
    this.slots = slots;
    this.list = list;
    this.intset = [];
  }

  /** Removes a member; returns whether it existed. */
  delete(member: string): boolean {
    const slots = this.slots;
    if (slots === undefined) {
      if (!isIntegerMember(member)) return false;
      const at = this.search(member);
      if (at < 0) return false;
      this.intset.splice(at, 1);
      return true;
    }
    const slot = slots.take(member);
    if (slot === undefined) return false;
    const list = this.list as ChunkedList<string>;
    const last = list.length - 1;
    if (slot !== last) {
      const moved = list.at(last);
      list.setAt(slot, moved);
      slots.set(moved, slot);
    }
    list.pop();
    return true;
  }

  /** The member at a position 0..size-1 (random access). */
  memberAt(index: number): string {
    return this.list === undefined ? (this.intset[index] as string) : this.list.at(index);
  }

  /** A uniformly random member; the set must not be empty. */
  randomMember(): string {
    return this.memberAt(Math.floor(Math.random() * this.size));
  }

  /** Members: numeric order for an intset, the map's order for a hashtable. */
  members(): IterableIterator<string> {
    return this.slots === undefined ? this.intset.values() : this.slots.keys();
  }

  memoryUsage(): number {
    const list = this.list;
    if (list === undefined) return 16 + this.intset.length * 8;
    let bytes = 64;
    for (let i = 0; i < list.length; i++) bytes += list.at(i).length + 40;
    return bytes;
  }

  clone(): SetValue {
    const copy = new SetValue();
    copy.intset = this.intset.slice();
    if (this.slots !== undefined && this.list !== undefined) {
      copy.slots = this.slots.copy();
      const list = new ChunkedList<string>();
      for (let i = 0; i < this.list.length; i++) list.push(this.list.at(i));
      copy.list = list;
    }
    return copy;
  }
}
