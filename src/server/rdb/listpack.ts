// Listpacks element by element: a builder that lays elements out exactly as Redis 7's listpack.c
// does (the smallest integer encoding, strings that read as canonical integers stored as integers,
// Redis's back-length thresholds), so a blob we rebuild is byte-identical to Redis's; and a cursor
// that reads typed elements back with every bound and back-length checked. Stream nodes need both:
// their elements are a mix of integers (flags, ID deltas, counts) and strings.
import { backlenBytes as backlenSize, listpackInteger } from '../types/listpack-size.ts';
import { RdbFormatError } from './errors.ts';

const HEADER_SIZE = 6;
const END = 0xff;
/** The header's element count when it does not fit 16 bits (LP_HDR_NUMELE_UNKNOWN). */
const COUNT_UNKNOWN = 0xffff;
const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;

function corrupt(what: string): never {
  throw new RdbFormatError(`corrupt listpack: ${what}`);
}

/**
 * lpStringToInt64 (listpackInteger), without a bigint for the common short numbers: up to 15
 * digits a canonical decimal is exact as a number.
 */
function canonicalInteger(text: string): number | bigint | undefined {
  const length = text.length;
  if (length === 0 || length > 16) return length > 16 ? listpackInteger(text) : undefined;
  let i = 0;
  const negative = text.charCodeAt(0) === 45;
  if (negative) {
    if (length === 1) return undefined;
    i = 1;
  }
  const first = text.charCodeAt(i);
  if (first === 48) return length === 1 ? 0 : undefined;
  if (first < 49 || first > 57) return undefined;
  if (length - i > 15) return listpackInteger(text);
  let value = first - 48;
  for (let j = i + 1; j < length; j++) {
    const digit = text.charCodeAt(j) - 48;
    if (digit < 0 || digit > 9) return undefined;
    value = value * 10 + digit;
  }
  return negative ? -value : value;
}

export class ListpackBuilder {
  private buffer: Buffer;
  private length = HEADER_SIZE;
  private count = 0;

  constructor(sizeHint = 64) {
    this.buffer = Buffer.allocUnsafe(Math.max(sizeHint, 64));
  }

  private ensure(extra: number): void {
    const needed = this.length + extra;
    if (needed <= this.buffer.length) return;
    let size = this.buffer.length * 2;
    while (size < needed) size *= 2;
    const grown = Buffer.allocUnsafe(size);
    this.buffer.copy(grown, 0, 0, this.length);
    this.buffer = grown;
  }

  private backlen(size: number): void {
    const buffer = this.buffer;
    let at = this.length;
    const bytes = backlenSize(size);
    // Big-endian groups of 7 bits, every byte but the first with the high bit set.
    for (let shift = 7 * (bytes - 1); shift >= 0; shift -= 7) {
      const group = Math.floor(size / 2 ** shift) & 127;
      buffer[at++] = shift === 7 * (bytes - 1) ? group : group | 128;
    }
    this.length = at;
  }

  /** An integer element (lpAppendInteger). */
  integer(value: number | bigint): void {
    if (typeof value === 'bigint') {
      if (value >= BigInt(INT32_MIN) && value <= BigInt(INT32_MAX)) value = Number(value);
      else {
        this.ensure(10);
        this.buffer[this.length] = 0xf4;
        this.buffer.writeBigInt64LE(BigInt.asIntN(64, value), this.length + 1);
        this.length += 9;
        this.backlen(9);
        this.count++;
        return;
      }
    }
    this.ensure(10);
    const buffer = this.buffer;
    const at = this.length;
    let size: number;
    if (value >= 0 && value <= 127) {
      buffer[at] = value;
      size = 1;
    } else if (value >= -4096 && value <= 4095) {
      const raw = value < 0 ? (1 << 13) + value : value;
      buffer[at] = 0xc0 | (raw >>> 8);
      buffer[at + 1] = raw & 0xff;
      size = 2;
    } else if (value >= -32768 && value <= 32767) {
      buffer[at] = 0xf1;
      buffer.writeInt16LE(value, at + 1);
      size = 3;
    } else if (value >= -8388608 && value <= 8388607) {
      buffer[at] = 0xf2;
      buffer.writeIntLE(value, at + 1, 3);
      size = 4;
    } else if (value >= INT32_MIN && value <= INT32_MAX) {
      buffer[at] = 0xf3;
      buffer.writeInt32LE(value, at + 1);
      size = 5;
    } else {
      buffer[at] = 0xf4;
      buffer.writeBigInt64LE(BigInt(value), at + 1);
      size = 9;
    }
    this.length = at + size;
    this.backlen(size);
    this.count++;
  }

  /** A string element (lpAppend): stored as an integer when it is a canonical int64. */
  string(text: string): void {
    const integer = canonicalInteger(text);
    if (integer !== undefined) {
      this.integer(integer);
      return;
    }
    const length = text.length;
    this.ensure(length + 10);
    const buffer = this.buffer;
    let at = this.length;
    let header: number;
    if (length < 64) {
      buffer[at++] = 0x80 | length;
      header = 1;
    } else if (length < 4096) {
      buffer[at++] = 0xe0 | (length >>> 8);
      buffer[at++] = length & 0xff;
      header = 2;
    } else {
      buffer[at++] = 0xf0;
      buffer.writeUInt32LE(length, at);
      at += 4;
      header = 5;
    }
    at += buffer.latin1Write(text, at);
    this.length = at;
    this.backlen(header + length);
    this.count++;
  }

