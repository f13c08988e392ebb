// The time commands see, from one clock read per request. Date.now() and performance.now() each
// cost ~50 ns on this kind of machine, a few percent of a GET, and a request used to read three
// clocks; now it reads performance.now() once, for its command's timing and, plus an offset, for
// the wall-clock time its command sees.
import { performance } from 'node:perf_hooks';

export class WallClock {
  /** Date.now() minus performance.now(). */
  private offset: number;
  private readonly wall: () => number;
  private readonly monotonic: () => number;

  constructor(wall: () => number = Date.now, monotonic: () => number = () => performance.now()) {
    this.wall = wall;
    this.monotonic = monotonic;
    this.offset = wall() - monotonic();
  }

  /** Wall-clock ms at a performance.now() reading. */
  at(monotonic: number): number {
    return Math.floor(monotonic + this.offset);
  }

  /** Wall-clock ms now. */
  now(): number {
    return Math.floor(this.monotonic() + this.offset);
  }

  /**
   * Follows a wall clock that was set, or drifted by a millisecond or more (called periodically).
   * Not re-sampled while the two agree: the sub-millisecond noise of sampling both would move the
   * time commands see back and forth.
   */
  follow(): void {
    const drift = this.wall() - (this.monotonic() + this.offset);
    if (drift >= 1 || drift <= -1) this.offset += drift;
  }
}
