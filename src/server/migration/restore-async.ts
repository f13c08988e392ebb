// Target side of the async migration (spec §9.6): SLOTSRESTORE-ASYNC and its -AUTH / -SELECT
// messages. Every message is answered with ["SLOTSRESTORE-ASYNC-ACK", errno, message]; after an
// error ACK the connection is closed, as Codis does, so a source never keeps sending into a failed
// batch. Big streams come in our own `xnodes`, `xmeta` and `xpel` messages (stream-chunks.ts).
import { performance } from 'node:perf_hooks';
import { parseInt64 } from '../arguments.ts';
import type { Client } from '../client.ts';
import type { ServerCommand } from '../command-registry.ts';
import { keyChanged, lookupWrite, notify } from '../commands/keyspace-access.ts';
import type { Entry } from '../keyspace/entry.ts';
import { encodeString, type StoredValue } from '../keyspace/value.ts';
import * as rdbConstants from '../rdb/constants.ts';
import { decodeDumpPayload, materialize, RdbFormatError, verifyDumpPayload } from '../rdb/index.ts';
import type { CommandGate } from '../server.ts';
import { HashValue } from '../types/hash.ts';
import { ListValue } from '../types/list.ts';
import { SetValue } from '../types/set.ts';
import { StreamValue } from '../types/stream.ts';
import { ZSetValue } from '../types/zset.ts';
import type { AsyncMigrator } from './async-migration.ts';
import {
  addPending,
  appendNodes,
  applyTailPayload,
  type ChunkNode,
  readNodeChunk,
  XMETA,
  XNODES,
  XPEL,
} from './stream-chunks.ts';

const INT32_MAX = 2147483647;
/** What the first chunk of a stream is checked against (nothing before it). */
const EMPTY_STREAM = new StreamValue();
/** Codis 3.2 reads DUMP payloads up to RDB version 7 only; we accept what our RESTORE accepts. */
const KNOWN_TYPES = new Set<number>(
  Object.entries(rdbConstants)
    .filter(([name, value]) => name.startsWith('RDB_TYPE_') && typeof value === 'number')
    .map(([, value]) => value as number),
);

/** The whole success ACKs of the common messages, encoded once. */
function encodedAck(message: string): Buffer {
  return Buffer.from(
    `*3\r\n$22\r\nSLOTSRESTORE-ASYNC-ACK\r\n$1\r\n0\r\n$${message.length}\r\n${message}\r\n`,
    'latin1',
  );
}
const ACK_0 = encodedAck('0');
const ACK_1 = encodedAck('1');
const ACK_OK = encodedAck('OK');

function ack(client: Client, errno: number, message: string): void {
  const out = client.out;
  if (errno === 0) {
    const encoded = message === '1' ? ACK_1 : message === '0' ? ACK_0 : message === 'OK' ? ACK_OK : undefined;
    if (encoded !== undefined) {
      out.rawBytes(encoded);
      return;
    }
  }
  out.arrayHeader(3);
  out.bulk('SLOTSRESTORE-ASYNC-ACK');
  out.bulk(String(errno));
  out.bulk(message);
}

function errorAck(client: Client, message: string): void {
  ack(client, -1, message);
  client.closeAfterReply = true;
}

/** Redis's internal type/encoding codes, for the `wrong type` messages. */
function typeAndEncoding(value: StoredValue): string {
  if (typeof value === 'number') return '0/1';
  if (typeof value === 'string') return value.length <= 44 ? '0/8' : '0/0';
  const encoding = value.encoding();
  switch (value.type) {
    case 'list':
      return '1/9';
    case 'set':
      return encoding === 'intset' ? '2/6' : '2/2';
    case 'zset':
      return encoding === 'skiplist' ? '3/7' : '3/5';
    case 'hash':
      return encoding === 'hashtable' ? '4/2' : '4/5';
    case 'stream':
      return '6/10';
  }
}

function parseNonNegative(text: string): number | undefined {
  const value = parseInt64(text);
  if (value === undefined || typeof value === 'bigint' || value < 0) return undefined;
  return value;
}

