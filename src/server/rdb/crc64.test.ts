import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { crc64 } from './crc64.ts';

/** Bit-by-bit reference: reflected polynomial, init 0, no final xor. */
function referenceCrc64(bytes: Uint8Array): bigint {
  let crc = 0n;
  for (const byte of bytes) {
    crc ^= BigInt(byte);
    for (let bit = 0; bit < 8; bit++) crc = crc & 1n ? (crc >> 1n) ^ 0x95ac9329ac4bc9b5n : crc >> 1n;
  }
  return crc;
}

test('crc64 check value of "123456789"', () => {
  assert.equal(crc64(Buffer.from('123456789')), 0xe9c6d914c4b8d9can);
  assert.equal(crc64(Buffer.alloc(0)), 0n);
});

test('crc64 matches the bitwise reference at every length and alignment', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 100 }), fc.nat(7), (bytes, shift) => {
      // A view at an odd offset exercises the unaligned head and tail paths.
      const backing = new Uint8Array(bytes.length + shift);
      backing.set(bytes, shift);
      const view = backing.subarray(shift);
      assert.equal(crc64(view), referenceCrc64(bytes));
    }),
  );
});

test('crc64 can continue from a previous CRC and over a range', () => {
  const bytes = Buffer.from('hello world, this is a longer input to checksum in parts');
  const whole = crc64(bytes);
  assert.equal(crc64(bytes, crc64(bytes, 0n, 0, 13), 13), whole);
  assert.equal(crc64(bytes, 0n, 5, 20), crc64(bytes.subarray(5, 20)));
});

test('crc64 of the Redis DUMP of "hello" matches its footer', () => {
  const payload = Buffer.from('000568656c6c6f07009c400a856dfef510', 'hex');
  assert.equal(crc64(payload.subarray(0, payload.length - 8)), payload.readBigUInt64LE(payload.length - 8));
});
