import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { crc64 } from '../../src/server/rdb/crc64.ts';
import { conformanceSuite } from '../helpers/conformance.ts';
import { RawConnection } from '../helpers/raw-connection.ts';
import { type RunningServer, startServer } from '../helpers/redis-servers.ts';

/** A DUMP payload around a hand-made body: type and body bytes, RDB version, valid CRC-64. */
function payload(hexBody: string, version = 7): Buffer {
  const body = Buffer.from(hexBody, 'hex');
  const withVersion = Buffer.concat([body, Buffer.from([version & 0xff, version >> 8])]);
  const crc = Buffer.alloc(8);
  crc.writeBigUInt64LE(crc64(withVersion));
  return Buffer.concat([withVersion, crc]);
}

/** The test vectors captured from Codis 3.2's codis-server (spec/server-slots.md §6). */
const CODIS_VECTORS = {
  string: '000568656c6c6f07009c400a856dfef510',
  int: '00c13930070062a63fd49b36dda3',
  list: '0e0111110000000d0000000200000161030162ff07007bf68cd3cb48d2e1',
  intset: '0b0c0200000002000000010002000700904bed423c21f534',
  set: '02010178070000da55497ec6fa13',
  hash: '0d11110000000d0000000200000166030176ff0700ff2747b3e74e9dd3',
  zset: '0c13130000000d000000020000016d0303312e35ff070072f8448bc754d6f4',
};

function hex(text: string): Buffer {
  return Buffer.from(text, 'hex');
}

