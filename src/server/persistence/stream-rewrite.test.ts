import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type ConsumerGroup, StreamConsumer, StreamNack, StreamValue } from '../types/stream.ts';
import { type StreamId, streamId } from '../types/stream-id.ts';
import { rewriteStream } from './stream-rewrite.ts';

const id = (ms: number, seq = 0): StreamId => streamId(BigInt(ms), BigInt(seq));

function commands(key: string, stream: StreamValue): string[][] {
  const out: string[][] = [];
  rewriteStream(key, stream, (argv) => out.push(argv));
  return out;
}

test("a stream's rewrite: XADD per live entry, XSETID, groups, XCLAIM per pending entry, empty consumers", () => {
  // The stream of redis-server 7.0.15's own base file (aof-use-rdb-preamble no), same commands.
  const stream = new StreamValue();
  stream.append(id(1, 1), ['a', '1', 'b', 'hello']);
  stream.append(id(1, 2), ['a', '2']);
  stream.append(id(2), ['c', '3']);
  stream.delete(id(1, 2));
  stream.maxDeletedEntryId = id(1, 2);
  const group = stream.createGroup('g', id(1, 1), -1n) as ConsumerGroup;
  const alice = new StreamConsumer('alice', 1795804375000);
  const nack = new StreamNack(alice, 1795804375105, 1);
  group.consumers.set('alice', alice);
  group.pel.set(id(1, 1), nack);
  alice.pel.set(id(1, 1), nack);
  group.consumers.set('bob', new StreamConsumer('bob', 1795804375200));
  stream.createGroup('g2', id(2), -1n);
  assert.deepEqual(commands('s', stream), [
    ['XADD', 's', '1-1', 'a', '1', 'b', 'hello'],
    ['XADD', 's', '2-0', 'c', '3'],
    ['XSETID', 's', '2-0', 'ENTRIESADDED', '3', 'MAXDELETEDID', '1-2'],
    ['XGROUP', 'CREATE', 's', 'g', '1-1', 'ENTRIESREAD', '-1'],
    ['XCLAIM', 's', 'g', 'alice', '0', '1-1', 'TIME', '1795804375105', 'RETRYCOUNT', '1', 'JUSTID', 'FORCE'],
    ['XGROUP', 'CREATECONSUMER', 's', 'g', 'bob'],
    ['XGROUP', 'CREATE', 's', 'g2', '2-0', 'ENTRIESREAD', '-1'],
  ]);
});

test('an empty stream: XADD MAXLEN 0 0-1 x y keeps it empty, XSETID gives its last ID back', () => {
  const stream = new StreamValue();
  stream.lastId = id(5, 5);
  stream.entriesAdded = 1n;
  stream.createGroup('eg', id(0), -1n);
  assert.deepEqual(commands('e', stream), [
    ['XADD', 'e', 'MAXLEN', '0', '0-1', 'x', 'y'],
    ['XSETID', 'e', '5-5', 'ENTRIESADDED', '1', 'MAXDELETEDID', '0-0'],
    ['XGROUP', 'CREATE', 'e', 'eg', '0-0', 'ENTRIESREAD', '-1'],
  ]);
});

test('groups and consumers in name order, pending entries in ID order, counts and huge IDs verbatim', () => {
  const stream = new StreamValue();
  const max = 2n ** 64n - 1n;
  stream.append(streamId(max, max), ['f', 'v']);
  stream.entriesAdded = 2n ** 63n;
  for (const name of ['zeta', 'alpha']) {
    const group = stream.createGroup(name, streamId(max, max), 7n) as ConsumerGroup;
    for (const consumerName of ['c2', 'c1']) {
      const consumer = new StreamConsumer(consumerName, 1);
      group.consumers.set(consumerName, consumer);
    }
  }
  const alpha = stream.group('alpha') as ConsumerGroup;
  const c1 = alpha.consumers.get('c1') as StreamConsumer;
  for (const pending of [id(9), id(3)]) {
    const nack = new StreamNack(c1, 42, 2 ** 40);
    alpha.pel.set(pending, nack);
    c1.pel.set(pending, nack);
  }
  const out = commands('k', stream);
  assert.deepEqual(out[0], ['XADD', 'k', '18446744073709551615-18446744073709551615', 'f', 'v']);
  assert.deepEqual(out[1]?.[4], '9223372036854775808');
  assert.deepEqual(
    out.slice(2).map((argv) => argv.slice(0, 6).join(' ')),
    [
      'XGROUP CREATE k alpha 18446744073709551615-18446744073709551615 ENTRIESREAD',
      'XCLAIM k alpha c1 0 3-0',
      'XCLAIM k alpha c1 0 9-0',
      'XGROUP CREATECONSUMER k alpha c2',
      'XGROUP CREATE k zeta 18446744073709551615-18446744073709551615 ENTRIESREAD',
      'XGROUP CREATECONSUMER k zeta c1',
      'XGROUP CREATECONSUMER k zeta c2',
    ],
  );
  assert.equal(out[3]?.[9], String(2 ** 40));
});
