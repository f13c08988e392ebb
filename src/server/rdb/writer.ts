// Writes RDB primitives into a growable buffer: lengths, strings (with Redis's integer and LZF
// encodings), doubles. What is written is readable by Redis 3.2 (RDB 7) and every later Redis.
import { formatDouble } from '../../resp/double.ts';
import { encodeString } from '../keyspace/value.ts';
import {
  RDB_32BITLEN,
  RDB_64BITLEN,
  RDB_ENC_INT8,
  RDB_ENC_INT16,
  RDB_ENC_INT32,
  RDB_ENC_LZF,
} from './constants.ts';
import { lzfCompress } from './lzf.ts';

const INITIAL_SIZE = 256;
/** Strings longer than this are LZF-compressed when it saves space (Redis's rdbcompression rule). */
const COMPRESS_MIN_LENGTH = 20;
const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;

/**
 * %.17g of a finite non-integer whose exact decimal expansion is short (a binary fraction such as
 * 0.5 or -999.25, the common scores): toFixed with as many decimals as the value has fraction bits
 * is then exact, and with at most 17 significant digits in fixed notation it is what %.17g prints.
 * Undefined for anything else (formatDouble's slower path). Scores of big sorted sets go through
 * here once per member on DUMP and BGSAVE.
 */
export function shortExactDecimal(value: number): string | undefined {
  const magnitude = value < 0 ? -value : value;
  // %.17g uses fixed notation for exponents -4..16.
  if (!(magnitude >= 1e-4 && magnitude < 1e15)) return undefined;
  let scaled = magnitude;
  let decimals = 0;
  while (!Number.isInteger(scaled)) {
    if (++decimals > 17) return undefined;
    scaled *= 2;
  }
  const text = value.toFixed(decimals);
  let significant = 0;
  let leading = true;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 48 || code > 57) continue;
    if (leading && code === 48) continue;
    leading = false;
    significant++;
  }
  return significant <= 17 ? text : undefined;
}

export class RdbWriter {
  buffer: Buffer;
  length = 0;
  /** Whether strings over 20 bytes are LZF-compressed (rdbcompression). */
  compress: boolean;

  constructor(compress = true, initialSize = INITIAL_SIZE) {
    this.compress = compress;
    this.buffer = Buffer.allocUnsafe(initialSize);
  }

  ensure(extra: number): void {
    const needed = this.length + extra;
    if (needed <= this.buffer.length) return;
    let size = this.buffer.length * 2;
    while (size < needed) size *= 2;
    const grown = Buffer.allocUnsafe(size);
    this.buffer.copy(grown, 0, 0, this.length);
    this.buffer = grown;
  }

  byte(value: number): void {
    this.ensure(1);
    this.buffer[this.length++] = value;
  }

  bytes(bytes: Uint8Array): void {
    this.ensure(bytes.length);
    this.buffer.set(bytes, this.length);
    this.length += bytes.length;
  }

  latin1(text: string): void {
    this.ensure(text.length);
    this.length += this.buffer.latin1Write(text, this.length);
  }

  /** A length: 6 bits, 14 bits, or a marker byte then 32 or 64 bits big-endian. */
  writeLength(length: number): void {
    this.ensure(9);
    const buffer = this.buffer;
    if (length < 1 << 6) {
      buffer[this.length++] = length;
    } else if (length < 1 << 14) {
      buffer[this.length++] = 0x40 | (length >>> 8);
      buffer[this.length++] = length & 0xff;
    } else if (length <= 0xffffffff) {
      buffer[this.length++] = RDB_32BITLEN;
      buffer.writeUInt32BE(length, this.length);
      this.length += 4;
    } else {
      buffer[this.length++] = RDB_64BITLEN;
      buffer.writeBigUInt64BE(BigInt(length), this.length);
      this.length += 8;
    }
  }

