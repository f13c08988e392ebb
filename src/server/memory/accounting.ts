// Honest memory accounting: used_memory is what V8 says the process holds (heap in use plus
// external memory such as Buffers), not a sum of guesses. Reading the heap statistics costs a few
// microseconds, so the reading is cached for REFRESH_MS; in between, the bytes received since the
// reading stand in for what the writes added. The heap only shrinks when V8 collects garbage, so
// keys the server dropped (eviction) are subtracted until the next full collection is observed.
import { constants, PerformanceObserver, performance } from 'node:perf_hooks';
import { getHeapStatistics } from 'node:v8';

/** How long a heap reading is trusted. */
const REFRESH_MS = 5;

export interface MemorySample {
  heapUsed: number;
  heapTotal: number;
  external: number;
}

/** Reads V8's heap statistics (injectable for tests). */
export type HeapReader = () => MemorySample;

export function readHeap(): MemorySample {
  const stats = getHeapStatistics();
  return {
    heapUsed: stats.used_heap_size,
    heapTotal: stats.total_heap_size,
    external: stats.external_memory,
  };
}

export class MemoryAccounting {
  /** used_memory right after start-up (startup.allocated). */
  readonly startup: number;
  /** The highest used_memory seen (used_memory_peak). */
  peak = 0;
  private sample: MemorySample;
  private sampledAt = Number.NEGATIVE_INFINITY;
  private inputAtSample = 0;
  /** Bytes of keys dropped since the last full garbage collection. */
  private pendingFreed = 0;
  private readonly readInput: () => number;
  private readonly readHeapStats: HeapReader;
  private observer: PerformanceObserver | undefined;

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
        if (kind === constants.NODE_PERFORMANCE_GC_MAJOR) this.fullCollectionSeen();
      }
    });
    this.observer.observe({ entryTypes: ['gc'] });
  }

  /** A full collection ran: what was dropped is gone from the heap; read it again. */
  fullCollectionSeen(): void {
    this.pendingFreed = 0;
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
    const written = this.readInput() - this.inputAtSample;
    const measured = sample.heapUsed + sample.external + written;
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

  /** Keys worth `bytes` were dropped: count them as gone before V8 collects them. */
  noteFreed(bytes: number): void {
    this.pendingFreed += bytes;
  }

  /** used_memory_rss. */
  rss(): number {
    return process.memoryUsage.rss();
  }
}
