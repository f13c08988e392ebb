// Binds eviction to the server: maxmemory and maxmemory-policy from the configuration (at start
// and on CONFIG SET), and the loop run before every denyoom command while over the limit.
import { accessTracking, lfuDecrement } from '../commands/keyspace-access.ts';
import type { Entry } from '../keyspace/entry.ts';
import type { CodisServer } from '../server.ts';
import type { MemoryAccounting } from './accounting.ts';
import { arenaBytesOf, heapBytesOf } from './estimate.ts';
import { type EvictionPolicy, type Scorer, VictimChooser } from './eviction.ts';

/** An eviction of more than limit / LARGE_EVICTION_SHARE bytes first collects garbage. */
const LARGE_EVICTION_SHARE = 32;
/** Upper bound of Redis's LFU counter: an unused key scores highest. */
const LFU_MAX = 255;

const scoreByIdle: Scorer = (entry, now) => now - entry.accessedAt;
const scoreByFrequency: Scorer = (entry, now) => LFU_MAX - lfuDecrement(entry, now);
/** Nearer expiry = higher score. */
const scoreByTtl: Scorer = (entry: Entry) => Number.MAX_SAFE_INTEGER - entry.expireAt;

function scorerFor(policy: EvictionPolicy): Scorer {
  if (policy.endsWith('-lfu')) return scoreByFrequency;
  if (policy === 'volatile-ttl') return scoreByTtl;
  return scoreByIdle;
}

export class Evictor {
  policy: EvictionPolicy = 'noeviction';
  samples = 5;
  private scorer: Scorer = scoreByIdle;
  readonly chooser = new VictimChooser();
  private readonly server: CodisServer;
  private readonly accounting: MemoryAccounting;

  constructor(server: CodisServer, accounting: MemoryAccounting) {
    this.server = server;
    this.accounting = accounting;
    const config = server.config;
    this.configure('maxmemory', config.get('maxmemory'));
    this.configure('maxmemory-policy', config.get('maxmemory-policy'));
    this.configure('maxmemory-samples', config.get('maxmemory-samples'));
    this.configure('lfu-log-factor', config.get('lfu-log-factor'));
    this.configure('lfu-decay-time', config.get('lfu-decay-time'));
    config.onChange((name, value) => {
      this.configure(name, value);
      // Lowering maxmemory at run time evicts at once, as Redis does.
      if (name === 'maxmemory' && server.maxMemoryBytes > 0) this.freeMemoryIfNeeded();
    });
    server.freeMemoryIfNeeded = () => this.freeMemoryIfNeeded();
    server.flushAllHooks.push(() => this.chooser.reset());
  }

  private configure(name: string, value: string): void {
    switch (name) {
      case 'maxmemory':
        this.server.maxMemoryBytes = Number(value);
        break;
      case 'maxmemory-policy':
        this.policy = value as EvictionPolicy;
        this.scorer = scorerFor(this.policy);
        accessTracking.lfu = this.policy.endsWith('-lfu');
        this.chooser.reset();
        break;
      case 'maxmemory-samples':
        this.samples = Math.max(1, Number(value));
        break;
      case 'lfu-log-factor':
        accessTracking.lfuLogFactor = Number(value);
        break;
      case 'lfu-decay-time':
        accessTracking.lfuDecayMinutes = Number(value);
        break;
    }
  }

  /**
   * Evicts until used memory is under maxmemory. False when it stays over: the policy is
   * noeviction or no candidate key is left.
   */
  freeMemoryIfNeeded(): boolean {
    const server = this.server;
    const limit = server.maxMemoryBytes;
    if (limit === 0) return true;
    const accounting = this.accounting;
    let used = accounting.used();
    if (used <= limit) return true;
    // Before dropping a large share of the data, collect: what is over the limit may be garbage,
    // not data (at the urgent collections' rate limit).
    if (
      accounting.collectGarbage() ||
      (used - limit > limit / LARGE_EVICTION_SHARE && accounting.collectGarbage(true))
    ) {
      used = accounting.used();
      if (used <= limit) return true;
    }
    if (this.policy === 'noeviction') return this.lastResort(limit);
    const toFree = used - limit;
    let freed = 0;
    /** The part of `freed` V8 still holds until a collection (arena chunks are freed at once). */
    let heapFreed = 0;
    const now = server.cachedNow;
    const notifier = server.keyspaceNotifier;
    while (freed < toFree) {
      const victim = this.chooser.choose(server.databases, this.policy, this.samples, this.scorer, now);
      if (victim === undefined) break;
      const { database, key, entry } = victim;
      const heapBytes = heapBytesOf(key, entry);
      freed += heapBytes + arenaBytesOf(entry);
      heapFreed += heapBytes;
      database.delete(key);
      server.stats.evictedKeys++;
      server.signalModifiedKey(database, key);
      for (const listener of this.evictionListeners) listener(database.index, key);
      if (notifier !== undefined) notifier('e', 'evicted', key, database.index);
    }
    accounting.noteFreed(heapFreed);
    return freed >= toFree || this.lastResort(limit);
  }

  /** Before answering OOM: collect garbage (if allowed now) and look again. */
  private lastResort(limit: number): boolean {
    return this.accounting.collectGarbage(true) && this.accounting.used() <= limit;
  }

  /** Called for each evicted key (replication and AOF propagate a DEL). */
  readonly evictionListeners: Array<(databaseIndex: number, key: string) => void> = [];
}
