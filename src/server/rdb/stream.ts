// Stream objects: RDB_TYPE_STREAM_LISTPACKS (15, Redis 5 to 6.2), _2 (19, Redis 7.0: first ID,
// largest deleted ID, entries added, groups' entries read) and _3 (21, Redis 7.2: consumers'
// active time). The body is Redis's rax of listpacks as it is in memory: per node the master ID
// (16 bytes, big-endian) and the node's listpack, then the stream's metadata, then per consumer
// group its last ID, its pending entries (raw IDs, delivery time and count) and its consumers with
// the IDs of the pending entries they own.
//
// Reading checks what Redis's deep sanitization checks and whatever our structures rely on (IDs
// ascending, counts that agree, every pending entry owned by exactly one consumer), so a corrupt
// body is an RdbFormatError. Writing produces type 19 byte for byte as Redis 7.0 does: the node
// listpacks are rebuilt element by element with Redis's encodings.

import { StreamEntry, type StreamNode, type StreamValue } from '../types/stream.ts';
import { compareIds, idKey, idOfKey, MAX_ID, MIN_ID, type StreamId } from '../types/stream-id.ts';
import {
  RDB_TYPE_STREAM_LISTPACKS,
  RDB_TYPE_STREAM_LISTPACKS_2,
  RDB_TYPE_STREAM_LISTPACKS_3,
} from './constants.ts';
import { RdbFormatError } from './errors.ts';
import { ListpackBuilder, ListpackCursor } from './listpack.ts';
import type { RdbReader } from './reader.ts';
import type { RdbWriter } from './writer.ts';

/** Entry flags in a node's listpack (STREAM_ITEM_FLAG_DELETED, _SAMEFIELDS). */
const FLAG_DELETED = 1;
const FLAG_SAME_FIELDS = 2;
const ID_BYTES = 16;

/**
 * A node as loaded: its listpack, checked and kept whole, with what the stream needs to know
 * without making its entries (counts, master fields, first live and last IDs).
 */
export interface RdbStreamNode {
  readonly masterId: StreamId;
  readonly masterFields: string[];
  readonly live: number;
  readonly deleted: number;
  /** The last entry's ID, deleted or not. */
  readonly lastId: StreamId;
  /** The first live entry's ID, undefined when every entry is deleted. */
  readonly firstLiveId: StreamId | undefined;
  readonly listpack: Buffer;
}

export interface RdbStreamNack {
  readonly id: StreamId;
  readonly deliveryTime: number;
  readonly deliveryCount: number;
  /** The index of the owning consumer in the group's consumers. */
  consumer: number;
}

export interface RdbStreamConsumer {
  readonly name: string;
  readonly seenTime: number;
  /** Redis 7.2's active time (the seen time for older types). */
  readonly activeTime: number;
}

export interface RdbStreamGroup {
  readonly name: string;
  readonly lastId: StreamId;
  /** Undefined for type 15, which has none: estimated at load, as Redis does. */
  readonly entriesRead: bigint | undefined;
  /** The group's pending entries, in the order of the body. */
  readonly pending: RdbStreamNack[];
  readonly consumers: RdbStreamConsumer[];
}

export interface RdbStream {
  readonly type: 'stream';
  readonly nodes: RdbStreamNode[];
  readonly length: number;
  readonly lastId: StreamId;
  readonly firstId: StreamId;
  readonly maxDeletedEntryId: StreamId;
  readonly entriesAdded: bigint;
  readonly groups: RdbStreamGroup[];
}

export function isStreamType(type: number): boolean {
  return (
    type === RDB_TYPE_STREAM_LISTPACKS ||
    type === RDB_TYPE_STREAM_LISTPACKS_2 ||
    type === RDB_TYPE_STREAM_LISTPACKS_3
  );
}

function fail(message: string): never {
  throw new RdbFormatError(`corrupt stream: ${message}`);
}

function readId(reader: RdbReader): StreamId {
  const ms = reader.readLengthBig();
  return { ms, seq: reader.readLengthBig() };
}

/** The master entry: live and deleted counts and the master fields, with the cursor after it. */
function readMaster(lp: ListpackCursor): { live: number; deleted: number; masterFields: string[] } {
  if (lp.atEnd) fail('empty listpack');
  const live = lp.small(Number.MAX_SAFE_INTEGER);
  const deleted = lp.small(Number.MAX_SAFE_INTEGER);
  const fieldCount = lp.small(Number.MAX_SAFE_INTEGER);
  const masterFields: string[] = [];
  for (let i = 0; i < fieldCount; i++) masterFields.push(lp.string());
  if (lp.bigint() !== 0n) fail('master entry without its terminator');
  return { live, deleted, masterFields };
}

