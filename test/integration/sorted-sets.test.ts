import assert from 'node:assert/strict';
import { conformanceSuite } from '../helpers/conformance.ts';
import { NOT_INTEGER, WRONG_TYPE } from '../helpers/resp-text.ts';

/** RESP2 array of bulk strings. */
function bulks(...items: string[]): string {
  return `*${items.length}\r\n${items.map((item) => `$${item.length}\r\n${item}\r\n`).join('')}`;
}

function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

const SYNTAX = '-ERR syntax error\r\n';
const NOT_FLOAT = '-ERR value is not a valid float\r\n';
const RANGE_NOT_FLOAT = '-ERR min or max is not a float\r\n';
const BAD_LEX = '-ERR min or max not valid string range item\r\n';
const NAN = '-ERR resulting score is not a number (NaN)\r\n';

conformanceSuite('sorted sets', (it) => {
  it('ZADD basics, ZCARD, ZSCORE, ZMSCORE, score formatting', async ({ connection: c }) => {
    assert.equal(await c.call('ZADD', 'z', '1', 'a', '2', 'b', '1.5', 'c'), ':3\r\n');
    assert.equal(await c.call('ZADD', 'z', '3', 'a', '4', 'd'), ':1\r\n');
    assert.equal(await c.call('ZCARD', 'z'), ':4\r\n');
    assert.equal(await c.call('ZCARD', 'missing'), ':0\r\n');
    assert.equal(await c.call('ZSCORE', 'z', 'a'), '$1\r\n3\r\n');
    assert.equal(await c.call('ZSCORE', 'z', 'nope'), '$-1\r\n');
    assert.equal(await c.call('ZSCORE', 'missing', 'a'), '$-1\r\n');
    assert.equal(await c.call('ZADD', 'f', '0.1', 'x', '-inf', 'y', '+inf', 'w', '1e20', 'v'), ':4\r\n');
    assert.equal(await c.call('ZSCORE', 'f', 'x'), '$19\r\n0.10000000000000001\r\n');
    assert.equal(await c.call('ZSCORE', 'f', 'y'), '$4\r\n-inf\r\n');
    assert.equal(await c.call('ZSCORE', 'f', 'w'), '$3\r\ninf\r\n');
    assert.equal(await c.call('ZSCORE', 'f', 'v'), '$5\r\n1e+20\r\n');
    assert.equal(await c.call('ZMSCORE', 'z', 'a', 'nope', 'c'), '*3\r\n$1\r\n3\r\n$-1\r\n$3\r\n1.5\r\n');
    assert.equal(await c.call('ZMSCORE', 'missing', 'a', 'b'), '*2\r\n$-1\r\n$-1\r\n');
    assert.equal(await c.call('SET', 's', 'x'), '+OK\r\n');
    assert.equal(await c.call('ZADD', 's', '1', 'a'), WRONG_TYPE);
    assert.equal(await c.call('ZSCORE', 's', 'a'), WRONG_TYPE);
    assert.equal(await c.call('ZMSCORE', 's', 'a'), WRONG_TYPE);
    assert.equal(await c.call('ZCARD', 's'), WRONG_TYPE);
    assert.equal(await c.call('TYPE', 'z'), '+zset\r\n');
  });

  it('ZADD options NX XX GT LT CH INCR and their errors', async ({ connection: c }) => {
    assert.equal(await c.call('ZADD', 'z', 'XX', '1', 'a'), ':0\r\n');
    assert.equal(await c.call('EXISTS', 'z'), ':0\r\n');
    assert.equal(await c.call('ZADD', 'z', 'NX', '1', 'a'), ':1\r\n');
    assert.equal(await c.call('ZADD', 'z', 'NX', '5', 'a', '2', 'b'), ':1\r\n');
    assert.equal(await c.call('ZSCORE', 'z', 'a'), '$1\r\n1\r\n');
    assert.equal(await c.call('ZADD', 'z', 'XX', 'CH', '5', 'a', '3', 'c'), ':1\r\n');
    assert.equal(await c.call('ZSCORE', 'z', 'c'), '$-1\r\n');
    assert.equal(await c.call('ZADD', 'z', 'GT', 'CH', '4', 'a', '3', 'b'), ':1\r\n');
    assert.equal(await c.call('ZSCORE', 'z', 'a'), '$1\r\n5\r\n');
    assert.equal(await c.call('ZADD', 'z', 'LT', 'CH', '1', 'a', '9', 'b', '7', 'n'), ':2\r\n');
    assert.equal(await c.call('ZADD', 'z', 'ch', '1', 'a', '8', 'b'), ':1\r\n');
    assert.equal(await c.call('ZADD', 'z', 'INCR', '2.5', 'a'), '$3\r\n3.5\r\n');
    assert.equal(await c.call('ZADD', 'z', 'INCR', 'NX', '1', 'a'), '$-1\r\n');
    assert.equal(await c.call('ZADD', 'z', 'INCR', 'GT', '-1', 'a'), '$-1\r\n');
    assert.equal(await c.call('ZADD', 'z', 'INCR', 'XX', '1', 'nothere'), '$-1\r\n');
    assert.equal(await c.call('ZADD', 'missing', 'INCR', 'XX', '1', 'a'), '$-1\r\n');
    assert.equal(await c.call('ZADD', 'z', 'INCR', 'LT', '-1', 'a'), '$3\r\n2.5\r\n');
    assert.equal(
      await c.call('ZADD', 'z', 'NX', 'XX', '1', 'a'),
      '-ERR XX and NX options at the same time are not compatible\r\n',
    );
    const gtlt = '-ERR GT, LT, and/or NX options at the same time are not compatible\r\n';
    assert.equal(await c.call('ZADD', 'z', 'GT', 'LT', '1', 'a'), gtlt);
    assert.equal(await c.call('ZADD', 'z', 'NX', 'GT', '1', 'a'), gtlt);
    assert.equal(
      await c.call('ZADD', 'z', 'INCR', '1', 'a', '2', 'b'),
      '-ERR INCR option supports a single increment-element pair\r\n',
    );
    assert.equal(await c.call('ZADD', 'z', '1', 'a', '2'), SYNTAX);
    assert.equal(await c.call('ZADD', 'z', 'NX', 'CH'), SYNTAX);
    assert.equal(await c.call('ZADD', 'z', 'x', 'a'), NOT_FLOAT);
    assert.equal(await c.call('ZADD', 'z', 'nan', 'a'), NOT_FLOAT);
    assert.equal(await c.call('ZADD', 'z', '1e400', 'a'), NOT_FLOAT);
    assert.equal(await c.call('ZADD', 'z', ' 1', 'a'), NOT_FLOAT);
    assert.equal(await c.call('ZADD', 'z', '1', 'ok', 'bad', 'b'), NOT_FLOAT);
    assert.equal(await c.call('ZSCORE', 'z', 'ok'), '$-1\r\n');
    assert.equal(await c.call('ZADD', 'z', 'inf', 'i'), ':1\r\n');
    assert.equal(await c.call('ZADD', 'z', 'INCR', '-inf', 'i'), NAN);
    assert.equal(await c.call('ZADD', 'z', '1'), "-ERR wrong number of arguments for 'zadd' command\r\n");
  });

  it('ZINCRBY', async ({ connection: c }) => {
    assert.equal(await c.call('ZINCRBY', 'z', '2', 'a'), '$1\r\n2\r\n');
    assert.equal(await c.call('ZINCRBY', 'z', '-0.5', 'a'), '$3\r\n1.5\r\n');
    assert.equal(await c.call('ZINCRBY', 'z', 'abc', 'a'), NOT_FLOAT);
    assert.equal(await c.call('ZINCRBY', 'z', 'inf', 'a'), '$3\r\ninf\r\n');
    assert.equal(await c.call('ZINCRBY', 'z', '-inf', 'a'), NAN);
    assert.equal(await c.call('ZINCRBY', 'z', 'NX', 'a'), SYNTAX);
    // %.17g rounds an exact tie to even (found by the differential test).
    assert.equal(await c.call('ZADD', 'tie', '347650460174170.8125', 'a'), ':1\r\n');
    assert.equal(
      await c.call('ZINCRBY', 'tie', '347650460174170.8125', 'a'),
      '$18\r\n695300920348341.62\r\n',
    );
    assert.equal(await c.call('ZADD', 'tie', '0.125', 'b'), ':1\r\n');
    assert.equal(await c.call('ZSCORE', 'tie', 'b'), '$5\r\n0.125\r\n');
    assert.equal(await c.call('SET', 's', 'x'), '+OK\r\n');
    assert.equal(await c.call('ZINCRBY', 's', '1', 'a'), WRONG_TYPE);
  });

  it('scores in C hexadecimal float notation', async ({ connection: c }) => {
    assert.equal(await c.call('ZADD', 'z', '0x1.8p1', 'a', '-0x.8', 'b', '0x10', 'c'), ':3\r\n');
    assert.equal(
      await c.call('ZRANGE', 'z', '0', '-1', 'WITHSCORES'),
      '*6\r\n$1\r\nb\r\n$4\r\n-0.5\r\n$1\r\na\r\n$1\r\n3\r\n$1\r\nc\r\n$2\r\n16\r\n',
    );
    assert.equal(await c.call('ZADD', 'z', '0x1p-99999', 'd'), '-ERR value is not a valid float\r\n');
    assert.equal(await c.call('ZADD', 'z', '0x1p99999', 'd'), '-ERR value is not a valid float\r\n');
  });

  it('lex ranges over members of different scores walk the listpack as Redis does', async ({
    connection: c,
  }) => {
    // Found by the differential test: the walk stops at the first member out of range.
    assert.equal(await c.call('ZADD', 'z', '0', '10', '0', 'd', '5', ''), ':3\r\n');
    assert.equal(await c.call('ZLEXCOUNT', 'z', '-', '[a'), ':1\r\n');
    assert.equal(await c.call('ZRANGEBYLEX', 'z', '-', '[a'), '*1\r\n$2\r\n10\r\n');
    assert.equal(await c.call('ZREVRANGEBYLEX', 'z', '[a', '-'), '*3\r\n$0\r\n\r\n$1\r\nd\r\n$2\r\n10\r\n');
    assert.equal(
      await c.call('ZRANGE', 'z', '[a', '-', 'BYLEX', 'REV', 'LIMIT', '1', '1'),
      '*1\r\n$1\r\nd\r\n',
    );
    assert.equal(await c.call('ZREMRANGEBYLEX', 'z', '-', '[a'), ':1\r\n');
    assert.equal(await c.call('ZRANGE', 'z', '0', '-1'), '*2\r\n$1\r\nd\r\n$0\r\n\r\n');
  });

  it('a -0 score reads back as 0 from a listpack and as -0 from a skiplist', async ({ connection: c }) => {
    // Found by comparing random commands against redis-server: a listpack stores integral scores
    // as integers, while the reply to the write itself is the score as given.
    assert.equal(await c.call('ZINCRBY', 'z', '-0', 'a'), '$2\r\n-0\r\n');
    assert.equal(await c.call('ZSCORE', 'z', 'a'), '$1\r\n0\r\n');
    assert.equal(await c.call('ZADD', 'z', '1', 'b'), ':1\r\n');
    assert.equal(await c.call('ZADD', 'z', '-0', 'b'), ':0\r\n');
    assert.equal(await c.call('ZPOPMAX', 'z'), '*2\r\n$1\r\nb\r\n$1\r\n0\r\n');
    assert.equal(await c.call('ZPOPMAX', 'z'), '*2\r\n$1\r\na\r\n$1\r\n0\r\n');
    assert.equal(await c.call('ZADD', 'big', '1', 'm'.repeat(65)), ':1\r\n');
    assert.equal(await c.call('OBJECT', 'ENCODING', 'big'), '$8\r\nskiplist\r\n');
    assert.equal(await c.call('ZADD', 'big', '-0', 'a'), ':1\r\n');
    assert.equal(await c.call('ZSCORE', 'big', 'a'), '$2\r\n-0\r\n');
    assert.equal(await c.call('COPY', 'big', 'big2'), ':1\r\n');
    assert.equal(await c.call('ZSCORE', 'big2', 'a'), '$2\r\n-0\r\n');
    // ZUNION replies from a skiplist; ZUNIONSTORE stores a listpack.
    assert.equal(
      await c.call('ZUNION', '1', 'big', 'WITHSCORES'),
      `*4\r\n$1\r\na\r\n$2\r\n-0\r\n$65\r\n${'m'.repeat(65)}\r\n$1\r\n1\r\n`,
    );
    assert.equal(await c.call('ZADD', 'w', '0', 'x'), ':1\r\n');
    assert.equal(
      await c.call('ZUNION', '1', 'w', 'WEIGHTS', '-1', 'WITHSCORES'),
      '*2\r\n$1\r\nx\r\n$2\r\n-0\r\n',
    );
    assert.equal(await c.call('ZUNIONSTORE', 'u', '1', 'w', 'WEIGHTS', '-1'), ':1\r\n');
    assert.equal(await c.call('ZSCORE', 'u', 'x'), '$1\r\n0\r\n');
    // Stored past the listpack's 128 entries, the result stays a skiplist: -0 kept.
    const many: string[] = [];
    for (let i = 0; i < 130; i++) many.push('0', `m${i}`);
    assert.equal(await c.call('ZADD', 'many', ...many), ':130\r\n');
    assert.equal(await c.call('ZUNIONSTORE', 'u2', '1', 'many', 'WEIGHTS', '-1'), ':130\r\n');
    assert.equal(await c.call('ZSCORE', 'u2', 'm0'), '$2\r\n-0\r\n');
    assert.equal(await c.call('ZRANGESTORE', 'u3', 'u2', '0', '-1'), ':130\r\n');
    assert.equal(await c.call('ZSCORE', 'u3', 'm0'), '$2\r\n-0\r\n');
    assert.equal(await c.call('ZRANGESTORE', 'u4', 'u2', '0', '9'), ':10\r\n');
    assert.equal(await c.call('ZSCORE', 'u4', 'm0'), '$1\r\n0\r\n');
    assert.equal(await c.call('ZADD', 'small', '-0', 'x'), ':1\r\n');
    assert.equal(await c.call('ZINCRBY', 'small', '-0', 'x'), '$1\r\n0\r\n');
  });

  it('ZREM deletes members and the emptied key', async ({ connection: c }) => {
    await c.call('ZADD', 'z', '1', 'a', '2', 'b', '3', 'c');
    assert.equal(await c.call('ZREM', 'z', 'a', 'x', 'a'), ':1\r\n');
    assert.equal(await c.call('ZREM', 'missing', 'a'), ':0\r\n');
    assert.equal(await c.call('ZREM', 'z', 'b', 'c', 'd'), ':2\r\n');
    assert.equal(await c.call('EXISTS', 'z'), ':0\r\n');
    assert.equal(await c.call('SET', 's', 'x'), '+OK\r\n');
    assert.equal(await c.call('ZREM', 's', 'a'), WRONG_TYPE);
  });

  it('ZRANK, ZREVRANK (no WITHSCORE in 7.0)', async ({ connection: c }) => {
    await c.call('ZADD', 'z', '1', 'a', '2', 'b', '3', 'c', '2', 'bb');
    assert.equal(await c.call('ZRANK', 'z', 'a'), ':0\r\n');
    assert.equal(await c.call('ZRANK', 'z', 'bb'), ':2\r\n');
    assert.equal(await c.call('ZREVRANK', 'z', 'a'), ':3\r\n');
    assert.equal(await c.call('ZRANK', 'z', 'x'), '$-1\r\n');
    assert.equal(await c.call('ZREVRANK', 'missing', 'x'), '$-1\r\n');
    assert.equal(
      await c.call('ZRANK', 'z', 'a', 'WITHSCORE'),
      "-ERR wrong number of arguments for 'zrank' command\r\n",
    );
  });

  it('ZCOUNT and ZLEXCOUNT with exclusive and infinite bounds', async ({ connection: c }) => {
    await c.call('ZADD', 'z', '1', 'a', '2', 'b', '3', 'c', '4', 'd');
    assert.equal(await c.call('ZCOUNT', 'z', '-inf', '+inf'), ':4\r\n');
    assert.equal(await c.call('ZCOUNT', 'z', '(1', '3'), ':2\r\n');
    assert.equal(await c.call('ZCOUNT', 'z', '(1', '(3'), ':1\r\n');
    assert.equal(await c.call('ZCOUNT', 'z', '3', '1'), ':0\r\n');
    assert.equal(await c.call('ZCOUNT', 'z', '(2', '(2'), ':0\r\n');
    assert.equal(await c.call('ZCOUNT', 'z', ' 2', '2'), ':1\r\n');
    assert.equal(await c.call('ZCOUNT', 'z', 'x', '2'), RANGE_NOT_FLOAT);
    assert.equal(await c.call('ZCOUNT', 'z', '1 ', '2'), RANGE_NOT_FLOAT);
    assert.equal(await c.call('ZCOUNT', 'z', 'nan', '2'), RANGE_NOT_FLOAT);
    assert.equal(await c.call('ZCOUNT', 'missing', '0', '1'), ':0\r\n');
    await c.call('ZADD', 'l', '0', 'a', '0', 'b', '0', 'c', '0', 'd', '0', 'e');
    assert.equal(await c.call('ZLEXCOUNT', 'l', '-', '+'), ':5\r\n');
    assert.equal(await c.call('ZLEXCOUNT', 'l', '[b', '(d'), ':2\r\n');
    assert.equal(await c.call('ZLEXCOUNT', 'l', '(b', '[d'), ':2\r\n');
    assert.equal(await c.call('ZLEXCOUNT', 'l', '+', '-'), ':0\r\n');
    assert.equal(await c.call('ZLEXCOUNT', 'l', '[c', '[c'), ':1\r\n');
    assert.equal(await c.call('ZLEXCOUNT', 'l', 'b', '[d'), BAD_LEX);
    assert.equal(await c.call('ZLEXCOUNT', 'l', '-x', '+'), BAD_LEX);
    assert.equal(await c.call('ZLEXCOUNT', 'missing', '-', '+'), ':0\r\n');
  });

  it('ZRANGE by rank, REV, WITHSCORES and legacy ZREVRANGE', async ({ connection: c }) => {
    await c.call('ZADD', 'z', '1', 'a', '2', 'b', '3', 'c', '4', 'd');
    assert.equal(await c.call('ZRANGE', 'z', '0', '-1'), bulks('a', 'b', 'c', 'd'));
    assert.equal(await c.call('ZRANGE', 'z', '1', '2', 'WITHSCORES'), bulks('b', '2', 'c', '3'));
    assert.equal(await c.call('ZRANGE', 'z', '-2', '100'), bulks('c', 'd'));
    assert.equal(await c.call('ZRANGE', 'z', '-100', '0'), bulks('a'));
    assert.equal(await c.call('ZRANGE', 'z', '3', '1'), '*0\r\n');
    assert.equal(await c.call('ZRANGE', 'z', '5', '10'), '*0\r\n');
    assert.equal(await c.call('ZRANGE', 'z', '0', '1', 'REV'), bulks('d', 'c'));
    assert.equal(await c.call('ZREVRANGE', 'z', '0', '1', 'WITHSCORES'), bulks('d', '4', 'c', '3'));
    assert.equal(await c.call('ZRANGE', 'missing', '0', '-1'), '*0\r\n');
    assert.equal(await c.call('ZRANGE', 'z', 'a', '1'), NOT_INTEGER);
    assert.equal(await c.call('ZRANGE', 'z', '0', '1', 'BOGUS'), SYNTAX);
    assert.equal(await c.call('ZREVRANGE', 'z', '0', '1', 'REV'), SYNTAX);
    assert.equal(
      await c.call('ZRANGE', 'z', '0', '1', 'LIMIT', '0', '1'),
      '-ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX\r\n',
    );
    assert.equal(await c.call('ZRANGE', 'z', '0', '1', 'LIMIT', 'x', '1'), NOT_INTEGER);
    assert.equal(await c.call('SET', 's', 'x'), '+OK\r\n');
    assert.equal(await c.call('ZRANGE', 's', '0', '1'), WRONG_TYPE);
  });

  it('ZRANGE BYSCORE, ZRANGEBYSCORE, ZREVRANGEBYSCORE with LIMIT', async ({ connection: c }) => {
    await c.call('ZADD', 'z', '1', 'a', '2', 'b', '3', 'c', '4', 'd', '5', 'e');
    assert.equal(await c.call('ZRANGE', 'z', '(1', '3', 'BYSCORE'), bulks('b', 'c'));
    assert.equal(await c.call('ZRANGE', 'z', '-inf', '+inf', 'BYSCORE', 'LIMIT', '1', '2'), bulks('b', 'c'));
    assert.equal(
      await c.call('ZRANGE', 'z', '+inf', '-inf', 'BYSCORE', 'REV', 'LIMIT', '1', '2'),
      bulks('d', 'c'),
    );
    assert.equal(
      await c.call('ZRANGE', 'z', '4', '(2', 'BYSCORE', 'REV', 'WITHSCORES'),
      bulks('d', '4', 'c', '3'),
    );
    assert.equal(
      await c.call('ZRANGEBYSCORE', 'z', '2', '4', 'WITHSCORES', 'LIMIT', '1', '-1'),
      bulks('c', '3', 'd', '4'),
    );
    assert.equal(await c.call('ZRANGEBYSCORE', 'z', '2', '4', 'LIMIT', '-1', '2'), '*0\r\n');
    assert.equal(await c.call('ZRANGEBYSCORE', 'z', '2', '4', 'LIMIT', '10', '2'), '*0\r\n');
    assert.equal(await c.call('ZRANGEBYSCORE', 'z', '2', '4', 'LIMIT', '0', '0'), '*0\r\n');
    assert.equal(await c.call('ZRANGEBYSCORE', 'z', '6', '9'), '*0\r\n');
    assert.equal(await c.call('ZREVRANGEBYSCORE', 'z', '(5', '2', 'LIMIT', '0', '2'), bulks('d', 'c'));
    assert.equal(await c.call('ZREVRANGEBYSCORE', 'z', '2', '5'), '*0\r\n');
    assert.equal(await c.call('ZRANGEBYSCORE', 'z', 'x', '1'), RANGE_NOT_FLOAT);
    assert.equal(await c.call('ZRANGEBYSCORE', 'z', '1', '2', 'REV'), SYNTAX);
    assert.equal(await c.call('ZRANGEBYSCORE', 'z', '1', '2', 'LIMIT', '1'), SYNTAX);
  });

  it('ZRANGE BYLEX, ZRANGEBYLEX, ZREVRANGEBYLEX', async ({ connection: c }) => {
    await c.call('ZADD', 'z', '0', 'a', '0', 'b', '0', 'c', '0', 'd', '0', 'e');
    assert.equal(await c.call('ZRANGE', 'z', '[b', '(d', 'BYLEX'), bulks('b', 'c'));
    assert.equal(await c.call('ZRANGE', 'z', '+', '-', 'BYLEX', 'REV', 'LIMIT', '1', '2'), bulks('d', 'c'));
    assert.equal(await c.call('ZRANGEBYLEX', 'z', '-', '+', 'LIMIT', '3', '10'), bulks('d', 'e'));
    assert.equal(await c.call('ZREVRANGEBYLEX', 'z', '[c', '-'), bulks('c', 'b', 'a'));
    assert.equal(
      await c.call('ZRANGEBYLEX', 'z', '-', '+', 'WITHSCORES'),
      '-ERR syntax error, WITHSCORES not supported in combination with BYLEX\r\n',
    );
    assert.equal(await c.call('ZRANGEBYLEX', 'z', 'a', '+'), BAD_LEX);
  });

  it('ZRANGESTORE stores ranges and deletes the destination on empty results', async ({ connection: c }) => {
    await c.call('ZADD', 'z', '1', 'a', '2', 'b', '3', 'c');
    assert.equal(await c.call('ZRANGESTORE', 'dst', 'z', '0', '1'), ':2\r\n');
    assert.equal(await c.call('ZRANGE', 'dst', '0', '-1', 'WITHSCORES'), bulks('a', '1', 'b', '2'));
    assert.equal(
      await c.call('ZRANGESTORE', 'dst', 'z', '+inf', '(1', 'BYSCORE', 'REV', 'LIMIT', '0', '1'),
      ':1\r\n',
    );
    assert.equal(await c.call('ZRANGE', 'dst', '0', '-1'), bulks('c'));
    assert.equal(await c.call('ZRANGESTORE', 'dst', 'z', '5', '10'), ':0\r\n');
    assert.equal(await c.call('EXISTS', 'dst'), ':0\r\n');
    assert.equal(await c.call('SET', 'dst', 'x', 'EX', '100'), '+OK\r\n');
    assert.equal(await c.call('ZRANGESTORE', 'dst', 'z', '0', '0'), ':1\r\n');
    assert.equal(await c.call('TTL', 'dst'), ':-1\r\n');
    assert.equal(await c.call('ZRANGESTORE', 'dst', 'missing', '0', '-1'), ':0\r\n');
    assert.equal(await c.call('EXISTS', 'dst'), ':0\r\n');
    assert.equal(await c.call('ZRANGESTORE', 'dst', 'z', '0', '-1', 'WITHSCORES'), SYNTAX);
  });

  it('ZREMRANGEBYRANK, ZREMRANGEBYSCORE, ZREMRANGEBYLEX', async ({ connection: c }) => {
    await c.call('ZADD', 'z', '1', 'a', '2', 'b', '3', 'c', '4', 'd', '5', 'e');
    assert.equal(await c.call('ZREMRANGEBYRANK', 'z', '0', '1'), ':2\r\n');
    assert.equal(await c.call('ZREMRANGEBYRANK', 'z', '5', '10'), ':0\r\n');
    assert.equal(await c.call('ZREMRANGEBYRANK', 'z', 'x', '1'), NOT_INTEGER);
    assert.equal(await c.call('ZREMRANGEBYSCORE', 'z', '(3', '4'), ':1\r\n');
    assert.equal(await c.call('ZREMRANGEBYSCORE', 'z', 'x', '4'), RANGE_NOT_FLOAT);
    assert.equal(await c.call('ZRANGE', 'z', '0', '-1'), bulks('c', 'e'));
    assert.equal(await c.call('ZREMRANGEBYRANK', 'z', '-1', '-1'), ':1\r\n');
    assert.equal(await c.call('ZREMRANGEBYSCORE', 'z', '-inf', '+inf'), ':1\r\n');
    assert.equal(await c.call('EXISTS', 'z'), ':0\r\n');
    await c.call('ZADD', 'l', '0', 'a', '0', 'b', '0', 'c');
    assert.equal(await c.call('ZREMRANGEBYLEX', 'l', '(a', '+'), ':2\r\n');
    assert.equal(await c.call('ZREMRANGEBYLEX', 'l', 'a', '+'), BAD_LEX);
    assert.equal(await c.call('ZREMRANGEBYLEX', 'missing', '-', '+'), ':0\r\n');
  });

  it('ZPOPMIN, ZPOPMAX with and without COUNT', async ({ connection: c }) => {
    await c.call('ZADD', 'z', '1', 'a', '2', 'b', '3', 'c');
    assert.equal(await c.call('ZPOPMIN', 'z'), bulks('a', '1'));
    assert.equal(await c.call('ZPOPMAX', 'z', '5'), bulks('c', '3', 'b', '2'));
    assert.equal(await c.call('EXISTS', 'z'), ':0\r\n');
    assert.equal(await c.call('ZPOPMIN', 'z'), '*0\r\n');
    await c.call('ZADD', 'z', '1', 'a');
    assert.equal(await c.call('ZPOPMIN', 'z', '0'), '*0\r\n');
    assert.equal(await c.call('ZPOPMIN', 'z', '-1'), '-ERR value is out of range, must be positive\r\n');
    assert.equal(await c.call('ZPOPMIN', 'z', 'x'), '-ERR value is out of range, must be positive\r\n');
    assert.equal(await c.call('ZPOPMIN', 'z', '1', '2'), SYNTAX);
    assert.equal(await c.call('SET', 's', 'x'), '+OK\r\n');
    assert.equal(await c.call('ZPOPMAX', 's'), WRONG_TYPE);
  });

  it('ZMPOP', async ({ connection: c }) => {
    await c.call('ZADD', 'z2', '1', 'a', '2', 'b', '3', 'c');
    assert.equal(
      await c.call('ZMPOP', '2', 'z1', 'z2', 'MIN'),
      '*2\r\n$2\r\nz2\r\n*1\r\n*2\r\n$1\r\na\r\n$1\r\n1\r\n',
    );
    assert.equal(
      await c.call('ZMPOP', '1', 'z2', 'MAX', 'COUNT', '10'),
      '*2\r\n$2\r\nz2\r\n*2\r\n*2\r\n$1\r\nc\r\n$1\r\n3\r\n*2\r\n$1\r\nb\r\n$1\r\n2\r\n',
    );
    assert.equal(await c.call('ZMPOP', '1', 'z2', 'MIN'), '*-1\r\n');
    assert.equal(await c.call('ZMPOP', '0', 'z2', 'MIN'), '-ERR numkeys should be greater than 0\r\n');
    assert.equal(await c.call('ZMPOP', 'x', 'z2', 'MIN'), '-ERR numkeys should be greater than 0\r\n');
    assert.equal(await c.call('ZMPOP', '2', 'z2', 'MIN'), SYNTAX);
    assert.equal(await c.call('ZMPOP', '1', 'z2', 'LEFT'), SYNTAX);
    assert.equal(
      await c.call('ZMPOP', '1', 'z2', 'MIN', 'COUNT', '0'),
      '-ERR count should be greater than 0\r\n',
    );
    assert.equal(await c.call('ZMPOP', '1', 'z2', 'MIN', 'COUNT', '1', 'COUNT', '1'), SYNTAX);
    assert.equal(await c.call('SET', 's', 'x'), '+OK\r\n');
    assert.equal(await c.call('ZMPOP', '2', 'missing', 's', 'MIN'), WRONG_TYPE);
  });

  it('BZPOPMIN, BZPOPMAX, BZMPOP serve, block, wake and time out', async ({ connection: c, connect }) => {
    await c.call('ZADD', 'z', '1', 'a', '2', 'b');
    assert.equal(await c.call('BZPOPMIN', 'missing', 'z', '0'), bulks('z', 'a', '1'));
    assert.equal(await c.call('BZPOPMAX', 'z', '0'), bulks('z', 'b', '2'));
    assert.equal(await c.call('BZPOPMIN', 'z', '0.05'), '*-1\r\n');
    assert.equal(await c.call('BZMPOP', '0.05', '1', 'z', 'MIN'), '*-1\r\n');
    assert.equal(await c.call('BZPOPMIN', 'z', '-1'), '-ERR timeout is negative\r\n');
    assert.equal(await c.call('BZPOPMIN', 'z', 'x'), '-ERR timeout is not a float or out of range\r\n');
    assert.equal(
      await c.call('BZMPOP', 'x', '1', 'z', 'MIN'),
      '-ERR timeout is not a float or out of range\r\n',
    );
    assert.equal(await c.call('BZMPOP', '0', '1', 'z', 'UP'), SYNTAX);
    assert.equal(await c.call('SET', 's', 'x'), '+OK\r\n');
    assert.equal(await c.call('BZPOPMIN', 's', '0'), WRONG_TYPE);
    const other = await connect();
    c.send('BZPOPMAX', 'w1', 'w2', '0');
    await pause(50);
    assert.equal(await other.call('ZADD', 'w2', '5', 'x', '6', 'y'), ':2\r\n');
    assert.equal((await c.reply()).raw, bulks('w2', 'y', '6'));
    c.send('BZMPOP', '0', '2', 'q1', 'q2', 'MAX', 'COUNT', '2');
    await pause(50);
    assert.equal(await other.call('ZADD', 'q1', '1', 'a', '2', 'b', '3', 'c'), ':3\r\n');
    assert.equal(
      (await c.reply()).raw,
      '*2\r\n$2\r\nq1\r\n*2\r\n*2\r\n$1\r\nc\r\n$1\r\n3\r\n*2\r\n$1\r\nb\r\n$1\r\n2\r\n',
    );
    // A store into a waited-on key wakes the client too.
    c.send('BZPOPMIN', 'u', '0');
    await pause(50);
    assert.equal(await other.call('ZUNIONSTORE', 'u', '1', 'q1'), ':1\r\n');
    assert.equal((await c.reply()).raw, bulks('u', 'a', '1'));
    c.send('BZPOPMIN', 'u', '0');
    await pause(50);
    assert.equal(await other.call('ZINCRBY', 'u', '7', 'k'), '$1\r\n7\r\n');
    assert.equal((await c.reply()).raw, bulks('u', 'k', '7'));
  });

  it('ZRANDMEMBER', async ({ connection: c }) => {
    assert.equal(await c.call('ZRANDMEMBER', 'missing'), '$-1\r\n');
    assert.equal(await c.call('ZRANDMEMBER', 'missing', '3'), '*0\r\n');
    await c.call('ZADD', 'z', '1', 'a', '2', 'b', '3', 'c', '4', 'd', '5', 'e');
    assert.match(await c.call('ZRANDMEMBER', 'z'), /^\$1\r\n[a-e]\r\n$/);
    assert.equal(await c.call('ZRANDMEMBER', 'z', '0'), '*0\r\n');
    assert.equal(
      await c.call('ZRANDMEMBER', 'z', '10', 'WITHSCORES'),
      bulks('e', '5', 'd', '4', 'c', '3', 'b', '2', 'a', '1'),
    );
    for (const count of ['1', '2', '3', '4']) {
      const distinct = (await c.value('ZRANDMEMBER', 'z', count)) as unknown as Buffer[];
      assert.equal(distinct.length, Number(count));
      assert.equal(new Set(distinct.map(String)).size, Number(count));
    }
    const four = (await c.value('ZRANDMEMBER', 'z', '4', 'WITHSCORES')) as unknown as Buffer[];
    assert.equal(four.length, 8);
    for (let i = 0; i < 8; i += 2) {
      assert.equal(String(four[i + 1]), String(String(four[i]).charCodeAt(0) - 96));
    }
    const repeated = (await c.value('ZRANDMEMBER', 'z', '-20')) as unknown as Buffer[];
    assert.equal(repeated.length, 20);
    for (const member of repeated) assert.match(String(member), /^[a-e]$/);
    const pairs = (await c.value('ZRANDMEMBER', 'z', '-3', 'WITHSCORES')) as unknown as Buffer[];
    assert.equal(pairs.length, 6);
    assert.equal(await c.call('ZRANDMEMBER', 'z', 'x'), NOT_INTEGER);
    assert.equal(await c.call('ZRANDMEMBER', 'z', '1', 'bogus'), SYNTAX);
    assert.equal(await c.call('ZRANDMEMBER', 'z', '1', 'WITHSCORES', 'x'), SYNTAX);
    assert.equal(
      await c.call('ZRANDMEMBER', 'z', '9223372036854775807', 'WITHSCORES'),
      '-ERR value is out of range\r\n',
    );
    assert.equal(
      await c.call('ZRANDMEMBER', 'z', '-9223372036854775808'),
      '-ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807\r\n',
    );
  });

  it('ZUNION, ZINTER, ZDIFF with WEIGHTS, AGGREGATE and WITHSCORES', async ({ connection: c }) => {
    await c.call('ZADD', 'a', '1', 'x', '2', 'y', '3', 'z');
    await c.call('ZADD', 'b', '10', 'y', '20', 'z', '30', 'w');
    assert.equal(await c.call('ZUNION', '2', 'a', 'b'), bulks('x', 'y', 'z', 'w'));
    assert.equal(
      await c.call('ZUNION', '2', 'a', 'b', 'WITHSCORES'),
      bulks('x', '1', 'y', '12', 'z', '23', 'w', '30'),
    );
    assert.equal(
      await c.call('ZUNION', '2', 'a', 'b', 'WEIGHTS', '2', '0.5', 'AGGREGATE', 'MAX', 'WITHSCORES'),
      bulks('x', '2', 'y', '5', 'z', '10', 'w', '15'),
    );
    assert.equal(
      await c.call('ZINTER', '2', 'a', 'b', 'AGGREGATE', 'MIN', 'WITHSCORES'),
      bulks('y', '2', 'z', '3'),
    );
    assert.equal(await c.call('ZINTER', '3', 'a', 'b', 'missing'), '*0\r\n');
    assert.equal(await c.call('ZDIFF', '2', 'a', 'b', 'WITHSCORES'), bulks('x', '1'));
    assert.equal(await c.call('ZDIFF', '2', 'missing', 'b'), '*0\r\n');
    assert.equal(await c.call('ZDIFF', '1', 'a', 'WEIGHTS', '1'), SYNTAX);
    assert.equal(
      await c.call('ZUNION', '0', 'a'),
      "-ERR at least 1 input key is needed for 'zunion' command\r\n",
    );
    assert.equal(await c.call('ZUNION', 'x', 'a'), NOT_INTEGER);
    assert.equal(await c.call('ZUNION', '3', 'a', 'b'), SYNTAX);
    assert.equal(await c.call('ZUNION', '2', 'a', 'b', 'WEIGHTS', '1'), SYNTAX);
    assert.equal(
      await c.call('ZUNION', '2', 'a', 'b', 'WEIGHTS', '1', 'x'),
      '-ERR weight value is not a float\r\n',
    );
    assert.equal(await c.call('ZUNION', '2', 'a', 'b', 'AGGREGATE', 'AVG'), SYNTAX);
    assert.equal(await c.call('ZADD', 'inf', 'inf', 'x'), ':1\r\n');
    assert.equal(await c.call('ZADD', 'ninf', '-inf', 'x'), ':1\r\n');
    assert.equal(await c.call('ZUNION', '2', 'inf', 'ninf', 'WITHSCORES'), bulks('x', '0'));
    assert.equal(await c.call('ZUNION', '1', 'inf', 'WEIGHTS', '0', 'WITHSCORES'), bulks('x', '0'));
    assert.equal(await c.call('SET', 's', 'x'), '+OK\r\n');
    assert.equal(await c.call('ZUNION', '2', 'a', 's'), WRONG_TYPE);
  });

  it('ZUNIONSTORE, ZINTERSTORE, ZDIFFSTORE, ZINTERCARD', async ({ connection: c }) => {
    await c.call('ZADD', 'a', '1', 'x', '2', 'y', '3', 'z');
    await c.call('ZADD', 'b', '10', 'y', '20', 'z', '30', 'w');
    assert.equal(await c.call('ZUNIONSTORE', 'd', '2', 'a', 'b'), ':4\r\n');
    assert.equal(
      await c.call('ZRANGE', 'd', '0', '-1', 'WITHSCORES'),
      bulks('x', '1', 'y', '12', 'z', '23', 'w', '30'),
    );
    assert.equal(await c.call('ZINTERSTORE', 'd', '2', 'a', 'b', 'WEIGHTS', '1', '-1'), ':2\r\n');
    assert.equal(await c.call('ZRANGE', 'd', '0', '-1', 'WITHSCORES'), bulks('z', '-17', 'y', '-8'));
    assert.equal(await c.call('ZDIFFSTORE', 'd', '2', 'b', 'a'), ':1\r\n');
    assert.equal(await c.call('ZRANGE', 'd', '0', '-1', 'WITHSCORES'), bulks('w', '30'));
    assert.equal(await c.call('ZINTERSTORE', 'd', '2', 'a', 'missing'), ':0\r\n');
    assert.equal(await c.call('EXISTS', 'd'), ':0\r\n');
    assert.equal(await c.call('ZUNIONSTORE', 'a', '2', 'a', 'b'), ':4\r\n');
    assert.equal(await c.call('ZUNIONSTORE', 'd', '1', 'a', 'WITHSCORES'), SYNTAX);
    assert.equal(
      await c.call('ZUNIONSTORE', 'd', '0', 'a'),
      "-ERR at least 1 input key is needed for 'zunionstore' command\r\n",
    );
    assert.equal(await c.call('ZINTERCARD', '2', 'a', 'b'), ':3\r\n');
    assert.equal(await c.call('ZINTERCARD', '2', 'a', 'b', 'LIMIT', '2'), ':2\r\n');
    assert.equal(await c.call('ZINTERCARD', '2', 'a', 'b', 'LIMIT', '0'), ':3\r\n');
    assert.equal(
      await c.call('ZINTERCARD', '2', 'a', 'b', 'LIMIT', '-1'),
      "-ERR LIMIT can't be negative\r\n",
    );
    assert.equal(await c.call('ZINTERCARD', '2', 'a', 'b', 'WITHSCORES'), SYNTAX);
    assert.equal(
      await c.call('ZINTERCARD', '0', 'a'),
      "-ERR at least 1 input key is needed for 'zintercard' command\r\n",
    );
  });

  it('ZSCAN over small and large sets, MATCH and COUNT', async ({ connection: c }) => {
    assert.equal(await c.call('ZSCAN', 'missing', '0'), '*2\r\n$1\r\n0\r\n*0\r\n');
    await c.call('ZADD', 'z', '2', 'b', '1', 'a', '1.5', 'ab');
    assert.equal(
      await c.call('ZSCAN', 'z', '0'),
      '*2\r\n$1\r\n0\r\n*6\r\n$1\r\na\r\n$1\r\n1\r\n$2\r\nab\r\n$3\r\n1.5\r\n$1\r\nb\r\n$1\r\n2\r\n',
    );
    assert.equal(
      await c.call('ZSCAN', 'z', '0', 'MATCH', 'a*', 'COUNT', '1'),
      '*2\r\n$1\r\n0\r\n*4\r\n$1\r\na\r\n$1\r\n1\r\n$2\r\nab\r\n$3\r\n1.5\r\n',
    );
    assert.equal(await c.call('ZSCAN', 'z', 'x'), '-ERR invalid cursor\r\n');
    assert.equal(await c.call('ZSCAN', 'z', '0', 'COUNT', '0'), SYNTAX);
    assert.equal(await c.call('ZSCAN', 'z', '0', 'COUNT', 'x'), NOT_INTEGER);
    assert.equal(await c.call('ZSCAN', 'z', '0', 'BOGUS', 'x'), SYNTAX);
    const args: string[] = [];
    for (let i = 0; i < 300; i++) args.push(String(i), `m${i}`);
    assert.equal(await c.call('ZADD', 'big', ...args), ':300\r\n');
    const seen = new Map<string, string>();
    let cursor = '0';
    let rounds = 0;
    do {
      const reply = (await c.value('ZSCAN', 'big', cursor, 'COUNT', '50')) as unknown as [Buffer, Buffer[]];
      cursor = String(reply[0]);
      const items = reply[1];
      for (let i = 0; i < items.length; i += 2) seen.set(String(items[i]), String(items[i + 1]));
      rounds++;
    } while (cursor !== '0' && rounds < 1000);
    assert.equal(seen.size, 300);
    assert.equal(seen.get('m42'), '42');
  });

  it('RESP3 shapes: doubles, nested WITHSCORES pairs, nulls', async ({ connection: c }) => {
    await c.call('HELLO', '3');
    await c.call('ZADD', 'z', '1', 'a', '2.5', 'b');
    assert.equal(await c.call('ZSCORE', 'z', 'b'), ',2.5\r\n');
    assert.equal(await c.call('ZSCORE', 'z', 'x'), '_\r\n');
    assert.equal(await c.call('ZINCRBY', 'z', '1', 'a'), ',2\r\n');
    assert.equal(await c.call('ZMSCORE', 'z', 'a', 'x'), '*2\r\n,2\r\n_\r\n');
    assert.equal(await c.call('ZRANK', 'z', 'x'), '_\r\n');
    const pairs = '*2\r\n*2\r\n$1\r\na\r\n,2\r\n*2\r\n$1\r\nb\r\n,2.5\r\n';
    assert.equal(await c.call('ZRANGE', 'z', '0', '-1', 'WITHSCORES'), pairs);
    assert.equal(
      await c.call('ZRANGEBYSCORE', 'z', '-inf', '+inf', 'WITHSCORES', 'LIMIT', '0', '1'),
      '*1\r\n*2\r\n$1\r\na\r\n,2\r\n',
    );
    assert.equal(await c.call('ZUNION', '1', 'z', 'WITHSCORES'), pairs);
    assert.equal(
      await c.call('ZRANDMEMBER', 'z', '5', 'WITHSCORES'),
      '*2\r\n*2\r\n$1\r\nb\r\n,2.5\r\n*2\r\n$1\r\na\r\n,2\r\n',
    );
    assert.equal(
      await c.call('ZSCAN', 'z', '0'),
      '*2\r\n$1\r\n0\r\n*4\r\n$1\r\na\r\n$1\r\n2\r\n$1\r\nb\r\n$3\r\n2.5\r\n',
    );
    assert.equal(await c.call('ZPOPMIN', 'z'), '*2\r\n$1\r\na\r\n,2\r\n');
    await c.call('ZADD', 'z', '1', 'a');
    assert.equal(await c.call('ZPOPMIN', 'z', '1'), '*1\r\n*2\r\n$1\r\na\r\n,1\r\n');
    assert.equal(await c.call('ZMPOP', '1', 'z', 'MAX'), '*2\r\n$1\r\nz\r\n*1\r\n*2\r\n$1\r\nb\r\n,2.5\r\n');
    assert.equal(await c.call('ZMPOP', '1', 'z', 'MAX'), '_\r\n');
    assert.equal(await c.call('BZPOPMIN', 'z', '0.01'), '_\r\n');
    assert.equal(await c.call('ZRANDMEMBER', 'z'), '_\r\n');
  });

  it('binary members and large sets keep order by score then bytes', async ({ connection: c }) => {
    const members = ['\u00ff', '\u0000', 'a', 'A', '\u0080x', ''];
    const args: Buffer[] = [];
    for (const member of members) args.push(Buffer.from('0'), Buffer.from(member, 'latin1'));
    assert.equal(await c.call('ZADD', 'bin', ...args), ':6\r\n');
    assert.equal(
      await c.call('ZRANGE', 'bin', '0', '-1'),
      bulks('', '\u0000', 'A', 'a', '\u0080x', '\u00ff'),
    );
    assert.equal(
      await c.call('ZRANGEBYLEX', 'bin', '(A', Buffer.from('[\u0080x', 'latin1')),
      bulks('a', '\u0080x'),
    );
    const big: string[] = [];
    for (let i = 0; i < 500; i++) big.push(String(i % 50), `m${String(i).padStart(3, '0')}`);
    assert.equal(await c.call('ZADD', 'big', ...big), ':500\r\n');
    assert.equal(await c.call('ZRANK', 'big', 'm050'), ':1\r\n');
    assert.equal(await c.call('ZCOUNT', 'big', '10', '(20'), ':100\r\n');
    assert.equal(await c.call('ZRANGE', 'big', '10', '11'), bulks('m001', 'm051'));
    assert.equal(
      await c.call('ZRANGEBYSCORE', 'big', '49', '+inf', 'LIMIT', '8', '5'),
      bulks('m449', 'm499'),
    );
    assert.equal(await c.call('ZREMRANGEBYSCORE', 'big', '0', '(49'), ':490\r\n');
    assert.equal(await c.call('ZCARD', 'big'), ':10\r\n');
  });
});
