// The stream type, laid out as Redis lays it out so that every size-dependent behaviour matches:
// entries live in nodes (Redis's listpacks in a rax) that start a new node past
// stream-node-max-entries entries or stream-node-max-bytes bytes, counted the way a listpack counts
// them. A deleted entry stays in its node, flagged, until the node has no live entry left; MAXLEN ~
// and MINID ~ trim whole nodes only. Consumer groups keep their pending entries (PEL) in ID order.
import type { CollectionValue } from '../keyspace/value.ts';
import { encodingLimits } from './encoding-limits.ts';
import { IdMap } from './id-map.ts';
import {
  LISTPACK_EMPTY_BYTES,
  listpackIntegerBytes,
  listpackSmallIntegerBytes,
  listpackStringBytes,
} from './listpack-size.ts';
import { compareIds, isZeroId, MAX_ID, MIN_ID, nextId, type StreamId, UINT64_MAX } from './stream-id.ts';

/** Listpacks never grow past this, whatever stream-node-max-bytes says (STREAM_LISTPACK_MAX_SIZE). */
export const STREAM_LISTPACK_MAX_SIZE = 2 ** 30;
/** A group's entries_read when unknown (SCG_INVALID_ENTRIES_READ). */
export const ENTRIES_READ_UNKNOWN = -1n;

export const FLAG_DELETED = 1;
export const FLAG_SAME_FIELDS = 2;

export class StreamEntry {
  readonly id: StreamId;
  /** field, value, field, value... */
  readonly fields: string[];
  /** FLAG_DELETED and FLAG_SAME_FIELDS, as the entry's listpack flags. */
  flags: number;

  constructor(id: StreamId, fields: string[], flags: number) {
    this.id = id;
    this.fields = fields;
    this.flags = flags;
  }

  get deleted(): boolean {
    return (this.flags & FLAG_DELETED) !== 0;
  }
}

/** Turns a loaded node's listpack into its entries (the RDB codec's, given at load time). */
export type NodeDecoder = (listpack: Buffer, node: StreamNode) => StreamEntry[];

/**
 * One listpack of Redis's stream: a master entry (its ID is the rax key) and entries after it. A
 * node loaded from an RDB file or a DUMP payload keeps its listpack as it came and makes entry
 * objects only when a command first needs them: a stream of millions of entries loads, and dumps
 * again, as a few buffers, as in Redis, instead of millions of objects for the collector.
 */
export class StreamNode {
  readonly masterId: StreamId;
  readonly masterFields: string[];
  private decoded: StreamEntry[] | undefined;
  /** The listpack as loaded, until the entries are made from it. */
  private raw: Buffer | undefined;
  private decoder: NodeDecoder | undefined;
  /** A loaded node's last entry (deleted or not), known without making the entries. */
  private rawLastId: StreamId | undefined;
  /** Live and deleted entries (the master entry's count and deleted). */
  live = 0;
  deleted = 0;
  /** The listpack's bytes except the count and deleted elements, which change in place. */
  private fixedBytes: number;

  constructor(masterId: StreamId, masterFields: string[]) {
    this.masterId = masterId;
    this.masterFields = masterFields;
    this.decoded = [];
    let bytes = LISTPACK_EMPTY_BYTES + listpackSmallIntegerBytes(masterFields.length) + 2;
    for (const field of masterFields) bytes += listpackStringBytes(field);
    this.fixedBytes = bytes;
  }

  /** A node loaded as its listpack (checked by the caller), its entries made on first use. */
  static loaded(
    masterId: StreamId,
    masterFields: string[],
    live: number,
    deleted: number,
    lastId: StreamId,
    listpack: Buffer,
    decoder: NodeDecoder,
  ): StreamNode {
    const node = new StreamNode(masterId, masterFields);
    node.decoded = undefined;
    node.raw = listpack;
    node.decoder = decoder;
    node.rawLastId = lastId;
    node.live = live;
    node.deleted = deleted;
    return node;
  }

  /** The entries, live and deleted, in ID order (made from a loaded listpack on first use). */
  get entries(): StreamEntry[] {
    const decoded = this.decoded;
    if (decoded !== undefined) return decoded;
    const raw = this.raw as Buffer;
    const entries = (this.decoder as NodeDecoder)(raw, this);
    this.decoded = entries;
    this.fixedBytes =
      raw.length - listpackSmallIntegerBytes(this.live) - listpackSmallIntegerBytes(this.deleted);
    // From now on the entries are the truth (commands change them in place).
    this.raw = undefined;
    this.decoder = undefined;
    this.rawLastId = undefined;
    return entries;
  }

