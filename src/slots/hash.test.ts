import assert from 'node:assert/strict';
import { test } from 'node:test';
import { crc32OfLatin1, slotOf, slotOfBytes, tagCrcOf } from './index.ts';

// Worked examples of spec/server-slots.md §2.2, computed by Codis 3.2's own server.
const EXAMPLES: Array<[string, number]> = [
  ['a', 579],
  ['foo', 289],
  ['hello world', 389],
  ['123456789', 294],
  ['user:{1000}:name', 791],
  ['{user1000}.following', 870],
  ['', 0],
  ['{}abc', 0],
  ['{}', 0],
  ['x{}y', 0],
  ['{{a}}', 780],
  ['{a', 780],
  ['abc{', 228],
  ['abc}', 465],
  ['}{x}', 643],
  ['x', 643],
  ['a{b}c{d}', 1017],
  ['{plumless}1', 37],
  ['{buckeroo}2', 37],
  ['{ }', 837],
  ['b', 1017],
  ['c', 879],
  ['bar', 170],
  ['1000', 791],
  ['\xff', 0],
  ['{\xff}zz', 0],
];

test('crc32 check value is the IEEE one', () => {
  assert.equal(crc32OfLatin1('123456789'), 0xcbf43926);
  assert.equal(crc32OfLatin1(''), 0);
});

test('slotOf matches Codis 3.2 on every worked example, from strings and from bytes', () => {
  for (const [key, slot] of EXAMPLES) {
    assert.equal(slotOf(key), slot, `slotOf(${JSON.stringify(key)})`);
    const bytes = Buffer.from(`--${key}--`, 'latin1');
    assert.equal(slotOfBytes(bytes, 2, bytes.length - 2), slot, `slotOfBytes(${JSON.stringify(key)})`);
  }
});

test('tag CRC is defined only for tagged keys, including the empty tag', () => {
  assert.equal(tagCrcOf('abc'), undefined);
  assert.equal(tagCrcOf('{}x'), 0);
  assert.equal(tagCrcOf('{plumless}1'), tagCrcOf('{buckeroo}2'));
});
