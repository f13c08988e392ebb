import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { conformanceSuite } from '../helpers/conformance.ts';
import type { RawConnection } from '../helpers/raw-connection.ts';

type Command = [string, ...string[]];

/** redis-server 7.0's events for the `new keys` test: `new` comes before the command's own event. */
const EXPECTED_NEW: string[] = [
  'new a',
  'new l',
  'new h',
  'new s',
  'new z',
  'new i',
  'new ap',
  'new b',
  'new p',
  'new r',
  'rename_from a',
  'rename_to r',
  'new c',
  'copy_to c',
  'new m',
  'new su',
  'new x',
  'new y',
];

/** What redis-server 7.0 sends for the commands of the `more commands` test (db 0 only). */
const EXPECTED_MORE: string[] = [
  'set a',
  'expire a',
  'set a',
  'expire a',
  'persist a',
  'set n1',
  'set n2',
  'copy_to c',
  'move_from c',
  'rename_from a',
  'rename_to n1',
  'del n1',
  'sadd s1',
  'sadd s2',
  'sinterstore si',
  'sunionstore su',
  'srem s1',
  'sadd s2',
  'spop s1',
  'del s1',
  'zadd z1',
  'zunionstore zu',
  'zrangestore zr',
  'zremrangebyscore zu',
  'del zu',
  'rpush l',
  'sortstore sorted',
  'rpop l',
  'del l',
  'hset h',
  'hincrbyfloat h',
  'hset h',
  'pfadd hll',
  'set bo',
  'del bo',
  'del h',
];

/** A subscriber to every keyspace/keyevent channel of db 0, plus a `sync` channel. */
async function subscriber(connect: () => Promise<RawConnection>): Promise<RawConnection> {
  const sub = await connect();
  sub.send('PSUBSCRIBE', '__key*@0__:*');
  await sub.reply();
  sub.send('SUBSCRIBE', 'sync');
  await sub.reply();
  return sub;
}

/** Runs the commands, then returns the notifications received as `channel message` lines. */
async function eventsOf(c: RawConnection, sub: RawConnection, commands: Command[]): Promise<string[]> {
  for (const command of commands) {
    const reply = await c.call(...command);
    assert.ok(!reply.startsWith('-'), `${command.join(' ')}: ${reply}`);
  }
  await c.call('PUBLISH', 'sync', 'done');
  const seen: string[] = [];
  for (;;) {
    const value = (await sub.reply()).value as unknown[];
    const kind = String(value[0]);
    if (kind === 'message') break;
    seen.push(`${String(value[2])} ${String(value[3])}`);
  }
  return seen;
}

/** Keyevent notifications only (`__keyevent@0__:<event> <key>` → `<event> <key>`). */
function keyevents(lines: string[]): string[] {
  return lines
    .filter((line) => line.startsWith('__keyevent@0__:'))
    .map((line) => line.slice('__keyevent@0__:'.length));
}

