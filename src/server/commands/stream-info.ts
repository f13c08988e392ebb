// XINFO STREAM [FULL [COUNT n]], XINFO GROUPS and XINFO CONSUMERS, field for field as Redis 7.0.

import type { ReplyWriter } from '../../resp/index.ts';
import { isKeyword } from '../arguments.ts';
import type { Client } from '../client.ts';
import type { CommandDefinition } from '../command-registry.ts';
import { NO_SUCH_KEY, subcommandSyntax, WRONG_TYPE } from '../errors.ts';
import { type ConsumerGroup, ENTRIES_READ_UNKNOWN, StreamValue } from '../types/stream.ts';
import { formatId, idKey, MAX_ID, MIN_ID } from '../types/stream-id.ts';
import { replyHelp } from './command-introspection.ts';
import { lookupRead } from './keyspace-access.ts';
import { parseLongLongArgument } from './stream-arguments.ts';
import { replyEntry } from './stream-replies.ts';

const XINFO_HELP = [
  'XINFO <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
  'CONSUMERS <key> <groupname>',
  '    Show consumers of <groupname>.',
  'GROUPS <key>',
  '    Show the stream consumer groups.',
  'STREAM <key> [FULL [COUNT <count>]',
  '    Show information about the stream.',
  'HELP',
  '    Prints this help.',
];

/** XINFO FULL's default COUNT. */
const FULL_DEFAULT_COUNT = 10;

/** The stream at key, or undefined after "no such key" or WRONGTYPE. */
function streamOrError(client: Client, key: string): StreamValue | undefined {
  const entry = lookupRead(client, key);
  if (entry === undefined) {
    client.replyError(NO_SUCH_KEY);
    return undefined;
  }
  if (entry.value instanceof StreamValue) return entry.value;
  client.replyError(WRONG_TYPE);
  return undefined;
}

/**
 * The nodes of the radix tree Redis keeps the stream's listpacks in (XINFO's radix-tree-nodes): a
 * rax of 16-byte keys has a node for its root, one per key, one per branching prefix, and one per
 * prefix that starts a compressed run below a branching node.
 */
export function radixTreeNodes(stream: StreamValue): number {
  const keys = stream.nodes.map((node) => idKey(node.masterId));
  const prefixes = new Set<string>(['']);
  for (const key of keys) prefixes.add(key);
  for (let i = 0; i + 1 < keys.length; i++) {
    const a = keys[i] as string;
    const b = keys[i + 1] as string;
    let common = 0;
    while (common < a.length && a.charCodeAt(common) === b.charCodeAt(common)) common++;
    prefixes.add(a.slice(0, common));
    prefixes.add(a.slice(0, common + 1));
    prefixes.add(b.slice(0, common + 1));
  }
  return prefixes.size;
}

/** The first `count` items (all when count is 0), as XINFO FULL's COUNT limits every list. */
function firstOf<T>(items: Iterable<T>, count: number): T[] {
  const first: T[] = [];
  for (const item of items) {
    if (first.length === count && count !== 0) break;
    first.push(item);
  }
  return first;
}

function entriesRead(out: ReplyWriter, group: ConsumerGroup): void {
  if (group.entriesRead === ENTRIES_READ_UNKNOWN) out.nullBulk();
  else out.integer(group.entriesRead);
}

function lag(out: ReplyWriter, stream: StreamValue, group: ConsumerGroup): void {
  const value = stream.groupLag(group);
  if (value === undefined) out.nullBulk();
  else out.integer(value);
}

