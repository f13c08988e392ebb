// maxmemory and eviction on codis-server. Used memory is V8's heap, so the limits are set relative
// to what the server uses when the test starts rather than as absolute numbers.
import assert from 'node:assert/strict';
import type { RespValue } from '../../src/resp/index.ts';
import { conformanceSuite } from '../helpers/conformance.ts';
import type { RawConnection } from '../helpers/raw-connection.ts';

const OOM = "-OOM command not allowed when used memory > 'maxmemory'.\r\n";
const VALUE = 'x'.repeat(1024);
const HEADROOM = 8 * 1024 * 1024;

async function memoryField(c: RawConnection, name: string): Promise<number> {
  const stats = (await c.value('MEMORY', 'STATS')) as RespValue[];
  const at = stats.findIndex((item) => String(item) === name);
  assert.ok(at >= 0, `MEMORY STATS has no ${name}`);
  return Number(stats[at + 1]);
}

async function evictedKeys(c: RawConnection): Promise<number> {
  const info = String(await c.value('INFO', 'stats'));
  const match = /evicted_keys:(\d+)/.exec(info);
  assert.ok(match, 'INFO stats has evicted_keys');
  return Number(match[1]);
}

/** Sets maxmemory to what the server uses now plus HEADROOM; returns the limit. */
async function limitMemory(c: RawConnection, policy: string): Promise<number> {
  assert.equal(await c.call('CONFIG', 'SET', 'maxmemory', '0'), '+OK\r\n');
  assert.equal(await c.call('CONFIG', 'SET', 'maxmemory-policy', policy), '+OK\r\n');
  // MEMORY PURGE collects garbage, so the baseline is what the server really holds.
  assert.equal(await c.call('MEMORY', 'PURGE'), '+OK\r\n');
  const limit = (await memoryField(c, 'total.allocated')) + HEADROOM;
  assert.equal(await c.call('CONFIG', 'SET', 'maxmemory', String(limit)), '+OK\r\n');
  return limit;
}

/** Pipelines `count` SETs of 1 KB values and returns the replies. */
async function writeMany(
  c: RawConnection,
  prefix: string,
  count: number,
  ...extra: string[]
): Promise<string[]> {
  const replies: string[] = [];
  const batch = 100;
  for (let from = 0; from < count; from += batch) {
    const upto = Math.min(count, from + batch);
    for (let i = from; i < upto; i++) c.send('SET', `${prefix}${i}`, VALUE, ...extra);
    for (let i = from; i < upto; i++) replies.push((await c.reply()).raw);
  }
  return replies;
}