/** The common tail: TTL (0 removes it), change signalled, success ACK. */
function finish(client: Client, key: string, entry: Entry, ttl: number, message: string): void {
  const database = client.database;
  if (ttl > 0) database.setExpire(key, entry, client.server.cachedNow + ttl);
  else database.removeExpire(key, entry);
  keyChanged(client, key);
  ack(client, 0, message);
}

const STAR = 42;
const DOLLAR = 36;
const CR = 13;
const LF = 10;
/** What every restore message starts with after its `*N\r\n`: the command name and `$6\r\n`. */
const MESSAGE_PREFIX = Buffer.from('$18\r\nSLOTSRESTORE-ASYNC\r\n$6\r\n', 'latin1');
const COMMAND_NAME = 'SLOTSRESTORE-ASYNC';
const DELETE = Buffer.from('delete\r\n', 'latin1');
const STRING = Buffer.from('string\r\n', 'latin1');

/** Where the bulk string read by readBulk starts and ends (module scratch: no object per call). */
let bulkStart = 0;
let bulkEnd = 0;

/**
 * Reads `$<len>\r\n<bytes>\r\n` at `at`; the index after it, or -1 when it is incomplete,
 * malformed or longer than `limit` (the generic parser then deals with it).
 */
function readBulk(buffer: Buffer, at: number, limit: number): number {
  const length = buffer.length;
  if (at >= length || buffer[at] !== DOLLAR) return -1;
  let position = at + 1;
  let size = 0;
  let digits = 0;
  for (; position < length; position++) {
    const byte = buffer[position] as number;
    if (byte < 48 || byte > 57) break;
    size = size * 10 + byte - 48;
    if (++digits > 10) return -1;
  }
  if (digits === 0 || size > limit || position + 1 >= length) return -1;
  if (buffer[position] !== CR || buffer[position + 1] !== LF) return -1;
  bulkStart = position + 2;
  bulkEnd = bulkStart + size;
  if (bulkEnd + 2 > length) return -1;
  return bulkEnd + 2;
}

function matches(buffer: Buffer, at: number, expected: Buffer): boolean {
  if (at + expected.length > buffer.length) return false;
  for (let i = 0; i < expected.length; i++) if (buffer[at + i] !== expected[i]) return false;
  return true;
}

/** Where the parts of the message read by readMessage are (module scratch: no object per call). */
let messageKind = 0;
let keyStart = 0;
let keyEnd = 0;
let ttlStart = 0;
let ttlEnd = 0;
let ttlValue = 0;
let valueStart = 0;
let valueEnd = 0;
const KIND_DELETE = 1;
const KIND_STRING = 2;

/**
 * Reads a complete `delete key` or `string key ttl value` message at `at` (a plain decimal TTL);
 * the index after it, or -1 for anything else or a message cut by the end of the input.
 */
function readMessage(buffer: Buffer, at: number, limit: number): number {
  if (at + 4 + MESSAGE_PREFIX.length + 8 > buffer.length) return -1;
  if (buffer[at] !== STAR || buffer[at + 2] !== CR || buffer[at + 3] !== LF) return -1;
  const count = buffer[at + 1];
  if (!matches(buffer, at + 4, MESSAGE_PREFIX)) return -1;
  let position = at + 4 + MESSAGE_PREFIX.length;
  if (count === 51 && matches(buffer, position, DELETE)) {
    position = readBulk(buffer, position + DELETE.length, limit);
    messageKind = KIND_DELETE;
    keyStart = bulkStart;
    keyEnd = bulkEnd;
    return position;
  }
  if (count !== 53 || !matches(buffer, position, STRING)) return -1;
  position = readBulk(buffer, position + STRING.length, limit);
  if (position < 0) return -1;
  keyStart = bulkStart;
  keyEnd = bulkEnd;
  position = readBulk(buffer, position, limit);
  if (position < 0) return -1;
  ttlStart = bulkStart;
  ttlEnd = bulkEnd;
  // Strict decimal without sign or leading zero, as parseNonNegative accepts; else the generic path.
  const digits = bulkEnd - bulkStart;
  if (digits === 0 || digits > 15 || (digits > 1 && buffer[bulkStart] === 48)) return -1;
  let ttl = 0;
  for (let i = bulkStart; i < bulkEnd; i++) {
    const digit = (buffer[i] as number) - 48;
    if (digit < 0 || digit > 9) return -1;
    ttl = ttl * 10 + digit;
  }
  ttlValue = ttl;
  position = readBulk(buffer, position, limit);
  if (position < 0) return -1;
  messageKind = KIND_STRING;
  valueStart = bulkStart;
  valueEnd = bulkEnd;
  return position;
}

