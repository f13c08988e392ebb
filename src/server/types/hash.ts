// The hash type. Fields live in a map (field → slot in two parallel arrays) so lookups, updates and
// deletions are O(1), iteration follows insertion order (Redis's listpack order) and a random field
// (HRANDFIELD) is one array access. Deletion moves the last slot into the hole; the map keeps its
// order because a moved field is only re-assigned, never re-inserted. The map is a ShardedMap, so a
// hash of millions of fields never stops the server to rehash them all at once, and the lists are
// ChunkedLists, which never copy them all to grow either.
import type { CollectionValue } from '../keyspace/value.ts';
import { ChunkedList } from './chunked-list.ts';
import { encodingLimits } from './encoding-limits.ts';
import { ShardedMap } from './sharded-map.ts';

export class HashValue implements CollectionValue {
  readonly type = 'hash';
  private readonly slots = new ShardedMap<number>();
  private readonly fieldList = new ChunkedList<string>();
  private readonly valueList = new ChunkedList<string>();
  /** Listpack while small (one-way: once a hashtable, always a hashtable, as in Redis). */
  private compact = true;

  static fromEntries(entries: Iterable<[string, string]>): HashValue {
    const hash = new HashValue();
    for (const [field, value] of entries) hash.set(field, value);
    return hash;
  }

  encoding(): string {
    return this.compact ? 'listpack' : 'hashtable';
  }

  get size(): number {
    return this.fieldList.length;
  }

  /** Whether Redis would still keep this hash in a listpack (HSCAN replies all at once then). */
  isListpack(): boolean {
    return this.compact;
  }

  get(field: string): string | undefined {
    const slot = this.slots.get(field);
    return slot === undefined ? undefined : this.valueList.at(slot);
  }

  has(field: string): boolean {
    return this.slots.has(field);
  }

  /** Sets a field; returns true when the field is new. */
  set(field: string, value: string): boolean {
    const slot = this.slots.addIfAbsent(field, this.fieldList.length);
    if (slot !== undefined) {
      this.valueList.setAt(slot, value);
      if (this.compact && value.length > encodingLimits.hashMaxListpackValue) this.compact = false;
      return false;
    }
    this.fieldList.push(field);
    this.valueList.push(value);
    if (
      this.compact &&
      (this.fieldList.length > encodingLimits.hashMaxListpackEntries ||
        field.length > encodingLimits.hashMaxListpackValue ||
        value.length > encodingLimits.hashMaxListpackValue)
    )
      this.compact = false;
    return true;
  }

  /** Converts to a hashtable ahead of a write, as Redis does when an argument is too long. */
  convertIfTooLong(text: string): void {
    if (this.compact && text.length > encodingLimits.hashMaxListpackValue) this.compact = false;
  }

  /** Forces the hashtable encoding (hashes restored chunk by chunk by a migration keep it). */
  convertToHashtable(): void {
    this.compact = false;
  }

  /** Removes a field; returns whether it existed. */
  delete(field: string): boolean {
    const slot = this.slots.take(field);
    if (slot === undefined) return false;
    const last = this.fieldList.length - 1;
    if (slot !== last) {
      const movedField = this.fieldList.at(last);
      this.fieldList.setAt(slot, movedField);
      this.valueList.setAt(slot, this.valueList.at(last));
      this.slots.set(movedField, slot);
    }
    this.fieldList.pop();
    this.valueList.pop();
    return true;
  }

  /** Field and value at a position 0..size-1 (random access for HRANDFIELD). */
  fieldAt(index: number): string {
    return this.fieldList.at(index);
  }

  valueAt(index: number): string {
    return this.valueList.at(index);
  }

  /** Fields in insertion order; stays valid while the hash changes (for scans). */
  fields(): IterableIterator<string> {
    return this.slots.keys();
  }

  *entries(): IterableIterator<[string, string]> {
    for (const [field, slot] of this.slots) yield [field, this.valueList.at(slot)];
  }

  /**
   * Every field and value in the order of entries(), without a pair per field: DUMP and the RDB
   * writer walk multi-million-field hashes, where entries()' pairs were hundreds of MB of garbage.
   */
  forEachEntry(visit: (field: string, value: string) => void): void {
    const values = this.valueList;
    this.slots.forEach((slot, field) => {
      visit(field, values.at(slot));
    });
  }

  memoryUsage(): number {
    let bytes = 64;
    const fields = this.fieldList;
    const values = this.valueList;
    const perEntry = this.compact ? 4 : 56;
    for (let i = 0; i < fields.length; i++) bytes += fields.at(i).length + values.at(i).length + perEntry;
    return bytes;
  }

  clone(): HashValue {
    const copy = new HashValue();
    for (const [field, slot] of this.slots) copy.set(field, this.valueList.at(slot));
    copy.compact = this.compact;
    return copy;
  }
}
