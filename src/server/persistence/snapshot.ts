// A point-in-time view of every database, read incrementally across event-loop turns while clients
// keep writing: Redis forks for this; we have no fork(), so we copy on write per key instead.
//
// How it stays consistent:
// - At the start we keep, for every database, the array of its 1024 slot maps (references only).
//   FLUSHDB/FLUSHALL install fresh maps and SWAPDB exchanges map objects, so the maps we hold keep
//   the data they had (they are identified by identity, not by database index).
// - Every change to a key first calls Database.writeObserver(map, key) (Database's mutators and
//   the write lookup commands use before changing a value in place). When that map has not been
//   written out yet and the key was not written yet, we keep the key's pre-image: a clone of its
//   value and its expiry, or "absent" when the key did not exist at the start.
// - Maps are written one after the other. Keys of the current map are taken from a live iterator;
//   a key with a pre-image is skipped there and written from its pre-image when the map is done.
// - Keys already expired at the start are not written (as Redis does for keys it would not load),
//   except on a replica (`includeExpired`): there a key stays until its master's DEL, and a
//   replica of ours must get it too, for that DEL to find it.
import { performance } from 'node:perf_hooks';
import type { Entry } from '../keyspace/entry.ts';
import type { StoredValue } from '../keyspace/value.ts';
import type { CodisServer } from '../server.ts';

/** Receives the snapshot's contents in order: per database, its keys. */
export interface SnapshotSink {
  /** A database with keys at the start begins (sizes as at the start, a hint). */
  beginDatabase(index: number, size: number, expires: number): void;
  key(key: string, value: StoredValue, expireAt: number): void;
}

interface PreImage {
  readonly value: StoredValue;
  readonly expireAt: number;
}

type SlotMap = Map<string, Entry>;

/** A value that is not changed by later writes: strings are immutable, collections are cloned. */
function frozenCopy(value: StoredValue): StoredValue {
  return typeof value === 'object' ? value.clone() : value;
}

export class Snapshot {
  readonly startedAt: number;
  private readonly server: CodisServer;
  private readonly sink: SnapshotSink;
  /** Per database index: the slot maps as at the start (empty databases: undefined). */
  private readonly views: Array<SlotMap[] | undefined>;
  private readonly sizes: Array<[number, number]>;
  /** Maps not completely written yet (including the current one). */
  private readonly pending = new Set<SlotMap>();
  private readonly preImages = new Map<SlotMap, Map<string, PreImage | null>>();
  private databaseIndex = 0;
  private slotIndex = 0;
  private current: SlotMap | undefined;
  private iterator: Iterator<[string, Entry]> | undefined;
  /** Keys of the current map already written from the live map. */
  private readonly currentDone = new Set<string>();
  private databaseStarted = false;
  private observing = false;
  finished = false;
  /** Keys written so far. */
  written = 0;
  /** Writes keys whose expiry passed before the start (0), or drops them (the start time). */
  private readonly expiredBefore: number;

  /**
   * `observe` false for a snapshot written completely in the current turn (SAVE): no write can
   * happen meanwhile, so no pre-image is needed.
   */
  constructor(server: CodisServer, sink: SnapshotSink, observe = true, includeExpired = false) {
    this.server = server;
    this.sink = sink;
    this.startedAt = Date.now();
    this.expiredBefore = includeExpired ? 0 : this.startedAt;
    this.views = [];
    this.sizes = [];
    for (const database of server.databases) {
      this.sizes.push([database.size, database.volatileKeys.size]);
      if (database.size === 0) {
        this.views.push(undefined);
        continue;
      }
      const maps = database.slots.slice();
      for (const map of maps) if (map.size > 0) this.pending.add(map);
      this.views.push(maps);
    }
    if (!observe) return;
    const observer = (map: SlotMap, key: string): void => this.beforeWrite(map, key);
    for (const database of server.databases) database.writeObserver = observer;
    this.observing = true;
  }

  private beforeWrite(map: SlotMap, key: string): void {
    if (!this.pending.has(map)) return;
    if (map === this.current && this.currentDone.has(key)) return;
    let images = this.preImages.get(map);
    if (images === undefined) {
      images = new Map();
      this.preImages.set(map, images);
    } else if (images.has(key)) {
      return;
    }
    const entry = map.get(key);
    if (entry === undefined || (entry.expireAt !== 0 && entry.expireAt <= this.expiredBefore))
      images.set(key, null);
    else images.set(key, { value: frozenCopy(entry.value), expireAt: entry.expireAt });
  }

  /**
   * Writes keys until `budgetMs` has passed (Infinity: to the end). Returns true when the
   * snapshot is complete.
   */
  step(budgetMs: number): boolean {
    if (this.finished) return true;
    const deadline =
      budgetMs === Number.POSITIVE_INFINITY ? Number.POSITIVE_INFINITY : performance.now() + budgetMs;
    let sinceCheck = 0;
    while (this.databaseIndex < this.views.length) {
      const maps = this.views[this.databaseIndex];
      if (maps === undefined || this.slotIndex >= maps.length) {
        this.databaseIndex++;
        this.slotIndex = 0;
        this.databaseStarted = false;
        continue;
      }
      if (!this.databaseStarted) {
        const [size, expires] = this.sizes[this.databaseIndex] as [number, number];
        this.sink.beginDatabase(this.databaseIndex, size, expires);
        this.databaseStarted = true;
      }
      if (this.current === undefined) {
        const map = maps[this.slotIndex] as SlotMap;
        if (!this.pending.has(map)) {
          this.slotIndex++;
          continue;
        }
        this.current = map;
        this.iterator = map.entries();
      }
      const map = this.current;
      const iterator = this.iterator as Iterator<[string, Entry]>;
      // No write can happen during this loop (one event-loop turn), so the pre-images are fixed.
      const images = this.preImages.get(map);
      for (;;) {
        const next = iterator.next();
        if (next.done === true) break;
        const [key, entry] = next.value;
        if (images?.has(key)) continue;
        this.currentDone.add(key);
        if (entry.expireAt === 0 || entry.expireAt > this.expiredBefore) {
          this.sink.key(key, entry.value, entry.expireAt);
          this.written++;
        }
        if (++sinceCheck >= 256) {
          sinceCheck = 0;
          if (performance.now() >= deadline) return false;
        }
      }
      // The map is done: the keys changed meanwhile are written as they were at the start.
      const kept = this.preImages.get(map);
      if (kept !== undefined) {
        for (const [key, image] of kept) {
          if (image === null) continue;
          this.sink.key(key, image.value, image.expireAt);
          this.written++;
        }
        this.preImages.delete(map);
      }
      this.pending.delete(map);
      this.currentDone.clear();
      this.current = undefined;
      this.iterator = undefined;
      this.slotIndex++;
      if (performance.now() >= deadline) return false;
    }
    this.finish();
    return true;
  }

  /** Stops observing writes (done, or aborted by FLUSHALL/errors). */
  finish(): void {
    this.finished = true;
    if (!this.observing) return;
    this.observing = false;
    for (const database of this.server.databases) database.endObservation();
    this.pending.clear();
    this.preImages.clear();
  }
}
