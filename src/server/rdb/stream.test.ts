import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import {
  ConsumerGroup,
  FLAG_DELETED,
  FLAG_SAME_FIELDS,
  StreamConsumer,
  StreamEntry,
  StreamNack,
  StreamNode,
  StreamValue,
} from '../types/stream.ts';
import { type StreamId, streamId } from '../types/stream-id.ts';
import {
  RDB_TYPE_STREAM_LISTPACKS,
  RDB_TYPE_STREAM_LISTPACKS_2,
  RDB_TYPE_STREAM_LISTPACKS_3,
} from './constants.ts';
import { crc64 } from './crc64.ts';
import { RdbFormatError } from './errors.ts';
import { materialize } from './materialize.ts';
import { createDumpPayload, decodeDumpPayload, payloadVersion, verifyDumpPayload } from './payload.ts';
import { encodeNode } from './stream.ts';
import { RdbWriter } from './writer.ts';

const id = (ms: number | bigint, seq: number | bigint = 0): StreamId => streamId(BigInt(ms), BigInt(seq));

/** Adds a consumer with pending entries, shared between its PEL and its group's (as XREADGROUP does). */
function deliver(group: ConsumerGroup, name: string, seen: number, ids: StreamId[], count = 1): void {
  let consumer = group.consumers.get(name);
  if (consumer === undefined) {
    consumer = new StreamConsumer(name, seen);
    group.consumers.set(name, consumer);
  }
  for (const each of ids) {
    const nack = new StreamNack(consumer, seen + 5, count);
    group.pel.set(each, nack);
    consumer.pel.set(each, nack);
  }
}

/** A stream of 250 entries over three nodes, with deletions, both entry layouts and two groups. */
function sampleStream(): StreamValue {
  const stream = new StreamValue();
  for (let i = 1; i <= 250; i++) {
    if (i % 3 === 0) stream.append(id(i), ['a', String(i), 'b', `v${i}`]);
    else if (i % 3 === 1) stream.append(id(i), ['a', String(i), 'b', 'x', 'c', String(-i)]);
    else stream.append(id(i, 1), ['z', '12345678901', 'y', '9223372036854775807', 'bin', '\0\xff\r\n']);
  }
  for (const each of [id(5, 1), id(6), id(100), id(101, 1)]) assert.ok(stream.delete(each));
  stream.maxDeletedEntryId = id(101, 1);
  stream.refreshFirstId();
  const group = stream.createGroup('g1', id(9), 9n) as ConsumerGroup;
  deliver(group, 'alice', 1700000000000, [id(1), id(2, 1), id(3), id(5, 1)], 2);
  deliver(group, 'bob', 1700000000100, [id(7), id(8, 1)]);
  group.consumers.set('carol', new StreamConsumer('carol', 1700000000200));
  stream.createGroup('g0', id(250), -1n);
  return stream;
}

/** The parts of a stream that a round trip must keep. */
function shape(stream: StreamValue): unknown {
  return {
    nodes: stream.nodes.map((node) => ({
      masterId: node.masterId,
      masterFields: node.masterFields,
      live: node.live,
      deleted: node.deleted,
      bytes: node.bytes,
      entries: node.entries.map((entry) => ({ id: entry.id, fields: entry.fields, flags: entry.flags })),
    })),
    length: stream.length,
    lastId: stream.lastId,
    firstId: stream.firstId,
    maxDeletedEntryId: stream.maxDeletedEntryId,
    entriesAdded: stream.entriesAdded,
    groups: stream.sortedGroups().map((group) => ({
      name: group.name,
      lastId: group.lastId,
      entriesRead: group.entriesRead,
      pel: [...group.pel.entries()].map(([pending, nack]) => [
        pending,
        nack.consumer.name,
        nack.deliveryTime,
        nack.deliveryCount,
      ]),
      consumers: group.sortedConsumers().map((consumer) => ({
        name: consumer.name,
        seenTime: consumer.seenTime,
        pel: [...consumer.pel.entries()].map(([pending]) => pending),
      })),
    })),
  };
}

function roundTrip(stream: StreamValue): StreamValue {
  const payload = createDumpPayload(stream);
  assert.ok(verifyDumpPayload(payload));
  const restored = materialize(decodeDumpPayload(payload)) as StreamValue;
  assert.ok(restored instanceof StreamValue);
  assert.deepEqual(shape(restored), shape(stream));
  // Written again, the same bytes.
  assert.deepEqual(createDumpPayload(restored), payload);
  return restored;
}

