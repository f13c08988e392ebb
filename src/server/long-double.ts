// Redis computes INCRBYFLOAT and HINCRBYFLOAT in C's long double (x87 80-bit: a 64-bit significand)
// and prints the result with "%.17Lf", trailing zeros trimmed. Doubles give different digits
// (0.1 + 0.2 prints 0.3 in Redis, 0.30000000000000004 in a double), so the arithmetic is emulated
// exactly with BigInt: a value is sign × significand × 2^exponent, rounded to 64 significant bits
// half-to-even after each step, as the FPU does.
import { parseHexFloat } from './arguments.ts';

const SIGNIFICAND_BITS = 64n;
const TOP = 1n << SIGNIFICAND_BITS;
/** Largest binary exponent (of the value's top bit) an x87 long double holds. */
const MAX_EXPONENT = 16383;
const MIN_EXPONENT = -16382;

export interface LongDouble {
  negative: boolean;
  /** 0n for zero, else in [2^63, 2^64). */
  significand: bigint;
  exponent: number;
  /** Set for ±infinity. */
  infinite: boolean;
}

const ZERO: LongDouble = { negative: false, significand: 0n, exponent: 0, infinite: false };

function bitLength(value: bigint): number {
  return value === 0n ? 0 : value.toString(2).length;
}

/** Rounds |numerator / denominator| × 2^-shift... as sign × q × 2^exponent with 64 significant bits. */
function roundRational(negative: boolean, numerator: bigint, denominator: bigint): LongDouble {
  if (numerator === 0n) return { ...ZERO, negative };
  let shift = 64 - (bitLength(numerator) - bitLength(denominator));
  for (;;) {
    const scaled = shift >= 0 ? numerator << BigInt(shift) : numerator;
    const divisor = shift >= 0 ? denominator : denominator << BigInt(-shift);
    let quotient = scaled / divisor;
    if (quotient >= TOP) {
      shift--;
      continue;
    }
    if (quotient < TOP >> 1n) {
      shift++;
      continue;
    }
    const twiceRemainder = (scaled % divisor) * 2n;
    if (twiceRemainder > divisor || (twiceRemainder === divisor && (quotient & 1n) === 1n)) quotient++;
    if (quotient === TOP) {
      quotient >>= 1n;
      shift--;
    }
    return finish(negative, quotient, -shift);
  }
}

function finish(negative: boolean, significand: bigint, exponent: number): LongDouble {
  const top = exponent + 63;
  if (top > MAX_EXPONENT) return { negative, significand: 0n, exponent: 0, infinite: true };
  if (top < MIN_EXPONENT) return { ...ZERO, negative };
  return { negative, significand, exponent, infinite: false };
}

const DECIMAL = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/;

/**
 * strtold as Redis's string2ld uses it: no surrounding spaces, inf/infinity allowed, NaN refused,
 * overflow and underflow to zero refused. Undefined when invalid.
 */
export function parseLongDouble(text: string): LongDouble | undefined {
  if (text.length === 0 || text.length >= 5 * 1024) return undefined;
  const lower = text.toLowerCase();
  const unsigned = lower.replace(/^[+-]/, '');
  if (unsigned === 'inf' || unsigned === 'infinity') {
    return { negative: lower.startsWith('-'), significand: 0n, exponent: 0, infinite: true };
  }
  const match = DECIMAL.exec(text);
  if (match === null) {
    const hex = parseHexFloat(text);
    if (hex === undefined) return undefined;
    if (hex.mantissa === 0n) return { ...ZERO, negative: hex.negative };
    // Beyond these the value is surely out of a long double's range (strtold's ERANGE: refused).
    const bits = hex.mantissa.toString(2).length + hex.exponent;
    if (bits > 16400 || bits < -16500) return undefined;
    const scale = 2n ** BigInt(Math.abs(hex.exponent));
    const value =
      hex.exponent >= 0
        ? roundRational(hex.negative, hex.mantissa * scale, 1n)
        : roundRational(hex.negative, hex.mantissa, scale);
    if (value.infinite || value.significand === 0n) return undefined;
    return value;
  }
  const [, sign = '', whole = '', fraction = '', exponentText = '0'] = match;
  if (whole.length === 0 && fraction.length === 0) return undefined;
  const digits = (whole + fraction).replace(/^0+/, '');
  const negative = sign === '-';
  if (digits.length === 0) return { ...ZERO, negative };
  let exponent10 = Number(exponentText) - fraction.length;
  // Beyond these the value is surely out of range (strtold's ERANGE: refused).
  if (exponent10 + digits.length > 4935 || exponent10 + digits.length < -4960) return undefined;
  const numerator = BigInt(digits) * (exponent10 > 0 ? 10n ** BigInt(exponent10) : 1n);
  const denominator = exponent10 < 0 ? 10n ** BigInt(-exponent10) : 1n;
  exponent10 = 0;
  const value = roundRational(negative, numerator, denominator);
  if (value.infinite || value.significand === 0n) return undefined;
  return value;
}

