import assert from 'node:assert/strict';
import { test } from 'node:test';
import { hllSelfTest } from './self-test.ts';

/** A seeded linear congruential rand() in [0, 2^31 - 1]. */
function seeded(seed: number): () => number {
  let state = seed;
  return () => {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    return state >>> 1;
  };
}

test('the HyperLogLog implementation passes its self-test (registers, sparse/dense, error bounds)', () => {
  assert.equal(hllSelfTest(3000, seeded(42)), undefined);
});

test('a sparse limit too small for one element fails the sparse-encoding check, as in Redis', () => {
  // An empty sparse HLL is 18 bytes: the first element promotes it to dense.
  assert.equal(hllSelfTest(10, seeded(1)), 'ERR TESTFAILED sparse encoding not used');
});