test('a stream round-trips: nodes, flags, deleted entries, metadata, groups, shared PEL entries', () => {
  const stream = sampleStream();
  assert.equal(stream.nodes.length, 3);
  assert.ok(stream.nodes[0]?.entries.some((entry) => entry.flags === FLAG_SAME_FIELDS));
  assert.ok(stream.nodes[0]?.entries.some((entry) => entry.flags === 0));
  assert.ok(stream.nodes[0]?.entries.some((entry) => (entry.flags & FLAG_DELETED) !== 0));
  const restored = roundTrip(stream);
  const group = restored.group('g1') as ConsumerGroup;
  for (const [pending, nack] of group.pel.entries()) assert.equal(nack.consumer.pel.get(pending), nack);
  assert.equal(restored.find(id(250))?.fields[1], '250');
  assert.equal(restored.find(id(6)), undefined);
  // Stream payloads carry Redis 7.0's version, type 19, and are compressed like any other blob.
  const payload = createDumpPayload(stream);
  assert.equal(payload[0], RDB_TYPE_STREAM_LISTPACKS_2);
  assert.equal(payloadVersion(payload), 10);
  assert.ok(createDumpPayload(stream, false).length > payload.length);
  assert.deepEqual(
    shape(materialize(decodeDumpPayload(createDumpPayload(stream, false))) as StreamValue),
    shape(stream),
  );
});

test('an empty stream with groups, and huge IDs and counters, round-trip', () => {
  const empty = new StreamValue();
  empty.lastId = id(5, 5);
  empty.entriesAdded = 1n;
  empty.maxDeletedEntryId = id(5, 5);
  empty.createGroup('eg', id(0), 0n);
  roundTrip(empty);
  const big = new StreamValue();
  const max = 2n ** 64n - 1n;
  big.append(id(max - 1n, max), ['f', '1']);
  big.append(id(max, 0n), ['f', '2']);
  big.append(id(max, max), ['g', '3', 'h', '4']);
  big.entriesAdded = 2n ** 63n;
  const group = big.createGroup('2147483648', id(max, max), 2n ** 62n) as ConsumerGroup;
  deliver(group, '12', -1, [id(max, max)], 2 ** 40);
  roundTrip(big);
});

test("a node's listpack: master entry, then flags, ID deltas, fields or values, element count", () => {
  const node = new StreamNode(id(10, 0), ['a', 'b']);
  node.push(new StreamEntry(id(10, 0), ['a', '1', 'b', 'x'], FLAG_SAME_FIELDS));
  node.push(new StreamEntry(id(12, 3), ['c', '-5'], FLAG_DELETED));
  assert.equal(
    encodeNode(node).toString('hex'),
    [
      '32000000', // total bytes
      '1300', // 19 elements
      '0101 0101 0201 8161 02 8162 02 0001', // live 1, deleted 1, 2 fields a b, terminator 0
      '0201 0001 0001 0101 8178 02 0501', // SAMEFIELDS, +0, +0, values 1 x, 5 pieces
      '0101 0201 0301 0101 8163 02 dffb02 0601', // DELETED, +2, +3, 1 field c -5, 6 pieces
      'ff',
    ]
      .join('')
      .replaceAll(' ', ''),
  );
  assert.equal(encodeNode(node).length, node.bytes);
});

/** A stream body of type 15 or 21 written by hand: what Redis 6.2 and 7.2 write. */
function otherTypeBody(type: number, stream: StreamValue): Buffer {
  const writer = new RdbWriter(false);
  writer.byte(type);
  writer.writeLength(stream.nodes.length);
  for (const node of stream.nodes) {
    writer.writeLength(16);
    writer.bytes(Buffer.from(idBytes(node.masterId)));
    writer.writeBlob(encodeNode(node));
  }
  writer.writeLength(stream.length);
  writer.writeLengthBig(stream.lastId.ms);
  writer.writeLengthBig(stream.lastId.seq);
  if (type !== RDB_TYPE_STREAM_LISTPACKS) {
    for (const each of [stream.firstId, stream.maxDeletedEntryId]) {
      writer.writeLengthBig(each.ms);
      writer.writeLengthBig(each.seq);
    }
    writer.writeLengthBig(stream.entriesAdded);
  }
  const groups = stream.sortedGroups();
  writer.writeLength(groups.length);
  for (const group of groups) {
    writer.writeString(group.name);
    writer.writeLengthBig(group.lastId.ms);
    writer.writeLengthBig(group.lastId.seq);
    if (type !== RDB_TYPE_STREAM_LISTPACKS) writer.writeLengthBig(group.entriesRead);
    writer.writeLength(group.pel.size);
    for (const [pending, nack] of group.pel.entries()) {
      writer.bytes(idBytes(pending));
      writer.writeMillisecondTime(nack.deliveryTime);
      writer.writeLength(nack.deliveryCount);
    }
    writer.writeLength(group.consumers.size);
    for (const consumer of group.sortedConsumers()) {
      writer.writeString(consumer.name);
      writer.writeMillisecondTime(consumer.seenTime);
      if (type === RDB_TYPE_STREAM_LISTPACKS_3) writer.writeMillisecondTime(consumer.seenTime + 1000);
      writer.writeLength(consumer.pel.size);
      for (const [pending] of consumer.pel.entries()) writer.bytes(idBytes(pending));
    }
  }
  return Buffer.from(writer.view());
}

