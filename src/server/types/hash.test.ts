import assert from 'node:assert/strict';
import { test } from 'node:test';
import { encodingLimits } from './encoding-limits.ts';
import { HashValue } from './hash.ts';

test('HashValue keeps insertion order through updates and deletions', () => {
  const hash = HashValue.fromEntries([
    ['a', '1'],
    ['b', '2'],
    ['c', '3'],
  ]);
  assert.equal(hash.set('b', '20'), false);
  assert.equal(hash.delete('a'), true);
  assert.equal(hash.delete('a'), false);
  assert.equal(hash.set('d', '4'), true);
  assert.deepEqual(
    [...hash.entries()],
    [
      ['b', '20'],
      ['c', '3'],
      ['d', '4'],
    ],
  );
  assert.equal(hash.size, 3);
  assert.equal(hash.get('c'), '3');
  assert.equal(hash.get('a'), undefined);
  // Random access covers exactly the live fields.
  const byIndex = new Map<string, string>();
  for (let i = 0; i < hash.size; i++) byIndex.set(hash.fieldAt(i), hash.valueAt(i));
  assert.deepEqual(byIndex, new Map(hash.entries()));
});

test('HashValue converts to hashtable one way by entries and by length', () => {
  const saved = { ...encodingLimits };
  try {
    encodingLimits.hashMaxListpackEntries = 2;
    encodingLimits.hashMaxListpackValue = 4;
    const hash = HashValue.fromEntries([['a', '1']]);
    assert.equal(hash.encoding(), 'listpack');
    hash.set('b', '2');
    assert.equal(hash.encoding(), 'listpack');
    hash.set('c', '3');
    assert.equal(hash.encoding(), 'hashtable');
    hash.delete('c');
    hash.delete('b');
    assert.equal(hash.encoding(), 'hashtable');
    const long = HashValue.fromEntries([['f', 'abcde']]);
    assert.equal(long.encoding(), 'hashtable');
    const copy = long.clone();
    copy.set('g', 'x');
    assert.equal(long.size, 1);
    assert.equal(copy.encoding(), 'hashtable');
  } finally {
    Object.assign(encodingLimits, saved);
  }
});
