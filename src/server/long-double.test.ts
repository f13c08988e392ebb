import assert from 'node:assert/strict';
import { test } from 'node:test';
import { addLongDouble, formatLongDoubleHuman, longDoubleOfDouble, parseLongDouble } from './long-double.ts';

function incr(current: string, increment: string): string {
  const a = parseLongDouble(current);
  const b = parseLongDouble(increment);
  assert.ok(a && b);
  return formatLongDoubleHuman(addLongDouble(a, b));
}

test('long double sums print as Redis 7.0 INCRBYFLOAT does', () => {
  // Replies observed from redis-server 7.0.15.
  assert.equal(incr('0.1', '0.2'), '0.3');
  assert.equal(incr('0', '1000.1'), '1000.09999999999999998');
  assert.equal(incr('10.5', '0.1'), '10.6');
  assert.equal(incr('5.0e3', '200'), '5200');
  assert.equal(incr('3', '-3'), '0');
  assert.equal(incr('-1.5', '0.25'), '-1.25');
  assert.ok(incr('0', '1e400').startsWith('100000000000000000002818806839475865145864534336290520386259'));
  assert.equal(incr('0', '1e-4000'), '0');
  assert.equal(incr('0', '0x10'), '16');
  assert.equal(incr('1.5', '-3'), '-1.5');
});

test('strtold rules: spaces, garbage, NaN, overflow refused; inf parsed', () => {
  for (const bad of ['', ' 1', '1 ', 'abc', 'nan', '1e99999', '1e-99999', '.']) {
    assert.equal(parseLongDouble(bad), undefined, JSON.stringify(bad));
  }
  assert.equal(parseLongDouble('inf')?.infinite, true);
  assert.equal(parseLongDouble('-Infinity')?.negative, true);
  assert.ok(parseLongDouble('+1.5'));
  assert.ok(parseLongDouble('.5'));
  assert.ok(parseLongDouble('5.'));
});

test('a double converts exactly and prints as %.17Lf', () => {
  const print = (value: number): string => formatLongDoubleHuman(longDoubleOfDouble(value));
  assert.equal(print(13.361389338970184), '13.36138933897018433');
  assert.equal(print(-85.05112751263943), '-85.05112751263942528');
  assert.equal(print(180), '180');
  assert.equal(print(-0), '0');
  assert.equal(print(0.5), '0.5');
  assert.equal(print(5e-324), '0');
  // An exact tie at the 17th decimal rounds to even: 2^-18 = 0.000003814697265625.
  assert.equal(print(2 ** -18), '0.00000381469726562');
});