  /** The listpack as it was loaded, while no command has needed the entries (written back as is). */
  get listpack(): Buffer | undefined {
    return this.raw;
  }

  /** lpBytes of the node's listpack. */
  get bytes(): number {
    if (this.raw !== undefined) return this.raw.length;
    return this.fixedBytes + listpackSmallIntegerBytes(this.live) + listpackSmallIntegerBytes(this.deleted);
  }

  /** Appends an entry (in ID order), as a listpack element sequence. */
  push(entry: StreamEntry): void {
    const fields = entry.fields;
    const numfields = fields.length / 2;
    const same = (entry.flags & FLAG_SAME_FIELDS) !== 0;
    let bytes =
      2 +
      listpackIntegerBytes(BigInt.asIntN(64, entry.id.ms - this.masterId.ms)) +
      listpackIntegerBytes(BigInt.asIntN(64, entry.id.seq - this.masterId.seq));
    if (!same) bytes += listpackSmallIntegerBytes(numfields);
    for (let i = 0; i < fields.length; i += 2) {
      if (!same) bytes += listpackStringBytes(fields[i] as string);
      bytes += listpackStringBytes(fields[i + 1] as string);
    }
    bytes += listpackSmallIntegerBytes(same ? numfields + 3 : 2 * numfields + 4);
    const entries = this.entries;
    this.fixedBytes += bytes;
    entries.push(entry);
    if (entry.deleted) this.deleted++;
    else this.live++;
  }

  /** A deep copy; a loaded node shares its listpack, which nothing writes to. */
  clone(): StreamNode {
    if (this.raw !== undefined) {
      return StreamNode.loaded(
        this.masterId,
        this.masterFields,
        this.live,
        this.deleted,
        this.rawLastId as StreamId,
        this.raw,
        this.decoder as NodeDecoder,
      );
    }
    const copy = new StreamNode(this.masterId, this.masterFields.slice());
    for (const entry of this.entries) copy.push(new StreamEntry(entry.id, entry.fields.slice(), entry.flags));
    return copy;
  }

  /** Whether `fields` (pairs) name the master fields in the same order. */
  sameFields(fields: readonly string[]): boolean {
    const master = this.masterFields;
    if (fields.length !== 2 * master.length) return false;
    for (let i = 0; i < master.length; i++) if (fields[2 * i] !== master[i]) return false;
    return true;
  }

  get lastId(): StreamId {
    if (this.rawLastId !== undefined) return this.rawLastId;
    const entries = this.entries;
    return (entries[entries.length - 1] as StreamEntry).id;
  }
}

export class StreamNack {
  consumer: StreamConsumer;
  deliveryTime: number;
  deliveryCount: number;

  constructor(consumer: StreamConsumer, deliveryTime: number, deliveryCount: number) {
    this.consumer = consumer;
    this.deliveryTime = deliveryTime;
    this.deliveryCount = deliveryCount;
  }
}

export class StreamConsumer {
  readonly name: string;
  seenTime: number;
  readonly pel = new IdMap<StreamNack>();

  constructor(name: string, seenTime: number) {
    this.name = name;
    this.seenTime = seenTime;
  }
}

export class ConsumerGroup {
  readonly name: string;
  lastId: StreamId;
  /** Entries the group has read (its logical position), or ENTRIES_READ_UNKNOWN. */
  entriesRead: bigint;
  readonly pel = new IdMap<StreamNack>();
  readonly consumers = new Map<string, StreamConsumer>();

  constructor(name: string, lastId: StreamId, entriesRead: bigint) {
    this.name = name;
    this.lastId = lastId;
    this.entriesRead = entriesRead;
  }