  /**
   * A length over the whole unsigned 64-bit range (stream IDs and counters); a negative value is
   * written as its two's complement, as Redis's rdbSaveLen(uint64_t) of a long long does.
   */
  writeLengthBig(length: bigint): void {
    const value = BigInt.asUintN(64, length);
    if (value <= 0xffffffffn) {
      this.writeLength(Number(value));
      return;
    }
    this.ensure(9);
    this.buffer[this.length++] = RDB_64BITLEN;
    this.buffer.writeBigUInt64BE(value, this.length);
    this.length += 8;
  }

  /** A time in milliseconds: 8 bytes, little-endian signed (rdbSaveMillisecondTime). */
  writeMillisecondTime(time: number): void {
    this.ensure(8);
    this.buffer.writeBigInt64LE(BigInt.asIntN(64, BigInt(Math.trunc(time))), this.length);
    this.length += 8;
  }

  /** An integer in the int8/16/32 string encodings; false when it does not fit 32 bits. */
  private writeEncodedInteger(value: number): boolean {
    this.ensure(5);
    const buffer = this.buffer;
    if (value >= -128 && value <= 127) {
      buffer[this.length++] = 0xc0 | RDB_ENC_INT8;
      buffer[this.length++] = value & 0xff;
    } else if (value >= -32768 && value <= 32767) {
      buffer[this.length++] = 0xc0 | RDB_ENC_INT16;
      buffer.writeInt16LE(value, this.length);
      this.length += 2;
    } else if (value >= INT32_MIN && value <= INT32_MAX) {
      buffer[this.length++] = 0xc0 | RDB_ENC_INT32;
      buffer.writeInt32LE(value, this.length);
      this.length += 4;
    } else {
      return false;
    }
    return true;
  }

  /** A string value as Redis saves it: int-encoded numbers, raw or LZF-compressed text. */
  writeValueString(value: string | number): void {
    if (typeof value === 'number') {
      if (!this.writeEncodedInteger(value)) this.writeRawString(String(value));
      return;
    }
    this.writeString(value);
  }

  /** A latin1 string (Redis's rdbSaveRawString): integer encoding, then LZF, then raw. */
  writeString(text: string): void {
    const length = text.length;
    if (length <= 11 && length > 0) {
      const number = encodeString(text);
      if (typeof number === 'number' && this.writeEncodedInteger(number)) return;
    }
    if (this.compress && length > COMPRESS_MIN_LENGTH && this.writeCompressed(Buffer.from(text, 'latin1')))
      return;
    this.writeRawString(text);
  }

  /** A binary blob (ziplist, intset) as a string: LZF when it saves space, else raw. */
  writeBlob(bytes: Uint8Array): void {
    if (this.compress && bytes.length > COMPRESS_MIN_LENGTH && this.writeCompressed(bytes)) return;
    this.writeLength(bytes.length);
    this.bytes(bytes);
  }

  private writeRawString(text: string): void {
    this.writeLength(text.length);
    this.latin1(text);
  }

  private writeCompressed(bytes: Uint8Array): boolean {
    // Redis keeps the compressed form only when it saves at least 4 bytes.
    const compressed = lzfCompress(bytes, bytes.length - 4);
    if (compressed === undefined) return false;
    this.byte(0xc0 | RDB_ENC_LZF);
    this.writeLength(compressed.length);
    this.writeLength(bytes.length);
    this.bytes(compressed);
    return true;
  }

  /**
   * A double as length-prefixed text (RDB_TYPE_ZSET scores): 253 NaN, 254 +inf, 255 -inf; integers
   * within 2^52 printed as integers, others with %.17g (Redis's rdbSaveDoubleValue).
   */
  writeDouble(value: number): void {
    if (Number.isNaN(value)) {
      this.byte(253);
      return;
    }
    if (!Number.isFinite(value)) {
      this.byte(value < 0 ? 255 : 254);
      return;
    }
    const text =
      value > -4503599627370495 && value < 4503599627370496 && Number.isInteger(value)
        ? String(value === 0 ? 0 : value)
        : (shortExactDecimal(value) ?? formatDouble(value));
    this.byte(text.length);
    this.latin1(text);
  }

  /** The bytes written so far (a view of the internal buffer). */
  view(): Buffer {
    return this.buffer.subarray(0, this.length);
  }
}
