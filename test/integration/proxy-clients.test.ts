// Real clients through codis-proxy: ioredis with single-key commands, hash-tagged multi-key
// commands, split MGET/MSET/DEL across two backends, pipelines and a cross-slot refusal.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { type ProxyFixture, slotRange, startProxy } from '../helpers/proxy-fixture.ts';
import { type RunningServer, startServer } from '../helpers/redis-servers.ts';

describe('clients through codis-proxy', () => {
  let a: RunningServer;
  let b: RunningServer;
  let fixture: ProxyFixture;

  before(async () => {
    [a, b] = await Promise.all([startServer('codis-server'), startServer('codis-server')]);
    fixture = await startProxy();
    fixture.proxy.fillSlots([
      ...slotRange(0, 511, `127.0.0.1:${a.port}`),
      ...slotRange(512, 1023, `127.0.0.1:${b.port}`),
    ]);
    fixture.proxy.start();
  });
  after(async () => {
    await fixture.close();
    await Promise.all([a.stop(), b.stop()]);
  });

  it('ioredis: single-key, tagged multi-key, split and pipelined commands', async () => {
    const client = new Redis({ port: fixture.port, host: '127.0.0.1', lazyConnect: true });
    try {
      await client.connect();
      assert.equal(await client.set('io:a', '1'), 'OK');
      assert.equal(await client.incr('io:a'), 2);
      assert.equal(await client.hset('io:h', 'f', 'v', 'g', 'w'), 2);
      assert.deepEqual(await client.hgetall('io:h'), { f: 'v', g: 'w' });
      assert.equal(await client.rpush('{io}list', 'x', 'y'), 2);
      assert.equal(await client.rpoplpush('{io}list', '{io}other'), 'y');
      assert.deepEqual(await client.lrange('{io}other', 0, -1), ['y']);
      assert.equal(await client.sadd('{io}s1', 'a', 'b'), 2);
      assert.equal(await client.sadd('{io}s2', 'b'), 1);
      assert.deepEqual(await client.sinter('{io}s1', '{io}s2'), ['b']);
      const keys = Array.from({ length: 50 }, (_, i) => `io:k${i}`);
      assert.equal(await client.mset(Object.fromEntries(keys.map((key) => [key, key.toUpperCase()]))), 'OK');
      assert.deepEqual(
        await client.mget(...keys),
        keys.map((key) => key.toUpperCase()),
      );
      const pipeline = client.pipeline();
      for (const key of keys) pipeline.get(key);
      const results = await pipeline.exec();
      assert.deepEqual(
        results?.map(([, value]) => value),
        keys.map((key) => key.toUpperCase()),
      );
      assert.equal(await client.del(...keys), 50);
      await assert.rejects(client.sunion('io:x', 'io:y'), /CROSSSLOT/);
      await assert.rejects(client.keys('*'), /command 'KEYS' is not allowed/);
      assert.equal(await client.select(2), 'OK');
      assert.equal(await client.get('io:a'), null);
    } finally {
      client.disconnect();
    }
  });
});
