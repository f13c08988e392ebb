// The list type: a deque over a growable ring buffer, so pushes and pops at both ends and access
// by index are all O(1). Elements are latin1 strings (binary safe).
import type { CollectionValue } from '../keyspace/value.ts';

const MIN_CAPACITY = 8;
/** Per-element overhead counted by memoryUsage (a listpack entry's header and backlen). */
const ENTRY_OVERHEAD = 2;

export class ListValue implements CollectionValue {
  readonly type = 'list' as const;
  /** Ring storage; its length is always a power of two so `& mask` wraps an index. */
  private items: Array<string | undefined>;
  private head = 0;
  private length = 0;
  /** Sum of the element lengths, kept up to date for memoryUsage. */
  private bytes = 0;

  constructor(capacity = MIN_CAPACITY) {
    let size = MIN_CAPACITY;
    while (size < capacity) size *= 2;
    this.items = new Array<string | undefined>(size);
  }

  static fromArray(items: readonly string[]): ListValue {
    const list = new ListValue(items.length);
    for (const item of items) list.pushTail(item);
    return list;
  }

  get size(): number {
    return this.length;
  }

  /**
   * Redis 7.0 always stores lists as a quicklist (of listpack nodes); the listpack encoding for
   * small lists only arrived in 7.2, so OBJECT ENCODING answers quicklist whatever the size.
   */
  encoding(): string {
    return 'quicklist';
  }

  memoryUsage(): number {
    return 48 + this.bytes + this.length * ENTRY_OVERHEAD;
  }

  clone(): ListValue {
    return ListValue.fromArray(this.toArray());
  }

  toArray(): string[] {
    const out = new Array<string>(this.length);
    for (let i = 0; i < this.length; i++) out[i] = this.at(i);
    return out;
  }

  *[Symbol.iterator](): Iterator<string> {
    for (let i = 0; i < this.length; i++) yield this.at(i);
  }

  /** The element at a 0-based index from the head (caller checks 0 <= index < size). */
  at(index: number): string {
    return this.items[(this.head + index) & (this.items.length - 1)] as string;
  }

  /** Replaces the element at a 0-based index (caller checks the range). */
  setAt(index: number, value: string): void {
    const slot = (this.head + index) & (this.items.length - 1);
    this.bytes += value.length - (this.items[slot] as string).length;
    this.items[slot] = value;
  }

  pushHead(value: string): void {
    if (this.length === this.items.length) this.grow();
    this.head = (this.head - 1) & (this.items.length - 1);
    this.items[this.head] = value;
    this.length++;
    this.bytes += value.length;
  }

  pushTail(value: string): void {
    if (this.length === this.items.length) this.grow();
    this.items[(this.head + this.length) & (this.items.length - 1)] = value;
    this.length++;
    this.bytes += value.length;
  }

  popHead(): string | undefined {
    if (this.length === 0) return undefined;
    const value = this.items[this.head] as string;
    this.items[this.head] = undefined;
    this.head = (this.head + 1) & (this.items.length - 1);
    this.length--;
    this.bytes -= value.length;
    this.maybeShrink();
    return value;
  }

  popTail(): string | undefined {
    if (this.length === 0) return undefined;
    const slot = (this.head + this.length - 1) & (this.items.length - 1);
    const value = this.items[slot] as string;
    this.items[slot] = undefined;
    this.length--;
    this.bytes -= value.length;
    this.maybeShrink();
    return value;
  }

  /** Inserts before the element at `index` (index === size appends). O(distance to nearer end). */
  insertAt(index: number, value: string): void {
    if (index <= 0) {
      this.pushHead(value);
      return;
    }
    if (index >= this.length) {
      this.pushTail(value);
      return;
    }
    if (this.length === this.items.length) this.grow();
    const mask = this.items.length - 1;
    const items = this.items;
    if (index < this.length / 2) {
      // Shift the head side one step left.
      this.head = (this.head - 1) & mask;
      for (let i = 0; i < index; i++) items[(this.head + i) & mask] = items[(this.head + i + 1) & mask];
    } else {
      for (let i = this.length; i > index; i--)
        items[(this.head + i) & mask] = items[(this.head + i - 1) & mask];
    }
    items[(this.head + index) & mask] = value;
    this.length++;
    this.bytes += value.length;
  }

  /** Removes `count` elements starting at `start` (caller checks the range). */
  removeRange(start: number, count: number): void {
    if (count <= 0) return;
    const mask = this.items.length - 1;
    const items = this.items;
    for (let i = 0; i < count; i++) this.bytes -= (items[(this.head + start + i) & mask] as string).length;
    const after = this.length - start - count;
    if (start < after) {
      // Move the head side right over the gap.
      for (let i = start - 1; i >= 0; i--)
        items[(this.head + i + count) & mask] = items[(this.head + i) & mask];
      for (let i = 0; i < count; i++) items[(this.head + i) & mask] = undefined;
      this.head = (this.head + count) & mask;
    } else {
      for (let i = 0; i < after; i++)
        items[(this.head + start + i) & mask] = items[(this.head + start + count + i) & mask];
      for (let i = 0; i < count; i++) items[(this.head + this.length - 1 - i) & mask] = undefined;
    }
    this.length -= count;
    this.maybeShrink();
  }

  /**
   * Removes the elements equal to `value`: up to `limit` of them (0 = all), scanning from the
   * head, or from the tail when `fromTail`. Returns how many were removed. One O(n) compaction.
   */
  removeMatching(value: string, limit: number, fromTail: boolean): number {
    const mask = this.items.length - 1;
    const items = this.items;
    const length = this.length;
    let removed = 0;
    if (!fromTail) {
      let write = 0;
      for (let read = 0; read < length; read++) {
        const item = items[(this.head + read) & mask] as string;
        if (item === value && (limit === 0 || removed < limit)) {
          removed++;
          continue;
        }
        if (write !== read) items[(this.head + write) & mask] = item;
        write++;
      }
      for (let i = write; i < length; i++) items[(this.head + i) & mask] = undefined;
    } else {
      let write = length - 1;
      for (let read = length - 1; read >= 0; read--) {
        const item = items[(this.head + read) & mask] as string;
        if (item === value && (limit === 0 || removed < limit)) {
          removed++;
          continue;
        }
        if (write !== read) items[(this.head + write) & mask] = item;
        write--;
      }
      for (let i = 0; i <= write; i++) items[(this.head + i) & mask] = undefined;
      this.head = (this.head + removed) & mask;
    }
    this.length -= removed;
    this.bytes -= removed * value.length;
    this.maybeShrink();
    return removed;
  }

  private grow(): void {
    this.resize(this.items.length * 2);
  }

  /** Gives memory back when a big list shrank to a quarter of its storage. */
  private maybeShrink(): void {
    const capacity = this.items.length;
    if (capacity > 64 && this.length < capacity / 4) this.resize(capacity / 2);
  }

  private resize(capacity: number): void {
    const next = new Array<string | undefined>(capacity);
    for (let i = 0; i < this.length; i++) next[i] = this.at(i);
    this.items = next;
    this.head = 0;
  }
}
