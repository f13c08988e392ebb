// Scripts through codis-proxy (two codis-servers: slots 0..511 on A, 512..1023 on B; two
// proxies): EVAL routed by the slot of its keys and the CROSSSLOT refusal, SCRIPT LOAD/EXISTS/FLUSH
// on every master, the EVALSHA fallback after NOSCRIPT (a flushed server, a group added later),
// SCRIPT KILL of an endless script while other groups are served, ioredis and node-redis script
// helpers.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { createClient, defineScript, type RedisArgument } from 'redis';
import { slotOf } from '../../src/slots/index.ts';
import {
  type ProxyFixture,
  sleep,
  slotRange,
  startProxy,
  startTwoGroups,
  type TwoGroups,
} from '../helpers/proxy-fixture.ts';
import { RawConnection } from '../helpers/raw-connection.ts';
import { type RunningServer, startServer } from '../helpers/redis-servers.ts';
import { bulk } from '../helpers/resp-text.ts';

const SET_AND_GET =
  "redis.call('set', KEYS[1], ARGV[1]) redis.call('set', KEYS[2], ARGV[1]) return redis.call('mget', KEYS[1], KEYS[2])";
const COUNT = "return redis.call('incr', KEYS[1])";
const NOSCRIPT = '-NOSCRIPT No matching script. Please use EVAL.\r\n';

function sha1(text: string): string {
  return createHash('sha1').update(text, 'latin1').digest('hex');
}

/** A key name with the prefix whose slot is served by A (< 512) or B. */
function keyOn(group: 'A' | 'B', prefix: string): string {
  for (let i = 0; ; i++) {
    const key = `${prefix}${i}`;
    if (slotOf(key) < 512 === (group === 'A')) return key;
  }
}

