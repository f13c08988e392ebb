// Turns a decoded RDB value into the server's own data structure for that type.
import { encodeString, type StoredValue } from '../keyspace/value.ts';
import { HashValue } from '../types/hash.ts';
import { ListValue } from '../types/list.ts';
import { SetValue } from '../types/set.ts';
import { type ConsumerGroup, StreamConsumer, StreamNack, StreamNode, StreamValue } from '../types/stream.ts';
import { ZSetValue } from '../types/zset.ts';
import type { RdbValue } from './object.ts';
import { decodeNode, type RdbStream, type RdbStreamTail } from './stream.ts';

/** The stored form of a decoded value. */
export function materialize(value: RdbValue): StoredValue {
  switch (value.type) {
    case 'string':
      return encodeString(value.value);
    case 'list':
      return ListValue.fromArray(value.items);
    case 'hash':
      return HashValue.fromEntries(value.entries);
    case 'set':
      return SetValue.fromMembers(value.members);
    case 'zset':
      return ZSetValue.fromPairs(value.pairs);
    case 'stream':
      return streamOf(value);
  }
}

/** A stream with the decoded nodes kept as they were (Redis keeps the listpacks it loads). */
function streamOf(decoded: RdbStream): StreamValue {
  const stream = new StreamValue();
  for (const each of decoded.nodes) {
    stream.nodes.push(
      StreamNode.loaded(
        each.masterId,
        each.masterFields,
        each.live,
        each.deleted,
        each.lastId,
        each.listpack,
        decodeNode,
      ),
    );
  }
  applyStreamTail(stream, decoded);
  return stream;
}

/**
 * Gives a stream whose nodes are in place its metadata and consumer groups as read (replacing any
 * groups it had): the end of a load, and the last message of a stream moved in chunks.
 */
export function applyStreamTail(stream: StreamValue, tail: RdbStreamTail): void {
  stream.length = tail.length;
  stream.lastId = tail.lastId;
  stream.firstId = tail.firstId;
  stream.maxDeletedEntryId = tail.maxDeletedEntryId;
  stream.entriesAdded = tail.entriesAdded;
  stream.groups = undefined;
  for (const each of tail.groups) {
    // Type 15 has no entries_read: Redis 7 estimates it from the loaded stream.
    const entriesRead = each.entriesRead ?? stream.distanceFromFirstEverEntry(each.lastId);
    const group = stream.createGroup(each.name, each.lastId, entriesRead) as ConsumerGroup;
    const consumers = each.consumers.map((consumer) => {
      const created = new StreamConsumer(consumer.name, consumer.seenTime);
      group.consumers.set(consumer.name, created);
      return created;
    });
    for (const pending of each.pending) {
      const consumer = consumers[pending.consumer] as StreamConsumer;
      const nack = new StreamNack(consumer, pending.deliveryTime, pending.deliveryCount);
      group.pel.set(pending.id, nack);
      consumer.pel.set(pending.id, nack);
    }
  }
}
