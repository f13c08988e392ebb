// Consumer group commands: XGROUP, XACK, XPENDING, XCLAIM and XAUTOCLAIM, as Redis 7.0's
// t_stream.c answers them. Claims propagate as idempotent XCLAIMs (TIME, RETRYCOUNT, FORCE,
// JUSTID, LASTID), as Redis does, so replicas and the AOF end with the same pending lists.
import { isKeyword, parseInt64 } from '../arguments.ts';
import type { Client } from '../client.ts';
import type { CommandDefinition } from '../command-registry.ts';
import { SYNTAX, subcommandSyntax } from '../errors.ts';
import {
  type ConsumerGroup,
  ENTRIES_READ_UNKNOWN,
  type StreamConsumer,
  StreamNack,
  StreamValue,
} from '../types/stream.ts';
import { compareIds, formatId, parseStreamId, type StreamId } from '../types/stream-id.ts';
import { replyHelp } from './command-introspection.ts';
import { keyChanged, notify, readCollection, writeCollection } from './keyspace-access.ts';
import { parseIdArgument, parseIdList, parseLongLongArgument, parseRangeBound } from './stream-arguments.ts';
import { consumerFor, propagateStream, setIdFor, xclaimFor } from './stream-delivery.ts';
import { replyEntry } from './stream-replies.ts';

const XGROUP_HELP = [
  'XGROUP <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
  'CREATE <key> <groupname> <id|$> [option]',
  '    Create a new consumer group. Options are:',
  '    * MKSTREAM',
  '      Create the empty stream if it does not exist.',
  '    * ENTRIESREAD entries_read',
  "      Set the group's entries_read counter (internal use).",
  'CREATECONSUMER <key> <groupname> <consumer>',
  '    Create a new consumer in the specified group.',
  'DELCONSUMER <key> <groupname> <consumer>',
  '    Remove the specified consumer.',
  'DESTROY <key> <groupname>',
  '    Remove the specified group.',
  'SETID <key> <groupname> <id|$> [ENTRIESREAD entries_read]',
  '    Set the current group ID and entries_read counter.',
  'HELP',
  '    Prints this help.',
];

const ENTRIES_READ_RANGE = 'ERR value for ENTRIESREAD must be positive or -1';

/**
 * XGROUP's common checks (key and group): the stream and group, or undefined after an error.
 * CREATE passes its MKSTREAM; the others need the group.
 */
function groupTarget(
  client: Client,
  argv: string[],
  needsGroup: boolean,
  mkstream: boolean,
): { stream: StreamValue | null; group: ConsumerGroup | undefined } | undefined {
  const key = argv[2] as string;
  const stream = writeCollection<StreamValue>(client, key, 'stream');
  if (stream === undefined) return undefined;
  const groupName = argv[3] as string;
  if (mkstream) return { stream, group: stream?.group(groupName) };
  if (stream === null) {
    client.replyError(
      'ERR The XGROUP subcommand requires the key to exist. Note that for CREATE you may want to use the MKSTREAM option to create an empty stream automatically.',
    );
    return undefined;
  }
  const group = stream.group(groupName);
  if (group === undefined && needsGroup) {
    client.replyError(`NOGROUP No such consumer group '${groupName}' for key name '${key}'`);
    return undefined;
  }
  return { stream, group };
}

/** ENTRIESREAD's value: >= 0 or -1; undefined after an error. */
function parseEntriesRead(client: Client, text: string): bigint | undefined {
  const value = parseLongLongArgument(client, text);
  if (value === undefined) return undefined;
  if (value < 0n && value !== ENTRIES_READ_UNKNOWN) {
    client.replyError(ENTRIES_READ_RANGE);
    return undefined;
  }
  return value;
}

