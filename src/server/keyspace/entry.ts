import type { StoredValue } from './value.ts';

/** One key's record: its value, its expiry (absolute ms, 0 = none) and its access statistics. */
export class Entry {
  value: StoredValue;
  expireAt: number;
  /** Last access, in ms since the epoch (OBJECT IDLETIME, LRU eviction). */
  accessedAt: number;
  /** LFU logarithmic counter (OBJECT FREQ, LFU eviction). */
  frequency: number;

  constructor(value: StoredValue, now: number) {
    this.value = value;
    this.expireAt = 0;
    this.accessedAt = now;
    this.frequency = LFU_INIT_VALUE;
  }
}

/** New keys start with this LFU counter so they are not evicted at once (Redis's LFU_INIT_VAL). */
export const LFU_INIT_VALUE = 5;
