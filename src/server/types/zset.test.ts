import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { type LexRange, type ScoreRange, ZSetValue } from './zset.ts';

type Pair = [string, number];

function naiveSort(map: Map<string, number>): Pair[] {
  return [...map].sort((a, b) => a[1] - b[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
}

const member = fc.string({ maxLength: 3, unit: fc.constantFrom('a', 'b', 'c', '\u0000', '\u00ff') });
const score = fc.integer({ min: -5, max: 5 });
const operation = fc.oneof(
  fc.tuple(fc.constant('set' as const), member, score),
  fc.tuple(fc.constant('remove' as const), member, score),
);

test('ZSetValue matches a naive sorted array under random sets and removes', () => {
  fc.assert(
    fc.property(
      fc.array(operation, { maxLength: 200 }),
      score,
      score,
      fc.boolean(),
      fc.boolean(),
      (operations, a, b, minExclusive, maxExclusive) => {
        const zset = new ZSetValue();
        const model = new Map<string, number>();
        for (const [kind, m, s] of operations) {
          if (kind === 'set') {
            assert.equal(zset.set(m, s), !model.has(m));
            model.set(m, s);
          } else {
            assert.equal(zset.remove(m), model.delete(m));
          }
        }
        const sorted = naiveSort(model);
        assert.deepEqual([...zset.entries()], sorted);
        assert.equal(zset.size, sorted.length);
        sorted.forEach(([m, s], index) => {
          assert.equal(zset.rank(m), index);
          assert.equal(zset.score(m), s);
          assert.equal(zset.nodeAt(index)?.member, m);
        });
        assert.equal(zset.nodeAt(sorted.length), null);
        const backwards: Pair[] = [];
        for (let node = zset.last(); node !== null; node = node.backward)
          backwards.push([node.member, node.score]);
        assert.deepEqual(backwards, sorted.slice().reverse());

        const range: ScoreRange = { min: Math.min(a, b), max: Math.max(a, b), minExclusive, maxExclusive };
        const inScore = sorted.filter(
          ([, s]) =>
            (minExclusive ? s > range.min : s >= range.min) &&
            (maxExclusive ? s < range.max : s <= range.max),
        );
        assert.equal(zset.countInScoreRange(range), inScore.length);
        assert.equal(zset.firstInScoreRange(range)?.member, inScore[0]?.[0]);
        assert.equal(zset.lastInScoreRange(range)?.member, inScore.at(-1)?.[0]);
      },
    ),
  );
});

test('lex ranges on equal scores', () => {
  const zset = ZSetValue.fromPairs(['a', 'b', 'c', 'd', 'e'].map((m): Pair => [m, 0]));
  const range = (min: string, max: string, minExclusive: boolean, maxExclusive: boolean): LexRange => ({
    min: { value: min, special: min === '-' ? -1 : 0 },
    max: { value: max, special: max === '+' ? 1 : 0 },
    minExclusive,
    maxExclusive,
  });
  assert.equal(zset.countInLexRange(range('-', '+', false, false)), 5);
  assert.equal(zset.countInLexRange(range('b', 'd', true, false)), 2);
  assert.equal(zset.firstInLexRange(range('b', 'd', true, false))?.member, 'c');
  assert.equal(zset.lastInLexRange(range('b', 'd', false, true))?.member, 'c');
  assert.equal(zset.countInLexRange(range('c', 'c', false, true)), 0);
});

test('encoding converts to skiplist one way', () => {
  const zset = new ZSetValue();
  for (let i = 0; i < 128; i++) zset.set(`m${i}`, i);
  assert.equal(zset.encoding(), 'listpack');
  zset.set('m128', 128);
  assert.equal(zset.encoding(), 'skiplist');
  zset.remove('m128');
  assert.equal(zset.encoding(), 'skiplist');
  const long = ZSetValue.fromPairs([['x'.repeat(65), 1]]);
  assert.equal(long.encoding(), 'skiplist');
  assert.equal(long.clone().encoding(), 'skiplist');
});
