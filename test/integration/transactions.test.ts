import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { conformanceSuite } from '../helpers/conformance.ts';
import { bulk } from '../helpers/resp-text.ts';

const QUEUED = '+QUEUED\r\n';
const EXECABORT = '-EXECABORT Transaction discarded because of previous errors.\r\n';

conformanceSuite('transactions', (it) => {
  it('MULTI queues, EXEC answers every reply (errors are elements)', async ({ connection: c, connect }) => {
    const other = await connect();
    assert.equal(await c.call('MULTI'), '+OK\r\n');
    assert.equal(await c.call('SET', 'k', 'v'), QUEUED);
    assert.equal(await c.call('INCR', 'k'), QUEUED);
    assert.equal(await c.call('GET', 'k'), QUEUED);
    assert.equal(await c.call('LPUSH', 'l', 'a'), QUEUED);
    assert.match(await other.call('CLIENT', 'LIST'), /flags=x .* multi=4 /);
    assert.equal(
      await c.call('EXEC'),
      `*4\r\n+OK\r\n-ERR value is not an integer or out of range\r\n${bulk('v')}:1\r\n`,
    );
    assert.doesNotMatch(await other.call('CLIENT', 'LIST'), /flags=x|multi=4/);
    assert.equal(await c.call('MULTI'), '+OK\r\n');
    assert.equal(await c.call('EXEC'), '*0\r\n');
  });

  it('errors: nested MULTI, EXEC/DISCARD without MULTI, WATCH inside MULTI', async ({ connection: c }) => {
    assert.equal(await c.call('EXEC'), '-ERR EXEC without MULTI\r\n');
    assert.equal(await c.call('DISCARD'), '-ERR DISCARD without MULTI\r\n');
    assert.equal(await c.call('MULTI'), '+OK\r\n');
    assert.equal(await c.call('MULTI'), '-ERR MULTI calls can not be nested\r\n');
    assert.equal(await c.call('WATCH', 'k'), '-ERR WATCH inside MULTI is not allowed\r\n');
    assert.equal(await c.call('SET', 'k', '1'), QUEUED);
    // Neither error aborts the transaction.
    assert.equal(await c.call('EXEC'), '*1\r\n+OK\r\n');
    assert.equal(await c.call('MULTI'), '+OK\r\n');
    assert.equal(await c.call('SET', 'k', '2'), QUEUED);
    assert.equal(await c.call('DISCARD'), '+OK\r\n');
    assert.equal(await c.call('GET', 'k'), bulk('1'));
    assert.equal(await c.call('DISCARD'), '-ERR DISCARD without MULTI\r\n');
  });

  it('a command refused while queueing makes EXEC answer EXECABORT', async ({ connection: c }) => {
    for (const bad of [['GET'], ['NOSUCHCOMMAND', 'x'], ['CONFIG', 'NOPE'], ['SAVE']]) {
      assert.equal(await c.call('MULTI'), '+OK\r\n');
      assert.equal(await c.call('SET', 'k', 'v'), QUEUED);
      assert.match(await c.call(...(bad as [string, ...string[]])), /^-ERR /);
      assert.equal(await c.call('EXEC'), EXECABORT);
      assert.equal(await c.call('EXISTS', 'k'), ':0\r\n');
    }
    assert.equal(await c.call('MULTI'), '+OK\r\n');
    assert.equal(await c.call('SAVE'), '-ERR Command not allowed inside a transaction\r\n');
    assert.equal(await c.call('DISCARD'), '+OK\r\n');
  });

  it('a refused EXEC ends the transaction and its watches, with or without MULTI', async ({
    connection: c,
    connect,
  }) => {
    const abort =
      "-EXECABORT Transaction discarded because of: wrong number of arguments for 'exec' command\r\n";
    assert.equal(await c.call('MULTI'), '+OK\r\n');
    assert.equal(await c.call('SET', 'k', 'v'), QUEUED);
    assert.equal(await c.call('EXEC', 'x'), abort);
    assert.equal(await c.call('EXEC'), '-ERR EXEC without MULTI\r\n');
    assert.equal(await c.call('EXISTS', 'k'), ':0\r\n');
    // Outside MULTI too, and the keys watched are let go.
    assert.equal(await c.call('WATCH', 'w'), '+OK\r\n');
    const other = await connect();
    assert.equal(await other.call('SET', 'w', '1'), '+OK\r\n');
    assert.equal(await c.call('EXEC', 'x'), abort);
    assert.equal(await c.call('MULTI'), '+OK\r\n');
    assert.equal(await c.call('SET', 'k', 'v'), QUEUED);
    assert.equal(await c.call('EXEC'), '*1\r\n+OK\r\n');
  });

  it('WATCH: a key touched by another client makes EXEC return a null array', async ({
    connection: c,
    connect,
  }) => {
    const other = await connect();
    assert.equal(await c.call('SET', 'w', '1'), '+OK\r\n');
    assert.equal(await c.call('WATCH', 'w', 'missing'), '+OK\r\n');
    assert.equal(await other.call('SET', 'w', '2'), '+OK\r\n');
    assert.equal(await c.call('MULTI'), '+OK\r\n');
    assert.equal(await c.call('SET', 'w', '3'), QUEUED);
    assert.equal(await c.call('EXEC'), '*-1\r\n');
    assert.equal(await c.call('GET', 'w'), bulk('2'));
    // EXEC unwatched everything: the next transaction runs.
    assert.equal(await c.call('MULTI'), '+OK\r\n');
    assert.equal(await c.call('EXEC'), '*0\r\n');
    // A watched key that did not exist and gets created.
    assert.equal(await c.call('WATCH', 'missing'), '+OK\r\n');
    assert.equal(await other.call('LPUSH', 'missing', 'x'), ':1\r\n');
    assert.equal(await c.call('MULTI'), '+OK\r\n');
    assert.equal(await c.call('EXEC'), '*-1\r\n');
    // An untouched watched key: EXEC runs.
    assert.equal(await c.call('WATCH', 'w'), '+OK\r\n');
    assert.equal(await other.call('SET', 'unrelated', '1'), '+OK\r\n');
    assert.equal(await c.call('MULTI'), '+OK\r\n');
    assert.equal(await c.call('INCR', 'w'), QUEUED);
    assert.equal(await c.call('EXEC'), '*1\r\n:3\r\n');
  });

  it('WATCH: same connection, UNWATCH, DISCARD, RESP3 null', async ({ connection: c }) => {
    assert.equal(await c.call('WATCH', 'k'), '+OK\r\n');
    assert.equal(await c.call('SET', 'k', '1'), '+OK\r\n');
    assert.equal(await c.call('MULTI'), '+OK\r\n');
    assert.equal(await c.call('EXEC'), '*-1\r\n');
    assert.equal(await c.call('WATCH', 'k'), '+OK\r\n');
    assert.equal(await c.call('SET', 'k', '2'), '+OK\r\n');
    assert.equal(await c.call('UNWATCH'), '+OK\r\n');
    assert.equal(await c.call('MULTI'), '+OK\r\n');
    assert.equal(await c.call('EXEC'), '*0\r\n');
    assert.equal(await c.call('WATCH', 'k'), '+OK\r\n');
    assert.equal(await c.call('MULTI'), '+OK\r\n');
    assert.equal(await c.call('DISCARD'), '+OK\r\n');
    assert.equal(await c.call('SET', 'k', '3'), '+OK\r\n');
    assert.equal(await c.call('MULTI'), '+OK\r\n');
    assert.equal(await c.call('EXEC'), '*0\r\n');
    await c.value('HELLO', '3');
    assert.equal(await c.call('WATCH', 'k'), '+OK\r\n');
    assert.equal(await c.call('DEL', 'k'), ':1\r\n');
    assert.equal(await c.call('MULTI'), '+OK\r\n');
    assert.equal(await c.call('EXEC'), '_\r\n');
  });

  it('WATCH: FLUSHDB, FLUSHALL and SWAPDB touch watched keys', async ({ connection: c, connect }) => {
    const other = await connect();
    assert.equal(await c.call('SET', 'k', '1'), '+OK\r\n');
    for (const flush of [['FLUSHDB'], ['FLUSHALL'], ['SWAPDB', '0', '1']]) {
      assert.equal(await c.call('SET', 'k', '1'), '+OK\r\n');
      assert.equal(await c.call('WATCH', 'k'), '+OK\r\n');
      assert.equal(await other.call(...(flush as [string, ...string[]])), '+OK\r\n');
      assert.equal(await c.call('MULTI'), '+OK\r\n');
      assert.equal(await c.call('EXEC'), '*-1\r\n');
    }
    // Flushing an empty database leaves a watched missing key alone.
    assert.equal(await c.call('FLUSHALL'), '+OK\r\n');
    assert.equal(await c.call('WATCH', 'nothing'), '+OK\r\n');
    assert.equal(await other.call('FLUSHDB'), '+OK\r\n');
    assert.equal(await c.call('MULTI'), '+OK\r\n');
    assert.equal(await c.call('EXEC'), '*0\r\n');
  });

  it('WATCH: a watched key that expires before EXEC fails the transaction', async ({ connection: c }) => {
    assert.equal(await c.call('SET', 'e', '1', 'PX', '30'), '+OK\r\n');
    assert.equal(await c.call('WATCH', 'e'), '+OK\r\n');
    await sleep(60);
    assert.equal(await c.call('MULTI'), '+OK\r\n');
    assert.equal(await c.call('EXEC'), '*-1\r\n');
  });

  it('blocking commands inside MULTI act as timed out', async ({ connection: c }) => {
    assert.equal(await c.call('MULTI'), '+OK\r\n');
    for (const command of [
      ['BLPOP', 'l', '0'],
      ['BRPOP', 'l', '0'],
      ['BLMOVE', 'l', 'm', 'LEFT', 'RIGHT', '0'],
      ['BLMPOP', '0', '1', 'l', 'LEFT'],
      ['BZPOPMIN', 'z', '0'],
      ['BZPOPMAX', 'z', '0'],
      ['BZMPOP', '0', '1', 'z', 'MIN'],
    ])
      assert.equal(await c.call(...(command as [string, ...string[]])), QUEUED);
    assert.equal(await c.call('RPUSH', 'l2', 'x'), QUEUED);
    assert.equal(await c.call('BLPOP', 'l2', '0'), QUEUED);
    assert.equal(
      await c.call('EXEC'),
      `*9\r\n*-1\r\n*-1\r\n$-1\r\n*-1\r\n*-1\r\n*-1\r\n*-1\r\n:1\r\n*2\r\n${bulk('l2')}${bulk('x')}`,
    );
  });

  it('a client blocked on a key is served after the whole transaction', async ({
    connection: c,
    connect,
  }) => {
    const blocked = await connect();
    blocked.send('BLPOP', 'q', '5');
    for (let i = 0; i < 100; i++) {
      if ((await c.call('INFO', 'clients')).includes('blocked_clients:1\r\n')) break;
      await sleep(5);
    }
    assert.equal(await c.call('MULTI'), '+OK\r\n');
    assert.equal(await c.call('RPUSH', 'q', 'a'), QUEUED);
    assert.equal(await c.call('LPOP', 'q'), QUEUED);
    assert.equal(await c.call('RPUSH', 'q', 'b'), QUEUED);
    assert.equal(await c.call('EXEC'), `*3\r\n:1\r\n${bulk('a')}:1\r\n`);
    assert.equal((await blocked.reply()).raw, `*2\r\n${bulk('q')}${bulk('b')}`);
  });

  it('RESET and QUIT inside MULTI; disconnect drops the transaction', async ({ connection: c, connect }) => {
    const other = await connect();
    assert.equal(await other.call('WATCH', 'k'), '+OK\r\n');
    assert.equal(await other.call('MULTI'), '+OK\r\n');
    assert.equal(await other.call('SET', 'k', 'v'), QUEUED);
    assert.equal(await other.call('RESET'), '+RESET\r\n');
    assert.equal(await other.call('EXEC'), '-ERR EXEC without MULTI\r\n');
    assert.equal(await other.call('MULTI'), '+OK\r\n');
    assert.equal(await other.call('QUIT'), '+OK\r\n');
    await other.waitClosed();
    assert.equal(await c.call('EXISTS', 'k'), ':0\r\n');
  });
  it('WATCH is per database; dirty clients show flag d; SELECT inside MULTI', async ({
    connection: c,
    connect,
  }) => {
    const other = await connect();
    const id = (await c.call('CLIENT', 'ID')).slice(1, -2);
    assert.equal(await c.call('WATCH', 'j'), '+OK\r\n');
    assert.equal(await other.call('SELECT', '1'), '+OK\r\n');
    assert.equal(await other.call('SET', 'j', '1'), '+OK\r\n');
    assert.match(await other.call('CLIENT', 'LIST'), new RegExp(`id=${id} .* flags=N `));
    assert.equal(await other.call('SELECT', '0'), '+OK\r\n');
    assert.equal(await other.call('SET', 'j', '1'), '+OK\r\n');
    assert.match(await other.call('CLIENT', 'LIST'), new RegExp(`id=${id} .* flags=d `));
    assert.equal(await c.call('MULTI'), '+OK\r\n');
    assert.match(await other.call('CLIENT', 'LIST'), new RegExp(`id=${id} .* flags=xd `));
    assert.equal(await c.call('EXEC'), '*-1\r\n');
    assert.match(await other.call('CLIENT', 'LIST'), new RegExp(`id=${id} .* flags=N `));
    assert.equal(await c.call('MULTI'), '+OK\r\n');
    assert.equal(await c.call('SELECT', '1'), QUEUED);
    assert.equal(await c.call('SET', 'in1', 'v'), QUEUED);
    assert.equal(await c.call('UNWATCH'), QUEUED);
    assert.equal(await c.call('EXEC'), '*3\r\n+OK\r\n+OK\r\n+OK\r\n');
    assert.equal(await c.call('GET', 'in1'), bulk('v'));
    assert.equal(await other.call('EXISTS', 'in1'), ':0\r\n');
  });
  it('over maxmemory: nothing is queued, and EXEC of writes is refused', async ({
    connection: c,
    connect,
  }) => {
    const other = await connect();
    const oom = "-OOM command not allowed when used memory > 'maxmemory'.\r\n";
    try {
      assert.equal(await other.call('CONFIG', 'SET', 'maxmemory', '1'), '+OK\r\n');
      assert.equal(await c.call('MULTI'), '+OK\r\n');
      assert.equal(await c.call('GET', 'k'), oom);
      assert.equal(await c.call('EXEC'), EXECABORT);
      assert.equal(await other.call('CONFIG', 'SET', 'maxmemory', '0'), '+OK\r\n');
      assert.equal(await c.call('MULTI'), '+OK\r\n');
      assert.equal(await c.call('SET', 'k', 'v'), QUEUED);
      assert.equal(await other.call('CONFIG', 'SET', 'maxmemory', '1'), '+OK\r\n');
      assert.equal(
        await c.call('EXEC'),
        "-EXECABORT Transaction discarded because of: OOM command not allowed when used memory > 'maxmemory'.\r\n",
      );
      assert.equal(await c.call('EXEC'), '-ERR EXEC without MULTI\r\n');
      // Reads only: EXEC runs.
      assert.equal(await other.call('CONFIG', 'SET', 'maxmemory', '0'), '+OK\r\n');
      assert.equal(await c.call('MULTI'), '+OK\r\n');
      assert.equal(await c.call('GET', 'k'), QUEUED);
      assert.equal(await other.call('CONFIG', 'SET', 'maxmemory', '1'), '+OK\r\n');
      assert.equal(await c.call('EXEC'), '*1\r\n$-1\r\n');
    } finally {
      await other.call('CONFIG', 'SET', 'maxmemory', '0');
    }
  });
});
