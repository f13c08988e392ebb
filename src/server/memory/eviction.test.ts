import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Database, type KeyspaceHooks } from '../keyspace/database.ts';
import {
  type Candidate,
  EvictionPool,
  KeySampler,
  POOL_SIZE,
  type Scorer,
  VictimChooser,
} from './eviction.ts';

const hooks: KeyspaceHooks = { keyExpired: () => {}, expiryHidesOnly: false };
/** Access times a few hours back, realistic for the wrapping access clock. */
const BASE = Date.now() - 20_000_000;
const byIdle: Scorer = (entry, now) => now - entry.accessedAt;
const byTtl: Scorer = (entry) => Number.MAX_SAFE_INTEGER - entry.expireAt;

/** A database with keys k0..k(n-1); key i was last accessed at time i. */
function filled(count: number, index = 0): Database {
  const database = new Database(index, hooks);
  for (let i = 0; i < count; i++) database.add(`k${i}`, `v${i}`, BASE + i * 1000);
  return database;
}

describe('KeySampler', () => {
  test('hands over at most count keys per call and visits every key over successive calls', () => {
    const database = filled(100);
    const sampler = new KeySampler();
    const seen = new Set<string>();
    for (let call = 0; call < 20; call++) {
      let taken = 0;
      sampler.sample(database, false, 5, (key) => {
        taken++;
        seen.add(key);
      });
      assert.equal(taken, 5);
    }
    assert.equal(seen.size, 100);
  });

  test('wraps around a small database and never loops forever', () => {
    const database = filled(3);
    const sampler = new KeySampler();
    const keys: string[] = [];
    assert.equal(
      sampler.sample(database, false, 10, (key) => keys.push(key)),
      3,
    );
    assert.equal(new Set(keys).size, 3);
    assert.equal(
      sampler.sample(new Database(1, hooks), false, 5, () => {}),
      0,
    );
  });

  test('volatile sampling sees only keys with a TTL', () => {
    const database = filled(50);
    for (let i = 0; i < 50; i += 10) {
      const entry = database.findRaw(`k${i}`);
      assert.ok(entry);
      database.setExpire(`k${i}`, entry, 1_000_000 + i);
    }
    const sampler = new KeySampler();
    const seen = new Set<string>();
    for (let call = 0; call < 4; call++) sampler.sample(database, true, 5, (key) => seen.add(key));
    assert.deepEqual([...seen].sort(), ['k0', 'k10', 'k20', 'k30', 'k40']);
  });

  test('keeps working after keys are deleted under its walk', () => {
    const database = filled(20);
    const sampler = new KeySampler();
    sampler.sample(database, false, 5, () => {});
    for (let i = 0; i < 20; i += 2) database.delete(`k${i}`);
    const seen = new Set<string>();
    for (let call = 0; call < 4; call++) sampler.sample(database, false, 5, (key) => seen.add(key));
    for (const key of seen) assert.ok(database.findRaw(key), key);
    assert.equal(seen.size, 10);
  });
});

describe('EvictionPool', () => {
  const database = new Database(0, hooks);
  const candidate = (key: string, score: number): Candidate => {
    const entry = database.findRaw(key) ?? database.add(key, 'v', 0);
    return { database, key, entry, score };
  };

  test('keeps the POOL_SIZE best candidates in ascending order', () => {
    const pool = new EvictionPool();
    for (let i = 0; i < 40; i++) pool.insert(candidate(`p${i}`, (i * 7) % 40));
    assert.equal(pool.candidates.length, POOL_SIZE);
    const scores = pool.candidates.map((each) => each.score);
    assert.deepEqual(
      scores,
      [...scores].sort((a, b) => a - b),
    );
    assert.equal(scores[0], 40 - POOL_SIZE);
    assert.equal(pool.takeBest(() => true)?.score, 39);
  });

  test('a key inserted twice is kept once with its new score; stale candidates are skipped', () => {
    const pool = new EvictionPool();
    pool.insert(candidate('a', 1));
    pool.insert(candidate('b', 2));
    pool.insert(candidate('a', 3));
    assert.deepEqual(
      pool.candidates.map((each) => [each.key, each.score]),
      [
        ['b', 2],
        ['a', 3],
      ],
    );
    assert.equal(pool.takeBest((each) => each.key !== 'a')?.key, 'b');
    assert.equal(pool.candidates.length, 0);
  });
});

describe('VictimChooser', () => {
  test('LRU evicts the least recently used keys first (exact on a small database)', () => {
    const database = filled(5);
    const chooser = new VictimChooser();
    const order: string[] = [];
    for (let i = 0; i < 5; i++) {
      const victim = chooser.choose([database], 'allkeys-lru', 5, byIdle, Date.now());
      assert.ok(victim);
      order.push(victim.key);
      database.delete(victim.key);
    }
    assert.deepEqual(order, ['k0', 'k1', 'k2', 'k3', 'k4']);
    assert.equal(chooser.choose([database], 'allkeys-lru', 5, byIdle, Date.now()), undefined);
  });

  test('LRU approximation on a large database mostly picks old keys', () => {
    const database = filled(10_000);
    const chooser = new VictimChooser();
    let oldHalf = 0;
    for (let i = 0; i < 1000; i++) {
      const victim = chooser.choose([database], 'allkeys-lru', 5, byIdle, Date.now());
      assert.ok(victim);
      if (victim.entry.accessedAt < BASE + 5_000_000) oldHalf++;
      database.delete(victim.key);
    }
    assert.ok(oldHalf > 900, `only ${oldHalf} of 1000 victims were in the older half`);
  });

  test('volatile policies only pick keys with a TTL; volatile-ttl picks the nearest expiry', () => {
    const database = filled(30);
    for (const [key, at] of [
      ['k3', 5000],
      ['k7', 3000],
      ['k9', 4000],
    ] as const) {
      const entry = database.findRaw(key);
      assert.ok(entry);
      database.setExpire(key, entry, at);
    }
    const chooser = new VictimChooser();
    const order: string[] = [];
    for (;;) {
      const victim = chooser.choose([database], 'volatile-ttl', 5, byTtl, 0);
      if (victim === undefined) break;
      order.push(victim.key);
      database.delete(victim.key);
    }
    assert.deepEqual(order, ['k7', 'k9', 'k3']);
    assert.equal(database.size, 27);
    assert.equal(chooser.choose([database], 'volatile-lru', 5, byIdle, 0), undefined);
    assert.equal(chooser.choose([database], 'volatile-random', 5, byIdle, 0), undefined);
  });

  test('random policies pick existing keys across databases; noeviction picks nothing', () => {
    const databases = [filled(0, 0), filled(10, 1), filled(10, 2)];
    const chooser = new VictimChooser();
    assert.equal(chooser.choose(databases, 'noeviction', 5, byIdle, 0), undefined);
    const fromDatabase = new Set<number>();
    for (let i = 0; i < 20; i++) {
      const victim = chooser.choose(databases, 'allkeys-random', 5, byIdle, 0);
      assert.ok(victim);
      assert.equal(victim.database.findRaw(victim.key), victim.entry);
      fromDatabase.add(victim.database.index);
      victim.database.delete(victim.key);
    }
    assert.deepEqual([...fromDatabase].sort(), [1, 2]);
    assert.equal(chooser.choose(databases, 'allkeys-random', 5, byIdle, 0), undefined);
  });
});
