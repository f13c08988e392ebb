// Reads RDB primitives from a buffer with a cursor. Every read checks its bounds and every claimed
// length is checked against the bytes left before anything is allocated, so a truncated or hostile
// payload raises RdbFormatError instead of overrunning, looping or allocating without limit.
import {
  RDB_32BITLEN,
  RDB_64BITLEN,
  RDB_ENC_INT8,
  RDB_ENC_INT16,
  RDB_ENC_INT32,
  RDB_ENC_LZF,
  RDB_ENCVAL,
} from './constants.ts';
import { RdbFormatError } from './errors.ts';
import { lzfDecompress } from './lzf.ts';

/** A back reference of 3 bytes expands to at most 264 bytes: LZF cannot expand more than this. */
const LZF_MAX_RATIO = 90;

export class RdbReader {
  readonly buffer: Buffer;
  position: number;
  readonly end: number;

  constructor(buffer: Buffer, start = 0, end = buffer.length) {
    this.buffer = buffer;
    this.position = start;
    this.end = end;
  }

  get remaining(): number {
    return this.end - this.position;
  }

  private need(count: number): void {
    if (count > this.end - this.position) throw new RdbFormatError('unexpected end of data');
  }

  readByte(): number {
    this.need(1);
    return this.buffer[this.position++] as number;
  }

  readBytes(count: number): Buffer {
    this.need(count);
    const start = this.position;
    this.position += count;
    return this.buffer.subarray(start, start + count);
  }

  /** A length; throws on the special string encodings (11xxxxxx). */
  readLength(): number {
    const first = this.readByte();
    const kind = first >>> 6;
    if (kind === 0) return first & 0x3f;
    if (kind === 1) return ((first & 0x3f) << 8) | this.readByte();
    if (first === RDB_32BITLEN) {
      this.need(4);
      const value = this.buffer.readUInt32BE(this.position);
      this.position += 4;
      return value;
    }
    if (first === RDB_64BITLEN) {
      this.need(8);
      const value = this.buffer.readBigUInt64BE(this.position);
      this.position += 8;
      if (value > BigInt(Number.MAX_SAFE_INTEGER)) throw new RdbFormatError('length out of range');
      return Number(value);
    }
    throw new RdbFormatError('unknown length encoding');
  }

  /** A length over the whole unsigned 64-bit range (stream IDs and counters). */
  readLengthBig(): bigint {
    if (this.position < this.end && this.buffer[this.position] === RDB_64BITLEN) {
      this.position++;
      this.need(8);
      const value = this.buffer.readBigUInt64BE(this.position);
      this.position += 8;
      return value;
    }
    return BigInt(this.readLength());
  }

  /** A time in milliseconds: 8 bytes, little-endian signed (rdbLoadMillisecondTime). */
  readMillisecondTime(): number {
    this.need(8);
    const value = this.buffer.readBigInt64LE(this.position);
    this.position += 8;
    return Number(value);
  }

  /** A count of elements that each take at least `minBytes`: refused when the data cannot hold them. */
  readCount(minBytes = 1): number {
    const count = this.readLength();
    if (count * minBytes > this.remaining) throw new RdbFormatError('element count beyond the data');
    return count;
  }

  /** A string as a latin1 JS string. */
  readString(): string {
    const first = this.readByte();
    if (first >>> 6 !== RDB_ENCVAL) {
      this.position--;
      const length = this.readLength();
      this.need(length);
      const start = this.position;
      this.position += length;
      return this.buffer.latin1Slice(start, start + length);
    }
    const encoding = first & 0x3f;
    if (encoding === RDB_ENC_LZF) return Buffer.from(this.readLzf()).latin1Slice();
    return String(this.readEncodedInteger(encoding));
  }

  /** A string as bytes (ziplist, listpack and intset blobs): a view of the input when not compressed. */
  readBlob(): Uint8Array {
    const first = this.readByte();
    if (first >>> 6 !== RDB_ENCVAL) {
      this.position--;
      return this.readBytes(this.readLength());
    }
    const encoding = first & 0x3f;
    if (encoding === RDB_ENC_LZF) return this.readLzf();
    return Buffer.from(String(this.readEncodedInteger(encoding)), 'latin1');
  }

  private readEncodedInteger(encoding: number): number {
    if (encoding === RDB_ENC_INT8) {
      this.need(1);
      return this.buffer.readInt8(this.position++);
    }
    if (encoding === RDB_ENC_INT16) {
      this.need(2);
      const value = this.buffer.readInt16LE(this.position);
      this.position += 2;
      return value;
    }
    if (encoding === RDB_ENC_INT32) {
      this.need(4);
      const value = this.buffer.readInt32LE(this.position);
      this.position += 4;
      return value;
    }
    throw new RdbFormatError('unknown string encoding');
  }

  private readLzf(): Uint8Array {
    const compressedLength = this.readLength();
    const length = this.readLength();
    this.need(compressedLength);
    if (length === 0 || length > compressedLength * LZF_MAX_RATIO + 64)
      throw new RdbFormatError('invalid LZF lengths');
    const compressed = this.readBytes(compressedLength);
    const bytes = lzfDecompress(compressed, length);
    if (bytes === undefined) throw new RdbFormatError('invalid LZF compressed string');
    return bytes;
  }

  /** A double as length-prefixed text (253 NaN, 254 +inf, 255 -inf). */
  readDouble(): number {
    const length = this.readByte();
    if (length === 253) return Number.NaN;
    if (length === 254) return Number.POSITIVE_INFINITY;
    if (length === 255) return Number.NEGATIVE_INFINITY;
    const text = this.readBytes(length).latin1Slice();
    const value = parseScore(text);
    if (value === undefined) throw new RdbFormatError('invalid double value');
    return value;
  }

  /** A little-endian IEEE 754 double (RDB_TYPE_ZSET_2). */
  readBinaryDouble(): number {
    this.need(8);
    const value = this.buffer.readDoubleLE(this.position);
    this.position += 8;
    return value;
  }
}

const NUMBER_PREFIX = /^\s*[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?/;
const SPECIAL_PREFIX = /^\s*([+-]?)(inf|nan)/i;

/**
 * A score stored as text (zset ziplists and RDB doubles), read the way strtod/sscanf("%lg") do: the
 * longest numeric prefix counts, trailing bytes are ignored.
 */
export function parseScore(text: string): number | undefined {
  const number = NUMBER_PREFIX.exec(text);
  if (number !== null) return Number(number[0]);
  const special = SPECIAL_PREFIX.exec(text);
  if (special === null) return undefined;
  if ((special[2] as string).toLowerCase() === 'nan') return Number.NaN;
  return special[1] === '-' ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY;
}