function xgroupCreate(client: Client, argv: string[]): void {
  let mkstream = false;
  let entriesRead = ENTRIES_READ_UNKNOWN;
  for (let i = 5; i < argv.length; ) {
    if (isKeyword(argv[i] as string, 'mkstream')) {
      mkstream = true;
      i++;
    } else if (isKeyword(argv[i] as string, 'entriesread') && i + 1 < argv.length) {
      const value = parseEntriesRead(client, argv[i + 1] as string);
      if (value === undefined) return;
      entriesRead = value;
      i += 2;
    } else {
      client.replyError(subcommandSyntax(argv));
      return;
    }
  }
  const target = groupTarget(client, argv, false, mkstream);
  if (target === undefined) return;
  if (argv.length > 8) {
    client.replyError(subcommandSyntax(argv));
    return;
  }
  const key = argv[2] as string;
  let stream = target.stream;
  let id: StreamId;
  if (argv[4] === '$') id = stream === null ? { ms: 0n, seq: 0n } : stream.lastId;
  else {
    const parsed = parseIdArgument(client, argv[4] as string, 0n, true);
    if (parsed === undefined) return;
    id = parsed;
  }
  if (stream === null) {
    stream = new StreamValue();
    client.database.add(key, stream, client.server.cachedNow);
    keyChanged(client, key, 0);
  }
  if (stream.createGroup(argv[3] as string, id, entriesRead) === undefined) {
    client.replyError('BUSYGROUP Consumer Group name already exists');
    return;
  }
  client.out.ok();
  keyChanged(client, key);
  notify(client, 't', 'xgroup-create', key);
}

function xgroupSetid(client: Client, argv: string[]): void {
  // Redis 7.0 checks SETID's arguments before the key.
  if (argv.length !== 5 && argv.length !== 7) {
    client.replyError(subcommandSyntax(argv));
    return;
  }
  let entriesRead = ENTRIES_READ_UNKNOWN;
  if (argv.length === 7) {
    if (!isKeyword(argv[5] as string, 'entriesread')) {
      client.replyError(subcommandSyntax(argv));
      return;
    }
    const value = parseEntriesRead(client, argv[6] as string);
    if (value === undefined) return;
    entriesRead = value;
  }
  const target = groupTarget(client, argv, true, false);
  if (target === undefined) return;
  const stream = target.stream as StreamValue;
  const group = target.group as ConsumerGroup;
  let id: StreamId;
  if (argv[4] === '$') id = stream.lastId;
  else {
    const parsed = parseIdArgument(client, argv[4] as string, 0n, false);
    if (parsed === undefined) return;
    id = parsed;
  }
  group.lastId = id;
  group.entriesRead = entriesRead;
  client.out.ok();
  keyChanged(client, argv[2] as string);
  notify(client, 't', 'xgroup-setid', argv[2] as string);
}

function xgroupDestroy(client: Client, argv: string[]): void {
  const target = groupTarget(client, argv, false, false);
  if (target === undefined) return;
  const stream = target.stream as StreamValue;
  if (target.group === undefined) {
    client.out.integer(0);
    return;
  }
  stream.groups?.delete(target.group.name);
  client.out.integer(1);
  const key = argv[2] as string;
  keyChanged(client, key);
  notify(client, 't', 'xgroup-destroy', key);
  // Readers blocked on the group learn it is gone.
  client.server.blocking.signalKeyReady(client.database, key);
}

function xgroupCreateConsumer(client: Client, argv: string[]): void {
  const target = groupTarget(client, argv, true, false);
  if (target === undefined) return;
  const group = target.group as ConsumerGroup;
  const state = consumerFor(client, argv[2] as string, group, argv[4] as string, false);
  client.out.integer(state.created ? 1 : 0);
}

function xgroupDelConsumer(client: Client, argv: string[]): void {
  const target = groupTarget(client, argv, true, false);
  if (target === undefined) return;
  const group = target.group as ConsumerGroup;
  const name = argv[4] as string;
  if (!group.consumers.has(name)) {
    client.out.integer(0);
    return;
  }
  const pending = group.deleteConsumer(name);
  keyChanged(client, argv[2] as string);
  notify(client, 't', 'xgroup-delconsumer', argv[2] as string);
  client.out.integer(pending);
}

function xack(client: Client, argv: string[]): void {
  const key = argv[1] as string;
  const stream = readCollection<StreamValue>(client, key, 'stream');
  if (stream === undefined) return;
  const group = stream?.group(argv[2] as string);
  if (group === undefined) {
    client.out.integer(0);
    return;
  }
  const ids = parseIdList(client, argv, 3);
  if (ids === undefined) return;
  // Looked up as a read (as Redis does), changed all the same: a running snapshot keeps it first.
  client.database.beforeWrite(key);
  let acknowledged = 0;
  for (const id of ids) {
    const nack = group.pel.get(id);
    if (nack === undefined) continue;
    group.pel.delete(id);
    nack.consumer.pel.delete(id);
    acknowledged++;
  }
  if (acknowledged > 0) keyChanged(client, key, acknowledged);
  client.out.integer(acknowledged);
}

