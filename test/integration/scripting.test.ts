import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { conformanceSuite } from '../helpers/conformance.ts';
import type { RawConnection } from '../helpers/raw-connection.ts';
import { bulk } from '../helpers/resp-text.ts';

function sha1(text: string): string {
  return createHash('sha1').update(text, 'latin1').digest('hex');
}

/** The error reply of a script that raised `message` at line `line` of its body. */
function raised(message: string, body: string, line = 1): string {
  return `-${message} script: ${sha1(body)}, on @user_script:${line}.\r\n`;
}

async function evalReply(c: RawConnection, body: string, ...rest: string[]): Promise<string> {
  return c.call('EVAL', body, ...(rest.length === 0 ? ['0'] : rest));
}

conformanceSuite('scripting', (it) => {
  it('KEYS and ARGV, redis.call with strings and numbers', async ({ connection: c }) => {
    assert.equal(
      await c.call('EVAL', 'return {KEYS[1], KEYS[2], ARGV[1], #KEYS, #ARGV}', '2', 'k1', 'k2', 'a1'),
      `*5\r\n${bulk('k1')}${bulk('k2')}${bulk('a1')}:2\r\n:1\r\n`,
    );
    assert.equal(
      await c.call('EVAL', "return redis.call('set', KEYS[1], ARGV[1])", '1', 'key', 'value'),
      '+OK\r\n',
    );
    assert.equal(await c.call('GET', 'key'), bulk('value'));
    assert.equal(
      await evalReply(c, "redis.call('set', 'n', 42) return redis.call('incrby', 'n', 1.5 * 2)"),
      ':45\r\n',
    );
    assert.equal(await evalReply(c, "return redis.call('set', 'f', 0.5)"), '+OK\r\n');
    assert.equal(await c.call('GET', 'f'), bulk('0.5'));
    // Binary-safe values both ways.
    const binary = Buffer.from([0, 255, 13, 10, 200]).toString('latin1');
    assert.equal(
      await c.call(
        'EVAL',
        "redis.call('set', KEYS[1], ARGV[1]) return redis.call('get', KEYS[1])",
        '1',
        'bin',
        binary,
      ),
      bulk(binary),
    );
    assert.equal(await c.call('STRLEN', 'bin'), ':5\r\n');
  });

  it('Lua to Redis conversions: numbers, booleans, nil, tables, status and error tables', async ({
    connection: c,
  }) => {
    assert.equal(await evalReply(c, 'return 3.99'), ':3\r\n');
    assert.equal(await evalReply(c, 'return -3.99'), ':-3\r\n');
    assert.equal(await evalReply(c, 'return 7/2'), ':3\r\n');
    assert.equal(await evalReply(c, 'return 2^53'), ':9007199254740992\r\n');
    assert.equal(await evalReply(c, 'return 1/0'), ':-9223372036854775808\r\n');
    assert.equal(await evalReply(c, 'return true'), ':1\r\n');
    assert.equal(await evalReply(c, 'return false'), '$-1\r\n');
    assert.equal(await evalReply(c, 'return nil'), '$-1\r\n');
    assert.equal(await evalReply(c, 'local x = 1'), '$-1\r\n');
    assert.equal(await evalReply(c, "return 'hello'"), bulk('hello'));
    assert.equal(
      await evalReply(c, "return {1, 2, 3.7, 'a', nil, 5}"),
      `*4\r\n:1\r\n:2\r\n:3\r\n${bulk('a')}`,
    );
    assert.equal(
      await evalReply(c, "return {1, {2, {3, 'x'}}, {}}"),
      `*3\r\n:1\r\n*2\r\n:2\r\n*2\r\n:3\r\n${bulk('x')}*0\r\n`,
    );
    assert.equal(await evalReply(c, "return {ok = 'fine'}"), '+fine\r\n');
    assert.equal(await evalReply(c, "return {err = 'bad thing'}"), '-bad thing\r\n');
    assert.equal(await evalReply(c, "return {ok = 'x', err = 'y'}"), '-y\r\n');
    assert.equal(await evalReply(c, "return redis.status_reply('fine')"), '+fine\r\n');
    assert.equal(await evalReply(c, "return redis.error_reply('MYERR custom')"), '-MYERR custom\r\n');
    assert.equal(await evalReply(c, "return redis.error_reply('oops')"), '-ERR oops\r\n');
    assert.equal(
      await evalReply(c, 'return redis.error_reply()'),
      '-ERR wrong number or type of arguments\r\n',
    );
    assert.equal(
      await evalReply(c, "return {1, redis.error_reply('E1 in array'), {ok = 'st'}}"),
      '*3\r\n:1\r\n-E1 in array\r\n+st\r\n',
    );
    assert.equal(await evalReply(c, 'return {double = 1.5}'), bulk('1.5'));
    assert.equal(await evalReply(c, 'return function () end'), '$-1\r\n');
  });

  it('Redis to Lua conversions: integers, bulks, nil as false, arrays, status and error tables', async ({
    connection: c,
  }) => {
    await c.call('SET', 'a', '1');
    await c.call('RPUSH', 'l', 'x', 'y');
    assert.equal(await evalReply(c, "return type(redis.call('get', 'missing'))"), bulk('boolean'));
    assert.equal(await evalReply(c, "return redis.call('get', 'missing') == false"), ':1\r\n');
    assert.equal(
      await evalReply(c, "return redis.call('mget', 'a', 'missing', 'a')"),
      `*3\r\n${bulk('1')}$-1\r\n${bulk('1')}`,
    );
    assert.equal(
      await evalReply(c, "local r = redis.call('ping') return {type(r), r.ok}"),
      `*2\r\n${bulk('table')}${bulk('PONG')}`,
    );
    assert.equal(await evalReply(c, "return redis.call('ping')"), '+PONG\r\n');
    assert.equal(await evalReply(c, "return redis.call('incr', 'a') + 1"), ':3\r\n');
    assert.equal(
      await evalReply(c, "local l = redis.call('lrange', 'l', 0, -1) return {#l, l[1], l[2]}"),
      `*3\r\n:2\r\n${bulk('x')}${bulk('y')}`,
    );
    assert.equal(
      await evalReply(c, "local r = redis.pcall('incr', 'l') return {type(r), r.err}"),
      `*2\r\n${bulk('table')}${bulk('WRONGTYPE Operation against a key holding the wrong kind of value')}`,
    );
    assert.equal(
      await evalReply(c, "return redis.pcall('incr', 'l')"),
      '-WRONGTYPE Operation against a key holding the wrong kind of value\r\n',
    );
    // Big integers lose precision as Lua numbers, and overflow to LLONG_MIN on the way back.
    assert.equal(
      await evalReply(c, "return redis.call('incrby', 'big', '9223372036854775807')"),
      ':-9223372036854775808\r\n',
    );
    assert.equal(
      await evalReply(c, "return redis.call('incrby', 'big2', '9007199254740993')"),
      ':9007199254740992\r\n',
    );
    assert.equal(
      await evalReply(c, "return tostring(redis.call('incrby', 'big3', '1000000'))"),
      bulk('1000000'),
    );
  });

  it('errors raised in scripts carry the script and the line', async ({ connection: c }) => {
    assert.equal(
      await evalReply(c, 'return x'),
      raised("ERR user_script:1: Script attempted to access nonexistent global variable 'x'", 'return x'),
    );
    assert.equal(
      await evalReply(c, 'return _G.x'),
      raised("ERR user_script:1: Script attempted to access nonexistent global variable 'x'", 'return _G.x'),
    );
    assert.equal(
      await evalReply(c, 'x = 1'),
      raised('ERR user_script:1: Attempt to modify a readonly table', 'x = 1'),
    );
    assert.equal(await evalReply(c, "error('boom')"), raised('ERR user_script:1: boom', "error('boom')"));
    assert.equal(
      await evalReply(c, "error({err = 'MY boom'})"),
      raised('MY boom', "error({err = 'MY boom'})"),
    );
    const body = "local a = 1\nreturn redis.call('nosuch')";
    assert.equal(await evalReply(c, body), raised('ERR Unknown Redis command called from script', body, 2));
    assert.equal(
      await evalReply(c, "return redis.call('set', 'k')"),
      raised('ERR Wrong number of args calling Redis command from script', "return redis.call('set', 'k')"),
    );
    assert.equal(
      await evalReply(c, "return redis.call('set', 'k', 'v', 'x')"),
      raised('ERR syntax error', "return redis.call('set', 'k', 'v', 'x')"),
    );
    assert.equal(
      await evalReply(c, "return redis.call('save')"),
      raised('ERR This Redis command is not allowed from script', "return redis.call('save')"),
    );
    assert.equal(
      await evalReply(c, 'return redis.call()'),
      raised('ERR Please specify at least one argument for this redis lib call', 'return redis.call()'),
    );
    assert.equal(
      await evalReply(c, "return redis.call('get', {})"),
      raised(
        'ERR Lua redis lib command arguments must be strings or integers',
        "return redis.call('get', {})",
      ),
    );
    assert.equal(
      await evalReply(c, "return redis.pcall('nosuch')"),
      '-ERR Unknown Redis command called from script\r\n',
    );
    // redis.pcall returns its own argument errors as error tables too (found by the differential test).
    assert.equal(
      await evalReply(c, "return redis.pcall('get', {})"),
      '-ERR Lua redis lib command arguments must be strings or integers\r\n',
    );
    assert.equal(
      await evalReply(c, 'return redis.pcall()'),
      '-ERR Please specify at least one argument for this redis lib call\r\n',
    );
    assert.equal(
      await evalReply(c, "local e = redis.pcall('lpush', 'k', nil) return type(e) .. ' ' .. e.err"),
      '$69\r\ntable ERR Lua redis lib command arguments must be strings or integers\r\n',
    );
    assert.equal(
      await evalReply(c, "return redis.pcall('set', 'k')"),
      '-ERR Wrong number of args calling Redis command from script\r\n',
    );
    assert.equal(
      await evalReply(c, 'return 1 +'),
      "-ERR Error compiling script (new function): user_script:1: unexpected symbol near '<eof>'\r\n",
    );
    assert.equal(
      await evalReply(c, 'redis.setresp(4)'),
      raised('ERR RESP version must be 2 or 3.', 'redis.setresp(4)'),
    );
    assert.equal(
      await evalReply(c, 'redis.log(99, "x")'),
      raised('ERR Invalid debug level.', 'redis.log(99, "x")'),
    );
    assert.equal(
      await evalReply(c, 'return redis.sha1hex()'),
      raised('ERR wrong number of arguments', 'return redis.sha1hex()'),
    );
  });

  it('numkeys errors, NOSCRIPT, EVALSHA after SCRIPT LOAD and after EVAL', async ({ connection: c }) => {
    assert.equal(await c.call('EVAL', 'return 1', '-1'), "-ERR Number of keys can't be negative\r\n");
    assert.equal(
      await c.call('EVAL', 'return 1', '2', 'a'),
      "-ERR Number of keys can't be greater than number of args\r\n",
    );
    assert.equal(await c.call('EVAL', 'return 1', 'x'), '-ERR value is not an integer or out of range\r\n');
    assert.equal(await c.call('EVAL', 'return 1'), "-ERR wrong number of arguments for 'eval' command\r\n");
    assert.equal(
      await c.call('EVALSHA', 'f'.repeat(40), '0'),
      '-NOSCRIPT No matching script. Please use EVAL.\r\n',
    );
    assert.equal(await c.call('EVALSHA', 'abc', '0'), '-NOSCRIPT No matching script. Please use EVAL.\r\n');
    const body = 'return ARGV[1] .. KEYS[1]';
    const sha = sha1(body);
    assert.equal(await c.call('SCRIPT', 'FLUSH'), '+OK\r\n');
    assert.equal(await c.call('SCRIPT', 'EXISTS', sha, 'f'.repeat(40)), '*2\r\n:0\r\n:0\r\n');
    assert.equal(await c.call('SCRIPT', 'LOAD', body), bulk(sha));
    assert.equal(
      await c.call('SCRIPT', 'EXISTS', sha, sha.toUpperCase(), 'f'.repeat(40)),
      '*3\r\n:1\r\n:1\r\n:0\r\n',
    );
    assert.equal(await c.call('EVALSHA', sha, '1', 'k', 'a'), bulk('ak'));
    assert.equal(await c.call('EVALSHA', sha.toUpperCase(), '1', 'k', 'a'), bulk('ak'));
    assert.equal(await c.call('EVALSHA_RO', sha, '1', 'k', 'b'), bulk('bk'));
    assert.equal(await c.call('SCRIPT', 'FLUSH', 'ASYNC'), '+OK\r\n');
    assert.equal(
      await c.call('EVALSHA', sha, '1', 'k', 'a'),
      '-NOSCRIPT No matching script. Please use EVAL.\r\n',
    );
    // EVAL caches its script too.
    assert.equal(await c.call('EVAL', body, '1', 'k', 'c'), bulk('ck'));
    assert.equal(await c.call('EVALSHA', sha, '1', 'k', 'd'), bulk('dk'));
    assert.equal(await c.call('SCRIPT', 'FLUSH', 'SYNC'), '+OK\r\n');
    assert.equal(
      await c.call('SCRIPT', 'FLUSH', 'x'),
      '-ERR SCRIPT FLUSH only support SYNC|ASYNC option\r\n',
    );
    assert.equal(
      await c.call('SCRIPT', 'LOAD', 'return +'),
      "-ERR Error compiling script (new function): user_script:1: unexpected symbol near '+'\r\n",
    );
    assert.equal(await c.call('SCRIPT', 'KILL'), '-NOTBUSY No scripts in execution right now.\r\n');
    assert.match(await c.call('SCRIPT', 'HELP'), /^\*17\r\n\+SCRIPT <subcommand>/);
  });

  it('read-only scripts: EVAL_RO and the no-writes shebang flag refuse writes', async ({ connection: c }) => {
    const write = "return redis.call('set', 'a', 'b')";
    assert.equal(
      await c.call('EVAL_RO', write, '0'),
      raised('ERR Write commands are not allowed from read-only scripts.', write),
    );
    assert.equal(
      await c.call('EVAL_RO', "return redis.pcall('set', 'a', 'b')", '0'),
      '-ERR Write commands are not allowed from read-only scripts.\r\n',
    );
    await c.call('SET', 'r', 'v');
    assert.equal(await c.call('EVAL_RO', "return redis.call('get', 'r')", '0'), bulk('v'));
    const noWrites = `#!lua flags=no-writes\n${write}`;
    assert.equal(
      await c.call('EVAL', noWrites, '0'),
      raised('ERR Write commands are not allowed from read-only scripts.', noWrites, 2),
    );
    assert.equal(await c.call('EVAL', `#!lua\n${write}`, '0'), '+OK\r\n');
    assert.equal(
      await c.call('EVAL_RO', '#!lua\nreturn 1', '0'),
      '-ERR Can not execute a script with write flag using *_ro command.\r\n',
    );
    assert.equal(await c.call('EVAL_RO', '#!lua flags=no-writes\nreturn 1', '0'), ':1\r\n');
    assert.equal(
      await c.call('EVAL', '#!lua flags=bogus\nreturn 1', '0'),
      '-ERR Unexpected flag in script shebang: bogus\r\n',
    );
    assert.equal(
      await c.call('EVAL', '#!python\nreturn 1', '0'),
      '-ERR Unexpected engine in script shebang: #!python\r\n',
    );
    assert.equal(await c.call('EXISTS', 'a'), ':1\r\n');
  });

  it('the redis library: sha1hex, version, log, setresp, pcall error tables', async ({ connection: c }) => {
    assert.equal(
      await evalReply(c, "return redis.sha1hex('')"),
      bulk('da39a3ee5e6b4b0d3255bfef95601890afd80709'),
    );
    assert.equal(await evalReply(c, "return redis.sha1hex('abc')"), bulk(sha1('abc')));
    assert.equal(await evalReply(c, 'return redis.REDIS_VERSION'), bulk('7.0.15'));
    assert.equal(await evalReply(c, 'return redis.REDIS_VERSION_NUM'), `:${0x07000f}\r\n`);
    assert.equal(await evalReply(c, "return redis.log(redis.LOG_WARNING, 'from a script')"), '$-1\r\n');
    assert.equal(
      await evalReply(c, "local r = redis.pcall('nosuch') return {type(r), r.err}"),
      `*2\r\n${bulk('table')}${bulk('ERR Unknown Redis command called from script')}`,
    );
    assert.equal(await evalReply(c, "redis.setresp(3) return redis.call('get', 'missing') == nil"), ':1\r\n');
    await c.call('HSET', 'h', 'f', 'v');
    assert.equal(
      await evalReply(c, "redis.setresp(3) local r = redis.call('hgetall', 'h') return r.map.f"),
      bulk('v'),
    );
    assert.equal(await evalReply(c, 'return type(unpack)'), bulk('function'));
    assert.equal(await evalReply(c, 'local t = {} t.x = 1 return t.x'), ':1\r\n');
  });

  it('SELECT inside a script does not change the caller database', async ({ connection: c }) => {
    assert.equal(
      await evalReply(
        c,
        "redis.call('select', 3) redis.call('set', 'in3', 'v') return redis.call('get', 'in3')",
      ),
      bulk('v'),
    );
    assert.equal(await c.call('EXISTS', 'in3'), ':0\r\n');
    assert.equal(await c.call('SELECT', '3'), '+OK\r\n');
    assert.equal(await c.call('GET', 'in3'), bulk('v'));
    assert.equal(await c.call('FLUSHDB'), '+OK\r\n');
  });

  it('EVAL inside MULTI runs at EXEC', async ({ connection: c }) => {
    assert.equal(await c.call('MULTI'), '+OK\r\n');
    assert.equal(await evalReply(c, "return redis.call('incr', 'm')"), '+QUEUED\r\n');
    assert.equal(await evalReply(c, "return redis.call('incr', 'm')"), '+QUEUED\r\n');
    assert.equal(await c.call('EXEC'), '*2\r\n:1\r\n:2\r\n');
  });

  it('a slow script: BUSY for other clients, SCRIPT KILL stops it', async ({ connection: c, connect }) => {
    const other = await connect();
    assert.equal(await other.call('CONFIG', 'SET', 'busy-reply-threshold', '100'), '+OK\r\n');
    try {
      const body = 'local i = 0 while true do i = i + 1 end';
      c.send('EVAL', body, '0');
      let reply = '';
      for (let attempt = 0; attempt < 100; attempt++) {
        reply = await other.call('PING');
        if (reply.startsWith('-BUSY')) break;
        await sleep(50);
      }
      assert.equal(
        reply,
        '-BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.\r\n',
      );
      assert.equal(
        await other.call('GET', 'x'),
        '-BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.\r\n',
      );
      assert.equal(await other.call('SCRIPT', 'KILL'), '+OK\r\n');
      assert.equal((await c.reply()).raw, raised('ERR Script killed by user with SCRIPT KILL...', body));
      assert.equal(await other.call('PING'), '+PONG\r\n');
      assert.equal(await c.call('PING'), '+PONG\r\n');
    } finally {
      await other.call('CONFIG', 'SET', 'busy-reply-threshold', '5000');
    }
  });
});
