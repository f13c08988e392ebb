import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { conformanceSuite } from '../helpers/conformance.ts';
import type { RawConnection } from '../helpers/raw-connection.ts';
import { array, bulk, NOT_INTEGER, WRONG_TYPE } from '../helpers/resp-text.ts';

const SYNTAX = '-ERR syntax error\r\n';

function integers(...values: number[]): string {
  return `*${values.length}\r\n${values.map((value) => `:${value}\r\n`).join('')}`;
}

/** `[key, [elements]]`, the LMPOP/BLMPOP reply. */
function keyed(key: string, ...items: string[]): string {
  return `*2\r\n${bulk(key)}${array(...items)}`;
}

/** Waits until the server counts `count` blocked clients (INFO), or a short while without INFO. */
async function waitBlocked(c: RawConnection, count: number): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const info = await c.call('INFO', 'clients');
    if (info.startsWith('-')) {
      await sleep(100);
      return;
    }
    if (info.includes(`blocked_clients:${count}\r\n`)) return;
    await sleep(5);
  }
  throw new Error(`never saw ${count} blocked clients`);
}

conformanceSuite('lists', (it) => {
  it('LPUSH, RPUSH, LPUSHX, RPUSHX, LLEN, LRANGE', async ({ connection: c }) => {
    assert.equal(await c.call('RPUSH', 'l', 'b', 'c'), ':2\r\n');
    assert.equal(await c.call('LPUSH', 'l', 'a', 'z'), ':4\r\n');
    assert.equal(await c.call('LRANGE', 'l', '0', '-1'), array('z', 'a', 'b', 'c'));
    assert.equal(await c.call('LLEN', 'l'), ':4\r\n');
    assert.equal(await c.call('LLEN', 'missing'), ':0\r\n');
    assert.equal(await c.call('LPUSHX', 'missing', 'a'), ':0\r\n');
    assert.equal(await c.call('RPUSHX', 'missing', 'a', 'b'), ':0\r\n');
    assert.equal(await c.call('EXISTS', 'missing'), ':0\r\n');
    assert.equal(await c.call('RPUSHX', 'l', 'd', 'e'), ':6\r\n');
    assert.equal(await c.call('LPUSHX', 'l', 'y'), ':7\r\n');
    assert.equal(await c.call('LRANGE', 'l', '0', '-1'), array('y', 'z', 'a', 'b', 'c', 'd', 'e'));
    assert.equal(await c.call('TYPE', 'l'), '+list\r\n');
    assert.equal(await c.call('OBJECT', 'ENCODING', 'l'), '$9\r\nquicklist\r\n');
    const binary = Buffer.from([0, 255, 13, 10]).latin1Slice();
    assert.equal(await c.call('RPUSH', 'bin', binary, ''), ':2\r\n');
    assert.equal(await c.call('LRANGE', 'bin', '0', '-1'), array(binary, ''));
    assert.equal(await c.call('SET', 's', 'x'), '+OK\r\n');
    for (const command of ['LPUSH', 'RPUSH', 'LPUSHX', 'RPUSHX']) {
      assert.equal(await c.call(command, 's', 'a'), WRONG_TYPE);
    }
    assert.equal(await c.call('LLEN', 's'), WRONG_TYPE);
    assert.equal(await c.call('LRANGE', 's', '0', '1'), WRONG_TYPE);
    assert.equal(await c.call('LPUSH', 'l'), "-ERR wrong number of arguments for 'lpush' command\r\n");
  });

  it('LRANGE and LTRIM index arithmetic', async ({ connection: c }) => {
    assert.equal(await c.call('RPUSH', 'l', 'a', 'b', 'c', 'd', 'e'), ':5\r\n');
    assert.equal(await c.call('LRANGE', 'l', '-100', '100'), array('a', 'b', 'c', 'd', 'e'));
    assert.equal(await c.call('LRANGE', 'l', '3', '1'), '*0\r\n');
    assert.equal(await c.call('LRANGE', 'l', '-2', '-1'), array('d', 'e'));
    assert.equal(await c.call('LRANGE', 'l', '5', '10'), '*0\r\n');
    assert.equal(await c.call('LRANGE', 'l', '1', '-5'), '*0\r\n');
    assert.equal(await c.call('LRANGE', 'missing', '0', '-1'), '*0\r\n');
    assert.equal(await c.call('LRANGE', 'missing', 'x', '1'), NOT_INTEGER);
    assert.equal(await c.call('LRANGE', 'l', '0', '1.5'), NOT_INTEGER);
    assert.equal(await c.call('LTRIM', 'l', '1', '-2'), '+OK\r\n');
    assert.equal(await c.call('LRANGE', 'l', '0', '-1'), array('b', 'c', 'd'));
    assert.equal(await c.call('LTRIM', 'l', '0', '100'), '+OK\r\n');
    assert.equal(await c.call('LLEN', 'l'), ':3\r\n');
    assert.equal(await c.call('LTRIM', 'l', '-1', '-1'), '+OK\r\n');
    assert.equal(await c.call('LRANGE', 'l', '0', '-1'), array('d'));
    assert.equal(await c.call('LTRIM', 'l', '5', '10'), '+OK\r\n');
    assert.equal(await c.call('EXISTS', 'l'), ':0\r\n');
    assert.equal(await c.call('LTRIM', 'missing', '0', '1'), '+OK\r\n');
    assert.equal(await c.call('LTRIM', 'missing', 'a', '1'), NOT_INTEGER);
    assert.equal(await c.call('SET', 's', 'x'), '+OK\r\n');
    assert.equal(await c.call('LTRIM', 's', '0', '1'), WRONG_TYPE);
  });

  it('LPOP and RPOP with and without a count, RESP2 and RESP3 nulls', async ({ connection: c }) => {
    assert.equal(await c.call('RPUSH', 'l', 'a', 'b', 'c', 'd', 'e'), ':5\r\n');
    assert.equal(await c.call('LPOP', 'l'), bulk('a'));
    assert.equal(await c.call('RPOP', 'l'), bulk('e'));
    assert.equal(await c.call('LPOP', 'l', '0'), '*0\r\n');
    assert.equal(await c.call('RPOP', 'l', '2'), array('d', 'c'));
    assert.equal(await c.call('LPOP', 'l', '10'), array('b'));
    assert.equal(await c.call('EXISTS', 'l'), ':0\r\n');
    assert.equal(await c.call('LPOP', 'l'), '$-1\r\n');
    assert.equal(await c.call('LPOP', 'l', '0'), '*-1\r\n');
    assert.equal(await c.call('RPOP', 'l', '2'), '*-1\r\n');
    assert.equal(await c.call('LPOP', 'l', '-1'), '-ERR value is out of range, must be positive\r\n');
    assert.equal(await c.call('RPOP', 'l', 'x'), '-ERR value is out of range, must be positive\r\n');
    assert.equal(
      await c.call('LPOP', 'l', '1', '2'),
      "-ERR wrong number of arguments for 'lpop' command\r\n",
    );
    assert.equal(await c.call('SET', 's', 'x'), '+OK\r\n');
    assert.equal(await c.call('LPOP', 's'), WRONG_TYPE);
    assert.equal(await c.call('RPOP', 's', '1'), WRONG_TYPE);
    assert.equal(await c.call('RPOP', 's', '-1'), '-ERR value is out of range, must be positive\r\n');
    await c.call('HELLO', '3');
    assert.equal(await c.call('LPOP', 'l'), '_\r\n');
    assert.equal(await c.call('LPOP', 'l', '2'), '_\r\n');
    assert.equal(await c.call('RPUSH', 'l', 'a'), ':1\r\n');
    assert.equal(await c.call('RPOP', 'l', '0'), '*0\r\n');
    assert.equal(await c.call('RPOP', 'l', '3'), array('a'));
  });

  it('LINDEX, LSET, LINSERT', async ({ connection: c }) => {
    assert.equal(await c.call('RPUSH', 'l', 'a', 'b', 'c'), ':3\r\n');
    assert.equal(await c.call('LINDEX', 'l', '0'), bulk('a'));
    assert.equal(await c.call('LINDEX', 'l', '-1'), bulk('c'));
    assert.equal(await c.call('LINDEX', 'l', '3'), '$-1\r\n');
    assert.equal(await c.call('LINDEX', 'l', '-4'), '$-1\r\n');
    assert.equal(await c.call('LINDEX', 'l', 'x'), NOT_INTEGER);
    assert.equal(await c.call('LINDEX', 'missing', 'x'), '$-1\r\n');
    assert.equal(await c.call('LSET', 'l', '1', 'B'), '+OK\r\n');
    assert.equal(await c.call('LSET', 'l', '-1', 'C'), '+OK\r\n');
    assert.equal(await c.call('LSET', 'l', '3', 'x'), '-ERR index out of range\r\n');
    assert.equal(await c.call('LSET', 'l', 'x', 'x'), NOT_INTEGER);
    assert.equal(await c.call('LSET', 'missing', '0', 'x'), '-ERR no such key\r\n');
    assert.equal(await c.call('LRANGE', 'l', '0', '-1'), array('a', 'B', 'C'));
    assert.equal(await c.call('LINSERT', 'l', 'BEFORE', 'a', 'x'), ':4\r\n');
    assert.equal(await c.call('LINSERT', 'l', 'after', 'C', 'y'), ':5\r\n');
    assert.equal(await c.call('LINSERT', 'l', 'After', 'B', 'z'), ':6\r\n');
    assert.equal(await c.call('LINSERT', 'l', 'before', 'nope', 'z'), ':-1\r\n');
    assert.equal(await c.call('LINSERT', 'missing', 'before', 'a', 'z'), ':0\r\n');
    assert.equal(await c.call('LINSERT', 'l', 'middle', 'a', 'z'), SYNTAX);
    assert.equal(await c.call('LINSERT', 'missing', 'middle', 'a', 'z'), SYNTAX);
    assert.equal(await c.call('LRANGE', 'l', '0', '-1'), array('x', 'a', 'B', 'z', 'C', 'y'));
    assert.equal(await c.call('SET', 's', 'x'), '+OK\r\n');
    assert.equal(await c.call('LINDEX', 's', '0'), WRONG_TYPE);
    assert.equal(await c.call('LSET', 's', '0', 'x'), WRONG_TYPE);
    assert.equal(await c.call('LINSERT', 's', 'before', 'a', 'x'), WRONG_TYPE);
  });

  it('LREM from the head, from the tail, all', async ({ connection: c }) => {
    assert.equal(await c.call('RPUSH', 'l', 'a', 'b', 'a', 'c', 'a', 'b', 'a'), ':7\r\n');
    assert.equal(await c.call('LREM', 'l', '2', 'a'), ':2\r\n');
    assert.equal(await c.call('LRANGE', 'l', '0', '-1'), array('b', 'c', 'a', 'b', 'a'));
    assert.equal(await c.call('LREM', 'l', '-1', 'b'), ':1\r\n');
    assert.equal(await c.call('LRANGE', 'l', '0', '-1'), array('b', 'c', 'a', 'a'));
    assert.equal(await c.call('LREM', 'l', '0', 'a'), ':2\r\n');
    assert.equal(await c.call('LREM', 'l', '0', 'zz'), ':0\r\n');
    assert.equal(await c.call('LRANGE', 'l', '0', '-1'), array('b', 'c'));
    assert.equal(await c.call('LREM', 'l', '-5', 'b'), ':1\r\n');
    assert.equal(await c.call('LREM', 'l', '1', 'c'), ':1\r\n');
    assert.equal(await c.call('EXISTS', 'l'), ':0\r\n');
    assert.equal(await c.call('LREM', 'l', '1', 'c'), ':0\r\n');
    assert.equal(await c.call('LREM', 'l', 'x', 'c'), NOT_INTEGER);
    assert.equal(await c.call('SET', 's', 'x'), '+OK\r\n');
    assert.equal(await c.call('LREM', 's', '0', 'x'), WRONG_TYPE);
  });

  it('LPOS with RANK, COUNT, MAXLEN and its errors', async ({ connection: c }) => {
    assert.equal(await c.call('RPUSH', 'l', 'a', 'b', 'c', 'a', 'b', 'a'), ':6\r\n');
    assert.equal(await c.call('LPOS', 'l', 'a'), ':0\r\n');
    assert.equal(await c.call('LPOS', 'l', 'b'), ':1\r\n');
    assert.equal(await c.call('LPOS', 'l', 'z'), '$-1\r\n');
    assert.equal(await c.call('LPOS', 'l', 'a', 'RANK', '2'), ':3\r\n');
    assert.equal(await c.call('LPOS', 'l', 'a', 'RANK', '-1'), ':5\r\n');
    assert.equal(await c.call('LPOS', 'l', 'a', 'RANK', '-3'), ':0\r\n');
    assert.equal(await c.call('LPOS', 'l', 'a', 'RANK', '4'), '$-1\r\n');
    assert.equal(await c.call('LPOS', 'l', 'a', 'COUNT', '0'), integers(0, 3, 5));
    assert.equal(await c.call('LPOS', 'l', 'a', 'COUNT', '2'), integers(0, 3));
    assert.equal(await c.call('LPOS', 'l', 'a', 'COUNT', '2', 'RANK', '-1'), integers(5, 3));
    assert.equal(await c.call('LPOS', 'l', 'a', 'RANK', '2', 'COUNT', '0'), integers(3, 5));
    assert.equal(await c.call('LPOS', 'l', 'a', 'COUNT', '0', 'MAXLEN', '4'), integers(0, 3));
    assert.equal(await c.call('LPOS', 'l', 'a', 'RANK', '-1', 'MAXLEN', '1', 'COUNT', '5'), integers(5));
    assert.equal(await c.call('LPOS', 'l', 'b', 'MAXLEN', '1'), '$-1\r\n');
    assert.equal(await c.call('LPOS', 'l', 'a', 'count', '1', 'count', '2'), integers(0, 3));
    assert.equal(await c.call('LPOS', 'l', 'z', 'COUNT', '5'), '*0\r\n');
    // Redis negates RANK in 64 bits: LLONG_MIN stays negative, so every match from the tail counts.
    assert.equal(await c.call('LPOS', 'l', 'a', 'RANK', '-9223372036854775808'), ':5\r\n');
    assert.equal(
      await c.call('LPOS', 'l', 'a', 'RANK', '-9223372036854775808', 'COUNT', '1'),
      integers(5, 3, 0),
    );
    assert.equal(await c.call('LPOS', 'l', 'a', 'RANK', '9223372036854775807'), '$-1\r\n');
    assert.equal(await c.call('LPOS', 'l', 'a', 'RANK', '9223372036854775808'), NOT_INTEGER);
    assert.equal(await c.call('LINDEX', 'l', '-9223372036854775808'), '$-1\r\n');
    assert.equal(
      await c.call('LRANGE', 'l', '-9223372036854775808', '9223372036854775807'),
      array('a', 'b', 'c', 'a', 'b', 'a'),
    );
    assert.equal(await c.call('LPOS', 'missing', 'a'), '$-1\r\n');
    assert.equal(await c.call('LPOS', 'missing', 'a', 'COUNT', '1'), '*0\r\n');
    assert.equal(
      await c.call('LPOS', 'l', 'a', 'RANK', '0'),
      "-ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list\r\n",
    );
    assert.equal(await c.call('LPOS', 'l', 'a', 'RANK', 'x'), NOT_INTEGER);
    assert.equal(await c.call('LPOS', 'l', 'a', 'COUNT', '-1'), "-ERR COUNT can't be negative\r\n");
    assert.equal(await c.call('LPOS', 'l', 'a', 'COUNT', 'x'), "-ERR COUNT can't be negative\r\n");
    assert.equal(await c.call('LPOS', 'l', 'a', 'MAXLEN', '-1'), "-ERR MAXLEN can't be negative\r\n");
    assert.equal(await c.call('LPOS', 'l', 'a', 'BOGUS'), SYNTAX);
    assert.equal(await c.call('LPOS', 'l', 'a', 'RANK'), SYNTAX);
    assert.equal(await c.call('SET', 's', 'x'), '+OK\r\n');
    assert.equal(await c.call('LPOS', 's', 'a'), WRONG_TYPE);
    await c.call('HELLO', '3');
    assert.equal(await c.call('LPOS', 'l', 'z'), '_\r\n');
  });

  it('RPOPLPUSH and LMOVE, rotation, wrong types', async ({ connection: c }) => {
    assert.equal(await c.call('RPUSH', 'src', 'a', 'b', 'c'), ':3\r\n');
    assert.equal(await c.call('RPOPLPUSH', 'src', 'dst'), bulk('c'));
    assert.equal(await c.call('LMOVE', 'src', 'dst', 'LEFT', 'RIGHT'), bulk('a'));
    assert.equal(await c.call('LRANGE', 'dst', '0', '-1'), array('c', 'a'));
    assert.equal(await c.call('LMOVE', 'dst', 'dst', 'left', 'right'), bulk('c'));
    assert.equal(await c.call('LRANGE', 'dst', '0', '-1'), array('a', 'c'));
    assert.equal(await c.call('RPOPLPUSH', 'src', 'src'), bulk('b'));
    assert.equal(await c.call('LRANGE', 'src', '0', '-1'), array('b'));
    assert.equal(await c.call('LMOVE', 'src', 'dst', 'right', 'left'), bulk('b'));
    assert.equal(await c.call('EXISTS', 'src'), ':0\r\n');
    assert.equal(await c.call('LRANGE', 'dst', '0', '-1'), array('b', 'a', 'c'));
    assert.equal(await c.call('RPOPLPUSH', 'missing', 'dst'), '$-1\r\n');
    assert.equal(await c.call('LMOVE', 'missing', 'dst', 'left', 'left'), '$-1\r\n');
    assert.equal(await c.call('LMOVE', 'missing', 'dst', 'up', 'left'), SYNTAX);
    assert.equal(await c.call('LMOVE', 'dst', 'x', 'left', 'down'), SYNTAX);
    assert.equal(await c.call('SET', 's', 'x'), '+OK\r\n');
    assert.equal(await c.call('LMOVE', 'dst', 's', 'left', 'left'), WRONG_TYPE);
    assert.equal(await c.call('RPOPLPUSH', 's', 'dst'), WRONG_TYPE);
    assert.equal(await c.call('RPOPLPUSH', 'missing', 's'), '$-1\r\n');
    assert.equal(await c.call('LLEN', 'dst'), ':3\r\n');
  });

  it('LMPOP: keys in order, COUNT, and its errors', async ({ connection: c }) => {
    assert.equal(await c.call('RPUSH', 'b', '1', '2', '3'), ':3\r\n');
    assert.equal(await c.call('RPUSH', 'c', 'x'), ':1\r\n');
    assert.equal(await c.call('LMPOP', '3', 'a', 'b', 'c', 'LEFT'), keyed('b', '1'));
    assert.equal(await c.call('LMPOP', '2', 'b', 'c', 'right', 'COUNT', '5'), keyed('b', '3', '2'));
    assert.equal(await c.call('EXISTS', 'b'), ':0\r\n');
    assert.equal(await c.call('LMPOP', '2', 'b', 'c', 'right', 'count', '1'), keyed('c', 'x'));
    assert.equal(await c.call('LMPOP', '1', 'c', 'left'), '*-1\r\n');
    assert.equal(await c.call('LMPOP', '0', 'c', 'left'), '-ERR numkeys should be greater than 0\r\n');
    assert.equal(await c.call('LMPOP', '-1', 'c', 'left'), '-ERR numkeys should be greater than 0\r\n');
    assert.equal(await c.call('LMPOP', 'x', 'c', 'left'), '-ERR numkeys should be greater than 0\r\n');
    assert.equal(await c.call('LMPOP', '2', 'c', 'left'), SYNTAX);
    assert.equal(await c.call('LMPOP', '99999999999', 'c', 'left'), SYNTAX);
    assert.equal(await c.call('LMPOP', '1', 'c', 'middle'), SYNTAX);
    assert.equal(await c.call('LMPOP', '1', 'c', 'left', 'COUNT'), SYNTAX);
    assert.equal(await c.call('LMPOP', '1', 'c', 'left', 'COUNT', '1', 'COUNT', '2'), SYNTAX);
    assert.equal(
      await c.call('LMPOP', '1', 'c', 'left', 'COUNT', '0'),
      '-ERR count should be greater than 0\r\n',
    );
    assert.equal(
      await c.call('LMPOP', '1', 'c', 'left', 'COUNT', 'x'),
      '-ERR count should be greater than 0\r\n',
    );
    assert.equal(await c.call('LMPOP', '1', 'c'), "-ERR wrong number of arguments for 'lmpop' command\r\n");
    assert.equal(await c.call('SET', 's', 'x'), '+OK\r\n');
    assert.equal(await c.call('LMPOP', '2', 'missing', 's', 'left'), WRONG_TYPE);
    await c.call('HELLO', '3');
    assert.equal(await c.call('LMPOP', '1', 'missing', 'left'), '_\r\n');
  });

  it('blocking pops answer at once when a list has elements', async ({ connection: c }) => {
    assert.equal(await c.call('RPUSH', 'b', '1', '2', '3', '4', '5'), ':5\r\n');
    assert.equal(await c.call('BLPOP', 'a', 'b', '0'), array('b', '1'));
    assert.equal(await c.call('BRPOP', 'a', 'b', '1'), array('b', '5'));
    assert.equal(await c.call('BLMPOP', '0', '2', 'a', 'b', 'LEFT', 'COUNT', '2'), keyed('b', '2', '3'));
    assert.equal(await c.call('BRPOPLPUSH', 'b', 'd', '0'), bulk('4'));
    assert.equal(await c.call('BLMOVE', 'd', 'e', 'LEFT', 'RIGHT', '0'), bulk('4'));
    assert.equal(await c.call('EXISTS', 'b', 'd'), ':0\r\n');
    assert.equal(await c.call('LRANGE', 'e', '0', '-1'), array('4'));
    assert.equal(await c.call('SET', 's', 'x'), '+OK\r\n');
    assert.equal(await c.call('BLPOP', 'missing', 's', '0'), WRONG_TYPE);
    assert.equal(await c.call('BLMPOP', '0', '1', 's', 'LEFT'), WRONG_TYPE);
    assert.equal(await c.call('BLMOVE', 's', 'e', 'LEFT', 'RIGHT', '0'), WRONG_TYPE);
    assert.equal(await c.call('BRPOPLPUSH', 'e', 's', '0'), WRONG_TYPE);
    assert.equal(await c.call('LLEN', 'e'), ':1\r\n');
  });

  it('blocking timeouts: argument errors, expiry, RESP2 and RESP3 nulls', async ({ connection: c }) => {
    assert.equal(await c.call('BLPOP', 'a', '-1'), '-ERR timeout is negative\r\n');
    assert.equal(await c.call('BLPOP', 'a', 'abc'), '-ERR timeout is not a float or out of range\r\n');
    assert.equal(await c.call('BRPOP', 'a', '1e30'), '-ERR timeout is negative\r\n');
    assert.equal(
      await c.call('BRPOPLPUSH', 'a', 'b', 'x'),
      '-ERR timeout is not a float or out of range\r\n',
    );
    assert.equal(await c.call('BLMOVE', 'a', 'b', 'left', 'up', 'x'), SYNTAX);
    assert.equal(
      await c.call('BLMOVE', 'a', 'b', 'left', 'left', 'x'),
      '-ERR timeout is not a float or out of range\r\n',
    );
    assert.equal(await c.call('BLMPOP', 'x', 'x', 'a', 'left'), '-ERR numkeys should be greater than 0\r\n');
    assert.equal(
      await c.call('BLMPOP', 'x', '1', 'a', 'left'),
      '-ERR timeout is not a float or out of range\r\n',
    );
    assert.equal(
      await c.call('BLMPOP', 'x', '1', 'a', 'left', 'count', '0'),
      '-ERR count should be greater than 0\r\n',
    );
    assert.equal(await c.call('BLMPOP', '0', '2', 'a', 'left'), SYNTAX);
    assert.equal(await c.call('BLPOP', 'a'), "-ERR wrong number of arguments for 'blpop' command\r\n");
    const started = Date.now();
    assert.equal(await c.call('BLPOP', 'a', 'b', '0.1'), '*-1\r\n');
    assert.ok(Date.now() - started >= 90);
    assert.equal(await c.call('BRPOP', 'a', '0.01'), '*-1\r\n');
    assert.equal(await c.call('BLMPOP', '0.01', '1', 'a', 'left'), '*-1\r\n');
    assert.equal(await c.call('BRPOPLPUSH', 'a', 'b', '0.01'), '*-1\r\n');
    assert.equal(await c.call('BLMOVE', 'a', 'b', 'left', 'left', '0.01'), '*-1\r\n');
    await c.call('HELLO', '3');
    assert.equal(await c.call('BLPOP', 'a', '0.01'), '_\r\n');
    assert.equal(await c.call('BLMOVE', 'a', 'b', 'left', 'left', '0.01'), '_\r\n');
    assert.equal(await c.call('BLMPOP', '0.01', '1', 'a', 'left'), '_\r\n');
    // The connection still works after timeouts.
    assert.equal(await c.call('PING'), '+PONG\r\n');
  });

  it('a push to one of several keys serves the blocked client', async ({ connection: c, connect }) => {
    const waiter = await connect();
    waiter.send('BLPOP', 'a', 'b', 'c', '0');
    await waitBlocked(c, 1);
    assert.equal(await c.call('RPUSH', 'b', 'x', 'y'), ':2\r\n');
    assert.equal((await waiter.reply()).raw, array('b', 'x'));
    assert.equal(await c.call('LRANGE', 'b', '0', '-1'), array('y'));
    waiter.send('BRPOP', 'a', 'c', '5');
    await waitBlocked(c, 1);
    assert.equal(await c.call('LPUSH', 'c', '1', '2'), ':2\r\n');
    assert.equal((await waiter.reply()).raw, array('c', '1'));
    assert.equal(await waiter.call('PING'), '+PONG\r\n');
  });

  it('blocked clients are served first come, first served', async ({ connection: c, connect }) => {
    const first = await connect();
    const second = await connect();
    const third = await connect();
    first.send('BLPOP', 'l', '0');
    await waitBlocked(c, 1);
    second.send('BRPOP', 'other', 'l', '0');
    await waitBlocked(c, 2);
    third.send('BLMPOP', '0', '1', 'l', 'RIGHT', 'COUNT', '5');
    await waitBlocked(c, 3);
    assert.equal(await c.call('RPUSH', 'l', 'a'), ':1\r\n');
    assert.equal((await first.reply()).raw, array('l', 'a'));
    assert.equal(await c.call('RPUSH', 'l', 'b', 'c', 'd', 'e'), ':4\r\n');
    assert.equal((await second.reply()).raw, array('l', 'e'));
    assert.equal((await third.reply()).raw, keyed('l', 'd', 'c', 'b'));
    assert.equal(await c.call('EXISTS', 'l'), ':0\r\n');
  });

  it('a push in a pipeline serves the blocked client before the next command', async ({
    connection: c,
    connect,
  }) => {
    const waiter = await connect();
    waiter.send('BLPOP', 'l', '0');
    await waitBlocked(c, 1);
    c.send('RPUSH', 'l', 'x');
    c.send('LLEN', 'l');
    c.send('RPUSH', 'l', 'y');
    assert.equal((await c.reply()).raw, ':1\r\n');
    assert.equal((await c.reply()).raw, ':0\r\n');
    assert.equal((await c.reply()).raw, ':1\r\n');
    assert.equal((await waiter.reply()).raw, array('l', 'x'));
  });

  it('a blocked client pipelines its next commands after being served', async ({
    connection: c,
    connect,
  }) => {
    const waiter = await connect();
    waiter.send('BRPOP', 'l', '0');
    waiter.send('LLEN', 'l');
    await waitBlocked(c, 1);
    assert.equal(await c.call('RPUSH', 'l', 'a', 'b'), ':2\r\n');
    assert.equal((await waiter.reply()).raw, array('l', 'b'));
    assert.equal((await waiter.reply()).raw, ':1\r\n');
  });

  it('a key deleted or of another type while waiting keeps the client blocked', async ({
    connection: c,
    connect,
  }) => {
    const waiter = await connect();
    waiter.send('BLPOP', 'k', '0');
    await waitBlocked(c, 1);
    assert.equal(await c.call('SET', 'k', 'string'), '+OK\r\n');
    assert.equal(await c.call('DEL', 'k'), ':1\r\n');
    assert.equal(await c.call('SET', 'k', 'again'), '+OK\r\n');
    await waitBlocked(c, 1);
    assert.equal(await c.call('DEL', 'k'), ':1\r\n');
    assert.equal(await c.call('RPUSH', 'k', 'v'), ':1\r\n');
    assert.equal((await waiter.reply()).raw, array('k', 'v'));
    assert.equal(await c.call('EXISTS', 'k'), ':0\r\n');
  });

  it('BRPOPLPUSH and BLMOVE block, then chain into clients blocked on the destination', async ({
    connection: c,
    connect,
  }) => {
    const mover = await connect();
    const popper = await connect();
    const rotator = await connect();
    mover.send('BLMOVE', 'src', 'dst', 'RIGHT', 'LEFT', '0');
    await waitBlocked(c, 1);
    popper.send('BLPOP', 'dst', '0');
    await waitBlocked(c, 2);
    assert.equal(await c.call('RPUSH', 'src', 'a', 'b'), ':2\r\n');
    assert.equal((await mover.reply()).raw, bulk('b'));
    assert.equal((await popper.reply()).raw, array('dst', 'b'));
    assert.equal(await c.call('EXISTS', 'dst'), ':0\r\n');
    assert.equal(await c.call('LRANGE', 'src', '0', '-1'), array('a'));
    rotator.send('BRPOPLPUSH', 'ring', 'ring', '0');
    await waitBlocked(c, 1);
    assert.equal(await c.call('RPUSH', 'ring', '1', '2'), ':2\r\n');
    assert.equal((await rotator.reply()).raw, bulk('2'));
    assert.equal(await c.call('LRANGE', 'ring', '0', '-1'), array('2', '1'));
  });

  it('a served BLMOVE whose destination is not a list gets WRONG_TYPE', async ({
    connection: c,
    connect,
  }) => {
    const mover = await connect();
    assert.equal(await c.call('SET', 'dst', 'x'), '+OK\r\n');
    mover.send('BLMOVE', 'src', 'dst', 'LEFT', 'LEFT', '0');
    await waitBlocked(c, 1);
    assert.equal(await c.call('RPUSH', 'src', 'a'), ':1\r\n');
    assert.equal((await mover.reply()).raw, WRONG_TYPE);
    assert.equal(await c.call('LRANGE', 'src', '0', '-1'), array('a'));
  });

  it('a blocked client times out with a null, RESP3 too', async ({ connection: c, connect }) => {
    const waiter = await connect();
    await waiter.call('HELLO', '3');
    waiter.send('BLMPOP', '0.2', '2', 'a', 'b', 'LEFT');
    await waitBlocked(c, 1);
    assert.equal((await waiter.reply()).raw, '_\r\n');
    await waitBlocked(c, 0);
    assert.equal(await c.call('RPUSH', 'a', 'x'), ':1\r\n');
    assert.equal(await c.call('LLEN', 'a'), ':1\r\n');
  });

  it('one push of several elements serves several blocked clients', async ({ connection: c, connect }) => {
    const first = await connect();
    const second = await connect();
    first.send('BLPOP', 'l', 'l', '0');
    await waitBlocked(c, 1);
    second.send('BRPOPLPUSH', 'l', 'out', '0');
    await waitBlocked(c, 2);
    assert.equal(await c.call('RPUSH', 'l', 'a', 'b', 'c'), ':3\r\n');
    assert.equal((await first.reply()).raw, array('l', 'a'));
    assert.equal((await second.reply()).raw, bulk('c'));
    assert.equal(await c.call('LRANGE', 'l', '0', '-1'), array('b'));
    assert.equal(await c.call('LRANGE', 'out', '0', '-1'), array('c'));
  });

  it('a push in another database does not serve the blocked client', async ({ connection: c, connect }) => {
    const waiter = await connect();
    waiter.send('BLPOP', 'l', '0');
    await waitBlocked(c, 1);
    assert.equal(await c.call('SELECT', '1'), '+OK\r\n');
    assert.equal(await c.call('RPUSH', 'l', 'other'), ':1\r\n');
    await waitBlocked(c, 1);
    assert.equal(await c.call('SELECT', '0'), '+OK\r\n');
    assert.equal(await c.call('RPUSH', 'l', 'mine'), ':1\r\n');
    assert.equal((await waiter.reply()).raw, array('l', 'mine'));
    assert.equal(await c.call('SELECT', '1'), '+OK\r\n');
    assert.equal(await c.call('LLEN', 'l'), ':1\r\n');
  });
});
