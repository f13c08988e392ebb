import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { lzfCompress, lzfDecompress } from './lzf.ts';

test('lzf output is byte-identical to Redis 7.0 (captured from DUMP)', () => {
  const input = Buffer.from(`${'a'.repeat(100)}hello world hello world hello world xyz`, 'latin1');
  const compressed = lzfCompress(input, input.length - 4);
  assert.equal(
    Buffer.from(compressed ?? []).toString('hex'),
    '016161e059000b68656c6c6f20776f726c6420e00f0b0278797a',
  );
});

test('lzf round-trips arbitrary and repetitive data', () => {
  const repetitive = fc
    .tuple(fc.uint8Array({ minLength: 1, maxLength: 20 }), fc.integer({ min: 1, max: 600 }))
    .map(([unit, times]) => {
      const out = new Uint8Array(unit.length * times);
      for (let i = 0; i < times; i++) out.set(unit, i * unit.length);
      return out;
    });
  fc.assert(
    fc.property(fc.oneof(fc.uint8Array({ minLength: 1, maxLength: 3000 }), repetitive), (input) => {
      const compressed = lzfCompress(input, input.length + 64);
      assert.ok(compressed !== undefined);
      assert.deepEqual(lzfDecompress(compressed, input.length), input);
      // With no room to spare, compression either fits or reports failure.
      const tight = lzfCompress(input, Math.max(1, input.length - 4));
      if (tight !== undefined) {
        assert.ok(tight.length <= input.length - 4);
        assert.deepEqual(lzfDecompress(tight, input.length), input);
      }
    }),
  );
});

test('lzf decompression refuses corrupt input instead of overrunning', () => {
  // A back reference before the start, a literal run past the end, a wrong declared length.
  assert.equal(lzfDecompress(Uint8Array.from([0x20, 0x05]), 10), undefined);
  assert.equal(lzfDecompress(Uint8Array.from([0x05, 0x61]), 6), undefined);
  assert.equal(lzfDecompress(Uint8Array.from([0x01, 0x61, 0x62]), 3), undefined);
  assert.equal(lzfDecompress(Uint8Array.from([0x01, 0x61, 0x62]), 1), undefined);
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 200 }), fc.nat(1000), (input, length) => {
      const out = lzfDecompress(input, length);
      if (out !== undefined) assert.equal(out.length, length);
    }),
  );
});
