// A plain `SET key value` of 128 B to 128 KB reaches codis-server's SET as bytes, decoded only for
// the readers that need the text (RequestParser.deferValues). Every such reader, run on both
// servers: the value must be the one sent, byte for byte.
import assert from 'node:assert/strict';
import { conformanceSuite } from '../helpers/conformance.ts';

/** A value of `length` bytes with every byte value in it (binary, not only ASCII). */
function sample(length: number, seed: number): Buffer {
  const bytes = Buffer.alloc(length);
  for (let i = 0; i < length; i++) bytes[i] = (i * 7 + seed) & 0xff;
  return bytes;
}

function bulk(value: Buffer): string {
  return `$${value.length}\r\n${value.latin1Slice()}\r\n`;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

conformanceSuite('SET of arena-sized values', (it) => {
  it('pipelined SETs of every size class edge read back exactly', async ({ connection: c }) => {
    const sizes = [128, 129, 1000, 1024, 4096, 65_536, 131_072, 127, 131_073];
    for (const [index, size] of sizes.entries()) c.send('SET', `k${index}`, sample(size, index));
    for (let i = 0; i < sizes.length; i++) assert.equal((await c.reply()).raw, '+OK\r\n');
    for (const [index, size] of sizes.entries())
      assert.equal(await c.call('GET', `k${index}`), bulk(sample(size, index)));
    // Overwrites: another class, a TTL dropped, a non-string replaced.
    await c.call('SET', 'k0', 'short', 'EX', '100');
    await c.call('SET', 'k0', sample(300, 9));
    assert.equal(await c.call('TTL', 'k0'), ':-1\r\n');
    await c.call('RPUSH', 'list', 'a');
    await c.call('SET', 'list', sample(200, 3));
    assert.equal(await c.call('GET', 'list'), bulk(sample(200, 3)));
    assert.equal(await c.call('STRLEN', 'list'), ':200\r\n');
    assert.equal(await c.call('APPEND', 'list', 'x'), ':201\r\n');
  });

  it('MSET of large, small and repeated keys, whole and cut between reads', async ({ connection: c }) => {
    const big = sample(3000, 11);
    assert.equal(
      await c.call('MSET', 'a', sample(200, 1), 'b', '7', 'c', big, 'a', sample(129, 2), 'd', sample(127, 3)),
      '+OK\r\n',
    );
    assert.equal(await c.call('GET', 'a'), bulk(sample(129, 2)));
    assert.equal(await c.call('GET', 'b'), '$1\r\n7\r\n');
    assert.equal(await c.call('GET', 'c'), bulk(big));
    assert.equal(await c.call('GET', 'd'), bulk(sample(127, 3)));
    const values = [sample(40_000, 4), sample(500, 5), sample(70_000, 6)];
    const parts: Buffer[] = [Buffer.from('*7\r\n$4\r\nMSET\r\n')];
    for (const [i, value] of values.entries())
      parts.push(Buffer.from(`$2\r\nm${i}\r\n$${value.length}\r\n`), value, Buffer.from('\r\n'));
    const bytes = Buffer.concat(parts);
    for (let at = 0; at < bytes.length; at += 9000) {
      c.sendRaw(bytes.subarray(at, at + 9000));
      await sleep(2);
    }
    assert.equal((await c.reply()).raw, '+OK\r\n');
    for (const [i, value] of values.entries()) assert.equal(await c.call('GET', `m${i}`), bulk(value));
    await c.call('MULTI');
    await c.call('MSET', 'x', sample(300, 7), 'y', sample(300, 8));
    assert.equal(await c.call('EXEC'), '*1\r\n+OK\r\n');
    assert.equal(await c.call('MGET', 'x', 'y'), `*2\r\n${bulk(sample(300, 7))}${bulk(sample(300, 8))}`);
  });

  it('MULTI queues the whole value', async ({ connection: c }) => {
    const value = sample(1000, 1);
    await c.call('MULTI');
    assert.equal(await c.call('SET', 'k', value), '+QUEUED\r\n');
    assert.equal(await c.call('SET', 'other', sample(500, 2)), '+QUEUED\r\n');
    assert.equal(await c.call('EXEC'), '*2\r\n+OK\r\n+OK\r\n');
    assert.equal(await c.call('GET', 'k'), bulk(value));
    assert.equal(await c.call('GET', 'other'), bulk(sample(500, 2)));
  });

  it('WATCH sees the write and keyspace events name it', async ({ connection: c, connect }) => {
    const other = await connect();
    await c.call('WATCH', 'k');
    await other.call('SET', 'k', sample(400, 4));
    await c.call('MULTI');
    await c.call('GET', 'k');
    assert.equal(await c.call('EXEC'), '*-1\r\n');
    await c.call('CONFIG', 'SET', 'notify-keyspace-events', 'KEA');
    try {
      const subscriber = await connect();
      await subscriber.call('SUBSCRIBE', '__keyevent@0__:set');
      await other.call('SET', 'k', sample(400, 5));
      const event = (await subscriber.reply()).raw;
      assert.equal(event, '*3\r\n$7\r\nmessage\r\n$18\r\n__keyevent@0__:set\r\n$1\r\nk\r\n');
    } finally {
      await c.call('CONFIG', 'SET', 'notify-keyspace-events', '');
    }
  });

  it('MONITOR and the slow log show the value', async ({ connection: c, connect }) => {
    const monitor = await connect();
    assert.equal(await monitor.call('MONITOR'), '+OK\r\n');
    const value = Buffer.from('v'.repeat(150));
    await c.call('SET', 'k', value);
    assert.match((await monitor.reply()).raw, new RegExp(`"SET" "k" "${'v'.repeat(150)}"\\r\\n$`));
    await c.call('SLOWLOG', 'RESET');
    await c.call('CONFIG', 'SET', 'slowlog-log-slower-than', '0');
    try {
      await c.call('SET', 'slow', Buffer.from(`${'w'.repeat(140)}`));
      const log = (await c.value('SLOWLOG', 'GET', '1')) as unknown[][];
      assert.deepEqual(log[0]?.[3], ['SET', 'slow', `${'w'.repeat(128)}... (12 more bytes)`]);
    } finally {
      await c.call('CONFIG', 'SET', 'slowlog-log-slower-than', '10000');
    }
  });

  it('a SET held by CLIENT PAUSE WRITE runs with its value afterwards', async ({
    connection: c,
    connect,
  }) => {
    const writer = await connect();
    // Long enough not to end by itself on a slow machine; UNPAUSE ends it.
    await c.call('CLIENT', 'PAUSE', '10000', 'WRITE');
    const value = sample(2000, 6);
    try {
      writer.send('SET', 'k', value);
      await sleep(50);
      assert.equal(await c.call('EXISTS', 'k'), ':0\r\n');
    } finally {
      await c.call('CLIENT', 'UNPAUSE');
    }
    assert.equal((await writer.reply()).raw, '+OK\r\n');
    assert.equal(await c.call('GET', 'k'), bulk(value));
  });

  it('a user limited by ACL key patterns sets within them and is refused outside', async ({
    connection: c,
    connect,
  }) => {
    await c.call('ACL', 'SETUSER', 'limited', 'on', '>pw', '~allowed:*', '+set', '+get');
    try {
      const limited = await connect();
      assert.equal(await limited.call('AUTH', 'limited', 'pw'), '+OK\r\n');
      assert.equal(await limited.call('SET', 'allowed:1', sample(300, 7)), '+OK\r\n');
      assert.match(await limited.call('SET', 'denied', sample(300, 8)), /^-NOPERM/);
      assert.equal(await c.call('GET', 'allowed:1'), bulk(sample(300, 7)));
      assert.equal(await c.call('EXISTS', 'denied'), ':0\r\n');
    } finally {
      await c.call('ACL', 'DELUSER', 'limited');
    }
  });

  it('a request cut inside the value, alone and inside MULTI', async ({ connection: c }) => {
    const value = sample(5000, 10);
    const bytes = Buffer.from(`*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$5000\r\n${value.latin1Slice()}\r\n`, 'latin1');
    c.sendRaw(bytes.subarray(0, 2000));
    await sleep(20);
    c.sendRaw(bytes.subarray(2000));
    assert.equal((await c.reply()).raw, '+OK\r\n');
    assert.equal(await c.call('GET', 'k'), bulk(value));
    // The same cut inside a MULTI: queued whole.
    await c.call('MULTI');
    c.sendRaw(bytes.subarray(0, 3000));
    await sleep(20);
    c.sendRaw(bytes.subarray(3000));
    assert.equal((await c.reply()).raw, '+QUEUED\r\n');
    await c.call('DEL', 'k');
    assert.equal(await c.call('EXEC'), '*2\r\n+OK\r\n:1\r\n');
    assert.equal(await c.call('EXISTS', 'k'), ':0\r\n');
  });
});