conformanceSuite('dump-restore', (it) => {
  it('DUMP of a missing key is nil; RESTORE round-trips strings with their TTL', async ({
    connection: c,
  }) => {
    assert.equal(await c.call('DUMP', 'missing'), '$-1\r\n');
    const values = ['hello', '12345', '-7', '2147483648', '9007199254740993', '007', '', 'x'.repeat(100)];
    for (const [i, value] of values.entries()) {
      assert.equal(await c.call('SET', `s${i}`, value), '+OK\r\n');
      const dumped = await c.value('DUMP', `s${i}`);
      assert.equal(typeof dumped, 'string');
      const bytes = Buffer.from(dumped as string, 'latin1');
      assert.equal(await c.call('RESTORE', `r${i}`, '0', bytes), '+OK\r\n');
      assert.equal(await c.call('GET', `r${i}`), `$${value.length}\r\n${value}\r\n`);
      assert.equal(await c.call('PTTL', `r${i}`), ':-1\r\n');
    }
    const dumped = Buffer.from((await c.value('DUMP', 's0')) as string, 'latin1');
    assert.equal(await c.call('RESTORE', 'ttl', '5000', dumped), '+OK\r\n');
    assert.match(await c.call('PTTL', 'ttl'), /^:(49\d\d|5000)\r\n$/);
  });

  it('RESTORE accepts Codis 3.2 payloads of every type', async ({ connection: c }) => {
    assert.equal(await c.call('RESTORE', 's', '0', hex(CODIS_VECTORS.string)), '+OK\r\n');
    assert.equal(await c.call('GET', 's'), '$5\r\nhello\r\n');
    assert.equal(await c.call('RESTORE', 'i', '0', hex(CODIS_VECTORS.int)), '+OK\r\n');
    assert.equal(await c.call('GET', 'i'), '$5\r\n12345\r\n');
    assert.equal(await c.call('RESTORE', 'l', '0', hex(CODIS_VECTORS.list)), '+OK\r\n');
    assert.equal(await c.call('LRANGE', 'l', '0', '-1'), '*2\r\n$1\r\na\r\n$1\r\nb\r\n');
    assert.equal(await c.call('RESTORE', 'is', '0', hex(CODIS_VECTORS.intset)), '+OK\r\n');
    assert.equal(await c.call('SMEMBERS', 'is'), '*2\r\n$1\r\n1\r\n$1\r\n2\r\n');
    assert.equal(await c.call('RESTORE', 'hs', '0', hex(CODIS_VECTORS.set)), '+OK\r\n');
    assert.equal(await c.call('SMEMBERS', 'hs'), '*1\r\n$1\r\nx\r\n');
    assert.equal(await c.call('RESTORE', 'h', '0', hex(CODIS_VECTORS.hash)), '+OK\r\n');
    assert.equal(await c.call('HGETALL', 'h'), '*2\r\n$1\r\nf\r\n$1\r\nv\r\n');
    // Duplicate set members in a hashtable-encoded set are refused.
    assert.equal(await c.call('RESTORE', 'dup', '0', payload('020201780178')), '-ERR Bad data format\r\n');
    assert.equal(await c.call('RESTORE', 'z', '0', hex(CODIS_VECTORS.zset)), '+OK\r\n');
    assert.equal(await c.call('ZRANGE', 'z', '0', '-1', 'WITHSCORES'), '*2\r\n$1\r\nm\r\n$3\r\n1.5\r\n');
    // Sorted sets as RDB_TYPE_ZSET with text scores, and RDB_TYPE_ZSET_2 with binary doubles.
    assert.equal(await c.call('RESTORE', 'z3', '0', payload('0302016d03312e3501610231')), '+OK\r\n');
    assert.equal(await c.call('ZSCORE', 'z3', 'm'), '$3\r\n1.5\r\n');
    assert.equal(await c.call('RESTORE', 'z5', '0', payload('0501016d000000000000f83f', 9)), '+OK\r\n');
    assert.equal(await c.call('ZSCORE', 'z5', 'm'), '$3\r\n1.5\r\n');
    assert.equal(await c.call('RESTORE', 'nan', '0', payload('0301016dfd')), '-ERR Bad data format\r\n');
  });

  it('RESTORE errors: BUSYKEY, TTL, options, version and checksum, bad data', async ({ connection: c }) => {
    const good = hex(CODIS_VECTORS.string);
    assert.equal(await c.call('SET', 'k', 'v'), '+OK\r\n');
    assert.equal(await c.call('RESTORE', 'k', '0', good), '-BUSYKEY Target key name already exists.\r\n');
    // The existing key is checked before the TTL.
    assert.equal(await c.call('RESTORE', 'k', 'abc', good), '-BUSYKEY Target key name already exists.\r\n');
    assert.equal(await c.call('RESTORE', 'n', '-1', good), '-ERR Invalid TTL value, must be >= 0\r\n');
    assert.equal(
      await c.call('RESTORE', 'n', 'abc', good),
      '-ERR value is not an integer or out of range\r\n',
    );
    const wrong = '-ERR DUMP payload version or checksum are wrong\r\n';
    assert.equal(await c.call('RESTORE', 'n', '0', 'garbage'), wrong);
    assert.equal(await c.call('RESTORE', 'n', '0', 'short'), wrong);
    const flipped = Buffer.from(good);
    flipped[2] = (flipped[2] as number) ^ 1;
    assert.equal(await c.call('RESTORE', 'n', '0', flipped), wrong);
    assert.equal(await c.call('RESTORE', 'n', '0', payload('000568656c6c6f', 11)), wrong);
    assert.equal(await c.call('RESTORE', 'v10', '0', payload('000568656c6c6f', 10)), '+OK\r\n');
    const bad = '-ERR Bad data format\r\n';
    assert.equal(await c.call('RESTORE', 'n', '0', payload('630568656c6c6f')), bad);
    // A list with no elements, a string whose length runs past the payload, a corrupt ziplist.
    assert.equal(await c.call('RESTORE', 'n', '0', payload('0e00')), bad);
    assert.equal(await c.call('RESTORE', 'n', '0', payload('00406468656c6c6f')), bad);
    assert.equal(await c.call('RESTORE', 'n', '0', payload('0e01111100000000000000020000016103016200')), bad);
    assert.equal(await c.call('RESTORE', 'n', '0', payload('00c3057f0161')), bad);
    assert.equal(await c.call('EXISTS', 'n', 'v10'), ':1\r\n');
    assert.equal(await c.call('RESTORE', 'x', '0', good, 'BOGUS'), '-ERR syntax error\r\n');
    assert.equal(await c.call('RESTORE', 'x', '0', good, 'IDLETIME'), '-ERR syntax error\r\n');
    assert.equal(
      await c.call('RESTORE', 'x', '0', good, 'IDLETIME', '1', 'FREQ', '1'),
      '-ERR syntax error\r\n',
    );
    assert.equal(
      await c.call('RESTORE', 'x', '0', good, 'IDLETIME', '-1'),
      '-ERR Invalid IDLETIME value, must be >= 0\r\n',
    );
    assert.equal(
      await c.call('RESTORE', 'x', '0', good, 'FREQ', '256'),
      '-ERR Invalid FREQ value, must be >= 0 and <= 255\r\n',
    );
    assert.equal(
      await c.call('RESTORE', 'x', '0', good, 'FREQ', 'x'),
      '-ERR value is not an integer or out of range\r\n',
    );
    assert.equal(await c.call('RESTORE', 'x'), "-ERR wrong number of arguments for 'restore' command\r\n");
    assert.equal(await c.call('EXISTS', 'x'), ':0\r\n');
  });

  it('RESTORE REPLACE, ABSTTL and IDLETIME', async ({ connection: c }) => {
    const good = hex(CODIS_VECTORS.string);
    assert.equal(await c.call('RPUSH', 'k', 'a'), ':1\r\n');
    assert.equal(await c.call('RESTORE', 'k', '0', good, 'REPLACE'), '+OK\r\n');
    assert.equal(await c.call('GET', 'k'), '$5\r\nhello\r\n');
    const at = Date.now() + 100000;
    assert.equal(await c.call('RESTORE', 'k', String(at), good, 'REPLACE', 'ABSTTL'), '+OK\r\n');
    assert.equal(await c.call('PEXPIRETIME', 'k'), `:${at}\r\n`);
    // An absolute TTL in the past deletes the old key and creates nothing.
    assert.equal(await c.call('RESTORE', 'k', '1000', good, 'REPLACE', 'ABSTTL'), '+OK\r\n');
    assert.equal(await c.call('EXISTS', 'k'), ':0\r\n');
    assert.equal(await c.call('RESTORE', 'idle', '0', good, 'IDLETIME', '1000'), '+OK\r\n');
    assert.match(await c.call('OBJECT', 'IDLETIME', 'idle'), /^:100\d\r\n$/);
  });
});

