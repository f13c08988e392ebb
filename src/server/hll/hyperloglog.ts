// Redis's HyperLogLog, byte for byte (hyperloglog.c of Redis 7.0): a string value starting with the
// 16-byte header "HYLL" + encoding + 3 unused bytes + 8-byte little-endian cached cardinality (top
// bit of the last byte = cache invalid), then 16384 6-bit registers, either dense (12288 bytes,
// little-endian bit packing) or sparse (ZERO / XZERO / VAL run-length opcodes). Every mutation
// reproduces Redis's exact byte layout, so values move between redis-server and us unchanged and
// PFCOUNT gives identical estimates.
import { hashResult, murmur64a } from './murmur64a.ts';

export const HLL_P = 14;
export const HLL_Q = 64 - HLL_P;
export const HLL_REGISTERS = 1 << HLL_P;
const HLL_P_MASK = HLL_REGISTERS - 1;
const HLL_BITS = 6;
export const HLL_REGISTER_MAX = (1 << HLL_BITS) - 1;
export const HLL_HDR_SIZE = 16;
export const HLL_DENSE_SIZE = HLL_HDR_SIZE + Math.floor((HLL_REGISTERS * HLL_BITS + 7) / 8);
export const HLL_DENSE = 0;
export const HLL_SPARSE = 1;
const HLL_MAX_ENCODING = 1;
const HLL_SEED = 0xadc83b19;
// 0.5 / ln(2): the double that Redis's literal 0.721347520444481703680 rounds to.
const HLL_ALPHA_INF = 0.7213475204444817;

const SPARSE_XZERO_BIT = 0x40;
const SPARSE_VAL_BIT = 0x80;
const SPARSE_VAL_MAX_VALUE = 32;
const SPARSE_VAL_MAX_LEN = 4;
const SPARSE_ZERO_MAX_LEN = 64;
const CARD_OFFSET = 8;

/** A mutable HLL: `data[0..length)` is the value's bytes (data may have spare room). */
export class HllBuffer {
  data: Buffer;
  length: number;

  constructor(data: Buffer, length = data.length) {
    this.data = data;
    this.length = length;
  }

  static fromString(value: string): HllBuffer {
    // Room for the up-to-3-byte growth of a sparse update, as sdsMakeRoomFor does.
    const data = Buffer.alloc(value.length + 8);
    data.latin1Write(value, 0);
    return new HllBuffer(data, value.length);
  }

  /** A new empty HLL: sparse, one XZERO opcode covering every register, cache valid at 0. */
  static create(): HllBuffer {
    const data = Buffer.alloc(HLL_HDR_SIZE + 2 + 8);
    data.latin1Write('HYLL', 0);
    data[4] = HLL_SPARSE;
    setXzero(data, HLL_HDR_SIZE, HLL_REGISTERS);
    return new HllBuffer(data, HLL_HDR_SIZE + 2);
  }

  toString(): string {
    return this.data.latin1Slice(0, this.length);
  }

  get encoding(): number {
    return this.data[4] as number;
  }

  invalidateCache(): void {
    this.data[CARD_OFFSET + 7] = (this.data[CARD_OFFSET + 7] as number) | 0x80;
  }

  /**
   * The cached cardinality, or -1 when the cache is invalid. All 63 bits count: a string written
   * over with SETRANGE can cache any value, and Redis replies it exactly.
   */
  cachedCardinality(): number | bigint {
    const data = this.data;
    if ((data[CARD_OFFSET + 7] as number) & 0x80) return -1;
    const value = data.readBigUInt64LE(CARD_OFFSET);
    return value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value;
  }

  setCachedCardinality(value: number): void {
    let rest = value;
    for (let i = 0; i < 8; i++) {
      this.data[CARD_OFFSET + i] = rest % 256;
      rest = Math.floor(rest / 256);
    }
  }

  private ensure(extra: number): void {
    if (this.length + extra <= this.data.length) return;
    const grown = Buffer.alloc(Math.max(this.data.length * 2, this.length + extra + 8));
    this.data.copy(grown, 0, 0, this.length);
    this.data = grown;
  }

  /** hllAdd: 1 when a register changed, 0 when not, -1 for a corrupted value. */
  add(element: string, sparseMaxBytes: number): number {
    murmur64a(element, HLL_SEED);
    const index = hashResult.low & HLL_P_MASK;
    const count = patternLength();
    if (this.encoding === HLL_DENSE) return denseSet(this.data, index, count);
    if (this.encoding === HLL_SPARSE) return this.sparseSet(index, count, sparseMaxBytes);
    return -1;
  }

