// Pub/sub through codis-proxy (issue #9): two codis-servers (slots 0..511 on A, 512..1023 on B)
// behind two proxies. Subscribers on one proxy receive what is published through the other, for
// channels of both groups; the proxy's confirmations, PING and refusals are byte for byte those of
// a single redis-server 7; patterns, shard channels, keyspace notifications, a Spring-Session-like
// flow, PUBSUB across proxies, a channel's slot moved to the other group while subscribed, 10,000
// channels on one connection, a subscriber that never reads, ioredis and node-redis, and
// proxy_pubsub_enabled = false restoring Codis's refusal.
import assert from 'node:assert/strict';
import { createServer, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { createClient } from 'redis';
import { slotOf } from '../../src/slots/index.ts';
import {
  type ProxyFixture,
  sleep,
  slotRange,
  startProxy,
  startTwoGroups,
  type TwoGroups,
} from '../helpers/proxy-fixture.ts';
import { RawConnection } from '../helpers/raw-connection.ts';
import { type RunningServer, startServer } from '../helpers/redis-servers.ts';

/** A name with the prefix whose slot is on group A (slot < 512) or B. */
function nameOn(group: 'A' | 'B', prefix: string): string {
  for (let i = 0; ; i++) {
    const name = `${prefix}${i}`;
    if (slotOf(name) < 512 === (group === 'A')) return name;
  }
}

function message(channel: string, payload: string): string {
  return `*3\r\n$7\r\nmessage\r\n$${channel.length}\r\n${channel}\r\n$${payload.length}\r\n${payload}\r\n`;
}

function pmessage(pattern: string, channel: string, payload: string): string {
  return (
    `*4\r\n$8\r\npmessage\r\n$${pattern.length}\r\n${pattern}\r\n` +
    `$${channel.length}\r\n${channel}\r\n$${payload.length}\r\n${payload}\r\n`
  );
}

/** The next `count` frames of a connection as latin1 strings. */
async function frames(connection: RawConnection, count: number, timeoutMs = 5000): Promise<string[]> {
  const out: string[] = [];
  for (let i = 0; i < count; i++) out.push((await connection.reply(timeoutMs)).raw);
  return out;
}

/** Fails when a frame arrives within `ms`. */
async function nothingWithin(connection: RawConnection, ms: number): Promise<void> {
  await assert.rejects(connection.reply(ms), /no reply within/);
}

describe('codis-proxy pub/sub', () => {
  let cluster: TwoGroups;
  let a: RunningServer;
  let b: RunningServer;
  let redis: RunningServer;
  let p1: ProxyFixture;
  let p2: ProxyFixture;
  let addrA: string;
  let addrB: string;
  const open: RawConnection[] = [];
  const connect = async (port: number): Promise<RawConnection> => {
    const connection = await RawConnection.open(port);
    open.push(connection);
    return connection;
  };

  before(async () => {
    cluster = await startTwoGroups({ reference: true });
    ({ a, b, addrA, addrB } = cluster);
    [p1, p2] = cluster.proxies as [ProxyFixture, ProxyFixture];
    redis = cluster.reference as RunningServer;
  });
  after(async () => {
    for (const connection of open) connection.close();
    await cluster.close();
  });

  it('confirms, pings and refuses byte for byte as a single redis-server 7', async () => {
    const chA = nameOn('A', 'same:');
    const chB = nameOn('B', 'same:');
    // Each command with the number of frames it answers.
    const sequence: Array<[string[], number]> = [
      [['UNSUBSCRIBE'], 1],
      [['PUNSUBSCRIBE'], 1],
      [['SUNSUBSCRIBE'], 1],
      [['SUBSCRIBE'], 1],
      [['PUBLISH', chA], 1],
      [['SUBSCRIBE', chA, chB, chA], 3],
      [['PSUBSCRIBE', 'same:*'], 1],
      [['SSUBSCRIBE', 'shard:1', 'shard:2'], 2],
      [['GET', 'x'], 1],
      [['set', 'x', 'y'], 1],
      [['PUBLISH', chA, 'hello'], 1],
      [['PING'], 1],
      [['PING', 'hi'], 1],
      [['PING', 'a', 'b'], 1],
      [['UNSUBSCRIBE', 'never'], 1],
      [['UNSUBSCRIBE', chA], 1],
      [['UNSUBSCRIBE'], 1],
      [['PUNSUBSCRIBE', 'other*'], 1],
      [['PUNSUBSCRIBE'], 1],
      [['SUNSUBSCRIBE', 'shard:2'], 1],
      [['SUNSUBSCRIBE', 'shard:9'], 1],
      [['SUNSUBSCRIBE'], 1],
      [['GET', 'pubsub-absent'], 1],
      [['PING'], 1],
    ];
    const run = async (port: number): Promise<string[]> => {
      const connection = await connect(port);
      const out: string[] = [];
      for (const [command, count] of sequence) {
        connection.send(...command);
        out.push((await frames(connection, count)).join(''));
      }
      connection.close();
      return out;
    };
    const expected = await run(redis.port);
    const actual = await run(p1.port);
    for (let i = 0; i < sequence.length; i++) {
      assert.equal(actual[i], expected[i], `reply to ${JSON.stringify(sequence[i]?.[0])}`);
    }
    assert.match(expected[8] as string, /^-ERR Can't execute 'get': only \(P\|S\)SUBSCRIBE/);
  });

  it('delivers what is published through one proxy to subscribers on another, on both groups', async () => {
    const chA = nameOn('A', 'news:');
    const chB = nameOn('B', 'news:');
    const subscriber = await connect(p1.port);
    const other = await connect(p2.port);
    const publisher = await connect(p2.port);
    subscriber.send('SUBSCRIBE', chA, chB);
    assert.deepEqual(await frames(subscriber, 2), [
      `*3\r\n$9\r\nsubscribe\r\n$${chA.length}\r\n${chA}\r\n:1\r\n`,
      `*3\r\n$9\r\nsubscribe\r\n$${chB.length}\r\n${chB}\r\n:2\r\n`,
    ]);
    assert.match(await other.call('SUBSCRIBE', chB), /:1\r\n$/);
    assert.equal(await publisher.call('PUBLISH', chA, 'to-a'), ':1\r\n');
    assert.equal(await publisher.call('PUBLISH', chB, 'to-b'), ':2\r\n');
    assert.equal(await publisher.call('PUBLISH', 'nobody-listens', 'x'), ':0\r\n');
    // Messages of one master arrive in order; those of different masters in either order.
    assert.deepEqual(
      (await frames(subscriber, 2)).sort(),
      [message(chA, 'to-a'), message(chB, 'to-b')].sort(),
    );
    assert.deepEqual(await frames(other, 1), [message(chB, 'to-b')]);
    // Binary payloads and hash tags: the channel {tag}x is routed by its tag.
    const tagged = `{${chA}}x`;
    assert.equal(slotOf(tagged), slotOf(chA));
    subscriber.send('SUBSCRIBE', tagged);
    await subscriber.reply();
    const payload = Buffer.from([0, 255, 13, 10, 1]);
    publisher.send('PUBLISH', tagged, payload);
    assert.equal(await publisher.reply().then((r) => r.raw), ':1\r\n');
    assert.equal((await subscriber.reply()).raw, message(tagged, payload.latin1Slice()));
    // After the unsubscribe is confirmed nothing more arrives for the channel.
    subscriber.send('UNSUBSCRIBE', chA);
    assert.match((await subscriber.reply()).raw, /unsubscribe/);
    assert.equal(await publisher.call('PUBLISH', chA, 'late'), ':0\r\n');
    await nothingWithin(subscriber, 200);
    // As with one redis-server: once a (un)subscribe is confirmed, PUBLISH counts accordingly.
    const flip = await connect(p1.port);
    for (let i = 0; i < 20; i++) {
      assert.match(await flip.call('SUBSCRIBE', chA), /:1\r\n$/);
      assert.equal(await publisher.call('PUBLISH', chA, `n${i}`), ':1\r\n');
      assert.equal((await flip.reply()).raw, message(chA, `n${i}`));
      assert.match(await flip.call('UNSUBSCRIBE', chA), /:0\r\n$/);
      assert.equal(await publisher.call('PUBLISH', chA, 'gone'), ':0\r\n');
    }
  });

  it('PSUBSCRIBE receives from both groups; SSUBSCRIBE/SPUBLISH on the channel slot', async () => {
    const subscriber = await connect(p1.port);
    const publisher = await connect(p2.port);
    assert.equal(
      await subscriber.call('PSUBSCRIBE', 'room.*'),
      '*3\r\n$10\r\npsubscribe\r\n$6\r\nroom.*\r\n:1\r\n',
    );
    const roomA = nameOn('A', 'room.');
    const roomB = nameOn('B', 'room.');
    assert.equal(await publisher.call('PUBLISH', roomA, 'pa'), ':1\r\n');
    assert.equal(await publisher.call('PUBLISH', roomB, 'pb'), ':1\r\n');
    assert.deepEqual(
      (await frames(subscriber, 2)).sort(),
      [pmessage('room.*', roomA, 'pa'), pmessage('room.*', roomB, 'pb')].sort(),
    );

    const shards = await connect(p1.port);
    const shA = nameOn('A', 'sh:');
    const shB = nameOn('B', 'sh:');
    assert.deepEqual(
      await shards
        .call('SSUBSCRIBE', shA)
        .then(async (first) => [first, await shards.call('SSUBSCRIBE', shB)]),
      [
        `*3\r\n$10\r\nssubscribe\r\n$${shA.length}\r\n${shA}\r\n:1\r\n`,
        `*3\r\n$10\r\nssubscribe\r\n$${shB.length}\r\n${shB}\r\n:2\r\n`,
      ],
    );
    assert.equal(await publisher.call('SPUBLISH', shA, 's1'), ':1\r\n');
    assert.equal(await publisher.call('SPUBLISH', shB, 's2'), ':1\r\n');
    const smessage = (channel: string, payload: string): string =>
      `*3\r\n$8\r\nsmessage\r\n$${channel.length}\r\n${channel}\r\n$${payload.length}\r\n${payload}\r\n`;
    assert.deepEqual((await frames(shards, 2)).sort(), [smessage(shA, 's1'), smessage(shB, 's2')].sort());
    // A plain PUBLISH does not reach shard subscribers, as in Redis.
    assert.equal(await publisher.call('PUBLISH', shA, 'plain'), ':0\r\n');
    await nothingWithin(shards, 150);
  });

  it('keyspace notifications of both groups and a Spring-Session-like flow', async () => {
    for (const server of [a, b]) {
      const direct = await connect(server.port);
      assert.equal(await direct.call('CONFIG', 'SET', 'notify-keyspace-events', 'KEA'), '+OK\r\n');
    }
    // What Spring Session's RedisIndexedSessionRepository subscribes to.
    const session = await connect(p1.port);
    session.send(
      'PSUBSCRIBE',
      '__keyevent@*__:del',
      '__keyevent@*__:expired',
      'spring:session:event:0:created:*',
    );
    assert.deepEqual(
      (await frames(session, 3)).map((frame) => frame.slice(-4)),
      [':1\r\n', ':2\r\n', ':3\r\n'],
    );
    const keyspace = await connect(p1.port);
    const keyB = nameOn('B', 'spring:session:sessions:expires:');
    assert.match(await keyspace.call('SUBSCRIBE', `__keyspace@0__:${keyB}`), /:1\r\n$/);

    const app = await connect(p2.port);
    const idA = nameOn('A', 'id');
    const sessionKey = `spring:session:sessions:${idA}`;
    assert.equal(slotOf(sessionKey) < 512, slotOf(`spring:session:sessions:${idA}`) < 512);
    assert.equal(await app.call('HSET', sessionKey, 'creationTime', '1'), ':1\r\n');
    assert.equal(await app.call('PUBLISH', `spring:session:event:0:created:${idA}`, 'created'), ':1\r\n');
    assert.equal(await app.call('SET', keyB, ''), '+OK\r\n');
    assert.equal(await app.call('DEL', sessionKey, keyB), ':2\r\n');
    const seen = await frames(session, 3);
    assert.deepEqual(
      seen.sort(),
      [
        pmessage('spring:session:event:0:created:*', `spring:session:event:0:created:${idA}`, 'created'),
        pmessage('__keyevent@*__:del', '__keyevent@0__:del', keyB),
        pmessage('__keyevent@*__:del', '__keyevent@0__:del', sessionKey),
      ].sort(),
    );
    assert.deepEqual(await frames(keyspace, 2), [
      message(`__keyspace@0__:${keyB}`, 'set'),
      message(`__keyspace@0__:${keyB}`, 'del'),
    ]);
    // An expiring session on group B: the expired event comes from B.
    assert.equal(await app.call('SET', keyB, '', 'PX', '30'), '+OK\r\n');
    await frames(keyspace, 1);
    const expired = await session.reply(5000);
    assert.equal(expired.raw, pmessage('__keyevent@*__:expired', '__keyevent@0__:expired', keyB));
  });

  it('PUBSUB CHANNELS/NUMSUB/NUMPAT answer for the whole product, across proxies', async () => {
    const chA = nameOn('A', 'count:');
    const chB = nameOn('B', 'count:');
    const s1 = await connect(p1.port);
    const s2 = await connect(p2.port);
    s1.send('SUBSCRIBE', chA, chB);
    await frames(s1, 2);
    await s2.call('SUBSCRIBE', chB);
    await s2.call('PSUBSCRIBE', 'count-pattern:*');
    const asker = await connect(p1.port);
    assert.equal(
      await asker.call('PUBSUB', 'NUMSUB', chA, chB, 'count:none'),
      `*6\r\n$${chA.length}\r\n${chA}\r\n:1\r\n$${chB.length}\r\n${chB}\r\n:2\r\n$10\r\ncount:none\r\n:0\r\n`,
    );
    const channels = (await asker.value('PUBSUB', 'CHANNELS', 'count:*')) as Array<{ text: string }>;
    assert.deepEqual(channels.map((item) => String(item.text ?? item)).sort(), [chA, chB].sort());
    const numpat = Number((await asker.call('PUBSUB', 'NUMPAT')).slice(1, -2));
    assert.ok(numpat >= 1, `NUMPAT ${numpat}`);
    assert.equal(
      await asker.call('PUBSUB', 'NOPE'),
      await (await connect(redis.port)).call('PUBSUB', 'NOPE'),
    );
    assert.equal(await asker.call('PUBSUB'), "-ERR wrong number of arguments for 'pubsub' command\r\n");
  });

  it('keeps delivering when a subscribed channel slot moves to the other group', async () => {
    const channel = nameOn('A', 'moving:');
    const slot = slotOf(channel);
    const subscriber = await connect(p1.port);
    const publisher = await connect(p2.port);
    assert.match(await subscriber.call('SUBSCRIBE', channel), /:1\r\n$/);
    assert.equal(await publisher.call('PUBLISH', channel, 'before'), ':1\r\n');
    assert.deepEqual(await frames(subscriber, 1), [message(channel, 'before')]);
    // Migration: B is the slot's master, A its source (held on both while it migrates).
    // Publishing goes to the source while the slot migrates: no wait is needed for the
    // subscriber's new subscription on B.
    for (const fixture of [p1, p2]) {
      fixture.proxy.fillSlots([{ id: slot, backend_addr: addrB, migrate_from: addrA }]);
    }
    assert.equal(await publisher.call('PUBLISH', channel, 'during'), ':1\r\n');
    assert.deepEqual(await frames(subscriber, 1), [message(channel, 'during')]);
    // While it migrates the channel is held on both: by its end (a migration takes a while) B
    // holds it too, so publishing on B from then on misses nothing.
    const direct = await connect(a.port);
    const onB = await connect(b.port);
    const deadline = Date.now() + 5000;
    while ((await onB.call('PUBSUB', 'NUMSUB', channel)).endsWith(':0\r\n') && Date.now() < deadline) {
      await sleep(20);
    }
    assert.match(await onB.call('PUBSUB', 'NUMSUB', channel), /:1\r\n$/);
    assert.match(await direct.call('PUBSUB', 'NUMSUB', channel), /:1\r\n$/);
    for (const fixture of [p1, p2]) fixture.proxy.fillSlots([{ id: slot, backend_addr: addrB }]);
    assert.equal(await publisher.call('PUBLISH', channel, 'after'), ':1\r\n');
    assert.deepEqual(await frames(subscriber, 1), [message(channel, 'after')]);
    // Once pruned, A no longer holds the subscription.
    while (
      (await direct.call('PUBSUB', 'NUMSUB', channel)).endsWith(':1\r\n') &&
      Date.now() < deadline + 5000
    ) {
      await sleep(100);
    }
    assert.match(await direct.call('PUBSUB', 'NUMSUB', channel), /:0\r\n$/);
    // A plain switch (no migration) back to A: the subscriber's new subscription on A lands within
    // a moment; a message published through a switched proxy in that moment would be missed.
    for (const fixture of [p1, p2]) fixture.proxy.fillSlots([{ id: slot, backend_addr: addrA }]);
    while (
      (await direct.call('PUBSUB', 'NUMSUB', channel)).endsWith(':0\r\n') &&
      Date.now() < deadline + 10_000
    ) {
      await sleep(20);
    }
    assert.equal(await publisher.call('PUBLISH', channel, 'back'), ':1\r\n');
    assert.deepEqual(await frames(subscriber, 1), [message(channel, 'back')]);
  });

  it('holds 10,000 channels on one connection', async () => {
    const subscriber = await connect(p1.port);
    const names = Array.from({ length: 10_000 }, (_, i) => `many:${i}`);
    subscriber.send('SUBSCRIBE', ...names);
    const confirmations = await frames(subscriber, 10_000, 20_000);
    assert.equal(confirmations[9_999], `*3\r\n$9\r\nsubscribe\r\n$9\r\nmany:9999\r\n:10000\r\n`);
    const publisher = await connect(p2.port);
    assert.equal(await publisher.call('PUBLISH', 'many:1234', 'x'), ':1\r\n');
    assert.equal(await publisher.call('PUBLISH', 'many:9876', 'y'), ':1\r\n');
    assert.deepEqual(
      (await frames(subscriber, 2)).sort(),
      [message('many:1234', 'x'), message('many:9876', 'y')].sort(),
    );
    assert.equal(
      await publisher.call('PUBSUB', 'NUMSUB', 'many:0', 'many:5000'),
      '*4\r\n$6\r\nmany:0\r\n:1\r\n$9\r\nmany:5000\r\n:1\r\n',
    );
    subscriber.send('UNSUBSCRIBE');
    const left = await frames(subscriber, 10_000, 20_000);
    assert.match(left[9_999] as string, /:0\r\n$/);
    assert.equal(await subscriber.call('PING'), '+PONG\r\n');
    assert.equal(await publisher.call('PUBLISH', 'many:1234', 'x'), ':0\r\n');
  });

  it('disconnects a subscriber that never reads, and only it', async () => {
    const limited = await startProxy({ proxy_pubsub_output_limit: 4 * 1024 * 1024 });
    try {
      limited.proxy.fillSlots([...slotRange(0, 511, addrA), ...slotRange(512, 1023, addrB)]);
      limited.proxy.start();
      const channel = nameOn('B', 'flood:');
      const slow = await connect(limited.port);
      const fast = await connect(limited.port);
      await slow.call('SUBSCRIBE', channel);
      await fast.call('SUBSCRIBE', channel);
      slow.pauseReading();
      const publisher = await connect(p2.port);
      const payload = 'x'.repeat(16 * 1024);
      const total = 2000;
      const expected = message(channel, payload);
      // Paced like an application (the fast subscriber keeps up), far beyond the limit in total.
      for (let sent = 0; sent < total; sent += 20) {
        for (let i = 0; i < 20; i++) publisher.send('PUBLISH', channel, payload);
        for (let i = 0; i < 20; i++) await publisher.reply(20_000);
        for (let i = 0; i < 20; i++) assert.equal((await fast.reply(20_000)).raw, expected);
      }
      // The slow client's socket is paused, so it cannot see the close: the proxy's count shows it.
      const deadline = Date.now() + 10_000;
      while (limited.proxy.stats().sessions.alive > 1 && Date.now() < deadline) await sleep(20);
      assert.equal(limited.proxy.stats().sessions.alive, 1);
      assert.equal(await fast.call('PING'), '*2\r\n$4\r\npong\r\n$0\r\n\r\n');
      assert.equal(await publisher.call('PUBLISH', channel, 'still'), ':1\r\n');
      assert.deepEqual(await frames(fast, 1), [message(channel, 'still')]);
    } finally {
      await limited.close();
    }
  });

  it('ioredis and node-redis subscribe, psubscribe and publish through the proxy', async () => {
    const chA = nameOn('A', 'lib:');
    const chB = nameOn('B', 'lib:');
    const subscriber = new Redis({ port: p1.port, host: '127.0.0.1', lazyConnect: true });
    const publisher = new Redis({ port: p2.port, host: '127.0.0.1', lazyConnect: true });
    const node = createClient({ url: `redis://127.0.0.1:${p1.port}`, RESP: 2 });
    const nodePublisher = createClient({ url: `redis://127.0.0.1:${p2.port}`, RESP: 2 });
    try {
      await Promise.all([subscriber.connect(), publisher.connect(), node.connect(), nodePublisher.connect()]);
      const got: string[] = [];
      subscriber.on('message', (channel: string, text: string) => got.push(`${channel}=${text}`));
      subscriber.on('pmessage', (pattern: string, channel: string, text: string) =>
        got.push(`${pattern}:${channel}=${text}`),
      );
      assert.equal(await subscriber.subscribe(chA, chB), 2);
      assert.equal(await subscriber.psubscribe('lib:*'), 3);
      assert.equal(await publisher.publish(chA, 'one'), 2);
      assert.equal(await publisher.publish(chB, 'two'), 2);
      const nodeGot: string[] = [];
      await node.subscribe(chB, (text, channel) => nodeGot.push(`${channel}=${text}`));
      await node.pSubscribe('lib:*', (text, channel) => nodeGot.push(`p:${channel}=${text}`));
      assert.equal(await nodePublisher.publish(chB, 'three'), 4);
      const deadline = Date.now() + 5000;
      while ((got.length < 6 || nodeGot.length < 2) && Date.now() < deadline) await sleep(20);
      assert.deepEqual(
        got.sort(),
        [
          `${chA}=one`,
          `${chB}=three`,
          `${chB}=two`,
          `lib:*:${chA}=one`,
          `lib:*:${chB}=three`,
          `lib:*:${chB}=two`,
        ].sort(),
      );
      assert.deepEqual(nodeGot.sort(), [`${chB}=three`, `p:${chB}=three`]);
      await node.unsubscribe(chB);
      await node.pUnsubscribe('lib:*');
      assert.equal(await nodePublisher.publish(chB, 'four'), 2);
    } finally {
      subscriber.disconnect();
      publisher.disconnect();
      node.destroy();
      nodePublisher.destroy();
    }
  });

  it('a subscriber resubscribes after its master restarts', async () => {
    const channel = nameOn('B', 'restart:');
    const subscriber = await connect(p1.port);
    subscriber.send('SUBSCRIBE', channel);
    subscriber.send('PSUBSCRIBE', 'restart:*');
    assert.equal((await frames(subscriber, 2))[1], '*3\r\n$10\r\npsubscribe\r\n$9\r\nrestart:*\r\n:2\r\n');
    const port = b.port;
    await b.stop();
    b = await startServer('codis-server', { port });
    cluster.b = b;
    const publisher = await connect(p2.port);
    // The shared connections and the subscriber's own reconnect on their own.
    let last = '';
    const deadline = Date.now() + 10_000;
    for (let i = 0; Date.now() < deadline; i++) {
      last = `again-${i}`;
      if ((await publisher.call('PUBLISH', channel, last)) === ':2\r\n') break;
      await sleep(50);
    }
    const wanted = [message(channel, last), pmessage('restart:*', channel, last)];
    const seen: string[] = [];
    while (!wanted.every((frame) => seen.includes(frame))) seen.push((await subscriber.reply(5000)).raw);
  });

  it('follows a sentinel switch of the master (failover)', async () => {
    const channel = nameOn('B', 'failover:');
    for (const fixture of [p1, p2]) {
      fixture.proxy.fillSlots([
        ...slotRange(0, 511, addrA, { backend_addr_group_id: 1 }),
        ...slotRange(512, 1023, addrB, { backend_addr_group_id: 2 }),
      ]);
    }
    await sleep(50);
    const subscriber = await connect(p1.port);
    subscriber.send('SUBSCRIBE', channel);
    subscriber.send('PSUBSCRIBE', 'failover:*');
    await frames(subscriber, 2);
    const publisher = await connect(p2.port);
    assert.equal(await publisher.call('PUBLISH', channel, 'on-b'), ':2\r\n');
    await frames(subscriber, 2);
    // Group 2's master is now the other server (as after a sentinel failover), on both proxies.
    const promoted = `127.0.0.1:${redis.port}`;
    for (const fixture of [p1, p2]) fixture.proxy.router.switchMasters(new Map([[2, promoted]]));
    await sleep(100);
    assert.equal(await publisher.call('PUBLISH', channel, 'on-new-master'), ':2\r\n');
    const seen = (await frames(subscriber, 2)).sort();
    assert.deepEqual(
      seen,
      [message(channel, 'on-new-master'), pmessage('failover:*', channel, 'on-new-master')].sort(),
    );
    const direct = await connect(redis.port);
    assert.match(await direct.call('PUBSUB', 'NUMSUB', channel), /:1\r\n$/);
  });

  it('refuses subscribing inside MULTI (flagging the transaction) and MULTI in subscribe mode', async () => {
    const client = await connect(p1.port);
    assert.equal(await client.call('MULTI'), '+OK\r\n');
    for (const name of ['SUBSCRIBE', 'PSUBSCRIBE', 'SSUBSCRIBE']) {
      assert.equal(
        await client.call(name, 'ch', 'x'),
        `-ERR handle request, command '${name}' is not allowed inside a transaction\r\n`,
      );
    }
    assert.equal(
      await client.call('EXEC'),
      '-EXECABORT Transaction discarded because of previous errors.\r\n',
    );
    assert.match(await client.call('SUBSCRIBE', 'ch'), /:1\r\n$/);
    assert.equal(
      await client.call('MULTI'),
      "-ERR Can't execute 'multi': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context\r\n",
    );
  });

  it('does not hang on a master that accepts but never answers', async () => {
    // A black hole: it takes connections and bytes and never replies.
    const sockets: Socket[] = [];
    const hole = createServer((socket) => {
      sockets.push(socket);
      socket.on('error', () => {});
    });
    await new Promise<void>((resolve) => hole.listen(0, '127.0.0.1', resolve));
    const address = hole.address();
    assert.ok(address !== null && typeof address === 'object');
    const proxy = await startProxy({ backend_ping_period: 100, backend_recv_timeout: 400 });
    try {
      proxy.proxy.fillSlots(slotRange(0, 1023, `127.0.0.1:${address.port}`));
      proxy.proxy.start();
      const subscriber = await connect(proxy.port);
      const started = Date.now();
      // Confirmed once the silent connection is given up (its subscriptions are kept and
      // restored when the master answers again).
      assert.equal(
        await subscriber.call('SUBSCRIBE', 'void'),
        '*3\r\n$9\r\nsubscribe\r\n$4\r\nvoid\r\n:1\r\n',
      );
      assert.ok(Date.now() - started < 5000);
      assert.equal(await subscriber.call('PING'), '*2\r\n$4\r\npong\r\n$0\r\n\r\n');
    } finally {
      await proxy.close();
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => hole.close(() => resolve()));
    }
  });

  it('asks for session_auth first, and authenticates its own connections with product_auth', async () => {
    const guarded = await startServer('codis-server', { args: ['--requirepass', 'secret'] });
    const proxy = await startProxy({ product_auth: 'secret', session_auth: 'pw' });
    try {
      proxy.proxy.fillSlots(slotRange(0, 1023, `127.0.0.1:${guarded.port}`));
      proxy.proxy.start();
      const subscriber = await connect(proxy.port);
      assert.equal(await subscriber.call('SUBSCRIBE', 'guarded'), '-NOAUTH Authentication required\r\n');
      assert.equal(await subscriber.call('PUBLISH', 'guarded', 'x'), '-NOAUTH Authentication required\r\n');
      assert.equal(await subscriber.call('AUTH', 'pw'), '+OK\r\n');
      assert.equal(
        await subscriber.call('SUBSCRIBE', 'guarded'),
        '*3\r\n$9\r\nsubscribe\r\n$7\r\nguarded\r\n:1\r\n',
      );
      const publisher = await connect(proxy.port);
      await publisher.call('AUTH', 'pw');
      assert.equal(await publisher.call('PUBLISH', 'guarded', 'ok'), ':1\r\n');
      assert.deepEqual(await frames(subscriber, 1), [message('guarded', 'ok')]);
    } finally {
      await proxy.close();
      await guarded.stop();
    }
  });

  it('proxy_pubsub_enabled = false keeps Codis refusal', async () => {
    const off = await startProxy({ proxy_pubsub_enabled: false });
    try {
      off.proxy.fillSlots([...slotRange(0, 511, addrA), ...slotRange(512, 1023, addrB)]);
      off.proxy.start();
      const client = await connect(off.port);
      for (const name of ['SUBSCRIBE', 'PSUBSCRIBE', 'UNSUBSCRIBE', 'PUNSUBSCRIBE', 'PUBLISH']) {
        assert.equal(
          await client.call(name, 'x', 'y'),
          `-ERR handle request, command '${name}' is not allowed\r\n`,
        );
      }
      for (const name of ['SSUBSCRIBE', 'SUNSUBSCRIBE', 'SPUBLISH']) {
        assert.equal(
          await client.call(name, 'x', 'y'),
          `-ERR handle request, command '${name}' is not allowed\r\n`,
        );
      }
      assert.equal(await client.call('PING'), '+PONG\r\n');
    } finally {
      await off.close();
    }
  });
});
