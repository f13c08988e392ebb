import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { SHARD_THRESHOLD, ShardedMap, shardOf } from './sharded-map.ts';

/** The same operations on a ShardedMap and a Map, from a small key space so keys repeat. */
function replay(
  operations: Array<[op: 'set' | 'delete' | 'add' | 'take', key: number, value: number]>,
  base: number,
): void {
  const sharded = new ShardedMap<number>();
  const reference = new Map<string, number>();
  // Start just under the threshold, so random operations cross it both ways.
  for (let i = 0; i < base; i++) {
    sharded.set(`base:${i}`, i);
    reference.set(`base:${i}`, i);
  }
  for (const [op, key, value] of operations) {
    const name = `k${key}`;
    if (op === 'set') {
      sharded.set(name, value);
      reference.set(name, value);
    } else if (op === 'add') {
      assert.equal(sharded.addIfAbsent(name, value), reference.get(name));
      if (!reference.has(name)) reference.set(name, value);
    } else if (op === 'take') {
      assert.equal(sharded.take(name), reference.get(name));
      reference.delete(name);
    } else assert.equal(sharded.delete(name), reference.delete(name));
    assert.equal(sharded.size, reference.size);
    assert.equal(sharded.get(name), reference.get(name));
    assert.equal(sharded.has(name), reference.has(name));
  }
  const entries = [...sharded.entries()];
  assert.equal(entries.length, reference.size);
  assert.deepEqual(new Map(entries), reference);
  assert.deepEqual([...sharded.keys()].sort(), [...reference.keys()].sort());
  assert.deepEqual(
    [...sharded.values()].sort((a, b) => a - b),
    [...reference.values()].sort((a, b) => a - b),
  );
  const visited: string[] = [];
  sharded.forEach((value, key) => {
    assert.equal(value, reference.get(key));
    visited.push(key);
  });
  assert.deepEqual(visited, [...sharded.keys()]);
  const copied = sharded.copy();
  sharded.set('after-copy', 1);
  assert.deepEqual(new Map(copied.entries()), reference);
}

test('behaves as a Map through random sets and deletes, below and across the sharding threshold', () => {
  const operation = fc.tuple(
    fc.constantFrom('set' as const, 'delete' as const, 'add' as const, 'take' as const),
    fc.integer({ min: 0, max: 300 }),
    fc.integer(),
  );
  fc.assert(
    fc.property(fc.array(operation, { maxLength: 400 }), (operations) => replay(operations, 0)),
    { numRuns: 100 },
  );
  fc.assert(
    fc.property(fc.array(operation, { maxLength: 400 }), (operations) =>
      replay(operations, SHARD_THRESHOLD - 150),
    ),
    { numRuns: 5 },
  );
});

test('spreads into shards at the threshold, and clear() makes it one small map again', () => {
  const map = new ShardedMap<number>();
  for (let i = 0; i < SHARD_THRESHOLD - 1; i++) map.set(`field:${i}`, i);
  assert.equal(map.sharded, false);
  map.set(`field:${SHARD_THRESHOLD - 1}`, 0);
  assert.equal(map.sharded, true);
  assert.equal(map.size, SHARD_THRESHOLD);
  map.set('field:0', -1);
  assert.equal(map.size, SHARD_THRESHOLD);
  assert.equal(map.get('field:0'), -1);
  map.clear();
  assert.equal(map.sharded, false);
  assert.equal(map.size, 0);
  assert.equal(map.get('field:0'), undefined);
});

test('an iteration begun before the spread still visits every entry present throughout', () => {
  const map = new ShardedMap<number>();
  for (let i = 0; i < 1000; i++) map.set(`early:${i}`, i);
  const keys = map.keys();
  const seen = new Set<string>();
  for (let i = 0; i < 10; i++) seen.add(keys.next().value as string);
  for (let i = 0; i < SHARD_THRESHOLD; i++) map.set(`late:${i}`, i);
  assert.equal(map.sharded, true);
  for (let next = keys.next(); !next.done; next = keys.next()) seen.add(next.value);
  for (let i = 0; i < 1000; i++) assert.ok(seen.has(`early:${i}`), `early:${i}`);
});

test('shards share the keys evenly: sequential names, and long keys alike but for a few characters', () => {
  const counts = (keys: string[]): number[] => {
    const perShard = new Array<number>(256).fill(0);
    for (const key of keys) perShard[shardOf(key)] = (perShard[shardOf(key)] as number) + 1;
    return perShard;
  };
  const sequential = Array.from({ length: 256_000 }, (_, i) => `field:${i}`);
  const prefix = 'p'.repeat(500);
  const suffix = 's'.repeat(500);
  const long = Array.from({ length: 256_000 }, (_, i) => `${prefix}${i}${suffix}`);
  const numbers = Array.from({ length: 256_000 }, (_, i) => String(i * 7));
  for (const keys of [sequential, long, numbers]) {
    const perShard = counts(keys);
    // 1,000 keys per shard on average; a fair hash stays well within ±25%.
    assert.ok(Math.min(...perShard) > 750, `fewest ${Math.min(...perShard)}`);
    assert.ok(Math.max(...perShard) < 1250, `most ${Math.max(...perShard)}`);
  }
});
