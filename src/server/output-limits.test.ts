import assert from 'node:assert/strict';
import { test } from 'node:test';
import { overLimit, parseOutputLimits } from './output-limits.ts';

test('the config value parses into the three classes', () => {
  const limits = parseOutputLimits('normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60');
  assert.deepEqual(limits.slave, { hard: 268435456, soft: 67108864, softSeconds: 60 });
  assert.deepEqual(limits.normal, { hard: 0, soft: 0, softSeconds: 0 });
});

test('hard at once; soft only after its seconds over it, and forgiven below it', () => {
  const limit = { hard: 1000, soft: 100, softSeconds: 2 };
  const state = { softSince: 0 };
  assert.equal(overLimit(limit, 1000, 0, state), true);
  assert.equal(overLimit(limit, 500, 10_000, state), false);
  assert.equal(state.softSince, 10_000);
  assert.equal(overLimit(limit, 500, 11_999, state), false);
  assert.equal(overLimit(limit, 50, 12_000, state), false);
  assert.equal(state.softSince, 0);
  assert.equal(overLimit(limit, 500, 13_000, state), false);
  assert.equal(overLimit(limit, 500, 15_001, state), true);
  assert.equal(overLimit({ hard: 0, soft: 0, softSeconds: 0 }, 1e12, 0, { softSince: 0 }), false);
});
