// RESP3 clients through codis-proxy (issues #7 and #9): a session that spoke HELLO 3, in front of
// two codis-servers (slots 0..511 on A, 512..1023 on B), gets byte for byte what a redis-server 7
// answers the same commands in RESP3: nulls, maps, sets, doubles, merged MGET, transactions,
// blocking pops, pub/sub pushes while running other commands, HELLO's own reply and errors; HELLO 2
// switches back, and RESP2 sessions are unaffected. node-redis with RESP 3 works through it.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createClient } from 'redis';
import { slotOf } from '../../src/slots/index.ts';
import { type ProxyFixture, slotRange, startProxy } from '../helpers/proxy-fixture.ts';
import { RawConnection } from '../helpers/raw-connection.ts';
import { type RunningServer, startServer } from '../helpers/redis-servers.ts';

/** A key with the prefix whose slot is on group A (slot < 512) or B. */
function keyOn(group: 'A' | 'B', prefix: string): string {
  for (let i = 0; ; i++) {
    const key = `${prefix}${i}`;
    if (slotOf(key) < 512 === (group === 'A')) return key;
  }
}

/** HELLO's reply without the values that differ between servers (version, connection id). */
function helloShape(raw: string): string {
  return raw
    .replace(/\$7\r\nversion\r\n\$\d+\r\n[^\r]*\r\n/, '$7\r\nversion\r\n<version>')
    .replace(/\$2\r\nid\r\n:\d+\r\n/, '$2\r\nid\r\n<id>');
}

