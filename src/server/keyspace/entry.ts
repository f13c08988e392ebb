import type { StoredValue } from './value.ts';
import { ValueArena, valueArena } from './value-arena.ts';

/**
 * The access clock: milliseconds since the process started, wrapping every 2^30 ms (12.4 days),
 * so it always fits a small integer that V8 stores inline (a millisecond timestamp would cost a
 * boxed double per key). Idle times are read modulo the wrap, as Redis reads its 24-bit LRU clock.
 */
const CLOCK_ORIGIN = Date.now();
const CLOCK_WRAP = 2 ** 30;

/**
 * One key's record: its value, its expiry (absolute ms, 0 = none) and its access statistics. A
 * string of ValueArena's sizes is kept in a chunk of the arena (value-arena.ts): `value` reads it
 * back as a string, and the hot readers (GET, MGET, STRLEN) use `chunk` to skip the string.
 */
export class Entry {
  /** The value when it is not in the arena ('' while it is). */
  private held: StoredValue;
  /** The arena chunk holding the value, or -1. */
  chunk: number;
  /** The value's length when it is in the arena. */
  chunkLength: number;
  expireAt: number;
  /** Last access on the wrapping access clock (OBJECT IDLETIME, LRU eviction). */
  accessClock: number;
  /** LFU logarithmic counter (OBJECT FREQ, LFU eviction). */
  frequency: number;
  /**
   * How a string value is encoded where its bytes do not tell (OBJECT ENCODING): STRING_AUTO as
   * SET encodes it (int, embstr up to 44 bytes, raw), STRING_RAW after APPEND, SETRANGE, bit
   * commands and HLL writes, STRING_NOT_INT after INCRBYFLOAT (a string even when integral).
   */
  stringForm: number;

  constructor(value: StoredValue, now: number) {
    this.held = '';
    this.chunk = -1;
    this.chunkLength = 0;
    this.value = value;
    this.expireAt = 0;
    this.accessClock = accessClockOf(now);
    this.frequency = LFU_INIT_VALUE;
    this.stringForm = STRING_AUTO;
  }

  get value(): StoredValue {
    return this.chunk < 0 ? this.held : valueArena.read(this.chunk, this.chunkLength);
  }

  set value(value: StoredValue) {
    if (this.chunk >= 0) {
      valueArena.free(this.chunk);
      this.chunk = -1;
    }
    if (typeof value === 'string' && ValueArena.fits(value.length)) {
      this.chunk = valueArena.store(value);
      this.chunkLength = value.length;
      this.held = this.chunk < 0 ? value : '';
    } else {
      this.held = value;
    }
  }

  /** Sets the value to bytes[start, start + length) (a length ValueArena.fits), copied. */
  assignBytes(bytes: Buffer, start: number, length: number): void {
    if (this.chunk >= 0) valueArena.free(this.chunk);
    this.chunk = valueArena.storeBytes(bytes, start, length);
    this.chunkLength = length;
    this.held = this.chunk < 0 ? bytes.latin1Slice(start, start + length) : '';
  }

  /** Drops the value (the key is gone): an arena chunk is freed at once. */
  release(): void {
    if (this.chunk >= 0) {
      valueArena.free(this.chunk);
      this.chunk = -1;
      this.held = '';
    }
  }

  /** Last access in ms since the epoch (idle times beyond the clock's wrap read modulo it). */
  get accessedAt(): number {
    const now = Date.now();
    return now - ((accessClockOf(now) - this.accessClock + CLOCK_WRAP) % CLOCK_WRAP);
  }

  set accessedAt(milliseconds: number) {
    this.accessClock = accessClockOf(milliseconds);
  }
}

export function accessClockOf(milliseconds: number): number {
  return (((Math.floor(milliseconds) - CLOCK_ORIGIN) % CLOCK_WRAP) + CLOCK_WRAP) % CLOCK_WRAP;
}

export const STRING_AUTO = 0;
export const STRING_RAW = 1;
export const STRING_NOT_INT = 2;

/** New keys start with this LFU counter so they are not evicted at once (Redis's LFU_INIT_VAL). */
export const LFU_INIT_VALUE = 5;
