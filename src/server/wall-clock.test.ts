import assert from 'node:assert/strict';
import { test } from 'node:test';
import { WallClock } from './wall-clock.ts';

test('the wall clock from monotonic readings: agrees with Date.now() to the millisecond', () => {
  const clock = new WallClock();
  for (let i = 0; i < 1000; i++) {
    const before = Date.now();
    const now = clock.now();
    const after = Date.now();
    assert.ok(now >= before - 1 && now <= after, `${now} within [${before - 1}, ${after}]`);
  }
});

test('a wall clock that is set or drifts is followed; sampling noise is not', () => {
  let wall = 1_000_000.0;
  let monotonic = 500.25;
  const clock = new WallClock(
    () => Math.floor(wall),
    () => monotonic,
  );
  assert.equal(clock.at(monotonic), 1_000_000);
  wall += 10.6;
  monotonic += 10.6;
  clock.follow();
  assert.equal(clock.now(), 1_000_010, 'under a millisecond apart: not re-sampled');
  wall += 5000;
  clock.follow();
  assert.equal(clock.now(), 1_005_010, 'a clock set 5 s ahead is followed');
  wall -= 60_000;
  clock.follow();
  assert.equal(clock.now(), 945_010, 'and one set back');
  assert.equal(clock.at(monotonic + 2.5), 945_012);
});
