// Redis 7.0 prints doubles with printf's "%.17g" (ZSCORE, ZADD INCR, RESP3 doubles) and the special
// values as inf, -inf and nan. JavaScript has no %g, so it is rebuilt from toExponential.

/** printf("%.17g", value) */
export function formatDouble(value: number): string {
  if (value === Number.POSITIVE_INFINITY) return 'inf';
  if (value === Number.NEGATIVE_INFINITY) return '-inf';
  if (Number.isNaN(value)) return 'nan';
  return formatG(value, 17);
}

/** printf("%.<precision>g", value) for a finite value. */
export function formatG(value: number, precision: number): string {
  if (value === 0) return Object.is(value, -0) ? '-0' : '0';
  const exponential = value.toExponential(precision - 1);
  const e = exponential.indexOf('e');
  const exponent = Number(exponential.slice(e + 1));
  if (exponent < -4 || exponent >= precision) {
    let mantissa = exponential.slice(0, e);
    if (mantissa.includes('.')) mantissa = mantissa.replace(/0+$/, '').replace(/\.$/, '');
    const sign = exponent < 0 ? '-' : '+';
    const digits = Math.abs(exponent);
    return `${mantissa}e${sign}${digits < 10 ? '0' : ''}${digits}`;
  }
  let fixed = value.toFixed(Math.max(0, precision - 1 - exponent));
  if (fixed.includes('.')) fixed = fixed.replace(/0+$/, '').replace(/\.$/, '');
  return fixed;
}
