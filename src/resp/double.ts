// Redis 7.0 prints doubles with printf's "%.17g" (ZSCORE, ZADD INCR, RESP3 doubles) and the special
// values as inf, -inf and nan. JavaScript has no %g, so it is rebuilt from toExponential, with
// printf's rounding of exact ties to even (JavaScript rounds them up).

/** printf("%.17g", value) */
export function formatDouble(value: number): string {
  if (value === Number.POSITIVE_INFINITY) return 'inf';
  if (value === Number.NEGATIVE_INFINITY) return '-inf';
  if (Number.isNaN(value)) return 'nan';
  return formatG(value, 17);
}

/**
 * C's printf("%.<precision>g") as glibc prints it: exact ties round to even, a NaN shows its sign.
 * Redis uses 17 digits (ZSCORE, RESP3 doubles), Lua 5.1's tostring 14.
 */
export function formatG(value: number, precision: number): string {
  // glibc prints a NaN's sign: x86's default NaN (0/0) has it set, strtod's "nan" has not.
  if (Number.isNaN(value)) return nanIsNegative(value) ? '-nan' : 'nan';
  if (value === Infinity) return 'inf';
  if (value === -Infinity) return '-inf';
  if (value === 0) return Object.is(value, -0) ? '-0' : '0';
  const exponential = exponentialHalfEven(value, precision);
  const e = exponential.indexOf('e');
  const exponent = Number(exponential.slice(e + 1));
  const mantissa = exponential.slice(0, e);
  if (exponent < -4 || exponent >= precision) {
    const digits = String(Math.abs(exponent)).padStart(2, '0');
    return `${stripZeros(mantissa)}e${exponent < 0 ? '-' : '+'}${digits}`;
  }
  const negative = value < 0;
  const digits = mantissa.replace('-', '').replace('.', '');
  let fixed: string;
  if (exponent >= 0) fixed = `${digits.slice(0, exponent + 1)}.${digits.slice(exponent + 1)}`;
  else fixed = `0.${'0'.repeat(-exponent - 1)}${digits}`;
  return `${negative ? '-' : ''}${stripZeros(fixed)}`;
}

/**
 * value.toExponential(precision - 1), except that an exact tie rounds to even as printf does
 * (JavaScript rounds ties up): 123456789012345 at 14 digits is 1.2345678901234e+14.
 */
function exponentialHalfEven(value: number, precision: number): string {
  const rounded = value.toExponential(precision - 1);
  // A tie needs the digit after the last kept one to be 5 (or 4 rounded up at the next place).
  const next = value.toExponential(precision + 1);
  const after = next.charCodeAt((value < 0 ? 1 : 0) + precision + 1);
  if (after !== 53 && after !== 52) return rounded;
  const exact = Math.abs(value).toExponential(100);
  const e = exact.indexOf('e');
  const digits = `${exact[0]}${exact.slice(2, e)}`;
  if (digits[precision] !== '5' || !/^0*$/.test(digits.slice(precision + 1))) return rounded;
  if ((digits.charCodeAt(precision - 1) - 48) % 2 === 1) return rounded;
  const kept = digits.slice(0, precision);
  const mantissa = precision > 1 ? `${kept[0]}.${kept.slice(1)}` : kept;
  return `${value < 0 ? '-' : ''}${mantissa}${exact.slice(e)}`;
}

const nanView = new Float64Array(1);
const nanBytes = new Uint8Array(nanView.buffer);
const SIGN_BYTE = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1 ? 7 : 0;

function nanIsNegative(value: number): boolean {
  nanView[0] = value;
  return ((nanBytes[SIGN_BYTE] as number) & 0x80) !== 0;
}

function stripZeros(text: string): string {
  if (!text.includes('.')) return text;
  let end = text.length;
  while (text.charCodeAt(end - 1) === 48) end--;
  if (text.charCodeAt(end - 1) === 46) end--;
  return text.slice(0, end);
}

/**
 * C's printf("%.<precision>f") for a finite double below 1e21: value.toFixed(precision), except that
 * an exact tie rounds to even as glibc does (0.125 → "0.12"; JavaScript gives "0.13").
 */
export function formatFixed(value: number, precision: number): string {
  const rounded = value.toFixed(precision);
  // Every double below 1e21 with a fraction has at most 1074 binary places; 100 decimals cover the
  // ones a tie at `precision` can come from (a tie needs a short exact decimal expansion).
  const exact = Math.abs(value).toFixed(100);
  const dot = exact.indexOf('.');
  const tail = exact.slice(dot + 1 + precision);
  if (tail[0] !== '5' || !/^0*$/.test(tail.slice(1))) return rounded;
  const kept = exact.slice(0, precision > 0 ? dot + 1 + precision : dot);
  if ((kept.charCodeAt(kept.length - 1) - 48) % 2 === 1) return rounded;
  return `${value < 0 ? '-' : ''}${kept}`;
}