  /** Raises a register to at least `count` (PFMERGE's write of the merged registers). */
  raise(index: number, count: number, sparseMaxBytes: number): number {
    if (this.encoding === HLL_DENSE) return denseSet(this.data, index, count);
    return this.sparseSet(index, count, sparseMaxBytes);
  }

  /** A dense HLL's register (PFDEBUG GETREG). */
  register(index: number): number {
    return getRegister(this.data, index);
  }

  /** Writes a dense HLL's register (HLL_DENSE_SET_REGISTER: any value, up or down; PFSELFTEST). */
  setRegister(index: number, value: number): void {
    setRegister(this.data, index, value);
  }

  /** A sparse HLL's opcodes as PFDEBUG DECODE prints them: `z:<run>`, `Z:<run>`, `v:<value>,<run>`. */
  describeSparse(): string {
    const data = this.data;
    const words: string[] = [];
    for (let p = HLL_HDR_SIZE; p < this.length; ) {
      const b = data[p] as number;
      if ((b & 0xc0) === 0) {
        words.push(`z:${(b & 0x3f) + 1}`);
        p++;
      } else if ((b & 0xc0) === SPARSE_XZERO_BIT) {
        words.push(`Z:${xzeroLength(data, p)}`);
        p += 2;
      } else {
        words.push(`v:${((b >> 2) & 0x1f) + 1},${(b & 3) + 1}`);
        p++;
      }
    }
    return words.join(' ');
  }

  /** hllSparseToDense: false when the sparse opcodes do not cover exactly 16384 registers. */
  toDense(): boolean {
    if (this.encoding === HLL_DENSE) return true;
    const dense = Buffer.alloc(HLL_DENSE_SIZE + 1);
    this.data.copy(dense, 0, 0, HLL_HDR_SIZE);
    dense[4] = HLL_DENSE;
    const data = this.data;
    const end = this.length;
    let index = 0;
    let p = HLL_HDR_SIZE;
    while (p < end) {
      const opcode = data[p] as number;
      if ((opcode & 0xc0) === 0) {
        index += (opcode & 0x3f) + 1;
        p++;
      } else if ((opcode & 0xc0) === SPARSE_XZERO_BIT) {
        index += xzeroLength(data, p);
        p += 2;
      } else {
        let run = (opcode & 3) + 1;
        const value = ((opcode >> 2) & 0x1f) + 1;
        if (run + index > HLL_REGISTERS) break;
        while (run--) setRegister(dense, index++, value);
        p++;
      }
    }
    if (index !== HLL_REGISTERS) return false;
    this.data = dense;
    this.length = HLL_DENSE_SIZE;
    return true;
  }

  /** hllSparseSet: the in-place opcode surgery of Redis, promoting to dense when needed. */
  sparseSet(index: number, count: number, sparseMaxBytes: number): number {
    if (count > SPARSE_VAL_MAX_VALUE) return this.promote(index, count);
    this.ensure(3);
    let data = this.data;
    const sparse = HLL_HDR_SIZE;
    let end = this.length;
    let p = sparse;
    let first = 0;
    let prev = -1;
    let span = 0;
    while (p < end) {
      const opcode = data[p] as number;
      let opLength = 1;
      if ((opcode & 0xc0) === 0) span = (opcode & 0x3f) + 1;
      else if (opcode & SPARSE_VAL_BIT) span = (opcode & 3) + 1;
      else {
        span = xzeroLength(data, p);
        opLength = 2;
      }
      if (index <= first + span - 1) break;
      prev = p;
      p += opLength;
      first += span;
    }
    if (span === 0 || p >= end) return -1;
    const opcode = data[p] as number;
    const isXzero = (opcode & 0xc0) === SPARSE_XZERO_BIT;
    let next = isXzero ? p + 2 : p + 1;
    if (next >= end) next = -1;
    const isZero = (opcode & 0xc0) === 0;
    const isVal = (opcode & SPARSE_VAL_BIT) !== 0;
    const runLength = isZero ? (opcode & 0x3f) + 1 : isXzero ? xzeroLength(data, p) : (opcode & 3) + 1;

    let updatedInPlace = false;
    if (isVal) {
      const old = ((opcode >> 2) & 0x1f) + 1;
      if (old >= count) return 0;
      if (runLength === 1) {
        data[p] = valOpcode(count, 1);
        updatedInPlace = true;
      }
    }
    if (!updatedInPlace && isZero && runLength === 1) {
      data[p] = valOpcode(count, 1);
      updatedInPlace = true;
    }
    if (!updatedInPlace) {
      // General case: split the opcode into up to three (ZERO|XZERO|VAL, VAL, ZERO|XZERO|VAL).
      const sequence: number[] = [];
      const last = first + span - 1;
      if (isZero || isXzero) {
        if (index !== first) pushZeros(sequence, index - first);
        sequence.push(valOpcode(count, 1));
        if (index !== last) pushZeros(sequence, last - index);
      } else {
        const current = ((opcode >> 2) & 0x1f) + 1;
        if (index !== first) sequence.push(valOpcode(current, index - first));
        sequence.push(valOpcode(count, 1));
        if (index !== last) sequence.push(valOpcode(current, last - index));
      }
      const oldLength = isXzero ? 2 : 1;
      const delta = sequence.length - oldLength;
      if (delta > 0 && this.length + delta > sparseMaxBytes) return this.promote(index, count);
      if (delta !== 0 && next >= 0) data.copyWithin(next + delta, next, end);
      this.length += delta;
      for (let i = 0; i < sequence.length; i++) data[p + i] = sequence[i] as number;
      end += delta;
    }

    // Merge adjacent VAL opcodes of the same value, scanning up to 5 opcodes from the previous one.
    data = this.data;
    p = prev >= 0 ? prev : sparse;
    let scan = 5;
    while (p < end && scan-- > 0) {
      const current = data[p] as number;
      if ((current & 0xc0) === SPARSE_XZERO_BIT) {
        p += 2;
        continue;
      }
      if ((current & 0xc0) === 0) {
        p++;
        continue;
      }
      if (p + 1 < end && (data[p + 1] as number) & SPARSE_VAL_BIT) {
        const following = data[p + 1] as number;
        const value = ((current >> 2) & 0x1f) + 1;
        if (value === ((following >> 2) & 0x1f) + 1) {
          const merged = (current & 3) + 1 + (following & 3) + 1;
          if (merged <= SPARSE_VAL_MAX_LEN) {
            data[p + 1] = valOpcode(value, merged);
            data.copyWithin(p, p + 1, end);
            this.length--;
            end--;
            continue;
          }
        }
      }
      p++;
    }
    this.invalidateCache();
    return 1;
  }

