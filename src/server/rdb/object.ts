// RDB object bodies: the value of one key, after its type byte. Decoding yields a plain RdbValue (the
// codec knows nothing of the server's data structures); encoding reads the server's values through
// the collection types' iteration contracts.
import { formatDouble } from '../../resp/double.ts';
import type { StoredValue } from '../keyspace/value.ts';
import type { StreamValue } from '../types/stream.ts';
import type { ZSetNode } from '../types/zset.ts';
import {
  QUICKLIST_NODE_PACKED,
  QUICKLIST_NODE_PLAIN,
  RDB_TYPE_HASH,
  RDB_TYPE_HASH_LISTPACK,
  RDB_TYPE_HASH_ZIPLIST,
  RDB_TYPE_HASH_ZIPMAP,
  RDB_TYPE_LIST,
  RDB_TYPE_LIST_QUICKLIST,
  RDB_TYPE_LIST_QUICKLIST_2,
  RDB_TYPE_LIST_ZIPLIST,
  RDB_TYPE_SET,
  RDB_TYPE_SET_INTSET,
  RDB_TYPE_SET_LISTPACK,
  RDB_TYPE_STREAM_LISTPACKS,
  RDB_TYPE_STREAM_LISTPACKS_2,
  RDB_TYPE_STREAM_LISTPACKS_3,
  RDB_TYPE_STRING,
  RDB_TYPE_ZSET,
  RDB_TYPE_ZSET_2,
  RDB_TYPE_ZSET_LISTPACK,
  RDB_TYPE_ZSET_ZIPLIST,
} from './constants.ts';
import {
  intsetEncode,
  intsetMembers,
  listpackItems,
  ziplistEncode,
  ziplistEntryBytes,
  ziplistItems,
  zipmapEntries,
} from './containers.ts';
import { RdbFormatError } from './errors.ts';
import { parseScore, type RdbReader } from './reader.ts';
import { type RdbStream, readStream, streamSizeHint, writeStream } from './stream.ts';
import type { RdbWriter } from './writer.ts';

/** A decoded value, independent of how the server stores it. */
export type RdbValue =
  | { readonly type: 'string'; readonly value: string }
  | { readonly type: 'list'; readonly items: string[] }
  | { readonly type: 'hash'; readonly entries: Array<[string, string]> }
  | { readonly type: 'set'; readonly members: string[]; readonly intset: boolean }
  | { readonly type: 'zset'; readonly pairs: Array<[string, number]> }
  | RdbStream;

function fail(message: string): never {
  throw new RdbFormatError(message);
}

function pairsOf(items: string[], what: string): Array<[string, string]> {
  if (items.length % 2 !== 0) fail(`odd number of elements in a ${what}`);
  const entries = new Array<[string, string]>(items.length / 2);
  for (let i = 0; i < items.length; i += 2) entries[i / 2] = [items[i] as string, items[i + 1] as string];
  return entries;
}

function zsetPairsOf(items: string[]): Array<[string, number]> {
  if (items.length % 2 !== 0) fail('odd number of elements in a sorted set');
  const pairs = new Array<[string, number]>(items.length / 2);
  for (let i = 0; i < items.length; i += 2) {
    const score = parseScore(items[i + 1] as string);
    if (score === undefined || Number.isNaN(score)) fail('invalid sorted set score');
    pairs[i / 2] = [items[i] as string, score];
  }
  return pairs;
}

function nonEmpty<T>(elements: T[]): T[] {
  // Redis 7 refuses empty collections in payloads (RDB_LOAD_ERR_EMPTY_KEY).
  if (elements.length === 0) fail('empty collection');
  return elements;
}

function unique(values: Iterable<string>, count: number, what: string): void {
  const seen = new Set(values);
  if (seen.size !== count) fail(`duplicate ${what}`);
}