/** a + b, rounded to a long double. */
export function addLongDouble(a: LongDouble, b: LongDouble): LongDouble {
  if (a.infinite || b.infinite) {
    if (a.infinite && b.infinite && a.negative !== b.negative)
      return { ...ZERO, infinite: true, negative: false, significand: -1n };
    return a.infinite ? a : b;
  }
  if (a.significand === 0n) return b.significand === 0n ? { ...ZERO, negative: a.negative && b.negative } : b;
  if (b.significand === 0n) return a;
  const exponent = Math.min(a.exponent, b.exponent);
  const left = (a.negative ? -a.significand : a.significand) << BigInt(a.exponent - exponent);
  const right = (b.negative ? -b.significand : b.significand) << BigInt(b.exponent - exponent);
  const sum = left + right;
  if (sum === 0n) return { ...ZERO };
  const negative = sum < 0n;
  const magnitude = negative ? -sum : sum;
  const length = bitLength(magnitude);
  if (length <= 64) {
    const up = 64 - length;
    return finish(negative, magnitude << BigInt(up), exponent - up);
  }
  const drop = BigInt(length - 64);
  let quotient = magnitude >> drop;
  const remainder = magnitude & ((1n << drop) - 1n);
  const half = 1n << (drop - 1n);
  if (remainder > half || (remainder === half && (quotient & 1n) === 1n)) quotient++;
  let resultExponent = exponent + Number(drop);
  if (quotient === TOP) {
    quotient >>= 1n;
    resultExponent++;
  }
  return finish(negative, quotient, resultExponent);
}

const doubleView = new DataView(new ArrayBuffer(8));

/** A finite double as a long double (exact: a double's 53 bits fit the 64-bit significand). */
export function longDoubleOfDouble(value: number): LongDouble {
  doubleView.setFloat64(0, value);
  const bits = doubleView.getBigUint64(0);
  const negative = bits >> 63n === 1n;
  const biased = Number((bits >> 52n) & 0x7ffn);
  const fraction = bits & 0xfffffffffffffn;
  // Subnormals have no implicit leading 1 and the exponent of the smallest normal.
  const mantissa = biased === 0 ? fraction : fraction | (1n << 52n);
  const exponent = (biased === 0 ? 1 : biased) - 1075;
  return exponent >= 0
    ? roundRational(negative, mantissa << BigInt(exponent), 1n)
    : roundRational(negative, mantissa, 1n << BigInt(-exponent));
}

/** Whether the value is NaN (inf - inf) or infinite. */
export function isNotFinite(value: LongDouble): boolean {
  return value.infinite;
}

const SCALE = 10n ** 17n;

/** printf("%.17Lf") with Redis's LD_STR_HUMAN trimming of trailing zeros (and "-0" → "0"). */
export function formatLongDoubleHuman(value: LongDouble): string {
  let scaled: bigint;
  if (value.exponent >= 0) {
    scaled = (value.significand << BigInt(value.exponent)) * SCALE;
  } else {
    const numerator = value.significand * SCALE;
    const denominator = 1n << BigInt(-value.exponent);
    scaled = numerator / denominator;
    const twiceRemainder = (numerator % denominator) * 2n;
    if (twiceRemainder > denominator || (twiceRemainder === denominator && (scaled & 1n) === 1n)) scaled++;
  }
  const whole = (scaled / SCALE).toString();
  const fraction = (scaled % SCALE).toString().padStart(17, '0').replace(/0+$/, '');
  const text = fraction.length > 0 ? `${whole}.${fraction}` : whole;
  if (text === '0') return '0';
  return value.negative ? `-${text}` : text;
}