  /** The listpack: header, elements, end byte (a view valid until the builder is used again). */
  finish(): Buffer {
    this.ensure(1);
    const buffer = this.buffer;
    buffer[this.length++] = END;
    buffer.writeUInt32LE(this.length, 0);
    buffer.writeUInt16LE(Math.min(this.count, COUNT_UNKNOWN), 4);
    return buffer.subarray(0, this.length);
  }
}

/**
 * Reads a listpack's elements in order. The constructor checks the header (total bytes, end byte);
 * each read checks the element's bounds and back-length; `end()` checks the element count.
 */
export class ListpackCursor {
  private readonly lp: Buffer;
  private position = HEADER_SIZE;
  private readonly last: number;
  private readonly declaredCount: number;
  /** Elements read so far. */
  count = 0;
  /** The element last read by next(): an integer (bigint when beyond 32 bits) or a string. */
  private integerValue: number | bigint = 0;
  private stringValue: string | undefined;
  /** Set by stepOver(): string elements are checked but not copied out. */
  private skipping = false;

  constructor(bytes: Uint8Array) {
    const lp = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
    const size = lp.length;
    if (size < HEADER_SIZE + 1 || lp.readUInt32LE(0) !== size) corrupt('header');
    if (lp[size - 1] !== END) corrupt('end byte');
    this.lp = lp;
    this.last = size - 1;
    this.declaredCount = lp.readUInt16LE(4);
  }

  get atEnd(): boolean {
    return this.position >= this.last;
  }

  /** Checks that every element was read and the header's count agrees. */
  end(): void {
    if (this.position !== this.last) corrupt('data after the last element');
    if (this.declaredCount !== COUNT_UNKNOWN && this.declaredCount !== this.count) corrupt('element count');
  }

  /** Reads the next element; true when it is an integer. */
  private next(): boolean {
    const lp = this.lp;
    const last = this.last;
    const start = this.position;
    if (start >= last) corrupt('missing element');
    const b = lp[start] as number;
    let p = start;
    let integer = true;
    if (b < 0x80) {
      this.integerValue = b;
      p += 1;
    } else if (b >>> 6 === 2) {
      const length = b & 0x3f;
      p += 1;
      if (length > last - p) corrupt('element overruns');
      if (!this.skipping) this.stringValue = lp.latin1Slice(p, p + length);
      p += length;
      integer = false;
    } else if (b >>> 5 === 6) {
      if (p + 2 > last) corrupt('element overruns');
      const raw = ((b & 0x1f) << 8) | (lp[p + 1] as number);
      this.integerValue = raw >= 1 << 12 ? raw - (1 << 13) : raw;
      p += 2;
    } else if (b >>> 4 === 14) {
      if (p + 2 > last) corrupt('element overruns');
      const length = ((b & 0x0f) << 8) | (lp[p + 1] as number);
      p += 2;
      if (length > last - p) corrupt('element overruns');
      if (!this.skipping) this.stringValue = lp.latin1Slice(p, p + length);
      p += length;
      integer = false;
    } else if (b === 0xf0) {
      if (p + 5 > last) corrupt('element overruns');
      const length = lp.readUInt32LE(p + 1);
      p += 5;
      if (length > last - p) corrupt('element overruns');
      if (!this.skipping) this.stringValue = lp.latin1Slice(p, p + length);
      p += length;
      integer = false;
    } else if (b === 0xf1) {
      if (p + 3 > last) corrupt('element overruns');
      this.integerValue = lp.readInt16LE(p + 1);
      p += 3;
    } else if (b === 0xf2) {
      if (p + 4 > last) corrupt('element overruns');
      this.integerValue = lp.readIntLE(p + 1, 3);
      p += 4;
    } else if (b === 0xf3) {
      if (p + 5 > last) corrupt('element overruns');
      this.integerValue = lp.readInt32LE(p + 1);
      p += 5;
    } else if (b === 0xf4) {
      if (p + 9 > last) corrupt('element overruns');
      this.integerValue = lp.readBigInt64LE(p + 1);
      p += 9;
    } else {
      corrupt('unknown encoding');
    }
    // The back-length must say how long the element is (lpValidateNext's check).
    const size = p - start;
    const backlen = backlenSize(size);
    if (backlen > last - p) corrupt('element overruns');
    let decoded = 0;
    for (let i = 0; i < backlen; i++) decoded = decoded * 128 + ((lp[p + i] as number) & 127);
    if (decoded !== size) corrupt('back-length');
    this.position = p + backlen;
    this.count++;
    return integer;
  }

  /**
   * An integer element: a number when it was stored in 32 bits or fewer, a bigint otherwise. A
   * string element counts when it reads as a canonical integer (lpGetIntegerIfValid); otherwise the
   * listpack is corrupt.
   */
  integer(): number | bigint {
    if (this.next()) return this.integerValue;
    const parsed = listpackInteger(this.stringValue as string);
    if (parsed === undefined) corrupt('expected an integer');
    return parsed;
  }

  /** An integer element as a bigint (see integer()). */
  bigint(): bigint {
    return BigInt(this.integer());
  }

  /** An integer element that must be within [0, max] (counts and flags). */
  small(max: number): number {
    let value: number | bigint;
    if (this.next()) value = this.integerValue;
    else {
      const parsed = listpackInteger(this.stringValue as string);
      if (parsed === undefined) corrupt('expected an integer');
      value = parsed;
    }
    if (value < 0 || value > max) corrupt('count out of range');
    return Number(value);
  }

  /** Steps over an element, checked as any other, without making a string of it. */
  stepOver(): void {
    this.skipping = true;
    try {
      this.next();
    } finally {
      this.skipping = false;
    }
  }

  /** Any element as a string (integers in decimal, as Redis returns them). */
  string(): string {
    if (this.next()) return String(this.integerValue);
    return this.stringValue as string;
  }
}