/** Each case fills `key` with commands, then `read` lists what to compare on both servers. */
interface InteropCase {
  name: string;
  fill: Array<Array<string | Buffer>>;
  read: Array<string | Buffer>;
  /** Sort the reply's elements (sets, hashes in hashtable order). */
  unordered?: boolean;
}

function binary(i: number): string {
  return `\0\r\n\xff${String.fromCharCode(i & 0xff)}-${i}`;
}

const LIST_ITEMS = Array.from({ length: 2000 }, (_, i) =>
  i % 3 === 0 ? String(i * 7919 - 5000) : i % 3 === 1 ? binary(i) : `item:${i}:${'z'.repeat(i % 50)}`,
);

const INTEROP_CASES: InteropCase[] = [
  { name: 'short string', fill: [['SET', 'key', 'hello']], read: ['GET', 'key'] },
  { name: 'integer strings', fill: [['SET', 'key', '-2147483648']], read: ['GET', 'key'] },
  { name: 'int64 string', fill: [['SET', 'key', '-9223372036854775808']], read: ['GET', 'key'] },
  { name: 'binary string', fill: [['SET', 'key', binary(7)]], read: ['GET', 'key'] },
  {
    name: 'LZF-compressible string',
    fill: [['SET', 'key', 'abcdefgh'.repeat(5000)]],
    read: ['GET', 'key'],
  },
  {
    name: 'big incompressible string',
    fill: [
      ['SET', 'key', Buffer.from(Array.from({ length: 300000 }, (_, i) => (i * 7919 + (i >> 7)) & 0xff))],
    ],
    read: ['GET', 'key'],
  },
  {
    name: 'small list',
    fill: [['RPUSH', 'key', 'a', '1', '-5', binary(1), '300', '70000']],
    read: ['LRANGE', 'key', '0', '-1'],
  },
  { name: 'big list', fill: [['RPUSH', 'key', ...LIST_ITEMS]], read: ['LRANGE', 'key', '0', '-1'] },
  {
    name: 'list with big elements',
    fill: [['RPUSH', 'key', 'x'.repeat(20000), 'small', 'y'.repeat(70000)]],
    read: ['LRANGE', 'key', '0', '-1'],
  },
  {
    name: 'small sorted set with inf scores and binary members',
    fill: [
      ['ZADD', 'key', '1.5', 'a', '-inf', binary(2), '+inf', 'top', '0', 'zero', '3', '12345', '-0.1', 'neg'],
    ],
    read: ['ZRANGE', 'key', '0', '-1', 'WITHSCORES'],
  },
  {
    name: 'big sorted set',
    fill: [
      [
        'ZADD',
        'key',
        ...Array.from({ length: 600 }, (_, i) => [
          String(i % 7 === 0 ? (i * 1.1) / 3 : i - 300),
          binary(i),
        ]).flat(),
        'inf',
        'high',
        '-inf',
        'low',
      ],
    ],
    read: ['ZRANGE', 'key', '0', '-1', 'WITHSCORES'],
  },
  {
    name: 'sorted set with long members',
    fill: [['ZADD', 'key', '1', 'm'.repeat(100), '2', 'n'.repeat(70000)]],
    read: ['ZRANGE', 'key', '0', '-1', 'WITHSCORES'],
  },
  {
    name: 'intset',
    fill: [['SADD', 'key', '1', '-5', '70000', '-9223372036854775808', '12']],
    read: ['SMEMBERS', 'key'],
    unordered: true,
  },
  {
    name: 'small set',
    fill: [['SADD', 'key', 'a', binary(3), '7']],
    read: ['SMEMBERS', 'key'],
    unordered: true,
  },
  {
    name: 'big set',
    fill: [['SADD', 'key', ...Array.from({ length: 1000 }, (_, i) => (i % 2 ? binary(i) : String(i)))]],
    read: ['SMEMBERS', 'key'],
    unordered: true,
  },
  {
    name: 'big intset',
    fill: [['SADD', 'key', ...Array.from({ length: 400 }, (_, i) => String(i * 1000003 - 200000000))]],
    read: ['SMEMBERS', 'key'],
    unordered: true,
  },
  {
    name: 'small hash',
    fill: [['HSET', 'key', 'f', 'v', 'n', '1234', 'big', '-9000000000', binary(4), binary(5)]],
    read: ['HGETALL', 'key'],
  },
  {
    name: 'big hash',
    fill: [
      [
        'HSET',
        'key',
        ...Array.from({ length: 500 }, (_, i) => [`field:${i}`, i % 2 ? binary(i) : String(i)]).flat(),
      ],
    ],
    read: ['HGETALL', 'key'],
    unordered: true,
  },
  {
    name: 'hash with a long value',
    fill: [['HSET', 'key', 'f', 'v'.repeat(100), 'g', 'w']],
    read: ['HGETALL', 'key'],
    unordered: true,
  },
];

