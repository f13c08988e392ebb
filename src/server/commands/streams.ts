// Stream commands without consumer groups: XADD, XLEN, XRANGE, XREVRANGE, XDEL, XTRIM, XSETID, with
// Redis 7.0's replies, errors, key events and propagation (the generated ID and exact trimming
// thresholds go to replicas and the AOF, so they end with the same entries).
import type { Client } from '../client.ts';
import type { CommandDefinition } from '../command-registry.ts';
import { NO_SUCH_KEY, SYNTAX, wrongArity } from '../errors.ts';
import { StreamValue } from '../types/stream.ts';
import { compareIds, formatId, isZeroId, MAX_ID, type StreamId, UINT64_MAX } from '../types/stream-id.ts';
import { keyChanged, notify, readCollection, writeCollection } from './keyspace-access.ts';
import {
  parseIdArgument,
  parseIdList,
  parseLongLongArgument,
  parseRangeBound,
  parseTrimArguments,
  TRIM_MAXLEN,
  TRIM_NONE,
  type TrimArguments,
} from './stream-arguments.ts';
import { replyEntries } from './stream-replies.ts';

/**
 * After an approximate trim, replicas and the AOF get the exact result: `=` and the length left
 * (MAXLEN) or the first entry's ID (MINID), as Redis's streamRewriteTrimArgument.
 */
function exactTrimArguments(argv: string[], stream: StreamValue, trim: TrimArguments): string[] {
  const rewritten = argv.slice();
  rewritten[trim.thresholdIndex - 1] = '=';
  if (trim.strategy === TRIM_MAXLEN) rewritten[trim.thresholdIndex] = String(stream.length);
  else {
    const first = stream.nodes[0]?.entries[0]?.id ?? MAX_ID;
    rewritten[trim.thresholdIndex] = formatId(first);
  }
  return rewritten;
}

function xadd(client: Client, argv: string[]): void {
  const trim = parseTrimArguments(client, argv, true);
  if (trim === undefined) return;
  const fieldsAt = trim.idIndex + 1;
  const pairs = argv.length - fieldsAt;
  if (pairs < 2 || pairs % 2 === 1) {
    client.replyError(wrongArity('xadd'));
    return;
  }
  const given = trim.id;
  if (given !== undefined && !trim.autoSeq && isZeroId(given)) {
    client.replyError('ERR The ID specified in XADD must be greater than 0-0');
    return;
  }
  const key = argv[1] as string;
  let stream = writeCollection<StreamValue>(client, key, 'stream');
  if (stream === undefined) return;
  if (stream === null) {
    if (trim.noMakeStream) {
      client.out.nullBulk();
      return;
    }
    stream = new StreamValue();
    client.database.add(key, stream, client.server.cachedNow);
  }
  const last = stream.lastId;
  if (last.ms === UINT64_MAX && last.seq === UINT64_MAX) {
    client.replyError('ERR The stream has exhausted the last possible ID, unable to add more items');
    return;
  }
  let id: StreamId | undefined;
  if (given === undefined) id = stream.autoId(client.server.cachedNow);
  else if (!trim.autoSeq) id = given;
  else if (last.ms !== given.ms) id = given;
  else if (last.seq !== UINT64_MAX) id = { ms: given.ms, seq: last.seq + 1n };
  // Else no sequence is left in that millisecond. Redis 7.0 fails there without setting errno, so
  // its message depends on the errno left by an earlier call; ours is the one that explains it.
  if (id === undefined || compareIds(id, last) <= 0) {
    client.replyError('ERR The ID specified in XADD is equal or smaller than the target stream top item');
    return;
  }
  const fields = argv.slice(fieldsAt);
  if (StreamValue.fieldsTooLarge(fields)) {
    client.replyError('ERR Elements are too large to be stored');
    return;
  }
  stream.append(id, fields);
  const idText = formatId(id);
  client.out.bulk(idText);
  keyChanged(client, key);
  notify(client, 't', 'xadd', key);
  let propagated = argv;
  if (trim.strategy !== TRIM_NONE) {
    if (
      stream.trim(
        trim.strategy === TRIM_MAXLEN ? trim.maxlen : undefined,
        trim.minid,
        trim.approx,
        trim.limit,
      ) > 0
    )
      notify(client, 't', 'xtrim', key);
    if (trim.approx) propagated = exactTrimArguments(argv, stream, trim);
  }
  if (given === undefined || trim.autoSeq) {
    if (propagated === argv) propagated = argv.slice();
    propagated[trim.idIndex] = idText;
  }
  if (propagated !== argv) client.server.propagateInstead = [propagated];
  client.server.blocking.signalKeyReady(client.database, key);
}

function xlen(client: Client, argv: string[]): void {
  const stream = readCollection<StreamValue>(client, argv[1] as string, 'stream');
  if (stream === undefined) return;
  client.out.integer(stream === null ? 0 : stream.length);
}