/** Whether buffer[start, end) holds exactly the characters of `text`. */
function sameBytes(buffer: Buffer, start: number, end: number, text: string | undefined): boolean {
  if (text === undefined || text.length !== end - start) return false;
  for (let i = start; i < end; i++) if (buffer[i] !== text.charCodeAt(i - start)) return false;
  return true;
}

/**
 * The input fast path of a connection that sent restore messages. The two messages every small key
 * takes (`delete key`, `string key ttl value`) are read straight from the input bytes and run in a
 * loop, without the generic parser's string per argument or the per-request dispatch:
 * - the gates (MULTI, CLIENT PAUSE, read-only replica, scripts, sync migration...) are asked once
 *   per run, with its first message: their answer depends on the client's and the server's state,
 *   which these messages do not change, so it holds for the run;
 * - each message still counts in the statistics and goes through every after-command hook with
 *   its arguments (propagation to replicas and the AOF, MONITOR, slowlog), as from server.call;
 * - the `string` that follows the `delete` of the same key reuses its key string and skips the
 *   lookup: the delete just made sure the key is absent.
 * Anything else (other messages, a message cut by the end of the input, maxmemory set, a batch of
 * our own in flight) is left to the generic parser and pipeline. The reader returns true when it
 * ran a message.
 */
function createFastInput(migrator: AsyncMigrator): (client: Client) => boolean {
  /** SLOTSRESTORE-ASYNC (its statistics count the fast path's messages too). */
  let command: ServerCommand | undefined;
  // One argument array per message kind, refilled for each message: gates copy an argv they keep
  // (as for the parser's), and the after-command hooks keep none of it (propagation encodes it at
  // once, MONITOR formats it, the slowlog copies it). Two fresh arrays per key were about half of
  // the target's young-generation allocation during a move (121 against 216-249 MB per 200,000
  // keys in --trace-gc-nvp), so about twice the scavenges.
  const deleteArgv: string[] = [COMMAND_NAME, 'delete', ''];
  const stringArgv: string[] = [COMMAND_NAME, 'string', '', '', ''];
  return (client) => {
    // Users with restrictions take the generic path, where each message is checked.
    if (!client.user.unrestricted || client.replyMode !== 'on') return false;
    if (!client.authenticated && client.server.acl.authRequired) return false;
    const parser = client.parser;
    const buffer = parser.idleBuffer;
    if (buffer === undefined) return false;
    const server = client.server;
    // Over maxmemory a write may be refused (OOM), and a database with a batch of our own in flight
    // answers with an error ACK: each message then goes the generic way.
    if (server.maxMemory > 0 || migrator.batchOf(client.database) !== undefined) return false;
    command ??= server.registry.lookup(COMMAND_NAME);
    if (command === undefined) return false;
    const limit = parser.limits.maxBulkLength;
    const stats = command.stats;
    const hooks = server.afterCommandHooks;
    const database = client.database;
    let position = parser.offset;
    let ran = 0;
    let deletedKey: string | undefined;
    let clock = performance.now();
    server.cachedNow = server.clockNow();
    while (!client.closed && !client.closeAfterReply && !client.paused && !client.outputBlocked) {
      const end = readMessage(buffer, position, limit);
      if (end < 0) break;
      let argv: string[];
      let key: string;
      if (messageKind === KIND_DELETE) {
        key = buffer.latin1Slice(keyStart, keyEnd);
        argv = deleteArgv;
        argv[2] = key;
      } else {
        key = sameBytes(buffer, keyStart, keyEnd, deletedKey)
          ? (deletedKey as string)
          : buffer.latin1Slice(keyStart, keyEnd);
        const ttl =
          ttlEnd === ttlStart + 1 && buffer[ttlStart] === 48 ? '0' : buffer.latin1Slice(ttlStart, ttlEnd);
        argv = stringArgv;
        argv[2] = key;
        argv[3] = ttl;
        argv[4] = buffer.latin1Slice(valueStart, valueEnd);
      }
      position = end;
      parser.consumeTo(end);
      if (ran === 0) {
        const errorsBefore = server.stats.errorReplies;
        const gates = server.gates;
        for (let i = 0; i < gates.length; i++) {
          if ((gates[i] as CommandGate)(client, command, argv)) {
            if (server.stats.errorReplies !== errorsBefore) {
              const rejected = server.commandRejectedHooks;
              for (let j = 0; j < rejected.length; j++) (rejected[j] as (client: Client) => void)(client);
            }
            return true;
          }
        }
      }
      if (messageKind === KIND_DELETE) {
        const existed = lookupWrite(client, key) !== undefined;
        if (existed) {
          database.delete(key);
          keyChanged(client, key);
          notify(client, 'g', 'del', key);
        }
        client.out.rawBytes(existed ? ACK_1 : ACK_0);
        deletedKey = key;
      } else {
        if (key !== deletedKey && lookupWrite(client, key) !== undefined) {
          server.call(client, command, argv.slice());
          return true;
        }
        deletedKey = undefined;
        finish(
          client,
          key,
          database.add(key, encodeString(argv[4] as string), server.cachedNow),
          ttlValue,
          '1',
        );
      }
      ran++;
      const now = performance.now();
      const microseconds = (now - clock) * 1000;
      clock = now;
      stats.calls++;
      stats.microseconds += microseconds;
      server.stats.totalCommands++;
      client.commandsProcessed++;
      client.lastCommandName = command.fullName;
      for (let i = 0; i < hooks.length; i++)
        (hooks[i] as (typeof hooks)[number])(client, command, argv, Math.floor(microseconds));
      if (server.blocking.hasReadyKeys && !client.retryingBlocked && !server.deferReadyKeys)
        server.blocking.serveReadyKeys();
      if (client.out.length >= 64 * 1024) client.flush();
    }
    return ran > 0;
  };
}

