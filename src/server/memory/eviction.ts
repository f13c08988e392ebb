// maxmemory eviction, after Redis's approximated LRU/LFU: sample a few keys per database, keep
// the best candidates seen in a small pool across calls, evict the best one, repeat until memory
// is under the limit. Sampling walks each database with a round-robin iterator that survives
// between calls (Map and Set iterators stay valid under mutation), so every call costs
// O(samples), never O(keys), and over time every key gets sampled.
import type { Database } from '../keyspace/database.ts';
import type { Entry } from '../keyspace/entry.ts';

export type EvictionPolicy =
  | 'noeviction'
  | 'allkeys-lru'
  | 'allkeys-lfu'
  | 'allkeys-random'
  | 'volatile-lru'
  | 'volatile-lfu'
  | 'volatile-random'
  | 'volatile-ttl';

/** How many candidates the pool keeps (Redis's EVPOOL_SIZE). */
export const POOL_SIZE = 16;

export interface Candidate {
  database: Database;
  key: string;
  entry: Entry;
  /** Higher = better to evict (idle time, inverse frequency, nearness of expiry). */
  score: number;
}

/** Scores a key for a policy; higher means evict first. */
export type Scorer = (entry: Entry, now: number) => number;

/** Round-robin walks over each database's keys (all keys, or only those with a TTL). */
export class KeySampler {
  private readonly all = new Map<Database, Iterator<[string, Entry]>>();
  private readonly volatile = new Map<Database, Iterator<string>>();

  /**
   * Hands up to `count` live keys of `database` to `visit`, continuing where the last call
   * stopped and wrapping around once. Cost: O(count) plus empty slots skipped.
   */
  sample(
    database: Database,
    volatileOnly: boolean,
    count: number,
    visit: (key: string, entry: Entry) => void,
  ): number {
    const available = volatileOnly ? database.volatileKeys.size : database.size;
    if (available === 0) return 0;
    const wanted = Math.min(count, available);
    let taken = 0;
    let restarts = 0;
    if (volatileOnly) {
      let iterator = this.volatile.get(database);
      while (taken < wanted) {
        if (iterator === undefined) iterator = database.volatileKeys.values();
        const next = iterator.next();
        if (next.done) {
          iterator = undefined;
          if (++restarts > 1) break;
          continue;
        }
        const entry = database.findRaw(next.value);
        if (entry === undefined) continue;
        visit(next.value, entry);
        taken++;
      }
      if (iterator === undefined) this.volatile.delete(database);
      else this.volatile.set(database, iterator);
    } else {
      let iterator = this.all.get(database);
      while (taken < wanted) {
        if (iterator === undefined) iterator = database.entries();
        const next = iterator.next();
        if (next.done) {
          iterator = undefined;
          if (++restarts > 1) break;
          continue;
        }
        visit(next.value[0], next.value[1]);
        taken++;
      }
      if (iterator === undefined) this.all.delete(database);
      else this.all.set(database, iterator);
    }
    return taken;
  }

  /** Forgets every walk (FLUSHALL, SWAPDB: the iterators may point at old contents). */
  reset(): void {
    this.all.clear();
    this.volatile.clear();
  }
}

/**
 * The candidate pool: at most POOL_SIZE entries, ascending by score, so the best victim is last.
 * A candidate replaces the worst one only when it scores higher.
 */
export class EvictionPool {
  readonly candidates: Candidate[] = [];

  insert(candidate: Candidate): void {
    const pool = this.candidates;
    // Already pooled: refresh its score in place.
    for (let i = 0; i < pool.length; i++) {
      const existing = pool[i] as Candidate;
      if (existing.key === candidate.key && existing.database === candidate.database) {
        pool.splice(i, 1);
        break;
      }
    }
    if (pool.length >= POOL_SIZE) {
      if (candidate.score <= (pool[0] as Candidate).score) return;
      pool.shift();
    }
    let at = pool.length;
    while (at > 0 && (pool[at - 1] as Candidate).score > candidate.score) at--;
    pool.splice(at, 0, candidate);
  }

  /** The best candidate still valid per `isValid`; stale ones are dropped on the way. */
  takeBest(isValid: (candidate: Candidate) => boolean): Candidate | undefined {
    const pool = this.candidates;
    while (pool.length > 0) {
      const best = pool.pop() as Candidate;
      if (isValid(best)) return best;
    }
    return undefined;
  }

  clear(): void {
    this.candidates.length = 0;
  }
}

export interface VictimChooserOptions {
  policy: EvictionPolicy;
  samples: number;
  scorer: Scorer;
}

/** Picks the next key to evict under a policy, from all databases. */
export class VictimChooser {
  readonly sampler = new KeySampler();
  readonly pool = new EvictionPool();
  private nextDatabase = 0;

  choose(
    databases: readonly Database[],
    policy: EvictionPolicy,
    samples: number,
    scorer: Scorer,
    now: number,
  ): Candidate | undefined {
    if (policy === 'noeviction') return undefined;
    const volatileOnly = policy.startsWith('volatile-');
    if (policy.endsWith('-random')) return this.chooseRandom(databases, volatileOnly, samples);
    const isValid = (candidate: Candidate): boolean => {
      const entry = candidate.database.findRaw(candidate.key);
      return entry === candidate.entry && (!volatileOnly || entry.expireAt !== 0);
    };
    // Refill from every database, then take the best; the pool may be all stale, so retry a few times.
    for (let attempt = 0; attempt < 4; attempt++) {
      let sampled = 0;
      for (const database of databases) {
        sampled += this.sampler.sample(database, volatileOnly, samples, (key, entry) => {
          this.pool.insert({ database, key, entry, score: scorer(entry, now) });
        });
      }
      const best = this.pool.takeBest(isValid);
      if (best !== undefined) return best;
      if (sampled === 0) return undefined;
    }
    return undefined;
  }

  /** A key from the next non-empty database, skipping a random few keys of its walk. */
  private chooseRandom(
    databases: readonly Database[],
    volatileOnly: boolean,
    samples: number,
  ): Candidate | undefined {
    for (let tried = 0; tried < databases.length; tried++) {
      const index = this.nextDatabase;
      this.nextDatabase = (this.nextDatabase + 1) % databases.length;
      const database = databases[index] as Database;
      let chosen: Candidate | undefined;
      const skip = Math.floor(Math.random() * samples);
      // The walk hands over skip + 1 keys (fewer when the database is small): keep the last.
      this.sampler.sample(database, volatileOnly, skip + 1, (key, entry) => {
        chosen = { database, key, entry, score: 0 };
      });
      if (chosen !== undefined) return chosen;
    }
    return undefined;
  }

  reset(): void {
    this.sampler.reset();
    this.pool.clear();
  }
}
