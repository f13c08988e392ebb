import assert from 'node:assert/strict';
import { test } from 'node:test';
import { hashResult, murmur64a } from './murmur64a.ts';

/** A straightforward BigInt MurmurHash64A, the reference for the 32-bit-halves implementation. */
function reference(key: Buffer, seed: bigint): bigint {
  const mask = (1n << 64n) - 1n;
  const m = 0xc6a4a7935bd1e995n;
  let h = (seed ^ ((BigInt(key.length) * m) & mask)) & mask;
  const blocks = key.length - (key.length & 7);
  for (let i = 0; i < blocks; i += 8) {
    let k = key.readBigUInt64LE(i);
    k = (k * m) & mask;
    k ^= k >> 47n;
    k = (k * m) & mask;
    h ^= k;
    h = (h * m) & mask;
  }
  const rest = key.length & 7;
  if (rest > 0) {
    for (let i = rest - 1; i >= 0; i--) h ^= BigInt(key[blocks + i] as number) << BigInt(8 * i);
    h = (h * m) & mask;
  }
  h ^= h >> 47n;
  h = (h * m) & mask;
  h ^= h >> 47n;
  return h;
}

test('murmur64a matches a BigInt reference for every length 0..64 and random bytes', () => {
  for (let length = 0; length <= 64; length++) {
    for (let round = 0; round < 20; round++) {
      const bytes = Buffer.alloc(length);
      for (let i = 0; i < length; i++) bytes[i] = Math.floor(Math.random() * 256);
      murmur64a(bytes.latin1Slice(), 0xadc83b19);
      const got = (BigInt(hashResult.high) << 32n) | BigInt(hashResult.low);
      assert.equal(got, reference(bytes, 0xadc83b19n), bytes.toString('hex'));
    }
  }
});

test('murmur64a of known inputs', () => {
  murmur64a('', 0);
  assert.equal(hashResult.high, 0);
  assert.equal(hashResult.low, 0);
  murmur64a('hello', 0xadc83b19);
  const got = (BigInt(hashResult.high) << 32n) | BigInt(hashResult.low);
  assert.equal(got, reference(Buffer.from('hello'), 0xadc83b19n));
});
