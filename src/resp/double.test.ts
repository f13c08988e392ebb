import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatFixed } from './double.ts';

test('formatFixed is printf %.Nf: exact ties round to even, near-ties by their true value', () => {
  assert.equal(formatFixed(0.125, 2), '0.12');
  assert.equal(formatFixed(0.375, 2), '0.38');
  assert.equal(formatFixed(0.875, 2), '0.88');
  assert.equal(formatFixed(2.5, 0), '2');
  assert.equal(formatFixed(3.5, 0), '4');
  assert.equal(formatFixed(-0.125, 2), '-0.12');
  // 1.005 is stored a little below 1.005: no tie.
  assert.equal(formatFixed(1.005, 2), '1.00');
  assert.equal(formatFixed(1 / 3, 2), '0.33');
  assert.equal(formatFixed(7, 2), '7.00');
});