describe('dump-restore interoperability between redis-server 7 and codis-server', () => {
  let redis: RunningServer;
  let codis: RunningServer;
  let onRedis: RawConnection;
  let onCodis: RawConnection;
  before(async () => {
    [redis, codis] = await Promise.all([startServer('redis-server'), startServer('codis-server')]);
    onRedis = await RawConnection.open(redis.port);
    onCodis = await RawConnection.open(codis.port);
  });
  after(async () => {
    onRedis?.close();
    onCodis?.close();
    await Promise.all([redis?.stop(), codis?.stop()]);
  });

  async function transfer(from: RawConnection, to: RawConnection, testCase: InteropCase): Promise<void> {
    await from.call('FLUSHALL');
    await to.call('FLUSHALL');
    for (const command of testCase.fill) assert.match(await from.call(...command), /^[:+]/);
    const dumped = await from.value('DUMP', 'key');
    assert.equal(typeof dumped, 'string');
    assert.equal(await to.call('RESTORE', 'key', '0', Buffer.from(dumped as string, 'latin1')), '+OK\r\n');
    if (testCase.unordered) {
      const source = (await from.value(...testCase.read)) as string[];
      const target = (await to.value(...testCase.read)) as string[];
      assert.deepEqual([...target].sort(), [...source].sort());
    } else {
      assert.equal(await to.call(...testCase.read), await from.call(...testCase.read));
    }
    assert.equal(await to.call('TYPE', 'key'), await from.call('TYPE', 'key'));
  }

  for (const testCase of INTEROP_CASES) {
    test(`${testCase.name}: redis-server DUMP → codis-server RESTORE`, async () => {
      await transfer(onRedis, onCodis, testCase);
    });
    test(`${testCase.name}: codis-server DUMP → redis-server RESTORE`, async () => {
      await transfer(onCodis, onRedis, testCase);
    });
  }
});
