// RDB persistence: SAVE/BGSAVE, restart with the same data, files exchanged with redis-server 7 both
// ways, corrupt files refused, and a BGSAVE of a large dataset under concurrent writes equal to the
// dataset at its start.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { after, describe, test } from 'node:test';
import { RawConnection } from '../helpers/raw-connection.ts';
import { type RunningServer, type ServerKind, startServer } from '../helpers/redis-servers.ts';

const dirs: string[] = [];
function newDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'persistence-'));
  dirs.push(dir);
  return dir;
}
after(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

async function withServer<T>(
  kind: ServerKind,
  dir: string,
  body: (c: RawConnection, server: RunningServer) => Promise<T>,
  args: string[] = [],
): Promise<T> {
  const server = await startServer(kind, { dir, args });
  const c = await RawConnection.open(server.port);
  try {
    return await body(c, server);
  } finally {
    c.close();
    await server.stop();
  }
}

/** Fills every type of value; returns nothing (compare with dataset()). */
async function fill(c: RawConnection): Promise<void> {
  await c.call('SET', 'str', 'hello world');
  await c.call('SET', 'int', '12345');
  await c.call('SET', 'big', 'x'.repeat(5000));
  await c.call('SET', 'bin', Buffer.from([0, 1, 2, 255, 13, 10]));
  await c.call('RPUSH', 'list', 'a', 'b', 'c', '1', '2');
  const long: string[] = [];
  for (let i = 0; i < 600; i++) long.push(`item-${i}`);
  await c.call('RPUSH', 'biglist', ...long);
  await c.call('HSET', 'hash', 'f1', 'v1', 'f2', '2');
  const fields: string[] = [];
  for (let i = 0; i < 300; i++) fields.push(`field-${i}`, `value-${i}`);
  await c.call('HSET', 'bighash', ...fields);
  await c.call('SADD', 'intset', '1', '2', '3', '-7');
  await c.call('SADD', 'set', 'a', 'b', 'c');
  const members: string[] = [];
  for (let i = 0; i < 300; i++) members.push(`member-${i}`);
  await c.call('SADD', 'bigset', ...members);
  await c.call('ZADD', 'zset', '1', 'a', '2.5', 'b', '-inf', 'c');
  const scored: string[] = [];
  for (let i = 0; i < 300; i++) scored.push(String(i / 3), `m-${i}`);
  await c.call('ZADD', 'bigzset', ...scored);
  await c.call('PFADD', 'hll', 'a', 'b', 'c');
  await c.call('SET', 'ttl', 'v', 'EX', '1000');
  await c.call('SELECT', '3');
  await c.call('SET', 'db3', 'three');
  await c.call('SELECT', '0');
}

/** A comparable dump of what fill() wrote. */
async function dataset(c: RawConnection): Promise<unknown> {
  const ttl = Number(await c.value('TTL', 'ttl'));
  await c.call('SELECT', '3');
  const db3 = await c.value('GET', 'db3');
  await c.call('SELECT', '0');
  return {
    dbsize: await c.value('DBSIZE'),
    str: await c.value('GET', 'str'),
    int: await c.value('GET', 'int'),
    big: String(await c.value('GET', 'big')).length,
    bin: await c.value('GET', 'bin'),
    list: await c.value('LRANGE', 'list', '0', '-1'),
    biglist: await c.value('LRANGE', 'biglist', '0', '-1'),
    hash: await c.value('HGET', 'hash', 'f2'),
    hlen: await c.value('HLEN', 'bighash'),
    hfield: await c.value('HGET', 'bighash', 'field-299'),
    intset: ((await c.value('SMEMBERS', 'intset')) as string[]).sort(),
    set: ((await c.value('SMEMBERS', 'set')) as string[]).sort(),
    bigset: await c.value('SCARD', 'bigset'),
    zset: await c.value('ZRANGE', 'zset', '0', '-1', 'WITHSCORES'),
    bigzset: await c.value('ZRANGE', 'bigzset', '100', '105', 'WITHSCORES'),
    hll: await c.value('PFCOUNT', 'hll'),
    ttlKept: ttl > 990 && ttl <= 1000,
    db3,
  };
}

describe('RDB files', () => {
  test('SAVE then restart: every type, TTLs kept, expired keys dropped; LASTSAVE and INFO', async () => {
    const dir = newDir();
    const before = await withServer('codis-server', dir, async (c) => {
      await fill(c);
      await c.call('SET', 'short', 'v', 'PX', '300');
      const last = Number(await c.value('LASTSAVE'));
      assert.match(await c.call('INFO', 'persistence'), /rdb_changes_since_last_save:[1-9]/);
      assert.equal(await c.call('SAVE'), '+OK\r\n');
      assert.ok(Number(await c.value('LASTSAVE')) >= last);
      assert.match(await c.call('INFO', 'persistence'), /rdb_changes_since_last_save:0\r\n/);
      return dataset(c);
    });
    execFileSync('redis-check-rdb', [join(dir, 'dump.rdb')]);
    await new Promise((done) => setTimeout(done, 350));
    await withServer('codis-server', dir, async (c) => {
      const expected = before as { dbsize: number };
      assert.deepEqual(await dataset(c), { ...expected, dbsize: expected.dbsize - 1 });
      assert.equal(await c.value('EXISTS', 'short'), 0);
    });
  });

  test('our dump loads in redis-server 7, and redis-server 7 dumps load in ours', async () => {
    const dir = newDir();
    const ours = await withServer('codis-server', dir, async (c) => {
      await fill(c);
      assert.equal(await c.call('SAVE'), '+OK\r\n');
      return dataset(c);
    });
    const redis = await withServer('redis-server', dir, async (c) => {
      const seen = await dataset(c);
      await c.call('SET', 'from-redis', 'yes');
      assert.equal(await c.call('SAVE'), '+OK\r\n');
      return seen;
    });
    assert.deepEqual(redis, ours);
    await withServer('codis-server', dir, async (c) => {
      assert.deepEqual(await dataset(c), {
        ...(ours as object),
        dbsize: (ours as { dbsize: number }).dbsize + 1,
      });
      assert.equal(await c.value('GET', 'from-redis'), 'yes');
    });
  });

  test('a corrupt or truncated RDB file is refused at start with a message naming it', async () => {
    const dir = newDir();
    await withServer('codis-server', dir, async (c) => {
      await fill(c);
      assert.equal(await c.call('SAVE'), '+OK\r\n');
    });
    const path = join(dir, 'dump.rdb');
    const good = readFileSync(path);
    const flipped = Buffer.from(good);
    flipped[40] = (flipped[40] as number) ^ 0xff;
    writeFileSync(path, flipped);
    await assert.rejects(startServer('codis-server', { dir }), (error: Error) => {
      assert.match(error.message, /exited with 1/);
      assert.ok(error.message.includes(path), error.message);
      assert.match(error.message, /checksum/);
      return true;
    });
    writeFileSync(path, good.subarray(0, good.length - 20));
    await assert.rejects(startServer('codis-server', { dir }), /exited with 1[\s\S]*dump\.rdb/);
    writeFileSync(path, 'not an rdb file');
    await assert.rejects(startServer('codis-server', { dir }), /exited with 1[\s\S]*wrong signature/);
  });

  test('BGSAVE, save points, FLUSHALL and SHUTDOWN saving', async () => {
    const dir = newDir();
    await withServer(
      'codis-server',
      dir,
      async (c) => {
        await c.call('SET', 'a', '1');
        assert.equal(await c.call('BGSAVE'), '+Background saving started\r\n');
        for (let i = 0; i < 100 && /rdb_bgsave_in_progress:1/.test(await c.call('INFO', 'persistence')); i++)
          await new Promise((done) => setTimeout(done, 20));
        assert.match(await c.call('INFO', 'persistence'), /rdb_last_bgsave_status:ok/);
        execFileSync('redis-check-rdb', [join(dir, 'dump.rdb')]);
        // Save point "1 1": one change and a second later, a BGSAVE starts on its own.
        assert.equal(await c.call('CONFIG', 'SET', 'save', '1 1'), '+OK\r\n');
        await c.call('SET', 'b', '2');
        let saved = false;
        for (let i = 0; i < 60 && !saved; i++) {
          await new Promise((done) => setTimeout(done, 100));
          saved = /rdb_changes_since_last_save:0\r\n/.test(await c.call('INFO', 'persistence'));
        }
        assert.ok(saved, 'the save point triggered a BGSAVE');
        await c.call('SET', 'c', '3');
        // FLUSHALL with save points saves the (empty) dataset at once.
        assert.equal(await c.call('FLUSHALL'), '+OK\r\n');
        assert.match(await c.call('INFO', 'persistence'), /rdb_changes_since_last_save:1\r\n/);
        await c.call('SET', 'after-flush', '1');
        c.send('SHUTDOWN');
        await c.waitClosed();
      },
      ['--save', '3600 1'],
    );
    await withServer(
      'codis-server',
      dir,
      async (c) => {
        assert.deepEqual(await c.value('KEYS', '*'), ['after-flush']);
        await c.call('SET', 'unsaved', '1');
        c.send('SHUTDOWN', 'NOSAVE');
        await c.waitClosed();
      },
      ['--save', '3600 1'],
    );
    await withServer('codis-server', dir, async (c) => {
      assert.deepEqual(await c.value('KEYS', '*'), ['after-flush']);
    });
  });

  test('BGSAVE of 1,000,000 keys while a client writes: the file equals the dataset at the start', async () => {
    const dir = newDir();
    const total = 1_000_000;
    const changed = new Set<number>();
    await withServer('codis-server', dir, async (c, server) => {
      const batch = 2000;
      for (let start = 0; start < total; start += batch) {
        const args: string[] = [];
        for (let i = start; i < start + batch; i++) args.push(`k:${i}`, `v:${i}`);
        c.send('MSET', ...args);
      }
      for (let start = 0; start < total; start += batch) await c.reply(60000);
      await c.call('RPUSH', 'list', 'a', 'b', 'c');
      await c.call('HSET', 'hash', 'f', 'original');
      assert.equal(await c.value('DBSIZE'), total + 2);
      const writer = await RawConnection.open(server.port);
      assert.equal(await c.call('BGSAVE'), '+Background saving started\r\n');
      const latencies: number[] = [];
      let round = 0;
      for (;;) {
        const i = Math.floor(Math.random() * total);
        const started = performance.now();
        if (round % 3 === 0) await writer.call('SET', `k:${i}`, 'changed');
        else if (round % 3 === 1) await writer.call('DEL', `k:${i}`);
        else await writer.call('GET', `k:${i}`);
        latencies.push(performance.now() - started);
        if (round % 3 !== 2) changed.add(i);
        await writer.call('SET', `new:${round}`, 'x');
        if (round === 10) {
          await writer.call('LPUSH', 'list', 'pushed');
          await writer.call('HSET', 'hash', 'f', 'changed');
          await writer.call('FLUSHDB');
        }
        round++;
        if (round % 50 === 0 && /rdb_bgsave_in_progress:0/.test(await writer.call('INFO', 'persistence')))
          break;
      }
      writer.close();
      latencies.sort((a, b) => a - b);
      const p99 = latencies[Math.floor(latencies.length * 0.99)] ?? 0;
      const p50 = latencies[Math.floor(latencies.length * 0.5)] ?? 0;
      console.log(
        `BGSAVE of ${total} keys: ${latencies.length} requests served meanwhile, p50 ${p50.toFixed(2)} ms, p99 ${p99.toFixed(2)} ms, max ${(latencies.at(-1) ?? 0).toFixed(2)} ms`,
      );
      assert.match(await c.call('INFO', 'persistence'), /rdb_last_bgsave_status:ok/);
    });
    await withServer('codis-server', dir, async (c) => {
      assert.equal(await c.value('DBSIZE'), total + 2);
      assert.deepEqual(await c.value('LRANGE', 'list', '0', '-1'), ['a', 'b', 'c']);
      assert.equal(await c.value('HGET', 'hash', 'f'), 'original');
      assert.equal(await c.value('EXISTS', 'new:0'), 0);
      for (const i of changed) assert.equal(await c.value('GET', `k:${i}`), `v:${i}`);
      for (let n = 0; n < 200; n++) {
        const i = Math.floor(Math.random() * total);
        assert.equal(await c.value('GET', `k:${i}`), `v:${i}`);
      }
    });
  });

  // Values of 128 B to 128 KB live in codis-server's value arena, where a replaced or deleted value's
  // chunk is reused at once and a flushed database's chunks are freed when the snapshot is done.
  test('BGSAVE of 1 KB values while a client overwrites, deletes and flushes them: the file holds the values at the start', async () => {
    const dir = newDir();
    const total = 100_000;
    const originalValue = (i: number): string => `${i}:`.padEnd(1000, String.fromCharCode(97 + (i % 26)));
    const changed = new Set<number>();
    await withServer('codis-server', dir, async (c, server) => {
      const batch = 200;
      for (let start = 0; start < total; start += batch) {
        const args: string[] = [];
        for (let i = start; i < start + batch; i++) args.push(`k:${i}`, originalValue(i));
        c.send('MSET', ...args);
      }
      for (let start = 0; start < total; start += batch) assert.equal((await c.reply(60000)).raw, '+OK\r\n');
      const writer = await RawConnection.open(server.port);
      assert.equal(await c.call('BGSAVE'), '+Background saving started\r\n');
      let flushedWhileSaving = false;
      for (let round = 0; ; round++) {
        const i = Math.floor(Math.random() * total);
        if (round === 5) {
          // Sent together, so both run in the same turn: the flush happens while the save runs.
          writer.send('INFO', 'persistence');
          writer.send('FLUSHDB');
          flushedWhileSaving = /rdb_bgsave_in_progress:1/.test((await writer.reply()).raw);
          assert.equal((await writer.reply()).raw, '+OK\r\n');
        } else if (round < 5) {
          // Overwritten (a new chunk, the old one reused by the next value) or deleted.
          if (round % 2 === 0) await writer.call('SET', `k:${i}`, originalValue(i + 1).toUpperCase());
          else await writer.call('DEL', `k:${i}`);
          changed.add(i);
        } else {
          // After the flush, new values take chunks while the flushed ones are still being saved.
          assert.equal(await writer.call('SET', `n:${round}`, originalValue(total + round)), '+OK\r\n');
        }
        if (round % 50 === 0 && /rdb_bgsave_in_progress:0/.test(await writer.call('INFO', 'persistence')))
          break;
      }
      writer.close();
      assert.ok(flushedWhileSaving, 'FLUSHDB ran while the snapshot was being written');
      assert.match(await c.call('INFO', 'persistence'), /rdb_last_bgsave_status:ok/);
      assert.equal(await c.call('GET', `n:50`), `$1000\r\n${originalValue(total + 50)}\r\n`);
    });
    await withServer('codis-server', dir, async (c) => {
      assert.equal(await c.value('DBSIZE'), total);
      for (const i of changed) assert.equal(await c.value('GET', `k:${i}`), originalValue(i));
      for (let n = 0; n < 2000; n++) {
        const i = Math.floor(Math.random() * total);
        assert.equal(await c.value('GET', `k:${i}`), originalValue(i));
      }
    });
  });
});
