import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { formatDouble } from '../../resp/double.ts';
import type { CollectionValue, StoredValue } from '../keyspace/value.ts';
import { HashValue } from '../types/hash.ts';
import { ZSetValue } from '../types/zset.ts';
import { intsetEncode, intsetMembers, listpackItems, ziplistEncode, ziplistItems } from './containers.ts';
import { RdbFormatError } from './errors.ts';
import { createDumpPayload, decodeDumpPayload, verifyDumpPayload } from './payload.ts';
import { RdbReader } from './reader.ts';
import { RdbWriter, shortExactDecimal } from './writer.ts';

function written(write: (writer: RdbWriter) => void): string {
  const writer = new RdbWriter();
  write(writer);
  return writer.view().toString('hex');
}

test('length encodings: 6, 14 and 32 bits', () => {
  assert.equal(
    written((w) => w.writeLength(5)),
    '05',
  );
  assert.equal(
    written((w) => w.writeLength(63)),
    '3f',
  );
  assert.equal(
    written((w) => w.writeLength(64)),
    '4040',
  );
  assert.equal(
    written((w) => w.writeLength(16383)),
    '7fff',
  );
  assert.equal(
    written((w) => w.writeLength(16384)),
    '8000004000',
  );
  assert.equal(
    written((w) => w.writeLength(2 ** 32)),
    '810000000100000000',
  );
  fc.assert(
    fc.property(fc.nat(), (length) => {
      const writer = new RdbWriter();
      writer.writeLength(length);
      assert.equal(new RdbReader(writer.view()).readLength(), length);
    }),
  );
});

test('string encodings: int8/16/32 for canonical integers, LZF over 20 bytes, raw otherwise', () => {
  assert.equal(
    written((w) => w.writeString('12')),
    'c00c',
  );
  assert.equal(
    written((w) => w.writeString('-300')),
    'c1d4fe',
  );
  assert.equal(
    written((w) => w.writeString('70000')),
    'c270110100',
  );
  // Not canonical or beyond 32 bits: stored as text.
  assert.equal(
    written((w) => w.writeString('012')),
    '03303132',
  );
  assert.equal(
    written((w) => w.writeString('4294967296')),
    '0a34323934393637323936',
  );
  assert.equal(
    written((w) => w.writeValueString(4294967296)),
    '0a34323934393637323936',
  );
  assert.match(
    written((w) => w.writeString('a'.repeat(50))),
    /^c3/,
  );
  fc.assert(
    fc.property(fc.oneof(fc.string({ unit: 'binary-ascii' }), fc.integer().map(String)), (text) => {
      const writer = new RdbWriter();
      writer.writeString(text);
      const latin1 = Buffer.from(text, 'latin1').latin1Slice();
      assert.equal(new RdbReader(writer.view()).readString(), latin1);
    }),
  );
});

test('doubles as text, with the nan/inf markers', () => {
  for (const value of [1.5, -3, 0, 1e300, 0.1, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]) {
    const writer = new RdbWriter();
    writer.writeDouble(value);
    assert.equal(new RdbReader(writer.view()).readDouble(), value);
  }
  assert.equal(
    written((w) => w.writeDouble(Number.POSITIVE_INFINITY)),
    'fe',
  );
});

test("short binary fractions skip %.17g's slow path and print exactly what it prints", () => {
  const samples = [0.5, -999.5, 1234.25, 0.0001220703125, 1e-4, 99999999999999.5, -0.75, 3.0517578125e-5];
  for (const value of samples) {
    const fast = shortExactDecimal(value);
    if (fast !== undefined) assert.equal(fast, formatDouble(value), String(value));
  }
  assert.equal(shortExactDecimal(-999.5), '-999.5');
  assert.equal(shortExactDecimal(0.1), undefined);
  fc.assert(
    fc.property(
      fc.integer({ min: -(2 ** 40), max: 2 ** 40 }),
      fc.integer({ min: 0, max: 24 }),
      (mantissa, shift) => {
        const value = mantissa / 2 ** shift;
        const fast = shortExactDecimal(value);
        if (fast !== undefined) assert.equal(fast, formatDouble(value));
      },
    ),
  );
  fc.assert(
    fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), (value) => {
      const fast = shortExactDecimal(value);
      if (fast !== undefined) assert.equal(fast, formatDouble(value));
    }),
  );
});

test('ziplists and intsets round-trip', () => {
  fc.assert(
    fc.property(
      fc.array(fc.oneof(fc.string({ unit: 'binary-ascii', maxLength: 300 }), fc.integer().map(String)), {
        maxLength: 40,
      }),
      (items) => {
        assert.deepEqual(ziplistItems(ziplistEncode(items)), items);
      },
    ),
  );
  fc.assert(
    fc.property(
      fc.uniqueArray(fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }), { maxLength: 30 }),
      (values) => {
        const sorted = [...values].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)).map(String);
        assert.deepEqual(intsetMembers(intsetEncode(values.map(String))), sorted);
      },
    ),
  );
});