/** Reads the body of an object of RDB type `type`. */
export function readObject(reader: RdbReader, type: number): RdbValue {
  switch (type) {
    case RDB_TYPE_STRING:
      return { type: 'string', value: reader.readString() };
    case RDB_TYPE_LIST: {
      const count = reader.readCount();
      const items = new Array<string>(count);
      for (let i = 0; i < count; i++) items[i] = reader.readString();
      return { type: 'list', items: nonEmpty(items) };
    }
    case RDB_TYPE_SET: {
      const count = reader.readCount();
      const members = new Array<string>(count);
      for (let i = 0; i < count; i++) members[i] = reader.readString();
      unique(members, count, 'set members');
      return { type: 'set', members: nonEmpty(members), intset: false };
    }
    case RDB_TYPE_ZSET:
    case RDB_TYPE_ZSET_2: {
      const count = reader.readCount(2);
      const pairs = new Array<[string, number]>(count);
      for (let i = 0; i < count; i++) {
        const member = reader.readString();
        const score = type === RDB_TYPE_ZSET_2 ? reader.readBinaryDouble() : reader.readDouble();
        if (Number.isNaN(score)) fail('sorted set with a NaN score');
        pairs[i] = [member, score];
      }
      unique(
        pairs.map((pair) => pair[0]),
        count,
        'sorted set members',
      );
      return { type: 'zset', pairs: nonEmpty(pairs) };
    }
    case RDB_TYPE_HASH: {
      const count = reader.readCount(2);
      const entries = new Array<[string, string]>(count);
      for (let i = 0; i < count; i++) entries[i] = [reader.readString(), reader.readString()];
      unique(
        entries.map((entry) => entry[0]),
        count,
        'hash fields',
      );
      return { type: 'hash', entries: nonEmpty(entries) };
    }
    case RDB_TYPE_HASH_ZIPMAP:
      return { type: 'hash', entries: nonEmpty(zipmapEntries(reader.readBlob())) };
    case RDB_TYPE_LIST_ZIPLIST:
      return { type: 'list', items: nonEmpty(ziplistItems(reader.readBlob())) };
    case RDB_TYPE_SET_INTSET:
      return { type: 'set', members: nonEmpty(intsetMembers(reader.readBlob())), intset: true };
    case RDB_TYPE_SET_LISTPACK:
      return { type: 'set', members: nonEmpty(listpackItems(reader.readBlob())), intset: false };
    case RDB_TYPE_ZSET_ZIPLIST:
      return { type: 'zset', pairs: nonEmpty(zsetPairsOf(ziplistItems(reader.readBlob()))) };
    case RDB_TYPE_ZSET_LISTPACK:
      return { type: 'zset', pairs: nonEmpty(zsetPairsOf(listpackItems(reader.readBlob()))) };
    case RDB_TYPE_HASH_ZIPLIST:
      return { type: 'hash', entries: nonEmpty(pairsOf(ziplistItems(reader.readBlob()), 'hash')) };
    case RDB_TYPE_HASH_LISTPACK:
      return { type: 'hash', entries: nonEmpty(pairsOf(listpackItems(reader.readBlob()), 'hash')) };
    case RDB_TYPE_LIST_QUICKLIST:
    case RDB_TYPE_LIST_QUICKLIST_2: {
      const nodes = reader.readCount();
      const items: string[] = [];
      for (let i = 0; i < nodes; i++) {
        const container = type === RDB_TYPE_LIST_QUICKLIST_2 ? reader.readLength() : QUICKLIST_NODE_PACKED;
        if (container === QUICKLIST_NODE_PLAIN) {
          items.push(reader.readString());
          continue;
        }
        if (container !== QUICKLIST_NODE_PACKED) fail('unknown quicklist node container');
        const blob = reader.readBlob();
        const nodeItems = type === RDB_TYPE_LIST_QUICKLIST_2 ? listpackItems(blob) : ziplistItems(blob);
        for (const item of nodeItems) items.push(item);
      }
      return { type: 'list', items: nonEmpty(items) };
    }
    // An empty stream is valid (XADD MAXLEN 0, XDEL of every entry): no nonEmpty here.
    case RDB_TYPE_STREAM_LISTPACKS:
    case RDB_TYPE_STREAM_LISTPACKS_2:
    case RDB_TYPE_STREAM_LISTPACKS_3:
      return readStream(reader, type);
    default:
      return fail(`unsupported object type ${type}`);
  }
}

interface ListLike {
  toArray(): string[];
}
interface HashLike {
  entries(): Iterable<[string, string]>;
  forEachEntry(visit: (field: string, value: string) => void): void;
  readonly size: number;
}
interface SetLike {
  members(): Iterable<string>;
  isIntset(): boolean;
  readonly size: number;
}
interface ZSetLike {
  entries(): Iterable<[string, number]>;
  first(): ZSetNode | null;
  readonly size: number;
}

/**
 * An upper bound of writeObject's bytes for the big encodings (a Map or skiplist walk, no
 * allocation), so DUMP of a multi-million-element value fills one buffer of about its size instead
 * of doubling its way there (the doublings were external memory, which V8 answers with full marks
 * of the heap). Small and compact values get 0: the writer's default.
 */