  private promote(index: number, count: number): number {
    if (!this.toDense()) return -1;
    return denseSet(this.data, index, count);
  }

  /** hllMerge: max[i] = max(max[i], register i). False for a corrupted sparse value. */
  mergeInto(max: Uint8Array): boolean {
    const data = this.data;
    if (this.encoding === HLL_DENSE) {
      for (let i = 0; i < HLL_REGISTERS; i++) {
        const value = getRegister(data, i);
        if (value > (max[i] as number)) max[i] = value;
      }
      return true;
    }
    let i = 0;
    let p = HLL_HDR_SIZE;
    const end = this.length;
    while (p < end) {
      const opcode = data[p] as number;
      if ((opcode & 0xc0) === 0) {
        i += (opcode & 0x3f) + 1;
        p++;
      } else if ((opcode & 0xc0) === SPARSE_XZERO_BIT) {
        i += xzeroLength(data, p);
        p += 2;
      } else {
        let run = (opcode & 3) + 1;
        const value = ((opcode >> 2) & 0x1f) + 1;
        // Past the last register: corrupted, even when the registers before were all covered
        // (Debian's redis-server 7.0.15 refuses it; the differential test found it).
        if (run + i > HLL_REGISTERS) return false;
        while (run--) {
          if (value > (max[i] as number)) max[i] = value;
          i++;
        }
        p++;
      }
    }
    return i === HLL_REGISTERS;
  }

  /** hllCount for this value: the estimate, or -1 when the sparse opcodes are corrupted. */
  count(): number {
    const histogram = new Array<number>(64).fill(0);
    const data = this.data;
    if (this.encoding === HLL_DENSE) {
      for (let i = 0; i < HLL_REGISTERS; i++) {
        const value = getRegister(data, i);
        histogram[value] = (histogram[value] as number) + 1;
      }
    } else {
      let index = 0;
      let p = HLL_HDR_SIZE;
      const end = this.length;
      while (p < end) {
        const opcode = data[p] as number;
        let run: number;
        let value = 0;
        if ((opcode & 0xc0) === 0) {
          run = (opcode & 0x3f) + 1;
          p++;
        } else if ((opcode & 0xc0) === SPARSE_XZERO_BIT) {
          run = xzeroLength(data, p);
          p += 2;
        } else {
          run = (opcode & 3) + 1;
          value = ((opcode >> 2) & 0x1f) + 1;
          p++;
        }
        index += run;
        histogram[value] = (histogram[value] as number) + run;
      }
      if (index !== HLL_REGISTERS) return -1;
    }
    return estimate(histogram);
  }
}

