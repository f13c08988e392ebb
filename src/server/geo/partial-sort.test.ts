import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { pqsort } from './partial-sort.ts';

/** A deterministic shuffle of 0..n-1 (xorshift). */
function shuffled(n: number, seed: number): number[] {
  const items = Array.from({ length: n }, (_, i) => i);
  let state = seed;
  for (let i = n - 1; i > 0; i--) {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    const j = (state >>> 0) % (i + 1);
    [items[i], items[j]] = [items[j] as number, items[i] as number];
  }
  return items;
}

const ascending = (a: number, b: number): number => (a > b ? 1 : a === b ? 0 : -1);

describe('pqsort', () => {
  it('puts the sorted elements in positions [left, right] whatever the size', () => {
    for (const n of [1, 2, 6, 7, 8, 40, 41, 100, 1000]) {
      for (const [left, right] of [
        [0, 0],
        [0, Math.min(4, n - 1)],
        [Math.floor(n / 2), n - 1],
        [0, n - 1],
      ] as const) {
        const items = shuffled(n, n * 31 + left + 1);
        pqsort(items, ascending, left, right);
        for (let i = left; i <= right; i++) assert.equal(items[i], i, `n=${n} [${left}, ${right}] at ${i}`);
        assert.deepEqual(
          [...items].sort(ascending),
          Array.from({ length: n }, (_, i) => i),
        );
      }
    }
  });

  it('sorts with many equal keys (three-way partitioning)', () => {
    const items = shuffled(200, 7).map((value) => value % 5);
    pqsort(items, ascending, 0, 199);
    for (let i = 1; i < items.length; i++) assert.ok((items[i - 1] as number) <= (items[i] as number));
  });
});
