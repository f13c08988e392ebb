// Delivering stream entries to a consumer group (Redis's streamReplyWithRange with a group): the
// group's last ID and read counter advance, each entry enters the pending lists (PEL) of the group
// and the consumer, and replicas and the AOF get the equivalent XCLAIM and XGROUP SETID commands.
import type { ReplyWriter } from '../../resp/index.ts';
import type { Client } from '../client.ts';
import {
  type ConsumerGroup,
  ENTRIES_READ_UNKNOWN,
  StreamConsumer,
  type StreamEntry,
  StreamNack,
  type StreamValue,
} from '../types/stream.ts';
import { compareIds, formatId, MAX_ID, nextId, type StreamId } from '../types/stream-id.ts';
import { keyChanged, notify } from './keyspace-access.ts';
import { replyEntry } from './stream-replies.ts';

/** Commands a stream command propagates instead of itself (collected while it runs). */
export function propagateStream(client: Client, commands: string[][]): void {
  const server = client.server;
  if (server.propagateInstead === undefined) server.propagateInstead = commands;
  else server.propagateInstead.push(...commands);
}

/** The XCLAIM that recreates a pending entry's state anywhere (streamPropagateXCLAIM). */
export function xclaimFor(key: string, group: ConsumerGroup, id: StreamId, nack: StreamNack): string[] {
  return [
    'XCLAIM',
    key,
    group.name,
    nack.consumer.name,
    '0',
    formatId(id),
    'TIME',
    String(nack.deliveryTime),
    'RETRYCOUNT',
    String(nack.deliveryCount),
    'FORCE',
    'JUSTID',
    'LASTID',
    formatId(group.lastId),
  ];
}

/** XGROUP SETID with the read counter (streamPropagateGroupID). */
export function setIdFor(key: string, group: ConsumerGroup): string[] {
  return [
    'XGROUP',
    'SETID',
    key,
    group.name,
    formatId(group.lastId),
    'ENTRIESREAD',
    String(group.entriesRead),
  ];
}

/**
 * The consumer named `name`, created when missing (streamLookupConsumer + streamCreateConsumer: a
 * lookup refreshes its seen time unless `refresh` is false; a creation is a change).
 */
export function consumerFor(
  client: Client,
  key: string,
  group: ConsumerGroup,
  name: string,
  refresh = true,
): { consumer: StreamConsumer; created: boolean } {
  const now = Date.now();
  const existing = group.consumers.get(name);
  if (existing !== undefined) {
    if (refresh) existing.seenTime = now;
    return { consumer: existing, created: false };
  }
  return { consumer: createConsumer(client, key, group, name, now), created: true };
}

/** A new consumer (streamCreateConsumer): a change to the key, with its key event. */
export function createConsumer(
  client: Client,
  key: string,
  group: ConsumerGroup,
  name: string,
  now: number,
): StreamConsumer {
  const consumer = new StreamConsumer(name, now);
  group.consumers.set(name, consumer);
  keyChanged(client, key);
  notify(client, 't', 'xgroup-createconsumer', key);
  return consumer;
}

/**
 * Replies with the entries after `after` (up to `count`, 0 = all) and records their delivery to
 * `consumer` in `group` (no PEL entries with `noack`). Returns how many were delivered.
 */
export function deliverNew(
  client: Client,
  out: ReplyWriter,
  key: string,
  stream: StreamValue,
  after: StreamId,
  count: number,
  group: ConsumerGroup,
  consumer: StreamConsumer,
  noack: boolean,
): number {
  const start = nextId(after);
  const entries: StreamEntry[] = [];
  if (start !== undefined) {
    for (const entry of stream.range(start, MAX_ID)) {
      entries.push(entry);
      if (entries.length === count) break;
    }
  }
  out.arrayHeader(entries.length);
  const propagate: string[][] = [];
  let movedLastId = false;
  const now = Date.now();
  for (const entry of entries) {
    const id = entry.id;
    if (compareIds(id, group.lastId) > 0) {
      if (group.entriesRead !== ENTRIES_READ_UNKNOWN && !stream.rangeHasTombstones(id, undefined))
        group.entriesRead++;
      else if (stream.entriesAdded !== 0n) group.entriesRead = stream.distanceFromFirstEverEntry(id);
      group.lastId = id;
      movedLastId = true;
    }
    replyEntry(out, entry);
    if (noack) continue;
    let nack = group.pel.get(id);
    if (nack === undefined) {
      nack = new StreamNack(consumer, now, 1);
      group.pel.set(id, nack);
      consumer.pel.set(id, nack);
    } else {
      nack.consumer.pel.delete(id);
      nack.consumer = consumer;
      nack.deliveryTime = now;
      nack.deliveryCount = 1;
      consumer.pel.set(id, nack);
    }
    propagate.push(xclaimFor(key, group, id, nack));
  }
  if (movedLastId) propagate.push(setIdFor(key, group));
  if (propagate.length > 0) propagateStream(client, propagate);
  return entries.length;
}

/**
 * Replies with the consumer's own pending entries from `start` (XREADGROUP with an ID): each
 * delivered again (its count grows), an entry deleted since as [id, nil].
 */
export function deliverHistory(
  out: ReplyWriter,
  stream: StreamValue,
  start: StreamId,
  count: number,
  consumer: StreamConsumer,
): void {
  const pending: Array<[StreamId, StreamNack]> = [];
  for (const item of consumer.pel.entries(start)) {
    pending.push(item);
    if (pending.length === count) break;
  }
  out.arrayHeader(pending.length);
  const now = Date.now();
  for (const [id, nack] of pending) {
    const entry = stream.find(id);
    if (entry === undefined) {
      out.arrayHeader(2);
      out.bulk(formatId(id));
      out.nullArray();
      continue;
    }
    replyEntry(out, entry);
    nack.deliveryTime = now;
    nack.deliveryCount++;
  }
}
