// Go's `time.Time.String()` format, used by Codis for `start_time` in the topom and proxy records:
// `2026-11-25 01:32:32.844359033 +0000 UTC m=+0.004552902`. We write it in UTC and read it back to
// tell a live lock holder from a recycled pid.

function pad(n: number, width: number): string {
  return String(n).padStart(width, '0');
}

/**
 * Formats an instant like Go's Time.String() in UTC: the fraction has trailing zeros trimmed (and is
 * left out when zero), then the zone, then the monotonic clock reading in seconds since the process
 * started, which Go appends for times taken with time.Now().
 */
export function goTimeString(epochNanos: bigint, monotonicSeconds?: number): string {
  const ms = Number(epochNanos / 1_000_000n);
  const date = new Date(ms);
  const nanos = Number(((epochNanos % 1_000_000_000n) + 1_000_000_000n) % 1_000_000_000n);
  const fraction = nanos === 0 ? '' : `.${pad(nanos, 9).replace(/0+$/, '')}`;
  const text =
    `${pad(date.getUTCFullYear(), 4)}-${pad(date.getUTCMonth() + 1, 2)}-${pad(date.getUTCDate(), 2)} ` +
    `${pad(date.getUTCHours(), 2)}:${pad(date.getUTCMinutes(), 2)}:${pad(date.getUTCSeconds(), 2)}` +
    `${fraction} +0000 UTC`;
  if (monotonicSeconds === undefined) return text;
  const sign = monotonicSeconds < 0 ? '-' : '+';
  return `${text} m=${sign}${Math.abs(monotonicSeconds).toFixed(9)}`;
}

/** Now, as the current process would print time.Now() (nanosecond wall clock, process uptime). */
export function goTimeNow(): string {
  const nanos = BigInt(Math.round((performance.timeOrigin + performance.now()) * 1_000_000));
  return goTimeString(nanos, process.uptime());
}

const GO_TIME = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))? ([+-])(\d{2})(\d{2})\b/;

/** Milliseconds since the epoch of a Go time string in any zone, or undefined if it is not one. */
export function parseGoTime(text: string): number | undefined {
  const m = GO_TIME.exec(text);
  if (m === null) return undefined;
  const [, y, mo, d, h, mi, s, frac, sign, oh, om] = m;
  const utc = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s));
  const fractionMs = frac === undefined ? 0 : Number(`0.${frac}`) * 1000;
  const offsetMs = (Number(oh) * 60 + Number(om)) * 60_000 * (sign === '-' ? -1 : 1);
  const result = utc + fractionMs - offsetMs;
  return Number.isFinite(result) ? result : undefined;
}