function wrongNumber(argc: number, sub: string): string {
  return `wrong number of arguments (argc=${argc},cmd=${sub})`;
}

export function createRestoreAsyncHandlers(migrator: AsyncMigrator) {
  const fastInput = createFastInput(migrator);

  function slotsrestoreAsync(client: Client, argv: string[]): void {
    client.inputFastPath = fastInput;
    const argc = argv.length;
    const sub = argv[1] as string;
    const name = sub === 'delete' || sub === 'string' ? sub : sub.toLowerCase();
    if (migrator.batchOf(client.database) !== undefined) {
      errorAck(client, 'the specified DB is being migrated');
      return;
    }
    if (argc < 3) {
      errorAck(client, wrongNumber(argc, sub));
      return;
    }
    const key = argv[2] as string;
    const database = client.database;
    if (name === 'delete') {
      if (argc !== 3) {
        errorAck(client, wrongNumber(argc, sub));
        return;
      }
      const existed = lookupWrite(client, key) !== undefined;
      if (existed) {
        database.delete(key);
        keyChanged(client, key);
        notify(client, 'g', 'del', key);
      }
      ack(client, 0, existed ? '1' : '0');
      return;
    }
    if (argc < 4) {
      errorAck(client, wrongNumber(argc, sub));
      return;
    }
    const ttl = parseNonNegative(argv[3] as string);
    if (ttl === undefined) {
      errorAck(client, `invalid TTL value (TTL=${argv[3]})`);
      return;
    }
    const now = client.server.cachedNow;
    if (name === 'expire') {
      if (argc !== 4) {
        errorAck(client, wrongNumber(argc, sub));
        return;
      }
      const entry = lookupWrite(client, key);
      if (entry === undefined) {
        errorAck(client, `the specified key doesn't exist (${key})`);
        return;
      }
      finish(client, key, entry, ttl, '1');
      return;
    }
    if (name === 'string' || name === 'object') {
      if (argc !== 5) {
        errorAck(client, wrongNumber(argc, sub));
        return;
      }
      if (lookupWrite(client, key) !== undefined) {
        errorAck(client, `the specified key already exists (${key})`);
        return;
      }
      let value: StoredValue;
      if (name === 'string') value = encodeString(argv[4] as string);
      else {
        const payload = Buffer.from(argv[4] as string, 'latin1');
        if (!verifyDumpPayload(payload)) {
          errorAck(client, 'invalid payload checksum');
          return;
        }
        try {
          value = materialize(decodeDumpPayload(payload));
        } catch (error) {
          if (!(error instanceof RdbFormatError)) throw error;
          errorAck(
            client,
            KNOWN_TYPES.has(payload[0] as number) ? 'invalid payload body' : 'invalid payload type',
          );
          return;
        }
      }
      finish(client, key, database.add(key, value, now), ttl, '1');
      return;
    }
    if (name === XMETA || name === XPEL) {
      if (argc !== (name === XMETA ? 5 : 6)) {
        errorAck(client, wrongNumber(argc, sub));
        return;
      }
      let entry = lookupWrite(client, key);
      if (entry !== undefined && (typeof entry.value !== 'object' || entry.value.type !== 'stream')) {
        errorAck(client, `wrong type (expect=6/10,got=${typeAndEncoding(entry.value)})`);
        return;
      }
      if (name === XMETA) {
        // A missing key is a new empty stream: one whose every entry is deleted has no nodes to send.
        const stream = entry === undefined ? new StreamValue() : (entry.value as StreamValue);
        try {
          applyTailPayload(stream, Buffer.from(argv[4] as string, 'latin1'));
        } catch (error) {
          if (!(error instanceof RdbFormatError)) throw error;
          errorAck(client, `invalid stream metadata (${error.message})`);
          return;
        }
        entry ??= database.add(key, stream, now);
        finish(client, key, entry, ttl, String(stream.length));
        return;
      }
      if (entry === undefined) {
        errorAck(client, `the specified key doesn't exist (${key})`);
        return;
      }
      const group = (entry.value as StreamValue).group(argv[4] as string);
      if (group === undefined) {
        errorAck(client, `unknown group (${argv[4]})`);
        return;
      }
      let pending: number;
      try {
        pending = addPending(group, Buffer.from(argv[5] as string, 'latin1'));
      } catch (error) {
        if (!(error instanceof RdbFormatError)) throw error;
        errorAck(client, `invalid pending entries (${error.message})`);
        return;
      }
      finish(client, key, entry, ttl, String(pending));
      return;
    }
    if (argc < 5) {
      errorAck(client, wrongNumber(argc, sub));
      return;
    }
    const hint = parseNonNegative(argv[4] as string);
    if (hint === undefined) {
      errorAck(client, `invalid Hint value (Hint=${argv[4]})`);
      return;
    }
    if ((name === 'hash' || name === 'zset' || name === XNODES) && (argc - 5) % 2 !== 0) {
      errorAck(client, wrongNumber(argc, sub));
      return;
    }
    const items = argc - 5;
    switch (name) {
      case 'list': {
        let entry = lookupWrite(client, key);
        if (entry !== undefined && (typeof entry.value !== 'object' || entry.value.type !== 'list')) {
          errorAck(client, `wrong type (expect=1/9,got=${typeAndEncoding(entry.value)})`);
          return;
        }
        if (entry === undefined && items === 0) {
          errorAck(client, `the specified key doesn't exist (${key})`);
          return;
        }
        entry ??= database.add(key, new ListValue(), now);
        const list = entry.value as ListValue;
        for (let i = 5; i < argc; i++) list.pushTail(argv[i] as string);
        finish(client, key, entry, ttl, String(list.size));
        return;
      }
      case 'hash': {
        let entry = lookupWrite(client, key);
        if (entry !== undefined && typeAndEncoding(entry.value) !== '4/2') {
          errorAck(client, `wrong type (expect=4/2,got=${typeAndEncoding(entry.value)})`);
          return;
        }
        if (entry === undefined && items === 0) {
          errorAck(client, `the specified key doesn't exist (${key})`);
          return;
        }
        if (entry === undefined) {
          const hash = new HashValue();
          hash.convertToHashtable();
          entry = database.add(key, hash, now);
        }
        const hash = entry.value as HashValue;
        for (let i = 5; i < argc; i += 2) hash.set(argv[i] as string, argv[i + 1] as string);
        finish(client, key, entry, ttl, String(hash.size));
        return;
      }
      case 'dict': {
        let entry = lookupWrite(client, key);
        if (entry !== undefined && typeAndEncoding(entry.value) !== '2/2') {
          errorAck(client, `wrong type (expect=2/2,got=${typeAndEncoding(entry.value)})`);
          return;
        }
        if (entry === undefined && items === 0) {
          errorAck(client, `the specified key doesn't exist (${key})`);
          return;
        }
        if (entry === undefined) {
          const set = new SetValue();
          set.convertToHashtable();
          entry = database.add(key, set, now);
        }
        const set = entry.value as SetValue;
        for (let i = 5; i < argc; i++) set.add(argv[i] as string);
        finish(client, key, entry, ttl, String(set.size));
        return;
      }
      case 'zset': {
        const scores: number[] = [];
        for (let i = 6, pair = 0; i < argc; i += 2, pair++) {
          const raw = argv[i] as string;
          if (raw.length !== 8) {
            errorAck(client, `invalid zset score ([${pair}]), bad raw bits`);
            return;
          }
          scores.push(Buffer.from(raw, 'latin1').readDoubleLE(0));
        }
        let entry = lookupWrite(client, key);
        if (entry !== undefined && typeAndEncoding(entry.value) !== '3/7') {
          errorAck(client, `wrong type (expect=3/7,got=${typeAndEncoding(entry.value)})`);
          return;
        }
        if (entry === undefined && items === 0) {
          errorAck(client, `the specified key doesn't exist (${key})`);
          return;
        }
        if (entry === undefined) {
          const zset = new ZSetValue();
          zset.convertToSkiplist();
          entry = database.add(key, zset, now);
        }
        const zset = entry.value as ZSetValue;
        for (let i = 5, pair = 0; i < argc; i += 2, pair++)
          zset.set(argv[i] as string, scores[pair] as number);
        finish(client, key, entry, ttl, String(zset.size));
        return;
      }
      case XNODES: {
        let entry = lookupWrite(client, key);
        if (entry !== undefined && (typeof entry.value !== 'object' || entry.value.type !== 'stream')) {
          errorAck(client, `wrong type (expect=6/10,got=${typeAndEncoding(entry.value)})`);
          return;
        }
        if (entry === undefined && items === 0) {
          errorAck(client, `the specified key doesn't exist (${key})`);
          return;
        }
        // Every listpack is checked before the key is touched: a corrupt chunk changes nothing.
        let nodes: ChunkNode[];
        try {
          nodes = readNodeChunk(entry === undefined ? EMPTY_STREAM : (entry.value as StreamValue), argv, 5);
        } catch (error) {
          if (!(error instanceof RdbFormatError)) throw error;
          errorAck(client, `invalid stream chunk (${error.message})`);
          return;
        }
        entry ??= database.add(key, new StreamValue(), now);
        const stream = entry.value as StreamValue;
        appendNodes(stream, nodes);
        finish(client, key, entry, ttl, String(stream.nodes.length));
        return;
      }
      default:
        errorAck(client, `unknown command (argc=${argc},cmd=${sub})`);
    }
  }

  function slotsrestoreAsyncAuth(client: Client, argv: string[]): void {
    // The password is the default user's (requirepass, or its ACL rules), as for AUTH <password>.
    const acl = client.server.acl;
    if (acl.defaultUser.noPass) {
      errorAck(client, 'Client sent AUTH, but no password is set');
      return;
    }
    if (acl.authenticate(client, 'default', argv[1] as string, argv[0] as string)) ack(client, 0, 'OK');
    else {
      client.authenticated = false;
      acl.syncParser(client);
      errorAck(client, 'invalid password');
    }
  }

  function slotsrestoreAsyncSelect(client: Client, argv: string[]): void {
    const text = argv[1] as string;
    const index = parseNonNegative(text);
    const database = index === undefined || index > INT32_MAX ? undefined : client.server.databases[index];
    if (database === undefined) {
      errorAck(client, `invalid DB index (${text})`);
      return;
    }
    client.database = database;
    client.inputFastPath = fastInput;
    ack(client, 0, 'OK');
  }

  return { slotsrestoreAsync, slotsrestoreAsyncAuth, slotsrestoreAsyncSelect };
}
