// The append-only file (Redis 7's multi-part directory): nothing acknowledged is lost to kill -9
// with appendfsync always, relative expiries replay as absolute ones, BGREWRITEAOF and CONFIG SET
// appendonly, and a truncated tail is repaired or refused per aof-load-truncated.
import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { RawConnection } from '../helpers/raw-connection.ts';
import { startServer } from '../helpers/redis-servers.ts';

const dirs: string[] = [];
function newDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'aof-'));
  dirs.push(dir);
  return dir;
}
after(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

async function killed(dir: string, args: string[], body: (c: RawConnection) => Promise<void>): Promise<void> {
  const server = await startServer('codis-server', { dir, args });
  const c = await RawConnection.open(server.port);
  await body(c);
  c.close();
  const exited = new Promise((done) => server.process.once('exit', done));
  server.process.kill('SIGKILL');
  await exited;
}

async function reopen(
  dir: string,
  args: string[],
  body: (c: RawConnection, output: () => string) => Promise<void>,
): Promise<void> {
  const server = await startServer('codis-server', { dir, args });
  const c = await RawConnection.open(server.port);
  try {
    await body(c, server.output);
  } finally {
    c.close();
    await server.stop();
  }
}

describe('AOF', () => {
  test('appendfsync always: every acknowledged write survives kill -9; expiries are absolute', async () => {
    const dir = newDir();
    const args = ['--appendonly', 'yes', '--appendfsync', 'always'];
    let ttl = 0;
    await killed(dir, args, async (c) => {
      await c.call('SET', 'a', '1');
      await c.call('INCR', 'a');
      await c.call('RPUSH', 'list', 'x', 'y', 'z');
      await c.call('HSET', 'hash', 'f', 'v');
      await c.call('SADD', 'set', 'm1', 'm2', 'm3');
      await c.call('SPOP', 'set');
      await c.call('SETEX', 'ex', '1000', 'v');
      await c.call('SET', 'gone', 'v');
      await c.call('EXPIRE', 'gone', '1000');
      await c.call('DEL', 'gone');
      // A value the request parser hands to SET as bytes (128 B to 128 KB) is logged whole.
      await c.call('SET', 'big', Buffer.alloc(3000, 'q'));
      await c.call('SELECT', '2');
      await c.call('SET', 'in2', 'yes');
      await c.call('INCRBYFLOAT', 'f', '1.5');
      ttl = Number(await c.value('PEXPIRETIME', 'f'));
      await c.call('SELECT', '0');
      await c.call('ZADD', 'z', '1', 'a');
    });
    await reopen(dir, args, async (c) => {
      assert.equal(await c.value('GET', 'a'), '2');
      assert.deepEqual(await c.value('LRANGE', 'list', '0', '-1'), ['x', 'y', 'z']);
      assert.equal(await c.value('HGET', 'hash', 'f'), 'v');
      assert.equal(await c.value('SCARD', 'set'), 2);
      const expireAt = Number(await c.value('PEXPIRETIME', 'ex'));
      assert.ok(expireAt > Date.now() + 990_000 && expireAt <= Date.now() + 1_000_000);
      assert.equal(await c.value('EXISTS', 'gone'), 0);
      assert.equal(await c.value('ZSCORE', 'z', 'a'), '1');
      assert.equal(await c.value('GET', 'big'), 'q'.repeat(3000));
      await c.call('SELECT', '2');
      assert.equal(await c.value('GET', 'in2'), 'yes');
      assert.equal(await c.value('GET', 'f'), '1.5');
      assert.equal(Number(await c.value('PEXPIRETIME', 'f')), ttl);
    });
  });

  test('everysec: writes acknowledged 2 s before kill -9 survive', async () => {
    const dir = newDir();
    const args = ['--appendonly', 'yes', '--appendfsync', 'everysec'];
    await killed(dir, args, async (c) => {
      for (let i = 0; i < 100; i++) await c.call('SET', `early:${i}`, String(i));
      await new Promise((done) => setTimeout(done, 2100));
      for (let i = 0; i < 100; i++) await c.call('SET', `late:${i}`, String(i));
    });
    await reopen(dir, args, async (c) => {
      for (let i = 0; i < 100; i++) assert.equal(await c.value('GET', `early:${i}`), String(i));
    });
  });

  test('BGREWRITEAOF and CONFIG SET appendonly keep everything; a truncated tail is repaired or refused', async () => {
    const dir = newDir();
    await killed(dir, [], async (c) => {
      await c.call('SET', 'before', '1');
      assert.equal(await c.call('CONFIG', 'SET', 'appendonly', 'yes'), '+OK\r\n');
      await c.call('SET', 'during', '1');
      for (let i = 0; i < 100 && /aof_rewrite_in_progress:1/.test(await c.call('INFO', 'persistence')); i++)
        await new Promise((done) => setTimeout(done, 20));
      await c.call('RPUSH', 'list', 'a');
      assert.equal(await c.call('BGREWRITEAOF'), '+Background append only file rewriting started\r\n');
      await c.call('RPUSH', 'list', 'b');
      for (let i = 0; i < 100 && /aof_rewrite_in_progress:1/.test(await c.call('INFO', 'persistence')); i++)
        await new Promise((done) => setTimeout(done, 20));
      await c.call('RPUSH', 'list', 'c');
      await new Promise((done) => setTimeout(done, 50));
    });
    const args = ['--appendonly', 'yes'];
    const manifest = readFileSync(join(dir, 'appendonlydir', 'appendonly.aof.manifest'), 'latin1');
    assert.match(manifest, /type b\n.*type i\n$/);
    const incremental = /file (\S+) seq \d+ type i/.exec(manifest)?.[1] as string;
    appendFileSync(join(dir, 'appendonlydir', incremental), '*3\r\n$3\r\nSET\r\n$1\r\nx');
    await assert.rejects(
      startServer('codis-server', { dir, args: [...args, '--aof-load-truncated', 'no'] }),
      /exited with 1[\s\S]*Unexpected end of file[\s\S]*incr\.aof/,
    );
    await reopen(dir, args, async (c, output) => {
      assert.equal(await c.value('GET', 'before'), '1');
      assert.equal(await c.value('GET', 'during'), '1');
      assert.deepEqual(await c.value('LRANGE', 'list', '0', '-1'), ['a', 'b', 'c']);
      assert.match(output(), /aof-load-truncated/);
    });
  });

  test('evicted and expired keys are logged as DEL: not resurrected by a reload', async () => {
    const dir = newDir();
    const args = ['--appendonly', 'yes', '--appendfsync', 'always'];
    let kept: string[] = [];
    let evicted: string[] = [];
    await killed(dir, args, async (c) => {
      await c.call('SET', 'short', 'v', 'PX', '30');
      assert.equal(await c.call('MEMORY', 'PURGE'), '+OK\r\n');
      const stats = (await c.value('MEMORY', 'STATS')) as unknown[];
      const used = Number(stats[stats.findIndex((item) => String(item) === 'total.allocated') + 1]);
      assert.equal(await c.call('CONFIG', 'SET', 'maxmemory-policy', 'allkeys-random'), '+OK\r\n');
      assert.equal(await c.call('CONFIG', 'SET', 'maxmemory', String(used + 4 * 1024 * 1024)), '+OK\r\n');
      const value = 'x'.repeat(1024);
      const written: string[] = [];
      for (let round = 0; round < 100; round++) {
        for (let i = 0; i < 100; i++) {
          const key = `k${round * 100 + i}`;
          written.push(key);
          c.send('SET', key, value);
        }
        for (let i = 0; i < 100; i++) await c.reply();
        if (/evicted_keys:[1-9]/.test(String(await c.value('INFO', 'stats'))) && round > 10) break;
      }
      assert.match(String(await c.value('INFO', 'stats')), /evicted_keys:[1-9]/);
      assert.equal(await c.call('CONFIG', 'SET', 'maxmemory', '0'), '+OK\r\n');
      for (const key of written) c.send('EXISTS', key);
      const present: boolean[] = [];
      for (const _ of written) present.push((await c.reply()).value === 1);
      kept = written.filter((_, i) => present[i]);
      evicted = written.filter((_, i) => !present[i]);
      assert.ok(evicted.length > 0);
      // Active expiry removed the short-lived key meanwhile.
      assert.equal(await c.value('EXISTS', 'short'), 0);
    });
    await reopen(dir, args, async (c) => {
      assert.equal(await c.value('DBSIZE'), kept.length);
      for (const key of evicted.slice(0, 50))
        assert.equal(await c.value('EXISTS', key), 0, `${key} came back`);
    });
    const manifest = readFileSync(join(dir, 'appendonlydir', 'appendonly.aof.manifest'), 'latin1');
    const incremental = /file (\S+) seq \d+ type i/.exec(manifest)?.[1] as string;
    const log = readFileSync(join(dir, 'appendonlydir', incremental), 'latin1');
    assert.match(log, /\*2\r\n\$3\r\nDEL\r\n\$5\r\nshort\r\n/);
  });
});
