import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import {
  backlenBytes as backlenSize,
  LISTPACK_EMPTY_BYTES,
  listpackStringBytes,
} from '../types/listpack-size.ts';
import { listpackItems } from './containers.ts';
import { RdbFormatError } from './errors.ts';
import { ListpackBuilder, ListpackCursor } from './listpack.ts';

function built(fill: (lp: ListpackBuilder) => void): Buffer {
  const lp = new ListpackBuilder(8);
  fill(lp);
  return Buffer.from(lp.finish());
}

test('integers take their smallest encoding, each followed by its back-length', () => {
  assert.equal(
    built((lp) => lp.integer(1)).toString('hex'),
    // total bytes 9, one element, 7-bit uint 1 with back-length 1, end byte.
    '0900000001000101ff',
  );
  const cases: Array<[number | bigint, string]> = [
    [0, '0001'],
    [127, '7f01'],
    [128, 'c08002'],
    [-1, 'dfff02'],
    [4095, 'cfff02'],
    [-4096, 'd00002'],
    [4096, 'f1001003'],
    [-32768, 'f1008003'],
    [32768, 'f200800004'],
    [-8388609, 'f3ffff7fff05'],
    [2147483648, 'f4000000800000000009'],
    [-(2n ** 63n), 'f4000000000000008009'],
  ];
  for (const [value, hex] of cases) {
    const bytes = built((lp) => lp.integer(value));
    assert.equal(bytes.subarray(6, -1).toString('hex'), hex, `integer ${value}`);
  }
});

test('strings: canonical integers become integers, lengths 63/64/4095/4096 change the header', () => {
  assert.equal(
    built((lp) => lp.string('12'))
      .subarray(6, -1)
      .toString('hex'),
    '0c01',
  );
  // Not canonical: a sign, a leading zero, "-0" stay strings.
  for (const text of ['+5', '007', '-0', ' 1', '9223372036854775808'])
    assert.equal(built((lp) => lp.string(text))[6], 0x80 | text.length, text);
  assert.equal(built((lp) => lp.string('-9223372036854775808'))[6], 0xf4);
  // Around the 15-digit fast path: both sides are integers, read back exactly.
  for (const text of ['999999999999999', '-999999999999999', '1000000000000000', '9223372036854775807']) {
    const bytes = built((lp) => lp.string(text));
    assert.equal(bytes[6], 0xf4, text);
    assert.equal(bytes.readBigInt64LE(7), BigInt(text), text);
  }
  for (const text of ['00', '-', '1a', '1 ', '+1'])
    assert.equal(built((lp) => lp.string(text))[6], 0x80 | text.length, text);
  assert.equal(built((lp) => lp.string('a'.repeat(63)))[6], 0xbf);
  assert.deepEqual([...built((lp) => lp.string('a'.repeat(64))).subarray(6, 8)], [0xe0, 64]);
  assert.deepEqual([...built((lp) => lp.string('a'.repeat(4095))).subarray(6, 8)], [0xef, 0xff]);
  assert.deepEqual([...built((lp) => lp.string('a'.repeat(4096))).subarray(6, 11)], [0xf0, 0, 16, 0, 0]);
});

test("back-lengths follow Redis's thresholds (an element of exactly 16383 bytes takes three)", () => {
  assert.equal(backlenSize(127), 1);
  assert.equal(backlenSize(128), 2);
  assert.equal(backlenSize(16382), 2);
  assert.equal(backlenSize(16383), 3);
  assert.equal(backlenSize(2097150), 3);
  assert.equal(backlenSize(2097151), 4);
  assert.equal(backlenSize(268435455), 5);
  // A 16378-byte string: 5 header bytes + 16378 = 16383, back-length 01 ff ff.
  const text = 'x'.repeat(16378);
  const bytes = built((lp) => {
    lp.string(text);
    lp.integer(7);
  });
  assert.deepEqual([...bytes.subarray(6 + 16383, 6 + 16386)], [0x00, 0xff, 0xff]);
  assert.deepEqual(listpackItems(bytes), [text, '7']);
  const cursor = new ListpackCursor(bytes);
  assert.equal(cursor.string(), text);
  assert.equal(cursor.small(10), 7);
  cursor.end();
});

const element = fc.oneof(
  fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }),
  fc.integer({ min: -70000, max: 70000 }),
  fc.string({ unit: fc.integer({ min: 0, max: 255 }).map((c) => String.fromCharCode(c)), maxLength: 300 }),
  fc.integer({ min: 0, max: 5000 }).map((n) => 'y'.repeat(n)),
);

test('what the builder writes reads back, through the cursor and the generic decoder', () => {
  fc.assert(
    fc.property(fc.array(element, { maxLength: 40 }), (elements) => {
      const bytes = built((lp) => {
        for (const each of elements) typeof each === 'string' ? lp.string(each) : lp.integer(each);
      });
      const texts = elements.map((each) => String(each));
      assert.deepEqual(listpackItems(bytes), texts);
      const cursor = new ListpackCursor(bytes);
      for (const each of elements) {
        if (typeof each === 'string') assert.equal(cursor.string(), each);
        else assert.equal(cursor.bigint(), BigInt(each));
      }
      assert.ok(cursor.atEnd);
      cursor.end();
    }),
  );
});

test('the cursor refuses corrupt listpacks with RdbFormatError', () => {
  const good = built((lp) => {
    lp.integer(300);
    lp.string('hello');
  });
  const corrupt = (bytes: Buffer, read: (cursor: ListpackCursor) => void): void => {
    assert.throws(() => read(new ListpackCursor(bytes)), RdbFormatError);
  };
  const readAll = (cursor: ListpackCursor): void => {
    cursor.bigint();
    cursor.string();
    cursor.end();
  };
  readAll(new ListpackCursor(good));
  corrupt(good.subarray(0, good.length - 1), readAll);
  const wrongBacklen = Buffer.from(good);
  wrongBacklen[8] = 3;
  corrupt(wrongBacklen, readAll);
  const wrongCount = Buffer.from(good);
  wrongCount[4] = 3;
  corrupt(wrongCount, readAll);
  const unknownEncoding = Buffer.from(good);
  unknownEncoding[6] = 0xf7;
  corrupt(unknownEncoding, readAll);
  // A string where an integer is needed, a count out of range, an element missing.
  corrupt(good, (cursor) => {
    cursor.bigint();
    cursor.bigint();
  });
  corrupt(good, (cursor) => cursor.small(10));
  corrupt(good, (cursor) => {
    readAll(cursor);
    cursor.string();
  });
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
      const buffer = Buffer.from(bytes);
      if (buffer.length >= 4) buffer.writeUInt32LE(buffer.length, 0);
      try {
        const cursor = new ListpackCursor(buffer);
        while (!cursor.atEnd) cursor.string();
        cursor.end();
      } catch (error) {
        assert.ok(error instanceof RdbFormatError);
      }
    }),
  );
});

test('the stream type counts an element as many bytes as the builder writes', () => {
  for (const text of [
    '0',
    '127',
    '128',
    '-4096',
    '4095',
    '32767',
    '-8388608',
    '2147483647',
    '9223372036854775807',
    'abc',
    '01',
    'x'.repeat(63),
    'x'.repeat(64),
    'x'.repeat(4095),
    'x'.repeat(16378),
    'x'.repeat(16379),
  ]) {
    const builder = new ListpackBuilder();
    builder.string(text);
    assert.equal(
      builder.finish().length - LISTPACK_EMPTY_BYTES,
      listpackStringBytes(text),
      `${text.slice(0, 20)} (${text.length})`,
    );
  }
});
