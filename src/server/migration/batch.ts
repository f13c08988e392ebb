// The message stream of an async migration batch (spec §9.3–§9.4): per key a `delete`, then either
// the whole value (`string` / `object` with a DUMP payload) or chunks of at most maxbulks items
// (`list` / `hash` / `dict` / `zset`) carrying a provisional TTL, closed by `expire`. Messages are
// generated one at a time, on demand, so a big collection is walked across many event-loop turns.
// Big streams, which Codis 3.2 does not have, go in our own `xnodes`, `xmeta` and `xpel` messages
// (stream-chunks.ts).
import { tagCrcOf } from '../../slots/index.ts';
import type { Database } from '../keyspace/database.ts';
import type { Entry } from '../keyspace/entry.ts';
import { type CollectionValue, type StoredValue, stringOf } from '../keyspace/value.ts';
import { createDumpPayload } from '../rdb/index.ts';
import type { HashValue } from '../types/hash.ts';
import type { ListValue } from '../types/list.ts';
import type { SetValue } from '../types/set.ts';
import type { StreamValue } from '../types/stream.ts';
import type { ZSetNode, ZSetValue } from '../types/zset.ts';
import {
  nodeChunk,
  type PendingCursor,
  pendingChunk,
  pendingCursor,
  streamTailPayload,
  XMETA,
  XNODES,
  XPEL,
} from './stream-chunks.ts';
import type { CommandArgument } from './target-connection.ts';

export const STAGE_PREPARE = 0;
export const STAGE_PAYLOAD = 1;
export const STAGE_CHUNKED = 2;
export const STAGE_FILLTTL = 3;
export const STAGE_DONE = 4;

/** The chunk message of each collection type. */
const CHUNK_SUBCOMMANDS: Record<string, string> = { list: 'list', hash: 'hash', set: 'dict', zset: 'zset' };

const RESTORE = 'SLOTSRESTORE-ASYNC';
/** Scratch space for a score's 8 raw bytes (sent as a latin1 string: no Buffer per member). */
const SCORE = Buffer.alloc(8);

/** Redis's type code of a value (string 0, list 1, set 2, zset 3, hash 4, stream 6). */
export function typeCode(value: StoredValue): number {
  if (typeof value !== 'object') return 0;
  switch (value.type) {
    case 'list':
      return 1;
    case 'set':
      return 2;
    case 'zset':
      return 3;
    case 'hash':
      return 4;
    case 'stream':
      return 6;
  }
}

/** The items a chunked transfer would send (0 = sent whole), as Codis 3.2 counts them. */
export function bulksOf(value: StoredValue): number {
  if (typeof value !== 'object') return 0;
  const big = value.encoding() === 'hashtable' || value.encoding() === 'skiplist';
  switch (value.type) {
    case 'list':
      return value.size;
    case 'hash':
      return big ? 2 * value.size : 0;
    case 'set':
      return big ? value.size : 0;
    case 'zset':
      return big ? 2 * value.size : 0;
    // Codis 3.2 has no streams: a big one goes in our own chunk messages (stream-chunks.ts),
    // counted by its live entries and its groups' pending entries.
    case 'stream': {
      let bulks = value.size;
      const groups = (value as unknown as StreamValue).groups;
      if (groups !== undefined) for (const group of groups.values()) bulks += group.pel.size;
      return bulks;
    }
  }
}

export class KeyIterator {
  readonly key: string;
  stage = STAGE_PREPARE;
  value: StoredValue | undefined;
  /** Absolute expiry in ms, -1 = none. */
  expireAt = -1;
  /** Position in a hash's fields or a set's members. */
  cursor = 0;
  lindex = 0;
  zindex = 0;
  chunkedMsgs = 0;
  zNode: ZSetNode | null = null;
  /** A stream's xmeta went (its nodes all went before). */
  streamMetaSent = false;
  /** A stream's pending entries still to send. */
  pending: PendingCursor | undefined;

  constructor(key: string) {
    this.key = key;
  }
}

