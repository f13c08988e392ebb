// MULTI/EXEC/DISCARD/WATCH/UNWATCH through codis-proxy: two codis-servers (slots 0..511 on A,
// 512..1023 on B) behind two proxies. The replies match a redis-server 7 byte for byte for the same
// sequence; WATCH conflicts caused through the other proxy abort EXEC; keys of another slot are
// refused at queue time; a migrating slot has the transaction's keys moved to the target first; a
// master change after WATCH aborts EXEC; ioredis and node-redis transactions work.
import assert from 'node:assert/strict';
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
import type { RunningServer } from '../helpers/redis-servers.ts';
import { moveSlot } from '../helpers/slot-mover.ts';

/** A hash tag whose slot is in [from, to] and not in `avoid`. */
function tagIn(from: number, to: number, avoid: number[] = []): string {
  for (let i = 0; ; i++) {
    const slot = slotOf(`t${i}`);
    if (slot >= from && slot <= to && !avoid.includes(slot)) return `t${i}`;
  }
}

describe('codis-proxy transactions', () => {
  let cluster: TwoGroups;
  let a: RunningServer;
  let b: RunningServer;
  let reference: RunningServer;
  let one: ProxyFixture;
  let two: ProxyFixture;
  let addrA: string;
  let addrB: string;
  let direct: { a: RawConnection; b: RawConnection };

  before(async () => {
    // Short lock and semi-async waits: the tests that reach them stay quick.
    cluster = await startTwoGroups({ reference: true, proxyOptions: { slotWaitTimeout: 1000 } });
    ({ a, b, addrA, addrB } = cluster);
    [one, two] = cluster.proxies as [ProxyFixture, ProxyFixture];
    reference = cluster.reference as RunningServer;
    direct = { a: await RawConnection.open(a.port), b: await RawConnection.open(b.port) };
  });
  after(async () => {
    direct.a.close();
    direct.b.close();
    await cluster.close();
  });

  async function run(connection: RawConnection, script: string[][]): Promise<string[]> {
    const replies: string[] = [];
    for (const command of script) replies.push(await connection.call(...command));
    return replies;
  }

  it('answers a sequence byte for byte as redis-server 7 does', async () => {
    const t = tagIn(0, 1023);
    const k = (name: string) => `{${t}}${name}`;
    const script: string[][] = [
      ['EXEC'],
      ['DISCARD'],
      ['MULTI', 'extra'],
      ['WATCH'],
      ['MULTI'],
      ['MULTI'],
      ['WATCH', k('w')],
      ['SET', k('s'), 'v'],
      ['INCR', k('n')],
      ['GET', k('s')],
      ['PING'],
      ['ECHO', 'hi'],
      ['LPUSH', k('l'), 'a', 'b'],
      ['LRANGE', k('l'), '0', '-1'],
      ['INCR', k('s')],
      ['MSET', k('m1'), '1', k('m2'), '2'],
      ['MGET', k('m1'), k('m2'), k('nothing')],
      ['DEL', k('m1'), k('m2')],
      ['EXEC'],
      ['MULTI'],
      ['SET', k('d'), '1'],
      ['DISCARD'],
      ['GET', k('d')],
      ['MULTI'],
      ['GET'],
      ['SET', k('d'), '1'],
      ['EXEC'],
      ['GET', k('d')],
      ['MULTI'],
      ['NOSUCHCOMMAND', 'x', 'y'],
      ['EXEC'],
      ['MULTI'],
      ['OBJECT', 'NOSUCHSUB'],
      ['EXEC'],
      ['MULTI'],
      ['EXEC'],
      ['WATCH', k('w'), k('w2')],
      ['MULTI'],
      ['SET', k('w'), '1'],
      ['EXEC'],
      ['WATCH', k('w')],
      ['UNWATCH'],
      ['MULTI'],
      ['GET', k('w')],
      ['UNWATCH'],
      ['EXEC'],
      ['MULTI'],
      ['BLPOP', k('empty'), '1'],
      ['EXEC'],
    ];
    const proxied = await RawConnection.open(one.port);
    const redis = await RawConnection.open(reference.port);
    try {
      const ours = await run(proxied, script);
      const theirs = await run(redis, script);
      for (let i = 0; i < script.length; i++)
        assert.equal(ours[i], theirs[i], `reply to ${JSON.stringify(script[i])}`);
      assert.equal(
        ours[18],
        '*11\r\n+OK\r\n:1\r\n$1\r\nv\r\n+PONG\r\n$2\r\nhi\r\n:2\r\n*2\r\n$1\r\nb\r\n$1\r\na\r\n' +
          '-ERR value is not an integer or out of range\r\n+OK\r\n*3\r\n$1\r\n1\r\n$1\r\n2\r\n$-1\r\n:2\r\n',
      );
    } finally {
      proxied.close();
      redis.close();
    }
  });

  it('keeps a WATCH across SELECT as redis-server 7 does', async () => {
    const t = tagIn(0, 1023);
    const k = `{${t}}db`;
    // [connection, command]: 'o' is a second client (through the other proxy for ours).
    const script: Array<['c' | 'o', string[]]> = [
      ['c', ['WATCH', k]],
      ['c', ['SELECT', '1']],
      ['c', ['MULTI']],
      ['c', ['SET', k, 'db1']],
      ['c', ['EXEC']],
      ['c', ['GET', k]],
      ['c', ['SELECT', '0']],
      ['c', ['GET', k]],
      ['c', ['WATCH', k]],
      ['o', ['SET', k, 'other']],
      ['c', ['SELECT', '2']],
      ['c', ['WATCH', k]],
      ['c', ['MULTI']],
      ['c', ['SET', k, 'db2']],
      ['c', ['EXEC']],
      ['c', ['GET', k]],
      ['o', ['GET', k]],
    ];
    const replay = async (c: RawConnection, o: RawConnection): Promise<string[]> => {
      const replies: string[] = [];
      try {
        for (const [who, command] of script) replies.push(await (who === 'c' ? c : o).call(...command));
      } finally {
        c.close();
        o.close();
      }
      return replies;
    };
    const ours = await replay(await RawConnection.open(one.port), await RawConnection.open(two.port));
    const theirs = await replay(
      await RawConnection.open(reference.port),
      await RawConnection.open(reference.port),
    );
    assert.deepEqual(ours, theirs);
    assert.equal(ours[4], '*1\r\n+OK\r\n');
    assert.equal(ours[14], '*-1\r\n');
  });

  it('runs a pipelined transaction after the requests before it', async () => {
    const k = `{${tagIn(0, 511)}}p`;
    const c = await RawConnection.open(one.port);
    try {
      c.sendRaw(
        `*3\r\n$3\r\nSET\r\n$${k.length}\r\n${k}\r\n$2\r\n10\r\n*1\r\n$5\r\nMULTI\r\n` +
          `*2\r\n$4\r\nINCR\r\n$${k.length}\r\n${k}\r\n*1\r\n$4\r\nEXEC\r\n*2\r\n$3\r\nGET\r\n$${k.length}\r\n${k}\r\n`,
      );
      const replies: string[] = [];
      for (let i = 0; i < 5; i++) replies.push((await c.reply()).raw);
      assert.deepEqual(replies, ['+OK\r\n', '+OK\r\n', '+QUEUED\r\n', '*1\r\n:11\r\n', '$2\r\n11\r\n']);
    } finally {
      c.close();
    }
  });

  it('refuses to queue more than 64mb in one transaction', async () => {
    const k = `{${tagIn(0, 511)}}big`;
    const c = await RawConnection.open(one.port);
    const value = Buffer.alloc(1024 * 1024, 'v');
    try {
      assert.equal(await c.call('MULTI'), '+OK\r\n');
      for (let i = 0; i < 63; i++) c.send('APPEND', k, value);
      for (let i = 0; i < 63; i++) assert.equal((await c.reply()).raw, '+QUEUED\r\n');
      assert.equal(
        await c.call('APPEND', k, value),
        '-ERR handle request, transaction larger than 64mb, discarded at EXEC\r\n',
      );
      assert.equal(await c.call('EXEC'), '-EXECABORT Transaction discarded because of previous errors.\r\n');
      assert.equal(await c.call('EXISTS', k), ':0\r\n');
    } finally {
      c.close();
    }
  });

  it('publishes inside a transaction to the subscribers of the channel, in the same slot only', async () => {
    const tag = tagIn(512, 1023);
    const channel = `{${tag}}news`;
    const subscriber = await RawConnection.open(two.port);
    const c = await RawConnection.open(one.port);
    try {
      assert.equal(
        await subscriber.call('SUBSCRIBE', channel),
        `*3\r\n$9\r\nsubscribe\r\n$${channel.length}\r\n${channel}\r\n:1\r\n`,
      );
      assert.equal(await c.call('MULTI'), '+OK\r\n');
      assert.equal(await c.call('SET', `{${tag}}k`, 'v'), '+QUEUED\r\n');
      assert.equal(await c.call('PUBLISH', channel, 'hello'), '+QUEUED\r\n');
      assert.equal(await c.call('EXEC'), '*2\r\n+OK\r\n:1\r\n');
      assert.equal(
        (await subscriber.reply()).raw,
        `*3\r\n$7\r\nmessage\r\n$${channel.length}\r\n${channel}\r\n$5\r\nhello\r\n`,
      );
      const crossslot = "-CROSSSLOT Keys in request don't hash to the same slot\r\n";
      assert.equal(await c.call('MULTI'), '+OK\r\n');
      assert.equal(await c.call('SET', `{${tag}}k`, 'w'), '+QUEUED\r\n');
      assert.equal(await c.call('PUBLISH', `{${tagIn(0, 511)}}elsewhere`, 'x'), crossslot);
      assert.equal(
        await c.call('SUBSCRIBE', channel),
        "-ERR handle request, command 'SUBSCRIBE' is not allowed inside a transaction\r\n",
      );
      assert.equal(await c.call('EXEC'), '-EXECABORT Transaction discarded because of previous errors.\r\n');
    } finally {
      subscriber.close();
      c.close();
    }
  });

  it('reuses its dedicated backend connections', async () => {
    const k = `{${tagIn(512, 1023)}}reuse`;
    // Connections accepted by B so far: pooled connections are reused, none is opened again.
    const count = async () =>
      Number(/total_connections_received:(\d+)/.exec(await direct.b.call('INFO', 'stats'))?.[1]);
    const c = await RawConnection.open(one.port);
    try {
      await c.call('WATCH', k);
      await c.call('UNWATCH');
      const before = await count();
      for (let i = 0; i < 30; i++) {
        assert.equal(await c.call('WATCH', k), '+OK\r\n');
        assert.equal(await c.call('MULTI'), '+OK\r\n');
        assert.equal(await c.call('INCR', k), '+QUEUED\r\n');
        assert.equal(await c.call('EXEC'), `*1\r\n:${i + 1}\r\n`);
        assert.equal(await c.call('MULTI'), '+OK\r\n');
        assert.equal(await c.call('DISCARD'), '+OK\r\n');
      }
      assert.equal(await count(), before);
    } finally {
      c.close();
      await direct.b.call('DEL', k);
    }
  });

  it('aborts EXEC when a watched key is written through the other proxy', async () => {
    const k = `{${tagIn(512, 1023)}}watched`;
    const c1 = await RawConnection.open(one.port);
    const c2 = await RawConnection.open(two.port);
    try {
      assert.equal(await c1.call('WATCH', k), '+OK\r\n');
      assert.equal(await c2.call('SET', k, 'theirs'), '+OK\r\n');
      assert.equal(await c1.call('MULTI'), '+OK\r\n');
      assert.equal(await c1.call('SET', k, 'mine'), '+QUEUED\r\n');
      assert.equal(await c1.call('EXEC'), '*-1\r\n');
      assert.equal(await c1.call('GET', k), '$6\r\ntheirs\r\n');
      // Without a conflict the same transaction goes through.
      assert.equal(await c1.call('WATCH', k), '+OK\r\n');
      assert.equal(await c1.call('MULTI'), '+OK\r\n');
      assert.equal(await c1.call('SET', k, 'mine'), '+QUEUED\r\n');
      assert.equal(await c1.call('EXEC'), '*1\r\n+OK\r\n');
      assert.equal(await c2.call('GET', k), '$4\r\nmine\r\n');
    } finally {
      c1.close();
      c2.close();
    }
  });

  it('refuses keys of another slot with CROSSSLOT and discards the transaction', async () => {
    const ta = tagIn(0, 511);
    const tb = tagIn(0, 511, [slotOf(ta)]);
    const c = await RawConnection.open(one.port);
    const crossslot = "-CROSSSLOT Keys in request don't hash to the same slot\r\n";
    try {
      assert.equal(await c.call('MULTI'), '+OK\r\n');
      assert.equal(await c.call('SET', `{${ta}}x`, '1'), '+QUEUED\r\n');
      assert.equal(await c.call('SET', `{${tb}}x`, '1'), crossslot);
      assert.equal(await c.call('MSET', `{${ta}}y`, '1', `{${tb}}y`, '2'), crossslot);
      assert.equal(
        await c.call('KEYS', '*'),
        "-ERR handle request, command 'KEYS' is not allowed inside a transaction\r\n",
      );
      assert.equal(
        await c.call('SELECT', '1'),
        "-ERR handle request, command 'SELECT' is not allowed inside a transaction\r\n",
      );
      assert.equal(await c.call('EXEC'), '-EXECABORT Transaction discarded because of previous errors.\r\n');
      assert.equal(await c.call('EXISTS', `{${ta}}x`), ':0\r\n');
      assert.equal(await c.call('WATCH', `{${ta}}x`, `{${tb}}x`), crossslot);
      assert.equal(await c.call('WATCH', `{${ta}}x`), '+OK\r\n');
      assert.equal(await c.call('WATCH', `{${tb}}x`), crossslot);
      assert.equal(await c.call('MULTI'), '+OK\r\n');
      assert.equal(await c.call('GET', `{${tb}}x`), crossslot);
      assert.equal(await c.call('DISCARD'), '+OK\r\n');
      // DISCARD dropped the WATCH, so the next transaction may pick another slot.
      assert.equal(await c.call('MULTI'), '+OK\r\n');
      assert.equal(await c.call('SET', `{${tb}}x`, '2'), '+QUEUED\r\n');
      assert.equal(await c.call('EXEC'), '*1\r\n+OK\r\n');
    } finally {
      c.close();
    }
  });

  it('moves the keys of a migrating slot to the target before EXEC (sync method)', async () => {
    const tag = tagIn(0, 511);
    const slot = slotOf(tag);
    const k = `{${tag}}counter`;
    const other = `{${tag}}other`;
    assert.equal(await direct.a.call('SET', k, '41'), '+OK\r\n');
    assert.equal(await direct.a.call('SET', other, 'x'), '+OK\r\n');
    const migrating = { id: slot, backend_addr: addrB, migrate_from: addrA, forward_method: 0 };
    cluster.fillAll([migrating]);
    const c = await RawConnection.open(one.port);
    try {
      assert.equal(await c.call('WATCH', k), '+OK\r\n');
      assert.equal(await direct.a.call('EXISTS', k), ':0\r\n');
      assert.equal(await c.call('MULTI'), '+OK\r\n');
      assert.equal(await c.call('INCR', k), '+QUEUED\r\n');
      assert.equal(await c.call('APPEND', other, 'y'), '+QUEUED\r\n');
      assert.equal(await c.call('EXEC'), '*2\r\n:42\r\n:2\r\n');
      assert.equal(await direct.b.call('MGET', k, other), '*2\r\n$2\r\n42\r\n$2\r\nxy\r\n');
      assert.equal(await direct.a.call('EXISTS', k, other), ':0\r\n');
    } finally {
      c.close();
      for (const fixture of [one, two]) fixture.proxy.fillSlots([{ id: slot, backend_addr: addrB }]);
    }
    // Put the slot back on A for the other tests.
    assert.equal(
      (await direct.b.call('SLOTSMGRTTAGSLOT', '127.0.0.1', String(a.port), '3000', String(slot))).startsWith(
        '*2',
      ),
      true,
    );
    for (const fixture of [one, two]) fixture.proxy.fillSlots([{ id: slot, backend_addr: addrA }]);
  });

  for (const [method, name] of [
    [0, 'sync'],
    [1, 'semi-async'],
  ] as const) {
    it(`keeps transactions whole while their slot really migrates (${name} method)`, async (t) => {
      // Tags of one slot of A: transactions touch two tags at once; filler tags give the
      // migration something to move while they run.
      const slot = slotOf(tagIn(0, 511));
      const tags: string[] = [];
      for (let i = 0; tags.length < 40; i++)
        if (slotOf(`mg${method}-${i}`) === slot) tags.push(`mg${method}-${i}`);
      const counters = tags.slice(0, 6);
      const setup = await RawConnection.open(a.port);
      for (const tag of tags.slice(6)) await setup.call('SET', `{${tag}}filler`, 'x'.repeat(500));
      setup.close();
      const acknowledged = new Map<string, number>();
      const errors: string[] = [];
      let running = true;
      let tryagain = 0;
      let conflicts = 0;
      // MULTI INCR x, INCR y EXEC: both or neither.
      const multiWriter = async (port: number, id: number): Promise<void> => {
        const c = await RawConnection.open(port);
        for (let n = 0; running; n++) {
          const x = `{${counters[(n + id) % 3]}}c`;
          const y = `{${counters[(n + id + 1) % 3]}}c`;
          const replies = [await c.call('MULTI'), await c.call('INCR', x), await c.call('INCR', y)];
          const exec = await c.call('EXEC');
          if (replies.join('') !== '+OK\r\n+QUEUED\r\n+QUEUED\r\n') errors.push(replies.join(''));
          if (/^\*2\r\n:\d+\r\n:\d+\r\n$/.test(exec)) {
            for (const key of [x, y]) acknowledged.set(key, (acknowledged.get(key) ?? 0) + 1);
          } else if (exec.startsWith('-TRYAGAIN')) {
            tryagain++;
            await sleep(2);
          } else errors.push(exec);
        }
        c.close();
      };
      // Check-and-set increments under WATCH: an EXEC that runs must have read the latest value.
      const casWriter = async (port: number, id: number): Promise<void> => {
        const c = await RawConnection.open(port);
        for (let n = 0; running; n++) {
          const key = `{${counters[3 + ((n + id) % 3)]}}cas`;
          const watch = await c.call('WATCH', key);
          if (watch.startsWith('-TRYAGAIN')) {
            tryagain++;
            await sleep(2);
            continue;
          }
          if (watch !== '+OK\r\n') errors.push(watch);
          const value = await c.value('GET', key);
          const next = Number(value ?? 0) + 1;
          await c.call('MULTI');
          await c.call('SET', key, String(next));
          const exec = await c.call('EXEC');
          if (exec === '*1\r\n+OK\r\n') acknowledged.set(key, (acknowledged.get(key) ?? 0) + 1);
          else if (exec === '*-1\r\n') conflicts++;
          else if (exec.startsWith('-TRYAGAIN')) {
            tryagain++;
            await sleep(2);
          } else errors.push(exec);
        }
        c.close();
      };
      const writers = [
        multiWriter(one.port, 0),
        multiWriter(two.port, 1),
        casWriter(one.port, 0),
        casWriter(two.port, 1),
      ];
      await sleep(100);
      const moving = { id: slot, backend_addr: addrB, migrate_from: addrA, forward_method: method };
      for (const fixture of [one, two]) fixture.proxy.fillSlots([{ ...moving, locked: true }]);
      await sleep(20);
      for (const fixture of [one, two]) fixture.proxy.fillSlots([moving]);
      await moveSlot(a.port, b.port, slot, { method, numkeys: 2, pauseMs: 5 });
      for (const fixture of [one, two]) fixture.proxy.fillSlots([{ id: slot, backend_addr: addrB }]);
      await sleep(100);
      running = false;
      await Promise.all(writers);
      assert.deepEqual(errors, []);
      for (const tag of counters) {
        for (const key of [`{${tag}}c`, `{${tag}}cas`]) {
          const count = acknowledged.get(key) ?? 0;
          assert.equal(
            await direct.b.call('GET', key),
            count === 0 ? '$-1\r\n' : `$${String(count).length}\r\n${count}\r\n`,
          );
          assert.equal(await direct.a.call('EXISTS', key), ':0\r\n');
        }
      }
      assert.ok((acknowledged.get(`{${counters[0]}}c`) ?? 0) > 0);
      t.diagnostic(
        `${name}: ${[...acknowledged.values()].reduce((x, y) => x + y, 0)} acknowledged, ${tryagain} TRYAGAIN, ${conflicts} WATCH aborts`,
      );
      // Back to A for the other tests.
      const back = await RawConnection.open(b.port);
      for (;;) {
        const reply = await back.call('SLOTSMGRTTAGSLOT', '127.0.0.1', String(a.port), '3000', String(slot));
        if (reply.endsWith(':0\r\n')) break;
      }
      back.close();
      for (const fixture of [one, two]) fixture.proxy.fillSlots([{ id: slot, backend_addr: addrA }]);
    });
  }

  it('waits for the semi-async migrator to move its keys, TRYAGAIN when it stalls', async () => {
    const tag = tagIn(0, 511);
    const slot = slotOf(tag);
    const k = `{${tag}}async`;
    const fresh = `{${tag}}fresh`;
    assert.equal(await direct.a.call('SET', k, '1'), '+OK\r\n');
    one.proxy.fillSlots([{ id: slot, backend_addr: addrB, migrate_from: addrA, forward_method: 1 }]);
    const c = await RawConnection.open(one.port);
    try {
      assert.equal(await c.call('MULTI'), '+OK\r\n');
      assert.equal(await c.call('INCR', k), '+QUEUED\r\n');
      // Nothing moves the key (slotWaitTimeout is 1 s here): refused, nothing applied.
      assert.match(await c.call('EXEC'), /^-TRYAGAIN /);
      assert.equal(await direct.a.call('GET', k), '$1\r\n1\r\n');
      assert.equal(await direct.b.call('EXISTS', k), ':0\r\n');
      // The migrator moves it while EXEC waits: EXEC then runs on the target.
      assert.equal(await c.call('MULTI'), '+OK\r\n');
      assert.equal(await c.call('INCR', k), '+QUEUED\r\n');
      c.send('EXEC');
      await sleep(100);
      // The whole slot is moved (earlier tests left other keys in it), a few keys per call.
      await moveSlot(a.port, b.port, slot, { method: 1, numkeys: 10 });
      assert.equal((await c.reply()).raw, '*1\r\n:2\r\n');
      assert.equal(await direct.b.call('GET', k), '$1\r\n2\r\n');
      assert.equal(await direct.a.call('EXISTS', k), ':0\r\n');
      // A key the source does not hold runs on the target.
      assert.equal(await c.call('MULTI'), '+OK\r\n');
      assert.equal(await c.call('SET', fresh, 'new'), '+QUEUED\r\n');
      assert.equal(await c.call('EXEC'), '*1\r\n+OK\r\n');
      assert.equal(await direct.b.call('GET', fresh), '$3\r\nnew\r\n');
      assert.equal(await direct.a.call('EXISTS', fresh), ':0\r\n');
    } finally {
      c.close();
      await direct.b.call('DEL', fresh, k);
      await direct.a.call('DEL', k);
      // Everything back to A for the other tests.
      const back = await RawConnection.open(b.port);
      while (
        !(await back.call('SLOTSMGRTTAGSLOT', '127.0.0.1', String(a.port), '3000', String(slot))).endsWith(
          ':0\r\n',
        )
      );
      back.close();
      one.proxy.fillSlots([{ id: slot, backend_addr: addrA }]);
    }
  });

  it('aborts EXEC when the slot changed master after WATCH', async () => {
    const tag = tagIn(0, 511);
    const slot = slotOf(tag);
    const k = `{${tag}}moved`;
    const c = await RawConnection.open(one.port);
    try {
      assert.equal(await c.call('WATCH', k), '+OK\r\n');
      one.proxy.fillSlots([{ id: slot, backend_addr: addrB }]);
      assert.equal(await c.call('MULTI'), '+OK\r\n');
      assert.equal(await c.call('SET', k, 'lost'), '+QUEUED\r\n');
      assert.equal(await c.call('EXEC'), '*-1\r\n');
      assert.equal(await direct.a.call('EXISTS', k), ':0\r\n');
      assert.equal(await direct.b.call('EXISTS', k), ':0\r\n');
      // The next transaction, with no WATCH, runs on the new master.
      assert.equal(await c.call('MULTI'), '+OK\r\n');
      assert.equal(await c.call('SET', k, 'kept'), '+QUEUED\r\n');
      assert.equal(await c.call('EXEC'), '*1\r\n+OK\r\n');
      assert.equal(await direct.b.call('GET', k), '$4\r\nkept\r\n');
    } finally {
      c.close();
      await direct.b.call('DEL', k);
      one.proxy.fillSlots([{ id: slot, backend_addr: addrA }]);
    }
  });

  it('aborts EXEC when the connection holding the WATCH was lost', async () => {
    const k = `{${tagIn(0, 511)}}killed`;
    const c = await RawConnection.open(one.port);
    try {
      assert.equal(await c.call('WATCH', k), '+OK\r\n');
      const list = await direct.a.call('CLIENT', 'LIST');
      const id = /id=(\d+) [^\n]* cmd=watch /.exec(list)?.[1];
      assert.ok(id !== undefined, list);
      assert.equal(await direct.a.call('CLIENT', 'KILL', 'ID', id), ':1\r\n');
      await sleep(50);
      assert.equal(await c.call('MULTI'), '+OK\r\n');
      assert.equal(await c.call('SET', k, 'unsafe'), '+QUEUED\r\n');
      assert.equal(await c.call('EXEC'), '*-1\r\n');
      assert.equal(await c.call('EXISTS', k), ':0\r\n');
      // A new WATCH starts over on a new connection.
      assert.equal(await c.call('WATCH', k), '+OK\r\n');
      assert.equal(await c.call('MULTI'), '+OK\r\n');
      assert.equal(await c.call('SET', k, 'safe'), '+QUEUED\r\n');
      assert.equal(await c.call('EXEC'), '*1\r\n+OK\r\n');
    } finally {
      c.close();
      await direct.a.call('DEL', k);
    }
  });

  it('waits for a locked slot before EXEC, then runs on the new master', async () => {
    const tag = tagIn(0, 511);
    const slot = slotOf(tag);
    const k = `{${tag}}locked`;
    const c = await RawConnection.open(one.port);
    try {
      one.proxy.fillSlots([{ id: slot, backend_addr: addrA, locked: true }]);
      assert.equal(await c.call('MULTI'), '+OK\r\n');
      assert.equal(await c.call('SET', k, 'v'), '+QUEUED\r\n');
      c.send('EXEC');
      c.send('GET', k);
      await assert.rejects(c.reply(150), /no reply/);
      one.proxy.fillSlots([{ id: slot, backend_addr: addrB }]);
      assert.equal((await c.reply()).raw, '*1\r\n+OK\r\n');
      assert.equal((await c.reply()).raw, '$1\r\nv\r\n');
      assert.equal(await direct.b.call('GET', k), '$1\r\nv\r\n');
      assert.equal(await direct.a.call('EXISTS', k), ':0\r\n');
    } finally {
      c.close();
      await direct.b.call('DEL', k);
      one.proxy.fillSlots([{ id: slot, backend_addr: addrA }]);
    }
  });

  it('serves ioredis multi/exec and watch', async () => {
    const k = `{${tagIn(512, 1023)}}io`;
    const client = new Redis({
      port: one.port,
      host: '127.0.0.1',
      lazyConnect: true,
      maxRetriesPerRequest: 0,
    });
    const other = new Redis({
      port: two.port,
      host: '127.0.0.1',
      lazyConnect: true,
      maxRetriesPerRequest: 0,
    });
    try {
      await client.connect();
      await other.connect();
      const result = await client.multi().set(k, '1').incr(k).get(k).exec();
      assert.deepEqual(result, [
        [null, 'OK'],
        [null, 2],
        [null, '2'],
      ]);
      await client.watch(k);
      await other.set(k, 'changed');
      assert.equal(await client.multi().set(k, 'mine').exec(), null);
      assert.equal(await client.get(k), 'changed');
      await client.watch(k);
      assert.deepEqual(await client.multi().set(k, 'mine').exec(), [[null, 'OK']]);
      assert.equal(await other.get(k), 'mine');
    } finally {
      client.disconnect();
      other.disconnect();
    }
  });

  it('serves node-redis multi/exec and watch', async () => {
    const k = `{${tagIn(0, 511)}}node`;
    const client = createClient({
      socket: { host: '127.0.0.1', port: one.port },
      disableClientInfo: true,
      RESP: 2,
    });
    const other = createClient({
      socket: { host: '127.0.0.1', port: two.port },
      disableClientInfo: true,
      RESP: 2,
    });
    await client.connect();
    await other.connect();
    try {
      assert.deepEqual(await client.multi().set(k, '5').incrBy(k, 2).get(k).exec(), ['OK', 7, '7']);
      const isolated = await client.duplicate().connect();
      try {
        await isolated.watch(k);
        await other.set(k, 'changed');
        await assert.rejects(isolated.multi().set(k, 'mine').exec(), /WATCH|aborted|null/i);
        assert.equal(await other.get(k), 'changed');
      } finally {
        isolated.destroy();
      }
    } finally {
      client.destroy();
      other.destroy();
    }
  });

  it('closes its dedicated connections when the proxy closes', async () => {
    const count = async () => (await direct.a.call('CLIENT', 'LIST')).split('\n').length;
    const before = await count();
    const extra = await startProxy();
    extra.proxy.fillSlots(slotRange(0, 1023, addrA));
    extra.proxy.start();
    const c = await RawConnection.open(extra.port);
    assert.equal(await c.call('WATCH', 'k'), '+OK\r\n');
    assert.equal(await c.call('UNWATCH'), '+OK\r\n');
    assert.equal(await c.call('MULTI'), '+OK\r\n');
    assert.equal(await c.call('EXEC'), '*0\r\n');
    assert.ok((await count()) > before);
    c.close();
    await extra.close();
    for (let i = 0; (await count()) > before; i++) {
      assert.ok(i < 200, 'backend connections left open');
      await sleep(10);
    }
  });

  it('refuses transactions as Codis does when proxy_transactions_enabled is false', async () => {
    const off = await startProxy({ proxy_transactions_enabled: false });
    off.proxy.fillSlots([...slotRange(0, 511, addrA), ...slotRange(512, 1023, addrB)]);
    off.proxy.start();
    const c = await RawConnection.open(off.port);
    try {
      for (const name of ['MULTI', 'EXEC', 'DISCARD', 'UNWATCH'])
        assert.equal(await c.call(name), `-ERR handle request, command '${name}' is not allowed\r\n`);
      assert.equal(await c.call('WATCH', 'k'), "-ERR handle request, command 'WATCH' is not allowed\r\n");
    } finally {
      c.close();
      await off.close();
    }
  });
});
