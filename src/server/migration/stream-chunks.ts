// Big streams in the async migration, in chunks (an extension of spec §9.4: Codis 3.2 has no
// streams, so only our servers exchange these messages). A stream whose live entries and pending
// entries (all groups) add up to more than maxbulks goes as
//
//   SLOTSRESTORE-ASYNC delete <key>
//   SLOTSRESTORE-ASYNC xnodes <key> <provisional_ttl> <hint> <master ID> <listpack> [<master ID> <listpack> ...]
//   ...                                                (one or more, while nodes are left)
//   SLOTSRESTORE-ASYNC xmeta <key> <provisional_ttl> <tail payload>
//   SLOTSRESTORE-ASYNC xpel <key> <provisional_ttl> <group> <records>
//   ...                                                (while pending entries are left)
//   SLOTSRESTORE-ASYNC expire <key> <ttl>
//
// - xnodes carries whole nodes of the stream in ID order, each as its master ID (16 bytes: ms and
//   seq, big-endian, as the RDB's rax keys) and its listpack (as in the RDB, byte for byte). A
//   chunk holds nodes while their entries (live and deleted) stay under maxbulks and their bytes
//   under the byte budget, at least one node. <provisional_ttl> is 3 × timeout as for the other
//   chunks, so a half-moved stream vanishes by itself; <hint> is the source's node count. The
//   first chunk creates the key; a chunk onto an existing stream appends to it (its nodes must come
//   after the stream's last ID); onto any other type it is `wrong type (expect=6/10,got=..)`; a
//   chunk without nodes onto a missing key is `the specified key doesn't exist`. The target checks
//   every listpack as RDB loading does before it touches the key, keeps the listpacks whole (their
//   entries are made when a command first needs them) and ACKs with the stream's node count, which
//   the source expects exactly (the nodes it sent so far).
// - xmeta: <tail payload> is a DUMP-style payload (type byte 19, version 10, CRC-64) whose body is
//   what follows the nodes in an RDB stream body: length, last ID, first ID, max deleted ID,
//   entries added, then the consumer groups and their consumers, with empty PELs. The target checks
//   it against the nodes it holds (length = live entries, last ID not below the last entry; a
//   missing key is a new empty stream, so a stream without nodes needs no xnodes), replaces the
//   stream's metadata and groups with it and ACKs with the stream's length.
// - xpel adds pending entries of one group, at most maxbulks per message, in ID order: <records>
//   is 36 bytes per entry (ID 16 bytes big-endian, delivery time and delivery count 8 bytes each
//   little-endian, the owning consumer's index among the group's consumers by name 4 bytes LE).
//   The target refuses unknown groups and consumers and IDs already pending, and ACKs with the
//   group's pending count, which the source expects exactly.
// - expire sets the real TTL (0 = none), as for the other chunked types.
// Each message is one chunk's work on either side, whatever the stream's size.
import { RDB_STREAM_WRITE_VERSION, RDB_TYPE_STREAM_LISTPACKS_2 } from '../rdb/constants.ts';
import { RdbFormatError } from '../rdb/errors.ts';
import { applyStreamTail } from '../rdb/materialize.ts';
import { sealPayload, verifyDumpPayload } from '../rdb/payload.ts';
import { RdbReader } from '../rdb/reader.ts';
import { decodeNode, encodeNode, readStreamTail, scanNode, writeStreamTail } from '../rdb/stream.ts';
import { RdbWriter } from '../rdb/writer.ts';
import {
  type ConsumerGroup,
  type StreamConsumer,
  StreamNack,
  StreamNode,
  type StreamValue,
} from '../types/stream.ts';
import { compareIds, idKey, idOfKey, nextId, type StreamId } from '../types/stream-id.ts';
import type { CommandArgument } from './target-connection.ts';

export const XNODES = 'xnodes';
export const XMETA = 'xmeta';
export const XPEL = 'xpel';
const ID_BYTES = 16;

/** The next nodes of a stream for one xnodes chunk, from node `from`. */
export interface NodeChunk {
  /** Master ID, listpack, master ID, listpack... */
  readonly items: CommandArgument[];
  /** The node after the chunk's last. */
  readonly next: number;
}

/** Nodes from `from` while their entries stay under maxbulks and their bytes under `budget`. */
export function nodeChunk(stream: StreamValue, from: number, maxbulks: number, budget: number): NodeChunk {
  const nodes = stream.nodes;
  const items: CommandArgument[] = [];
  let entries = 0;
  let bytes = 0;
  let next = from;
  while (next < nodes.length && (entries === 0 || (entries < maxbulks && bytes < budget))) {
    const node = nodes[next] as StreamNode;
    const listpack = encodeNode(node);
    items.push(idKey(node.masterId), listpack);
    entries += node.live + node.deleted;
    bytes += listpack.length + ID_BYTES;
    next++;
  }
  return { items, next };
}

