// MurmurHash64A (Austin Appleby), the hash Redis's HyperLogLog uses, computed on two unsigned 32-bit
// halves so no BigInt is allocated per element. Input is a latin1 string (one char = one byte).

// m = 0xc6a4a7935bd1e995
const M_HIGH = 0xc6a4a793;
const M_LOW = 0x5bd1e995;

/** High 32 bits of the 64-bit product of two unsigned 32-bit integers. */
function multiplyHigh(a: number, b: number): number {
  const a0 = a & 0xffff;
  const a1 = a >>> 16;
  const b0 = b & 0xffff;
  const b1 = b >>> 16;
  const low = a0 * b0;
  const middle1 = a0 * b1;
  const middle2 = a1 * b0;
  const carry = (low >>> 16) + (middle1 & 0xffff) + (middle2 & 0xffff);
  return (
    (a1 * b1 +
      Math.floor(middle1 / 0x10000) +
      Math.floor(middle2 / 0x10000) +
      Math.floor(carry / 0x10000)) >>>
    0
  );
}

/** The result of the last murmur64a call: high and low 32-bit halves, unsigned. */
export const hashResult = { high: 0, low: 0 };

/** MurmurHash64A of `key`'s bytes with a 32-bit seed; the 64-bit result is left in hashResult. */
export function murmur64a(key: string, seed: number): void {
  const length = key.length;
  // h = seed ^ (len * m)
  let high = (multiplyHigh(length, M_LOW) + Math.imul(length, M_HIGH)) >>> 0;
  let low = Math.imul(length, M_LOW) >>> 0;
  low = (low ^ seed) >>> 0;
  const blocks = length - (length & 7);
  let kHigh: number;
  let kLow: number;
  let productHigh: number;
  for (let i = 0; i < blocks; i += 8) {
    kLow =
      (key.charCodeAt(i) |
        (key.charCodeAt(i + 1) << 8) |
        (key.charCodeAt(i + 2) << 16) |
        (key.charCodeAt(i + 3) << 24)) >>>
      0;
    kHigh =
      (key.charCodeAt(i + 4) |
        (key.charCodeAt(i + 5) << 8) |
        (key.charCodeAt(i + 6) << 16) |
        (key.charCodeAt(i + 7) << 24)) >>>
      0;
    // k *= m
    productHigh = (multiplyHigh(kLow, M_LOW) + Math.imul(kHigh, M_LOW) + Math.imul(kLow, M_HIGH)) >>> 0;
    kLow = Math.imul(kLow, M_LOW) >>> 0;
    kHigh = productHigh;
    // k ^= k >> 47
    kLow = (kLow ^ (kHigh >>> 15)) >>> 0;
    // k *= m
    productHigh = (multiplyHigh(kLow, M_LOW) + Math.imul(kHigh, M_LOW) + Math.imul(kLow, M_HIGH)) >>> 0;
    kLow = Math.imul(kLow, M_LOW) >>> 0;
    kHigh = productHigh;
    // h ^= k; h *= m
    high = (high ^ kHigh) >>> 0;
    low = (low ^ kLow) >>> 0;
    productHigh = (multiplyHigh(low, M_LOW) + Math.imul(high, M_LOW) + Math.imul(low, M_HIGH)) >>> 0;
    low = Math.imul(low, M_LOW) >>> 0;
    high = productHigh;
  }
  const rest = length & 7;
  if (rest > 0) {
    for (let i = rest - 1; i >= 0; i--) {
      const byte = key.charCodeAt(blocks + i);
      if (i >= 4) high = (high ^ (byte << (8 * (i - 4)))) >>> 0;
      else low = (low ^ (byte << (8 * i))) >>> 0;
    }
    productHigh = (multiplyHigh(low, M_LOW) + Math.imul(high, M_LOW) + Math.imul(low, M_HIGH)) >>> 0;
    low = Math.imul(low, M_LOW) >>> 0;
    high = productHigh;
  }
  // h ^= h >> 47; h *= m; h ^= h >> 47
  low = (low ^ (high >>> 15)) >>> 0;
  productHigh = (multiplyHigh(low, M_LOW) + Math.imul(high, M_LOW) + Math.imul(low, M_HIGH)) >>> 0;
  low = Math.imul(low, M_LOW) >>> 0;
  high = productHigh;
  low = (low ^ (high >>> 15)) >>> 0;
  hashResult.high = high;
  hashResult.low = low;
}
