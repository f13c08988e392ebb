import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { IdMap } from './id-map.ts';
import { compareIds, formatId, type StreamId, streamId } from './stream-id.ts';

const id = (ms: number, seq = 0): StreamId => streamId(BigInt(ms), BigInt(seq));

test('entries come in ID order, from a given ID, whatever the insertion order', () => {
  const map = new IdMap<string>();
  for (const [ms, seq] of [
    [5, 0],
    [1, 2],
    [1, 1],
    [9, 0],
    [5, 1],
  ] as const)
    map.set(id(ms, seq), `${ms}-${seq}`);
  assert.deepEqual(
    [...map.entries()].map(([key, value]) => [formatId(key), value]),
    [
      ['1-1', '1-1'],
      ['1-2', '1-2'],
      ['5-0', '5-0'],
      ['5-1', '5-1'],
      ['9-0', '9-0'],
    ],
  );
  assert.deepEqual(
    [...map.entries(id(5, 1))].map(([key]) => formatId(key)),
    ['5-1', '9-0'],
  );
  assert.equal(formatId((map.first() as [StreamId, string])[0]), '1-1');
  assert.equal(formatId((map.last() as [StreamId, string])[0]), '9-0');
  assert.equal(map.get(id(5)), '5-0');
  assert.equal(map.size, 5);
});

test('64-bit IDs keep their order (big-endian keys)', () => {
  const map = new IdMap<number>();
  const big = streamId(0xffffffffffffffffn, 0xffffffffffffffffn);
  map.set(big, 3);
  map.set(streamId(2n ** 40n, 7n), 2);
  map.set(id(1), 1);
  assert.deepEqual(
    [...map.entries()].map(([, value]) => value),
    [1, 2, 3],
  );
  assert.deepEqual(map.last()?.[0], big);
});

test('deleting while iterating, re-adding deleted keys and compaction keep the order', () => {
  const map = new IdMap<number>();
  for (let i = 0; i < 200; i++) map.set(id(i), i);
  const seen: number[] = [];
  for (const [key, value] of map.entries()) {
    seen.push(value);
    // Deleting most keys compacts the key array mid-iteration.
    if (value % 10 !== 9) map.delete(key);
  }
  assert.equal(seen.length, 200);
  assert.deepEqual(
    [...map.entries()].map(([, value]) => value),
    Array.from({ length: 20 }, (_, i) => 10 * i + 9),
  );
  map.set(id(3), 3);
  map.set(id(3), 33);
  assert.deepEqual(
    [...map.entries()].slice(0, 2).map(([, value]) => value),
    [33, 9],
  );
  assert.equal(map.delete(id(1000)), false);
});

test('behaves as a sorted map under random operations', () => {
  fc.assert(
    fc.property(
      fc.array(fc.tuple(fc.boolean(), fc.integer({ min: 0, max: 60 }), fc.integer({ min: 0, max: 3 }))),
      (operations) => {
        const map = new IdMap<string>();
        const model = new Map<string, StreamId>();
        for (const [add, ms, seq] of operations) {
          const key = id(ms, seq);
          if (add) {
            map.set(key, formatId(key));
            model.set(formatId(key), key);
          } else {
            assert.equal(map.delete(key), model.delete(formatId(key)));
          }
        }
        const expected = [...model.values()].sort(compareIds).map(formatId);
        assert.deepEqual(
          [...map.entries()].map(([, value]) => value),
          expected,
        );
        assert.equal(map.size, expected.length);
      },
    ),
  );
});