function xinfoStream(client: Client, argv: string[]): void {
  // Redis looks the key up before it reads FULL and COUNT.
  const stream = streamOrError(client, argv[2] as string);
  if (stream === undefined) return;
  let full = false;
  let count = FULL_DEFAULT_COUNT;
  if (argv.length > 3) {
    if (argv.length > 6 || !isKeyword(argv[3] as string, 'full')) {
      client.replyError(subcommandSyntax(argv));
      return;
    }
    full = true;
    if (argv.length > 4) {
      if (argv.length !== 6 || !isKeyword(argv[4] as string, 'count')) {
        client.replyError(subcommandSyntax(argv));
        return;
      }
      const value = parseLongLongArgument(client, argv[5] as string);
      if (value === undefined) return;
      count = value < 0n ? 0 : Number(value);
    }
  }
  const out = client.out;
  out.mapHeader(full ? 9 : 10);
  out.bulk('length');
  out.integer(stream.length);
  out.bulk('radix-tree-keys');
  out.integer(stream.nodes.length);
  out.bulk('radix-tree-nodes');
  out.integer(radixTreeNodes(stream));
  out.bulk('last-generated-id');
  out.bulk(formatId(stream.lastId));
  out.bulk('max-deleted-entry-id');
  out.bulk(formatId(stream.maxDeletedEntryId));
  out.bulk('entries-added');
  out.integer(stream.entriesAdded);
  out.bulk('recorded-first-entry-id');
  out.bulk(formatId(stream.firstId));
  if (!full) {
    out.bulk('groups');
    out.integer(stream.groups?.size ?? 0);
    for (const first of [true, false]) {
      out.bulk(first ? 'first-entry' : 'last-entry');
      let edge: ReturnType<StreamValue['find']>;
      for (const entry of stream.range(MIN_ID, MAX_ID, !first)) {
        edge = entry;
        break;
      }
      if (edge === undefined) out.nullBulk();
      else replyEntry(out, edge);
    }
    return;
  }
  const entries = firstOf(stream.range(MIN_ID, MAX_ID), count);
  out.bulk('entries');
  out.arrayHeader(entries.length);
  for (const entry of entries) replyEntry(out, entry);
  const groups = stream.sortedGroups();
  out.bulk('groups');
  out.arrayHeader(groups.length);
  for (const group of groups) {
    out.mapHeader(7);
    out.bulk('name');
    out.bulk(group.name);
    out.bulk('last-delivered-id');
    out.bulk(formatId(group.lastId));
    out.bulk('entries-read');
    entriesRead(out, group);
    out.bulk('lag');
    lag(out, stream, group);
    out.bulk('pel-count');
    out.integer(group.pel.size);
    const pending = firstOf(group.pel.entries(), count);
    out.bulk('pending');
    out.arrayHeader(pending.length);
    for (const [id, nack] of pending) {
      out.arrayHeader(4);
      out.bulk(formatId(id));
      out.bulk(nack.consumer.name);
      out.integer(nack.deliveryTime);
      out.integer(nack.deliveryCount);
    }
    const consumers = group.sortedConsumers();
    out.bulk('consumers');
    out.arrayHeader(consumers.length);
    for (const consumer of consumers) {
      out.mapHeader(4);
      out.bulk('name');
      out.bulk(consumer.name);
      out.bulk('seen-time');
      out.integer(consumer.seenTime);
      out.bulk('pel-count');
      out.integer(consumer.pel.size);
      const own = firstOf(consumer.pel.entries(), count);
      out.bulk('pending');
      out.arrayHeader(own.length);
      for (const [id, nack] of own) {
        out.arrayHeader(3);
        out.bulk(formatId(id));
        out.integer(nack.deliveryTime);
        out.integer(nack.deliveryCount);
      }
    }
  }
}

function xinfoGroups(client: Client, argv: string[]): void {
  const stream = streamOrError(client, argv[2] as string);
  if (stream === undefined) return;
  const out = client.out;
  const groups = stream.sortedGroups();
  out.arrayHeader(groups.length);
  for (const group of groups) {
    out.mapHeader(6);
    out.bulk('name');
    out.bulk(group.name);
    out.bulk('consumers');
    out.integer(group.consumers.size);
    out.bulk('pending');
    out.integer(group.pel.size);
    out.bulk('last-delivered-id');
    out.bulk(formatId(group.lastId));
    out.bulk('entries-read');
    entriesRead(out, group);
    out.bulk('lag');
    lag(out, stream, group);
  }
}

function xinfoConsumers(client: Client, argv: string[]): void {
  const key = argv[2] as string;
  const stream = streamOrError(client, key);
  if (stream === undefined) return;
  const group = stream.group(argv[3] as string);
  if (group === undefined) {
    client.replyError(`NOGROUP No such consumer group '${argv[3]}' for key name '${key}'`);
    return;
  }
  const out = client.out;
  const consumers = group.sortedConsumers();
  const now = Date.now();
  out.arrayHeader(consumers.length);
  for (const consumer of consumers) {
    out.mapHeader(3);
    out.bulk('name');
    out.bulk(consumer.name);
    out.bulk('pending');
    out.integer(consumer.pel.size);
    out.bulk('idle');
    out.integer(Math.max(0, now - consumer.seenTime));
  }
}

export const streamInfoCommands: CommandDefinition[] = [
  { name: 'xinfo|stream', handler: xinfoStream },
  { name: 'xinfo|groups', handler: xinfoGroups },
  { name: 'xinfo|consumers', handler: xinfoConsumers },
  { name: 'xinfo|help', handler: (client) => replyHelp(client, XINFO_HELP) },
];
