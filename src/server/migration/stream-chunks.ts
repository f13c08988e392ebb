// Big streams in the async migration, in chunks (an extension of spec §9.4: Codis 3.2 has no
// streams, so only our servers exchange these two messages). A stream of more than maxbulks
// entries goes as
//
//   SLOTSRESTORE-ASYNC delete <key>
//   SLOTSRESTORE-ASYNC xnodes <key> <provisional_ttl> <hint> <master ID> <listpack> [<master ID> <listpack> ...]
//   ...                                                   (as many chunks as it takes)
//   SLOTSRESTORE-ASYNC xmeta <key> <ttl> <tail payload>
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
// - xmeta ends the key: <tail payload> is a DUMP-style payload (type byte 19, version 10, CRC-64)
//   whose body is what follows the nodes in an RDB stream body: length, last ID, first ID, max
//   deleted ID, entries added, then the consumer groups with their pending entries and consumers.
//   The target checks it against the nodes it holds (length = live entries, last ID not below the
//   last entry), replaces the stream's metadata and groups with it, sets the real TTL (0 = none) as
//   `expire` does and ACKs with the stream's length.

import { RDB_STREAM_WRITE_VERSION, RDB_TYPE_STREAM_LISTPACKS_2 } from '../rdb/constants.ts';
import { RdbFormatError } from '../rdb/errors.ts';
import { applyStreamTail } from '../rdb/materialize.ts';
import { sealPayload, verifyDumpPayload } from '../rdb/payload.ts';
import { RdbReader } from '../rdb/reader.ts';
import { decodeNode, encodeNode, readStreamTail, scanNode, writeStreamTail } from '../rdb/stream.ts';
import { RdbWriter } from '../rdb/writer.ts';
import { StreamNode, type StreamValue } from '../types/stream.ts';
import { compareIds, idKey, idOfKey, isZeroId, type StreamId } from '../types/stream-id.ts';
import type { CommandArgument } from './target-connection.ts';

export const XNODES = 'xnodes';
export const XMETA = 'xmeta';
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
export function streamTailPayload(stream: StreamValue): Buffer {
  const writer = new RdbWriter(true);
  writer.byte(RDB_TYPE_STREAM_LISTPACKS_2);
  writeStreamTail(writer, stream);
  return sealPayload(writer, RDB_STREAM_WRITE_VERSION);
}

/** The ID before a stream's next entry: its last ID, undefined for a stream that never had one. */
function previousId(stream: StreamValue): StreamId | undefined {
  return stream.nodes.length === 0 && isZeroId(stream.lastId) ? undefined : stream.lastId;
}

/** A node of a received chunk, with its first live entry's ID (undefined: all deleted). */
export interface ChunkNode {
  readonly node: StreamNode;
  readonly firstLiveId: StreamId | undefined;
}

/**
 * Checks the nodes of an xnodes chunk (argv[first..] = master ID, listpack, ...) as RDB loading
 * checks them, in order after `stream`'s last ID, and makes them (lazily decoded). Throws
 * RdbFormatError naming the faulty node; the stream is not touched.
 */
export function readNodeChunk(stream: StreamValue, argv: readonly string[], first: number): ChunkNode[] {
  const nodes: ChunkNode[] = [];
  let previous = previousId(stream);
  for (let i = first, index = 0; i < argv.length; i += 2, index++) {
    try {
      const key = argv[i] as string;
      if (key.length !== ID_BYTES) throw new RdbFormatError('master ID is not 16 bytes');
      const masterId = idOfKey(key);
      if (previous !== undefined && compareIds(masterId, previous) <= 0)
        throw new RdbFormatError('node out of order');
      const scanned = scanNode(masterId, Buffer.from(argv[i + 1] as string, 'latin1'), previous);
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
      previous = scanned.lastId;
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
  const last = stream.nodes[stream.nodes.length - 1];
  const tail = readStreamTail(
    reader,
    RDB_TYPE_STREAM_LISTPACKS_2,
    stream.length,
    last === undefined ? undefined : last.lastId,
    undefined,
  );
  applyStreamTail(stream, tail);
}
