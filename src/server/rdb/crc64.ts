// Redis's CRC-64 (Jones: reflected polynomial 0x95AC9329AC4BC9B5, init 0, no final xor), the
// checksum of DUMP payloads and RDB files. JavaScript has no fast 64-bit integers, so the CRC is
// kept as two 32-bit halves and the input is consumed 8 bytes at a time with slicing-by-8 tables.

const POLY = 0x95ac9329ac4bc9b5n;
const SLICES = 8;
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** TABLE_LO[k * 256 + b] / TABLE_HI[...]: the halves of the CRC of byte b followed by k zero bytes. */
const TABLE_LO = new Uint32Array(SLICES * 256);
const TABLE_HI = new Uint32Array(SLICES * 256);

function buildTables(): void {
  for (let b = 0; b < 256; b++) {
    let crc = BigInt(b);
    for (let bit = 0; bit < 8; bit++) crc = crc & 1n ? (crc >> 1n) ^ POLY : crc >> 1n;
    TABLE_LO[b] = Number(crc & 0xffffffffn);
    TABLE_HI[b] = Number(crc >> 32n);
  }
  for (let k = 1; k < SLICES; k++) {
    for (let b = 0; b < 256; b++) {
      // One more zero byte: crc' = table[crc & 0xff] ^ (crc >> 8).
      const lo = TABLE_LO[(k - 1) * 256 + b] as number;
      const hi = TABLE_HI[(k - 1) * 256 + b] as number;
      const index = lo & 0xff;
      TABLE_LO[k * 256 + b] = (((lo >>> 8) | (hi << 24)) ^ (TABLE_LO[index] as number)) >>> 0;
      TABLE_HI[k * 256 + b] = ((hi >>> 8) ^ (TABLE_HI[index] as number)) >>> 0;
    }
  }
}
buildTables();

/** The CRC-64 of `bytes[start, end)`, continuing from `crc` (0 to start), as an unsigned bigint. */
export function crc64(bytes: Uint8Array, crc = 0n, start = 0, end = bytes.length): bigint {
  const halves = crc64Halves(bytes, Number(crc & 0xffffffffn), Number(crc >> 32n), start, end);
  return (BigInt(halves[1] as number) << 32n) | BigInt(halves[0] as number);
}

const result = new Uint32Array(2);

/**
 * The CRC-64 as [low 32 bits, high 32 bits] (a shared array: copy before the next call). The
 * fast path for DUMP payloads, which compare the halves with the stored little-endian footer.
 */
export function crc64Halves(
  bytes: Uint8Array,
  lo: number,
  hi: number,
  start: number,
  end: number,
): Uint32Array {
  const t = TABLE_LO;
  const u = TABLE_HI;
  let i = start;
  lo >>>= 0;
  hi >>>= 0;
  // Whole 32-bit words read through an aligned view (the host is little-endian, as the footer).
  const misaligned = (4 - ((bytes.byteOffset + i) & 3)) & 3;
  for (let k = 0; k < misaligned && i < end; k++, i++) {
    const index = (lo ^ (bytes[i] as number)) & 0xff;
    lo = (((lo >>> 8) | (hi << 24)) ^ (t[index] as number)) >>> 0;
    hi = ((hi >>> 8) ^ (u[index] as number)) >>> 0;
  }
  const words = (end - i) >>> 3;
  if (words > 0 && LITTLE_ENDIAN) {
    const view = new Uint32Array(bytes.buffer, bytes.byteOffset + i, words * 2);
    for (let w = 0; w < words * 2; w += 2) {
      const a = (lo ^ (view[w] as number)) >>> 0;
      const b = (hi ^ (view[w + 1] as number)) >>> 0;
      const i7 = 1792 + (a & 0xff);
      const i6 = 1536 + ((a >>> 8) & 0xff);
      const i5 = 1280 + ((a >>> 16) & 0xff);
      const i4 = 1024 + (a >>> 24);
      const i3 = 768 + (b & 0xff);
      const i2 = 512 + ((b >>> 8) & 0xff);
      const i1 = 256 + ((b >>> 16) & 0xff);
      const i0 = b >>> 24;
      lo =
        ((t[i7] as number) ^
          (t[i6] as number) ^
          (t[i5] as number) ^
          (t[i4] as number) ^
          (t[i3] as number) ^
          (t[i2] as number) ^
          (t[i1] as number) ^
          (t[i0] as number)) >>>
        0;
      hi =
        ((u[i7] as number) ^
          (u[i6] as number) ^
          (u[i5] as number) ^
          (u[i4] as number) ^
          (u[i3] as number) ^
          (u[i2] as number) ^
          (u[i1] as number) ^
          (u[i0] as number)) >>>
        0;
    }
    i += words * 8;
  }
  while (i < end) {
    const index = (lo ^ (bytes[i] as number)) & 0xff;
    lo = (((lo >>> 8) | (hi << 24)) ^ (t[index] as number)) >>> 0;
    hi = ((hi >>> 8) ^ (u[index] as number)) >>> 0;
    i++;
  }
  result[0] = lo;
  result[1] = hi;
  return result;
}