function rangeGeneric(client: Client, argv: string[], reverse: boolean): void {
  const start = parseRangeBound(client, argv[reverse ? 3 : 2] as string, true);
  if (start === undefined) return;
  const end = parseRangeBound(client, argv[reverse ? 2 : 3] as string, false);
  if (end === undefined) return;
  let count = -1n;
  for (let i = 4; i < argv.length; i++) {
    if ((argv[i] as string).toLowerCase() === 'count' && i + 1 < argv.length) {
      const value = parseLongLongArgument(client, argv[i + 1] as string);
      if (value === undefined) return;
      count = value < 0n ? 0n : value;
      i++;
    } else {
      client.replyError(SYNTAX);
      return;
    }
  }
  const stream = readCollection<StreamValue>(client, argv[1] as string, 'stream');
  if (stream === undefined) return;
  if (stream === null) {
    client.out.arrayHeader(0);
    return;
  }
  if (count === 0n) {
    client.out.nullArray();
    return;
  }
  const entries = [];
  for (const entry of stream.range(start, end, reverse)) {
    entries.push(entry);
    if (BigInt(entries.length) === count) break;
  }
  replyEntries(client.out, entries);
}

function xrange(client: Client, argv: string[]): void {
  rangeGeneric(client, argv, false);
}

function xrevrange(client: Client, argv: string[]): void {
  rangeGeneric(client, argv, true);
}

function xdel(client: Client, argv: string[]): void {
  const key = argv[1] as string;
  const stream = writeCollection<StreamValue>(client, key, 'stream');
  if (stream === undefined) return;
  if (stream === null) {
    client.out.integer(0);
    return;
  }
  const ids = parseIdList(client, argv, 2);
  if (ids === undefined) return;
  let deleted = 0;
  let firstDeleted = false;
  for (const id of ids) {
    if (!stream.delete(id)) continue;
    if (compareIds(id, stream.firstId) === 0) firstDeleted = true;
    if (compareIds(id, stream.maxDeletedEntryId) > 0) stream.maxDeletedEntryId = id;
    deleted++;
  }
  if (deleted > 0) {
    if (stream.length === 0 || firstDeleted) stream.refreshFirstId();
    keyChanged(client, key, deleted);
    notify(client, 't', 'xdel', key);
  }
  client.out.integer(deleted);
}

function xtrim(client: Client, argv: string[]): void {
  const trim = parseTrimArguments(client, argv, false);
  if (trim === undefined) return;
  const key = argv[1] as string;
  const stream = writeCollection<StreamValue>(client, key, 'stream');
  if (stream === undefined) return;
  if (stream === null) {
    client.out.integer(0);
    return;
  }
  const deleted = stream.trim(
    trim.strategy === TRIM_MAXLEN ? trim.maxlen : undefined,
    trim.minid,
    trim.approx,
    trim.limit,
  );
  if (deleted > 0) {
    notify(client, 't', 'xtrim', key);
    if (trim.approx) client.server.propagateInstead = [exactTrimArguments(argv, stream, trim)];
    keyChanged(client, key, deleted);
  }
  client.out.integer(deleted);
}

function xsetid(client: Client, argv: string[]): void {
  const id = parseIdArgument(client, argv[2] as string, 0n, true);
  if (id === undefined) return;
  let entriesAdded = -1n;
  let maxDeleted: StreamId = { ms: 0n, seq: 0n };
  for (let i = 3; i < argv.length; i += 2) {
    const option = (argv[i] as string).toLowerCase();
    const more = i + 1 < argv.length;
    if (option === 'entriesadded' && more) {
      const value = parseLongLongArgument(client, argv[i + 1] as string);
      if (value === undefined) return;
      if (value < 0n) {
        client.replyError('ERR entries_added must be positive');
        return;
      }
      entriesAdded = value;
    } else if (option === 'maxdeletedid' && more) {
      const value = parseIdArgument(client, argv[i + 1] as string, 0n, true);
      if (value === undefined) return;
      if (compareIds(id, value) < 0) {
        client.replyError('ERR The ID specified in XSETID is smaller than the provided max_deleted_entry_id');
        return;
      }
      maxDeleted = value;
    } else {
      client.replyError(SYNTAX);
      return;
    }
  }
  const key = argv[1] as string;
  const stream = writeCollection<StreamValue>(client, key, 'stream');
  if (stream === undefined) return;
  if (stream === null) {
    client.replyError(NO_SUCH_KEY);
    return;
  }
  if (stream.length > 0) {
    const top = stream.edgeId(false) as StreamId;
    if (compareIds(id, top) < 0) {
      client.replyError('ERR The ID specified in XSETID is smaller than the target stream top item');
      return;
    }
    if (entriesAdded !== -1n && BigInt(stream.length) > entriesAdded) {
      client.replyError('ERR The entries_added specified in XSETID is smaller than the target stream length');
      return;
    }
  }
  stream.lastId = id;
  if (entriesAdded !== -1n) stream.entriesAdded = entriesAdded;
  if (!isZeroId(maxDeleted)) stream.maxDeletedEntryId = maxDeleted;
  client.out.ok();
  keyChanged(client, key);
  notify(client, 't', 'xsetid', key);
}

export const streamCommands: CommandDefinition[] = [
  { name: 'xadd', handler: xadd },
  { name: 'xlen', handler: xlen },
  { name: 'xrange', handler: xrange },
  { name: 'xrevrange', handler: xrevrange },
  { name: 'xdel', handler: xdel },
  { name: 'xtrim', handler: xtrim },
  { name: 'xsetid', handler: xsetid },
];
