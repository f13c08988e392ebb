// Argument parsing with Redis's exact rules: string2ll for integers, strtod-like for floats.

const INT64_MAX = 9223372036854775807n;
const INT64_MIN = -9223372036854775808n;

/**
 * Redis's string2ll: optional '-', no '+', no leading zeros, no spaces, fits a signed 64-bit
 * integer. Returns a number when the value is a safe integer, a bigint when it is beyond 2^53, or
 * undefined when invalid.
 */
export function parseInt64(text: string): number | bigint | undefined {
  const length = text.length;
  if (length === 0 || length > 20) return undefined;
  let i = 0;
  const negative = text.charCodeAt(0) === 45;
  if (negative) {
    i = 1;
    if (length === 1) return undefined;
  }
  const first = text.charCodeAt(i);
  if (first === 48) return length === 1 ? 0 : undefined;
  if (first < 49 || first > 57) return undefined;
  let value = 0;
  for (; i < length; i++) {
    const digit = text.charCodeAt(i) - 48;
    if (digit < 0 || digit > 9) return undefined;
    value = value * 10 + digit;
  }
  if (value <= Number.MAX_SAFE_INTEGER) return negative ? -value : value;
  const big = BigInt(text);
  if (big > INT64_MAX || big < INT64_MIN) return undefined;
  return big;
}

/** A 64-bit integer argument as a number; undefined when invalid or beyond 2^53 in magnitude. */
export function parseSafeInteger(text: string): number | undefined {
  const value = parseInt64(text);
  return typeof value === 'number' ? value : undefined;
}

/**
 * A 64-bit integer argument clamped into the double range (for counts, indexes, offsets where
 * Redis accepts any long long): valid int64 text → number (approximate beyond 2^53).
 */
export function parseLongLong(text: string): number | undefined {
  const value = parseInt64(text);
  if (value === undefined) return undefined;
  return typeof value === 'bigint' ? Number(value) : value;
}

const FLOAT_PATTERN = /^[+-]?(?:(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?|inf|infinity)$/i;
const HEX_FLOAT_PATTERN = /^([+-]?)0x([0-9a-f]*)(?:\.([0-9a-f]*))?(?:p([+-]?\d+))?$/i;

export interface HexFloat {
  negative: boolean;
  /** The hex digits, fraction included, as one integer. */
  mantissa: bigint;
  /** The value is mantissa × 2^exponent. */
  exponent: number;
}

/** A C99 hexadecimal float as strtod reads it ("0x10", "0x1.8p3", "-0x.8"), or undefined. */
export function parseHexFloat(text: string): HexFloat | undefined {
  const match = HEX_FLOAT_PATTERN.exec(text);
  if (match === null) return undefined;
  const whole = match[2] ?? '';
  const fraction = match[3] ?? '';
  if (whole.length + fraction.length === 0) return undefined;
  const exponent = Number(match[4] ?? '0') - 4 * fraction.length;
  if (!Number.isSafeInteger(exponent)) return undefined;
  return { negative: match[1] === '-', mantissa: BigInt(`0x${whole}${fraction}`), exponent };
}

/** A hexadecimal float's value as a double (Infinity beyond the range, 0 below it). */
export function hexFloatValue(hex: HexFloat): number {
  let mantissa = Number(hex.mantissa);
  let exponent = hex.exponent;
  // Scaled in steps: 2 ** exponent alone may overflow or underflow where the product does not.
  while (exponent > 1000) {
    mantissa *= 2 ** 1000;
    exponent -= 1000;
  }
  while (exponent < -1000 && mantissa !== 0) {
    mantissa *= 2 ** -1000;
    exponent += 1000;
  }
  const magnitude = mantissa * 2 ** exponent;
  return hex.negative ? -magnitude : magnitude;
}

/**
 * Redis's string2d/strtold rules for float arguments: no spaces, `inf`/`-inf`/`+inf` accepted,
 * NaN refused. Returns undefined when invalid.
 */
export function parseFloatArgument(text: string): number | undefined {
  if (text.length === 0 || text.length > 5120) return undefined;
  if (!FLOAT_PATTERN.test(text)) {
    const hex = parseHexFloat(text);
    if (hex === undefined) return undefined;
    const value = hexFloatValue(hex);
    // strtod's ERANGE: a non-zero value that underflows to zero.
    return value === 0 && hex.mantissa !== 0n ? undefined : value;
  }
  const lower = text.toLowerCase();
  if (lower.endsWith('inf') || lower.endsWith('infinity')) {
    return lower.startsWith('-') ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY;
  }
  const value = Number(text);
  return Number.isNaN(value) ? undefined : value;
}

/** Case-insensitive comparison of an argument with a lowercase keyword. */
export function isKeyword(argument: string, lowercaseKeyword: string): boolean {
  return argument.length === lowercaseKeyword.length && argument.toLowerCase() === lowercaseKeyword;
}

/** Redis's SCAN cursor parse (strtoul, base 10): undefined when invalid. */
export function parseCursor(text: string): bigint | undefined {
  if (!/^[+-]?\d+$/.test(text)) return undefined;
  let value = BigInt(text);
  const max = (1n << 64n) - 1n;
  if (value < 0n) {
    if (-value > max) return undefined;
    value = (1n << 64n) + value;
  }
  if (value > max) return undefined;
  return value;
}

/** 2^63 as a double: the bound of Redis's signed 64-bit arithmetic, for range checks on doubles. */
export const INT64_LIMIT = 2 ** 63;
