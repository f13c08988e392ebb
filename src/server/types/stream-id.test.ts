import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  compareIds,
  formatId,
  idKey,
  idOfKey,
  MAX_ID,
  nextId,
  parseStreamId,
  parseUint64,
  previousId,
  streamId,
} from './stream-id.ts';

test('parses IDs as Redis does: <ms>, <ms>-<seq>, - and + when not strict, <ms>-* when allowed', () => {
  assert.deepEqual(parseStreamId('5', 0n, true)?.id, streamId(5n, 0n));
  assert.deepEqual(parseStreamId('5', 0xffffffffffffffffn, false)?.id, streamId(5n, 0xffffffffffffffffn));
  assert.deepEqual(parseStreamId('5-3', 0n, true)?.id, streamId(5n, 3n));
  assert.deepEqual(parseStreamId('-', 0n, false)?.id, streamId(0n, 0n));
  assert.deepEqual(parseStreamId('+', 0n, false)?.id, MAX_ID);
  assert.equal(parseStreamId('-', 0n, true), undefined);
  assert.equal(parseStreamId('+', 0n, true), undefined);
  assert.deepEqual(parseStreamId('7-*', 0n, true, true), { id: streamId(7n, 0n), autoSeq: true });
  assert.equal(parseStreamId('7-*', 0n, true), undefined);
  for (const bad of [
    '',
    'x',
    '1-',
    '-1',
    '1-2-3',
    '1--2',
    '18446744073709551616',
    '1-18446744073709551616',
    '1'.repeat(128),
  ])
    assert.equal(parseStreamId(bad, 0n, true), undefined, bad);
  // strtoull's leniency: leading blanks and '+', leading zeros.
  assert.equal(parseUint64(' +007'), 7n);
  assert.equal(parseUint64('18446744073709551615'), 0xffffffffffffffffn);
});

test('order, successor, predecessor and the 16-byte keys', () => {
  const a = streamId(1n, 0xffffffffffffffffn);
  const b = streamId(2n, 0n);
  assert.equal(compareIds(a, b), -1);
  assert.deepEqual(nextId(a), b);
  assert.deepEqual(previousId(b), a);
  assert.equal(nextId(MAX_ID), undefined);
  assert.equal(previousId(streamId(0n, 0n)), undefined);
  assert.equal(formatId(MAX_ID), '18446744073709551615-18446744073709551615');
  for (const id of [a, b, MAX_ID, streamId(0x123456789abcdefn, 42n)]) {
    assert.equal(idKey(id).length, 16);
    assert.deepEqual(idOfKey(idKey(id)), id);
  }
  assert.ok(idKey(a) < idKey(b));
});
