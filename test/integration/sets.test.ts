import assert from 'node:assert/strict';
import { conformanceSuite } from '../helpers/conformance.ts';
import type { RawConnection } from '../helpers/raw-connection.ts';
import { array, bulk, bulks, NOT_INTEGER, WRONG_TYPE } from '../helpers/resp-text.ts';

/** The members of a reply, sorted (for replies whose order Redis does not define). */
async function sorted(c: RawConnection, ...command: string[]): Promise<string[]> {
  return bulks(await c.call(...command)).sort();
}

async function bigSet(c: RawConnection, key: string, count: number, prefix = 'm'): Promise<void> {
  const members: string[] = [];
  for (let i = 0; i < count; i++) members.push(`${prefix}${i}`);
  assert.equal(await c.call('SADD', key, ...members), `:${count}\r\n`);
}

conformanceSuite('sets', (it) => {
  it('SADD, SREM, SCARD, SISMEMBER, SMISMEMBER', async ({ connection: c }) => {
    assert.equal(await c.call('SADD', 's', 'a', 'b', 'a'), ':2\r\n');
    assert.equal(await c.call('SADD', 's', 'b', 'c'), ':1\r\n');
    assert.equal(await c.call('SCARD', 's'), ':3\r\n');
    assert.equal(await c.call('SCARD', 'nokey'), ':0\r\n');
    assert.equal(await c.call('SISMEMBER', 's', 'a'), ':1\r\n');
    assert.equal(await c.call('SISMEMBER', 's', 'z'), ':0\r\n');
    assert.equal(await c.call('SISMEMBER', 'nokey', 'a'), ':0\r\n');
    assert.equal(await c.call('SMISMEMBER', 's', 'a', 'z', 'c'), '*3\r\n:1\r\n:0\r\n:1\r\n');
    assert.equal(await c.call('SMISMEMBER', 'nokey', 'a', 'b'), '*2\r\n:0\r\n:0\r\n');
    assert.equal(await c.call('SREM', 's', 'a', 'z', 'a'), ':1\r\n');
    assert.equal(await c.call('SREM', 'nokey', 'a'), ':0\r\n');
    assert.equal(await c.call('SREM', 's', 'b', 'c'), ':2\r\n');
    assert.equal(await c.call('EXISTS', 's'), ':0\r\n');
    assert.equal(await c.call('SADD', 's'), "-ERR wrong number of arguments for 'sadd' command\r\n");
    assert.equal(
      await c.call('SMISMEMBER', 's'),
      "-ERR wrong number of arguments for 'smismember' command\r\n",
    );
    const binary = Buffer.from([0, 255, 13, 10]).latin1Slice();
    assert.equal(await c.call('SADD', 'bin', binary), ':1\r\n');
    assert.equal(await c.call('SMEMBERS', 'bin'), array(binary));
  });

  it('WRONGTYPE on every command', async ({ connection: c }) => {
    assert.equal(await c.call('SET', 'str', 'x'), '+OK\r\n');
    assert.equal(await c.call('SADD', 's', 'a'), ':1\r\n');
    for (const command of [
      ['SADD', 'str', 'a'],
      ['SREM', 'str', 'a'],
      ['SCARD', 'str'],
      ['SISMEMBER', 'str', 'a'],
      ['SMISMEMBER', 'str', 'a'],
      ['SMEMBERS', 'str'],
      ['SPOP', 'str'],
      ['SPOP', 'str', '2'],
      ['SRANDMEMBER', 'str'],
      ['SRANDMEMBER', 'str', '2'],
      ['SMOVE', 'str', 's', 'a'],
      ['SMOVE', 's', 'str', 'a'],
      ['SINTER', 'nokey', 'str'],
      ['SINTER', 'str', 'nokey'],
      ['SINTERSTORE', 'd', 'nokey', 'str'],
      ['SINTERCARD', '2', 'nokey', 'str'],
      ['SUNION', 's', 'str'],
      ['SUNIONSTORE', 'd', 's', 'str'],
      ['SDIFF', 'nokey', 'str'],
      ['SDIFFSTORE', 'd', 's', 'str'],
      ['SSCAN', 'str', '0'],
    ]) {
      assert.equal(await c.call(...command), WRONG_TYPE, command.join(' '));
    }
    assert.equal(await c.call('SMOVE', 'nokey', 'str', 'a'), ':0\r\n');
    assert.equal(await c.call('EXISTS', 'd'), ':0\r\n');
  });

  it('SMEMBERS: intset sorted numerically, hashtable any order; RESP3 set', async ({ connection: c }) => {
    assert.equal(
      await c.call('SADD', 'i', '10', '-3', '2', '9223372036854775807', '-9223372036854775808'),
      ':5\r\n',
    );
    assert.equal(
      await c.call('SMEMBERS', 'i'),
      array('-9223372036854775808', '-3', '2', '10', '9223372036854775807'),
    );
    assert.equal(await c.call('OBJECT', 'ENCODING', 'i'), '$6\r\nintset\r\n');
    assert.equal(await c.call('SISMEMBER', 'i', '010'), ':0\r\n');
    assert.equal(await c.call('SISMEMBER', 'i', '10'), ':1\r\n');
    assert.equal(await c.call('SADD', 'i', 'x'), ':1\r\n');
    assert.equal(await c.call('OBJECT', 'ENCODING', 'i'), '$9\r\nhashtable\r\n');
    assert.equal(await c.call('SREM', 'i', 'x'), ':1\r\n');
    assert.equal(await c.call('OBJECT', 'ENCODING', 'i'), '$9\r\nhashtable\r\n');
    assert.deepEqual(await sorted(c, 'SMEMBERS', 'i'), [
      '-3',
      '-9223372036854775808',
      '10',
      '2',
      '9223372036854775807',
    ]);
    // Not canonical integers: stay strings, so the set is a hashtable from the start.
    for (const member of ['01', '+1', '-0', '1.0', ' 1', '9223372036854775808']) {
      await c.call('DEL', 'n');
      assert.equal(await c.call('SADD', 'n', member), ':1\r\n');
      assert.equal(await c.call('OBJECT', 'ENCODING', 'n'), '$9\r\nhashtable\r\n', member);
    }
    assert.equal(await c.call('SMEMBERS', 'nokey'), '*0\r\n');
    await c.call('HELLO', '3');
    assert.equal(await c.call('SADD', 'r3', '3', '1', '2'), ':3\r\n');
    assert.equal(await c.call('SMEMBERS', 'r3'), `~3\r\n${['1', '2', '3'].map(bulk).join('')}`);
    assert.equal(await c.call('SMEMBERS', 'nokey'), '~0\r\n');
  });

  it('intset converts past set-max-intset-entries', async ({ connection: c }) => {
    assert.equal(await c.call('CONFIG', 'SET', 'set-max-intset-entries', '4'), '+OK\r\n');
    try {
      assert.equal(await c.call('SADD', 's', '1', '2', '3', '4'), ':4\r\n');
      assert.equal(await c.call('OBJECT', 'ENCODING', 's'), '$6\r\nintset\r\n');
      assert.equal(await c.call('SADD', 's', '5'), ':1\r\n');
      assert.equal(await c.call('OBJECT', 'ENCODING', 's'), '$9\r\nhashtable\r\n');
      assert.equal(await c.call('SUNIONSTORE', 'u', 's'), ':5\r\n');
      assert.equal(await c.call('OBJECT', 'ENCODING', 'u'), '$9\r\nhashtable\r\n');
      assert.equal(await c.call('SINTERSTORE', 'small', 's', 's'), ':5\r\n');
      assert.equal(await c.call('SADD', 'other', '1', '2'), ':2\r\n');
      assert.equal(await c.call('SINTERSTORE', 'small', 's', 'other'), ':2\r\n');
      assert.equal(await c.call('OBJECT', 'ENCODING', 'small'), '$6\r\nintset\r\n');
      assert.equal(await c.call('SMEMBERS', 'small'), array('1', '2'));
    } finally {
      await c.call('CONFIG', 'SET', 'set-max-intset-entries', '512');
    }
  });

  it('SPOP without and with count', async ({ connection: c }) => {
    assert.equal(await c.call('SPOP', 'nokey'), '$-1\r\n');
    assert.equal(await c.call('SPOP', 'nokey', '3'), '*0\r\n');
    assert.equal(await c.call('SADD', 's', 'a', 'b', 'c', 'd', 'e'), ':5\r\n');
    assert.equal(await c.call('SPOP', 's', '0'), '*0\r\n');
    assert.equal(await c.call('SPOP', 's', '-1'), '-ERR value is out of range, must be positive\r\n');
    assert.equal(await c.call('SPOP', 's', 'x'), '-ERR value is out of range, must be positive\r\n');
    assert.equal(await c.call('SPOP', 's', '1', '2'), '-ERR syntax error\r\n');
    const one = bulks(await c.call('SPOP', 's'));
    assert.equal(one.length, 1);
    assert.equal(await c.call('SISMEMBER', 's', one[0] as string), ':0\r\n');
    const two = bulks(await c.call('SPOP', 's', '2'));
    assert.equal(new Set(two).size, 2);
    for (const member of two) assert.equal(await c.call('SISMEMBER', 's', member), ':0\r\n');
    assert.equal(await c.call('SCARD', 's'), ':2\r\n');
    const rest = bulks(await c.call('SPOP', 's', '10'));
    assert.deepEqual([...one, ...two, ...rest].sort(), ['a', 'b', 'c', 'd', 'e']);
    assert.equal(await c.call('EXISTS', 's'), ':0\r\n');
    assert.equal(await c.call('SADD', 'i', '3', '1', '2'), ':3\r\n');
    assert.equal(await c.call('SPOP', 'i', '3'), array('1', '2', '3'));
    assert.equal(await c.call('SADD', 'last', 'x'), ':1\r\n');
    assert.equal(await c.call('SPOP', 'last'), bulk('x'));
    assert.equal(await c.call('EXISTS', 'last'), ':0\r\n');
    await bigSet(c, 'big', 1000);
    const popped = bulks(await c.call('SPOP', 'big', '900'));
    assert.equal(new Set(popped).size, 900);
    assert.equal(await c.call('SCARD', 'big'), ':100\r\n');
    await c.call('HELLO', '3');
    assert.equal(await c.call('SADD', 'r3', '1', '2'), ':2\r\n');
    assert.match(await c.call('SPOP', 'r3', '1'), /^~1\r\n\$1\r\n[12]\r\n$/);
    assert.equal(await c.call('SPOP', 'nokey', '2'), '~0\r\n');
    assert.equal(await c.call('SPOP', 'nokey'), '_\r\n');
  });

  it('SRANDMEMBER with positive, negative and oversized counts', async ({ connection: c }) => {
    assert.equal(await c.call('SRANDMEMBER', 'nokey'), '$-1\r\n');
    assert.equal(await c.call('SRANDMEMBER', 'nokey', '5'), '*0\r\n');
    assert.equal(await c.call('SADD', 's', '1', '2', '3', '4', '5'), ':5\r\n');
    assert.equal(await c.call('SRANDMEMBER', 's', '0'), '*0\r\n');
    assert.equal(await c.call('SRANDMEMBER', 's', 'x'), NOT_INTEGER);
    assert.equal(await c.call('SRANDMEMBER', 's', '1', '2'), '-ERR syntax error\r\n');
    assert.equal(
      await c.call('SRANDMEMBER', 's', '-9223372036854775808'),
      '-ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807\r\n',
    );
    const members = new Set(['1', '2', '3', '4', '5']);
    assert.ok(members.has(bulks(await c.call('SRANDMEMBER', 's'))[0] as string));
    for (const count of [1, 2, 3, 4]) {
      const got = bulks(await c.call('SRANDMEMBER', 's', String(count)));
      assert.equal(got.length, count);
      assert.equal(new Set(got).size, count);
      for (const member of got) assert.ok(members.has(member));
    }
    assert.equal(await c.call('SRANDMEMBER', 's', '10'), array('1', '2', '3', '4', '5'));
    const negative = bulks(await c.call('SRANDMEMBER', 's', '-30'));
    assert.equal(negative.length, 30);
    for (const member of negative) assert.ok(members.has(member));
    assert.equal(await c.call('SCARD', 's'), ':5\r\n');
    await bigSet(c, 'big', 600);
    assert.equal(new Set(bulks(await c.call('SRANDMEMBER', 'big', '500'))).size, 500);
    assert.equal(new Set(bulks(await c.call('SRANDMEMBER', 'big', '20'))).size, 20);
    assert.equal(bulks(await c.call('SRANDMEMBER', 'big', '-700')).length, 700);
    assert.equal(new Set(bulks(await c.call('SRANDMEMBER', 'big', '600'))).size, 600);
    await c.call('HELLO', '3');
    assert.match(await c.call('SRANDMEMBER', 's', '2'), /^\*2\r\n/);
  });

  it('SMOVE', async ({ connection: c }) => {
    assert.equal(await c.call('SADD', 'a', 'x', 'y'), ':2\r\n');
    assert.equal(await c.call('SADD', 'b', 'z'), ':1\r\n');
    assert.equal(await c.call('SMOVE', 'a', 'b', 'x'), ':1\r\n');
    assert.equal(await c.call('SMOVE', 'a', 'b', 'nope'), ':0\r\n');
    assert.deepEqual(await sorted(c, 'SMEMBERS', 'b'), ['x', 'z']);
    assert.equal(await c.call('SADD', 'a', 'z'), ':1\r\n');
    assert.equal(await c.call('SMOVE', 'a', 'b', 'z'), ':1\r\n');
    assert.equal(await c.call('SMEMBERS', 'a'), array('y'));
    assert.equal(await c.call('SMOVE', 'a', 'a', 'y'), ':1\r\n');
    assert.equal(await c.call('SMOVE', 'a', 'a', 'q'), ':0\r\n');
    assert.equal(await c.call('SMOVE', 'a', 'new', 'y'), ':1\r\n');
    assert.equal(await c.call('EXISTS', 'a'), ':0\r\n');
    assert.equal(await c.call('SMEMBERS', 'new'), array('y'));
    assert.equal(await c.call('SMOVE', 'nokey', 'new', 'y'), ':0\r\n');
    assert.equal(await c.call('SADD', 'ints', '1', '2'), ':2\r\n');
    assert.equal(await c.call('SMOVE', 'ints', 'intdst', '2'), ':1\r\n');
    assert.equal(await c.call('OBJECT', 'ENCODING', 'intdst'), '$6\r\nintset\r\n');
  });

  it('SINTER, SINTERSTORE, SINTERCARD', async ({ connection: c }) => {
    assert.equal(await c.call('SADD', 'a', '1', '2', '3', 'x', 'y'), ':5\r\n');
    assert.equal(await c.call('SADD', 'b', '2', '3', 'y', 'z'), ':4\r\n');
    assert.equal(await c.call('SADD', 'c', '3', 'y', 'q'), ':3\r\n');
    assert.deepEqual(await sorted(c, 'SINTER', 'a', 'b'), ['2', '3', 'y']);
    assert.deepEqual(await sorted(c, 'SINTER', 'a', 'b', 'c'), ['3', 'y']);
    assert.deepEqual(await sorted(c, 'SINTER', 'a'), ['1', '2', '3', 'x', 'y']);
    assert.equal(await c.call('SINTER', 'a', 'nokey'), '*0\r\n');
    assert.equal(await c.call('SINTERSTORE', 'd', 'a', 'b', 'c'), ':2\r\n');
    assert.deepEqual(await sorted(c, 'SMEMBERS', 'd'), ['3', 'y']);
    assert.equal(await c.call('SET', 'str', 'v'), '+OK\r\n');
    assert.equal(await c.call('EXPIRE', 'str', '100'), ':1\r\n');
    assert.equal(await c.call('SINTERSTORE', 'str', 'a', 'b'), ':3\r\n');
    assert.equal(await c.call('TYPE', 'str'), '+set\r\n');
    assert.equal(await c.call('TTL', 'str'), ':-1\r\n');
    assert.equal(await c.call('SINTERSTORE', 'd', 'a', 'nokey'), ':0\r\n');
    assert.equal(await c.call('EXISTS', 'd'), ':0\r\n');
    assert.equal(await c.call('SINTERSTORE', 'a', 'a', 'b'), ':3\r\n');
    assert.deepEqual(await sorted(c, 'SMEMBERS', 'a'), ['2', '3', 'y']);
    assert.equal(await c.call('SADD', 'i1', '5', '1', '3', '4'), ':4\r\n');
    assert.equal(await c.call('SADD', 'i2', '4', '3', '5', '9'), ':4\r\n');
    assert.equal(await c.call('SINTERSTORE', 'i3', 'i1', 'i2'), ':3\r\n');
    assert.equal(await c.call('SMEMBERS', 'i3'), array('3', '4', '5'));
    assert.equal(await c.call('SINTERCARD', '2', 'i1', 'i2'), ':3\r\n');
    assert.equal(await c.call('SINTERCARD', '2', 'i1', 'i2', 'LIMIT', '2'), ':2\r\n');
    assert.equal(await c.call('SINTERCARD', '2', 'i1', 'i2', 'limit', '0'), ':3\r\n');
    assert.equal(await c.call('SINTERCARD', '1', 'i1'), ':4\r\n');
    assert.equal(await c.call('SINTERCARD', '2', 'i1', 'nokey'), ':0\r\n');
    assert.equal(await c.call('SINTERCARD', '1', 'nokey'), ':0\r\n');
    assert.equal(await c.call('SINTERCARD', '0', 'i1'), '-ERR numkeys should be greater than 0\r\n');
    assert.equal(await c.call('SINTERCARD', 'x', 'i1'), '-ERR numkeys should be greater than 0\r\n');
    assert.equal(await c.call('SINTERCARD', '-1', 'i1'), '-ERR numkeys should be greater than 0\r\n');
    assert.equal(
      await c.call('SINTERCARD', '3', 'i1', 'i2'),
      "-ERR Number of keys can't be greater than number of args\r\n",
    );
    assert.equal(await c.call('SINTERCARD', '1', 'i1', 'LIMIT', '-1'), "-ERR LIMIT can't be negative\r\n");
    assert.equal(await c.call('SINTERCARD', '1', 'i1', 'LIMIT', 'x'), "-ERR LIMIT can't be negative\r\n");
    assert.equal(await c.call('SINTERCARD', '1', 'i1', 'LIMIT'), '-ERR syntax error\r\n');
    assert.equal(await c.call('SINTERCARD', '1', 'i1', 'FOO', '1'), '-ERR syntax error\r\n');
    assert.equal(
      await c.call('SINTERCARD', '1'),
      "-ERR wrong number of arguments for 'sintercard' command\r\n",
    );
    await c.call('HELLO', '3');
    assert.equal(await c.call('SINTER', 'i1', 'i2'), `~3\r\n${['3', '4', '5'].map(bulk).join('')}`);
    assert.equal(await c.call('SINTER', 'i1', 'nokey'), '~0\r\n');
  });

  it('SUNION, SUNIONSTORE, SDIFF, SDIFFSTORE', async ({ connection: c }) => {
    assert.equal(await c.call('SADD', 'a', '1', '2', 'x'), ':3\r\n');
    assert.equal(await c.call('SADD', 'b', '2', '3', 'y'), ':3\r\n');
    assert.deepEqual(await sorted(c, 'SUNION', 'a', 'b', 'nokey'), ['1', '2', '3', 'x', 'y']);
    assert.equal(await c.call('SUNION', 'nokey'), '*0\r\n');
    assert.deepEqual(await sorted(c, 'SDIFF', 'a', 'b'), ['1', 'x']);
    assert.deepEqual(await sorted(c, 'SDIFF', 'a', 'nokey'), ['1', '2', 'x']);
    assert.equal(await c.call('SDIFF', 'nokey', 'a'), '*0\r\n');
    assert.equal(await c.call('SDIFF', 'a', 'a'), '*0\r\n');
    assert.equal(await c.call('SUNIONSTORE', 'u', 'a', 'b'), ':5\r\n');
    assert.deepEqual(await sorted(c, 'SMEMBERS', 'u'), ['1', '2', '3', 'x', 'y']);
    assert.equal(await c.call('SDIFFSTORE', 'd', 'a', 'b'), ':2\r\n');
    assert.deepEqual(await sorted(c, 'SMEMBERS', 'd'), ['1', 'x']);
    assert.equal(await c.call('SDIFFSTORE', 'd', 'a', 'a'), ':0\r\n');
    assert.equal(await c.call('EXISTS', 'd'), ':0\r\n');
    assert.equal(await c.call('SUNIONSTORE', 'u', 'nokey'), ':0\r\n');
    assert.equal(await c.call('EXISTS', 'u'), ':0\r\n');
    assert.equal(await c.call('SDIFFSTORE', 'a', 'a', 'b'), ':2\r\n');
    assert.deepEqual(await sorted(c, 'SMEMBERS', 'a'), ['1', 'x']);
    // Integer-only results are intsets, returned in numeric order.
    assert.equal(await c.call('SADD', 'i1', '30', '10'), ':2\r\n');
    assert.equal(await c.call('SADD', 'i2', '20', '-5', '10'), ':3\r\n');
    assert.equal(await c.call('SUNION', 'i1', 'i2'), array('-5', '10', '20', '30'));
    assert.equal(await c.call('SDIFF', 'i2', 'i1'), array('-5', '20'));
    assert.equal(await c.call('SUNIONSTORE', 'iu', 'i1', 'i2'), ':4\r\n');
    assert.equal(await c.call('OBJECT', 'ENCODING', 'iu'), '$6\r\nintset\r\n');
    await c.call('HELLO', '3');
    assert.equal(await c.call('SUNION', 'i1', 'i2'), `~4\r\n${['-5', '10', '20', '30'].map(bulk).join('')}`);
    assert.equal(await c.call('SDIFF', 'nokey'), '~0\r\n');
  });

  it('SSCAN: intset in one call, hashtable by cursor, MATCH, COUNT, errors', async ({ connection: c }) => {
    assert.equal(await c.call('SSCAN', 'nokey', '0'), '*2\r\n$1\r\n0\r\n*0\r\n');
    assert.equal(await c.call('SSCAN', 'nokey', 'x'), '-ERR invalid cursor\r\n');
    assert.equal(await c.call('SADD', 'i', '3', '1', '2', '11'), ':4\r\n');
    assert.equal(
      await c.call('SSCAN', 'i', '0', 'COUNT', '1'),
      `*2\r\n$1\r\n0\r\n${array('1', '2', '3', '11')}`,
    );
    assert.equal(await c.call('SSCAN', 'i', '0', 'MATCH', '1*'), `*2\r\n$1\r\n0\r\n${array('1', '11')}`);
    assert.equal(await c.call('SSCAN', 'i', '0', 'COUNT', '0'), '-ERR syntax error\r\n');
    assert.equal(await c.call('SSCAN', 'i', '0', 'COUNT', 'x'), NOT_INTEGER);
    assert.equal(await c.call('SSCAN', 'i', '0', 'MATCH'), '-ERR syntax error\r\n');
    assert.equal(await c.call('SSCAN', 'i', '0', 'BOGUS', 'x'), '-ERR syntax error\r\n');
    await bigSet(c, 'big', 700);
    const seen = new Set<string>();
    let cursor = '0';
    let calls = 0;
    do {
      const items = bulks(await c.call('SSCAN', 'big', cursor, 'COUNT', '50'));
      cursor = items[0] as string;
      for (const member of items.slice(1)) seen.add(member);
      calls++;
    } while (cursor !== '0' && calls < 1000);
    assert.equal(cursor, '0');
    assert.ok(calls > 1);
    assert.equal(seen.size, 700);
    const matched = new Set<string>();
    do {
      const items = bulks(await c.call('SSCAN', 'big', cursor, 'MATCH', 'm6?', 'COUNT', '100'));
      cursor = items[0] as string;
      for (const member of items.slice(1)) matched.add(member);
    } while (cursor !== '0');
    assert.deepEqual([...matched].sort(), [
      'm60',
      'm61',
      'm62',
      'm63',
      'm64',
      'm65',
      'm66',
      'm67',
      'm68',
      'm69',
    ]);
  });
});
