// The stream chunk messages (xnodes, xmeta): what the source cuts, and what the target checks and
// rebuilds; a stream moved chunk by chunk dumps to the same bytes as the original.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RdbFormatError } from '../rdb/errors.ts';
import { materialize } from '../rdb/materialize.ts';
import { createDumpPayload, decodeDumpPayload } from '../rdb/payload.ts';
import {
  type ConsumerGroup,
  StreamConsumer,
  StreamNack,
  type StreamNode,
  StreamValue,
} from '../types/stream.ts';
import { idKey, streamId } from '../types/stream-id.ts';
import {
  addPending,
  appendNodes,
  applyTailPayload,
  nodeChunk,
  PENDING_RECORD_BYTES,
  type PendingCursor,
  pendingChunk,
  pendingCursor,
  readNodeChunk,
  streamTailPayload,
} from './stream-chunks.ts';

/** 1,000 entries (10 nodes of 100) in three field layouts, deletions, a group with pending entries. */
function sample(): StreamValue {
  const stream = new StreamValue();
  for (let i = 1; i <= 1000; i++) {
    const fields =
      i % 3 === 0
        ? ['field', `v${i}`, 'n', String(i)]
        : i % 3 === 1
          ? ['other', `o${i}`]
          : ['a', '1', 'b', '2', 'c', 'x'];
    stream.append(streamId(BigInt(1000 + i), BigInt(i % 2)), fields);
  }
  for (const ms of [1005n, 1500n, 1999n]) stream.delete(streamId(ms, ms % 2n));
  stream.maxDeletedEntryId = streamId(1999n, 1n);
  const group = stream.createGroup('g', streamId(1100n, 0n), 100n) as ConsumerGroup;
  const consumer = new StreamConsumer('c', 1700000000000);
  group.consumers.set('c', consumer);
  for (let ms = 1010n; ms < 1020n; ms++) {
    const id = streamId(ms, ms % 2n);
    const nack = new StreamNack(consumer, 1700000000001, 2);
    group.pel.set(id, nack);
    consumer.pel.set(id, nack);
  }
  stream.createGroup('empty', streamId(0n, 0n), 0n);
  return stream;
}

/** The argv of an xnodes message with these items. */
function argvOf(items: Array<string | Buffer>): string[] {
  return [
    'SLOTSRESTORE-ASYNC',
    'xnodes',
    'k',
    '0',
    '1',
    ...items.map((item) => (typeof item === 'string' ? item : item.latin1Slice())),
  ];
}

/** Moves a stream as the messages would, chunk by chunk, into a new stream. */
function moved(
  source: StreamValue,
  maxbulks: number,
  budget: number,
): { target: StreamValue; chunks: number } {
  const target = new StreamValue();
  let from = 0;
  let chunks = 0;
  while (from < source.nodes.length) {
    const chunk = nodeChunk(source, from, maxbulks, budget);
    assert.ok(chunk.next > from, 'at least one node per chunk');
    appendNodes(target, readNodeChunk(target, argvOf(chunk.items), 5));
    assert.equal(target.nodes.length, chunk.next);
    from = chunk.next;
    chunks++;
  }
  applyTailPayload(target, streamTailPayload(source, false));
  const cursor = pendingCursor(source);
  for (let done = cursor === undefined; !done; chunks++) {
    const chunk = pendingChunk(cursor as PendingCursor, maxbulks);
    assert.ok(chunk.records.length / PENDING_RECORD_BYTES <= Math.max(1, maxbulks));
    const group = target.group(chunk.group) as ConsumerGroup;
    assert.equal(String(addPending(group, chunk.records)), chunk.expect);
    done = chunk.done;
  }
  return { target, chunks };
}

