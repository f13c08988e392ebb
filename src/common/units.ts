// Sizes and durations as proxy.toml and dashboard.toml write them (spec/proxy.md §12.1,
// spec/control-plane.md §12.1), parsed the way Codis's pkg/utils/bytesize and pkg/utils/timesize
// do, and printed in their canonical ("human") form. Sizes are bytes, durations milliseconds.

const KB = 1024;
const SIZE_UNITS: Record<string, number> = {
  '': 1,
  b: 1,
  k: KB,
  kb: KB,
  m: KB ** 2,
  mb: KB ** 2,
  g: KB ** 3,
  gb: KB ** 3,
  t: KB ** 4,
  tb: KB ** 4,
  p: KB ** 5,
  pb: KB ** 5,
};

const SIZE_TEXT = /^\s*(-?[\d.]+)\s*([kmgtp]?b|[bkmgtp]|)\s*$/;
const DURATION_TEXT = /^\s*(-?[\d.]+)\s*([a-z]+|)\s*$/;
// strconv.ParseFloat's decimal form, restricted to what the `[\d.]+` of the regexes lets through.
const DECIMAL = /^-?(?:\d+\.?\d*|\.\d+)$/;

export class UnitFormatError extends Error {
  readonly code = 'ERR_CONFIG_UNIT';
}

/** A size in bytes: `128kb`, `1.5m`, `1024` (lowercase units, powers of 1024, truncated). */
export function parseSize(text: string): number {
  const m = SIZE_TEXT.exec(text);
  if (m === null || !DECIMAL.test(m[1] as string)) throw new UnitFormatError(`invalid bytesize = '${text}'`);
  const unit = SIZE_UNITS[m[2] as string] as number;
  return Math.trunc(Number(m[1]) * unit);
}

/** Codis's HumanString: `0`, else the largest of pb..kb dividing the value, else the byte count. */
export function formatSize(bytes: number): string {
  if (bytes === 0) return '0';
  for (const [unit, size] of [
    ['pb', KB ** 5],
    ['tb', KB ** 4],
    ['gb', KB ** 3],
    ['mb', KB ** 2],
    ['kb', KB],
  ] as const) {
    if (bytes % size === 0) return `${bytes / size}${unit}`;
  }
  return String(bytes);
}

const NS_PER: Record<string, number> = {
  ns: 1,
  us: 1e3,
  ms: 1e6,
  s: 1e9,
  m: 60e9,
  h: 3600e9,
};

/** A duration in milliseconds: `30s`, `1.5s`, `30m`, `250ms`, or a bare number of seconds. */
export function parseDuration(text: string): number {
  const m = DURATION_TEXT.exec(text);
  if (m === null || !DECIMAL.test(m[1] as string)) throw new UnitFormatError(`invalid timesize = '${text}'`);
  const unit = m[2] as string;
  if (unit === '') return nanosToMillis(Math.trunc(Number(m[1]) * 1e9));
  const perUnit = NS_PER[unit];
  // Go's time.ParseDuration message, for a unit it does not know.
  if (perUnit === undefined)
    throw new UnitFormatError(`time: unknown unit "${unit}" in duration "${(m[1] as string) + unit}"`);
  return nanosToMillis(Math.trunc(Number(m[1]) * perUnit));
}

function nanosToMillis(nanos: number): number {
  return nanos / 1e6;
}

/** Codis's HumanString: `0`, else the largest of h/m/s/ms/us dividing the value, else Go's text. */
export function formatDuration(millis: number): string {
  const nanos = Math.round(millis * 1e6);
  if (nanos === 0) return '0';
  for (const unit of ['h', 'm', 's', 'ms', 'us'] as const) {
    const per = NS_PER[unit] as number;
    if (nanos % per === 0) return `${nanos / per}${unit}`;
  }
  return goDurationString(nanos);
}

/** Go's time.Duration.String() (only reached for values that are not whole microseconds). */
export function goDurationString(nanos: number): string {
  if (nanos === 0) return '0s';
  const sign = nanos < 0 ? '-' : '';
  let n = Math.abs(nanos);
  if (n < 1e3) return `${sign}${n}ns`;
  if (n < 1e6) return `${sign}${trimFraction(n / 1e3)}µs`;
  if (n < 1e9) return `${sign}${trimFraction(n / 1e6)}ms`;
  let text = '';
  const hours = Math.floor(n / 3600e9);
  n -= hours * 3600e9;
  const minutes = Math.floor(n / 60e9);
  n -= minutes * 60e9;
  if (hours > 0) text += `${hours}h`;
  if (hours > 0 || minutes > 0) text += `${minutes}m`;
  const whole = Math.floor(n / 1e9);
  const frac = n - whole * 1e9;
  text += frac === 0 ? `${whole}s` : `${whole}.${String(frac).padStart(9, '0').replace(/0+$/, '')}s`;
  return sign + text;
}

function trimFraction(value: number): string {
  return String(Number(value.toFixed(9)));
}