function noGroup(client: Client, key: string, group: string): void {
  client.replyError(`NOGROUP No such key '${key}' or consumer group '${group}'`);
}

function xpending(client: Client, argv: string[]): void {
  const summary = argv.length === 3;
  if (!summary && (argv.length < 6 || argv.length > 9)) {
    client.replyError(SYNTAX);
    return;
  }
  let start: StreamId = { ms: 0n, seq: 0n };
  let end: StreamId = start;
  let count = 0;
  let minIdle = 0;
  let consumerName: string | undefined;
  if (!summary) {
    let at = 3;
    if (isKeyword(argv[3] as string, 'idle')) {
      const value = parseLongLongArgument(client, argv[4] as string);
      if (value === undefined) return;
      minIdle = Number(value);
      if (argv.length < 8) {
        client.replyError(SYNTAX);
        return;
      }
      at += 2;
    }
    const countValue = parseLongLongArgument(client, argv[at + 2] as string);
    if (countValue === undefined) return;
    count = countValue < 0n ? 0 : Number(countValue);
    const from = parseRangeBound(client, argv[at] as string, true);
    if (from === undefined) return;
    const to = parseRangeBound(client, argv[at + 1] as string, false);
    if (to === undefined) return;
    start = from;
    end = to;
    if (at + 3 < argv.length) consumerName = argv[at + 3] as string;
  }
  const key = argv[1] as string;
  const stream = readCollection<StreamValue>(client, key, 'stream');
  if (stream === undefined) return;
  const group = stream?.group(argv[2] as string);
  if (group === undefined) {
    noGroup(client, key, argv[2] as string);
    return;
  }
  const out = client.out;
  if (summary) {
    out.arrayHeader(4);
    out.integer(group.pel.size);
    const first = group.pel.first();
    const last = group.pel.last();
    if (first === undefined || last === undefined) {
      out.nullBulk();
      out.nullBulk();
      out.nullArray();
      return;
    }
    out.bulk(formatId(first[0]));
    out.bulk(formatId(last[0]));
    const owners = group.sortedConsumers().filter((consumer) => consumer.pel.size > 0);
    out.arrayHeader(owners.length);
    for (const consumer of owners) {
      out.arrayHeader(2);
      out.bulk(consumer.name);
      out.bulk(String(consumer.pel.size));
    }
    return;
  }
  let pel = group.pel;
  if (consumerName !== undefined) {
    const consumer = group.consumers.get(consumerName);
    if (consumer === undefined) {
      out.arrayHeader(0);
      return;
    }
    pel = consumer.pel;
  }
  const now = Date.now();
  const rows: Array<[StreamId, StreamNack]> = [];
  if (count > 0) {
    for (const [id, nack] of pel.entries(start)) {
      if (compareIds(id, end) > 0) break;
      if (minIdle !== 0 && now - nack.deliveryTime < minIdle) continue;
      rows.push([id, nack]);
      if (rows.length === count) break;
    }
  }
  out.arrayHeader(rows.length);
  for (const [id, nack] of rows) {
    out.arrayHeader(4);
    out.bulk(formatId(id));
    out.bulk(nack.consumer.name);
    out.integer(Math.max(0, now - nack.deliveryTime));
    out.integer(nack.deliveryCount);
  }
}

/** getLongLongFromObjectOrReply with a custom message. */
function parseLongWithMessage(client: Client, text: string, message: string): number | undefined {
  const value = parseInt64(text);
  if (value === undefined) {
    client.replyError(`ERR ${message}`);
    return undefined;
  }
  return Number(value);
}

/** Moves a pending entry to `consumer` (creating the NACK under FORCE). */
function assign(group: ConsumerGroup, id: StreamId, nack: StreamNack, consumer: StreamConsumer): void {
  if (nack.consumer !== consumer) {
    nack.consumer.pel.delete(id);
    consumer.pel.set(id, nack);
    nack.consumer = consumer;
  }
  if (!group.pel.has(id)) group.pel.set(id, nack);
}