function idBytes(each: StreamId): Buffer {
  const bytes = Buffer.alloc(16);
  bytes.writeBigUInt64BE(each.ms, 0);
  bytes.writeBigUInt64BE(each.seq, 8);
  return bytes;
}

/** A DUMP payload around a body. */
function payloadOf(body: Buffer, version = 10): Buffer {
  const withVersion = Buffer.concat([body, Buffer.from([version, 0])]);
  const crc = Buffer.alloc(8);
  crc.writeBigUInt64LE(crc64(withVersion));
  return Buffer.concat([withVersion, crc]);
}

test('type 21 (Redis 7.2) reads like 19; its consumer active times are dropped', () => {
  const stream = sampleStream();
  const restored = materialize(
    decodeDumpPayload(payloadOf(otherTypeBody(RDB_TYPE_STREAM_LISTPACKS_3, stream))),
  ) as StreamValue;
  assert.deepEqual(shape(restored), shape(stream));
  const decoded = decodeDumpPayload(payloadOf(otherTypeBody(RDB_TYPE_STREAM_LISTPACKS_3, stream)));
  assert.equal(decoded.type, 'stream');
  if (decoded.type === 'stream') {
    const alice = decoded.groups[1]?.consumers[0];
    assert.equal(alice?.activeTime, (alice?.seenTime ?? 0) + 1000);
  }
});

test('type 15 (Redis 5 to 6.2): first ID, entries added and entries read derived as Redis 7 does', () => {
  const stream = sampleStream();
  const restored = materialize(
    decodeDumpPayload(payloadOf(otherTypeBody(RDB_TYPE_STREAM_LISTPACKS, stream), 9)),
  ) as StreamValue;
  assert.deepEqual(restored.firstId, id(1));
  assert.deepEqual(restored.maxDeletedEntryId, id(0));
  assert.equal(restored.entriesAdded, BigInt(stream.length));
  // g0 read up to the last ID: all entries; g1 stopped in the middle: unknown.
  assert.equal(restored.group('g0')?.entriesRead, BigInt(stream.length));
  assert.equal(restored.group('g1')?.entriesRead, -1n);
  assert.equal(restored.group('g1')?.pel.size, 6);
  // An empty old stream gets the largest ID as its first ID (streamGetEdgeID finds none).
  const empty = new StreamValue();
  empty.lastId = id(3);
  const restoredEmpty = materialize(
    decodeDumpPayload(payloadOf(otherTypeBody(RDB_TYPE_STREAM_LISTPACKS, empty), 9)),
  ) as StreamValue;
  assert.deepEqual(restoredEmpty.firstId, id(2n ** 64n - 1n, 2n ** 64n - 1n));
});

/** Decoding must fail cleanly. */
function refused(body: Buffer, pattern: RegExp): void {
  assert.throws(
    () => materialize(decodeDumpPayload(payloadOf(body))),
    (error: unknown) => {
      assert.ok(error instanceof RdbFormatError, String(error));
      assert.match(error.message, pattern);
      return true;
    },
  );
}