/** What a message expects back: the exact ACK message text, or undefined for "0" or "1". */
export interface Message {
  readonly args: CommandArgument[];
  readonly expect: string | undefined;
}

/** Where the fast paths write messages (a TargetConnection; a recorder in tests). */
export interface MessageSink {
  /** A string key's `delete` and `string` messages. */
  sendString(key: string, ttl: string, value: string): void;
  /** A message of `count` arguments, written one by one with messageBulk / messageBytes. */
  beginMessage(count: number): void;
  messageBulk(value: string): void;
  messageBytes(value: Uint8Array): void;
}

export interface BatchOptions {
  timeout: number;
  maxbulks: number;
  maxbytes: number;
}

export interface ConnectionContext {
  /** AUTH/SELECT were already sent on the connection. */
  used: boolean;
  readonly password: string;
  /** Bytes queued on the connection (0 for DUMP). */
  pendingBytes(): number;
}

export class Batch {
  readonly database: Database;
  readonly options: BatchOptions;
  /** The keys in sending order. */
  private readonly order: string[] = [];
  /**
   * The progress of the key at `index` once its first message came from next(); a string key sent
   * whole by nextString never needs one (no object per key for the common small keys).
   */
  private iterator: KeyIterator | undefined;
  readonly keys = new Set<string>();
  readonly tagCrcs = new Set<number>();
  /** Keys whose messages are all generated (the success count). */
  readonly removedKeys: string[] = [];
  estimateMsgs = 0;
  chunkedVals = 0;
  /** Slot of the SLOT variants (reply [count, slot size]), -1 for the ONE variants. */
  slot = -1;
  /** The subcommand of the chunk nextChunk wrote last (for error messages about its ACK). */
  lastChunkSubcommand = '';
  private index = 0;
  private readonly queue: Message[] = [];

  constructor(database: Database, options: BatchOptions) {
    this.database = database;
    this.options = options;
  }

  /** Messages a key's value would need (0 = missing or expired). */
  estimate(key: string, now: number): number {
    return this.estimateEntry(this.database.findRaw(key), now);
  }

  /** The same from the key's entry (the slot's map was walked directly). */
  estimateEntry(entry: Entry | undefined, now: number): number {
    if (entry === undefined || (entry.expireAt !== 0 && entry.expireAt <= now)) return 0;
    // A string counts 0 (an arena value need not be read to know it is one).
    const bulks = entry.chunk >= 0 ? 0 : bulksOf(entry.value);
    return bulks > this.options.maxbulks ? Math.ceil(bulks / this.options.maxbulks) : 1;
  }

  /**
   * Adds a key (ignored when already in); with `tagGroup`, its whole tag group follows it.
   * `estimate` is the key's estimate when the caller already has it.
   */
  add(key: string, tagGroup: boolean, now: number, estimate = -1): void {
    if (this.keys.has(key)) return;
    this.keys.add(key);
    this.order.push(key);
    this.estimateMsgs += estimate >= 0 ? estimate : this.estimate(key, now);
    const crc = tagCrcOf(key);
    if (crc === undefined || this.tagCrcs.has(crc)) return;
    this.tagCrcs.add(crc);
    if (!tagGroup) return;
    for (const member of tagGroupOf(this.database, crc)) this.add(member, false, now);
  }

  get exhausted(): boolean {
    return this.queue.length === 0 && this.index >= this.order.length;
  }

  /** The iterator whose key is being sent, if any (a fresh one when that key is not started). */
  get current(): KeyIterator | undefined {
    if (this.iterator !== undefined) return this.iterator;
    const key = this.order[this.index];
    return key === undefined ? undefined : new KeyIterator(key);
  }

  get remainingIterators(): number {
    return this.order.length - this.index;
  }

