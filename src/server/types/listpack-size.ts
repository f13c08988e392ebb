// The bytes an element takes in a Redis listpack, so that structures Redis splits by listpack size
// (stream nodes: stream-node-max-bytes) split at the same places as Redis's.

/** A listpack's header (total bytes, element count) and end byte. */
export const LISTPACK_EMPTY_BYTES = 7;

/** Bytes of an integer element: encoding and value, plus its back-length byte. */
export function listpackIntegerBytes(value: bigint | number): number {
  const v = typeof value === 'bigint' ? value : BigInt(value);
  let encoded: number;
  if (v >= 0n && v <= 127n) encoded = 1;
  else if (v >= -4096n && v <= 4095n) encoded = 2;
  else if (v >= -32768n && v <= 32767n) encoded = 3;
  else if (v >= -8388608n && v <= 8388607n) encoded = 4;
  else if (v >= -2147483648n && v <= 2147483647n) encoded = 5;
  else encoded = 9;
  return encoded + 1;
}

/** Bytes of a small non-negative integer element (counts, flags): the common case, no bigint. */
export function listpackSmallIntegerBytes(value: number): number {
  if (value <= 127) return 2;
  if (value <= 4095) return 3;
  if (value <= 32767) return 4;
  if (value <= 8388607) return 5;
  if (value <= 2147483647) return 6;
  return 10;
}

/** Bytes of a string element: stored as an integer when it reads as one (lpStringToInt64). */
export function listpackStringBytes(text: string): number {
  const integer = listpackInteger(text);
  if (integer !== undefined) return listpackIntegerBytes(integer);
  const length = text.length;
  const encoded = length < 64 ? 1 + length : length < 4096 ? 2 + length : 5 + length;
  return encoded + backlenBytes(encoded);
}

/**
 * Bytes of the back-length after an element whose encoding and data take `encoded` bytes
 * (lpEncodeBacklen: its thresholds are 127, 16383, 2097151 and 268435455, the last three one below
 * a power of 128, so an element of exactly 16383 bytes takes three).
 */
export function backlenBytes(encoded: number): number {
  if (encoded <= 127) return 1;
  if (encoded < 16383) return 2;
  if (encoded < 2097151) return 3;
  if (encoded < 268435455) return 4;
  return 5;
}

const INT64_MAX = 9223372036854775807n;

/** Redis's lpStringToInt64: a canonical decimal within int64 (no '+', no leading zeros, no "-0"). */
export function listpackInteger(text: string): bigint | undefined {
  const length = text.length;
  if (length === 0 || length >= 21) return undefined;
  if (length === 1 && text === '0') return 0n;
  let i = 0;
  if (text.charCodeAt(0) === 45) {
    i = 1;
    if (length === 1) return undefined;
  }
  const first = text.charCodeAt(i);
  if (first < 49 || first > 57) return undefined;
  for (let j = i + 1; j < length; j++) {
    const c = text.charCodeAt(j);
    if (c < 48 || c > 57) return undefined;
  }
  const value = BigInt(text);
  if (i === 1 ? value < -INT64_MAX - 1n : value > INT64_MAX) return undefined;
  return value;
}
