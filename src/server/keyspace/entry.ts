import type { StoredValue } from './value.ts';

/**
 * The access clock's origin. Access times are kept as whole seconds since it, so they stay small
 * integers (V8 stores those inline; a millisecond timestamp would cost a boxed double per key).
 * Redis's LRU clock has the same one-second resolution.
 */
const CLOCK_ORIGIN = Date.now();

/** One key's record: its value, its expiry (absolute ms, 0 = none) and its access statistics. */
export class Entry {
  value: StoredValue;
  expireAt: number;
  /** Last access, in seconds since CLOCK_ORIGIN (OBJECT IDLETIME, LRU eviction). */
  accessClock: number;
  /** LFU logarithmic counter (OBJECT FREQ, LFU eviction). */
  frequency: number;

  constructor(value: StoredValue, now: number) {
    this.value = value;
    this.expireAt = 0;
    this.accessClock = accessClockOf(now);
    this.frequency = LFU_INIT_VALUE;
  }

  /** Last access in ms since the epoch, at one-second resolution. */
  get accessedAt(): number {
    return CLOCK_ORIGIN + this.accessClock * 1000;
  }

  set accessedAt(milliseconds: number) {
    this.accessClock = accessClockOf(milliseconds);
  }
}

export function accessClockOf(milliseconds: number): number {
  return Math.floor((milliseconds - CLOCK_ORIGIN) / 1000);
}

/** New keys start with this LFU counter so they are not evicted at once (Redis's LFU_INIT_VAL). */
export const LFU_INIT_VALUE = 5;