  /** The next message, or undefined when the batch has nothing more to send. */
  next(context: ConnectionContext, now: number): Message | undefined {
    for (;;) {
      const queued = this.queue.shift();
      if (queued !== undefined) return queued;
      const key = this.order[this.index];
      if (key === undefined) return undefined;
      this.iterator ??= new KeyIterator(key);
      const iterator = this.iterator;
      const message = this.step(iterator, context, now);
      if (iterator.stage === STAGE_DONE) {
        this.index++;
        this.iterator = undefined;
      }
      if (message !== undefined) return message;
    }
  }

  /**
   * The fast path of a live connection: when the next key is a string, its `delete` and `string`
   * messages go straight into the connection's output (no message objects) and the result is true.
   * False when the next step is anything else, which next() then produces.
   */
  nextString(context: ConnectionContext, now: number, connection: MessageSink): boolean {
    if (this.queue.length > 0 || !context.used || this.iterator !== undefined) return false;
    const key = this.order[this.index];
    if (key === undefined) return false;
    const entry = this.database.lookup(key, now);
    if (entry === undefined) return false;
    const value = entry.value;
    if (typeof value === 'object') return false;
    this.index++;
    this.removedKeys.push(key);
    const ttl = entry.expireAt === 0 ? '0' : String(Math.max(1, entry.expireAt - now));
    connection.sendString(key, ttl, typeof value === 'string' ? value : String(value));
    return true;
  }

  /**
   * The fast path for a big collection's next chunk: the same items as chunk(), counted first and
   * then encoded straight into the connection's output (no argument array, scores as raw bytes
   * from one scratch buffer), so moving millions of elements leaves little garbage behind. Returns
   * the ACK the chunk expects, or undefined when the next step is not a chunk.
   */
  nextChunk(context: ConnectionContext, connection: MessageSink): string | undefined {
    if (this.queue.length > 0) return undefined;
    const iterator = this.iterator;
    if (iterator === undefined || iterator.stage !== STAGE_CHUNKED) return undefined;
    const value = iterator.value as CollectionValue;
    // A stream's chunks carry listpacks as they are: next() builds them.
    if (value.type === 'stream') return undefined;
    const maxbulks = this.options.maxbulks;
    const budget = Math.max(0, this.options.maxbytes - context.pendingBytes());
    // First pass: how many items this chunk takes (the same rule as chunk()).
    let items = 0;
    let bytes = 0;
    let done = false;
    const step = value.type === 'hash' || value.type === 'zset' ? 2 : 1;
    let position =
      value.type === 'list' ? iterator.lindex : value.type === 'zset' ? iterator.zindex : iterator.cursor;
    let node =
      value.type === 'zset' && iterator.zindex === 0 && iterator.zNode === null
        ? (value as unknown as ZSetValue).last()
        : iterator.zNode;
    while (items < maxbulks && (items === 0 || bytes < budget)) {
      if (position >= value.size || (value.type === 'zset' && node === null)) {
        done = true;
        break;
      }
      switch (value.type) {
        case 'list':
          bytes += (value as unknown as ListValue).at(position).length;
          break;
        case 'hash': {
          const hash = value as unknown as HashValue;
          bytes += hash.fieldAt(position).length + hash.valueAt(position).length;
          break;
        }
        case 'set':
          bytes += (value as unknown as SetValue).memberAt(position).length;
          break;
        default:
          bytes += (node as ZSetNode).member.length + 8;
          node = (node as ZSetNode).backward;
      }
      position++;
      items += step;
    }
    // Second pass: the message.
    const sub = CHUNK_SUBCOMMANDS[value.type] as string;
    this.lastChunkSubcommand = sub;
    connection.beginMessage(5 + items);
    connection.messageBulk(RESTORE);
    connection.messageBulk(sub);
    connection.messageBulk(iterator.key);
    connection.messageBulk(String(3 * this.options.timeout));
    connection.messageBulk(String(value.size));
    const count = items / step;
    switch (value.type) {
      case 'list': {
        const list = value as unknown as ListValue;
        for (let i = 0; i < count; i++) connection.messageBulk(list.at(iterator.lindex++));
        position = iterator.lindex;
        break;
      }
      case 'hash': {
        const hash = value as unknown as HashValue;
        for (let i = 0; i < count; i++) {
          connection.messageBulk(hash.fieldAt(iterator.cursor));
          connection.messageBulk(hash.valueAt(iterator.cursor++));
        }
        position = iterator.cursor;
        break;
      }
      case 'set': {
        const set = value as unknown as SetValue;
        for (let i = 0; i < count; i++) connection.messageBulk(set.memberAt(iterator.cursor++));
        position = iterator.cursor;
        break;
      }
      default: {
        if (iterator.zindex === 0 && iterator.zNode === null)
          iterator.zNode = (value as unknown as ZSetValue).last();
        for (let i = 0; i < count; i++) {
          const current = iterator.zNode as ZSetNode;
          connection.messageBulk(current.member);
          SCORE.writeDoubleLE(current.score, 0);
          connection.messageBytes(SCORE);
          iterator.zNode = current.backward;
          iterator.zindex++;
        }
        position = iterator.zindex;
      }
    }
    if (done) iterator.stage = STAGE_FILLTTL;
    return String(position);
  }