/**
 * Walks every entry of a node's listpack, checking what Redis's deep sanitization checks (element
 * counts, the master entry's counts), calling `visit` for each entry with its ID and flags;
 * `fields` makes the entry's field strings (else they are only stepped over). Entry IDs are not required to ascend, nor to be above
 * the node's master ID: Redis writes such nodes itself after XSETID lowered the last ID of an
 * empty stream that kept a node of deleted entries (later entries go after those, with negative
 * deltas), and loads them back.
 */
function walkNode(
  masterId: StreamId,
  blob: Uint8Array,
  fields: ((lp: ListpackCursor, masterFields: string[], count: number, same: boolean) => void) | undefined,
  visit: (id: StreamId, flags: number) => void,
): { live: number; deleted: number; masterFields: string[]; last: StreamId } {
  const lp = new ListpackCursor(blob);
  const { live, deleted, masterFields } = readMaster(lp);
  const fieldCount = masterFields.length;
  let entries = 0;
  let liveSeen = 0;
  let last: StreamId | undefined;
  // Consecutive entries mostly repeat a delta (same millisecond, or sequence 0): their ID halves
  // are then the previous entry's bigints, not new ones.
  let msDelta: number | bigint = 0;
  let ms = masterId.ms;
  let seqDelta: number | bigint = 0;
  let seq = masterId.seq;
  while (!lp.atEnd) {
    const flags = lp.small(FLAG_DELETED | FLAG_SAME_FIELDS);
    // Deltas are int64s added with the wrap-around of C's uint64 arithmetic.
    const nextMsDelta = lp.integer();
    if (nextMsDelta !== msDelta) {
      msDelta = nextMsDelta;
      ms = BigInt.asUintN(64, masterId.ms + BigInt(msDelta));
    }
    const nextSeqDelta = lp.integer();
    if (nextSeqDelta !== seqDelta) {
      seqDelta = nextSeqDelta;
      seq = BigInt.asUintN(64, masterId.seq + BigInt(seqDelta));
    }
    const same = (flags & FLAG_SAME_FIELDS) !== 0;
    let pieces: number;
    let count: number;
    if (same) {
      count = fieldCount;
      pieces = fieldCount + 3;
    } else {
      count = lp.small(Number.MAX_SAFE_INTEGER);
      pieces = 2 * count + 4;
    }
    if (fields !== undefined) fields(lp, masterFields, count, same);
    else for (let i = same ? count : 2 * count; i > 0; i--) lp.stepOver();
    if (lp.small(Number.MAX_SAFE_INTEGER) !== pieces) fail("an entry's element count is wrong");
    entries++;
    if ((flags & FLAG_DELETED) === 0) liveSeen++;
    const id = { ms, seq };
    visit(id, flags);
    last = id;
  }
  lp.end();
  if (entries === 0) fail('node without entries');
  if (liveSeen !== live || entries - liveSeen !== deleted)
    fail('master entry counts disagree with the entries');
  return { live, deleted, masterFields, last: last as StreamId };
}

/** Checks a node's listpack and reads what the stream needs without making its entries. */
export function scanNode(masterId: StreamId, blob: Uint8Array): RdbStreamNode {
  let firstLiveId: StreamId | undefined;
  const scanned = walkNode(masterId, blob, undefined, (id, flags) => {
    if (firstLiveId === undefined && (flags & FLAG_DELETED) === 0) firstLiveId = id;
  });
  const listpack = Buffer.isBuffer(blob) ? blob : Buffer.from(blob.buffer, blob.byteOffset, blob.length);
  return {
    masterId,
    masterFields: scanned.masterFields,
    live: scanned.live,
    deleted: scanned.deleted,
    lastId: scanned.last,
    firstLiveId,
    listpack,
  };
}

/** The entries of a loaded node's listpack (checked when it was loaded). */
export function decodeNode(listpack: Buffer, node: StreamNode): StreamEntry[] {
  const entries: StreamEntry[] = [];
  let fields: string[] = [];
  walkNode(
    node.masterId,
    listpack,
    (lp, masterFields, count, same) => {
      fields = [];
      if (same) for (const field of masterFields) fields.push(field, lp.string());
      else for (let i = 0; i < count; i++) fields.push(lp.string(), lp.string());
    },
    (id, flags) => entries.push(new StreamEntry(id, fields, flags)),
  );
  return entries;
}

