// Asynchronous slot migration (spec §9): the target's SLOTSRESTORE-ASYNC wire format byte for byte,
// end-to-end moves between two and three of our servers (every type, TTLs, tag groups, chunking,
// empty slots, missing and expired keys), flow control state (STATUS), FENCE, CANCEL,
// EXEC-WRAPPER, and failures: a target that is silent, closes, or answers a plain error.
import assert from 'node:assert/strict';
import { createServer, type Server, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { RawConnection } from '../helpers/raw-connection.ts';
import { type RunningServer, startServer } from '../helpers/redis-servers.ts';

const HELLO = Buffer.from('000568656c6c6f07009c400a856dfef510', 'hex');
const ACK_PREFIX = '*3\r\n$22\r\nSLOTSRESTORE-ASYNC-ACK\r\n';
const ok = (message: string): string => `${ACK_PREFIX}$1\r\n0\r\n$${message.length}\r\n${message}\r\n`;
const fail = (message: string): string => `${ACK_PREFIX}$2\r\n-1\r\n$${message.length}\r\n${message}\r\n`;
const double = (value: number): Buffer => {
  const bytes = Buffer.alloc(8);
  bytes.writeDoubleLE(value);
  return bytes;
};

/** A target that records what it receives and never answers; `closeAfter` bytes ends it. */
class SilentTarget {
  readonly server: Server;
  readonly sockets: Socket[] = [];
  received = '';
  port = 0;
  constructor(closeAfter = Number.POSITIVE_INFINITY) {
    this.server = createServer((socket) => {
      this.sockets.push(socket);
      socket.on('data', (chunk) => {
        this.received += chunk.latin1Slice();
        if (this.received.length >= closeAfter) socket.destroy();
      });
      socket.on('error', () => {});
    });
  }
  async listen(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as { port: number }).port;
    return this;
  }
  close(): void {
    for (const socket of this.sockets) socket.destroy();
    this.server.close();
  }
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('SLOTSRESTORE-ASYNC on the target: the wire format of spec §9.6', () => {
  let b: RunningServer;
  before(async () => {
    b = await startServer('codis-server');
  });
  after(() => b.stop());

  /** Sends each command on a fresh connection unless `same`; checks reply bytes and closing. */
  async function check(steps: Array<[Array<string | Buffer>, string, boolean?]>): Promise<void> {
    let connection = await RawConnection.open(b.port);
    for (const [args, expected, closes] of steps) {
      assert.equal(await connection.call(...args), expected, args.map(String).join(' '));
      if (closes === true) {
        await connection.waitClosed();
        connection = await RawConnection.open(b.port);
      }
    }
    connection.close();
  }

  it('delete, string, expire, object and their errors', async () => {
    await check([
      [['set', 'dk', 'x'], '+OK\r\n'],
      [['slotsrestore-async', 'delete', 'nokey'], ok('0')],
      [['slotsrestore-async', 'delete', 'dk'], ok('1')],
      [['slotsrestore-async', 'string', 's2', '5000', '12345'], ok('1')],
      [['object', 'encoding', 's2'], '$3\r\nint\r\n'],
      [['slotsrestore-async', 'string', 's1', '0', 'v'], ok('1')],
      [
        ['slotsrestore-async', 'string', 's1', '0', 'again'],
        fail('the specified key already exists (s1)'),
        true,
      ],
      [['slotsrestore-async', 'expire', 's1', '7000'], ok('1')],
      [['slotsrestore-async', 'expire', 's1', '0'], ok('1')],
      [['pttl', 's1'], ':-1\r\n'],
      [
        ['slotsrestore-async', 'expire', 'missing', '0'],
        fail("the specified key doesn't exist (missing)"),
        true,
      ],
      [['slotsrestore-async', 'object', 'o1', '0', HELLO], ok('1')],
      [['get', 'o1'], '$5\r\nhello\r\n'],
      [['slotsrestore-async', 'object', 'o2', '0', 'garbage'], fail('invalid payload checksum'), true],
      [['slotsrestore-async', 'string', 'k', '-1', 'v'], fail('invalid TTL value (TTL=-1)'), true],
      [['slotsrestore-async', 'list', 'k', '0', 'x', 'v'], fail('invalid Hint value (Hint=x)'), true],
      [['slotsrestore-async', 'bogus', 'k', '0', '1'], fail('unknown command (argc=5,cmd=bogus)'), true],
      [['slotsrestore-async', 'bogus'], fail('wrong number of arguments (argc=2,cmd=bogus)'), true],
      [
        ['slotsrestore-async', 'delete', 'a', 'b'],
        fail('wrong number of arguments (argc=4,cmd=delete)'),
        true,
      ],
      [['slotsrestore-async', 'DELETE', 'K'], ok('0')],
      [['slotsrestore-async'], "-ERR wrong number of arguments for 'slotsrestore-async' command\r\n"],
    ]);
  });

  it('list, hash, dict and zset chunks', async () => {
    await check([
      [['slotsrestore-async', 'list', 'l', '9000', '5', 'a', 'b'], ok('2')],
      [['slotsrestore-async', 'list', 'l', '9000', '5', 'c'], ok('3')],
      [['slotsrestore-async', 'list', 'l', '9000', '5'], ok('3')],
      [['slotsrestore-async', 'list', 'l2', '9000', '5'], fail("the specified key doesn't exist (l2)"), true],
      [['slotsrestore-async', 'hash', 'h', '9000', '4', 'f1', 'v1', 'f2', 'v2'], ok('2')],
      [['slotsrestore-async', 'hash', 'h', '0', '4', 'f3', 'v3'], ok('3')],
      [['pttl', 'h'], ':-1\r\n'],
      [['object', 'encoding', 'h'], '$9\r\nhashtable\r\n'],
      [
        ['slotsrestore-async', 'hash', 'h', '0', '4', 'f3'],
        fail('wrong number of arguments (argc=6,cmd=hash)'),
        true,
      ],
      [['slotsrestore-async', 'dict', 'd', '0', '3', 'm1', 'm2'], ok('2')],
      [['slotsrestore-async', 'dict', 'd', '0', '3', 'm3', 'm1'], ok('3')],
      [['slotsrestore-async', 'zset', 'z', '0', '3', 'a', double(1.5), 'b', double(-2)], ok('2')],
      [['slotsrestore-async', 'zset', 'z', '0', '3', 'a', double(7)], ok('2')],
      [['zrange', 'z', '0', '-1', 'withscores'], '*4\r\n$1\r\nb\r\n$2\r\n-2\r\n$1\r\na\r\n$1\r\n7\r\n'],
      [
        ['slotsrestore-async', 'zset', 'z', '0', '3', 'c', '1.5'],
        fail('invalid zset score ([0]), bad raw bits'),
        true,
      ],
      [['set', 'strkey', 'v'], '+OK\r\n'],
      [
        ['slotsrestore-async', 'list', 'strkey', '0', '1', 'x'],
        fail('wrong type (expect=1/9,got=0/8)'),
        true,
      ],
      [['hset', 'zlhash', 'f', 'v'], ':1\r\n'],
      [
        ['slotsrestore-async', 'hash', 'zlhash', '0', '1', 'g', 'w'],
        fail('wrong type (expect=4/2,got=4/5)'),
        true,
      ],
    ]);
  });

  it('SELECT and AUTH messages', async () => {
    await check([
      [['slotsrestore-async-select', '3'], ok('OK')],
      [['slotsrestore-async', 'string', 'in3', '0', 'v'], ok('1')],
      [['select', '3'], '+OK\r\n'],
      [['get', 'in3'], '$1\r\nv\r\n'],
      [['slotsrestore-async-select', '16'], fail('invalid DB index (16)'), true],
      [['slotsrestore-async-auth', 'pw'], fail('Client sent AUTH, but no password is set'), true],
      [['slotsrestore-async-ack', '0', 'x'], '-ERR invalid client, permission denied\r\n', true],
    ]);
    const c = await startServer('codis-server', { args: ['--requirepass', 'pw'] });
    try {
      const connection = await RawConnection.open(c.port);
      assert.equal(
        await connection.call('slotsrestore-async-select', '0'),
        '-NOAUTH Authentication required.\r\n',
      );
      assert.equal(await connection.call('slotsrestore-async-auth', 'wrong'), fail('invalid password'));
      await connection.waitClosed();
      const second = await RawConnection.open(c.port);
      assert.equal(await second.call('slotsrestore-async-auth', 'pw'), ok('OK'));
      assert.equal(await second.call('slotsrestore-async-select', '0'), ok('OK'));
      second.close();
    } finally {
      await c.stop();
    }
  });

  it('accepts the recorded message stream of spec §9.4 as one pipelined write', async () => {
    const stream: Array<Array<string | Buffer>> = [
      ['SLOTSRESTORE-ASYNC-SELECT', '0'],
      ['SLOTSRESTORE-ASYNC', 'delete', 'str'],
      ['SLOTSRESTORE-ASYNC', 'string', 'str', '89999', 'hello'],
      ['SLOTSRESTORE-ASYNC', 'delete', 'int'],
      ['SLOTSRESTORE-ASYNC', 'string', 'int', '0', '12345'],
      ['SLOTSRESTORE-ASYNC', 'delete', 'lst'],
      ['SLOTSRESTORE-ASYNC', 'list', 'lst', '9000', '7', 'a', 'b', 'c', 'd'],
      ['SLOTSRESTORE-ASYNC', 'list', 'lst', '9000', '7', 'e', 'f', 'g'],
      ['SLOTSRESTORE-ASYNC', 'expire', 'lst', '0'],
      ['SLOTSRESTORE-ASYNC', 'delete', 'hsh'],
      ['SLOTSRESTORE-ASYNC', 'hash', 'hsh', '9000', '3', 'f2', 'v2', 'f1', 'v1'],
      ['SLOTSRESTORE-ASYNC', 'hash', 'hsh', '9000', '3', 'f3', 'v3'],
      ['SLOTSRESTORE-ASYNC', 'expire', 'hsh', '0'],
      ['SLOTSRESTORE-ASYNC', 'delete', 'st'],
      ['SLOTSRESTORE-ASYNC', 'dict', 'st', '9000', '5', 'm4', 'm2', 'm1', 'm5'],
      ['SLOTSRESTORE-ASYNC', 'dict', 'st', '9000', '5', 'm3'],
      ['SLOTSRESTORE-ASYNC', 'expire', 'st', '0'],
      ['SLOTSRESTORE-ASYNC', 'delete', 'zs'],
      ['SLOTSRESTORE-ASYNC', 'zset', 'zs', '9000', '3', 'b', double(2.5), 'a', double(1)],
      ['SLOTSRESTORE-ASYNC', 'zset', 'zs', '9000', '3', 'c', double(-3)],
      ['SLOTSRESTORE-ASYNC', 'expire', 'zs', '70000'],
      ['SLOTSRESTORE-ASYNC', 'delete', 'small'],
      ['SLOTSRESTORE-ASYNC', 'object', 'small', '0', HELLO],
    ];
    const acks = ['OK', '0', '1', '0', '1', '0', '4', '7', '1', '0', '2', '3', '1', '0', '4', '5', '1', '0']
      .concat(['2', '3', '1', '0', '1'])
      .map(ok)
      .join('');
    const connection = await RawConnection.open(b.port);
    const parts: Buffer[] = [];
    for (const args of stream) {
      parts.push(Buffer.from(`*${args.length}\r\n`));
      for (const arg of args) {
        const bytes = typeof arg === 'string' ? Buffer.from(arg, 'latin1') : arg;
        parts.push(Buffer.from(`$${bytes.length}\r\n`), bytes, Buffer.from('\r\n'));
      }
    }
    connection.sendRaw(Buffer.concat(parts));
    let received = '';
    for (let i = 0; i < stream.length; i++) received += (await connection.reply()).raw;
    assert.equal(received, acks);
    assert.equal(
      await connection.call('lrange', 'lst', '0', '-1'),
      await connection
        .call('rpush', 'check', ...'abcdefg'.split(''))
        .then(() => connection.call('lrange', 'check', '0', '-1')),
    );
    assert.equal(
      await connection.call('zrange', 'zs', '0', '-1', 'withscores'),
      '*6\r\n$1\r\nc\r\n$2\r\n-3\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n$3\r\n2.5\r\n',
    );
    const pttl = Number((await connection.call('pttl', 'zs')).slice(1, -2));
    assert.ok(pttl > 69000 && pttl <= 70000);
    assert.equal(await connection.call('get', 'int'), '$5\r\n12345\r\n');
    assert.equal(await connection.call('scard', 'st'), ':5\r\n');
    connection.close();
  });
});

describe('asynchronous migration between our servers', () => {
  let a: RunningServer;
  let b: RunningServer;
  let ca: RawConnection;
  let cb: RawConnection;
  let port: string;
  const mgrt = (command: string, ...rest: string[]): Promise<string> =>
    ca.call(command, '127.0.0.1', port, ...rest);

  before(async () => {
    [a, b] = await Promise.all([startServer('codis-server'), startServer('codis-server')]);
    [ca, cb] = await Promise.all([RawConnection.open(a.port), RawConnection.open(b.port)]);
    port = String(b.port);
  });
  after(async () => {
    ca.close();
    cb.close();
    await Promise.all([a.stop(), b.stop()]);
  });

  it('the end-to-end transcript of spec §9.15', async () => {
    assert.equal(await ca.call('slotsmgrt-async-status'), '*-1\r\n');
    await ca.call('set', 'k1', 'v1');
    await ca.call('pexpire', 'k1', '50000');
    await ca.call('rpush', '{t}l', 'a', 'b', 'c');
    await ca.call('hset', '{t}h', 'f1', 'v1');
    await ca.call('set', '{t}s', 'x');
    assert.equal(await mgrt('slotsmgrtone-async', '3000', '200', '1048576', 'k1'), ':1\r\n');
    assert.equal(await cb.call('get', 'k1'), '$2\r\nv1\r\n');
    const pttl = Number((await cb.call('pttl', 'k1')).slice(1, -2));
    assert.ok(pttl > 49000 && pttl <= 50000);
    assert.equal(await ca.call('exists', 'k1'), ':0\r\n');
    assert.equal(await mgrt('slotsmgrtone-async', '3000', '200', '1048576', 'k1'), ':0\r\n');
    assert.equal(await mgrt('slotsmgrtone-async', '3000', '200', '1048576', 'nokey1', 'nokey2'), ':0\r\n');
    assert.equal(await mgrt('slotsmgrttagone-async', '3000', '200', '1048576', '{t}'), ':3\r\n');
    assert.equal(await cb.call('lrange', '{t}l', '0', '-1'), '*3\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n');
    for (let i = 0; i < 10; i++) await ca.call('set', `{u}${i}`, 'v');
    assert.equal(
      await mgrt('slotsmgrtslot-async', '3000', '200', '1048576', '574', '3'),
      '*2\r\n:3\r\n:10\r\n',
    );
    assert.equal(
      await mgrt('slotsmgrtslot-async', '3000', '200', '1048576', '574', '3'),
      '*2\r\n:3\r\n:7\r\n',
    );
    assert.equal(
      await mgrt('slotsmgrtslot-async', '3000', '200', '1048576', '574', '0'),
      '*2\r\n:4\r\n:4\r\n',
    );
    assert.equal(
      await mgrt('slotsmgrtslot-async', '3000', '200', '1048576', '574', '0'),
      '*2\r\n:0\r\n:0\r\n',
    );
    assert.equal(await cb.call('slotsinfo', '574', '1'), '*1\r\n*2\r\n:574\r\n:10\r\n');
    const status = (await ca.value('slotsmgrt-async-status')) as string[];
    assert.deepEqual(status.slice(0, 8), ['host', '127.0.0.1', 'port', port, 'used', '1', 'timeout', '3000']);
    assert.equal(status[17], null);
  });

  it('big values of every type move in chunks, identical, TTLs kept; TAGSLOT groups', async () => {
    const fields: string[] = [];
    for (let i = 0; i < 20000; i++) fields.push(`f${i}`, `v${i}`);
    await ca.call('hset', '{big}hash', ...fields);
    await ca.call('pexpire', '{big}hash', '500000');
    await ca.call('rpush', '{big}list', ...fields.slice(0, 20000));
    await ca.call('sadd', '{big}set', ...fields.slice(0, 20000));
    const pairs: string[] = [];
    for (let i = 0; i < 20000; i++) pairs.push(String(i * 1.5), `z${i}`);
    pairs.push('inf', 'pinf', '-inf', 'ninf', '5e-324', 'tiny');
    await ca.call('zadd', '{big}zset', ...pairs);
    await ca.call('sadd', '{big}intset', '1', '2', '3');
    const read = async (c: RawConnection): Promise<string[]> => {
      const replies: string[] = [];
      replies.push(await c.call('hgetall', '{big}hash'));
      replies.push(await c.call('lrange', '{big}list', '0', '-1'));
      replies.push(await c.call('sort', '{big}set', 'alpha'));
      replies.push(await c.call('zrange', '{big}zset', '0', '-1', 'withscores'));
      replies.push(await c.call('smembers', '{big}intset'));
      return replies;
    };
    const before = await read(ca);
    assert.equal(await mgrt('slotsmgrttagone-async', '10000', '200', '65536', '{big}'), ':5\r\n');
    assert.deepEqual(await read(cb), before);
    const pttl = Number((await cb.call('pttl', '{big}hash')).slice(1, -2));
    assert.ok(pttl > 490000 && pttl <= 500000);
    assert.equal(await cb.call('pttl', '{big}list'), ':-1\r\n');
    assert.equal(await cb.call('zscore', '{big}zset', 'ninf'), '$4\r\n-inf\r\n');
    assert.equal(await ca.call('dbsize'), ':0\r\n');
    // TAGSLOT with numkeys 1: a whole group, then the untagged key, then nothing.
    for (let i = 0; i < 10; i++) await ca.call('set', `{u}${i}`, String(i));
    const slot = 574;
    let untagged = '';
    for (let i = 0; untagged === ''; i++) {
      if ((await ca.call('slotshashkey', `k${i}`)) === `*1\r\n:${slot}\r\n`) untagged = `k${i}`;
    }
    await ca.call('set', untagged, 'x');
    const first = await mgrt('slotsmgrttagslot-async', '3000', '200', '1048576', String(slot), '1');
    assert.ok(first === '*2\r\n:10\r\n:11\r\n' || first === '*2\r\n:1\r\n:11\r\n', first);
    const second = await mgrt('slotsmgrttagslot-async', '3000', '200', '1048576', String(slot), '1');
    assert.ok(second === '*2\r\n:1\r\n:1\r\n' || second === '*2\r\n:10\r\n:10\r\n', second);
    assert.equal(
      await mgrt('slotsmgrttagslot-async', '3000', '200', '1048576', String(slot), '1'),
      '*2\r\n:0\r\n:0\r\n',
    );
    assert.equal(await cb.call('get', '{u}9'), '$1\r\n9\r\n');
  });

  it('a list of exactly k chunks ends with an empty chunk; expired keys are not moved', async () => {
    await ca.call('rpush', 'l4', 'a', 'b', 'c', 'd');
    assert.equal(await mgrt('slotsmgrtone-async', '1000', '2', '0', 'l4'), ':1\r\n');
    assert.equal(
      await cb.call('lrange', 'l4', '0', '-1'),
      '*4\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n$1\r\nd\r\n',
    );
    assert.equal(await cb.call('pttl', 'l4'), ':-1\r\n');
    await ca.call('debug', 'set-active-expire', '0');
    await ca.call('set', 'gone', 'v', 'px', '1');
    await sleep(10);
    assert.equal(await mgrt('slotsmgrtone-async', '1000', '0', '0', 'gone'), ':0\r\n');
    assert.equal(await cb.call('exists', 'gone'), ':0\r\n');
    await ca.call('debug', 'set-active-expire', '1');
    assert.equal(await mgrt('slotsmgrtslot-async', '1000', '0', '0', '1', '0'), '*2\r\n:0\r\n:0\r\n');
  });

  it('argument validation', async () => {
    const cases: Array<[string[], string]> = [
      [['slotsmgrtone-async', '127.0.0.1', '0', '1000', '0', '0', 'k'], 'invalid value of port (0)'],
      [['slotsmgrtone-async', '127.0.0.1', '65536', '1000', '0', '0', 'k'], 'invalid value of port (65536)'],
      [['slotsmgrtone-async', '127.0.0.1', port, '-1', '0', '0', 'k'], 'invalid value of timeout (-1)'],
      [
        ['slotsmgrtone-async', '127.0.0.1', port, '2147483648', '0', '0', 'k'],
        'invalid value of timeout (2147483648)',
      ],
      [['slotsmgrtone-async', '127.0.0.1', port, '0', '-1', '0', 'k'], 'invalid value of maxbulks (-1)'],
      [['slotsmgrtone-async', '127.0.0.1', port, '0', '0', '-1', 'k'], 'invalid value of maxbytes (-1)'],
      [
        ['slotsmgrtone-async', '127.0.0.1', port, '0', '0', '0'],
        "wrong number of arguments for 'slotsmgrtone-async' command",
      ],
      [
        ['slotsmgrtslot-async', '127.0.0.1', port, '0', '0', '0', '1024', '0'],
        'invalid value of slot (1024)',
      ],
      [['slotsmgrtslot-async', '127.0.0.1', port, '0', '0', '0', '1', '-1'], 'invalid value of numkeys (-1)'],
      [
        ['slotsmgrttagslot-async', '127.0.0.1', port, '0', '0', '0', '1', '0', 'extra'],
        "wrong number of arguments for 'slotsmgrttagslot-async' command",
      ],
    ];
    for (const [args, error] of cases) assert.equal(await ca.call(...args), `-ERR ${error}\r\n`);
    await ca.call('set', 'ck', 'v');
    assert.equal(
      await ca.call('slotsmgrtone-async', 'no.such.host.invalid', '27499', '0', '0', '0', 'ck'),
      '-ERR create client to no.such.host.invalid:27499 failed\r\n',
    );
    assert.equal(await ca.call('exists', 'ck'), ':1\r\n');
    await ca.call('del', 'ck');
  });
});

describe('SLOTSMGRTONE-ASYNC-DUMP and SLOTSMGRTTAGONE-ASYNC-DUMP (spec §9.14)', () => {
  it('return the messages a batch would send', async () => {
    const a = await startServer('codis-server');
    const c = await RawConnection.open(a.port);
    try {
      await c.call('set', 'd1', 'hello');
      await c.call('pexpire', 'd1', '90000');
      const dumped = await c.call('slotsmgrtone-async-dump', '1000', '0', 'd1');
      assert.match(
        dumped,
        /^\*2\r\n\*3\r\n\$18\r\nSLOTSRESTORE-ASYNC\r\n\$6\r\ndelete\r\n\$2\r\nd1\r\n\*5\r\n\$18\r\nSLOTSRESTORE-ASYNC\r\n\$6\r\nstring\r\n\$2\r\nd1\r\n\$5\r\n(90000|899\d\d)\r\n\$5\r\nhello\r\n$/,
      );
      await c.call('rpush', '{x}l', 'a', 'b', 'c', 'd', 'e');
      const R = (...words: string[]): string =>
        `*${words.length}\r\n${words.map((w) => `$${w.length}\r\n${w}\r\n`).join('')}`;
      assert.equal(
        await c.call('slotsmgrtone-async-dump', '1000', '2', '{x}l', 'nokey'),
        `*5\r\n${R('SLOTSRESTORE-ASYNC', 'delete', '{x}l')}${R('SLOTSRESTORE-ASYNC', 'list', '{x}l', '3000', '5', 'a', 'b')}` +
          `${R('SLOTSRESTORE-ASYNC', 'list', '{x}l', '3000', '5', 'c', 'd')}${R('SLOTSRESTORE-ASYNC', 'list', '{x}l', '3000', '5', 'e')}` +
          R('SLOTSRESTORE-ASYNC', 'expire', '{x}l', '0'),
      );
      await c.call('set', '{x}s', 'v');
      const group = (await c.value('slotsmgrttagone-async-dump', '1000', '100', '{x}')) as string[][];
      assert.deepEqual(
        group.map((m) => m.slice(0, 3)),
        [
          ['SLOTSRESTORE-ASYNC', 'delete', '{x}l'],
          ['SLOTSRESTORE-ASYNC', 'object', '{x}l'],
          ['SLOTSRESTORE-ASYNC', 'delete', '{x}s'],
          ['SLOTSRESTORE-ASYNC', 'string', '{x}s'],
        ],
      );
      await c.call('rpush', 'l4', 'a', 'b', 'c', 'd');
      const l4 = (await c.value('slotsmgrtone-async-dump', '1000', '2', 'l4')) as string[][];
      assert.deepEqual(l4[3], ['SLOTSRESTORE-ASYNC', 'list', 'l4', '3000', '4']);
      assert.equal(
        await c.call('slotsmgrtone-async-dump', '-1', '0', 'd1'),
        '-ERR invalid value of timeout (-1)\r\n',
      );
      assert.equal(
        await c.call('slotsmgrtone-async-dump', '0', '-1', 'd1'),
        '-ERR invalid value of maxbulks (-1)\r\n',
      );
      assert.equal(
        await c.call('slotsmgrtone-async-dump', '0', '0'),
        "-ERR wrong number of arguments for 'slotsmgrtone-async-dump' command\r\n",
      );
      assert.equal(await c.call('dbsize'), ':4\r\n');
    } finally {
      c.close();
      await a.stop();
    }
  });
});

describe('asynchronous migration: waiting, fences, cancel, failures', () => {
  let a: RunningServer;
  let ca: RawConnection;
  before(async () => {
    a = await startServer('codis-server');
    ca = await RawConnection.open(a.port);
  });
  after(async () => {
    ca.close();
    await a.stop();
  });

  it('STATUS in flight, FENCE waiters get the result, EXEC-WRAPPER codes, CANCEL', async () => {
    const stub = await new SilentTarget().listen();
    await ca.call('mset', '{g}1', 'v', '{g}2', 'v', 'other', 'o', '{t}1', 'x', '{t}2', 'y');
    await ca.call('rpush', '{g}list', ...Array.from({ length: 5000 }, (_, i) => String(i)));
    const caller = await RawConnection.open(a.port);
    caller.send('slotsmgrttagone-async', '127.0.0.1', String(stub.port), '4000', '10', '1000', '{g}1');
    await sleep(100);
    const fence = await RawConnection.open(a.port);
    fence.send('slotsmgrt-async-fence');
    await sleep(50);
    const status = (await ca.value('slotsmgrt-async-status')) as Array<string | unknown[]>;
    assert.equal(status[1], '127.0.0.1');
    assert.equal(status[15], '2', 'the caller and the fence wait');
    assert.ok(Number(status[13]) >= 3, `messages in flight ${String(status[13])}`);
    const batch = status[17] as Array<string | unknown[]>;
    assert.deepEqual((batch[1] as unknown[])[0], '3');
    assert.deepEqual(batch.slice(2, 8), ['timeout', '4000', 'maxbulks', '10', 'maxbytes', '1000']);
    assert.ok(stub.received.startsWith('*2\r\n$25\r\nSLOTSRESTORE-ASYNC-SELECT\r\n$1\r\n0\r\n'));
    assert.equal(
      await ca.call('slotsmgrtone-async', '127.0.0.1', String(stub.port), '5000', '3', '1048576', 'other'),
      '-ERR the specified DB is being migrated\r\n',
    );
    const wrapper: Array<[string[], string]> = [
      [['k'], "-ERR wrong number of arguments for 'slotsmgrt-exec-wrapper' command\r\n"],
      [['{g}2', 'nosuchcmd', 'k'], '*2\r\n:-1\r\n-ERR invalid command specified (nosuchcmd)\r\n'],
      [['{g}2', 'get'], '*2\r\n:-1\r\n-ERR wrong number of arguments for command (get)\r\n'],
      [['missing', 'get', 'missing'], "*2\r\n:0\r\n-ERR the specified key doesn't exist\r\n"],
      [['{g}2', 'set', '{g}2', 'new'], '*2\r\n:1\r\n-ERR the specified key is being migrated\r\n'],
      [['{g}2', 'get', '{g}2'], '*2\r\n:2\r\n$1\r\nv\r\n'],
      [['other', 'set', 'other', 'v2'], '*2\r\n:2\r\n+OK\r\n'],
      [['other', 'incr', 'other'], '*2\r\n:2\r\n-ERR value is not an integer or out of range\r\n'],
      [['other', 'mget', 'other', 'zz'], '*2\r\n:2\r\n*2\r\n$2\r\nv2\r\n$-1\r\n'],
    ];
    for (const [args, expected] of wrapper)
      assert.equal(await ca.call('slotsmgrt-exec-wrapper', ...args), expected);
    assert.equal(await ca.call('slotsmgrt-async-cancel'), ':1\r\n');
    assert.equal((await caller.reply()).raw, '-ERR interrupted: canceled\r\n');
    assert.equal((await fence.reply()).raw, '-ERR interrupted: canceled\r\n');
    assert.equal(await ca.call('slotsmgrt-async-cancel'), ':0\r\n');
    assert.equal(await ca.call('slotsmgrt-async-fence'), '+OK\r\n');
    assert.equal(await ca.call('exists', '{g}1', '{g}2', '{g}list'), ':3\r\n');
    // The non-TAG variant still protects the whole tag of a tagged key.
    caller.send('slotsmgrtone-async', '127.0.0.1', String(stub.port), '4000', '10', '1000', '{t}1');
    await sleep(50);
    assert.equal(
      await ca.call('slotsmgrt-exec-wrapper', '{t}2', 'set', '{t}2', 'x'),
      '*2\r\n:1\r\n-ERR the specified key is being migrated\r\n',
    );
    assert.equal(await ca.call('slotsmgrt-async-cancel'), ':1\r\n');
    assert.equal((await caller.reply()).raw, '-ERR interrupted: canceled\r\n');
    caller.close();
    fence.close();
    stub.close();
  });

  it('a silent target times out; a target that goes away ends the batch; the source keeps its keys', async () => {
    const stub = await new SilentTarget().listen();
    await ca.call('set', 'sk', 'v');
    const start = Date.now();
    assert.equal(
      await ca.call('slotsmgrtone-async', '127.0.0.1', String(stub.port), '300', '0', '0', 'sk'),
      '-ERR interrupted: migration timeout\r\n',
    );
    assert.ok(Date.now() - start >= 300);
    stub.close();
    const closing = await new SilentTarget(1).listen();
    await ca.call('rpush', 'biglist', ...Array.from({ length: 5000 }, (_, i) => `element-${i}`));
    assert.equal(
      await ca.call(
        'slotsmgrtone-async',
        '127.0.0.1',
        String(closing.port),
        '3000',
        '10',
        '100000',
        'biglist',
      ),
      '-ERR interrupted: connection closed\r\n',
    );
    assert.equal(await ca.call('llen', 'biglist'), ':5000\r\n');
    assert.equal(await ca.call('get', 'sk'), '$1\r\nv\r\n');
    closing.close();
  });

  it('ACKs are checked, not only counted: a target that answers twice fails the batch', async () => {
    // Codis counts ACKs, so a doubled ACK completes a batch early and deletes keys the target may
    // not hold; we match every ACK with its message.
    const doubling = createServer((socket) => {
      socket.on('data', (chunk: Buffer) => {
        const messages = chunk.latin1Slice().split('SLOTSRESTORE-ASYNC').length - 1;
        for (let i = 0; i < 2 * messages; i++) socket.write(ok('OK'));
      });
      socket.on('error', () => {});
    });
    await new Promise<void>((resolve) => doubling.listen(0, '127.0.0.1', resolve));
    const stubPort = (doubling.address() as { port: number }).port;
    await ca.call('set', 'dbl', 'v');
    assert.equal(
      await ca.call('slotsmgrtone-async', '127.0.0.1', String(stubPort), '3000', '0', '0', 'dbl'),
      "-ERR interrupted: unexpected ACK 'OK' to 'SLOTSRESTORE-ASYNC delete' from target\r\n",
    );
    assert.equal(await ca.call('get', 'dbl'), '$1\r\nv\r\n');
    doubling.close();
  });

  it('a target with its own password: a plain error ends the batch at once; migration-target-auth', async () => {
    const c = await startServer('codis-server', { args: ['--requirepass', 'pw'] });
    try {
      const cport = String(c.port);
      await ca.call('set', 'ak', 'v');
      const start = Date.now();
      assert.equal(
        await ca.call('slotsmgrtone-async', '127.0.0.1', cport, '5000', '0', '0', 'ak'),
        '-ERR interrupted: target replied an error (NOAUTH Authentication required.)\r\n',
      );
      assert.ok(Date.now() - start < 1000, 'no error ping-pong until the timeout');
      assert.equal(await ca.call('config', 'set', 'migration-target-auth', 'pw'), '+OK\r\n');
      assert.equal(await ca.call('slotsmgrtone-async', '127.0.0.1', cport, '5000', '0', '0', 'ak'), ':1\r\n');
      assert.equal(await ca.call('config', 'set', 'migration-target-auth', 'wrong'), '+OK\r\n');
      await ca.call('slotsmgrt-async-cancel');
      await ca.call('set', 'ak3', 'v');
      assert.equal(
        await ca.call('slotsmgrtone-async', '127.0.0.1', cport, '5000', '0', '0', 'ak3'),
        '-ERR interrupted: connection closed (target: invalid password)\r\n',
      );
      assert.equal(await ca.call('exists', 'ak3'), ':1\r\n');
      const cc = await RawConnection.open(c.port);
      await cc.call('auth', 'pw');
      assert.equal(await cc.call('get', 'ak'), '$1\r\nv\r\n');
      cc.close();
      await ca.call('config', 'set', 'migration-target-auth', '');
    } finally {
      await c.stop();
    }
  });
});

describe('three servers: A to B to C, databases kept apart', () => {
  it('a tag group and a database-3 key travel A -> B -> C', async () => {
    const servers = await Promise.all([0, 1, 2].map(() => startServer('codis-server')));
    const [ca, cb, cc] = await Promise.all(servers.map((s) => RawConnection.open(s.port)));
    try {
      const [, b, c] = servers as [RunningServer, RunningServer, RunningServer];
      const conns = [ca, cb, cc] as [RawConnection, RawConnection, RawConnection];
      await conns[0].call('mset', '{x}1', '1', '{x}2', '2');
      await conns[0].call('zadd', '{x}z', '1', 'a', '2', 'b');
      await conns[0].call('select', '3');
      await conns[0].call('set', 'd3', 'three', 'px', '80000');
      assert.equal(
        await conns[0].call('slotsmgrtone-async', '127.0.0.1', String(b.port), '3000', '0', '0', 'd3'),
        ':1\r\n',
      );
      await conns[0].call('select', '0');
      assert.equal(
        await conns[0].call('slotsmgrttagone-async', '127.0.0.1', String(b.port), '3000', '0', '0', '{x}'),
        ':3\r\n',
      );
      assert.equal(
        await conns[1].call(
          'slotsmgrttagslot-async',
          '127.0.0.1',
          String(c.port),
          '3000',
          '1',
          '0',
          '0',
          '100',
        ),
        '*2\r\n:0\r\n:0\r\n',
      );
      const slot = ((await conns[1].value('slotshashkey', '{x}')) as number[])[0] as number;
      assert.equal(
        await conns[1].call(
          'slotsmgrttagslot-async',
          '127.0.0.1',
          String(c.port),
          '3000',
          '1',
          '0',
          String(slot),
          '1',
        ),
        '*2\r\n:3\r\n:3\r\n',
      );
      await conns[1].call('select', '3');
      assert.equal(await conns[1].call('slotsmgrtone', '127.0.0.1', String(c.port), '1000', 'd3'), ':1\r\n');
      await conns[2].call('select', '3');
      assert.equal(await conns[2].call('get', 'd3'), '$5\r\nthree\r\n');
      const pttl = Number((await conns[2].call('pttl', 'd3')).slice(1, -2));
      assert.ok(pttl > 70000 && pttl <= 80000);
      await conns[2].call('select', '0');
      assert.equal(await conns[2].call('zrange', '{x}z', '0', '-1'), '*2\r\n$1\r\na\r\n$1\r\nb\r\n');
      assert.equal(await conns[2].call('dbsize'), ':3\r\n');
      assert.equal(await conns[0].call('dbsize'), ':0\r\n');
      assert.equal(await conns[1].call('dbsize'), ':0\r\n');
    } finally {
      for (const c of [ca, cb, cc]) c?.close();
      await Promise.all(servers.map((s) => s.stop()));
    }
  });
});
