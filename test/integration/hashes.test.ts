import assert from 'node:assert/strict';
import { conformanceSuite } from '../helpers/conformance.ts';
import type { RawConnection } from '../helpers/raw-connection.ts';
import { array, bulk, bulks, NOT_INTEGER, WRONG_TYPE } from '../helpers/resp-text.ts';

/** field → value of a flat field/value list. */
function pairs(items: string[]): Map<string, string> {
  const map = new Map<string, string>();
  for (let i = 0; i < items.length; i += 2) map.set(items[i] as string, items[i + 1] as string);
  return map;
}

async function bigHash(c: RawConnection, key: string, count: number): Promise<void> {
  const args: string[] = [];
  for (let i = 0; i < count; i++) args.push(`f${i}`, `v${i}`);
  assert.equal(await c.call('HSET', key, ...args), `:${count}\r\n`);
}

conformanceSuite(
  'hashes',
  (it) => {
    it('HSET, HGET, HMSET, HMGET, HSETNX, HLEN, HEXISTS, HSTRLEN', async ({ connection: c }) => {
      assert.equal(await c.call('HSET', 'h', 'a', '1', 'b', '2'), ':2\r\n');
      assert.equal(await c.call('HSET', 'h', 'a', '10', 'c', '3'), ':1\r\n');
      assert.equal(await c.call('HGET', 'h', 'a'), bulk('10'));
      assert.equal(await c.call('HGET', 'h', 'zz'), '$-1\r\n');
      assert.equal(await c.call('HGET', 'nokey', 'a'), '$-1\r\n');
      assert.equal(await c.call('HMSET', 'h', 'd', '4'), '+OK\r\n');
      assert.equal(await c.call('HMGET', 'h', 'a', 'zz', 'd'), '*3\r\n$2\r\n10\r\n$-1\r\n$1\r\n4\r\n');
      assert.equal(await c.call('HMGET', 'nokey', 'a', 'b'), '*2\r\n$-1\r\n$-1\r\n');
      assert.equal(await c.call('HSETNX', 'h', 'a', 'x'), ':0\r\n');
      assert.equal(await c.call('HSETNX', 'h', 'e', 'x'), ':1\r\n');
      assert.equal(await c.call('HSETNX', 'new', 'f', 'v'), ':1\r\n');
      assert.equal(await c.call('HLEN', 'h'), ':5\r\n');
      assert.equal(await c.call('HLEN', 'nokey'), ':0\r\n');
      assert.equal(await c.call('HEXISTS', 'h', 'a'), ':1\r\n');
      assert.equal(await c.call('HEXISTS', 'h', 'zz'), ':0\r\n');
      assert.equal(await c.call('HEXISTS', 'nokey', 'a'), ':0\r\n');
      assert.equal(await c.call('HSTRLEN', 'h', 'a'), ':2\r\n');
      assert.equal(await c.call('HSTRLEN', 'h', 'zz'), ':0\r\n');
      assert.equal(await c.call('HSTRLEN', 'nokey', 'a'), ':0\r\n');
      assert.equal(await c.call('TYPE', 'h'), '+hash\r\n');
      const binary = Buffer.from([0, 255, 13, 10]).latin1Slice();
      assert.equal(await c.call('HSET', 'bin', binary, binary), ':1\r\n');
      assert.equal(await c.call('HGET', 'bin', binary), bulk(binary));
    });

    it('arity and WRONGTYPE errors', async ({ connection: c }) => {
      assert.equal(await c.call('HSET', 'h', 'a'), "-ERR wrong number of arguments for 'hset' command\r\n");
      assert.equal(
        await c.call('HSET', 'h', 'a', '1', 'b'),
        "-ERR wrong number of arguments for 'hset' command\r\n",
      );
      assert.equal(await c.call('HMSET', 'h', 'a'), "-ERR wrong number of arguments for 'hmset' command\r\n");
      assert.equal(await c.call('HGET', 'h'), "-ERR wrong number of arguments for 'hget' command\r\n");
      assert.equal(await c.call('EXISTS', 'h'), ':0\r\n');
      assert.equal(await c.call('SET', 's', 'x'), '+OK\r\n');
      for (const command of [
        ['HSET', 's', 'a', '1'],
        ['HMSET', 's', 'a', '1'],
        ['HSETNX', 's', 'a', '1'],
        ['HGET', 's', 'a'],
        ['HMGET', 's', 'a'],
        ['HDEL', 's', 'a'],
        ['HLEN', 's'],
        ['HSTRLEN', 's', 'a'],
        ['HEXISTS', 's', 'a'],
        ['HKEYS', 's'],
        ['HVALS', 's'],
        ['HGETALL', 's'],
        ['HINCRBY', 's', 'a', '1'],
        ['HINCRBYFLOAT', 's', 'a', '1'],
        ['HRANDFIELD', 's'],
        ['HRANDFIELD', 's', '2'],
        ['HSCAN', 's', '0'],
      ]) {
        assert.equal(await c.call(...command), WRONG_TYPE, command.join(' '));
      }
    });

    it('HDEL removes fields and the key once empty', async ({ connection: c }) => {
      assert.equal(await c.call('HSET', 'h', 'a', '1', 'b', '2', 'c', '3'), ':3\r\n');
      assert.equal(await c.call('HDEL', 'h', 'a', 'zz', 'a'), ':1\r\n');
      assert.equal(await c.call('HDEL', 'nokey', 'a'), ':0\r\n');
      assert.equal(await c.call('HGETALL', 'h'), array('b', '2', 'c', '3'));
      assert.equal(await c.call('HDEL', 'h', 'b', 'c'), ':2\r\n');
      assert.equal(await c.call('EXISTS', 'h'), ':0\r\n');
    });

    it('HKEYS, HVALS, HGETALL keep listpack insertion order; RESP3 map', async ({ connection: c }) => {
      assert.equal(await c.call('HSET', 'h', 'z', '1', 'a', '2', 'm', '3'), ':3\r\n');
      assert.equal(await c.call('HSET', 'h', 'a', '20'), ':0\r\n');
      assert.equal(await c.call('HDEL', 'h', 'z'), ':1\r\n');
      assert.equal(await c.call('HSET', 'h', 'z', '4'), ':1\r\n');
      assert.equal(await c.call('HKEYS', 'h'), array('a', 'm', 'z'));
      assert.equal(await c.call('HVALS', 'h'), array('20', '3', '4'));
      assert.equal(await c.call('HGETALL', 'h'), array('a', '20', 'm', '3', 'z', '4'));
      assert.equal(await c.call('HKEYS', 'nokey'), '*0\r\n');
      assert.equal(await c.call('HVALS', 'nokey'), '*0\r\n');
      assert.equal(await c.call('HGETALL', 'nokey'), '*0\r\n');
      assert.equal(await c.call('OBJECT', 'ENCODING', 'h'), '$8\r\nlistpack\r\n');
      await c.call('HELLO', '3');
      assert.equal(
        await c.call('HGETALL', 'h'),
        `%3\r\n${['a', '20', 'm', '3', 'z', '4'].map(bulk).join('')}`,
      );
      assert.equal(await c.call('HGETALL', 'nokey'), '%0\r\n');
      assert.equal(await c.call('HKEYS', 'h'), array('a', 'm', 'z'));
      assert.equal(await c.call('HGET', 'h', 'nope'), '_\r\n');
      assert.equal(await c.call('HMGET', 'nokey', 'a'), '*1\r\n_\r\n');
    });

    it('encoding: listpack converts to hashtable by entries and by value length', async ({
      connection: c,
    }) => {
      await bigHash(c, 'h', 128);
      assert.equal(await c.call('OBJECT', 'ENCODING', 'h'), '$8\r\nlistpack\r\n');
      assert.equal(await c.call('HSET', 'h', 'one-more', 'x'), ':1\r\n');
      assert.equal(await c.call('OBJECT', 'ENCODING', 'h'), '$9\r\nhashtable\r\n');
      assert.equal(await c.call('HDEL', 'h', 'one-more', 'f0', 'f1'), ':3\r\n');
      assert.equal(await c.call('OBJECT', 'ENCODING', 'h'), '$9\r\nhashtable\r\n');
      assert.equal(await c.call('HSET', 'long', 'f', 'x'.repeat(64)), ':1\r\n');
      assert.equal(await c.call('OBJECT', 'ENCODING', 'long'), '$8\r\nlistpack\r\n');
      assert.equal(await c.call('HSET', 'long', 'f', 'x'.repeat(65)), ':0\r\n');
      assert.equal(await c.call('OBJECT', 'ENCODING', 'long'), '$9\r\nhashtable\r\n');
      assert.equal(await c.call('HSET', 'longfield', 'y'.repeat(65), '1'), ':1\r\n');
      assert.equal(await c.call('OBJECT', 'ENCODING', 'longfield'), '$9\r\nhashtable\r\n');
      assert.equal(await c.call('CONFIG', 'SET', 'hash-max-listpack-entries', '2'), '+OK\r\n');
      try {
        assert.equal(await c.call('HSET', 'small', 'a', '1', 'b', '2'), ':2\r\n');
        assert.equal(await c.call('OBJECT', 'ENCODING', 'small'), '$8\r\nlistpack\r\n');
        assert.equal(await c.call('HSETNX', 'small', 'c', '3'), ':1\r\n');
        assert.equal(await c.call('OBJECT', 'ENCODING', 'small'), '$9\r\nhashtable\r\n');
        const all = bulks(await c.call('HGETALL', 'small'));
        assert.deepEqual(
          pairs(all),
          new Map([
            ['a', '1'],
            ['b', '2'],
            ['c', '3'],
          ]),
        );
      } finally {
        await c.call('CONFIG', 'SET', 'hash-max-listpack-entries', '128');
      }
    });

    it('HINCRBY and HINCRBYFLOAT', async ({ connection: c }) => {
      assert.equal(await c.call('HINCRBY', 'h', 'n', '5'), ':5\r\n');
      assert.equal(await c.call('HINCRBY', 'h', 'n', '-10'), ':-5\r\n');
      assert.equal(await c.call('HINCRBY', 'h', 'n', 'x'), NOT_INTEGER);
      assert.equal(await c.call('HINCRBY', 'h', 'n', '1.5'), NOT_INTEGER);
      assert.equal(await c.call('HSET', 'h', 'max', '9223372036854775806'), ':1\r\n');
      assert.equal(await c.call('HINCRBY', 'h', 'max', '1'), ':9223372036854775807\r\n');
      assert.equal(
        await c.call('HINCRBY', 'h', 'max', '1'),
        '-ERR increment or decrement would overflow\r\n',
      );
      assert.equal(await c.call('HSET', 'h', 'min', '-9223372036854775807'), ':1\r\n');
      assert.equal(await c.call('HINCRBY', 'h', 'min', '-1'), ':-9223372036854775808\r\n');
      assert.equal(
        await c.call('HINCRBY', 'h', 'min', '-1'),
        '-ERR increment or decrement would overflow\r\n',
      );
      assert.equal(await c.call('HSET', 'h', 's', 'abc', 'sp', ' 1', 'e', '5.0e3'), ':3\r\n');
      assert.equal(await c.call('HINCRBY', 'h', 's', '1'), '-ERR hash value is not an integer\r\n');
      assert.equal(await c.call('HINCRBY', 'h', 'sp', '1'), '-ERR hash value is not an integer\r\n');
      assert.equal(await c.call('HINCRBY', 'h', 'e', '1'), '-ERR hash value is not an integer\r\n');
      assert.equal(await c.call('HINCRBYFLOAT', 'h', 'f', '10.5'), bulk('10.5'));
      assert.equal(await c.call('HINCRBYFLOAT', 'h', 'f', '0.1'), bulk('10.6'));
      assert.equal(await c.call('HINCRBYFLOAT', 'h', 'f', '-10.6'), bulk('0'));
      assert.equal(await c.call('HINCRBYFLOAT', 'h', 'e', '1'), bulk('5001'));
      assert.equal(await c.call('HINCRBYFLOAT', 'h', 'n', '1.5'), bulk('-3.5'));
      assert.equal(await c.call('HINCRBYFLOAT', 'h', 's', '1'), '-ERR hash value is not a float\r\n');
      assert.equal(await c.call('HINCRBYFLOAT', 'h', 'sp', '1'), '-ERR hash value is not a float\r\n');
      assert.equal(await c.call('HINCRBYFLOAT', 'h', 'f', 'x'), '-ERR value is not a valid float\r\n');
      assert.equal(await c.call('HINCRBYFLOAT', 'h', 'f', 'inf'), '-ERR value is NaN or Infinity\r\n');
      assert.equal(await c.call('HGET', 'h', 'e'), bulk('5001'));
      assert.equal(await c.call('HINCRBYFLOAT', 'new', 'f', '3'), bulk('3'));
    });

    it('HRANDFIELD without count, with count, negative count, WITHVALUES', async ({ connection: c }) => {
      const fields = new Map([
        ['a', '1'],
        ['b', '2'],
        ['c', '3'],
        ['d', '4'],
        ['e', '5'],
      ]);
      assert.equal(await c.call('HSET', 'h', ...[...fields].flat()), ':5\r\n');
      assert.equal(await c.call('HRANDFIELD', 'nokey'), '$-1\r\n');
      assert.equal(await c.call('HRANDFIELD', 'nokey', '3'), '*0\r\n');
      assert.equal(await c.call('HRANDFIELD', 'nokey', '-3', 'WITHVALUES'), '*0\r\n');
      assert.equal(await c.call('HRANDFIELD', 'h', '0'), '*0\r\n');
      const one = bulks(await c.call('HRANDFIELD', 'h'));
      assert.equal(one.length, 1);
      assert.ok(fields.has(one[0] as string));
      // Positive count: distinct fields, at most the hash's size.
      for (const count of [1, 3, 4, 5, 10]) {
        const reply = await c.call('HRANDFIELD', 'h', String(count));
        const got = bulks(reply);
        assert.ok(reply.startsWith(`*${Math.min(count, 5)}\r\n`));
        assert.equal(new Set(got).size, Math.min(count, 5));
        for (const field of got) assert.ok(fields.has(field));
      }
      // A count over the size returns the whole listpack in order.
      assert.equal(await c.call('HRANDFIELD', 'h', '10'), array('a', 'b', 'c', 'd', 'e'));
      // Negative count: exactly |count| fields, repetitions allowed.
      const negative = bulks(await c.call('HRANDFIELD', 'h', '-20'));
      assert.equal(negative.length, 20);
      for (const field of negative) assert.ok(fields.has(field));
      const withValues = bulks(await c.call('HRANDFIELD', 'h', '3', 'WITHVALUES'));
      assert.equal(withValues.length, 6);
      for (let i = 0; i < 6; i += 2) assert.equal(fields.get(withValues[i] as string), withValues[i + 1]);
      assert.equal(new Set(withValues.filter((_, i) => i % 2 === 0)).size, 3);
      const negativeValues = bulks(await c.call('HRANDFIELD', 'h', '-8', 'withvalues'));
      assert.equal(negativeValues.length, 16);
      for (let i = 0; i < 16; i += 2)
        assert.equal(fields.get(negativeValues[i] as string), negativeValues[i + 1]);
      assert.equal(await c.call('HRANDFIELD', 'h', '1', 'foo'), '-ERR syntax error\r\n');
      assert.equal(await c.call('HRANDFIELD', 'h', '1', 'WITHVALUES', 'x'), '-ERR syntax error\r\n');
      assert.equal(await c.call('HRANDFIELD', 'h', 'x'), NOT_INTEGER);
      assert.equal(
        await c.call('HRANDFIELD', 'h', '-9223372036854775808'),
        '-ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807\r\n',
      );
      assert.equal(
        await c.call('HRANDFIELD', 'h', '-4611686018427387904', 'WITHVALUES'),
        '-ERR value is out of range\r\n',
      );
      assert.equal(
        await c.call('HRANDFIELD', 'h', '4611686018427387904', 'WITHVALUES'),
        '-ERR value is out of range\r\n',
      );
      // RESP3: WITHVALUES pairs become two-element arrays.
      await c.call('HELLO', '3');
      const resp3 = await c.call('HRANDFIELD', 'h', '-2', 'WITHVALUES');
      assert.match(
        resp3,
        /^\*2\r\n\*2\r\n\$1\r\n[a-e]\r\n\$1\r\n[1-5]\r\n\*2\r\n\$1\r\n[a-e]\r\n\$1\r\n[1-5]\r\n$/,
      );
      assert.equal(
        await c.call('HRANDFIELD', 'h', '5', 'WITHVALUES'),
        `*5\r\n${[...fields].map(([f, v]) => `*2\r\n${bulk(f)}${bulk(v)}`).join('')}`,
      );
      assert.equal(await c.call('HRANDFIELD', 'nokey'), '_\r\n');
    });

    it('HRANDFIELD on a hashtable hash', async ({ connection: c }) => {
      await bigHash(c, 'h', 300);
      const got = bulks(await c.call('HRANDFIELD', 'h', '250', 'WITHVALUES'));
      assert.equal(got.length, 500);
      const map = pairs(got);
      assert.equal(map.size, 250);
      for (const [field, value] of map) assert.equal(value, `v${field.slice(1)}`);
      assert.equal(new Set(bulks(await c.call('HRANDFIELD', 'h', '10'))).size, 10);
      assert.equal(bulks(await c.call('HRANDFIELD', 'h', '-400')).length, 400);
      assert.equal(new Set(bulks(await c.call('HRANDFIELD', 'h', '300'))).size, 300);
    });

    it('HSCAN: listpack in one call, hashtable by cursor, MATCH, COUNT, errors', async ({
      connection: c,
    }) => {
      assert.equal(await c.call('HSCAN', 'nokey', '0'), '*2\r\n$1\r\n0\r\n*0\r\n');
      assert.equal(await c.call('HSCAN', 'nokey', '0', 'COUNT', '0'), '*2\r\n$1\r\n0\r\n*0\r\n');
      assert.equal(await c.call('HSCAN', 'nokey', 'x'), '-ERR invalid cursor\r\n');
      assert.equal(await c.call('HSET', 'h', 'a1', '1', 'b1', '2', 'a2', '3'), ':3\r\n');
      assert.equal(
        await c.call('HSCAN', 'h', '0'),
        `*2\r\n$1\r\n0\r\n${array('a1', '1', 'b1', '2', 'a2', '3')}`,
      );
      assert.equal(
        await c.call('HSCAN', 'h', '0', 'MATCH', 'a*'),
        `*2\r\n$1\r\n0\r\n${array('a1', '1', 'a2', '3')}`,
      );
      assert.equal(
        await c.call('HSCAN', 'h', '0', 'COUNT', '1', 'MATCH', '*'),
        `*2\r\n$1\r\n0\r\n${array('a1', '1', 'b1', '2', 'a2', '3')}`,
      );
      assert.equal(await c.call('HSCAN', 'h', 'x'), '-ERR invalid cursor\r\n');
      assert.equal(await c.call('HSCAN', 'h', '0', 'COUNT', '0'), '-ERR syntax error\r\n');
      assert.equal(await c.call('HSCAN', 'h', '0', 'COUNT', 'x'), NOT_INTEGER);
      assert.equal(await c.call('HSCAN', 'h', '0', 'COUNT'), '-ERR syntax error\r\n');
      assert.equal(await c.call('HSCAN', 'h', '0', 'NOVALUES'), '-ERR syntax error\r\n');
      await bigHash(c, 'big', 600);
      const seen = new Map<string, string>();
      let cursor = '0';
      let calls = 0;
      do {
        const items = bulks(await c.call('HSCAN', 'big', cursor, 'COUNT', '50'));
        cursor = items[0] as string;
        for (const [field, value] of pairs(items.slice(1))) seen.set(field, value);
        calls++;
      } while (cursor !== '0' && calls < 1000);
      assert.equal(cursor, '0');
      assert.ok(calls > 1);
      assert.equal(seen.size, 600);
      for (const [field, value] of seen) assert.equal(value, `v${field.slice(1)}`);
      const matched = new Set<string>();
      cursor = '0';
      do {
        const items = bulks(await c.call('HSCAN', 'big', cursor, 'MATCH', 'f1?', 'COUNT', '100'));
        cursor = items[0] as string;
        for (const field of pairs(items.slice(1)).keys()) matched.add(field);
      } while (cursor !== '0');
      assert.deepEqual([...matched].sort(), [
        'f10',
        'f11',
        'f12',
        'f13',
        'f14',
        'f15',
        'f16',
        'f17',
        'f18',
        'f19',
      ]);
    });
  },
  // Redis 7.0's compiled-in default is 512 (redis.conf ships 128): pin it so both targets agree.
  { serverArgs: ['--hash-max-listpack-entries', '128'] },
);
