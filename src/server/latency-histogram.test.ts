import assert from 'node:assert/strict';
import { test } from 'node:test';
import { highestEquivalent, LatencyHistogram } from './latency-histogram.ts';

test("values fall in hdr_histogram's buckets (2 significant digits)", () => {
  // What redis-server prints for whole microseconds: 1.003, 2.007, 3.007, 61.183 (INFO latencystats).
  assert.equal(highestEquivalent(1000), 1003);
  assert.equal(highestEquivalent(2000), 2007);
  assert.equal(highestEquivalent(3000), 3007);
  assert.equal(highestEquivalent(61000), 61183);
  assert.equal(highestEquivalent(255), 255);
  assert.equal(highestEquivalent(1), 1);
});

test('percentiles as hdr_value_at_percentile', () => {
  const histogram = new LatencyHistogram();
  for (let i = 0; i < 98; i++) histogram.record(1000);
  histogram.record(5000);
  histogram.record(800_000);
  assert.equal(histogram.totalCount, 100);
  assert.equal(histogram.valueAtPercentile(50), 1003);
  assert.equal(histogram.valueAtPercentile(99), 5023);
  assert.equal(histogram.valueAtPercentile(99.9), 802_815);
  assert.equal(histogram.valueAtPercentile(100), 802_815);
  // Out of range values are clamped (1 ns to 1 s).
  histogram.record(0);
  histogram.record(5e9);
  assert.equal(histogram.valueAtPercentile(0), 1);
  assert.equal(histogram.valueAtPercentile(100), highestEquivalent(1e9));
});

test('LATENCY HISTOGRAM buckets: powers of two from 1024 ns, where the count grew', () => {
  const histogram = new LatencyHistogram();
  for (const [micros, times] of [
    [1, 12],
    [2, 41],
    [30, 4],
    [33, 1],
  ] as const)
    for (let i = 0; i < times; i++) histogram.record(micros * 1000);
  assert.deepEqual(histogram.cumulative(), [
    [1, 12],
    [2, 53],
    [33, 58],
  ]);
});