/** The estimate of raw 8-bit registers (the union PFCOUNT computes over several keys). */
export function countRawRegisters(registers: Uint8Array): number {
  const histogram = new Array<number>(64).fill(0);
  for (let i = 0; i < HLL_REGISTERS; i++) {
    const value = registers[i] as number;
    histogram[value] = (histogram[value] as number) + 1;
  }
  return estimate(histogram);
}

/**
 * Whether a string value is a HyperLogLog Redis would accept (isHLLObjectOrReply): long enough,
 * "HYLL" magic, a known encoding, and the exact dense size when dense.
 */
export function isHllString(value: string): boolean {
  if (value.length < HLL_HDR_SIZE) return false;
  if (value.charCodeAt(0) !== 72 || value.charCodeAt(1) !== 89) return false;
  if (value.charCodeAt(2) !== 76 || value.charCodeAt(3) !== 76) return false;
  const encoding = value.charCodeAt(4);
  if (encoding > HLL_MAX_ENCODING) return false;
  return !(encoding === HLL_DENSE && value.length !== HLL_DENSE_SIZE);
}

/** The run length of the register pattern of the last hash: trailing zeros of bits 14..63, + 1. */
function patternLength(): number {
  const lowPart = hashResult.low >>> HLL_P;
  if (lowPart !== 0) return 32 - Math.clz32(lowPart & -lowPart);
  const high = hashResult.high;
  if (high !== 0) return 32 - HLL_P + (32 - Math.clz32(high & -high));
  return HLL_Q + 1;
}

function getRegister(data: Buffer, register: number): number {
  const bit = register * HLL_BITS;
  const byte = HLL_HDR_SIZE + (bit >> 3);
  const shift = bit & 7;
  const b0 = data[byte] as number;
  const b1 = data[byte + 1] ?? 0;
  return ((b0 >> shift) | (b1 << (8 - shift))) & HLL_REGISTER_MAX;
}

function setRegister(data: Buffer, register: number, value: number): void {
  const bit = register * HLL_BITS;
  const byte = HLL_HDR_SIZE + (bit >> 3);
  const shift = bit & 7;
  data[byte] = ((data[byte] as number) & ~(HLL_REGISTER_MAX << shift) & 0xff) | ((value << shift) & 0xff);
  if (byte + 1 < HLL_DENSE_SIZE) {
    const high = 8 - shift;
    data[byte + 1] = ((data[byte + 1] as number) & ~(HLL_REGISTER_MAX >> high) & 0xff) | (value >> high);
  }
}

function denseSet(data: Buffer, register: number, count: number): number {
  if (count > getRegister(data, register)) {
    setRegister(data, register, count);
    return 1;
  }
  return 0;
}

function xzeroLength(data: Buffer, p: number): number {
  return ((((data[p] as number) & 0x3f) << 8) | (data[p + 1] as number)) + 1;
}

function setXzero(data: Buffer, p: number, length: number): void {
  const l = length - 1;
  data[p] = (l >> 8) | SPARSE_XZERO_BIT;
  data[p + 1] = l & 0xff;
}

function valOpcode(value: number, length: number): number {
  return (((value - 1) << 2) | (length - 1) | SPARSE_VAL_BIT) & 0xff;
}

function pushZeros(sequence: number[], length: number): void {
  if (length > SPARSE_ZERO_MAX_LEN) {
    const l = length - 1;
    sequence.push((l >> 8) | SPARSE_XZERO_BIT, l & 0xff);
  } else sequence.push(length - 1);
}

function sigma(x: number): number {
  if (x === 1) return Number.POSITIVE_INFINITY;
  let y = 1;
  let z = x;
  let previous: number;
  let value = x;
  do {
    value *= value;
    previous = z;
    z += value * y;
    y += y;
  } while (previous !== z);
  return z;
}

function tau(x: number): number {
  if (x === 0 || x === 1) return 0;
  let y = 1;
  let z = 1 - x;
  let previous: number;
  let value = x;
  do {
    value = Math.sqrt(value);
    previous = z;
    y *= 0.5;
    z -= (1 - value) * (1 - value) * y;
  } while (previous !== z);
  return z / 3;
}

/** Otmar Ertl's improved estimator, as Redis 5+ computes it from the register histogram. */
function estimate(histogram: number[]): number {
  const m = HLL_REGISTERS;
  let z = m * tau((m - (histogram[HLL_Q + 1] as number)) / m);
  for (let j = HLL_Q; j >= 1; j--) {
    z += histogram[j] as number;
    z *= 0.5;
  }
  z += m * sigma((histogram[0] as number) / m);
  return Math.round((HLL_ALPHA_INF * m * m) / z);
}