function xclaim(client: Client, argv: string[]): void {
  const key = argv[1] as string;
  const stream = readCollection<StreamValue>(client, key, 'stream');
  if (stream === undefined) return;
  const group = stream?.group(argv[2] as string);
  if (stream === null || group === undefined) {
    noGroup(client, key, argv[2] as string);
    return;
  }
  let minIdle = parseLongWithMessage(client, argv[4] as string, 'Invalid min-idle-time argument for XCLAIM');
  if (minIdle === undefined) return;
  if (minIdle < 0) minIdle = 0;
  // Looked up as a read (as Redis does), changed all the same: a running snapshot keeps it first.
  client.database.beforeWrite(key);
  let j = 5;
  const ids: StreamId[] = [];
  for (; j < argv.length; j++) {
    const parsed = parseStreamId(argv[j] as string, 0n, true);
    if (parsed === undefined) break;
    ids.push(parsed.id);
  }
  const now = Date.now();
  let force = false;
  let justid = false;
  let retryCount = -1;
  let deliveryTime = -1;
  let lastId: StreamId = { ms: 0n, seq: 0n };
  for (; j < argv.length; j++) {
    const more = argv.length - 1 - j;
    const option = argv[j] as string;
    if (isKeyword(option, 'force')) force = true;
    else if (isKeyword(option, 'justid')) justid = true;
    else if (more > 0 && ['idle', 'time', 'retrycount'].includes(option.toLowerCase())) {
      const name = option.toUpperCase();
      const value = parseLongWithMessage(
        client,
        argv[++j] as string,
        `Invalid ${name} option argument for XCLAIM`,
      );
      if (value === undefined) return;
      if (name === 'IDLE') deliveryTime = now - value;
      else if (name === 'TIME') deliveryTime = value;
      else retryCount = value;
    } else if (more > 0 && isKeyword(option, 'lastid')) {
      const value = parseIdArgument(client, argv[++j] as string, 0n, true);
      if (value === undefined) return;
      lastId = value;
    } else {
      client.replyError(`ERR Unrecognized XCLAIM option '${option}'`);
      return;
    }
  }
  const propagate: string[][] = [];
  let propagateLastId = false;
  if (compareIds(lastId, group.lastId) > 0) {
    group.lastId = lastId;
    propagateLastId = true;
  }
  if (deliveryTime === -1 || deliveryTime < 0 || deliveryTime > now) deliveryTime = now;
  const out = client.out;
  const mark = out.length;
  let replied = 0;
  let consumer: StreamConsumer | undefined;
  let changes = 0;
  for (const id of ids) {
    let nack = group.pel.get(id);
    const entry = stream.find(id);
    if (entry === undefined) {
      if (nack !== undefined) {
        propagate.push(xclaimFor(key, group, id, nack));
        propagateLastId = false;
        changes++;
        group.pel.delete(id);
        nack.consumer.pel.delete(id);
      }
      continue;
    }
    if (nack === undefined) {
      if (!force) continue;
    } else if (minIdle !== 0 && now - nack.deliveryTime < minIdle) continue;
    if (consumer === undefined) consumer = consumerFor(client, key, group, argv[3] as string).consumer;
    if (nack === undefined) {
      // A NACK starts with one delivery (streamCreateNACK), counted again below.
      nack = new StreamNack(consumer, deliveryTime, 1);
      group.pel.set(id, nack);
      consumer.pel.set(id, nack);
    } else assign(group, id, nack, consumer);
    nack.deliveryTime = deliveryTime;
    if (retryCount >= 0) nack.deliveryCount = retryCount;
    else if (!justid) nack.deliveryCount++;
    if (justid) out.bulk(formatId(id));
    else replyEntry(out, entry);
    replied++;
    propagate.push(xclaimFor(key, group, id, nack));
    propagateLastId = false;
    changes++;
  }
  if (propagateLastId) {
    propagate.push(setIdFor(key, group));
    changes++;
  }
  const body = out.cut(mark);
  out.arrayHeader(replied);
  out.rawBytes(body);
  if (changes > 0) keyChanged(client, key, changes);
  propagateStream(client, propagate);
}

