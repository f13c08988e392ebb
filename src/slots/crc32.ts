// CRC-32/IEEE (zlib, Go's crc32.ChecksumIEEE): reflected polynomial 0xEDB88320, init and final xor
// 0xFFFFFFFF. Codis hashes keys with it, so every byte must match the reference exactly.
const TABLE = new Int32Array(256);
for (let n = 0; n < 256; n++) {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  TABLE[n] = c;
}

/** CRC-32 of the bytes of a latin1 string (one char = one byte) in [start, end). */
export function crc32OfLatin1(text: string, start = 0, end = text.length): number {
  let crc = -1;
  for (let i = start; i < end; i++) {
    crc = (TABLE[(crc ^ text.charCodeAt(i)) & 0xff] as number) ^ (crc >>> 8);
  }
  return (crc ^ -1) >>> 0;
}

/** CRC-32 of bytes[start, end). */
export function crc32OfBytes(bytes: Uint8Array, start = 0, end = bytes.length): number {
  let crc = -1;
  for (let i = start; i < end; i++) {
    crc = (TABLE[(crc ^ (bytes[i] as number)) & 0xff] as number) ^ (crc >>> 8);
  }
  return (crc ^ -1) >>> 0;
}