describe('stream chunk messages', () => {
  it('cut whole nodes by maxbulks (entries) and the byte budget, at least one node each', () => {
    const stream = sample();
    assert.equal(stream.nodes.length, 10);
    assert.equal(nodeChunk(stream, 0, 250, 1 << 20).next, 3);
    assert.equal(nodeChunk(stream, 0, 1, 1 << 20).next, 1);
    assert.equal(nodeChunk(stream, 0, 100000, 0).next, 1);
    assert.equal(nodeChunk(stream, 8, 100000, 1 << 20).next, 10);
    const chunk = nodeChunk(stream, 2, 200, 1 << 20);
    assert.equal(chunk.items[0], idKey((stream.nodes[2] as StreamNode).masterId));
  });

  it('rebuild the stream on the target: same DUMP bytes, loaded (undecoded) nodes', () => {
    const source = sample();
    const expected = createDumpPayload(source);
    for (const [maxbulks, budget] of [
      [1, 1 << 20],
      [250, 1 << 20],
      [100000, 3000],
    ] as const) {
      const { target, chunks } = moved(source, maxbulks, budget);
      assert.ok(chunks > 1);
      assert.deepEqual(createDumpPayload(target), expected);
      assert.ok(target.nodes.every((node) => node.listpack !== undefined));
    }
    // From a loaded source too (its listpacks go as they are).
    const loaded = materialize(decodeDumpPayload(expected)) as StreamValue;
    assert.deepEqual(createDumpPayload(moved(loaded, 150, 1 << 20).target), expected);
  });

  it('keep a partly moved stream consistent: length, first and last IDs follow the nodes', () => {
    const source = sample();
    const target = new StreamValue();
    appendNodes(target, readNodeChunk(target, argvOf(nodeChunk(source, 0, 200, 1 << 20).items), 5));
    assert.equal(target.length, 199);
    assert.deepEqual(target.firstId, streamId(1001n, 1n));
    assert.deepEqual(target.lastId, streamId(1200n, 0n));
    assert.equal([...target.range(streamId(0n, 0n), streamId(99999n, 0n))].length, 199);
  });

  it('refuse a corrupt chunk, naming the node, without touching the stream', () => {
    const source = sample();
    const items = nodeChunk(source, 0, 300, 1 << 20).items;
    const target = new StreamValue();
    const check = (bad: Array<string | Buffer>, pattern: RegExp): void =>
      assert.throws(
        () => readNodeChunk(target, argvOf(bad), 5),
        (error) => {
          assert.ok(error instanceof RdbFormatError);
          assert.match(error.message, pattern);
          return true;
        },
      );
    const flipped = Buffer.from(items[3] as Buffer);
    flipped[flipped.length - 1] = 0;
    check([items[0] as string, items[1] as Buffer, items[2] as string, flipped], /^node \[1\]: corrupt/);
    const truncated = Buffer.from(items[1] as Buffer).subarray(0, 40);
    check([items[0] as string, truncated], /^node \[0\]: corrupt listpack/);
    check(['short', items[1] as Buffer], /^node \[0\]: master ID is not 16 bytes/);
    check(
      [items[2] as string, items[3] as Buffer, items[0] as string, items[1] as Buffer],
      /^node \[1\]: node out of order/,
    );
    assert.equal(target.nodes.length, 0);
    // Appending after what the stream holds: nodes must come after its last ID.
    appendNodes(target, readNodeChunk(target, argvOf(items.slice(2, 4)), 5));
    check(items.slice(0, 2), /^node \[0\]: node out of order/);
    assert.equal(target.nodes.length, 1);
  });

  it('refuse metadata that disagrees with the nodes held, or a damaged payload', () => {
    const source = sample();
    const target = new StreamValue();
    appendNodes(target, readNodeChunk(target, argvOf(nodeChunk(source, 0, 300, 1 << 20).items), 5));
    assert.throws(() => applyTailPayload(target, streamTailPayload(source)), /length inconsistent/);
    const payload = streamTailPayload(source);
    payload[3] = (payload[3] as number) ^ 0xff;
    assert.throws(() => applyTailPayload(target, payload), /invalid payload checksum/);
    assert.equal(target.length, 299);
    assert.equal(target.groups, undefined);
  });

  it('send pending entries per group in ID order, maxbulks at a time; refuse unknown consumers and repeats', () => {
    const source = sample();
    const cursor = pendingCursor(source) as PendingCursor;
    const chunks: Array<{ group: string; records: Buffer; expect: string }> = [];
    for (let done = false; !done; ) {
      const chunk = pendingChunk(cursor, 4);
      chunks.push(chunk);
      done = chunk.done;
    }
    // Group `empty` has none: three chunks of `g` (4, 4, 2 entries).
    assert.deepEqual(
      chunks.map((chunk) => [chunk.group, chunk.records.length / PENDING_RECORD_BYTES, chunk.expect]),
      [
        ['g', 4, '4'],
        ['g', 4, '8'],
        ['g', 2, '10'],
      ],
    );
    const target = new StreamValue();
    const group = target.createGroup('g', streamId(0n, 0n), 0n) as ConsumerGroup;
    assert.throws(() => addPending(group, (chunks[0] as { records: Buffer }).records), /unknown consumer/);
    group.consumers.set('c', new StreamConsumer('c', 0));
    assert.equal(addPending(group, (chunks[0] as { records: Buffer }).records), 4);
    assert.throws(
      () => addPending(group, (chunks[0] as { records: Buffer }).records),
      /duplicated pending entry \[0\]/,
    );
    assert.throws(() => addPending(group, Buffer.alloc(35)), /records are not whole/);
    assert.equal(group.pel.size, 4);
    assert.equal(pendingCursor(new StreamValue()), undefined);
  });
});