/** XAUTOCLAIM scans at most COUNT × this many pending entries. */
const ATTEMPTS_FACTOR = 10;

function xautoclaim(client: Client, argv: string[]): void {
  let minIdle = parseLongWithMessage(
    client,
    argv[4] as string,
    'Invalid min-idle-time argument for XAUTOCLAIM',
  );
  if (minIdle === undefined) return;
  if (minIdle < 0) minIdle = 0;
  const start = parseRangeBound(client, argv[5] as string, true);
  if (start === undefined) return;
  let count = 100;
  let justid = false;
  for (let j = 6; j < argv.length; j++) {
    const more = argv.length - 1 - j;
    const option = argv[j] as string;
    if (more > 0 && isKeyword(option, 'count')) {
      // LONG_MAX / 16: the claimed IDs are kept in an array of COUNT IDs.
      const value = parseInt64(argv[j + 1] as string);
      if (value === undefined || BigInt(value) < 1n || BigInt(value) > 576460752303423487n) {
        client.replyError('ERR COUNT must be > 0');
        return;
      }
      count = Number(value);
      j++;
    } else if (isKeyword(option, 'justid')) justid = true;
    else {
      client.replyError(SYNTAX);
      return;
    }
  }
  const key = argv[1] as string;
  const stream = readCollection<StreamValue>(client, key, 'stream');
  if (stream === undefined) return;
  const group = stream?.group(argv[2] as string);
  if (stream === null || group === undefined) {
    noGroup(client, key, argv[2] as string);
    return;
  }
  // Looked up as a read (as Redis does), changed all the same: a running snapshot keeps it first.
  client.database.beforeWrite(key);
  let attempts = count * ATTEMPTS_FACTOR;
  const now = Date.now();
  const out = client.out;
  const claimed: Array<() => void> = [];
  const deleted: StreamId[] = [];
  const propagate: string[][] = [];
  let consumer: StreamConsumer | undefined;
  let next: StreamId = { ms: 0n, seq: 0n };
  const iterator = group.pel.entries(start);
  let item = iterator.next();
  while (attempts > 0 && count > 0 && !item.done) {
    attempts--;
    const [id, nack] = item.value;
    const entry = stream.find(id);
    if (entry === undefined) {
      propagate.push(xclaimFor(key, group, id, nack));
      group.pel.delete(id);
      nack.consumer.pel.delete(id);
      deleted.push(id);
      count--;
      item = iterator.next();
      continue;
    }
    if (minIdle !== 0 && now - nack.deliveryTime < minIdle) {
      item = iterator.next();
      continue;
    }
    if (consumer === undefined) consumer = consumerFor(client, key, group, argv[3] as string).consumer;
    assign(group, id, nack, consumer);
    nack.deliveryTime = now;
    if (!justid) nack.deliveryCount++;
    claimed.push(justid ? () => out.bulk(formatId(id)) : () => replyEntry(out, entry));
    count--;
    propagate.push(xclaimFor(key, group, id, nack));
    item = iterator.next();
  }
  if (!item.done) next = item.value[0];
  out.arrayHeader(3);
  out.bulk(formatId(next));
  out.arrayHeader(claimed.length);
  for (const reply of claimed) reply();
  out.arrayHeader(deleted.length);
  for (const id of deleted) out.bulk(formatId(id));
  if (propagate.length > 0) keyChanged(client, key, propagate.length);
  propagateStream(client, propagate);
}

export const streamGroupCommands: CommandDefinition[] = [
  { name: 'xgroup|create', handler: xgroupCreate },
  { name: 'xgroup|setid', handler: xgroupSetid },
  { name: 'xgroup|destroy', handler: xgroupDestroy },
  { name: 'xgroup|createconsumer', handler: xgroupCreateConsumer },
  { name: 'xgroup|delconsumer', handler: xgroupDelConsumer },
  { name: 'xgroup|help', handler: (client) => replyHelp(client, XGROUP_HELP) },
  { name: 'xack', handler: xack },
  { name: 'xpending', handler: xpending },
  { name: 'xclaim', handler: xclaim },
  { name: 'xautoclaim', handler: xautoclaim },
];
