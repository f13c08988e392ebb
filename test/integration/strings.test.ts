import assert from 'node:assert/strict';
import { conformanceSuite } from '../helpers/conformance.ts';
import { bulk } from '../helpers/resp-text.ts';

conformanceSuite('strings', (it) => {
  it('SET and GET round-trip binary values', async ({ connection: c }) => {
    assert.equal(await c.call('SET', 'k', 'v'), '+OK\r\n');
    assert.equal(await c.call('GET', 'k'), '$1\r\nv\r\n');
    assert.equal(await c.call('GET', 'missing'), '$-1\r\n');
    const binary = Buffer.from([0, 1, 255, 13, 10, 128]);
    assert.equal(await c.call('SET', binary, binary), '+OK\r\n');
    assert.equal(await c.call('GET', binary), `$6\r\n${binary.latin1Slice()}\r\n`);
  });

  it('SET options NX, XX, GET, KEEPTTL, EX and their errors', async ({ connection: c }) => {
    assert.equal(await c.call('SET', 'k', '1', 'NX'), '+OK\r\n');
    assert.equal(await c.call('SET', 'k', '2', 'NX'), '$-1\r\n');
    assert.equal(await c.call('SET', 'k', '3', 'XX', 'GET'), '$1\r\n1\r\n');
    assert.equal(await c.call('SET', 'absent', '3', 'XX'), '$-1\r\n');
    assert.equal(await c.call('SET', 'k', '4', 'EX', '100'), '+OK\r\n');
    assert.equal(await c.call('TTL', 'k'), ':100\r\n');
    assert.equal(await c.call('SET', 'k', '5', 'KEEPTTL'), '+OK\r\n');
    assert.equal(await c.call('TTL', 'k'), ':100\r\n');
    assert.equal(await c.call('SET', 'k', '6'), '+OK\r\n');
    assert.equal(await c.call('TTL', 'k'), ':-1\r\n');
    assert.equal(await c.call('SET', 'k', 'v', 'NX', 'XX'), '-ERR syntax error\r\n');
    assert.equal(await c.call('SET', 'k', 'v', 'EX', '10', 'PX', '100'), '-ERR syntax error\r\n');
    assert.equal(await c.call('SET', 'k', 'v', 'EX', '0'), "-ERR invalid expire time in 'set' command\r\n");
    assert.equal(
      await c.call('SET', 'k', 'v', 'EX', 'abc'),
      '-ERR value is not an integer or out of range\r\n',
    );
    assert.equal(await c.call('SET', 'k', 'v', 'BOGUS'), '-ERR syntax error\r\n');
    assert.equal(await c.call('SET', 'k'), "-ERR wrong number of arguments for 'set' command\r\n");
  });

  it('counters: INCR, DECRBY, overflow, non-integers, INCRBYFLOAT', async ({ connection: c }) => {
    assert.equal(await c.call('INCR', 'n'), ':1\r\n');
    assert.equal(await c.call('INCRBY', 'n', '41'), ':42\r\n');
    assert.equal(await c.call('DECRBY', 'n', '50'), ':-8\r\n');
    assert.equal(await c.call('SET', 'big', '9223372036854775806'), '+OK\r\n');
    assert.equal(await c.call('INCR', 'big'), ':9223372036854775807\r\n');
    assert.equal(await c.call('INCR', 'big'), '-ERR increment or decrement would overflow\r\n');
    assert.equal(await c.call('SET', 's', 'abc'), '+OK\r\n');
    assert.equal(await c.call('INCR', 's'), '-ERR value is not an integer or out of range\r\n');
    assert.equal(await c.call('SET', 's', ' 1'), '+OK\r\n');
    assert.equal(await c.call('INCR', 's'), '-ERR value is not an integer or out of range\r\n');
    assert.equal(await c.call('INCRBYFLOAT', 'f', '10.5'), '$4\r\n10.5\r\n');
    assert.equal(await c.call('INCRBYFLOAT', 'f', '0.1'), '$4\r\n10.6\r\n');
    // C's hexadecimal floats, fraction and binary exponent included (found by the differential test).
    assert.equal(await c.call('SET', 'hexf', '0x103.51'), '+OK\r\n');
    assert.equal(await c.call('INCRBYFLOAT', 'hexf', '1'), '$12\r\n260.31640625\r\n');
    assert.equal(await c.call('INCRBYFLOAT', 'hexf', '-0x1.8p3'), '$12\r\n248.31640625\r\n');
    assert.equal(await c.call('INCRBYFLOAT', 'hexf', '0x.8'), '$12\r\n248.81640625\r\n');
    assert.equal(await c.call('INCRBYFLOAT', 'hexf', '0x'), '-ERR value is not a valid float\r\n');
    assert.equal(await c.call('INCRBYFLOAT', 'hexf', '0x1p99999'), '-ERR value is not a valid float\r\n');
    assert.equal(await c.call('SET', 'e', '5.0e3'), '+OK\r\n');
    assert.equal(await c.call('INCRBYFLOAT', 'e', '200'), '$4\r\n5200\r\n');
    assert.equal(await c.call('INCRBYFLOAT', 'f', 'x'), '-ERR value is not a valid float\r\n');
    // Redis adds in long double and prints %.17Lf: these digits are its own.
    assert.equal(await c.call('SET', 'g', '0.1'), '+OK\r\n');
    assert.equal(await c.call('INCRBYFLOAT', 'g', '0.2'), '$3\r\n0.3\r\n');
    assert.equal(await c.call('INCRBYFLOAT', 'h', '1000.1'), '$22\r\n1000.09999999999999998\r\n');
    assert.equal(await c.call('INCRBYFLOAT', 'h', 'inf'), '-ERR increment would produce NaN or Infinity\r\n');
    assert.equal(await c.call('HINCRBYFLOAT', 'hash', 'f', '0.1'), '$3\r\n0.1\r\n');
    assert.equal(await c.call('HINCRBYFLOAT', 'hash', 'f', '0.2'), '$3\r\n0.3\r\n');
    assert.equal(await c.call('HINCRBYFLOAT', 'hash', 'f', 'inf'), '-ERR value is NaN or Infinity\r\n');
  });

  it('MSET, MGET, MSETNX, APPEND, STRLEN, GETRANGE, SETRANGE', async ({ connection: c }) => {
    assert.equal(await c.call('MSET', 'a', '1', 'b', '2'), '+OK\r\n');
    assert.equal(await c.call('MGET', 'a', 'b', 'c'), '*3\r\n$1\r\n1\r\n$1\r\n2\r\n$-1\r\n');
    assert.equal(await c.call('MSETNX', 'a', 'x', 'c', '3'), ':0\r\n');
    assert.equal(await c.call('MSETNX', 'c', '3', 'd', '4'), ':1\r\n');
    assert.equal(await c.call('MSET', 'a'), "-ERR wrong number of arguments for 'mset' command\r\n");
    assert.equal(await c.call('APPEND', 's', 'Hello'), ':5\r\n');
    assert.equal(await c.call('APPEND', 's', ' World'), ':11\r\n');
    assert.equal(await c.call('STRLEN', 's'), ':11\r\n');
    assert.equal(await c.call('GETRANGE', 's', '0', '4'), '$5\r\nHello\r\n');
    assert.equal(await c.call('GETRANGE', 's', '-5', '-1'), '$5\r\nWorld\r\n');
    assert.equal(await c.call('GETRANGE', 's', '5', '1'), '$0\r\n\r\n');
    assert.equal(await c.call('SETRANGE', 's', '6', 'Redis'), ':11\r\n');
    assert.equal(await c.call('GET', 's'), '$11\r\nHello Redis\r\n');
    assert.equal(await c.call('SETRANGE', 'z', '3', 'x'), ':4\r\n');
    assert.equal(await c.call('GET', 'z'), '$4\r\n\0\0\0x\r\n');
    assert.equal(await c.call('SETRANGE', 'z', '-1', 'x'), '-ERR offset is out of range\r\n');
  });

  it('GETSET, GETDEL, GETEX, SETNX, SETEX, PSETEX', async ({ connection: c }) => {
    assert.equal(await c.call('GETSET', 'k', 'a'), '$-1\r\n');
    assert.equal(await c.call('GETSET', 'k', 'b'), '$1\r\na\r\n');
    assert.equal(await c.call('SETNX', 'k', 'c'), ':0\r\n');
    assert.equal(await c.call('GETEX', 'k', 'PX', '5000'), '$1\r\nb\r\n');
    const ttl = await c.call('PTTL', 'k');
    assert.match(ttl, /^:(49\d\d|5000)\r\n$/);
    assert.equal(await c.call('GETEX', 'k', 'PERSIST'), '$1\r\nb\r\n');
    assert.equal(await c.call('TTL', 'k'), ':-1\r\n');
    assert.equal(await c.call('GETDEL', 'k'), '$1\r\nb\r\n');
    assert.equal(await c.call('EXISTS', 'k'), ':0\r\n');
    assert.equal(await c.call('SETEX', 'k', '10', 'v'), '+OK\r\n');
    assert.equal(await c.call('TTL', 'k'), ':10\r\n');
    assert.equal(await c.call('SETEX', 'k', '-1', 'v'), "-ERR invalid expire time in 'setex' command\r\n");
    assert.equal(await c.call('PSETEX', 'k', '100000', 'v'), '+OK\r\n');
    assert.equal(await c.call('TTL', 'k'), ':100\r\n');
  });

  it('GETEX checks its syntax, then the key, then the expire value; SET checks the value first', async ({
    connection: c,
  }) => {
    // Found by comparing random commands against redis-server: the key decides before the value.
    assert.equal(await c.call('GETEX', 'missing', 'EX', 'x'), '$-1\r\n');
    assert.equal(await c.call('GETEX', 'missing', 'EX', '-10'), '$-1\r\n');
    assert.equal(await c.call('GETEX', 'missing', 'EX', '5', 'PX', '5'), '-ERR syntax error\r\n');
    await c.call('RPUSH', 'list', 'a');
    const wrongType = '-WRONGTYPE Operation against a key holding the wrong kind of value\r\n';
    assert.equal(await c.call('GETEX', 'list', 'EX', 'x'), wrongType);
    assert.equal(await c.call('GETEX', 'list', 'EX', '9223372036854775807'), wrongType);
    await c.call('SET', 'k', 'v');
    assert.equal(await c.call('GETEX', 'k', 'EX', 'x'), '-ERR value is not an integer or out of range\r\n');
    assert.equal(await c.call('GETEX', 'k', 'EX', '0'), "-ERR invalid expire time in 'getex' command\r\n");
    assert.equal(await c.call('TTL', 'k'), ':-1\r\n');
    // SET: every option's syntax before the value, and the value before the key's type (GET).
    assert.equal(await c.call('SET', 'k', 'v', 'EX', 'x', 'NX', 'XX'), '-ERR syntax error\r\n');
    assert.equal(
      await c.call('SET', 'list', 'v', 'EX', 'x', 'GET'),
      '-ERR value is not an integer or out of range\r\n',
    );
    assert.equal(
      await c.call('SET', 'list', 'v', 'EX', '0', 'GET'),
      "-ERR invalid expire time in 'set' command\r\n",
    );
  });
  it('OBJECT ENCODING of strings follows how they were written', async ({ connection: c }) => {
    const encoding = async (key: string): Promise<string> =>
      (await c.call('OBJECT', 'ENCODING', key)).split('\r\n')[1] as string;
    await c.call('SET', 'int', '123');
    await c.call('SET', 'short', 'abc');
    await c.call('SET', 'long', 'x'.repeat(45));
    await c.call('APPEND', 'appended', '01');
    assert.deepEqual(
      [await encoding('int'), await encoding('short'), await encoding('long'), await encoding('appended')],
      ['int', 'embstr', 'raw', 'embstr'],
    );
    await c.call('APPEND', 'int', '4');
    await c.call('SETRANGE', 'short', '0', 'z');
    await c.call('SET', 'bits', 'a');
    await c.call('SETBIT', 'bits', '1', '1');
    await c.call('SET', 'float', '1.5');
    await c.call('INCRBYFLOAT', 'float', '0.5');
    await c.call('PFADD', 'hll', 'a');
    assert.deepEqual(
      [
        await encoding('int'),
        await encoding('short'),
        await encoding('bits'),
        await encoding('float'),
        await encoding('hll'),
      ],
      ['raw', 'raw', 'raw', 'embstr', 'raw'],
    );
    await c.call('COPY', 'short', 'copied');
    await c.call('RENAME', 'bits', 'renamed');
    await c.call('INCR', 'float');
    await c.call('SET', 'int', '7');
    assert.deepEqual(
      [await encoding('copied'), await encoding('renamed'), await encoding('float'), await encoding('int')],
      ['raw', 'raw', 'int', 'int'],
    );
  });

  // codis-server keeps values of 128 bytes to 128 KB in its value arena, outside V8's heap: every
  // way in and out of a string must see the same bytes as redis-server, at and across those sizes.
  it('values at and across the value arena sizes, through every kind of string access', async ({
    connection: c,
  }) => {
    /** `length` bytes of every value from 0 to 255, varied by `seed`. */
    const value = (length: number, seed: number): string => {
      let text = '';
      for (let i = 0; i < length; i++) text += String.fromCharCode((i * 7 + seed) & 0xff);
      return text;
    };
    const send = (text: string): Buffer => Buffer.from(text, 'latin1');
    for (const [seed, length] of [127, 128, 129, 1000, 1024, 131_072, 131_073].entries()) {
      const text = value(length, seed);
      assert.equal(await c.call('SET', `v${length}`, send(text)), '+OK\r\n');
      assert.equal(await c.call('GET', `v${length}`), bulk(text));
      assert.equal(await c.call('STRLEN', `v${length}`), `:${length}\r\n`);
    }
    assert.equal(
      await c.call('MGET', 'v127', 'v1000', 'missing', 'v131072'),
      `*4\r\n${bulk(value(127, 0))}${bulk(value(1000, 3))}$-1\r\n${bulk(value(131_072, 5))}`,
    );
    // Overwrites: longer, shorter, an integer, and back.
    assert.equal(await c.call('SET', 'v1000', send(value(5000, 9)), 'GET'), bulk(value(1000, 3)));
    assert.equal(await c.call('GET', 'v1000'), bulk(value(5000, 9)));
    assert.equal(await c.call('SET', 'v1000', 'short'), '+OK\r\n');
    assert.equal(await c.call('GETSET', 'v1000', '12345'), bulk('short'));
    assert.equal(await c.call('INCR', 'v1000'), ':12346\r\n');
    assert.equal(await c.call('MSET', 'v1000', send(value(300, 1)), 'm2', send(value(200, 2))), '+OK\r\n');
    assert.equal(await c.call('MGET', 'v1000', 'm2'), `*2\r\n${bulk(value(300, 1))}${bulk(value(200, 2))}`);
    // Edits that grow a string into the arena's sizes and change it in place.
    assert.equal(await c.call('SET', 'grow', send(value(100, 4))), '+OK\r\n');
    assert.equal(await c.call('APPEND', 'grow', send(value(100, 5))), ':200\r\n');
    assert.equal(await c.call('GET', 'grow'), bulk(value(100, 4) + value(100, 5)));
    assert.equal(await c.call('SETRANGE', 'grow', '150', 'PATCH'), ':200\r\n');
    assert.equal(
      await c.call('GETRANGE', 'grow', '148', '156'),
      bulk(`${value(100, 5).slice(48, 50)}PATCH${value(100, 5).slice(55, 57)}`),
    );
    assert.equal(
      await c.call('SETBIT', 'grow', '1599', '1'),
      `:${(value(100, 5).charCodeAt(99) & 1).toString()}\r\n`,
    );
    assert.equal(await c.call('OBJECT', 'ENCODING', 'grow'), bulk('raw'));
    const grown = (await c.value('GET', 'grow')) as string;
    assert.equal(
      await c.call('BITCOUNT', 'grow'),
      `:${[...send(grown)].reduce((sum, byte) => sum + byte.toString(2).replaceAll('0', '').length, 0)}\r\n`,
    );
    // The record moves with RENAME and MOVE, is copied by COPY, and leaves with GETDEL and DEL.
    assert.equal(await c.call('RENAME', 'v128', 'renamed'), '+OK\r\n');
    assert.equal(await c.call('GET', 'renamed'), bulk(value(128, 1)));
    assert.equal(await c.call('COPY', 'renamed', 'copied'), ':1\r\n');
    assert.equal(await c.call('SET', 'renamed', 'x'), '+OK\r\n');
    assert.equal(await c.call('GET', 'copied'), bulk(value(128, 1)));
    assert.equal(await c.call('MOVE', 'copied', '1'), ':1\r\n');
    assert.equal(await c.call('SELECT', '1'), '+OK\r\n');
    assert.equal(await c.call('GET', 'copied'), bulk(value(128, 1)));
    assert.equal(await c.call('SELECT', '0'), '+OK\r\n');
    assert.equal(await c.call('GETDEL', 'v129'), bulk(value(129, 2)));
    assert.equal(await c.call('GET', 'v129'), '$-1\r\n');
    // DUMP and RESTORE carry the value out and back in.
    const dumped = send((await c.value('DUMP', 'v1024')) as string);
    assert.equal(await c.call('DEL', 'v1024'), ':1\r\n');
    assert.equal(await c.call('RESTORE', 'v1024', '0', dumped), '+OK\r\n');
    assert.equal(await c.call('GET', 'v1024'), bulk(value(1024, 4)));
    assert.equal(await c.call('LPUSH', 'list', 'x'), ':1\r\n');
    assert.equal(await c.call('MGET', 'list', 'm2'), `*2\r\n$-1\r\n${bulk(value(200, 2))}`);
    assert.equal(await c.call('FLUSHALL'), '+OK\r\n');
    assert.equal(await c.call('MGET', 'm2', 'grow', 'v131072'), '*3\r\n$-1\r\n$-1\r\n$-1\r\n');
    assert.equal(await c.call('SET', 'after', send(value(700, 6))), '+OK\r\n');
    assert.equal(await c.call('GET', 'after'), bulk(value(700, 6)));
  });
});