function readGroup(reader: RdbReader, type: number, names: Set<string>): RdbStreamGroup {
  const name = reader.readString();
  if (names.has(name)) fail(`duplicated consumer group name ${name}`);
  names.add(name);
  const lastId = readId(reader);
  // Redis keeps entries_read as a long long: 2^64-1 is -1, "unknown".
  const entriesRead =
    type === RDB_TYPE_STREAM_LISTPACKS ? undefined : BigInt.asIntN(64, reader.readLengthBig());
  // An ID, a delivery time and a count at least.
  const pendingCount = reader.readCount(ID_BYTES + 9);
  const pending: RdbStreamNack[] = [];
  const byId = new Map<string, RdbStreamNack>();
  for (let i = 0; i < pendingCount; i++) {
    const key = reader.readBytes(ID_BYTES).latin1Slice();
    const deliveryTime = reader.readMillisecondTime();
    const deliveryCount = Number(reader.readLengthBig());
    if (byId.has(key)) fail('duplicated global PEL entry');
    const nack: RdbStreamNack = { id: idOfKey(key), deliveryTime, deliveryCount, consumer: -1 };
    byId.set(key, nack);
    pending.push(nack);
  }
  // A name, a seen time and a count at least.
  const consumerCount = reader.readCount(10);
  const consumers: RdbStreamConsumer[] = [];
  const consumerNames = new Set<string>();
  for (let c = 0; c < consumerCount; c++) {
    const consumerName = reader.readString();
    if (consumerNames.has(consumerName)) fail('duplicate stream consumer');
    consumerNames.add(consumerName);
    const seenTime = reader.readMillisecondTime();
    const activeTime = type === RDB_TYPE_STREAM_LISTPACKS_3 ? reader.readMillisecondTime() : seenTime;
    consumers.push({ name: consumerName, seenTime, activeTime });
    const owned = reader.readCount(ID_BYTES);
    for (let i = 0; i < owned; i++) {
      const nack = byId.get(reader.readBytes(ID_BYTES).latin1Slice());
      if (nack === undefined) fail('consumer entry not found in the group PEL');
      if (nack.consumer === c) fail('duplicated consumer PEL entry');
      if (nack.consumer !== -1) fail('a PEL entry owned by two consumers');
      nack.consumer = c;
    }
  }
  for (const nack of pending) if (nack.consumer === -1) fail('group PEL entry without consumer');
  return { name, lastId, entriesRead, pending, consumers };
}

/** Reads the body of a stream of RDB type 15, 19 or 21. */
export function readStream(reader: RdbReader, type: number): RdbStream {
  // A node takes a key and a listpack: 8 bytes even if both were LZF-compressed.
  const nodeCount = reader.readCount(8);
  const nodes: RdbStreamNode[] = [];
  // Node keys ascend, as a rax holds them; the entries need not (see walkNode).
  let previousKey: StreamId | undefined;
  let live = 0;
  let firstLive: StreamId | undefined;
  for (let i = 0; i < nodeCount; i++) {
    const key = reader.readBlob();
    if (key.length !== ID_BYTES) fail('node key is not the size of a stream ID');
    const masterId = idOfKey(Buffer.from(key.buffer, key.byteOffset, key.length).latin1Slice());
    if (previousKey !== undefined && compareIds(masterId, previousKey) <= 0) fail('nodes out of order');
    const node = scanNode(masterId, reader.readBlob());
    live += node.live;
    firstLive ??= node.firstLiveId;
    previousKey = masterId;
    nodes.push(node);
  }
  return { type: 'stream', nodes, ...readStreamTail(reader, type, live, firstLive) };
}

/** What follows the nodes in a stream's body: its metadata and consumer groups. */
export type RdbStreamTail = Omit<RdbStream, 'type' | 'nodes'>;

/**
 * Reads the part of a stream's body after its nodes (length, IDs, entries added, groups), checked
 * against the nodes before it: `live` entries in all, the first live one `firstLive`. Entries
 * after the last ID are allowed, as Redis allows them (see walkNode).
 */
export function readStreamTail(
  reader: RdbReader,
  type: number,
  live: number,
  firstLive: StreamId | undefined,
): RdbStreamTail {
  const length = reader.readLengthBig();
  if (length !== BigInt(live)) fail('length inconsistent with the entries');
  const lastId = readId(reader);
  let firstId: StreamId;
  let maxDeletedEntryId: StreamId;
  let entriesAdded: bigint;
  if (type === RDB_TYPE_STREAM_LISTPACKS) {
    // What Redis 7 derives for an old stream: the first live ID (streamGetEdgeID gives the largest
    // ID when there is none), no known deletion, every entry counted as added.
    firstId = firstLive ?? MAX_ID;
    maxDeletedEntryId = MIN_ID;
    entriesAdded = length;
  } else {
    firstId = readId(reader);
    maxDeletedEntryId = readId(reader);
    entriesAdded = reader.readLengthBig();
  }
  const groupCount = reader.readCount(4);
  const groups: RdbStreamGroup[] = [];
  const names = new Set<string>();
  for (let i = 0; i < groupCount; i++) groups.push(readGroup(reader, type, names));
  return { length: live, lastId, firstId, maxDeletedEntryId, entriesAdded, groups };
}

