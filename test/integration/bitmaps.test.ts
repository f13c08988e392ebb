import assert from 'node:assert/strict';
import { conformanceSuite } from '../helpers/conformance.ts';

conformanceSuite('bitmaps', (it) => {
  it('SETBIT and GETBIT: growth, old values, errors', async ({ connection: c }) => {
    assert.equal(await c.call('SETBIT', 'b', '7', '1'), ':0\r\n');
    assert.equal(await c.call('GET', 'b'), '$1\r\n\x01\r\n');
    assert.equal(await c.call('SETBIT', 'b', '7', '1'), ':1\r\n');
    assert.equal(await c.call('SETBIT', 'b', '7', '0'), ':1\r\n');
    assert.equal(await c.call('SETBIT', 'b', '0', '1'), ':0\r\n');
    assert.equal(await c.call('SETBIT', 'b', '17', '1'), ':0\r\n');
    assert.equal(await c.call('GET', 'b'), '$3\r\n\x80\x00\x40\r\n');
    assert.equal(await c.call('GETBIT', 'b', '0'), ':1\r\n');
    assert.equal(await c.call('GETBIT', 'b', '1'), ':0\r\n');
    assert.equal(await c.call('GETBIT', 'b', '17'), ':1\r\n');
    assert.equal(await c.call('GETBIT', 'b', '1000000'), ':0\r\n');
    assert.equal(await c.call('GETBIT', 'missing', '3'), ':0\r\n');
    assert.equal(
      await c.call('SETBIT', 'b', '-1', '1'),
      '-ERR bit offset is not an integer or out of range\r\n',
    );
    assert.equal(
      await c.call('SETBIT', 'b', 'x', '1'),
      '-ERR bit offset is not an integer or out of range\r\n',
    );
    assert.equal(
      await c.call('SETBIT', 'b', '4294967296', '1'),
      '-ERR bit offset is not an integer or out of range\r\n',
    );
    assert.equal(await c.call('SETBIT', 'b', '1', '2'), '-ERR bit is not an integer or out of range\r\n');
    assert.equal(await c.call('SETBIT', 'b', '1', 'x'), '-ERR bit is not an integer or out of range\r\n');
    assert.equal(await c.call('SETBIT', 'b', '1', '-1'), '-ERR bit is not an integer or out of range\r\n');
    assert.equal(await c.call('GETBIT', 'b', '-1'), '-ERR bit offset is not an integer or out of range\r\n');
    assert.equal(await c.call('LPUSH', 'list', 'a'), ':1\r\n');
    assert.equal(
      await c.call('SETBIT', 'list', '1', '1'),
      '-WRONGTYPE Operation against a key holding the wrong kind of value\r\n',
    );
    assert.equal(
      await c.call('GETBIT', 'list', '1'),
      '-WRONGTYPE Operation against a key holding the wrong kind of value\r\n',
    );
    assert.equal(await c.call('SETBIT', 'b'), "-ERR wrong number of arguments for 'setbit' command\r\n");
  });

  it('bit commands read the digits of int-encoded strings and keep the TTL', async ({ connection: c }) => {
    assert.equal(await c.call('SET', 'n', '1'), '+OK\r\n');
    // "1" is 0x31 = 00110001
    assert.equal(await c.call('GETBIT', 'n', '2'), ':1\r\n');
    assert.equal(await c.call('GETBIT', 'n', '1'), ':0\r\n');
    assert.equal(await c.call('BITCOUNT', 'n'), ':3\r\n');
    assert.equal(await c.call('SETBIT', 'n', '6', '1'), ':0\r\n');
    assert.equal(await c.call('GET', 'n'), '$1\r\n3\r\n');
    assert.equal(await c.call('INCR', 'n'), ':4\r\n');
    assert.equal(await c.call('EXPIRE', 'n', '100'), ':1\r\n');
    assert.equal(await c.call('SETBIT', 'n', '100', '1'), ':0\r\n');
    assert.equal(await c.call('TTL', 'n'), ':100\r\n');
    assert.equal(await c.call('STRLEN', 'n'), ':13\r\n');
  });

  it('BITCOUNT with byte and bit ranges', async ({ connection: c }) => {
    assert.equal(await c.call('SET', 'k', 'foobar'), '+OK\r\n');
    assert.equal(await c.call('BITCOUNT', 'k'), ':26\r\n');
    assert.equal(await c.call('BITCOUNT', 'k', '0', '0'), ':4\r\n');
    assert.equal(await c.call('BITCOUNT', 'k', '1', '1'), ':6\r\n');
    assert.equal(await c.call('BITCOUNT', 'k', '1', '1', 'BYTE'), ':6\r\n');
    assert.equal(await c.call('BITCOUNT', 'k', '5', '30', 'BIT'), ':17\r\n');
    assert.equal(await c.call('BITCOUNT', 'k', '1', '1', 'bit'), ':1\r\n');
    assert.equal(await c.call('BITCOUNT', 'k', '0', '-1', 'bit'), ':26\r\n');
    assert.equal(await c.call('BITCOUNT', 'k', '-3', '-1', 'bit'), ':1\r\n');
    assert.equal(await c.call('BITCOUNT', 'k', '-2', '-1'), ':7\r\n');
    assert.equal(await c.call('BITCOUNT', 'k', '-1', '-2'), ':0\r\n');
    assert.equal(await c.call('BITCOUNT', 'k', '3', '1'), ':0\r\n');
    assert.equal(await c.call('BITCOUNT', 'k', '-100', '100'), ':26\r\n');
    assert.equal(await c.call('BITCOUNT', 'k', '100', '200'), ':0\r\n');
    assert.equal(await c.call('BITCOUNT', 'k', '1'), '-ERR syntax error\r\n');
    assert.equal(await c.call('BITCOUNT', 'k', '0', '1', 'bits'), '-ERR syntax error\r\n');
    assert.equal(await c.call('BITCOUNT', 'k', '0', '1', 'bit', 'x'), '-ERR syntax error\r\n');
    assert.equal(await c.call('BITCOUNT', 'k', 'a', '1'), '-ERR value is not an integer or out of range\r\n');
    assert.equal(await c.call('BITCOUNT', 'missing'), ':0\r\n');
    assert.equal(await c.call('BITCOUNT', 'missing', '0', '1'), ':0\r\n');
    assert.equal(await c.call('SET', 'empty', ''), '+OK\r\n');
    assert.equal(await c.call('BITCOUNT', 'empty'), ':0\r\n');
    assert.equal(await c.call('BITCOUNT', 'empty', '0', '-1', 'bit'), ':0\r\n');
  });

  it('BITPOS for set and clear bits, ranges and units', async ({ connection: c }) => {
    assert.equal(await c.call('SET', 'k', '\xff\xf0\x00'), '+OK\r\n');
    assert.equal(await c.call('BITPOS', 'k', '0'), ':12\r\n');
    assert.equal(await c.call('BITPOS', 'k', '1'), ':0\r\n');
    assert.equal(await c.call('BITPOS', 'k', '1', '1'), ':8\r\n');
    assert.equal(await c.call('BITPOS', 'k', '1', '2'), ':-1\r\n');
    assert.equal(await c.call('BITPOS', 'k', '0', '2'), ':16\r\n');
    assert.equal(await c.call('BITPOS', 'k', '1', '2', '-1', 'BYTE'), ':-1\r\n');
    assert.equal(await c.call('BITPOS', 'k', '1', '7', '15', 'BIT'), ':7\r\n');
    assert.equal(await c.call('BITPOS', 'k', '0', '7', '15', 'BIT'), ':12\r\n');
    assert.equal(await c.call('BITPOS', 'k', '1', '13', '22', 'bit'), ':-1\r\n');
    assert.equal(await c.call('BITPOS', 'k', '0', '3', '5', 'bit'), ':-1\r\n');
    assert.equal(await c.call('BITPOS', 'k', '0', '-3', '-1', 'bit'), ':21\r\n');
    assert.equal(await c.call('BITPOS', 'k', '1', '5', '3'), ':-1\r\n');
    assert.equal(await c.call('SET', 'ones', '\xff\xff'), '+OK\r\n');
    assert.equal(await c.call('BITPOS', 'ones', '0'), ':16\r\n');
    assert.equal(await c.call('BITPOS', 'ones', '0', '0'), ':16\r\n');
    assert.equal(await c.call('BITPOS', 'ones', '0', '0', '-1'), ':-1\r\n');
    assert.equal(await c.call('BITPOS', 'ones', '0', '0', '-1', 'bit'), ':-1\r\n');
    assert.equal(
      await c.call('BITPOS', 'ones', '0', '3', 'bit'),
      '-ERR value is not an integer or out of range\r\n',
    );
    assert.equal(await c.call('BITPOS', 'missing', '0'), ':0\r\n');
    assert.equal(await c.call('BITPOS', 'missing', '1'), ':-1\r\n');
    assert.equal(await c.call('BITPOS', 'missing', '1', 'x'), ':-1\r\n');
    assert.equal(await c.call('BITPOS', 'k', '2'), '-ERR The bit argument must be 1 or 0.\r\n');
    assert.equal(await c.call('BITPOS', 'k', 'x'), '-ERR value is not an integer or out of range\r\n');
    assert.equal(await c.call('BITPOS', 'k', '1', 'x'), '-ERR value is not an integer or out of range\r\n');
    assert.equal(await c.call('BITPOS', 'k', '1', '0', '1', 'xx'), '-ERR syntax error\r\n');
    assert.equal(await c.call('BITPOS', 'k', '1', '0', '1', 'bit', 'x'), '-ERR syntax error\r\n');
    assert.equal(await c.call('SET', 'empty', ''), '+OK\r\n');
    assert.equal(await c.call('BITPOS', 'empty', '0'), ':-1\r\n');
    assert.equal(await c.call('BITPOS', 'empty', '1'), ':-1\r\n');
  });

  it('BITOP AND, OR, XOR, NOT with missing keys and errors', async ({ connection: c }) => {
    assert.equal(await c.call('SET', 'a', '\xf0\x0f\xff'), '+OK\r\n');
    assert.equal(await c.call('SET', 'b', '\x3c\x3c'), '+OK\r\n');
    assert.equal(await c.call('BITOP', 'AND', 'd', 'a', 'b'), ':3\r\n');
    assert.equal(await c.call('GET', 'd'), '$3\r\n\x30\x0c\x00\r\n');
    assert.equal(await c.call('BITOP', 'or', 'd', 'a', 'b'), ':3\r\n');
    assert.equal(await c.call('GET', 'd'), '$3\r\n\xfc\x3f\xff\r\n');
    assert.equal(await c.call('BITOP', 'Xor', 'd', 'a', 'b'), ':3\r\n');
    assert.equal(await c.call('GET', 'd'), '$3\r\n\xcc\x33\xff\r\n');
    assert.equal(await c.call('BITOP', 'NOT', 'd', 'a'), ':3\r\n');
    assert.equal(await c.call('GET', 'd'), '$3\r\n\x0f\xf0\x00\r\n');
    assert.equal(await c.call('BITOP', 'AND', 'd', 'a', 'missing'), ':3\r\n');
    assert.equal(await c.call('GET', 'd'), '$3\r\n\x00\x00\x00\r\n');
    assert.equal(await c.call('BITOP', 'OR', 'd', 'a'), ':3\r\n');
    assert.equal(await c.call('GET', 'd'), '$3\r\n\xf0\x0f\xff\r\n');
    assert.equal(await c.call('EXPIRE', 'd', '100'), ':1\r\n');
    assert.equal(await c.call('BITOP', 'OR', 'd', 'b'), ':2\r\n');
    assert.equal(await c.call('TTL', 'd'), ':-1\r\n');
    assert.equal(await c.call('BITOP', 'OR', 'd', 'missing', 'missing2'), ':0\r\n');
    assert.equal(await c.call('EXISTS', 'd'), ':0\r\n');
    assert.equal(await c.call('SET', 'n', '12'), '+OK\r\n');
    assert.equal(await c.call('BITOP', 'NOT', 'd', 'n'), ':2\r\n');
    assert.equal(await c.call('GET', 'd'), '$2\r\n\xce\xcd\r\n');
    assert.equal(
      await c.call('BITOP', 'NOT', 'd', 'a', 'b'),
      '-ERR BITOP NOT must be called with a single source key.\r\n',
    );
    assert.equal(await c.call('BITOP', 'NAND', 'd', 'a', 'b'), '-ERR syntax error\r\n');
    assert.equal(await c.call('RPUSH', 'l', 'x'), ':1\r\n');
    assert.equal(
      await c.call('BITOP', 'AND', 'd', 'a', 'l'),
      '-WRONGTYPE Operation against a key holding the wrong kind of value\r\n',
    );
    assert.equal(await c.call('BITOP', 'AND', 'd'), "-ERR wrong number of arguments for 'bitop' command\r\n");
  });

  it('BITFIELD GET, SET, INCRBY with signed and unsigned types', async ({ connection: c }) => {
    assert.equal(
      await c.call('BITFIELD', 'f', 'SET', 'i8', '0', '100', 'GET', 'i8', '0'),
      '*2\r\n:0\r\n:100\r\n',
    );
    assert.equal(
      await c.call('BITFIELD', 'f', 'INCRBY', 'i8', '0', '27', 'GET', 'u8', '0'),
      '*2\r\n:127\r\n:127\r\n',
    );
    assert.equal(await c.call('BITFIELD', 'f', 'INCRBY', 'i8', '0', '1'), '*1\r\n:-128\r\n');
    assert.equal(
      await c.call('BITFIELD', 'f', 'SET', 'u4', '#1', '15', 'GET', 'u4', '4'),
      '*2\r\n:0\r\n:15\r\n',
    );
    assert.equal(await c.call('GET', 'f'), '$1\r\n\x8f\r\n');
    assert.equal(await c.call('BITFIELD', 'f', 'GET', 'u4', '#1', 'GET', 'i4', '#1'), '*2\r\n:15\r\n:-1\r\n');
    assert.equal(
      await c.call('BITFIELD', 'f', 'GET', 'u16', '0', 'GET', 'i64', '0'),
      '*2\r\n:36608\r\n:-8142508126285856768\r\n',
    );
    assert.equal(await c.call('BITFIELD', 'f', 'SET', 'i64', '8', '-9223372036854775808'), '*1\r\n:0\r\n');
    assert.equal(
      await c.call('BITFIELD', 'f', 'GET', 'i64', '8', 'GET', 'u63', '8'),
      '*2\r\n:-9223372036854775808\r\n:4611686018427387904\r\n',
    );
    assert.equal(await c.call('BITFIELD', 'f', 'INCRBY', 'i64', '8', '-1'), '*1\r\n:9223372036854775807\r\n');
    assert.equal(await c.call('BITFIELD', 'f', 'SET', 'u63', '72', '9223372036854775807'), '*1\r\n:0\r\n');
    assert.equal(await c.call('BITFIELD', 'f', 'GET', 'u63', '72'), '*1\r\n:9223372036854775807\r\n');
    assert.equal(await c.call('BITFIELD', 'f'), '*0\r\n');
    assert.equal(await c.call('BITFIELD', 'missing', 'GET', 'u8', '100'), '*1\r\n:0\r\n');
    assert.equal(await c.call('EXISTS', 'missing'), ':0\r\n');
    assert.equal(await c.call('SET', 'n', '7'), '+OK\r\n');
    assert.equal(
      await c.call('BITFIELD', 'n', 'GET', 'u8', '0', 'INCRBY', 'u8', '0', '1'),
      '*2\r\n:55\r\n:56\r\n',
    );
    assert.equal(await c.call('GET', 'n'), '$1\r\n8\r\n');
  });

  it('BITFIELD OVERFLOW WRAP, SAT and FAIL', async ({ connection: c }) => {
    assert.equal(await c.call('BITFIELD', 'o', 'SET', 'u2', '0', '5'), '*1\r\n:0\r\n');
    assert.equal(await c.call('BITFIELD', 'o', 'GET', 'u2', '0'), '*1\r\n:1\r\n');
    assert.equal(
      await c.call('BITFIELD', 'o', 'OVERFLOW', 'SAT', 'SET', 'u2', '0', '5', 'GET', 'u2', '0'),
      '*2\r\n:1\r\n:3\r\n',
    );
    assert.equal(
      await c.call('BITFIELD', 'o', 'OVERFLOW', 'sat', 'SET', 'u2', '0', '-1', 'GET', 'u2', '0'),
      '*2\r\n:3\r\n:3\r\n',
    );
    assert.equal(
      await c.call('BITFIELD', 'o', 'OVERFLOW', 'SAT', 'INCRBY', 'u2', '0', '-10'),
      '*1\r\n:0\r\n',
    );
    assert.equal(
      await c.call(
        'BITFIELD',
        'o',
        'OVERFLOW',
        'SAT',
        'INCRBY',
        'i4',
        '4',
        '100',
        'INCRBY',
        'i4',
        '4',
        '-100',
      ),
      '*2\r\n:7\r\n:-8\r\n',
    );
    assert.equal(await c.call('BITFIELD', 'o', 'INCRBY', 'i4', '4', '-1'), '*1\r\n:7\r\n');
    assert.equal(await c.call('BITFIELD', 'o', 'SET', 'i4', '4', '9'), '*1\r\n:7\r\n');
    assert.equal(await c.call('BITFIELD', 'o', 'GET', 'i4', '4'), '*1\r\n:-7\r\n');
    assert.equal(
      await c.call(
        'BITFIELD',
        'o',
        'OVERFLOW',
        'FAIL',
        'INCRBY',
        'u2',
        '0',
        '4',
        'OVERFLOW',
        'WRAP',
        'INCRBY',
        'u2',
        '0',
        '5',
      ),
      '*2\r\n$-1\r\n:1\r\n',
    );
    assert.equal(
      await c.call('BITFIELD', 'o', 'OVERFLOW', 'FAIL', 'SET', 'i8', '0', '128', 'SET', 'i8', '0', '-128'),
      '*2\r\n$-1\r\n:73\r\n',
    );
    assert.equal(
      await c.call('BITFIELD', 'fresh', 'OVERFLOW', 'FAIL', 'INCRBY', 'u8', '16', '300'),
      '*1\r\n$-1\r\n',
    );
    assert.equal(await c.call('GET', 'fresh'), '$3\r\n\x00\x00\x00\r\n');
    assert.equal(
      await c.call(
        'BITFIELD',
        'o64',
        'OVERFLOW',
        'SAT',
        'INCRBY',
        'i64',
        '0',
        '9223372036854775807',
        'INCRBY',
        'i64',
        '0',
        '1',
      ),
      '*2\r\n:9223372036854775807\r\n:9223372036854775807\r\n',
    );
    assert.equal(
      await c.call('BITFIELD', 'o64', 'INCRBY', 'i64', '0', '1'),
      '*1\r\n:-9223372036854775808\r\n',
    );
  });

  it('BITFIELD and BITFIELD_RO errors', async ({ connection: c }) => {
    const typeError =
      '-ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.\r\n';
    assert.equal(await c.call('BITFIELD', 'f', 'GET', 'u64', '0'), typeError);
    assert.equal(await c.call('BITFIELD', 'f', 'GET', 'i65', '0'), typeError);
    assert.equal(await c.call('BITFIELD', 'f', 'GET', 'i0', '0'), typeError);
    assert.equal(await c.call('BITFIELD', 'f', 'GET', 'x8', '0'), typeError);
    assert.equal(await c.call('BITFIELD', 'f', 'GET', 'u', '0'), typeError);
    assert.equal(await c.call('BITFIELD', 'f', 'GET', 'U8', '0'), typeError);
    assert.equal(
      await c.call('BITFIELD', 'f', 'GET', 'u8', '-1'),
      '-ERR bit offset is not an integer or out of range\r\n',
    );
    assert.equal(
      await c.call('BITFIELD', 'f', 'GET', 'u8', '#-1'),
      '-ERR bit offset is not an integer or out of range\r\n',
    );
    assert.equal(
      await c.call('BITFIELD', 'f', 'GET', 'u8', '4294967296'),
      '-ERR bit offset is not an integer or out of range\r\n',
    );
    assert.equal(
      await c.call('BITFIELD', 'f', 'GET', 'u8', '#536870912'),
      '-ERR bit offset is not an integer or out of range\r\n',
    );
    assert.equal(
      await c.call('BITFIELD', 'f', 'SET', 'u8', '0', 'x'),
      '-ERR value is not an integer or out of range\r\n',
    );
    assert.equal(await c.call('BITFIELD', 'f', 'SET', 'u8', '0'), '-ERR syntax error\r\n');
    assert.equal(await c.call('BITFIELD', 'f', 'GET', 'u8'), '-ERR syntax error\r\n');
    assert.equal(await c.call('BITFIELD', 'f', 'FOO', 'u8', '0'), '-ERR syntax error\r\n');
    assert.equal(
      await c.call('BITFIELD', 'f', 'OVERFLOW', 'X', 'GET', 'u8', '0'),
      '-ERR Invalid OVERFLOW type specified\r\n',
    );
    assert.equal(await c.call('BITFIELD', 'f', 'OVERFLOW'), '-ERR syntax error\r\n');
    assert.equal(await c.call('EXISTS', 'f'), ':0\r\n');
    assert.equal(await c.call('BITFIELD_RO', 'f', 'GET', 'u8', '0', 'GET', 'i4', '4'), '*2\r\n:0\r\n:0\r\n');
    assert.equal(
      await c.call('BITFIELD_RO', 'f', 'SET', 'u8', '0', '1'),
      '-ERR BITFIELD_RO only supports the GET subcommand\r\n',
    );
    assert.equal(
      await c.call('BITFIELD_RO', 'f', 'INCRBY', 'u8', '0', '1'),
      '-ERR BITFIELD_RO only supports the GET subcommand\r\n',
    );
    assert.equal(await c.call('BITFIELD_RO', 'f', 'OVERFLOW', 'SAT'), '*0\r\n');
    assert.equal(await c.call('RPUSH', 's', 'x'), ':1\r\n');
    assert.equal(
      await c.call('BITFIELD', 's', 'GET', 'u8', '0'),
      '-WRONGTYPE Operation against a key holding the wrong kind of value\r\n',
    );
    assert.equal(
      await c.call('BITFIELD', 's', 'SET', 'u8', '0', '1'),
      '-WRONGTYPE Operation against a key holding the wrong kind of value\r\n',
    );
    assert.equal(
      await c.call('BITFIELD_RO', 's', 'GET', 'u8', '0'),
      '-WRONGTYPE Operation against a key holding the wrong kind of value\r\n',
    );
    assert.equal(await c.call('BITFIELD'), "-ERR wrong number of arguments for 'bitfield' command\r\n");
  });

  it('a bitmap of a few megabytes', async ({ connection: c }) => {
    assert.equal(await c.call('SETBIT', 'big', '40000000', '1'), ':0\r\n');
    assert.equal(await c.call('STRLEN', 'big'), ':5000001\r\n');
    assert.equal(await c.call('SETBIT', 'big', '123', '1'), ':0\r\n');
    assert.equal(await c.call('BITCOUNT', 'big'), ':2\r\n');
    assert.equal(await c.call('BITPOS', 'big', '1', '16'), ':40000000\r\n');
    assert.equal(await c.call('BITPOS', 'big', '1'), ':123\r\n');
    assert.equal(await c.call('BITCOUNT', 'big', '124', '-1', 'BIT'), ':1\r\n');
  });
});