describe('codis-proxy scripts', () => {
  let cluster: TwoGroups;
  let a: RunningServer;
  let b: RunningServer;
  let addrA: string;
  let addrB: string;
  let one: ProxyFixture;
  let two: ProxyFixture;
  let c: RawConnection;
  let d: RawConnection;

  before(async () => {
    cluster = await startTwoGroups();
    ({ a, b, addrA, addrB } = cluster);
    [one, two] = cluster.proxies as [ProxyFixture, ProxyFixture];
    c = await RawConnection.open(one.port);
    d = await RawConnection.open(two.port);
  });
  after(async () => {
    c.close();
    d.close();
    await cluster.close();
  });

  it('EVAL runs where its keys are; keys of several slots get CROSSSLOT', async () => {
    const direct = { A: await RawConnection.open(a.port), B: await RawConnection.open(b.port) };
    for (const group of ['A', 'B'] as const) {
      const tag = `{${keyOn(group, 'tag')}}`;
      assert.equal(
        await c.call('EVAL', SET_AND_GET, '2', `${tag}x`, `${tag}y`, group),
        `*2\r\n${bulk(group)}${bulk(group)}`,
      );
      assert.equal(await direct[group].call('GET', `${tag}y`), bulk(group));
      assert.equal(await d.call('EVAL_RO', "return redis.call('get', KEYS[1])", '1', `${tag}x`), bulk(group));
      assert.equal(await c.call('DEL', `${tag}x`, `${tag}y`), ':2\r\n');
    }
    const crossslot = "-CROSSSLOT Keys in request don't hash to the same slot\r\n";
    const [ka, kb] = [keyOn('A', 'k'), keyOn('B', 'k')];
    assert.equal(await c.call('EVAL', SET_AND_GET, '2', ka, kb, 'v'), crossslot);
    assert.equal(await c.call('EVALSHA', sha1(SET_AND_GET), '2', ka, kb, 'v'), crossslot);
    assert.equal(await c.call('EVAL_RO', 'return 1', '2', ka, kb), crossslot);
    assert.equal(await c.call('EXISTS', ka, kb), ':0\r\n');
    // No keys: Codis's routing (the first argument after numkeys), any master runs it.
    assert.equal(await c.call('EVAL', 'return ARGV[1]', '0', 'hello'), bulk('hello'));
    assert.equal(await c.call('EVAL', 'return 7', '0'), ':7\r\n');
    // Bad numkeys: the server's own errors.
    assert.match(
      await c.call('EVAL', 'return 1', '3', 'x'),
      /^-ERR Number of keys can't be greater than number of args/,
    );
    assert.match(await c.call('EVAL', 'return 1', 'x'), /^-ERR value is not an integer or out of range/);
    direct.A.close();
    direct.B.close();
  });

  it('EVAL on a migrating slot runs after its keys reached the target (both methods)', async () => {
    const directA = await RawConnection.open(a.port);
    const directB = await RawConnection.open(b.port);
    const mget = "return redis.call('mget', KEYS[1], KEYS[2])";
    for (const method of [0, 1]) {
      const tag = `{${keyOn('A', `mig${method}-`)}}`;
      const slot = slotOf(tag);
      assert.equal(await directA.call('MSET', `${tag}1`, 'x', `${tag}2`, 'y'), '+OK\r\n');
      for (const fixture of [one, two])
        fixture.proxy.fillSlots([
          { id: slot, backend_addr: addrB, migrate_from: addrA, forward_method: method },
        ]);
      try {
        assert.equal(await c.call('EVAL', mget, '2', `${tag}1`, `${tag}2`), `*2\r\n${bulk('x')}${bulk('y')}`);
        assert.equal(await c.call('EVAL', "return redis.call('incr', KEYS[1])", '1', `${tag}n`), ':1\r\n');
        if (method === 0) {
          // Sync method: the tag was moved to the target before the script ran there.
          assert.equal(await directA.call('EXISTS', `${tag}1`, `${tag}2`), ':0\r\n');
          assert.equal(await directB.call('MGET', `${tag}1`, `${tag}2`), `*2\r\n${bulk('x')}${bulk('y')}`);
        }
        if (method === 1) {
          // The wrapper runs EVALSHA on the source, which lost the script: loaded there, run again.
          const sha = sha1(mget);
          assert.equal(await c.call('SCRIPT', 'LOAD', mget), bulk(sha));
          assert.equal(await directA.call('SCRIPT', 'FLUSH'), '+OK\r\n');
          assert.equal(
            await c.call('EVALSHA', sha, '2', `${tag}1`, `${tag}2`),
            `*2\r\n${bulk('x')}${bulk('y')}`,
          );
          assert.equal(await directA.call('SCRIPT', 'EXISTS', sha), '*1\r\n:1\r\n');
        }
        // Keys of two tags in one slot cannot be vouched for by the semi-async wrapper (Codis moves
        // only the first key's tag; this port refuses instead).
        let other = '';
        for (let n = 0; other === ''; n++) if (slotOf(`{t${n}}`) === slot) other = `{t${n}}k`;
        const twoTags = await c.call('EVAL', mget, '2', `${tag}1`, other);
        if (method === 1)
          assert.equal(twoTags, '-TRYAGAIN Multiple keys request during rehashing of slot\r\n');
        else assert.equal(twoTags, `*2\r\n${bulk('x')}$-1\r\n`);
      } finally {
        await directA.call('SLOTSMGRTTAGSLOT', '127.0.0.1', String(b.port), '3000', String(slot));
        for (const fixture of [one, two]) fixture.proxy.fillSlots([{ id: slot, backend_addr: addrB }]);
      }
      assert.equal(
        await d.call('MGET', `${tag}1`, `${tag}2`, `${tag}n`),
        `*3\r\n${bulk('x')}${bulk('y')}${bulk('1')}`,
      );
      assert.equal(await d.call('DEL', `${tag}1`, `${tag}2`, `${tag}n`), ':3\r\n');
      for (const fixture of [one, two]) fixture.proxy.fillSlots([{ id: slot, backend_addr: addrA }]);
    }
    directA.close();
    directB.close();
  });

  it('SCRIPT LOAD goes to every master; EVALSHA works through the other proxy; EXISTS means everywhere', async () => {
    const sha = sha1(COUNT);
    assert.equal(await c.call('SCRIPT', 'LOAD', COUNT), bulk(sha));
    const [ka, kb] = [keyOn('A', 'cnt'), keyOn('B', 'cnt')];
    assert.equal(await d.call('EVALSHA', sha, '1', ka), ':1\r\n');
    assert.equal(await d.call('EVALSHA', sha, '1', kb), ':1\r\n');
    assert.equal(
      await d.call('EVALSHA_RO', sha, '1', kb),
      `-ERR Write commands are not allowed from read-only scripts. script: ${sha}, on @user_script:1.\r\n`,
    );
    const missing = sha1('return 0');
    assert.equal(await d.call('SCRIPT', 'EXISTS', sha, missing), '*2\r\n:1\r\n:0\r\n');
    // Flushed on B only: EXISTS says 0 (not on every master).
    const directB = await RawConnection.open(b.port);
    assert.equal(await directB.call('SCRIPT', 'FLUSH'), '+OK\r\n');
    assert.equal(await d.call('SCRIPT', 'EXISTS', sha), '*1\r\n:0\r\n');
    // The proxy that loaded it loads it again on B and runs it: the client sees no NOSCRIPT.
    assert.equal(await c.call('EVALSHA', sha, '1', kb), ':2\r\n');
    assert.equal(await directB.call('SCRIPT', 'EXISTS', sha), '*1\r\n:1\r\n');
    assert.equal(await d.call('SCRIPT', 'EXISTS', sha), '*1\r\n:1\r\n');
    // The same for EVALSHA_RO.
    const get = "return redis.call('get', KEYS[1])";
    assert.equal(await c.call('SCRIPT', 'LOAD', get), bulk(sha1(get)));
    assert.equal(await directB.call('SCRIPT', 'FLUSH'), '+OK\r\n');
    assert.equal(await c.call('EVALSHA_RO', sha1(get), '1', kb), bulk('2'));
    // A proxy that never saw the body relays NOSCRIPT (clients then send EVAL).
    assert.equal(await directB.call('SCRIPT', 'FLUSH'), '+OK\r\n');
    assert.equal(await d.call('EVALSHA', sha, '1', kb), NOSCRIPT);
    // SCRIPT FLUSH through a proxy empties every master and the proxy's memory of bodies.
    assert.equal(await c.call('SCRIPT', 'LOAD', COUNT), bulk(sha));
    assert.equal(await c.call('SCRIPT', 'FLUSH'), '+OK\r\n');
    assert.equal(await d.call('SCRIPT', 'EXISTS', sha), '*1\r\n:0\r\n');
    assert.equal(await c.call('EVALSHA', sha, '1', ka), NOSCRIPT);
    assert.equal(await c.call('EVALSHA', sha, '1', kb), NOSCRIPT);
    directB.close();
  });

  it('SCRIPT errors and subcommands', async () => {
    assert.equal(await c.call('SCRIPT'), "-ERR wrong number of arguments for 'script' command\r\n");
    assert.match(await c.call('SCRIPT', 'LOAD', 'return +'), /^-ERR Error compiling script/);
    assert.equal(
      await c.call('SCRIPT', 'DEBUG', 'YES'),
      '-ERR SCRIPT DEBUG is not allowed through the proxy\r\n',
    );
    assert.match(await c.call('SCRIPT', 'HELP'), /^\*\d+\r\n/);
    assert.match(await c.call('SCRIPT', 'NOPE'), /^-ERR unknown subcommand/);
    assert.equal(await c.call('SCRIPT', 'KILL'), '-NOTBUSY No scripts in execution right now.\r\n');
    assert.equal(await c.call('SCRIPT', 'FLUSH', 'ASYNC'), '+OK\r\n');
    assert.equal(await c.call('PING'), '+PONG\r\n');
  });

  it('a group added later gets the script on first use', async () => {
    const c3 = await startServer('codis-server');
    try {
      const sha = sha1(COUNT);
      assert.equal(await c.call('SCRIPT', 'LOAD', COUNT), bulk(sha));
      // Slots 1000..1023 now served by the new group (empty: nothing to migrate for the test).
      for (const fixture of [one, two])
        fixture.proxy.fillSlots(slotRange(1000, 1023, `127.0.0.1:${c3.port}`));
      let key = '';
      for (let i = 0; key === ''; i++) if (slotOf(`late${i}`) >= 1000) key = `late${i}`;
      assert.equal(await c.call('EVALSHA', sha, '1', key), ':1\r\n');
      assert.equal(await c.call('EVALSHA', sha, '1', key), ':2\r\n');
      const direct = await RawConnection.open(c3.port);
      assert.equal(await direct.call('GET', key), bulk('2'));
      assert.equal(await direct.call('SCRIPT', 'EXISTS', sha), '*1\r\n:1\r\n');
      direct.close();
    } finally {
      for (const fixture of [one, two]) fixture.proxy.fillSlots(slotRange(1000, 1023, addrB));
      await c3.stop();
    }
  });

  it('SCRIPT KILL through the proxy stops an endless script; other groups are served meanwhile', async () => {
    const directA = await RawConnection.open(a.port);
    assert.equal(await directA.call('CONFIG', 'SET', 'busy-reply-threshold', '100'), '+OK\r\n');
    const looping = await RawConnection.open(one.port);
    const kb = keyOn('B', 'served');
    try {
      looping.send('EVAL', 'while true do end', '1', keyOn('A', 'loop'));
      await sleep(300);
      // The server answers BUSY to others; a client of group B through either proxy is served.
      assert.match(await directA.call('GET', 'x'), /^-BUSY /);
      const other = await RawConnection.open(one.port);
      for (let i = 0; i < 20; i++) assert.equal(await other.call('SET', kb, String(i)), '+OK\r\n');
      assert.equal(await d.call('GET', kb), bulk('19'));
      other.close();
      // FUNCTION KILL cannot stop an EVAL script: that master's BUSY, not the other's NOTBUSY.
      assert.match(await d.call('FUNCTION', 'KILL'), /^-BUSY /);
      // The kill goes out on a connection of its own, not behind the running script.
      assert.equal(await d.call('SCRIPT', 'KILL'), '+OK\r\n');
      assert.match((await looping.reply()).raw, /^-ERR Script killed by user with SCRIPT KILL/);
      assert.equal(await looping.call('GET', keyOn('A', 'loop')), '$-1\r\n');
      assert.equal(await c.call('SCRIPT', 'KILL'), '-NOTBUSY No scripts in execution right now.\r\n');
    } finally {
      looping.close();
      await directA.call('CONFIG', 'SET', 'busy-reply-threshold', '5000');
      directA.close();
    }
  });

  it('with product_auth: SCRIPT KILL authenticates its own connection; SCAN and DBSIZE work', async () => {
    const secured = await startServer('codis-server', { args: ['--requirepass', 'pw'] });
    const fixture = await startProxy({ product_auth: 'pw' });
    try {
      fixture.proxy.fillSlots(slotRange(0, 1023, `127.0.0.1:${secured.port}`));
      fixture.proxy.start();
      const direct = await RawConnection.open(secured.port);
      assert.equal(await direct.call('AUTH', 'pw'), '+OK\r\n');
      assert.equal(await direct.call('CONFIG', 'SET', 'busy-reply-threshold', '50'), '+OK\r\n');
      const p = await RawConnection.open(fixture.port);
      assert.equal(await p.call('SET', 'k', 'v'), '+OK\r\n');
      assert.equal(await p.call('DBSIZE'), ':1\r\n');
      assert.equal(await p.call('SCAN', '0', 'COUNT', '100'), `*2\r\n$1\r\n0\r\n*1\r\n${bulk('k')}`);
      const looping = await RawConnection.open(fixture.port);
      looping.send('EVAL', 'while true do end', '0');
      await sleep(200);
      assert.equal(await p.call('SCRIPT', 'KILL'), '+OK\r\n');
      assert.match((await looping.reply()).raw, /^-ERR Script killed by user with SCRIPT KILL/);
      looping.close();
      p.close();
      direct.close();
    } finally {
      await fixture.close();
      await secured.stop();
    }
  });

  it('FUNCTION LOAD/DELETE/FLUSH on every master, FCALL in either group, FUNCTION KILL', async () => {
    const library =
      "#!lua name=counters\nredis.register_function('bump', function(keys) return redis.call('incr', keys[1]) end)\n" +
      "redis.register_function{function_name='peek', callback=function(keys) return redis.call('get', keys[1]) end, flags={'no-writes'}}\n" +
      "redis.register_function('spin', function() while true do end end)";
    assert.equal(await c.call('FUNCTION', 'LOAD', library), bulk('counters'));
    const [ka, kb] = [keyOn('A', 'fn'), keyOn('B', 'fn')];
    assert.equal(await d.call('FCALL', 'bump', '1', ka), ':1\r\n');
    assert.equal(await d.call('FCALL', 'bump', '1', kb), ':1\r\n');
    assert.equal(await d.call('FCALL_RO', 'peek', '1', kb), bulk('1'));
    assert.equal(
      await c.call('FCALL', 'bump', '2', ka, kb),
      "-CROSSSLOT Keys in request don't hash to the same slot\r\n",
    );
    assert.match(await c.call('FUNCTION', 'LIST'), /counters/);
    // Already loaded everywhere: the masters' error; REPLACE agrees again.
    assert.match(await c.call('FUNCTION', 'LOAD', library), /^-ERR Library 'counters' already exists/);
    assert.equal(await c.call('FUNCTION', 'LOAD', 'REPLACE', library), bulk('counters'));
    // FUNCTION KILL on a connection of its own while group B is served.
    const directA = await RawConnection.open(a.port);
    assert.equal(await directA.call('CONFIG', 'SET', 'busy-reply-threshold', '100'), '+OK\r\n');
    const looping = await RawConnection.open(one.port);
    try {
      looping.send('FCALL', 'spin', '1', ka);
      await sleep(300);
      assert.equal(await d.call('FCALL', 'bump', '1', kb), ':2\r\n');
      assert.equal(await d.call('FUNCTION', 'KILL'), '+OK\r\n');
      assert.match((await looping.reply()).raw, /^-ERR Script killed by user with SCRIPT KILL.*spin/);
    } finally {
      looping.close();
      await directA.call('CONFIG', 'SET', 'busy-reply-threshold', '5000');
      directA.close();
    }
    assert.equal(await c.call('FUNCTION', 'DELETE', 'counters'), '+OK\r\n');
    for (const key of [ka, kb])
      assert.match(await d.call('FCALL', 'bump', '1', key), /^-ERR Function not found/);
    assert.equal(await c.call('FUNCTION', 'LOAD', library), bulk('counters'));
    assert.equal(await c.call('FUNCTION', 'FLUSH'), '+OK\r\n');
    assert.equal(await d.call('FUNCTION', 'LIST'), '*0\r\n');
    assert.equal(await c.call('FUNCTION'), "-ERR wrong number of arguments for 'function' command\r\n");
    assert.equal(await c.call('DEL', ka, kb), ':2\r\n');
  });

  it('ioredis defineCommand and node-redis scripts', async () => {
    const io = new Redis({ port: one.port, host: '127.0.0.1', lazyConnect: true });
    try {
      await io.connect();
      io.defineCommand('setBoth', { numberOfKeys: 2, lua: SET_AND_GET });
      const run = (io as unknown as Record<string, (...args: string[]) => Promise<string[]>>).setBoth as (
        ...args: string[]
      ) => Promise<string[]>;
      for (const group of ['A', 'B'] as const) {
        const tag = `{${keyOn(group, 'io')}}`;
        assert.deepEqual(await run.call(io, `${tag}1`, `${tag}2`, 'v'), ['v', 'v']);
      }
      await assert.rejects(run.call(io, keyOn('A', 'x'), keyOn('B', 'x'), 'v'), /CROSSSLOT/);
      // After a flush everywhere, ioredis falls back to EVAL by itself.
      assert.equal(await io.script('FLUSH'), 'OK');
      const tag = `{${keyOn('B', 'io')}}`;
      assert.deepEqual(await run.call(io, `${tag}1`, `${tag}2`, 'w'), ['w', 'w']);
      assert.deepEqual(await io.script('EXISTS', sha1(SET_AND_GET)), [0]);
    } finally {
      io.disconnect();
    }
    const client = createClient({
      socket: { host: '127.0.0.1', port: two.port },
      disableClientInfo: true,
      RESP: 2,
      scripts: {
        count: defineScript({
          NUMBER_OF_KEYS: 1,
          SCRIPT: COUNT,
          parseCommand(parser, key: RedisArgument) {
            parser.pushKey(key);
          },
          transformReply: (reply: unknown) => Number(reply),
        }),
      },
    });
    await client.connect();
    try {
      const key = keyOn('A', 'nr');
      assert.equal(await client.count(key), 1);
      assert.equal(await client.count(key), 2);
      assert.equal(await client.scriptLoad(COUNT), sha1(COUNT));
      assert.deepEqual(await client.scriptExists(sha1(COUNT)), [1]);
      assert.equal(await client.evalSha(sha1(COUNT), { keys: [keyOn('B', 'nr')] }), 1);
      assert.equal(await client.eval('return ARGV[1]', { arguments: ['x'] }), 'x');
    } finally {
      client.destroy();
    }
  });
});