  /** Consumers in name order (Redis keeps them in a rax). */
  sortedConsumers(): StreamConsumer[] {
    return [...this.consumers.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  /** Removes a consumer and its pending entries from the group; returns how many it had. */
  deleteConsumer(name: string): number {
    const consumer = this.consumers.get(name);
    if (consumer === undefined) return 0;
    const pending = consumer.pel.size;
    for (const [id] of consumer.pel.entries()) this.pel.delete(id);
    this.consumers.delete(name);
    return pending;
  }
}

export class StreamValue implements CollectionValue {
  readonly type = 'stream';
  /** In master-ID order. */
  readonly nodes: StreamNode[] = [];
  /** Live entries. */
  length = 0;
  lastId: StreamId = MIN_ID;
  /** The first live entry's ID (0-0 when empty), as Redis 7's recorded-first-entry-id. */
  firstId: StreamId = MIN_ID;
  maxDeletedEntryId: StreamId = MIN_ID;
  /** Entries ever added (Redis 7's entries_added). */
  entriesAdded = 0n;
  /** Consumer groups by name; undefined until the first one (Redis's cgroups rax). */
  groups: Map<string, ConsumerGroup> | undefined;

  encoding(): string {
    return 'stream';
  }

  get size(): number {
    return this.length;
  }

  /**
   * The ID `*` gives: now, or after the last ID when the clock is behind it. Undefined when the
   * last ID is the largest possible (Redis's streamIncrID error).
   */
  autoId(now: number): StreamId | undefined {
    const ms = BigInt(now);
    if (ms > this.lastId.ms) return { ms, seq: 0n };
    return nextId(this.lastId);
  }

  /** Whether an entry with these fields fits a listpack at all (Redis's ERANGE check). */
  static fieldsTooLarge(fields: readonly string[]): boolean {
    let total = 0;
    for (const field of fields) total += field.length;
    return total > STREAM_LISTPACK_MAX_SIZE;
  }

  /** Appends an entry; the caller checked that id > lastId. */
  append(id: StreamId, fields: string[]): void {
    const nodes = this.nodes;
    let node = nodes[nodes.length - 1];
    if (node !== undefined) {
      let maxBytes = encodingLimits.streamNodeMaxBytes;
      if (maxBytes === 0 || maxBytes > STREAM_LISTPACK_MAX_SIZE) maxBytes = STREAM_LISTPACK_MAX_SIZE;
      let total = 0;
      for (const field of fields) total += field.length;
      const maxEntries = encodingLimits.streamNodeMaxEntries;
      if (node.bytes + total >= maxBytes) node = undefined;
      else if (maxEntries > 0 && node.live + node.deleted >= maxEntries) node = undefined;
    }
    let flags = 0;
    let stored = fields;
    if (node === undefined) {
      const master = new Array<string>(fields.length / 2);
      for (let i = 0; i < master.length; i++) master[i] = fields[2 * i] as string;
      node = new StreamNode(id, master);
      // In master-ID order, as Redis's rax: after XSETID lowered the last ID of an empty stream
      // that kept a node, the new node's key sorts before that node (and later entries keep going
      // to that, the largest, node; Redis then makes a node per entry and trims them first).
      nodes.splice(this.nodesUpTo(id), 0, node);
      flags = FLAG_SAME_FIELDS;
    } else if (node.sameFields(fields)) {
      flags = FLAG_SAME_FIELDS;
      // Share the master's field strings.
      const master = node.masterFields;
      stored = fields.slice();
      for (let i = 0; i < master.length; i++) stored[2 * i] = master[i] as string;
    }
    node.push(new StreamEntry(id, stored, flags));
    this.length++;
    this.entriesAdded++;
    this.lastId = id;
    if (this.length === 1) this.firstId = id;
  }

  /** How many nodes have a master ID <= id: where a node keyed id goes. */
  private nodesUpTo(id: StreamId): number {
    const nodes = this.nodes;
    let low = 0;
    let high = nodes.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (compareIds((nodes[middle] as StreamNode).masterId, id) <= 0) low = middle + 1;
      else high = middle;
    }
    return low;
  }

  /** The index of the node that may hold id: the last one whose master ID is <= id (0 if none). */
  private nodeIndexFor(id: StreamId): number {
    return Math.max(this.nodesUpTo(id) - 1, 0);
  }

  /** The live entry with this ID, or undefined. */
  find(id: StreamId): StreamEntry | undefined {
    return this.locate(id)?.entry;
  }

  /**
   * The live entry with this ID and the index of its node, found as Redis's iterator finds it: in
   * the node whose master ID is the largest <= id, entries read in order, deleted ones skipped,
   * the search ending at the first live entry beyond id. Entries are read one by one rather than
   * bisected, because a node need not hold its entries in ID order (see append).
   */
  private locate(id: StreamId): { index: number; entry: StreamEntry } | undefined {
    const nodes = this.nodes;
    for (let n = this.nodeIndexFor(id); n < nodes.length; n++) {
      const entries = (nodes[n] as StreamNode).entries;
      for (let i = 0; i < entries.length; i++) {
        const entry = entries[i] as StreamEntry;
        if (entry.deleted) continue;
        const order = compareIds(entry.id, id);
        if (order === 0) return { index: n, entry };
        if (order > 0) return undefined;
      }
    }
    return undefined;
  }

  /**
   * Live entries with start <= ID <= end, in the order Redis's stream iterator gives them: from the
   * node whose master ID is the largest <= start (<= end backwards), entry by entry, deleted ones
   * skipped, ending at the first live entry past the range. In a stream whose IDs all ascend, that
   * is ID order (or reversed).
   */
  *range(start: StreamId, end: StreamId, reverse = false): Generator<StreamEntry> {
    if (compareIds(start, end) > 0) return;
    const nodes = this.nodes;
    if (!reverse) {
      for (let n = this.nodeIndexFor(start); n < nodes.length; n++) {
        const entries = (nodes[n] as StreamNode).entries;
        for (let i = 0; i < entries.length; i++) {
          const entry = entries[i] as StreamEntry;
          if (entry.deleted || compareIds(entry.id, start) < 0) continue;
          if (compareIds(entry.id, end) > 0) return;
          yield entry;
        }
      }
      return;
    }
    for (let n = this.nodeIndexFor(end); n >= 0; n--) {
      const node = nodes[n] as StreamNode | undefined;
      if (node === undefined) return;
      const entries = node.entries;
      for (let i = entries.length - 1; i >= 0; i--) {
        const entry = entries[i] as StreamEntry;
        if (entry.deleted || compareIds(entry.id, end) > 0) continue;
        if (compareIds(entry.id, start) < 0) return;
        yield entry;
      }
    }
  }

  /** The first (or last) live entry's ID; undefined when the stream is empty. */
  edgeId(first: boolean): StreamId | undefined {
    for (const entry of this.range(MIN_ID, MAX_ID, !first)) return entry.id;
    return undefined;
  }

  /** Deletes a live entry (XDEL); returns whether it was there. */
  delete(id: StreamId): boolean {
    const found = this.locate(id);
    if (found === undefined) return false;
    const node = this.nodes[found.index] as StreamNode;
    if (node.live === 1) this.nodes.splice(found.index, 1);
    else {
      found.entry.flags |= FLAG_DELETED;
      node.live--;
      node.deleted++;
    }
    this.length--;
    return true;
  }

  /** After deletions: the recorded first ID follows the first live entry. */
  refreshFirstId(): void {
    this.firstId = this.length === 0 ? MIN_ID : (this.edgeId(true) ?? MIN_ID);
  }

  /**
   * Redis's streamTrim: removes the oldest entries down to `maxlen` entries (or below `minid`).
   * `approx` removes whole nodes only; `limit` (0 = none) bounds the entries removed. Returns how
   * many were removed.
   */
  trim(maxlen: number | undefined, minid: StreamId | undefined, approx: boolean, limit: number): number {
    let deleted = 0;
    const nodes = this.nodes;
    while (nodes.length > 0) {
      if (maxlen !== undefined && this.length <= maxlen) break;
      const node = nodes[0] as StreamNode;
      const entries = node.live;
      if (limit > 0 && deleted + entries > limit) break;
      const removeNode =
        maxlen !== undefined
          ? this.length - entries >= maxlen
          : compareIds(node.lastId, minid as StreamId) < 0;
      if (removeNode) {
        nodes.shift();
        this.length -= entries;
        deleted += entries;
        continue;
      }
      if (approx) break;
      let deletedHere = 0;
      for (const entry of node.entries) {
        const stop =
          maxlen !== undefined ? this.length <= maxlen : compareIds(entry.id, minid as StreamId) >= 0;
        if (stop) break;
        if (!entry.deleted) {
          entry.flags |= FLAG_DELETED;
          deletedHere++;
          this.length--;
        }
      }
      node.live -= deletedHere;
      node.deleted += deletedHere;
      deleted += deletedHere;
      break;
    }
    this.refreshFirstId();
    return deleted;
  }

  // ---- consumer groups ----

  group(name: string): ConsumerGroup | undefined {
    return this.groups?.get(name);
  }

  /** Creates a group; undefined when the name is taken. */
  createGroup(name: string, lastId: StreamId, entriesRead: bigint): ConsumerGroup | undefined {
    if (this.groups === undefined) this.groups = new Map();
    if (this.groups.has(name)) return undefined;
    const group = new ConsumerGroup(name, lastId, entriesRead);
    this.groups.set(name, group);
    return group;
  }

  /** Groups in name order (Redis keeps them in a rax). */
  sortedGroups(): ConsumerGroup[] {
    if (this.groups === undefined) return [];
    return [...this.groups.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  /** Whether start <= max_deleted_entry_id <= end for a live stream (streamRangeHasTombstones). */
  rangeHasTombstones(start: StreamId | undefined, end: StreamId | undefined): boolean {
    if (this.length === 0 || isZeroId(this.maxDeletedEntryId)) return false;
    if (compareIds(this.firstId, this.maxDeletedEntryId) > 0) return false;
    const from = start ?? MIN_ID;
    const to = end ?? MAX_ID;
    return compareIds(from, this.maxDeletedEntryId) <= 0 && compareIds(this.maxDeletedEntryId, to) <= 0;
  }

  /**
   * The number of entries added up to `id` (Redis's streamEstimateDistanceFromFirstEverEntry), or
   * ENTRIES_READ_UNKNOWN when deletions make it unknowable.
   */
  distanceFromFirstEverEntry(id: StreamId): bigint {
    if (this.entriesAdded === 0n) return 0n;
    if (this.length === 0 && compareIds(id, this.lastId) < 1) return this.entriesAdded;
    const vsLast = compareIds(id, this.lastId);
    if (vsLast === 0) return this.entriesAdded;
    if (vsLast > 0) return ENTRIES_READ_UNKNOWN;
    const vsFirst = compareIds(id, this.firstId);
    const tombstoneVsFirst = compareIds(this.maxDeletedEntryId, this.firstId);
    if (isZeroId(this.maxDeletedEntryId) || tombstoneVsFirst < 0) {
      if (vsFirst < 0) return this.entriesAdded - BigInt(this.length);
      if (vsFirst === 0) return this.entriesAdded - BigInt(this.length) + 1n;
    }
    return ENTRIES_READ_UNKNOWN;
  }

  /** A group's lag (entries not yet delivered to it), or undefined when unknown. */
  groupLag(group: ConsumerGroup): bigint | undefined {
    if (this.entriesAdded === 0n) return 0n;
    if (group.entriesRead !== ENTRIES_READ_UNKNOWN && !this.rangeHasTombstones(group.lastId, undefined))
      return this.entriesAdded - group.entriesRead;
    const read = this.distanceFromFirstEverEntry(group.lastId);
    return read === ENTRIES_READ_UNKNOWN ? undefined : this.entriesAdded - read;
  }

  memoryUsage(): number {
    let bytes = 64;
    for (const node of this.nodes) bytes += node.bytes + 48;
    if (this.groups !== undefined) {
      for (const group of this.groups.values()) {
        bytes += 64 + group.name.length + group.pel.size * 48;
        for (const consumer of group.consumers.values()) bytes += 48 + consumer.name.length;
      }
    }
    return bytes;
  }

  clone(): StreamValue {
    const copy = new StreamValue();
    for (const node of this.nodes) copy.nodes.push(node.clone());
    copy.length = this.length;
    copy.lastId = this.lastId;
    copy.firstId = this.firstId;
    copy.maxDeletedEntryId = this.maxDeletedEntryId;
    copy.entriesAdded = this.entriesAdded;
    if (this.groups !== undefined) {
      for (const group of this.groups.values()) {
        const groupCopy = copy.createGroup(group.name, group.lastId, group.entriesRead) as ConsumerGroup;
        for (const consumer of group.consumers.values()) {
          const consumerCopy = new StreamConsumer(consumer.name, consumer.seenTime);
          groupCopy.consumers.set(consumer.name, consumerCopy);
          for (const [id, nack] of consumer.pel.entries()) {
            const nackCopy = new StreamNack(consumerCopy, nack.deliveryTime, nack.deliveryCount);
            consumerCopy.pel.set(id, nackCopy);
            groupCopy.pel.set(id, nackCopy);
          }
        }
      }
    }
    return copy;
  }
}

export { MAX_ID, MIN_ID, UINT64_MAX };