conformanceSuite('keyspace notifications', (it) => {
  it('notify-keyspace-events: validation and canonical form', async ({ connection: c }) => {
    assert.equal(
      await c.call('CONFIG', 'SET', 'notify-keyspace-events', 'Q'),
      "-ERR CONFIG SET failed (possibly related to argument 'notify-keyspace-events') - Invalid event class character. Use 'Ag$lshzxeKEtmdn'.\r\n",
    );
    const cases: Array<[string, string]> = [
      ['KEA$m', 'AKEm'],
      ['Kgxn', 'gxnK'],
      ['nAKE', 'AKE'],
      ['Elzh$gs', 'g$lshzE'],
      ['', ''],
    ];
    for (const [given, shown] of cases) {
      assert.equal(await c.call('CONFIG', 'SET', 'notify-keyspace-events', given), '+OK\r\n');
      assert.equal(
        await c.call('CONFIG', 'GET', 'notify-keyspace-events'),
        `*2\r\n$22\r\nnotify-keyspace-events\r\n$${shown.length}\r\n${shown}\r\n`,
      );
    }
  });

  it('keyspace and keyevent channels; class filtering', async ({ connection: c, connect }) => {
    const sub = await subscriber(connect);
    try {
      await c.call('CONFIG', 'SET', 'notify-keyspace-events', 'KE$');
      assert.deepEqual(
        await eventsOf(c, sub, [
          ['SET', 'k', 'v'],
          ['DEL', 'k'],
          ['LPUSH', 'l', 'a'],
        ]),
        ['__keyspace@0__:k set', '__keyevent@0__:set k'],
      );
      await c.call('CONFIG', 'SET', 'notify-keyspace-events', 'Kg');
      assert.deepEqual(
        await eventsOf(c, sub, [
          ['SET', 'k', 'v'],
          ['DEL', 'k'],
        ]),
        ['__keyspace@0__:k del'],
      );
      await c.call('CONFIG', 'SET', 'notify-keyspace-events', '');
      assert.deepEqual(
        await eventsOf(c, sub, [
          ['SET', 'k', 'v'],
          ['DEL', 'k'],
        ]),
        [],
      );
    } finally {
      await c.call('CONFIG', 'SET', 'notify-keyspace-events', '');
    }
  });

  it('strings and generic commands', async ({ connection: c, connect }) => {
    const sub = await subscriber(connect);
    try {
      await c.call('CONFIG', 'SET', 'notify-keyspace-events', 'EA');
      const events = keyevents(
        await eventsOf(c, sub, [
          ['SET', 's', '1'],
          ['INCR', 's'],
          ['INCRBY', 's', '2'],
          ['DECR', 's'],
          ['INCRBYFLOAT', 's', '1.5'],
          ['APPEND', 's', 'x'],
          ['SETRANGE', 's', '0', 'ab'],
          ['MSET', 'a', '1', 'b', '2'],
          ['EXPIRE', 's', '100'],
          ['PERSIST', 's'],
          ['RENAME', 's', 't'],
          ['SETBIT', 'bits', '3', '1'],
          ['DEL', 't', 'a', 'missing'],
          ['GETDEL', 'b'],
        ]),
      );
      assert.deepEqual(events, [
        'set s',
        'incrby s',
        'incrby s',
        'incrby s',
        'incrbyfloat s',
        'append s',
        'setrange s',
        'set a',
        'set b',
        'expire s',
        'persist s',
        'rename_from s',
        'rename_to t',
        'setbit bits',
        'del t',
        'del a',
        'del b',
      ]);
    } finally {
      await c.call('CONFIG', 'SET', 'notify-keyspace-events', '');
    }
  });

  it('lists, hashes, sets and sorted sets', async ({ connection: c, connect }) => {
    const sub = await subscriber(connect);
    try {
      await c.call('CONFIG', 'SET', 'notify-keyspace-events', 'EA');
      const events = keyevents(
        await eventsOf(c, sub, [
          ['RPUSH', 'l', 'a', 'b', 'c'],
          ['LPUSH', 'l', 'z'],
          ['LPOP', 'l'],
          ['RPOP', 'l'],
          ['LSET', 'l', '0', 'q'],
          ['LINSERT', 'l', 'BEFORE', 'q', 'p'],
          ['LREM', 'l', '0', 'p'],
          ['LTRIM', 'l', '0', '0'],
          ['LMOVE', 'l', 'm', 'LEFT', 'RIGHT'],
          ['HSET', 'h', 'f', '1'],
          ['HINCRBY', 'h', 'f', '1'],
          ['HDEL', 'h', 'f'],
          ['SADD', 'st', 'x', 'y'],
          ['SREM', 'st', 'x'],
          ['ZADD', 'z', '1', 'a', '2', 'b'],
          ['ZINCRBY', 'z', '1', 'a'],
          ['ZREM', 'z', 'a'],
          ['ZPOPMIN', 'z'],
        ]),
      );
      assert.deepEqual(events, [
        'rpush l',
        'lpush l',
        'lpop l',
        'rpop l',
        'lset l',
        'linsert l',
        'lrem l',
        'ltrim l',
        // LMOVE: the destination first, then the source.
        'rpush m',
        'lpop l',
        'del l',
        'hset h',
        'hincrby h',
        'hdel h',
        'del h',
        'sadd st',
        'srem st',
        'zadd z',
        'zincr z',
        'zrem z',
        'zpopmin z',
        'del z',
      ]);
    } finally {
      await c.call('CONFIG', 'SET', 'notify-keyspace-events', '');
    }
  });

  it('expired keys (x) and key misses (m)', async ({ connection: c, connect }) => {
    const sub = await subscriber(connect);
    try {
      await c.call('CONFIG', 'SET', 'notify-keyspace-events', 'Exgm');
      await c.call('SET', 'e', '1', 'PX', '20');
      await sleep(40);
      const events = keyevents(
        await eventsOf(c, sub, [
          ['GET', 'e'],
          ['GET', 'nothing'],
        ]),
      );
      // SET PX also sends a generic `expire`.
      assert.deepEqual(events, ['expire e', 'expired e', 'keymiss e', 'keymiss nothing']);
    } finally {
      await c.call('CONFIG', 'SET', 'notify-keyspace-events', '');
    }
  });
  it('more commands: stores, moves, pops, options', async ({ connection: c, connect }) => {
    const sub = await subscriber(connect);
    try {
      await c.call('CONFIG', 'SET', 'notify-keyspace-events', 'EA');
      const events = keyevents(
        await eventsOf(c, sub, [
          ['SETEX', 'a', '100', '1'],
          ['GETSET', 'a', '2'],
          ['GETEX', 'a', 'PX', '5000'],
          ['GETEX', 'a', 'PERSIST'],
          ['SETNX', 'a', '3'],
          ['MSETNX', 'n1', '1', 'n2', '2'],
          ['COPY', 'a', 'c'],
          ['MOVE', 'c', '1'],
          ['RENAME', 'a', 'n1'],
          ['PEXPIREAT', 'n1', '1'],
          ['SADD', 's1', 'a', 'b'],
          ['SADD', 's2', 'b', 'c'],
          ['SINTERSTORE', 'si', 's1', 's2'],
          ['SUNIONSTORE', 'su', 's1', 's2'],
          ['SDIFFSTORE', 'sd', 's1', 's1'],
          ['SMOVE', 's1', 's2', 'a'],
          ['SPOP', 's1'],
          ['ZADD', 'z1', '1', 'a'],
          ['ZUNIONSTORE', 'zu', '1', 'z1'],
          ['ZINTERSTORE', 'zi', '1', 'zero'],
          ['ZRANGESTORE', 'zr', 'z1', '0', '-1'],
          ['ZREMRANGEBYSCORE', 'zu', '-inf', '+inf'],
          ['RPUSH', 'l', '3', '1', '2'],
          ['SORT', 'l', 'STORE', 'sorted'],
          ['LMPOP', '1', 'l', 'RIGHT', 'COUNT', '5'],
          ['HSET', 'h', 'f', '1.5'],
          ['HINCRBYFLOAT', 'h', 'f', '1'],
          ['HSETNX', 'h', 'g', '1'],
          ['PFADD', 'hll', 'x'],
          ['BITOP', 'OR', 'bo', 'hll'],
          ['UNLINK', 'bo'],
          ['EXPIRE', 'h', '-1'],
        ]),
      );
      assert.deepEqual(events, EXPECTED_MORE);
    } finally {
      await c.call('CONFIG', 'SET', 'notify-keyspace-events', '');
    }
  });
  it('new keys (n)', async ({ connection: c, connect }) => {
    const sub = await subscriber(connect);
    try {
      await c.call('CONFIG', 'SET', 'notify-keyspace-events', 'Eng');
      const events = keyevents(
        await eventsOf(c, sub, [
          ['SET', 'a', '1'],
          ['SET', 'a', '2'],
          ['RPUSH', 'l', 'x'],
          ['RPUSH', 'l', 'y'],
          ['HSET', 'h', 'f', 'v'],
          ['SADD', 's', 'm'],
          ['ZADD', 'z', '1', 'm'],
          ['INCR', 'i'],
          ['APPEND', 'ap', 'x'],
          ['SETBIT', 'b', '1', '1'],
          ['PFADD', 'p', 'x'],
          ['RENAME', 'a', 'r'],
          ['COPY', 'r', 'c'],
          ['LMOVE', 'l', 'm', 'LEFT', 'LEFT'],
          ['SUNIONSTORE', 'su', 's'],
          ['MSET', 'x', '1', 'y', '2'],
        ]),
      );
      assert.deepEqual(events, EXPECTED_NEW);
    } finally {
      await c.call('CONFIG', 'SET', 'notify-keyspace-events', '');
    }
  });
  it('expiry by the active cycle, other databases, served blocking pops', async ({
    connection: c,
    connect,
  }) => {
    const sub = await connect();
    sub.send('PSUBSCRIBE', '__keyevent@*__:*');
    await sub.reply();
    try {
      await c.call('CONFIG', 'SET', 'notify-keyspace-events', 'EA');
      assert.equal(await c.call('SELECT', '2'), '+OK\r\n');
      assert.equal(await c.call('SET', 'k', 'v', 'PX', '10'), '+OK\r\n');
      const seen: string[] = [];
      while (seen.length < 3) {
        const value = (await sub.reply(3000)).value as unknown[];
        seen.push(`${String(value[2])} ${String(value[3])}`);
      }
      assert.deepEqual(seen, ['__keyevent@2__:set k', '__keyevent@2__:expire k', '__keyevent@2__:expired k']);
      const blocked = await connect();
      blocked.send('BLPOP', 'q', '5');
      for (let i = 0; i < 200; i++) {
        if ((await c.call('INFO', 'clients')).includes('blocked_clients:1\r\n')) break;
        await sleep(5);
      }
      assert.equal(await c.call('SELECT', '0'), '+OK\r\n');
      assert.equal(await c.call('RPUSH', 'q', 'a'), ':1\r\n');
      assert.equal((await blocked.reply()).raw, '*2\r\n$1\r\nq\r\n$1\r\na\r\n');
      const events: string[] = [];
      while (events.length < 3) {
        const value = (await sub.reply()).value as unknown[];
        events.push(`${String(value[2])} ${String(value[3])}`);
      }
      assert.deepEqual(events, ['__keyevent@0__:rpush q', '__keyevent@0__:lpop q', '__keyevent@0__:del q']);
    } finally {
      await c.call('CONFIG', 'SET', 'notify-keyspace-events', '');
    }
  });
});
