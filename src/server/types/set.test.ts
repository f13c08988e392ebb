import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { encodingLimits } from './encoding-limits.ts';
import { compareIntegerText, isIntegerMember, SetValue } from './set.ts';

test('isIntegerMember follows string2ll', () => {
  for (const yes of ['0', '-1', '42', '9223372036854775807', '-9223372036854775808'])
    assert.ok(isIntegerMember(yes));
  for (const no of ['', '-', '01', '+1', '-0', '1.0', ' 1', '9223372036854775808', 'a']) {
    assert.ok(!isIntegerMember(no), no);
  }
});

test('an intset stays sorted numerically and matches BigInt order', () => {
  fc.assert(
    fc.property(
      fc.array(fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }), { maxLength: 60 }),
      (values) => {
        const set = SetValue.fromMembers(values.map(String));
        const expected = [...new Set(values)].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)).map(String);
        assert.deepEqual([...set.members()], expected);
        assert.equal(set.isIntset(), true);
        for (const value of values) assert.ok(set.has(String(value)));
        for (let i = 1; i < expected.length; i++)
          assert.equal(compareIntegerText(expected[i - 1] as string, expected[i] as string), -1);
      },
    ),
  );
});

test('SetValue behaves like a Set under random adds and deletes', () => {
  fc.assert(
    fc.property(
      fc.array(fc.tuple(fc.boolean(), fc.oneof(fc.integer({ min: -20, max: 20 }).map(String), fc.string()))),
      (operations) => {
        const set = new SetValue();
        const model = new Set<string>();
        for (const [isAdd, member] of operations) {
          if (isAdd) assert.equal(set.add(member), !model.has(member));
          else assert.equal(set.delete(member), model.has(member));
          if (isAdd) model.add(member);
          else model.delete(member);
        }
        assert.equal(set.size, model.size);
        assert.deepEqual(new Set(set.members()), model);
        const byIndex = new Set<string>();
        for (let i = 0; i < set.size; i++) byIndex.add(set.memberAt(i));
        assert.deepEqual(byIndex, model);
      },
    ),
  );
});

test('intset converts past set-max-intset-entries and on a non-integer', () => {
  const saved = encodingLimits.setMaxIntsetEntries;
  try {
    encodingLimits.setMaxIntsetEntries = 3;
    const set = SetValue.fromMembers(['1', '2', '3']);
    assert.equal(set.encoding(), 'intset');
    set.add('4');
    assert.equal(set.encoding(), 'hashtable');
    const mixed = SetValue.fromMembers(['1']);
    mixed.add('x');
    assert.equal(mixed.encoding(), 'hashtable');
    mixed.delete('x');
    assert.equal(mixed.isIntset(), false);
    const copy = mixed.clone();
    copy.add('y');
    assert.equal(mixed.has('y'), false);
  } finally {
    encodingLimits.setMaxIntsetEntries = saved;
  }
});