describe('codis-proxy RESP3 sessions', () => {
  let a: RunningServer;
  let b: RunningServer;
  let redis: RunningServer;
  let fixture: ProxyFixture;
  /** Through the proxy, and straight to redis-server 7. */
  let p: RawConnection;
  let r: RawConnection;

  /** Sends a command to both and asserts the same reply bytes; returns them. */
  async function same(...args: string[]): Promise<string> {
    const [viaProxy, viaRedis] = await Promise.all([p.call(...args), r.call(...args)]);
    assert.equal(viaProxy, viaRedis, `${args.join(' ')}`);
    return viaProxy;
  }

  before(async () => {
    [a, b, redis] = await Promise.all([
      startServer('codis-server'),
      startServer('codis-server'),
      startServer('redis-server'),
    ]);
    fixture = await startProxy({ backend_number_databases: 16 });
    fixture.proxy.fillSlots([
      ...slotRange(0, 511, `127.0.0.1:${a.port}`),
      ...slotRange(512, 1023, `127.0.0.1:${b.port}`),
    ]);
    fixture.proxy.start();
    [p, r] = await Promise.all([RawConnection.open(fixture.port), RawConnection.open(redis.port)]);
  });
  after(async () => {
    p.close();
    r.close();
    await fixture.close();
    await Promise.all([a.stop(), b.stop(), redis.stop()]);
  });

  it('answers HELLO as redis-server 7 does, errors included', async () => {
    for (const args of [
      ['HELLO', '4'],
      ['HELLO', 'x'],
      ['HELLO', '3', 'FOO'],
      ['HELLO', '3', 'AUTH', 'default'],
      ['HELLO', '3', 'AUTH', 'bob', 'pw'],
      ['HELLO', '3', 'SETNAME', 'a b'],
    ])
      await same(...args);
    const [viaProxy, viaRedis] = await Promise.all([p.call('HELLO'), r.call('HELLO')]);
    assert.match(viaProxy, /^\*14\r\n\$6\r\nserver\r\n/);
    assert.equal(helloShape(viaProxy), helloShape(viaRedis));
    const [proxy3, redis3] = await Promise.all([
      p.call('HELLO', '3', 'SETNAME', 'resp3-test'),
      r.call('HELLO', '3', 'SETNAME', 'resp3-test'),
    ]);
    assert.match(proxy3, /^%7\r\n/);
    assert.match(proxy3, /\$5\r\nproto\r\n:3\r\n/);
    assert.equal(helloShape(proxy3), helloShape(redis3));
  });

  it('relays RESP3 replies of every type from the backends byte for byte', async () => {
    const onA = keyOn('A', 'r3:');
    const onB = keyOn('B', 'r3:');
    const hash = keyOn('B', 'r3h:');
    const set = keyOn('A', 'r3s:');
    const zset = keyOn('B', 'r3z:');
    const list = keyOn('A', 'r3l:');
    await same('DEL', onA, onB, hash, set, zset, list);
    await same('GET', onA);
    await same('SET', onA, 'va');
    await same('SET', onB, 'vb');
    assert.equal(
      await same('MGET', onA, keyOn('A', 'r3missing:'), onB, keyOn('B', 'r3missing:')),
      '*4\r\n$2\r\nva\r\n_\r\n$2\r\nvb\r\n_\r\n',
    );
    await same('EXISTS', onA, onB, 'r3-nothing');
    await same('HSET', hash, 'f1', 'v1', 'f2', 'v2');
    assert.match(await same('HGETALL', hash), /^%2\r\n/);
    await same('HGET', hash, 'nope');
    await same('SADD', set, '3', '1', '2');
    assert.match(await same('SMEMBERS', set), /^~3\r\n/);
    await same('SISMEMBER', set, '2');
    await same('ZADD', zset, '1.5', 'm1', '2', 'm2', '3.25', 'm3');
    assert.equal(await same('ZSCORE', zset, 'm1'), ',1.5\r\n');
    await same('ZSCORE', zset, 'none');
    await same('ZRANGE', zset, '0', '-1', 'WITHSCORES');
    await same('ZINCRBY', zset, '1', 'm2');
    await same('LPOP', list);
    await same('INCR', hash);
    await same('OBJECT', 'ENCODING', 'r3-nothing');
    assert.equal(await same('DEL', onA, onB, hash, set, zset, 'r3-nothing'), ':5\r\n');
    await same('TTL', onA);
    await same('GETDEL', onA);
  });

  it('runs MULTI/EXEC and blocking pops in RESP3', async () => {
    const key = keyOn('A', 'r3tx:');
    const list = keyOn('A', 'r3tx:list:');
    await same('DEL', key, list);
    await same('MULTI');
    await same('HSET', key, 'f', '1');
    await same('HGETALL', key);
    await same('HGET', key, 'missing');
    await same('EXEC');
    await same('WATCH', key);
    await same('MULTI');
    await same('GET', key);
    await same('EXEC');
    assert.equal(await same('BLPOP', list, '0.05'), '_\r\n');
    await same('RPUSH', list, 'x');
    await same('BLPOP', list, '1');
    // HELLO inside MULTI is refused by the proxy (it would switch its connection's protocol).
    await same('MULTI');
    assert.match(await p.call('HELLO', '2'), /^-/);
    await r.call('HELLO', '3');
    await same('DISCARD');
    assert.equal(await same('HGET', key, 'missing'), '_\r\n');
    // Out-of-band pushes could not be matched to requests on a shared connection: refused.
    assert.equal(
      await p.call('CLIENT', 'TRACKING', 'on'),
      "-ERR handle request, command 'CLIENT' is not allowed\r\n",
    );
    await same('DEL', key);
  });

  it('answers the commands the proxy composes in RESP3 (SCAN, RANDOMKEY, DBSIZE)', async () => {
    await same('SELECT', '7');
    await same('RANDOMKEY');
    await same('DBSIZE');
    // Codis's own SLOTSMAPPING: a slot without replicas has a null where RESP2 has a nil array.
    assert.equal(await p.call('SLOTSMAPPING', '0'), `*4\r\n+0\r\n+127.0.0.1:${a.port}\r\n+\r\n_\r\n`);
    const keys = [keyOn('A', 'r3scan:'), keyOn('B', 'r3scan:')];
    for (const key of keys) await same('SET', key, '1');
    const found: string[] = [];
    let cursor = '0';
    do {
      const value = (await p.value('SCAN', cursor, 'COUNT', '100')) as [string, string[]];
      cursor = value[0];
      found.push(...value[1]);
    } while (cursor !== '0');
    assert.deepEqual(found.sort(), keys.slice().sort());
    await same('DEL', ...keys);
    await same('SELECT', '0');
  });

  it('delivers pub/sub confirmations and messages as pushes, and serves other commands while subscribed', async () => {
    const channel = 'r3:news';
    const publisher = await RawConnection.open(fixture.port);
    const direct = await RawConnection.open(redis.port);
    try {
      assert.match(await same('SUBSCRIBE', channel), /^>3\r\n\$9\r\nsubscribe\r\n/);
      await same('PSUBSCRIBE', 'r3:*');
      await same('GET', 'r3-nothing');
      await same('PING');
      await same('ECHO', 'hello');
      // One publish on each side: each subscriber gets a message and a pmessage push.
      const [toProxy, toRedis] = await Promise.all([
        publisher.call('PUBLISH', channel, 'hi'),
        direct.call('PUBLISH', channel, 'hi'),
      ]);
      assert.equal(toProxy, ':2\r\n');
      assert.equal(toRedis, toProxy);
      for (let i = 0; i < 2; i++) {
        const [viaProxy, viaRedis] = await Promise.all([p.reply(), r.reply()]);
        assert.equal(viaProxy.raw, viaRedis.raw);
        assert.equal(viaProxy.raw[0], '>');
      }
      await same('UNSUBSCRIBE');
      await same('PUNSUBSCRIBE');
      await same('UNSUBSCRIBE');
      // Shard channels: confirmations and smessage pushes too.
      await same('SSUBSCRIBE', channel);
      const [sharded, shardedDirect] = await Promise.all([
        publisher.call('SPUBLISH', channel, 'there'),
        direct.call('SPUBLISH', channel, 'there'),
      ]);
      assert.equal(sharded, shardedDirect);
      const [viaProxy, viaRedis] = await Promise.all([p.reply(), r.reply()]);
      assert.equal(viaProxy.raw, viaRedis.raw);
      assert.match(viaProxy.raw, /^>3\r\n\$8\r\nsmessage\r\n/);
      await same('SUNSUBSCRIBE');
      await same('SUNSUBSCRIBE');
      await same('PING');
    } finally {
      publisher.close();
      direct.close();
    }
  });

  it('runs scripts in RESP3, the EVALSHA retry after NOSCRIPT included', async () => {
    const key = keyOn('A', 'r3lua:');
    const script = "redis.setresp(3); return redis.call('HGETALL', KEYS[1])";
    await same('HSET', key, 'f', 'v');
    assert.equal(await same('EVAL', script, '1', key), '%1\r\n$1\r\nf\r\n$1\r\nv\r\n');
    await same('EVAL', 'return {1, 2.5, false, {err = "ERR x"}}', '0');
    await same('EVAL', "redis.setresp(3); return redis.call('ZSCORE', KEYS[1], 'm')", '1', key);
    // The proxy knows the body (SCRIPT LOAD through it); the master forgets it: the proxy loads it
    // again and retries, on a connection of the session's protocol.
    const sha = (await p.value('SCRIPT', 'LOAD', script)) as string;
    const master = await RawConnection.open(a.port);
    try {
      assert.equal(await master.call('SCRIPT', 'FLUSH'), '+OK\r\n');
    } finally {
      master.close();
    }
    assert.equal(await p.call('EVALSHA', sha, '1', key), '%1\r\n$1\r\nf\r\n$1\r\nv\r\n');
    await same('DEL', key);
  });

  it('relays FUNCTION replies in RESP3', async () => {
    const library =
      "#!lua name=r3lib\nredis.register_function('r3echo', function(keys, args) return args[1] end)";
    await same('FUNCTION', 'FLUSH');
    await same('FUNCTION', 'LOAD', library);
    assert.match(await same('FUNCTION', 'LIST'), /^\*1\r\n%3\r\n/);
    await same('FCALL', 'r3echo', '0', 'hi');
    await same('FUNCTION', 'FLUSH');
  });

  it('relays INFO and PUBSUB introspection in RESP3', async () => {
    // INFO's argument is a backend address in Codis: the whole INFO of one backend here.
    const [viaProxy, viaRedis] = await Promise.all([p.call('INFO'), r.call('INFO')]);
    assert.match(viaProxy, /^=\d+\r\ntxt:# Server\r\n/);
    assert.match(viaRedis, /^=\d+\r\ntxt:# Server\r\n/);
    // Codis's INFO/PING <backend address> on that backend's RESP3 connection.
    assert.match(await p.call('INFO', `127.0.0.1:${b.port}`, 'keyspace'), /^=\d+\r\ntxt:# Keyspace\r\n/);
    assert.equal(await p.call('PING', `127.0.0.1:${a.port}`, 'x'), '$1\r\nx\r\n');
    await same('PUBSUB', 'NUMSUB', 'r3:none', 'r3:other');
    await same('PUBSUB', 'NUMPAT');
    await same('PUBSUB', 'CHANNELS', 'r3:none*');
  });

  for (const method of [0, 1]) {
    it(`serves a slot being migrated in RESP3 (forward method ${method})`, async () => {
      // The key sits on A; its slot moves to B: the proxy moves the key first (SLOTSMGRTTAGONE)
      // or has A run the command (SLOTSMGRT-EXEC-WRAPPER), whose payload is relayed as it is.
      const key = keyOn('A', `r3mig${method}:`);
      const slot = slotOf(key);
      const source = await RawConnection.open(a.port);
      try {
        assert.equal(await source.call('HSET', key, 'f', 'v'), ':1\r\n');
        fixture.proxy.fillSlots([
          {
            id: slot,
            backend_addr: `127.0.0.1:${b.port}`,
            migrate_from: `127.0.0.1:${a.port}`,
            forward_method: method,
          },
        ]);
        assert.equal(await p.call('HGETALL', key), '%1\r\n$1\r\nf\r\n$1\r\nv\r\n');
        assert.equal(await p.call('HGET', key, 'none'), '_\r\n');
        // The sync method moved the key before forwarding; the wrapper ran HGETALL on A.
        assert.equal(await source.call('EXISTS', key), method === 0 ? ':0\r\n' : ':1\r\n');
        // Per key while the slot migrates: the nil of each sub-reply is RESP3's.
        assert.equal(await p.call('MGET', `{${key}}:none`, keyOn('B', 'r3mig:none')), '*2\r\n_\r\n_\r\n');
        assert.equal(await p.call('DEL', key), ':1\r\n');
      } finally {
        fixture.proxy.fillSlots([{ id: slot, backend_addr: `127.0.0.1:${a.port}` }]);
        source.close();
      }
    });
  }

  it('reads from replicas over RESP3 connections', async () => {
    const key = keyOn('A', 'r3replica:');
    const slot = slotOf(key);
    // Only the "replica" (B) holds the key: the reply shows which server answered, and how.
    const replica = await RawConnection.open(b.port);
    try {
      assert.equal(await replica.call('HSET', key, 'f', 'v'), ':1\r\n');
      fixture.proxy.fillSlots([
        { id: slot, backend_addr: `127.0.0.1:${a.port}`, replica_groups: [[`127.0.0.1:${b.port}`]] },
      ]);
      // Reads go to the master (empty) until the replica's RESP3 connection is up.
      const fromReplica = '%1\r\n$1\r\nf\r\n$1\r\nv\r\n';
      let reply = '';
      for (let i = 0; i < 200 && reply !== fromReplica; i++) {
        reply = await p.call('HGETALL', key);
        if (reply !== fromReplica) {
          assert.equal(reply, '%0\r\n');
          await new Promise((resolve) => setTimeout(resolve, 5));
        }
      }
      for (let i = 0; i < 3; i++) assert.equal(await p.call('HGETALL', key), fromReplica);
      assert.equal(await replica.call('DEL', key), ':1\r\n');
    } finally {
      fixture.proxy.fillSlots([{ id: slot, backend_addr: `127.0.0.1:${a.port}` }]);
      replica.close();
    }
  });

  it('switches back with HELLO 2, and RESP2 sessions stay RESP2', async () => {
    const [viaProxy, viaRedis] = await Promise.all([p.call('HELLO', '2'), r.call('HELLO', '2')]);
    assert.equal(helloShape(viaProxy), helloShape(viaRedis));
    assert.equal(await same('GET', 'r3-nothing'), '$-1\r\n');
    await same('HSET', 'r3-hash2', 'f', 'v');
    assert.equal(await same('HGETALL', 'r3-hash2'), '*2\r\n$1\r\nf\r\n$1\r\nv\r\n');
    await same('DEL', 'r3-hash2');
    const plain = await RawConnection.open(fixture.port);
    try {
      assert.equal(await plain.call('GET', 'r3-nothing'), '$-1\r\n');
      assert.equal(await plain.call('BLPOP', 'r3-nothing', '0.05'), '*-1\r\n');
      assert.equal(await plain.call('ZADD', 'r3-plain', '1.5', 'm'), ':1\r\n');
      assert.equal(await plain.call('ZSCORE', 'r3-plain', 'm'), '$3\r\n1.5\r\n');
      assert.equal(await plain.call('DEL', 'r3-plain'), ':1\r\n');
    } finally {
      plain.close();
    }
  });

  it('serves node-redis with RESP 3: get, set, hGetAll, subscribe', async () => {
    const client = createClient({ url: `redis://127.0.0.1:${fixture.port}`, RESP: 3 });
    const subscriber = createClient({ url: `redis://127.0.0.1:${fixture.port}`, RESP: 3 });
    try {
      await Promise.all([client.connect(), subscriber.connect()]);
      const key = keyOn('B', 'r3node:');
      assert.equal(await client.set(key, 'value'), 'OK');
      assert.equal(await client.get(key), 'value');
      assert.equal(await client.get('r3node-missing'), null);
      await client.hSet(`${key}:h`, { a: '1', b: '2' });
      assert.deepEqual({ ...(await client.hGetAll(`${key}:h`)) }, { a: '1', b: '2' });
      const got: string[] = [];
      const arrived = new Promise<void>((resolve) => {
        void subscriber.subscribe('r3node:chan', (message, channel) => {
          got.push(`${channel}=${message}`);
          resolve();
        });
      });
      // The subscribe is confirmed once the proxy holds the channel on its master.
      for (let i = 0; i < 100 && (await client.publish('r3node:chan', 'hello')) === 0; i++)
        await new Promise((resolve) => setTimeout(resolve, 20));
      await arrived;
      assert.equal(got[0], 'r3node:chan=hello');
      const results = await client.multi().set(`${key}:tx`, '1').incr(`${key}:tx`).get(`${key}:tx`).exec();
      assert.deepEqual([...results], ['OK', 2, '2']);
      assert.equal(await client.blPop(`${key}:list`, 0.05), null);
      await client.del(`${key}:tx`);
      // A RESP3 subscriber runs ordinary commands on the same connection.
      assert.equal(await subscriber.get(key), 'value');
      await client.del([key, `${key}:h`]);
    } finally {
      client.destroy();
      subscriber.destroy();
    }
  });
});

describe('codis-proxy RESP3 sessions with passwords', () => {
  let backend: RunningServer;
  let redis: RunningServer;
  let fixture: ProxyFixture;

  before(async () => {
    // The backend wants product_auth: the proxy's RESP3 connections authenticate within HELLO 3.
    [backend, redis] = await Promise.all([
      startServer('codis-server', { args: ['--requirepass', 'product'] }),
      startServer('redis-server', { args: ['--requirepass', 'secret'] }),
    ]);
    fixture = await startProxy({ session_auth: 'secret', product_auth: 'product' });
    fixture.proxy.fillSlots(slotRange(0, 1023, `127.0.0.1:${backend.port}`));
    fixture.proxy.start();
  });
  after(async () => {
    await fixture.close();
    await Promise.all([backend.stop(), redis.stop()]);
  });

  it('authenticates with HELLO 3 AUTH as redis-server 7 does', async () => {
    const [p, r] = await Promise.all([RawConnection.open(fixture.port), RawConnection.open(redis.port)]);
    try {
      for (const args of [
        ['HELLO', '3'],
        ['HELLO', '3', 'AUTH', 'default', 'wrong'],
        ['HELLO', '3', 'AUTH', 'someone', 'secret'],
        ['HELLO'],
      ]) {
        const [viaProxy, viaRedis] = await Promise.all([p.call(...args), r.call(...args)]);
        assert.equal(viaProxy, viaRedis, args.join(' '));
      }
      const [viaProxy, viaRedis] = await Promise.all([
        p.call('HELLO', '3', 'AUTH', 'default', 'secret'),
        r.call('HELLO', '3', 'AUTH', 'default', 'secret'),
      ]);
      assert.equal(helloShape(viaProxy), helloShape(viaRedis));
      for (const args of [
        ['GET', 'r3auth'],
        ['SET', 'r3auth', '1'],
        ['HGETALL', 'r3auth'],
        ['DEL', 'r3auth'],
      ]) {
        const [fromProxy, fromRedis] = await Promise.all([p.call(...args), r.call(...args)]);
        assert.equal(fromProxy, fromRedis, args.join(' '));
      }
    } finally {
      p.close();
      r.close();
    }
  });
});
