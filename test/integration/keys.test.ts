import assert from 'node:assert/strict';
import { conformanceSuite } from '../helpers/conformance.ts';
import type { RawConnection } from '../helpers/raw-connection.ts';

/** Every key of the selected database through a complete SCAN with the given options. */
async function scanAll(c: RawConnection, ...options: string[]): Promise<string[]> {
  const keys: string[] = [];
  let cursor = '0';
  for (let rounds = 0; rounds < 10000; rounds++) {
    const reply = (await c.value('SCAN', cursor, ...options)) as unknown as [string, string[]];
    cursor = String(reply[0]);
    for (const key of reply[1]) keys.push(String(key));
    if (cursor === '0') return keys.sort();
  }
  throw new Error('SCAN did not finish');
}

conformanceSuite('keys', (it) => {
  it('RENAME keeps the value and TTL; errors and same-name rename', async ({ connection: c }) => {
    assert.equal(await c.call('RENAME', 'missing', 'b'), '-ERR no such key\r\n');
    assert.equal(await c.call('RENAME', 'missing', 'missing'), '-ERR no such key\r\n');
    assert.equal(await c.call('SET', 'a', 'hello', 'EX', '100'), '+OK\r\n');
    assert.equal(await c.call('RENAME', 'a', 'a'), '+OK\r\n');
    assert.equal(await c.call('TTL', 'a'), ':100\r\n');
    assert.equal(await c.call('SET', 'b', 'old'), '+OK\r\n');
    assert.equal(await c.call('RENAME', 'a', 'b'), '+OK\r\n');
    assert.equal(await c.call('EXISTS', 'a'), ':0\r\n');
    assert.equal(await c.call('GET', 'b'), '$5\r\nhello\r\n');
    assert.equal(await c.call('TTL', 'b'), ':100\r\n');
    assert.equal(await c.call('SET', 'c', '1'), '+OK\r\n');
    assert.equal(await c.call('RENAME', 'c', 'b'), '+OK\r\n');
    assert.equal(await c.call('TTL', 'b'), ':-1\r\n');
    assert.equal(await c.call('DBSIZE'), ':1\r\n');
    assert.equal(await c.call('RENAME', 'b'), "-ERR wrong number of arguments for 'rename' command\r\n");
  });

  it('RENAMENX', async ({ connection: c }) => {
    assert.equal(await c.call('RENAMENX', 'missing', 'b'), '-ERR no such key\r\n');
    assert.equal(await c.call('SET', 'a', '1'), '+OK\r\n');
    assert.equal(await c.call('RENAMENX', 'a', 'a'), ':0\r\n');
    assert.equal(await c.call('SET', 'b', '2'), '+OK\r\n');
    assert.equal(await c.call('RENAMENX', 'a', 'b'), ':0\r\n');
    assert.equal(await c.call('GET', 'b'), '$1\r\n2\r\n');
    assert.equal(await c.call('RENAMENX', 'a', 'c'), ':1\r\n');
    assert.equal(await c.call('MGET', 'a', 'c'), '*2\r\n$-1\r\n$1\r\n1\r\n');
  });

  it('RENAME of an expired key is a missing key', async ({ connection: c }) => {
    assert.equal(await c.call('SET', 'a', '1', 'PX', '1'), '+OK\r\n');
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.equal(await c.call('RENAME', 'a', 'b'), '-ERR no such key\r\n');
  });

  it('MOVE between databases and its errors', async ({ connection: c }) => {
    assert.equal(await c.call('SET', 'a', 'v', 'EX', '100'), '+OK\r\n');
    assert.equal(await c.call('MOVE', 'a', '0'), '-ERR source and destination objects are the same\r\n');
    assert.equal(await c.call('MOVE', 'a', '16'), '-ERR DB index is out of range\r\n');
    assert.equal(await c.call('MOVE', 'a', '-1'), '-ERR DB index is out of range\r\n');
    assert.equal(await c.call('MOVE', 'a', 'x'), '-ERR value is not an integer or out of range\r\n');
    assert.equal(
      await c.call('MOVE', 'a', '99999999999'),
      '-ERR value is out of range, value must between -2147483648 and 2147483647\r\n',
    );
    assert.equal(await c.call('MOVE', 'missing', '1'), ':0\r\n');
    assert.equal(await c.call('MOVE', 'a', '1'), ':1\r\n');
    assert.equal(await c.call('EXISTS', 'a'), ':0\r\n');
    assert.equal(await c.call('SELECT', '1'), '+OK\r\n');
    assert.equal(await c.call('GET', 'a'), '$1\r\nv\r\n');
    assert.equal(await c.call('TTL', 'a'), ':100\r\n');
    assert.equal(await c.call('SET', 'b', 'one'), '+OK\r\n');
    assert.equal(await c.call('SELECT', '0'), '+OK\r\n');
    assert.equal(await c.call('SET', 'b', 'zero'), '+OK\r\n');
    assert.equal(await c.call('MOVE', 'b', '1'), ':0\r\n');
    assert.equal(await c.call('GET', 'b'), '$4\r\nzero\r\n');
  });

  it('COPY with DB and REPLACE; errors', async ({ connection: c }) => {
    assert.equal(await c.call('SET', 'a', 'v', 'EX', '100'), '+OK\r\n');
    assert.equal(await c.call('COPY', 'a', 'a'), '-ERR source and destination objects are the same\r\n');
    assert.equal(await c.call('COPY', 'a', 'b', 'DB', '99'), '-ERR DB index is out of range\r\n');
    assert.equal(
      await c.call('COPY', 'a', 'b', 'DB', 'x'),
      '-ERR value is not an integer or out of range\r\n',
    );
    assert.equal(await c.call('COPY', 'a', 'b', 'foo'), '-ERR syntax error\r\n');
    assert.equal(await c.call('COPY', 'a', 'b', 'DB'), '-ERR syntax error\r\n');
    assert.equal(await c.call('COPY', 'missing', 'b'), ':0\r\n');
    assert.equal(await c.call('COPY', 'a', 'b'), ':1\r\n');
    assert.equal(await c.call('GET', 'b'), '$1\r\nv\r\n');
    assert.equal(await c.call('TTL', 'b'), ':100\r\n');
    assert.equal(await c.call('SET', 'a', 'w'), '+OK\r\n');
    assert.equal(await c.call('COPY', 'a', 'b'), ':0\r\n');
    assert.equal(await c.call('COPY', 'a', 'b', 'REPLACE'), ':1\r\n');
    assert.equal(await c.call('GET', 'b'), '$1\r\nw\r\n');
    assert.equal(await c.call('TTL', 'b'), ':-1\r\n');
    assert.equal(await c.call('COPY', 'a', 'a', 'DB', '2'), ':1\r\n');
    assert.equal(await c.call('COPY', 'a', 'a', 'db', '2', 'replace'), ':1\r\n');
    assert.equal(await c.call('SELECT', '2'), '+OK\r\n');
    assert.equal(await c.call('GET', 'a'), '$1\r\nw\r\n');
  });

  it('SWAPDB exchanges whole databases; errors', async ({ connection: c, connect }) => {
    assert.equal(await c.call('SET', 'zero', '0'), '+OK\r\n');
    assert.equal(await c.call('SELECT', '1'), '+OK\r\n');
    assert.equal(await c.call('SET', 'one', '1', 'EX', '100'), '+OK\r\n');
    const other = await connect();
    assert.equal(await c.call('SWAPDB', '0', '1'), '+OK\r\n');
    assert.equal(await c.call('GET', 'zero'), '$1\r\n0\r\n');
    assert.equal(await c.call('EXISTS', 'one'), ':0\r\n');
    assert.equal(await other.call('GET', 'one'), '$1\r\n1\r\n');
    assert.equal(await other.call('TTL', 'one'), ':100\r\n');
    assert.equal(await c.call('SWAPDB', '1', '1'), '+OK\r\n');
    assert.equal(await c.call('SWAPDB', '0', 'x'), '-ERR invalid second DB index\r\n');
    assert.equal(await c.call('SWAPDB', 'x', '0'), '-ERR invalid first DB index\r\n');
    assert.equal(await c.call('SWAPDB', '0', '16'), '-ERR DB index is out of range\r\n');
    assert.equal(await c.call('SWAPDB', '-1', '0'), '-ERR DB index is out of range\r\n');
    assert.equal(await c.call('SWAPDB', '0'), "-ERR wrong number of arguments for 'swapdb' command\r\n");
  });

  it('SCAN returns every key once over a full iteration, with MATCH, COUNT and TYPE', async ({
    connection: c,
  }) => {
    const expected: string[] = [];
    for (let i = 0; i < 300; i++) {
      const key = `key:${i}`;
      expected.push(key);
      assert.equal(await c.call('SET', key, String(i)), '+OK\r\n');
    }
    expected.sort();
    assert.deepEqual(await scanAll(c), expected);
    assert.deepEqual(await scanAll(c, 'COUNT', '7'), expected);
    assert.deepEqual(await scanAll(c, 'COUNT', '1000'), expected);
    assert.deepEqual(await scanAll(c, 'MATCH', 'key:1?'), [
      'key:10',
      'key:11',
      'key:12',
      'key:13',
      'key:14',
      'key:15',
      'key:16',
      'key:17',
      'key:18',
      'key:19',
    ]);
    assert.deepEqual(await scanAll(c, 'MATCH', '*', 'TYPE', 'string', 'COUNT', '50'), expected);
    assert.deepEqual(await scanAll(c, 'TYPE', 'STRING', 'MATCH', 'key:299'), ['key:299']);
    assert.deepEqual(await scanAll(c, 'TYPE', 'list'), []);
    assert.deepEqual(await scanAll(c, 'TYPE', 'nosuchtype'), []);
  });

  it('SCAN skips expired keys; empty database', async ({ connection: c }) => {
    assert.equal(await c.call('SCAN', '0'), '*2\r\n$1\r\n0\r\n*0\r\n');
    assert.equal(await c.call('SET', 'a', '1', 'PX', '1'), '+OK\r\n');
    assert.equal(await c.call('SET', 'b', '1'), '+OK\r\n');
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.deepEqual(await scanAll(c), ['b']);
  });

  it('SCAN argument errors', async ({ connection: c }) => {
    assert.equal(await c.call('SCAN', 'x'), '-ERR invalid cursor\r\n');
    assert.equal(await c.call('SCAN', '18446744073709551616'), '-ERR invalid cursor\r\n');
    assert.equal(await c.call('SCAN', '1.5'), '-ERR invalid cursor\r\n');
    assert.equal(await c.call('SCAN', '0', 'COUNT', '0'), '-ERR syntax error\r\n');
    assert.equal(await c.call('SCAN', '0', 'COUNT', '-1'), '-ERR syntax error\r\n');
    assert.equal(await c.call('SCAN', '0', 'COUNT', 'x'), '-ERR value is not an integer or out of range\r\n');
    assert.equal(await c.call('SCAN', '0', 'COUNT'), '-ERR syntax error\r\n');
    assert.equal(await c.call('SCAN', '0', 'MATCH'), '-ERR syntax error\r\n');
    assert.equal(await c.call('SCAN', '0', 'TYPE'), '-ERR syntax error\r\n');
    assert.equal(await c.call('SCAN', '0', 'foo', 'bar'), '-ERR syntax error\r\n');
    assert.equal(await c.call('SCAN'), "-ERR wrong number of arguments for 'scan' command\r\n");
  });

  it('OBJECT ENCODING of strings: int, embstr, raw', async ({ connection: c }) => {
    assert.equal(await c.call('OBJECT', 'ENCODING', 'missing'), '$-1\r\n');
    const cases: Array<[string, string]> = [
      ['1', 'int'],
      ['-42', 'int'],
      ['0', 'int'],
      ['9223372036854775807', 'int'],
      ['-9223372036854775808', 'int'],
      ['9223372036854775808', 'embstr'],
      ['-0', 'embstr'],
      ['01', 'embstr'],
      ['1.5', 'embstr'],
      ['hello', 'embstr'],
      ['x'.repeat(44), 'embstr'],
      ['x'.repeat(45), 'raw'],
    ];
    for (const [value, encoding] of cases) {
      assert.equal(await c.call('SET', 'k', value), '+OK\r\n');
      assert.equal(await c.call('OBJECT', 'ENCODING', 'k'), `$${encoding.length}\r\n${encoding}\r\n`, value);
    }
    assert.equal(
      await c.call('OBJECT', 'encoding'),
      "-ERR wrong number of arguments for 'object|encoding' command\r\n",
    );
  });

  it('OBJECT REFCOUNT, IDLETIME, FREQ, HELP and unknown subcommands', async ({ connection: c }) => {
    assert.equal(await c.call('OBJECT', 'REFCOUNT', 'missing'), '$-1\r\n');
    assert.equal(await c.call('OBJECT', 'IDLETIME', 'missing'), '$-1\r\n');
    assert.equal(await c.call('OBJECT', 'FREQ', 'missing'), '$-1\r\n');
    assert.equal(await c.call('SET', 'small', '100'), '+OK\r\n');
    assert.equal(await c.call('SET', 'big', '10000'), '+OK\r\n');
    assert.equal(await c.call('SET', 'text', 'abc'), '+OK\r\n');
    assert.equal(await c.call('OBJECT', 'REFCOUNT', 'small'), ':2147483647\r\n');
    assert.equal(await c.call('OBJECT', 'REFCOUNT', 'big'), ':1\r\n');
    assert.equal(await c.call('OBJECT', 'REFCOUNT', 'text'), ':1\r\n');
    assert.equal(await c.call('OBJECT', 'IDLETIME', 'text'), ':0\r\n');
    assert.equal(
      await c.call('OBJECT', 'FREQ', 'text'),
      '-ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.\r\n',
    );
    assert.equal(
      await c.call('OBJECT', 'FOO', 'text'),
      "-ERR unknown subcommand 'FOO'. Try OBJECT HELP.\r\n",
    );
    const help = await c.call('OBJECT', 'HELP');
    assert.ok(help.startsWith('*15\r\n+OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:\r\n'));
    assert.ok(help.endsWith('+HELP\r\n+    Prints this help.\r\n'));
    assert.equal(await c.call('OBJECT'), "-ERR wrong number of arguments for 'object' command\r\n");
  });

  it('OBJECT IDLETIME grows while a key is not accessed', async ({ connection: c }) => {
    assert.equal(await c.call('SET', 'k', 'v'), '+OK\r\n');
    await new Promise((resolve) => setTimeout(resolve, 2100));
    assert.match(await c.call('OBJECT', 'IDLETIME', 'k'), /^:[23]\r\n$/);
    assert.equal(await c.call('GET', 'k'), '$1\r\nv\r\n');
    assert.equal(await c.call('OBJECT', 'IDLETIME', 'k'), ':0\r\n');
  });

  it('SORT numeric and ALPHA, ASC/DESC, LIMIT', async ({ connection: c }) => {
    assert.equal(await c.call('RPUSH', 'l', '3', '1', '2', '10', '-1.5'), ':5\r\n');
    assert.equal(
      await c.call('SORT', 'l'),
      '*5\r\n$4\r\n-1.5\r\n$1\r\n1\r\n$1\r\n2\r\n$1\r\n3\r\n$2\r\n10\r\n',
    );
    assert.equal(
      await c.call('SORT', 'l', 'DESC'),
      '*5\r\n$2\r\n10\r\n$1\r\n3\r\n$1\r\n2\r\n$1\r\n1\r\n$4\r\n-1.5\r\n',
    );
    assert.equal(
      await c.call('SORT', 'l', 'ALPHA'),
      '*5\r\n$4\r\n-1.5\r\n$1\r\n1\r\n$2\r\n10\r\n$1\r\n2\r\n$1\r\n3\r\n',
    );
    assert.equal(
      await c.call('SORT', 'l', 'alpha', 'desc', 'asc'),
      '*5\r\n$4\r\n-1.5\r\n$1\r\n1\r\n$2\r\n10\r\n$1\r\n2\r\n$1\r\n3\r\n',
    );
    assert.equal(await c.call('SORT', 'l', 'LIMIT', '1', '2'), '*2\r\n$1\r\n1\r\n$1\r\n2\r\n');
    assert.equal(await c.call('SORT', 'l', 'LIMIT', '-5', '2'), '*2\r\n$4\r\n-1.5\r\n$1\r\n1\r\n');
    assert.equal(await c.call('SORT', 'l', 'LIMIT', '3', '-1'), '*2\r\n$1\r\n3\r\n$2\r\n10\r\n');
    assert.equal(await c.call('SORT', 'l', 'LIMIT', '10', '2'), '*0\r\n');
    assert.equal(await c.call('SORT', 'l', 'LIMIT', '0', '0'), '*0\r\n');
    assert.equal(await c.call('SORT', 'l', 'LIMIT', '4', '100', 'DESC'), '*1\r\n$4\r\n-1.5\r\n');
    assert.equal(await c.call('SORT', 'missing'), '*0\r\n');
    assert.equal(await c.call('RPUSH', 'ties', '1.0', '1', '01', ''), ':4\r\n');
    assert.equal(await c.call('SORT', 'ties'), '*4\r\n$0\r\n\r\n$2\r\n01\r\n$1\r\n1\r\n$3\r\n1.0\r\n');
  });

  it('SORT errors: syntax, LIMIT, WRONGTYPE, non-numeric scores, SORT_RO STORE', async ({
    connection: c,
  }) => {
    assert.equal(await c.call('RPUSH', 'l', '1', 'a'), ':2\r\n');
    assert.equal(await c.call('SORT', 'l'), "-ERR One or more scores can't be converted into double\r\n");
    assert.equal(await c.call('SORT', 'l', 'ALPHA'), '*2\r\n$1\r\n1\r\n$1\r\na\r\n');
    assert.equal(await c.call('SORT', 'l', 'foo'), '-ERR syntax error\r\n');
    assert.equal(await c.call('SORT', 'l', 'LIMIT', '0'), '-ERR syntax error\r\n');
    assert.equal(
      await c.call('SORT', 'l', 'LIMIT', 'x', '1'),
      '-ERR value is not an integer or out of range\r\n',
    );
    assert.equal(
      await c.call('SORT', 'l', 'LIMIT', '0', 'x'),
      '-ERR value is not an integer or out of range\r\n',
    );
    assert.equal(await c.call('SORT', 'l', 'BY'), '-ERR syntax error\r\n');
    assert.equal(await c.call('SORT', 'l', 'GET'), '-ERR syntax error\r\n');
    assert.equal(await c.call('SORT', 'l', 'STORE'), '-ERR syntax error\r\n');
    assert.equal(await c.call('SORT_RO', 'l', 'STORE', 'dst'), '-ERR syntax error\r\n');
    assert.equal(await c.call('SORT_RO', 'l', 'ALPHA', 'DESC'), '*2\r\n$1\r\na\r\n$1\r\n1\r\n');
    assert.equal(await c.call('SET', 's', 'x'), '+OK\r\n');
    assert.equal(
      await c.call('SORT', 's'),
      '-WRONGTYPE Operation against a key holding the wrong kind of value\r\n',
    );
    assert.equal(await c.call('SORT', 'missing', 'foo'), '-ERR syntax error\r\n');
    assert.equal(await c.call('RPUSH', 'n', ' 5', '1e3', '0x10', 'inf', '-inf'), ':5\r\n');
    assert.equal(
      await c.call('SORT', 'n'),
      '*5\r\n$4\r\n-inf\r\n$2\r\n 5\r\n$4\r\n0x10\r\n$3\r\n1e3\r\n$3\r\ninf\r\n',
    );
    assert.equal(await c.call('RPUSH', 'bad', '1e400'), ':1\r\n');
    assert.equal(await c.call('SORT', 'bad'), "-ERR One or more scores can't be converted into double\r\n");
    assert.equal(await c.call('SORT'), "-ERR wrong number of arguments for 'sort' command\r\n");
  });

  it('SORT BY weights and nosort, GET patterns with #', async ({ connection: c }) => {
    assert.equal(await c.call('RPUSH', 'l', '3', '1', '2'), ':3\r\n');
    assert.equal(
      await c.call('MSET', 'w_1', '10', 'w_2', '5', 'w_3', '1', 'o_1', 'one', 'o_3', 'three'),
      '+OK\r\n',
    );
    assert.equal(await c.call('SORT', 'l', 'BY', 'w_*'), '*3\r\n$1\r\n3\r\n$1\r\n2\r\n$1\r\n1\r\n');
    assert.equal(await c.call('SORT', 'l', 'BY', 'w_*', 'DESC'), '*3\r\n$1\r\n1\r\n$1\r\n2\r\n$1\r\n3\r\n');
    assert.equal(
      await c.call('SORT', 'l', 'BY', 'w_*', 'GET', '#', 'GET', 'o_*'),
      '*6\r\n$1\r\n3\r\n$5\r\nthree\r\n$1\r\n2\r\n$-1\r\n$1\r\n1\r\n$3\r\none\r\n',
    );
    assert.equal(await c.call('SORT', 'l', 'BY', 'nosort'), '*3\r\n$1\r\n3\r\n$1\r\n1\r\n$1\r\n2\r\n');
    assert.equal(
      await c.call('SORT', 'l', 'BY', 'nosort', 'DESC'),
      '*3\r\n$1\r\n2\r\n$1\r\n1\r\n$1\r\n3\r\n',
    );
    assert.equal(await c.call('SORT', 'l', 'BY', 'nosort', 'LIMIT', '1', '1'), '*1\r\n$1\r\n1\r\n');
    assert.equal(
      await c.call('SORT', 'l', 'BY', 'nosort', 'DESC', 'LIMIT', '1', '5'),
      '*2\r\n$1\r\n1\r\n$1\r\n3\r\n',
    );
    assert.equal(await c.call('SORT', 'l', 'BY', 'nosort', 'GET', 'nostar'), '*3\r\n$-1\r\n$-1\r\n$-1\r\n');
    // Missing weights count as 0; ties fall back to the elements.
    assert.equal(await c.call('SORT', 'l', 'BY', 'missing_*'), '*3\r\n$1\r\n1\r\n$1\r\n2\r\n$1\r\n3\r\n');
    assert.equal(await c.call('SET', 'x_1', 'notanumber'), '+OK\r\n');
    assert.equal(
      await c.call('SORT', 'l', 'BY', 'x_*'),
      "-ERR One or more scores can't be converted into double\r\n",
    );
    assert.equal(await c.call('SORT', 'l', 'BY', 'o_*', 'ALPHA'), '*3\r\n$1\r\n2\r\n$1\r\n1\r\n$1\r\n3\r\n');
    assert.equal(await c.call('SORT', 'l', 'BY', 'w_*', 'GET', 'l'), '*3\r\n$-1\r\n$-1\r\n$-1\r\n');
  });

  it('SORT STORE writes a list, replaces the target, deletes it when empty', async ({ connection: c }) => {
    assert.equal(await c.call('RPUSH', 'l', '3', '1', '2'), ':3\r\n');
    assert.equal(await c.call('SET', 'dst', 'old', 'EX', '100'), '+OK\r\n');
    assert.equal(await c.call('SORT', 'l', 'STORE', 'dst'), ':3\r\n');
    assert.equal(await c.call('TYPE', 'dst'), '+list\r\n');
    assert.equal(await c.call('TTL', 'dst'), ':-1\r\n');
    assert.equal(await c.call('LRANGE', 'dst', '0', '-1'), '*3\r\n$1\r\n1\r\n$1\r\n2\r\n$1\r\n3\r\n');
    assert.equal(await c.call('SET', 'v_2', 'two'), '+OK\r\n');
    assert.equal(
      await c.call('SORT', 'l', 'GET', 'v_*', 'GET', '#', 'STORE', 'dst', 'LIMIT', '0', '2'),
      ':4\r\n',
    );
    assert.equal(
      await c.call('LRANGE', 'dst', '0', '-1'),
      '*4\r\n$0\r\n\r\n$1\r\n1\r\n$3\r\ntwo\r\n$1\r\n2\r\n',
    );
    assert.equal(await c.call('SORT', 'missing', 'STORE', 'dst'), ':0\r\n');
    assert.equal(await c.call('EXISTS', 'dst'), ':0\r\n');
    assert.equal(await c.call('SORT', 'l', 'LIMIT', '5', '1', 'STORE', 'dst'), ':0\r\n');
  });

  it('SORT a sorted set: by score with nosort, by value otherwise', async ({ connection: c }) => {
    assert.equal(await c.call('ZADD', 'z', '1', 'c', '2', 'a', '3', 'b'), ':3\r\n');
    assert.equal(await c.call('SORT', 'z', 'BY', 'nosort'), '*3\r\n$1\r\nc\r\n$1\r\na\r\n$1\r\nb\r\n');
    assert.equal(
      await c.call('SORT', 'z', 'BY', 'nosort', 'DESC', 'LIMIT', '0', '2'),
      '*2\r\n$1\r\nb\r\n$1\r\na\r\n',
    );
    assert.equal(await c.call('SORT', 'z', 'ALPHA'), '*3\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n');
    assert.equal(await c.call('SORT', 'z'), "-ERR One or more scores can't be converted into double\r\n");
    assert.equal(await c.call('SORT_RO', 'z', 'ALPHA', 'LIMIT', '1', '1'), '*1\r\n$1\r\nb\r\n');
  });

  it('SORT turns a small sorted set into a skiplist for good, as Redis does', async ({ connection: c }) => {
    // Found by comparing random commands against redis-server.
    assert.equal(await c.call('ZADD', 'z', '1', 'c', '2', 'a'), ':2\r\n');
    assert.equal(await c.call('OBJECT', 'ENCODING', 'z'), '$8\r\nlistpack\r\n');
    assert.equal(await c.call('SORT_RO', 'z', 'BY', 'nosort'), '*2\r\n$1\r\nc\r\n$1\r\na\r\n');
    assert.equal(await c.call('OBJECT', 'ENCODING', 'z'), '$8\r\nskiplist\r\n');
    assert.equal(await c.call('ZREM', 'z', 'c'), ':1\r\n');
    assert.equal(await c.call('OBJECT', 'ENCODING', 'z'), '$8\r\nskiplist\r\n');
  });

  it('MEMORY USAGE, HELP, STATS fields, DOCTOR, MALLOC-STATS, PURGE', async ({ connection: c }) => {
    assert.equal(await c.call('MEMORY', 'USAGE', 'missing'), '$-1\r\n');
    assert.equal(await c.call('SET', 'k', 'value'), '+OK\r\n');
    assert.match(await c.call('MEMORY', 'USAGE', 'k'), /^:\d+\r\n$/);
    assert.match(await c.call('MEMORY', 'USAGE', 'k', 'SAMPLES', '0'), /^:\d+\r\n$/);
    assert.equal(await c.call('MEMORY', 'USAGE', 'k', 'SAMPLES'), '-ERR syntax error\r\n');
    assert.equal(await c.call('MEMORY', 'USAGE', 'k', 'SAMPLES', '-1'), '-ERR syntax error\r\n');
    assert.equal(
      await c.call('MEMORY', 'USAGE', 'k', 'SAMPLES', 'x'),
      '-ERR value is not an integer or out of range\r\n',
    );
    assert.equal(await c.call('MEMORY', 'USAGE', 'k', 'foo'), '-ERR syntax error\r\n');
    assert.equal(
      await c.call('MEMORY', 'USAGE'),
      "-ERR wrong number of arguments for 'memory|usage' command\r\n",
    );
    assert.equal(await c.call('MEMORY', 'PURGE'), '+OK\r\n');
    const help = await c.call('MEMORY', 'HELP');
    assert.ok(help.startsWith('*14\r\n+MEMORY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:\r\n'));
    const stats = (await c.value('MEMORY', 'STATS')) as unknown[];
    const names = stats.filter((_, i) => i % 2 === 0).map(String);
    assert.deepEqual(names, [
      'peak.allocated',
      'total.allocated',
      'startup.allocated',
      'replication.backlog',
      'clients.slaves',
      'clients.normal',
      'cluster.links',
      'aof.buffer',
      'lua.caches',
      'functions.caches',
      'db.0',
      'overhead.total',
      'keys.count',
      'keys.bytes-per-key',
      'dataset.bytes',
      'dataset.percentage',
      'peak.percentage',
      'allocator.allocated',
      'allocator.active',
      'allocator.resident',
      'allocator-fragmentation.ratio',
      'allocator-fragmentation.bytes',
      'allocator-rss.ratio',
      'allocator-rss.bytes',
      'rss-overhead.ratio',
      'rss-overhead.bytes',
      'fragmentation',
      'fragmentation.bytes',
    ]);
    assert.deepEqual((stats[21] as unknown[]).filter((_, i) => i % 2 === 0).map(String), [
      'overhead.hashtable.main',
      'overhead.hashtable.expires',
      'overhead.hashtable.slot-to-keys',
    ]);
    assert.equal(stats[25], 1);
    assert.match(await c.call('MEMORY', 'DOCTOR'), /^\$\d+\r\nHi Sam, /);
    assert.match(await c.call('MEMORY', 'MALLOC-STATS'), /^\$\d+\r\n/);
    assert.equal(await c.call('MEMORY', 'FOO'), "-ERR unknown subcommand 'FOO'. Try MEMORY HELP.\r\n");
  });

  it('SORT a set and BY/GET hash fields', async ({ connection: c }) => {
    assert.equal(await c.call('SADD', 's', '3', '1', '2'), ':3\r\n');
    assert.equal(await c.call('SORT', 's'), '*3\r\n$1\r\n1\r\n$1\r\n2\r\n$1\r\n3\r\n');
    assert.equal(await c.call('SORT', 's', 'BY', 'nosort', 'STORE', 'dst'), ':3\r\n');
    assert.equal(await c.call('LRANGE', 'dst', '0', '-1'), '*3\r\n$1\r\n1\r\n$1\r\n2\r\n$1\r\n3\r\n');
    assert.equal(await c.call('HSET', 'h_1', 'w', '30', 'name', 'one'), ':2\r\n');
    assert.equal(await c.call('HSET', 'h_2', 'w', '10', 'name', 'two'), ':2\r\n');
    assert.equal(await c.call('HSET', 'h_3', 'w', '20'), ':1\r\n');
    assert.equal(
      await c.call('SORT', 's', 'BY', 'h_*->w', 'GET', '#', 'GET', 'h_*->name'),
      '*6\r\n$1\r\n2\r\n$3\r\ntwo\r\n$1\r\n3\r\n$-1\r\n$1\r\n1\r\n$3\r\none\r\n',
    );
    assert.equal(await c.call('SORT', 's', 'BY', 'h_*->', 'GET', 'h_*->'), '*3\r\n$-1\r\n$-1\r\n$-1\r\n');
    assert.equal(
      await c.call('SORT', 'h_1'),
      '-WRONGTYPE Operation against a key holding the wrong kind of value\r\n',
    );
  });
});