conformanceSuite(
  'eviction',
  (it) => {
    it('noeviction refuses writes over maxmemory with OOM; reads and deletes still work', async ({
      connection: c,
    }) => {
      await limitMemory(c, 'noeviction');
      const replies = await writeMany(c, 'k', 20_000);
      const firstOom = replies.indexOf(OOM);
      assert.ok(firstOom > 0, 'writes eventually fail with OOM');
      assert.deepEqual(
        replies.slice(0, firstOom).filter((reply) => reply !== '+OK\r\n'),
        [],
      );
      assert.equal(await c.call('GET', 'k0'), `$1024\r\n${VALUE}\r\n`);
      assert.equal(await c.call('DEL', 'k0'), ':1\r\n');
      assert.equal(await evictedKeys(c), 0);
      assert.equal(await c.call('CONFIG', 'SET', 'maxmemory', '0'), '+OK\r\n');
      assert.equal(await c.call('SET', 'another', 'v'), '+OK\r\n');
    });

    it('allkeys-lru keeps recently used keys and evicts old ones; memory stays near the limit', async ({
      connection: c,
    }) => {
      const limit = await limitMemory(c, 'allkeys-lru');
      const before = await evictedKeys(c);
      assert.deepEqual(
        (await writeMany(c, 'old:', 1000)).filter((reply) => reply !== '+OK\r\n'),
        [],
      );
      await new Promise((resolve) => setTimeout(resolve, 20));
      for (let i = 0; i < 100; i++) assert.equal(await c.call('SET', `hot:${i}`, VALUE), '+OK\r\n');
      for (let round = 0; round < 30; round++) {
        await new Promise((resolve) => setTimeout(resolve, 5));
        for (let i = 0; i < 100; i++) c.send('GET', `hot:${i}`);
        // LRU is approximated by sampling (maxmemory-samples), as in Redis: a key read in the same
        // millisecond as the newest writes ties with them, so a rare hot key may go; nearly all stay.
        let hits = 0;
        for (let i = 0; i < 100; i++) if ((await c.reply()).raw.length > 1000) hits++;
        assert.ok(hits >= 90, `round ${round}: ${hits} of 100 hot keys left`);
        const replies = await writeMany(c, `new:${round}:`, 500);
        assert.deepEqual(
          replies.filter((reply) => reply !== '+OK\r\n'),
          [],
        );
      }
      let hotLeft = 0;
      for (let i = 0; i < 100; i++) if ((await c.call('EXISTS', `hot:${i}`)) === ':1\r\n') hotLeft++;
      assert.ok(hotLeft >= 90, `${hotLeft} hot keys survived`);
      let oldLeft = 0;
      for (let i = 0; i < 1000; i++) if ((await c.call('EXISTS', `old:${i}`)) === ':1\r\n') oldLeft++;
      assert.ok(oldLeft < 100, `${oldLeft} old keys survived`);
      const evicted = (await evictedKeys(c)) - before;
      assert.ok(evicted > 5000, `evicted ${evicted}`);
      const used = await memoryField(c, 'total.allocated');
      assert.ok(used < limit + 4 * 1024 * 1024, `used ${used} vs maxmemory ${limit}`);
      const size = Number(await c.value('DBSIZE'));
      assert.ok(size > 1000 && size < 14_000, `dbsize ${size}`);
    });

    it('volatile-lru evicts only keys with a TTL and refuses writes when none is left', async ({
      connection: c,
    }) => {
      await limitMemory(c, 'volatile-lru');
      const before = await evictedKeys(c);
      assert.deepEqual(
        (await writeMany(c, 'keep:', 1000)).filter((reply) => reply !== '+OK\r\n'),
        [],
      );
      // Garbage V8 has not collected yet can exhaust the volatile keys for a moment: a few OOMs
      // are honest answers, most writes must be accepted.
      const replies = await writeMany(c, 'ttl:', 12_000, 'EX', '1000');
      const refused = replies.filter((reply) => reply !== '+OK\r\n');
      assert.ok(
        refused.every((reply) => reply === OOM) && refused.length < 1200,
        `${refused.length} refused`,
      );
      for (let i = 0; i < 1000; i += 7) assert.equal(await c.call('EXISTS', `keep:${i}`), ':1\r\n');
      assert.ok((await evictedKeys(c)) - before > 1000);
      // Without volatile keys nothing can be evicted: persistent writes then fail.
      const persistent = await writeMany(c, 'more:', 12_000);
      assert.ok(persistent.includes(OOM), 'writes without TTL end with OOM');
      for (let i = 0; i < 1000; i += 7) assert.equal(await c.call('EXISTS', `keep:${i}`), ':1\r\n');
    });

    it('allkeys-random and volatile-ttl evict enough to keep accepting writes', async ({ connection: c }) => {
      // used_memory is V8's real heap: garbage not yet collected can refuse a few writes while the
      // keyspace fills up quickly; almost all must be accepted.
      const mostlyAccepted = (replies: string[]): void => {
        const refused = replies.filter((reply) => reply !== '+OK\r\n');
        assert.ok(
          refused.length < replies.length / 10,
          `${refused.length} of ${replies.length} writes refused`,
        );
        for (const reply of refused) assert.match(reply, /^-OOM /);
      };
      await limitMemory(c, 'allkeys-random');
      mostlyAccepted(await writeMany(c, 'r:', 12_000));
      assert.ok(Number(await c.value('DBSIZE')) < 12_000);
      assert.equal(await c.call('FLUSHALL'), '+OK\r\n');
      await limitMemory(c, 'volatile-ttl');
      assert.equal(await c.call('SET', 'soon', VALUE, 'EX', '10'), '+OK\r\n');
      mostlyAccepted(await writeMany(c, 't:', 12_000, 'EX', '100000'));
      assert.equal(await c.call('EXISTS', 'soon'), ':0\r\n');
    });

    it('OBJECT FREQ works under an LFU policy and IDLETIME is refused', async ({ connection: c }) => {
      assert.equal(await c.call('CONFIG', 'SET', 'maxmemory', '0'), '+OK\r\n');
      assert.equal(await c.call('CONFIG', 'SET', 'maxmemory-policy', 'allkeys-lfu'), '+OK\r\n');
      assert.equal(await c.call('SET', 'k', 'v'), '+OK\r\n');
      for (let i = 0; i < 20; i++) await c.call('GET', 'k');
      const freq = Number(await c.value('OBJECT', 'FREQ', 'k'));
      assert.ok(freq >= 5, `freq ${freq}`);
      assert.match(await c.call('OBJECT', 'IDLETIME', 'k'), /^-ERR An LFU maxmemory policy is selected/);
      assert.equal(await c.call('CONFIG', 'SET', 'maxmemory-policy', 'noeviction'), '+OK\r\n');
    });

    it('used memory counts 1 KB values while they are stored, and no longer once they are deleted', async ({
      connection: c,
    }) => {
      assert.equal(await c.call('FLUSHALL'), '+OK\r\n');
      assert.equal(await c.call('MEMORY', 'PURGE'), '+OK\r\n');
      const baseline = await memoryField(c, 'total.allocated');
      await writeMany(c, 'mem:', 8000);
      assert.equal(await c.call('MEMORY', 'PURGE'), '+OK\r\n');
      const stored = (await memoryField(c, 'total.allocated')) - baseline;
      assert.ok(stored > 8000 * 1024 && stored < 8000 * 1600, `8000 values of 1 KB: ${stored} bytes`);
      const usage = Number(await c.value('MEMORY', 'USAGE', 'mem:1'));
      assert.ok(usage >= 1024 && usage < 1400, `MEMORY USAGE ${usage}`);
      // Half deleted: their memory is free for new values, and no longer counted as used.
      for (let i = 0; i < 8000; i += 2) c.send('DEL', `mem:${i}`);
      for (let i = 0; i < 8000; i += 2) assert.equal((await c.reply()).raw, ':1\r\n');
      assert.equal(await c.call('MEMORY', 'PURGE'), '+OK\r\n');
      const half = (await memoryField(c, 'total.allocated')) - baseline;
      assert.ok(half < stored - 4000 * 1024, `after deleting half: ${half} bytes (${stored} before)`);
      assert.equal(await c.call('FLUSHALL'), '+OK\r\n');
      assert.equal(await c.call('MEMORY', 'PURGE'), '+OK\r\n');
      const left = (await memoryField(c, 'total.allocated')) - baseline;
      assert.ok(left < 1024 * 1024, `${left} bytes left after FLUSHALL`);
    });
  },
  { only: 'codis-server' },
);