test('listpack payloads dumped by Redis 7.0 decode (ints of every width, inf scores)', () => {
  const hash = Buffer.from(
    '102a2a0000000800816602817602816e02c4d2028362696704f400e68ee7fdffffff09836e656704dffb02ff0a00e3b5a0d91537e69d',
    'hex',
  );
  assert.ok(verifyDumpPayload(hash));
  assert.deepEqual(decodeDumpPayload(hash), {
    type: 'hash',
    entries: [
      ['f', 'v'],
      ['n', '1234'],
      ['big', '-9000000000'],
      ['neg', '-5'],
    ],
  });
  const zset = Buffer.from(
    '111d1d0000000600816f02842d696e6605816d0283312e3504816e020201ff0a0068ae5feaa601faba',
    'hex',
  );
  assert.ok(verifyDumpPayload(zset));
  assert.deepEqual(decodeDumpPayload(zset), {
    type: 'zset',
    pairs: [
      ['o', Number.NEGATIVE_INFINITY],
      ['m', 1.5],
      ['n', 2],
    ],
  });
  assert.equal(listpackItems(hash.subarray(2, 44)).length, 8);
});

function fakeCollection(type: string, encoding: string, items: unknown[]): CollectionValue {
  return {
    type,
    encoding: () => encoding,
    size: items.length,
    memoryUsage: () => 0,
    clone() {
      return this;
    },
    toArray: () => items,
    entries: () => items,
    members: () => items,
    isIntset: () => encoding === 'intset',
  } as unknown as CollectionValue;
}

test('DUMP payloads are byte-identical to Codis 3.2 for its test vectors', () => {
  const cases: Array<[StoredValue, string]> = [
    ['hello', '000568656c6c6f07009c400a856dfef510'],
    [12345, '00c13930070062a63fd49b36dda3'],
    [
      fakeCollection('list', 'quicklist', ['a', 'b']),
      '0e0111110000000d0000000200000161030162ff07007bf68cd3cb48d2e1',
    ],
    [fakeCollection('set', 'intset', ['1', '2']), '0b0c0200000002000000010002000700904bed423c21f534'],
    [fakeCollection('set', 'hashtable', ['x']), '02010178070000da55497ec6fa13'],
    [
      fakeCollection('hash', 'listpack', [['f', 'v']]),
      '0d11110000000d0000000200000166030176ff0700ff2747b3e74e9dd3',
    ],
    [
      fakeCollection('zset', 'listpack', [['m', 1.5]]),
      '0c13130000000d000000020000016d0303312e35ff070072f8448bc754d6f4',
    ],
  ];
  for (const [value, expected] of cases) {
    const payload = createDumpPayload(value);
    assert.equal(payload.toString('hex'), expected);
    assert.ok(verifyDumpPayload(payload));
  }
  const zset = ZSetValue.fromPairs([
    ['m', 2],
    ['n', -999.5],
  ]);
  zset.convertToSkiplist();
  assert.deepEqual(decodeDumpPayload(createDumpPayload(zset)), {
    type: 'zset',
    pairs: [
      ['n', -999.5],
      ['m', 2],
    ],
  });
  const hash = HashValue.fromEntries([
    ['f', 'v'],
    ['g', '12'],
  ]);
  hash.convertToHashtable();
  assert.deepEqual(decodeDumpPayload(createDumpPayload(hash)), {
    type: 'hash',
    entries: [
      ['f', 'v'],
      ['g', '12'],
    ],
  });
});

test('hostile payloads raise RdbFormatError, never another exception or a hang', () => {
  const seeds = [
    '000568656c6c6f',
    '0e0111110000000d0000000200000161030162ff',
    '0b0c02000000020000000100020007',
    '0d11110000000d0000000200000166030176ff',
    '1001151500000004008166028176028160018ea2020aff',
    '1201021515000000040081610181620181630181640184ff',
    '0502016d000000000000f83f',
    '00c3057f0161',
  ];
  const candidates = fc.oneof(
    fc.uint8Array({ maxLength: 64 }),
    fc.tuple(fc.constantFrom(...seeds), fc.nat(), fc.nat(255), fc.nat(40)).map(([seed, at, byte, cut]) => {
      const bytes = Buffer.from(seed, 'hex');
      bytes[at % bytes.length] = byte;
      return bytes.subarray(0, Math.max(1, bytes.length - (cut % 4 === 0 ? cut % bytes.length : 0)));
    }),
  );
  fc.assert(
    fc.property(candidates, (bytes) => {
      try {
        decodeDumpPayload(Buffer.from(bytes));
      } catch (error) {
        if (!(error instanceof RdbFormatError)) throw error;
      }
    }),
    { numRuns: 3000 },
  );
});
