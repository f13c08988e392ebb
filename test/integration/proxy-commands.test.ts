// codis-proxy in front of two codis-servers (slots 0..511 on A, 512..1023 on B): the replies of
// spec/proxy.md §4 and §14.2–§14.4 byte for byte, split commands across slots and groups, the
// cross-slot check, raw protocol edge cases, pipelines, idle sessions and statistics.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { slotOf } from '../../src/slots/index.ts';
import { type ProxyFixture, slotRange, startProxy } from '../helpers/proxy-fixture.ts';
import { RawConnection } from '../helpers/raw-connection.ts';
import { type RunningServer, startServer } from '../helpers/redis-servers.ts';

describe('codis-proxy commands', () => {
  let a: RunningServer;
  let b: RunningServer;
  let fixture: ProxyFixture;
  let addrA: string;
  let addrB: string;
  let c: RawConnection;

  before(async () => {
    [a, b] = await Promise.all([startServer('codis-server'), startServer('codis-server')]);
    addrA = `127.0.0.1:${a.port}`;
    addrB = `127.0.0.1:${b.port}`;
    fixture = await startProxy({ backend_number_databases: 16, proxy_max_clients: 2000 });
    fixture.proxy.fillSlots([...slotRange(0, 511, addrA), ...slotRange(512, 1023, addrB)]);
    fixture.proxy.start();
    c = await RawConnection.open(fixture.port);
  });
  after(async () => {
    c.close();
    await fixture.close();
    await Promise.all([a.stop(), b.stop()]);
  });

  it('answers local commands as Codis does (§4.3, §14.2)', async () => {
    const wrong = (name: string) => `-ERR wrong number of arguments for '${name}' command\r\n`;
    assert.equal(await c.call('PING'), '+PONG\r\n');
    assert.equal(await c.call('PING', addrA), '+PONG\r\n');
    assert.equal(await c.call('PING', addrA, 'hello'), '$5\r\nhello\r\n');
    assert.equal(await c.call('PING', 'hello'), "-ERR backend server 'hello' not found\r\n");
    assert.equal(await c.call('INFO', 'server'), "-ERR backend server 'server' not found\r\n");
    assert.match(await c.call('INFO', addrB, 'server'), /^\$\d+\r\n# Server/);
    assert.equal(await c.call('ECHO', 'hello'), '$5\r\nhello\r\n');
    assert.equal(await c.call('SLOTSHASHKEY', 'a', 'b', 'c'), '*3\r\n:579\r\n:1017\r\n:879\r\n');
    assert.equal(await c.call('MGET'), wrong('MGET'));
    assert.equal(await c.call('MSET', 'a', '1', 'b'), wrong('MSET'));
    assert.equal(await c.call('DEL'), wrong('DEL'));
    assert.equal(await c.call('EXISTS'), wrong('EXISTS'));
    assert.equal(await c.call('SELECT'), wrong('SELECT'));
    assert.equal(await c.call('SELECT', '16'), '-ERR invalid DB index, only accept DB [0,16)\r\n');
    assert.equal(await c.call('SELECT', '-1'), '-ERR invalid DB index, only accept DB [0,16)\r\n');
    assert.equal(await c.call('SELECT', 'x'), '-ERR invalid DB index\r\n');
    assert.equal(await c.call('AUTH', 'foo'), '-ERR Client sent AUTH, but no password is set\r\n');
    assert.equal(await c.call('AUTH'), wrong('AUTH'));
    // Without session_auth the one user, default, takes any password (Redis's nopass user).
    assert.equal(await c.call('AUTH', 'default', 'any'), '+OK\r\n');
    assert.equal(
      await c.call('AUTH', 'someone', 'any'),
      '-WRONGPASS invalid username-password pair or user is disabled.\r\n',
    );
    assert.equal(await c.call('SLOTSINFO'), wrong('SLOTSINFO'));
    assert.equal(await c.call('SLOTSINFO', addrA, '0', '10'), wrong('SLOTSINFO'));
    assert.equal(await c.call('SLOTSINFO', '1.2.3.4:5'), "-ERR backend server '1.2.3.4:5' not found\r\n");
    assert.equal(await c.call('SLOTSSCAN', '1'), wrong('SLOTSSCAN'));
    assert.equal(
      await c.call('SLOTSSCAN', '1024', '0'),
      "-ERR parse slotnum '1024' failed, out of range\r\n",
    );
    assert.equal(await c.call('SLOTSSCAN', '-1', '0'), "-ERR parse slotnum '-1' failed, out of range\r\n");
    assert.equal(
      await c.call('SLOTSSCAN', 'x', '0'),
      `-ERR parse slotnum 'x' failed, strconv.ParseInt: parsing "x": invalid syntax\r\n`,
    );
    assert.equal(
      await c.call('SLOTSSCAN', '99999999999999999999', '0'),
      `-ERR parse slotnum '99999999999999999999' failed, strconv.ParseInt: parsing "99999999999999999999": value out of range\r\n`,
    );
    assert.equal(await c.call('SLOTSMAPPING', '0'), `*4\r\n+0\r\n+${addrA}\r\n+\r\n*-1\r\n`);
    assert.equal(await c.call('SLOTSMAPPING', '1', '2'), wrong('SLOTSMAPPING'));
    assert.equal(await c.call('SLOTSMAPPING', '1024'), "-ERR parse slotnum '1024' failed, out of range\r\n");
    const all = (await c.value('SLOTSMAPPING')) as Array<Array<{ text: string }>>;
    assert.equal(all.length, 1024);
    assert.equal(all[511]?.[1]?.text, addrA);
    assert.equal(all[512]?.[1]?.text, addrB);
    // HELLO as Redis 7 (RESP3 sessions: proxy-resp3.test.ts).
    assert.equal(await c.call('HELLO', '4'), '-NOPROTO unsupported protocol version\r\n');
  });

  it('rejects the commands Codis rejects, and the connection stays open (§3.4, §14.3)', async () => {
    for (const args of [
      ['KEYS', '*'],
      ['MONITOR'],
      ['FLUSHALL'],
      ['CONFIG', 'GET', 'maxmemory'],
      ['SLOTSMGRTTAGONE', 'x'],
      ['SLAVEOF', 'NO', 'ONE'],
      ['MSETNX', 'a', '1'],
      ['host:', 'abc'],
      ['RESET'],
      ['slotsrestore-async-select', '3'],
    ]) {
      const name = (args[0] as string).toUpperCase();
      assert.equal(await c.call(...args), `-ERR handle request, command '${name}' is not allowed\r\n`);
    }
    assert.equal(await c.call('PING'), '+PONG\r\n');
    assert.equal(
      await c.call('SLOTSRESTORE', 'a', '0', 'xx'),
      '-ERR dump payload version or checksum are wrong\r\n',
    );
  });

  it('splits MGET, MSET, DEL, EXISTS, TOUCH, UNLINK across slots and groups', async () => {
    const keys = Array.from({ length: 200 }, (_, i) => `key:${i}`);
    const groups = new Set(keys.map((key) => (slotOf(key) < 512 ? 'A' : 'B')));
    assert.equal(groups.size, 2);
    const mset = keys.flatMap((key, i) => [key, `v${i}`]);
    assert.equal(await c.call('MSET', ...mset), '+OK\r\n');
    const values = (await c.value('MGET', ...keys, 'missing')) as Array<string | null>;
    assert.deepEqual(values, [...keys.map((_, i) => `v${i}`), null]);
    assert.equal(await c.call('EXISTS', ...keys, keys[0] as string, 'missing'), ':201\r\n');
    assert.equal(await c.call('TOUCH', ...keys.slice(0, 10)), ':10\r\n');
    assert.equal(await c.call('DEL', ...keys.slice(0, 100), 'missing'), ':100\r\n');
    assert.equal(await c.call('UNLINK', ...keys.slice(100)), ':100\r\n');
    assert.equal(await c.call('EXISTS', ...keys), ':0\r\n');
    // §14.2 transcript
    assert.equal(await c.call('MSET', 'a', '1', 'b', '2', 'c', '3'), '+OK\r\n');
    assert.equal(
      await c.call('MGET', 'a', 'b', 'c', 'nokey'),
      '*4\r\n$1\r\n1\r\n$1\r\n2\r\n$1\r\n3\r\n$-1\r\n',
    );
    assert.equal(await c.call('EXISTS', 'a', 'b', 'c', 'a', 'nokey'), ':4\r\n');
    assert.equal(await c.call('DEL', 'a', 'b', 'c', 'nokey'), ':3\r\n');
    // Hash-tagged keys stay together and are forwarded unchanged.
    assert.equal(await c.call('MSET', '{t}1', 'x', '{t}2', 'y'), '+OK\r\n');
    assert.equal(await c.call('MGET', '{t}1', '{t}2'), '*2\r\n$1\r\nx\r\n$1\r\ny\r\n');
  });

  it('forwards single-slot multi-key commands and refuses cross-slot ones', async () => {
    const crossslot = "-CROSSSLOT Keys in request don't hash to the same slot\r\n";
    assert.equal(await c.call('SADD', '{s}1', 'a', 'b'), ':2\r\n');
    assert.equal(await c.call('SADD', '{s}2', 'b'), ':1\r\n');
    assert.equal(await c.call('SDIFF', '{s}1', '{s}2'), '*1\r\n$1\r\na\r\n');
    assert.equal(await c.call('SDIFF', 'a', 'b'), crossslot);
    assert.equal(await c.call('SMOVE', '{s}1', '{s}2', 'a'), ':1\r\n');
    assert.equal(await c.call('SMOVE', '{s}1', 'other', 'a'), crossslot);
    assert.equal(await c.call('ZUNIONSTORE', '{s}z', '2', '{s}1', '{s}2'), ':2\r\n');
    assert.equal(await c.call('ZUNIONSTORE', '{s}z', '2', '{s}1', 'x'), crossslot);
    assert.equal(await c.call('RPOPLPUSH', 'l1', 'l2'), crossslot);
    assert.equal(await c.call('SET', 'ob', 'v'), '+OK\r\n');
    assert.equal(await c.call('OBJECT', 'ENCODING', 'ob'), '$6\r\nembstr\r\n');
    assert.equal(await c.call('TYPE', 'ob'), '+string\r\n');
    assert.equal(await c.call('TTL', 'ob'), ':-1\r\n');
  });

  it('relays unknown commands to the backend, case preserved (§3.1)', async () => {
    assert.match(await c.call('foo', 'bar'), /^-ERR unknown command 'foo'/);
    assert.match(await c.call('GET', 'a', 'b'), /^-ERR wrong number of arguments for 'get' command/);
  });

  it('emulates SELECT with per-DB backend connections (§5.7)', async () => {
    const other = await RawConnection.open(fixture.port);
    assert.equal(await other.call('SELECT', '2'), '+OK\r\n');
    assert.equal(await other.call('SET', 'dbkey', 'two'), '+OK\r\n');
    assert.equal(await other.call('GET', 'dbkey'), '$3\r\ntwo\r\n');
    assert.equal(await c.call('GET', 'dbkey'), '$-1\r\n');
    const server = await RawConnection.open(slotOf('dbkey') < 512 ? a.port : b.port);
    assert.equal(await server.call('SELECT', '2'), '+OK\r\n');
    assert.equal(await server.call('GET', 'dbkey'), '$3\r\ntwo\r\n');
    server.close();
    other.close();
  });

  it('handles raw protocol edge cases (§14.4), with an error before closing', async () => {
    const cases: Array<[string, string[], boolean]> = [
      ['PING\r\n', ['+PONG\r\n'], true],
      ['ping   \r\n', ['+PONG\r\n'], true],
      ['\r\nPING\r\n', ['+PONG\r\n'], true],
      ['$4\r\nPING\r\n', ["-ERR unknown command '$4'"], true],
      ['*1\r\n$0\r\n\r\n', ['-ERR handle request, bad command length, too short or too long\r\n'], true],
      [
        `*1\r\n$65\r\n${'A'.repeat(65)}\r\n`,
        ['-ERR handle request, bad command length, too short or too long\r\n'],
        true,
      ],
      ['*1\r\n$-1\r\n', ['-ERR handle request, bad command length, too short or too long\r\n'], true],
      ['*2\r\n$3\r\nGET\r\n$-1\r\n', ['$-1\r\n'], true],
      ['KEYS *\r\nPING\r\n', ["-ERR handle request, command 'KEYS' is not allowed\r\n", '+PONG\r\n'], true],
      ['QUIT\r\nPING\r\n', ['+OK\r\n'], false],
      ['PING\n', ['-ERR Protocol error: bad CRLF end\r\n'], false],
      ['*0\r\n', ['-ERR Protocol error: bad array len, too short\r\n'], false],
      ['*-1\r\n', ['-ERR Protocol error: bad array len, too short\r\n'], false],
      ['*1\r\n:1\r\n', ['-ERR Protocol error: bad resp type :\r\n'], false],
      ['*1\r\n$4\r\nPINGxx', ['-ERR Protocol error: bad CRLF end\r\n'], false],
      ['*1048577\r\n', ['-ERR Protocol error: bad array len, too long\r\n'], false],
      ['*2\r\n$3\r\nGET\r\n$536870913\r\n', ['-ERR Protocol error: bad bulk bytes len, too long\r\n'], false],
      ['*2\r\n$3\r\nGET\r\n$600000000\r\n', ['-ERR Protocol error: bad bulk bytes len, too long\r\n'], false],
      [
        'PING\r\n*2\r\n$3\r\nGET\r\n$1\r\nab\r\n',
        ['+PONG\r\n', '-ERR Protocol error: bad CRLF end\r\n'],
        false,
      ],
    ];
    for (const [input, replies, open] of cases) {
      const raw = await RawConnection.open(fixture.port);
      raw.sendRaw(input);
      for (const expected of replies) {
        const reply = (await raw.reply()).raw;
        if (expected.endsWith('\r\n')) assert.equal(reply, expected, JSON.stringify(input));
        else assert.ok(reply.startsWith(expected), `${JSON.stringify(input)}: ${reply}`);
      }
      if (open) assert.equal(await raw.call('PING'), '+PONG\r\n');
      else await raw.waitClosed();
      raw.close();
    }
  });

  it('survives a client that disconnects mid-request and mid-pipeline', async () => {
    for (let i = 0; i < 20; i++) {
      const raw = await RawConnection.open(fixture.port);
      raw.sendRaw(`${'*2\r\n$3\r\nGET\r\n$1\r\na\r\n'.repeat(100)}*3\r\n$3\r\nSET\r\n$1\r\na\r\n$100\r\nabc`);
      raw.close();
    }
    assert.equal(await c.call('PING'), '+PONG\r\n');
  });

  it('pipelines 10,000 requests with replies in order', async () => {
    const raw = await RawConnection.open(fixture.port);
    let batch = '';
    for (let i = 0; i < 5000; i++) {
      const key = `p${i}`;
      batch += `*3\r\n$3\r\nSET\r\n$${key.length}\r\n${key}\r\n$${String(i).length}\r\n${i}\r\n`;
      batch += `*2\r\n$3\r\nGET\r\n$${key.length}\r\n${key}\r\n`;
    }
    raw.sendRaw(batch);
    for (let i = 0; i < 5000; i++) {
      assert.equal((await raw.reply()).raw, '+OK\r\n');
      assert.equal((await raw.reply()).raw, `$${String(i).length}\r\n${i}\r\n`);
    }
    raw.close();
  });

  it('keeps 1,000 idle sessions', async () => {
    const sessions = await Promise.all(Array.from({ length: 1000 }, () => RawConnection.open(fixture.port)));
    const replies = await Promise.all(sessions.map((s, i) => s.call('SET', `idle${i}`, String(i))));
    assert.ok(replies.every((r) => r === '+OK\r\n'));
    const alive = fixture.proxy.stats().sessions.alive;
    assert.ok(alive >= 1000, String(alive));
    for (const s of sessions) s.close();
  });

  it('forwards a large value both ways', async () => {
    const value = Buffer.alloc(3 * 1024 * 1024, 'x');
    assert.equal(await c.call('SET', 'big', value), '+OK\r\n');
    const reply = await c.call('GET', 'big');
    assert.equal(reply.length, value.length + 12);
  });

  it('counts requests per command (§9)', async () => {
    fixture.proxy.resetStats();
    await c.call('SET', 'st', '1');
    await c.call('GET', 'st');
    await c.call('KEYS', '*');
    await c.call('MGET', 'a', 'b');
    await new Promise((resolve) => setTimeout(resolve, 10));
    const stats = fixture.proxy.stats();
    assert.equal(stats.ops.total, 4);
    assert.equal(stats.ops.redisErrors, 1);
    assert.deepEqual(
      stats.ops.commands.map((cmd) => [cmd.opstr, cmd.calls, cmd.redisErrors]),
      [
        ['GET', 1, 0],
        ['KEYS', 1, 1],
        ['MGET', 1, 0],
        ['SET', 1, 0],
      ],
    );
  });
});