export function objectSizeHint(value: StoredValue): number {
  if (typeof value !== 'object' || value.encoding() === 'listpack' || value.encoding() === 'ziplist')
    return 0;
  // A length prefix is at most 5 bytes below 2^32; a score as text at most 1 + 24 bytes.
  let bytes = 16;
  switch (value.type) {
    case 'hash':
      (value as unknown as HashLike).forEachEntry((field, fieldValue) => {
        bytes += field.length + fieldValue.length + 10;
      });
      return bytes;
    case 'zset':
      for (let node = (value as unknown as ZSetLike).first(); node !== null; node = node.forward[0] ?? null)
        bytes += node.member.length + 30;
      return bytes;
    case 'stream':
      return streamSizeHint(value as StreamValue);
    default:
      return 0;
  }
}

/** Redis 3.2's list-max-ziplist-size -2: quicklist nodes of up to 8 KB. */
const QUICKLIST_NODE_BYTES = 8192;

/**
 * Writes a value's type byte and body in encodings Redis 3.2 reads: string 0, list as a quicklist of
 * ziplists 14, set as intset 11 or hashtable 2, small hash and zset as ziplists 13 and 12, big ones
 * as 4 and 3 (scores as text). Streams, which Redis 3.2 lacks, are written as Redis 7.0 writes
 * them (type 19).
 */
export function writeObject(writer: RdbWriter, value: StoredValue): void {
  if (typeof value !== 'object') {
    writer.byte(RDB_TYPE_STRING);
    writer.writeValueString(value);
    return;
  }
  const compact = value.encoding() === 'listpack' || value.encoding() === 'ziplist';
  switch (value.type) {
    case 'list':
      writeQuicklist(writer, (value as unknown as ListLike).toArray());
      return;
    case 'set': {
      const set = value as unknown as SetLike;
      if (set.isIntset()) {
        writer.byte(RDB_TYPE_SET_INTSET);
        writer.writeBlob(intsetEncode(set.members()));
        return;
      }
      writer.byte(RDB_TYPE_SET);
      writer.writeLength(set.size);
      for (const member of set.members()) writer.writeString(member);
      return;
    }
    case 'hash': {
      const hash = value as unknown as HashLike;
      if (compact) {
        const items: string[] = [];
        for (const [field, fieldValue] of hash.entries()) items.push(field, fieldValue);
        writer.byte(RDB_TYPE_HASH_ZIPLIST);
        writer.writeBlob(ziplistEncode(items));
        return;
      }
      writer.byte(RDB_TYPE_HASH);
      writer.writeLength(hash.size);
      hash.forEachEntry((field, fieldValue) => {
        writer.writeString(field);
        writer.writeString(fieldValue);
      });
      return;
    }
    case 'zset': {
      const zset = value as unknown as ZSetLike;
      if (compact) {
        const items: string[] = [];
        for (const [member, score] of zset.entries()) items.push(member, scoreText(score));
        writer.byte(RDB_TYPE_ZSET_ZIPLIST);
        writer.writeBlob(ziplistEncode(items));
        return;
      }
      writer.byte(RDB_TYPE_ZSET);
      writer.writeLength(zset.size);
      // The skiplist's own nodes, not entries(): no pair per member.
      for (let node = zset.first(); node !== null; node = node.forward[0] ?? null) {
        writer.writeString(node.member);
        writer.writeDouble(node.score);
      }
      return;
    }
    case 'stream':
      writeStream(writer, value as StreamValue);
      return;
    default:
      throw new RdbFormatError(`cannot serialize a value of type ${value.type}`);
  }
}

/** Redis's d2string: integers within 2^52 in decimal, others %.17g, inf/-inf, -0. */
function scoreText(score: number): string {
  if (score === Number.POSITIVE_INFINITY) return 'inf';
  if (score === Number.NEGATIVE_INFINITY) return '-inf';
  if (score === 0) return Object.is(score, -0) ? '-0' : '0';
  if (score > -4503599627370495 && score < 4503599627370496 && Number.isInteger(score)) return String(score);
  return formatDouble(score);
}

function writeQuicklist(writer: RdbWriter, items: readonly string[]): void {
  // Split into ziplists of at most 8 KB (a bigger element gets a node of its own).
  const nodes: string[][] = [];
  let node: string[] = [];
  let nodeBytes = 11;
  for (const item of items) {
    const bytes = ziplistEntryBytes(item);
    if (node.length > 0 && nodeBytes + bytes > QUICKLIST_NODE_BYTES) {
      nodes.push(node);
      node = [];
      nodeBytes = 11;
    }
    node.push(item);
    nodeBytes += bytes;
  }
  if (node.length > 0) nodes.push(node);
  writer.byte(RDB_TYPE_LIST_QUICKLIST);
  writer.writeLength(nodes.length);
  for (const each of nodes) writer.writeBlob(ziplistEncode(each));
}
