// Cursors for SCAN, HSCAN, SSCAN, ZSCAN over JS Maps and Sets. Redis's cursor is a position in its
// own hash table; ours is a handle to a live iterator kept server-side. Map and Set iterators stay
// valid under mutation (deleted entries are skipped, added ones visited), which gives SCAN's
// guarantee: every element present for the whole scan is returned. An unknown or evicted handle
// restarts the scan, which may repeat elements (allowed) but never skips one.

/** How many paused scans are remembered; the oldest is forgotten beyond that. */
const MAX_OPEN_CURSORS = 8192;

interface OpenScan {
  source: WeakRef<object>;
  iterator: Iterator<unknown>;
}

export class ScanCursors {
  private readonly open = new Map<bigint, OpenScan>();
  private nextId = BigInt(1 + Math.floor(Math.random() * 1_000_000));

  /**
   * Continues (or starts, for cursor 0) a scan of `source`, handing up to about `count` elements to
   * `emit`. Returns the cursor to continue with, 0n when the scan is complete.
   */
  scan<T>(
    source: object,
    cursor: bigint,
    count: number,
    start: () => Iterator<T>,
    emit: (item: T) => void,
  ): bigint {
    let iterator: Iterator<T> | undefined;
    if (cursor !== 0n) {
      const open = this.open.get(cursor);
      this.open.delete(cursor);
      if (open !== undefined && open.source.deref() === source) iterator = open.iterator as Iterator<T>;
    }
    iterator ??= start();
    for (let taken = 0; taken < count; taken++) {
      const next = iterator.next();
      if (next.done) return 0n;
      emit(next.value);
    }
    // Peek is impossible on JS iterators, so a scan that ended exactly at `count` takes one more call.
    const id = this.nextId++;
    if (this.open.size >= MAX_OPEN_CURSORS) {
      const oldest = this.open.keys().next();
      if (!oldest.done) this.open.delete(oldest.value);
    }
    this.open.set(id, { source: new WeakRef(source), iterator });
    return id;
  }
}
