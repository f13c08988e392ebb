// Durations and byte sizes as dashboard.toml writes them (spec/control-plane.md §12.1), parsed as
// Codis's timesize/bytesize do: Go units or a bare number (seconds / bytes), and printed in the
// largest exact unit (`"30s"`, `"5m"`, `"32mb"`, `"0"`). Durations are milliseconds internally.

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
const NS_PER: Record<string, number> = { ns: 1, us: 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 };

const SIZE_TEXT = /^\s*(-?(?:\d+\.?\d*|\.\d+))\s*([kmgtp]?b|[bkmgtp]|)\s*$/;
const DURATION_TEXT = /^\s*(-?(?:\d+\.?\d*|\.\d+))\s*([a-z]*)\s*$/;

export class UnitError extends Error {
  readonly code = 'ERR_DASHBOARD_CONFIG_UNIT';
}

export function parseSize(text: string): number {
  const m = SIZE_TEXT.exec(text);
  if (m === null) throw new UnitError(`invalid bytesize = '${text}'`);
  return Math.trunc(Number(m[1]) * (SIZE_UNITS[m[2] ?? ''] ?? 1));
}

export function formatSize(bytes: number): string {
  if (bytes === 0) return '0';
  for (const unit of ['pb', 'tb', 'gb', 'mb', 'kb'] as const) {
    const size = SIZE_UNITS[unit] as number;
    if (bytes % size === 0) return `${bytes / size}${unit}`;
  }
  return String(bytes);
}

/** A duration in ms: `30s`, `1.5s`, `5m`, `250ms`, or a bare number of seconds. */
export function parseDuration(text: string): number {
  const m = DURATION_TEXT.exec(text);
  if (m === null) throw new UnitError(`invalid timesize = '${text}'`);
  const unit = m[2] ?? '';
  const per = unit === '' ? 1e9 : NS_PER[unit];
  if (per === undefined) throw new UnitError(`time: unknown unit "${unit}" in duration "${text.trim()}"`);
  return Math.trunc(Number(m[1]) * per) / 1e6;
}

export function formatDuration(millis: number): string {
  const nanos = Math.round(millis * 1e6);
  if (nanos === 0) return '0';
  for (const unit of ['h', 'm', 's', 'ms', 'us'] as const) {
    const per = NS_PER[unit] as number;
    if (nanos % per === 0) return `${nanos / per}${unit}`;
  }
  return `${nanos}ns`;
}