  private ttlOf(iterator: KeyIterator, now: number): string {
    return iterator.expireAt < 0 ? '0' : String(Math.max(1, iterator.expireAt - now));
  }

  private step(iterator: KeyIterator, context: ConnectionContext, now: number): Message | undefined {
    const key = iterator.key;
    switch (iterator.stage) {
      case STAGE_PREPARE: {
        const entry = this.database.lookup(key, now);
        if (entry === undefined) {
          iterator.stage = STAGE_DONE;
          return undefined;
        }
        iterator.value = entry.value;
        iterator.expireAt = entry.expireAt === 0 ? -1 : entry.expireAt;
        if (!context.used) {
          if (context.password !== '')
            this.queue.push({ args: ['SLOTSRESTORE-ASYNC-AUTH', context.password], expect: 'OK' });
          this.queue.push({ args: ['SLOTSRESTORE-ASYNC-SELECT', String(this.database.index)], expect: 'OK' });
          context.used = true;
        }
        this.queue.push({ args: [RESTORE, 'delete', key], expect: undefined });
        const bulks = bulksOf(entry.value);
        if (bulks > this.options.maxbulks) {
          iterator.stage = STAGE_CHUNKED;
          iterator.chunkedMsgs = Math.ceil(bulks / this.options.maxbulks);
        } else iterator.stage = STAGE_PAYLOAD;
        return this.queue.shift();
      }
      case STAGE_PAYLOAD: {
        const value = iterator.value as StoredValue;
        iterator.stage = STAGE_DONE;
        this.removedKeys.push(key);
        if (typeof value !== 'object')
          return { args: [RESTORE, 'string', key, this.ttlOf(iterator, now), stringOf(value)], expect: '1' };
        return {
          args: [RESTORE, 'object', key, this.ttlOf(iterator, now), createDumpPayload(value)],
          expect: '1',
        };
      }
      case STAGE_CHUNKED:
        return this.chunk(iterator, context);
      case STAGE_FILLTTL:
        iterator.stage = STAGE_DONE;
        this.removedKeys.push(key);
        this.chunkedVals++;
        return { args: [RESTORE, 'expire', key, this.ttlOf(iterator, now)], expect: '1' };
      default:
        iterator.stage = STAGE_DONE;
        return undefined;
    }
  }