/**
 * A node's listpack as Redis 7.0 lays it out (streamAppendItem's elements, in order); a loaded node
 * no command touched is its listpack as it came.
 */
export function encodeNode(node: StreamNode): Buffer {
  const loaded = node.listpack;
  if (loaded !== undefined) return loaded;
  const lp = new ListpackBuilder(node.bytes + 16);
  const master = node.masterId;
  lp.integer(node.live);
  lp.integer(node.deleted);
  lp.integer(node.masterFields.length);
  for (const field of node.masterFields) lp.string(field);
  lp.integer(0);
  for (const entry of node.entries) {
    const flags = entry.flags;
    const fields = entry.fields;
    const pairs = fields.length / 2;
    lp.integer(flags);
    lp.integer(BigInt.asIntN(64, entry.id.ms - master.ms));
    lp.integer(BigInt.asIntN(64, entry.id.seq - master.seq));
    if ((flags & FLAG_SAME_FIELDS) !== 0) {
      for (let i = 1; i < fields.length; i += 2) lp.string(fields[i] as string);
      lp.integer(pairs + 3);
    } else {
      lp.integer(pairs);
      for (const item of fields) lp.string(item);
      lp.integer(2 * pairs + 4);
    }
  }
  return lp.finish();
}

function writeId(writer: RdbWriter, id: StreamId): void {
  writer.writeLengthBig(id.ms);
  writer.writeLengthBig(id.seq);
}

/** Writes a stream as RDB_TYPE_STREAM_LISTPACKS_2 (type byte and body), as Redis 7.0's rdbSaveObject. */
export function writeStream(writer: RdbWriter, stream: StreamValue): void {
  writer.byte(RDB_TYPE_STREAM_LISTPACKS_2);
  writer.writeLength(stream.nodes.length);
  for (const node of stream.nodes) {
    writer.writeLength(ID_BYTES);
    writer.latin1(idKey(node.masterId));
    writer.writeBlob(encodeNode(node));
  }
  writeStreamTail(writer, stream);
}

/**
 * The part of a type-19 body after the nodes: metadata and consumer groups (readStreamTail);
 * without `pending`, every group's and consumer's pending entries are left out (an empty PEL).
 */
export function writeStreamTail(writer: RdbWriter, stream: StreamValue, pending = true): void {
  writer.writeLength(stream.length);
  writeId(writer, stream.lastId);
  writeId(writer, stream.firstId);
  writeId(writer, stream.maxDeletedEntryId);
  writer.writeLengthBig(stream.entriesAdded);
  const groups = stream.sortedGroups();
  writer.writeLength(groups.length);
  for (const group of groups) {
    writer.writeString(group.name);
    writeId(writer, group.lastId);
    writer.writeLengthBig(group.entriesRead);
    writer.writeLength(pending ? group.pel.size : 0);
    if (pending)
      for (const [id, nack] of group.pel.entries()) {
        writer.latin1(idKey(id));
        writer.writeMillisecondTime(nack.deliveryTime);
        writer.writeLength(nack.deliveryCount);
      }
    const consumers = group.sortedConsumers();
    writer.writeLength(consumers.length);
    for (const consumer of consumers) {
      writer.writeString(consumer.name);
      writer.writeMillisecondTime(consumer.seenTime);
      writer.writeLength(pending ? consumer.pel.size : 0);
      if (pending) for (const [id] of consumer.pel.entries()) writer.latin1(idKey(id));
    }
  }
}

/** An upper bound of writeStream's bytes, so a big stream's DUMP fills one buffer. */
export function streamSizeHint(stream: StreamValue): number {
  let bytes = 64;
  for (const node of stream.nodes) bytes += node.bytes + 48;
  if (stream.groups !== undefined) {
    for (const group of stream.groups.values()) {
      bytes += group.name.length + 40 + group.pel.size * (ID_BYTES + 18);
      for (const consumer of group.consumers.values())
        bytes += consumer.name.length + 24 + consumer.pel.size * ID_BYTES;
    }
  }
  return bytes;
}
