import { crc32OfBytes, crc32OfLatin1 } from './crc32.ts';

export const MAX_SLOTS = 1024;
const SLOT_MASK = MAX_SLOTS - 1;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;

/**
 * Bounds of the part of a key that is hashed: the bytes between the first `{` and the first `}`
 * after it (even when empty: Codis hashes `{}` as the empty string, unlike Redis Cluster), or the
 * whole key when there is no such pair.
 */
export function hashTagBoundsOfLatin1(key: string): [start: number, end: number, tagged: boolean] {
  const open = key.indexOf('{');
  if (open < 0) return [0, key.length, false];
  const close = key.indexOf('}', open + 1);
  if (close < 0) return [0, key.length, false];
  return [open + 1, close, true];
}

/** The slot (0..1023) of a key given as a latin1 string. */
export function slotOf(key: string): number {
  return (tagCrcOf(key) ?? crc32OfLatin1(key)) & SLOT_MASK;
}

/** The slot of a key given as bytes[start, end). */
export function slotOfBytes(bytes: Uint8Array, start = 0, end = bytes.length): number {
  let open = -1;
  for (let i = start; i < end; i++) {
    if (bytes[i] === OPEN_BRACE) {
      open = i;
      break;
    }
  }
  if (open >= 0) {
    for (let i = open + 1; i < end; i++) {
      if (bytes[i] === CLOSE_BRACE) return crc32OfBytes(bytes, open + 1, i) & SLOT_MASK;
    }
  }
  return crc32OfBytes(bytes, start, end) & SLOT_MASK;
}

/** The CRC-32 of a key's hash tag, or undefined when the key has no tag (Codis's tag index). */
export function tagCrcOf(key: string): number | undefined {
  // The bounds of hashTagBoundsOfLatin1, without its array: asked of every key looked up.
  const open = key.indexOf('{');
  if (open < 0) return undefined;
  const close = key.indexOf('}', open + 1);
  return close < 0 ? undefined : crc32OfLatin1(key, open + 1, close);
}