/** The xmeta message's payload: the stream's body after its nodes, sealed as a DUMP payload. */
export function streamTailPayload(stream: StreamValue, pending = true): Buffer {
  const writer = new RdbWriter(true);
  writer.byte(RDB_TYPE_STREAM_LISTPACKS_2);
  writeStreamTail(writer, stream, pending);
  return sealPayload(writer, RDB_STREAM_WRITE_VERSION);
}

/** A node of a received chunk, with its first live entry's ID (undefined: all deleted). */
export interface ChunkNode {
  readonly node: StreamNode;
  readonly firstLiveId: StreamId | undefined;
}

/**
 * Checks the nodes of an xnodes chunk (argv[first..] = master ID, listpack, ...) as RDB loading
 * checks them, their keys after those of `stream`'s nodes, and makes them (lazily decoded).
 * Throws RdbFormatError naming the faulty node; the stream is not touched.
 */
export function readNodeChunk(stream: StreamValue, argv: readonly string[], first: number): ChunkNode[] {
  const nodes: ChunkNode[] = [];
  let previous = stream.nodes[stream.nodes.length - 1]?.masterId;
  for (let i = first, index = 0; i < argv.length; i += 2, index++) {
    try {
      const key = argv[i] as string;
      if (key.length !== ID_BYTES) throw new RdbFormatError('master ID is not 16 bytes');
      const masterId = idOfKey(key);
      if (previous !== undefined && compareIds(masterId, previous) <= 0)
        throw new RdbFormatError('node out of order');
      const scanned = scanNode(masterId, Buffer.from(argv[i + 1] as string, 'latin1'));
      const node = StreamNode.loaded(
        masterId,
        scanned.masterFields,
        scanned.live,
        scanned.deleted,
        scanned.lastId,
        scanned.listpack,
        decodeNode,
      );
      nodes.push({ node, firstLiveId: scanned.firstLiveId });
      previous = masterId;
    } catch (error) {
      if (!(error instanceof RdbFormatError)) throw error;
      throw new RdbFormatError(`node [${index}]: ${error.message}`);
    }
  }
  return nodes;
}

/**
 * Appends checked nodes to a stream, keeping it a consistent stream meanwhile (its length, last
 * and first IDs follow the nodes) until xmeta gives it the source's metadata.
 */
export function appendNodes(stream: StreamValue, nodes: readonly ChunkNode[]): void {
  for (const { node, firstLiveId } of nodes) {
    if (stream.length === 0 && firstLiveId !== undefined) stream.firstId = firstLiveId;
    stream.nodes.push(node);
    stream.length += node.live;
    stream.entriesAdded += BigInt(node.live + node.deleted);
    stream.lastId = node.lastId;
  }
}

/**
 * Reads an xmeta payload against the nodes `stream` holds and gives the stream that metadata and
 * those groups. Throws RdbFormatError (the stream is then not touched).
 */
export function applyTailPayload(stream: StreamValue, payload: Buffer): void {
  if (!verifyDumpPayload(payload)) throw new RdbFormatError('invalid payload checksum');
  const reader = new RdbReader(payload);
  if (reader.readByte() !== RDB_TYPE_STREAM_LISTPACKS_2) throw new RdbFormatError('invalid payload type');
  const tail = readStreamTail(reader, RDB_TYPE_STREAM_LISTPACKS_2, stream.length, undefined);
  applyStreamTail(stream, tail);
}

/** Bytes of one pending entry in an xpel message. */
export const PENDING_RECORD_BYTES = 36;
const TWO_32 = 2 ** 32;

/** Where a stream's pending entries are sent from: a group, and the ID to go on from in its PEL. */
export interface PendingCursor {
  /** The stream's groups with pending entries, in name order, when the cursor started. */
  readonly groups: ConsumerGroup[];
  group: number;
  /** The next ID to send in the current group's PEL (undefined: from its first). */
  from: StreamId | undefined;
  /** Pending entries of the current group sent so far (what the target ACKs). */
  sent: number;
  /** Each consumer's index in its group's consumers in name order (as xmeta lists them). */
  consumerIndex: Map<StreamConsumer, number>;
}

/** A cursor over a stream's pending entries, or undefined when no group has any. */
export function pendingCursor(stream: StreamValue): PendingCursor | undefined {
  const groups = stream.sortedGroups().filter((group) => group.pel.size > 0);
  if (groups.length === 0) return undefined;
  return {
    groups,
    group: 0,
    from: undefined,
    sent: 0,
    consumerIndex: consumerIndexOf(groups[0] as ConsumerGroup),
  };
}

