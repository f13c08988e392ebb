import assert from 'node:assert/strict';
import { conformanceSuite } from '../helpers/conformance.ts';

conformanceSuite('protocol', (it) => {
  it('inline commands and pipelines answer in order', async ({ connection: c }) => {
    c.sendRaw('SET a 1\r\nGET a\r\nPING\r\n');
    assert.equal((await c.reply()).raw, '+OK\r\n');
    assert.equal((await c.reply()).raw, '$1\r\n1\r\n');
    assert.equal((await c.reply()).raw, '+PONG\r\n');
    c.sendRaw('*1\r\n$4\r\nPING\r\n*2\r\n$4\r\nECHO\r\n$3\r\nhey\r\n');
    assert.equal((await c.reply()).raw, '+PONG\r\n');
    assert.equal((await c.reply()).raw, '$3\r\nhey\r\n');
  });

  it('a request split into single bytes still parses', async ({ connection: c }) => {
    const bytes = Buffer.from('*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$5\r\nhello\r\n');
    for (const byte of bytes) {
      c.sendRaw(Buffer.from([byte]));
      await new Promise((resolve) => setImmediate(resolve));
    }
    assert.equal((await c.reply()).raw, '+OK\r\n');
    assert.equal(await c.call('GET', 'k'), '$5\r\nhello\r\n');
  });

  it('unknown commands and wrong arity', async ({ connection: c }) => {
    assert.equal(
      await c.call('NOSUCH', 'a', 'b'),
      "-ERR unknown command 'NOSUCH', with args beginning with: 'a' 'b' \r\n",
    );
    assert.equal(await c.call('GET'), "-ERR wrong number of arguments for 'get' command\r\n");
    assert.equal(await c.call('get', 'a', 'b'), "-ERR wrong number of arguments for 'get' command\r\n");
  });

  for (const [name, frame, message] of [
    ['a bad multibulk length', '*x\r\n', 'Protocol error: invalid multibulk length'],
    ['a bad bulk length', '*1\r\n$x\r\n', 'Protocol error: invalid bulk length'],
    ['a negative bulk length', '*1\r\n$-5\r\n', 'Protocol error: invalid bulk length'],
    ['a bulk over proto-max-bulk-len', '*1\r\n$536870913\r\n', 'Protocol error: invalid bulk length'],
    ['a missing dollar', '*1\r\nGET\r\n', "Protocol error: expected '$', got 'G'"],
    ['unbalanced quotes', 'SET "a b\r\n', 'Protocol error: unbalanced quotes in request'],
  ] as const) {
    it(`${name} is answered with an error and the connection closed`, async ({ connection: c }) => {
      c.sendRaw(frame);
      const reply = await c.reply();
      assert.equal(reply.raw, `-ERR ${message}\r\n`);
      await c.waitClosed();
    });
  }

  it('an oversized inline request closes the connection', async ({ connection: c }) => {
    c.sendRaw(Buffer.alloc(70 * 1024, 0x61));
    assert.equal((await c.reply()).raw, '-ERR Protocol error: too big inline request\r\n');
    await c.waitClosed();
  });

  it('empty multibulks and empty inline lines are ignored', async ({ connection: c }) => {
    c.sendRaw('*0\r\n\r\n*-1\r\nPING\r\n');
    assert.equal((await c.reply()).raw, '+PONG\r\n');
  });

  it('HELLO switches protocols and reports the connection', async ({ connection: c }) => {
    const hello = await c.call('HELLO', '3');
    assert.match(
      hello,
      /^%7\r\n\$6\r\nserver\r\n\$5\r\nredis\r\n\$7\r\nversion\r\n\$\d+\r\n[\d.]+\r\n\$5\r\nproto\r\n:3\r\n/,
    );
    assert.equal(await c.call('GET', 'missing'), '_\r\n');
    assert.equal(await c.call('HELLO', '4'), '-NOPROTO unsupported protocol version\r\n');
    assert.equal(await c.call('HELLO', 'x'), '-ERR Protocol version is not an integer or out of range\r\n');
    assert.match(await c.call('HELLO', '2'), /^\*14\r\n/);
    assert.equal(await c.call('GET', 'missing'), '$-1\r\n');
  });

  it('SELECT, QUIT and RESET', async ({ connection: c, connect }) => {
    assert.equal(await c.call('SELECT', '1'), '+OK\r\n');
    assert.equal(await c.call('SET', 'k', 'one'), '+OK\r\n');
    assert.equal(await c.call('SELECT', '0'), '+OK\r\n');
    assert.equal(await c.call('GET', 'k'), '$-1\r\n');
    assert.equal(await c.call('SELECT', '16'), '-ERR DB index is out of range\r\n');
    assert.equal(await c.call('SELECT', 'x'), '-ERR value is not an integer or out of range\r\n');
    assert.equal(await c.call('SELECT', '1'), '+OK\r\n');
    assert.equal(await c.call('RESET'), '+RESET\r\n');
    assert.equal(await c.call('GET', 'k'), '$-1\r\n');
    const other = await connect();
    assert.equal(await other.call('QUIT'), '+OK\r\n');
    await other.waitClosed();
  });
});

conformanceSuite(
  'authentication',
  (it) => {
    it('requirepass gates commands until AUTH', async ({ connect }) => {
      const c = await connect();
      assert.equal(await c.call('GET', 'k'), '-NOAUTH Authentication required.\r\n');
      assert.equal(
        await c.call('AUTH', 'wrong'),
        '-WRONGPASS invalid username-password pair or user is disabled.\r\n',
      );
      assert.equal(
        await c.call('AUTH', 'nobody', 'secret'),
        '-WRONGPASS invalid username-password pair or user is disabled.\r\n',
      );
      assert.equal(await c.call('AUTH', 'secret'), '+OK\r\n');
      assert.equal(await c.call('GET', 'k'), '$-1\r\n');
      const d = await connect();
      assert.equal(await d.call('AUTH', 'default', 'secret'), '+OK\r\n');
      const e = await connect();
      assert.match(await e.call('HELLO', '3', 'AUTH', 'default', 'secret'), /^%7\r\n/);
      const f = await connect();
      assert.match(
        await f.call('HELLO', '3'),
        /^-NOAUTH HELLO must be called with the client already authenticated/,
      );
    });

    it('unauthenticated clients cannot send big requests', async ({ connect }) => {
      const c = await connect();
      c.sendRaw('*20\r\n');
      assert.equal((await c.reply()).raw, '-ERR Protocol error: unauthenticated multibulk length\r\n');
      await c.waitClosed();
    });
  },
  { serverArgs: ['--requirepass', 'secret'] },
);

conformanceSuite('authentication without a password', (it) => {
  it('AUTH without requirepass is an error', async ({ connection: c }) => {
    assert.equal(
      await c.call('AUTH', 'x'),
      '-ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?\r\n',
    );
    assert.equal(await c.call('AUTH', 'default', 'anything'), '+OK\r\n');
  });
});