test('corrupt stream bodies are refused with RdbFormatError', () => {
  const stream = sampleStream();
  const body = otherTypeBody(RDB_TYPE_STREAM_LISTPACKS_2, stream);
  // A consumer that claims an entry missing from its group's PEL.
  const orphan = sampleStream();
  const alice = orphan.group('g1')?.consumers.get('alice') as StreamConsumer;
  orphan.group('g1')?.pel.delete(id(1));
  assert.ok(alice.pel.has(id(1)));
  refused(otherTypeBody(RDB_TYPE_STREAM_LISTPACKS_2, orphan), /not found in the group PEL/);
  // A group PEL entry no consumer owns.
  const unowned = sampleStream();
  unowned.group('g1')?.consumers.get('bob')?.pel.delete(id(7));
  refused(otherTypeBody(RDB_TYPE_STREAM_LISTPACKS_2, unowned), /without consumer/);
  // An entry owned by two consumers.
  const shared = sampleStream();
  const g1 = shared.group('g1') as ConsumerGroup;
  (g1.consumers.get('carol') as StreamConsumer).pel.set(id(7), g1.pel.get(id(7)) as StreamNack);
  refused(otherTypeBody(RDB_TYPE_STREAM_LISTPACKS_2, shared), /two consumers/);
  // Two groups of one name.
  const twice = sampleStream();
  (twice.groups as Map<string, ConsumerGroup>).set('g1 again', new ConsumerGroup('g1', id(0), 0n));
  refused(otherTypeBody(RDB_TYPE_STREAM_LISTPACKS_2, twice), /duplicated consumer group/);
  // Length that disagrees with the live entries.
  const long = sampleStream();
  long.length++;
  refused(otherTypeBody(RDB_TYPE_STREAM_LISTPACKS_2, long), /length inconsistent/);
  // Entries after the last ID load, as in Redis (XSETID below the deleted entries of an empty
  // stream's node makes such a stream).
  const behind = sampleStream();
  behind.lastId = id(200);
  const loaded = materialize(
    decodeDumpPayload(payloadOf(otherTypeBody(RDB_TYPE_STREAM_LISTPACKS_2, behind))),
  );
  assert.deepEqual((loaded as StreamValue).lastId, id(200));
  // Node keys out of order, a node key of the wrong size, a master count that disagrees.
  const swapped = sampleStream();
  swapped.nodes.reverse();
  refused(otherTypeBody(RDB_TYPE_STREAM_LISTPACKS_2, swapped), /out of order/);
  const shortKey = Buffer.from(body);
  shortKey[2] = 15;
  assert.throws(() => decodeDumpPayload(payloadOf(shortKey)), RdbFormatError);
  const miscounted = sampleStream();
  (miscounted.nodes[0] as StreamNode).live++;
  refused(otherTypeBody(RDB_TYPE_STREAM_LISTPACKS_2, miscounted), /counts disagree/);
});

test('truncated or mangled stream payloads never throw anything but RdbFormatError', () => {
  const body = otherTypeBody(RDB_TYPE_STREAM_LISTPACKS_2, sampleStream());
  for (let length = 1; length < body.length; length += 7) {
    assert.throws(() => materialize(decodeDumpPayload(payloadOf(body.subarray(0, length)))), RdbFormatError);
  }
  fc.assert(
    fc.property(
      fc.array(fc.tuple(fc.nat(body.length - 1), fc.integer({ min: 0, max: 255 })), {
        minLength: 1,
        maxLength: 4,
      }),
      (changes) => {
        const mangled = Buffer.from(body);
        for (const [at, byte] of changes) mangled[at] = byte;
        try {
          materialize(decodeDumpPayload(payloadOf(mangled)));
        } catch (error) {
          assert.ok(error instanceof RdbFormatError, String(error));
        }
      },
    ),
    { numRuns: 300 },
  );
});

test('DUMP payloads of other types keep version 7', () => {
  assert.equal(payloadVersion(createDumpPayload('hello')), 7);
});

test('a loaded stream keeps its listpacks until a command needs the entries', () => {
  const original = sampleStream();
  const blobs = original.nodes.map((node) => Buffer.from(encodeNode(node)));
  const loaded = materialize(decodeDumpPayload(createDumpPayload(original))) as StreamValue;
  // Nothing decoded yet: every node is its listpack, written back as it came.
  for (const [i, node] of loaded.nodes.entries()) {
    assert.ok(node.listpack !== undefined);
    assert.deepEqual(node.listpack, blobs[i]);
    assert.equal(node.bytes, blobs[i]?.length);
    assert.deepEqual(node.lastId, original.nodes[i]?.lastId);
  }
  assert.deepEqual(createDumpPayload(loaded), createDumpPayload(original));
  // A read makes the entries of the node it needs, and only those.
  assert.deepEqual(loaded.find(id(120))?.fields, original.find(id(120))?.fields);
  assert.equal(loaded.nodes.filter((node) => node.listpack === undefined).length, 1);
  // Every node made from its listpack has the original's entries, and changes apply to them.
  for (const [i, node] of loaded.nodes.entries()) assert.deepEqual(node.entries, original.nodes[i]?.entries);
  assert.ok(loaded.delete(id(7)) && original.delete(id(7)));
  loaded.append(id(300), ['a', 'b']);
  original.append(id(300), ['a', 'b']);
  assert.deepEqual(createDumpPayload(loaded), createDumpPayload(original));
  // A copy of a loaded stream shares the listpacks and stays apart once changed.
  const fresh = materialize(decodeDumpPayload(createDumpPayload(original))) as StreamValue;
  const copy = fresh.clone();
  assert.ok(copy.delete(id(1)));
  assert.ok(fresh.find(id(1)) !== undefined);
});