  /**
   * A big stream's next message (stream-chunks.ts): its nodes in xnodes chunks, then xmeta, then
   * its pending entries in xpel chunks; `expire` (FILLTTL) ends it.
   */
  private streamChunk(iterator: KeyIterator, stream: StreamValue, budget: number): Message {
    const key = iterator.key;
    const provisional = String(3 * this.options.timeout);
    if (!iterator.streamMetaSent && iterator.cursor < stream.nodes.length) {
      const chunk = nodeChunk(stream, iterator.cursor, this.options.maxbulks, budget);
      iterator.cursor = chunk.next;
      return {
        args: [RESTORE, XNODES, key, provisional, String(stream.nodes.length), ...chunk.items],
        expect: String(chunk.next),
      };
    }
    if (!iterator.streamMetaSent) {
      iterator.streamMetaSent = true;
      iterator.pending = pendingCursor(stream);
      if (iterator.pending === undefined) iterator.stage = STAGE_FILLTTL;
      return {
        args: [RESTORE, XMETA, key, provisional, streamTailPayload(stream, false)],
        expect: String(stream.size),
      };
    }
    const chunk = pendingChunk(iterator.pending as PendingCursor, this.options.maxbulks);
    if (chunk.done) iterator.stage = STAGE_FILLTTL;
    return { args: [RESTORE, XPEL, key, provisional, chunk.group, chunk.records], expect: chunk.expect };
  }

  /** One chunk of a big collection: items while under maxbulks and the byte budget. */
  private chunk(iterator: KeyIterator, context: ConnectionContext): Message {
    const value = iterator.value as CollectionValue;
    const maxbulks = this.options.maxbulks;
    const budget = Math.max(0, this.options.maxbytes - context.pendingBytes());
    const provisional = String(3 * this.options.timeout);
    if (value.type === 'stream') return this.streamChunk(iterator, value as unknown as StreamValue, budget);
    const args: CommandArgument[] = [RESTORE, '', iterator.key, provisional, String(value.size)];
    let items = 0;
    let bytes = 0;
    let done = false;
    let sent = 0;
    switch (value.type) {
      case 'list': {
        const list = value as unknown as ListValue;
        args[1] = 'list';
        while (items < maxbulks && (items === 0 || bytes < budget)) {
          if (iterator.lindex >= list.size) {
            done = true;
            break;
          }
          const item = list.at(iterator.lindex++);
          args.push(item);
          items++;
          bytes += item.length;
        }
        sent = iterator.lindex;
        break;
      }
      case 'hash': {
        const hash = value as unknown as HashValue;
        args[1] = 'hash';
        while (items < maxbulks && (items === 0 || bytes < budget)) {
          if (iterator.cursor >= hash.size) {
            done = true;
            break;
          }
          const field = hash.fieldAt(iterator.cursor);
          const fieldValue = hash.valueAt(iterator.cursor++);
          args.push(field, fieldValue);
          items += 2;
          bytes += field.length + fieldValue.length;
        }
        sent = iterator.cursor;
        break;
      }
      case 'set': {
        const set = value as unknown as SetValue;
        args[1] = 'dict';
        while (items < maxbulks && (items === 0 || bytes < budget)) {
          if (iterator.cursor >= set.size) {
            done = true;
            break;
          }
          const member = set.memberAt(iterator.cursor++);
          args.push(member);
          items++;
          bytes += member.length;
        }
        sent = iterator.cursor;
        break;
      }
      default: {
        // Sorted sets go from the highest score down; scores as 8 raw little-endian bytes.
        const zset = value as unknown as ZSetValue;
        args[1] = 'zset';
        if (iterator.zindex === 0 && iterator.zNode === null) iterator.zNode = zset.last();
        while (items < maxbulks && (items === 0 || bytes < budget)) {
          const node = iterator.zNode;
          if (node === null || iterator.zindex >= zset.size) {
            done = true;
            break;
          }
          SCORE.writeDoubleLE(node.score, 0);
          args.push(node.member, SCORE.latin1Slice(0, 8));
          iterator.zNode = node.backward;
          iterator.zindex++;
          items += 2;
          bytes += node.member.length + 8;
        }
        sent = iterator.zindex;
        break;
      }
    }
    if (done) iterator.stage = STAGE_FILLTTL;
    return { args, expect: String(sent) };
  }
}

/** Keys of a database whose tag has this CRC, in byte order (they all live in one slot). */
export function tagGroupOf(database: Database, crc: number): string[] {
  const map = database.slots[crc & 1023];
  const members: string[] = [];
  if (map === undefined) return members;
  for (const key of map.keys()) if (tagCrcOf(key) === crc) members.push(key);
  members.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return members;
}
