// Honest memory accounting: used_memory is what V8 says the process holds (heap in use plus
// external memory such as Buffers; of the value arena, the chunks that hold values, not its free
// ones), not a sum of guesses. Reading the heap statistics costs a few microseconds, so the
// reading is cached for REFRESH_MS; in between, the bytes received since the reading stand in for
// what the writes added. Two corrections keep garbage out of the figure:
// the young generation is mostly short-lived request garbage until the next scavenge, so it counts
// for at most the bytes received since the last collection; and keys the server dropped
// (eviction) are subtracted until a full collection that started after they were dropped reclaims
// them. The start time matters: V8 reports a collection to JavaScript only after the event loop
// comes round, and a busy server evicts in between; forgetting those later drops as well counted
// them as used memory again and made eviction empty the keyspace under load.
import { constants, PerformanceObserver, performance } from 'node:perf_hooks';
import { getHeapSpaceStatistics, getHeapStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { valueArena } from '../keyspace/value-arena.ts';

/** How long a heap reading is trusted. */
const REFRESH_MS = 5;

export interface MemorySample {
  heapUsed: number;
  heapTotal: number;
  /** Memory outside the heap (Buffers...), without the value arena's pages: used() adds its values. */
  external: number;
  /** Part of heapUsed in the young generation (new space and new large objects). */
  young: number;
}

/** Reads V8's heap statistics (injectable for tests). */
export type HeapReader = () => MemorySample;

export function readHeap(): MemorySample {
  const stats = getHeapStatistics();
  let young = 0;
  for (const space of getHeapSpaceStatistics())
    if (space.space_name.startsWith('new_')) young += space.space_used_size;
  return {
    heapUsed: stats.used_heap_size,
    heapTotal: stats.total_heap_size,
    external: stats.external_memory - valueArena.reservedBytes,
    young,
  };
}

/**
 * Shortest pause between two forced collections, and their cost cap (share of wall time): routine
 * ones before evicting, urgent ones before refusing a write with OOM.
 */
const MIN_COLLECTION_INTERVAL_MS = 1000;
const MAX_COLLECTION_SHARE = 0.05;
const MIN_URGENT_INTERVAL_MS = 100;
const MAX_URGENT_SHARE = 0.2;

/** V8's full garbage collection, when it can be exposed; undefined otherwise. */
function exposeGarbageCollector(): (() => void) | undefined {
  try {
    setFlagsFromString('--expose-gc');
    const collect = runInNewContext('gc') as unknown;
    return typeof collect === 'function' ? (collect as () => void) : undefined;
  } catch {
    return undefined;
  }
}

export class MemoryAccounting {
  /** used_memory right after start-up (startup.allocated). */
  readonly startup: number;
  /** The highest used_memory seen (used_memory_peak). */
  peak = 0;
  private sample: MemorySample;
  private sampledAt = Number.NEGATIVE_INFINITY;
  private inputAtSample = 0;
  /** net_input_bytes when the last garbage collection was seen. */
  private inputAtCollection = 0;
  /** Bytes of keys dropped and not yet reclaimed by a full garbage collection. */
  private pendingFreed = 0;
  /** When keys were dropped (performance.now()) and how many bytes, oldest first from freedHead. */
  private readonly freedAt: number[] = [];
  private readonly freedBytes: number[] = [];
  private freedHead = 0;
  private readonly readInput: () => number;
  private readonly readHeapStats: HeapReader;
  private observer: PerformanceObserver | undefined;
  private collector: (() => void) | undefined | null = null;
  private nextCollectionAt = 0;
  private nextUrgentCollectionAt = 0;

  /** `readInput` returns the total bytes received from clients (net_input_bytes). */
  constructor(readInput: () => number, readHeapStats: HeapReader = readHeap) {
    this.readInput = readInput;
    this.readHeapStats = readHeapStats;
    this.sample = readHeapStats();
    this.startup = this.sample.heapUsed + this.sample.external;
    this.peak = this.startup;
  }

  /** Starts watching garbage collections (a full one reclaims what pendingFreed stands for). */
  watchGarbageCollection(): void {
    if (this.observer !== undefined) return;
    this.observer = new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) {
        const kind = (entry as unknown as { detail?: { kind?: number } }).detail?.kind;
        if (kind === constants.NODE_PERFORMANCE_GC_MAJOR) this.fullCollectionSeen(entry.startTime);
        else this.collectionSeen();
      }
    });
    this.observer.observe({ entryTypes: ['gc'] });
  }

  /**
   * A full collection that started at `startedAt` (performance.now() time) ran: what was dropped
   * before it is gone from the heap; read it again.
   */
  fullCollectionSeen(startedAt: number): void {
    const at = this.freedAt;
    const bytes = this.freedBytes;
    let head = this.freedHead;
    while (head < at.length && (at[head] as number) < startedAt) this.pendingFreed -= bytes[head++] as number;
    if (head === at.length) {
      at.length = 0;
      bytes.length = 0;
      head = 0;
      this.pendingFreed = 0;
    } else if (head > 1024) {
      at.splice(0, head);
      bytes.splice(0, head);
      head = 0;
    }
    this.freedHead = head;
    this.collectionSeen();
  }

  /** Bytes of dropped keys a full collection has not reclaimed yet. */
  unreclaimed(): number {
    return this.pendingFreed;
  }

  /** Any collection empties the young generation: count young bytes from here. */
  collectionSeen(): void {
    this.inputAtCollection = this.readInput();
    this.sampledAt = Number.NEGATIVE_INFINITY;
  }

  close(): void {
    this.observer?.disconnect();
    this.observer = undefined;
  }

  private refresh(now: number): void {
    this.sample = this.readHeapStats();
    this.sampledAt = now;
    this.inputAtSample = this.readInput();
  }

  /** used_memory in bytes. */
  used(): number {
    const now = performance.now();
    if (now - this.sampledAt >= REFRESH_MS) this.refresh(now);
    const sample = this.sample;
    const input = this.readInput();
    const written = input - this.inputAtSample;
    // Young objects that outlive the next scavenge came from requests: cap them by input bytes.
    const young = Math.min(sample.young + written, input - this.inputAtCollection);
    // The arena's values are counted as they are now: they are freed at once, not by a collection.
    const measured = sample.heapUsed - sample.young + young + sample.external + valueArena.usedBytes;
    // Never below start-up: an over-estimate of what was dropped must not hide real growth.
    const used = Math.max(measured - this.pendingFreed, Math.min(measured, this.startup));
    if (used > this.peak) this.peak = used;
    return used;
  }

  /** The last heap reading, refreshed if stale (MEMORY STATS allocator fields). */
  heap(): MemorySample {
    const now = performance.now();
    if (now - this.sampledAt >= REFRESH_MS) this.refresh(now);
    return this.sample;
  }

  /**
   * Runs a full garbage collection so the next reading holds no garbage; rate-limited so forced
   * collections take a bounded share of the time. Returns whether it ran. Used before evicting
   * (routine) and before refusing a write (urgent): garbage must not cost data or an OOM.
   */
  collectGarbage(urgent = false, always = false): boolean {
    const now = performance.now();
    if (!always && now < (urgent ? this.nextUrgentCollectionAt : this.nextCollectionAt)) return false;
    if (this.collector === null) this.collector = exposeGarbageCollector();
    if (this.collector === undefined) return false;
    this.collector();
    const took = performance.now() - now;
    this.nextCollectionAt = now + Math.max(MIN_COLLECTION_INTERVAL_MS, took / MAX_COLLECTION_SHARE);
    this.nextUrgentCollectionAt = now + Math.max(MIN_URGENT_INTERVAL_MS, took / MAX_URGENT_SHARE);
    // Nothing runs between `now` and the collection: every drop noted before it is reclaimed.
    this.fullCollectionSeen(now);
    return true;
  }

  /** Keys worth `bytes` were dropped at `at`: count them as gone before V8 collects them. */
  noteFreed(bytes: number, at: number = performance.now()): void {
    if (bytes <= 0) return;
    this.pendingFreed += bytes;
    const last = this.freedAt.length - 1;
    // Drops within a millisecond share one record: the queue stays short between collections.
    if (last >= this.freedHead && at - (this.freedAt[last] as number) < 1)
      this.freedBytes[last] = (this.freedBytes[last] as number) + bytes;
    else {
      this.freedAt.push(at);
      this.freedBytes.push(bytes);
    }
  }

  /** used_memory_rss. */
  rss(): number {
    return process.memoryUsage.rss();
  }
}