function consumerIndexOf(group: ConsumerGroup): Map<StreamConsumer, number> {
  const index = new Map<StreamConsumer, number>();
  const consumers = group.sortedConsumers();
  for (let i = 0; i < consumers.length; i++) index.set(consumers[i] as StreamConsumer, i);
  return index;
}

/** An xpel chunk: the group's name, its records, and what the target answers once it has them. */
export interface PendingChunk {
  readonly group: string;
  readonly records: Buffer;
  readonly expect: string;
  /** No pending entry is left to send after this chunk. */
  readonly done: boolean;
}

/**
 * The next pending entries of the cursor's group, at most maxbulks (at least one): each record is
 * the entry's ID (16 bytes, big-endian), its delivery time and delivery count (8 bytes each,
 * little-endian) and its consumer's index in the group's consumers by name (4 bytes).
 */
export function pendingChunk(cursor: PendingCursor, maxbulks: number): PendingChunk {
  const group = cursor.groups[cursor.group] as ConsumerGroup;
  const limit = Math.max(1, maxbulks);
  const records = Buffer.alloc(Math.min(limit, group.pel.size) * PENDING_RECORD_BYTES);
  let count = 0;
  let last: StreamId | undefined;
  let more = false;
  for (const [id, nack] of group.pel.entries(cursor.from)) {
    if (count === limit) {
      more = true;
      break;
    }
    const at = count * PENDING_RECORD_BYTES;
    if (at + PENDING_RECORD_BYTES > records.length) {
      // The PEL grew since the cursor started (a write that bypassed the exec wrapper).
      more = true;
      break;
    }
    records.latin1Write(idKey(id), at);
    records.writeUInt32LE(nack.deliveryTime % TWO_32, at + 16);
    records.writeUInt32LE(Math.floor(nack.deliveryTime / TWO_32), at + 20);
    records.writeUInt32LE(nack.deliveryCount % TWO_32, at + 24);
    records.writeUInt32LE(Math.floor(nack.deliveryCount / TWO_32), at + 28);
    records.writeUInt32LE(cursor.consumerIndex.get(nack.consumer) ?? 0xffffffff, at + 32);
    count++;
    last = id;
  }
  cursor.sent += count;
  const expect = String(cursor.sent);
  const name = group.name;
  if (more && last !== undefined) cursor.from = nextId(last);
  if (!more || cursor.from === undefined) {
    cursor.group++;
    cursor.from = undefined;
    cursor.sent = 0;
    const next = cursor.groups[cursor.group];
    if (next !== undefined) cursor.consumerIndex = consumerIndexOf(next);
  }
  return {
    group: name,
    records: records.subarray(0, count * PENDING_RECORD_BYTES),
    expect,
    done: cursor.group >= cursor.groups.length,
  };
}

/**
 * Checks an xpel chunk's records against the group (consumers known, IDs not yet pending) and adds
 * them to the group's and their consumers' PELs; the group's pending count after. Throws
 * RdbFormatError before changing anything.
 */
export function addPending(group: ConsumerGroup, records: Buffer): number {
  if (records.length === 0 || records.length % PENDING_RECORD_BYTES !== 0)
    throw new RdbFormatError('records are not whole');
  const consumers = group.sortedConsumers();
  const count = records.length / PENDING_RECORD_BYTES;
  const ids: StreamId[] = [];
  const owners: StreamConsumer[] = [];
  const seen = new Set<string>();
  for (let i = 0; i < count; i++) {
    const at = i * PENDING_RECORD_BYTES;
    const key = records.latin1Slice(at, at + 16);
    const id = idOfKey(key);
    if (seen.has(key) || group.pel.has(id)) throw new RdbFormatError(`duplicated pending entry [${i}]`);
    seen.add(key);
    const consumer = consumers[records.readUInt32LE(at + 32)];
    if (consumer === undefined) throw new RdbFormatError(`unknown consumer of pending entry [${i}]`);
    ids.push(id);
    owners.push(consumer);
  }
  for (let i = 0; i < count; i++) {
    const at = i * PENDING_RECORD_BYTES;
    const time = records.readUInt32LE(at + 16) + records.readUInt32LE(at + 20) * TWO_32;
    const deliveries = records.readUInt32LE(at + 24) + records.readUInt32LE(at + 28) * TWO_32;
    const consumer = owners[i] as StreamConsumer;
    const nack = new StreamNack(consumer, time, deliveries);
    group.pel.set(ids[i] as StreamId, nack);
    consumer.pel.set(ids[i] as StreamId, nack);
  }
  return group.pel.size;
}
