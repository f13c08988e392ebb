// Redis 7 functions (FUNCTION LOAD/LIST/STATS/DELETE/FLUSH/DUMP/RESTORE/KILL, FCALL, FCALL_RO),
// compared byte for byte with Debian's redis-server 7.
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { conformanceSuite } from '../helpers/conformance.ts';
import type { RawConnection } from '../helpers/raw-connection.ts';
import { bulk } from '../helpers/resp-text.ts';

const LIBRARY = `#!lua name=mylib
redis.register_function('echo', function(keys, args) return {keys[1], args[1], #keys, #args} end)
redis.register_function{function_name='get', callback=function(keys, args) return redis.call('get', keys[1]) end, flags={'no-writes'}, description='reads a key'}
redis.register_function('set', function(keys, args) return redis.call('set', keys[1], args[1]) end)
redis.register_function('missing', function(keys, args) return nonexistent end)
redis.register_function('raise', function(keys, args) error('bad') end)
redis.register_function('unknown', function(keys, args) return redis.call('nosuch') end)
redis.register_function('keys', function(keys, args) return KEYS end)
`;

/** The bytes of a bulk reply. */
async function bulkBytes(c: RawConnection, ...args: string[]): Promise<Buffer> {
  const raw = await c.call(...args);
  assert.ok(raw.startsWith('$'), raw);
  return Buffer.from(raw.slice(raw.indexOf('\r\n') + 2, -2), 'latin1');
}

async function load(c: RawConnection, code: string, ...options: string[]): Promise<string> {
  return c.call('FUNCTION', 'LOAD', ...options, code);
}

const ONE_FUNCTION =
  "#!lua name=lib1\nredis.register_function{function_name='f1', callback=function(k, a) return 1 end, flags={'no-writes', 'allow-oom'}, description='d'}";

conformanceSuite('functions', (it) => {
  it('FUNCTION LOAD and FCALL: keys and args tables, both forms of register_function', async ({
    connection: c,
  }) => {
    await c.call('FUNCTION', 'FLUSH');
    assert.equal(await load(c, LIBRARY), bulk('mylib'));
    assert.equal(
      await c.call('FCALL', 'echo', '1', 'k', 'a', 'b'),
      `*4\r\n${bulk('k')}${bulk('a')}:1\r\n:2\r\n`,
    );
    assert.equal(await c.call('FCALL', 'set', '1', 'key', 'value'), '+OK\r\n');
    assert.equal(await c.call('FCALL', 'get', '1', 'key'), bulk('value'));
    assert.equal(await c.call('FCALL_RO', 'get', '1', 'key'), bulk('value'));
    assert.equal(
      await c.call('FCALL_RO', 'set', '1', 'key', 'v'),
      '-ERR Can not execute a script with write flag using *_ro command.\r\n',
    );
    assert.equal(
      await c.call('FCALL', 'missing', '0'),
      "-ERR user_function:5: Script attempted to access nonexistent global variable 'nonexistent' script: missing, on @user_function:5.\r\n",
    );
    assert.equal(
      await c.call('FCALL', 'raise', '0'),
      '-ERR user_function:6: bad script: raise, on @user_function:6.\r\n',
    );
    assert.equal(
      await c.call('FCALL', 'unknown', '0'),
      '-ERR Unknown Redis command called from script script: unknown, on @user_function:7.\r\n',
    );
    assert.equal(
      await c.call('FCALL', 'keys', '0'),
      "-ERR user_function:8: Script attempted to access nonexistent global variable 'KEYS' script: keys, on @user_function:8.\r\n",
    );
    assert.equal(await c.call('FCALL', 'nosuch', '0'), '-ERR Function not found\r\n');
    assert.equal(await c.call('FCALL', 'echo', 'x'), '-ERR Bad number of keys provided\r\n');
    assert.equal(
      await c.call('FCALL', 'echo', '2', 'a'),
      "-ERR Number of keys can't be greater than number of args\r\n",
    );
    assert.equal(await c.call('FCALL', 'echo', '-1'), "-ERR Number of keys can't be negative\r\n");
    assert.equal(
      await c.call('FCALL_RO', 'echo', '0'),
      '-ERR Can not execute a script with write flag using *_ro command.\r\n',
    );
    // A function's numbers are Lua 5.1's, as in EVAL.
    assert.equal(
      await load(
        c,
        "#!lua name=numbers\nredis.register_function('big', function(k, a) return tostring(2147483647 + 1) .. ' ' .. tostring(10/2) end)",
      ),
      bulk('numbers'),
    );
    assert.equal(await c.call('FCALL', 'big', '0'), bulk('2147483648 5'));
    // SCRIPT FLUSH leaves functions alone; FLUSHALL too.
    assert.equal(await c.call('SCRIPT', 'FLUSH'), '+OK\r\n');
    assert.equal(await c.call('FLUSHALL'), '+OK\r\n');
    assert.equal(await c.call('FCALL', 'big', '0'), bulk('2147483648 5'));
  });

  it('FUNCTION LOAD errors: metadata, names, registration, compilation', async ({ connection: c }) => {
    await c.call('FUNCTION', 'FLUSH');
    assert.equal(await load(c, LIBRARY), bulk('mylib'));
    const cases: Array<[string, string]> = [
      [
        "#!lua name=mylib\nredis.register_function('x', function() return 1 end)",
        "Library 'mylib' already exists",
      ],
      ["redis.register_function('x', function() return 1 end)", 'Missing library metadata'],
      ['#!lua', 'Invalid library metadata'],
      ['#!lua name=a b=c\n', 'Invalid metadata value given: b=c'],
      ['#!lua name=a name=b\n', 'Invalid metadata value, name argument was given multiple times'],
      ['#!lua\n', 'Library name was not given'],
      ['#!lua name=a\n', 'No functions registered'],
      ['#!lua name=a\nreturn 1', 'No functions registered'],
      [
        "#!lua name=b\nredis.register_function('echo', function() return 1 end)",
        'Function echo already exists',
      ],
      [
        "#!lua name=b\nredis.call('set','x','y')",
        "Error registering functions: ERR user_function:2: Script attempted to access nonexistent global variable 'call'",
      ],
      [
        "#!lua name=b\nlocal n = string.len('x')",
        "Error registering functions: ERR user_function:2: Script attempted to access nonexistent global variable 'string'",
      ],
      [
        "#!lua name=b\nredis.register_function('bad name', function() return 1 end)",
        'Error registering functions: ERR Library names can only contain letters, numbers, or underscores(_) and must be at least one character long',
      ],
      [
        "#!lua name=b\nredis.register_function('f', 1)",
        'Error registering functions: ERR second argument to redis.register_function must be a function',
      ],
      [
        '#!lua name=b\nredis.register_function(1)',
        'Error registering functions: ERR calling redis.register_function with a single argument is only applicable to Lua table (representing named arguments).',
      ],
      [
        "#!lua name=b\nredis.register_function{function_name='f', callback=function() end, flags={'bogus'}}",
        'Error registering functions: ERR unknown flag given',
      ],
      [
        "#!lua name=b\nredis.register_function{function_name='f', callback=function() end, flags='no-writes'}",
        'Error registering functions: ERR flags argument to redis.register_function must be a table representing function flags',
      ],
      [
        "#!lua name=b\nredis.register_function{function_name='f', callback=function() end, foo=1}",
        'Error registering functions: ERR unknown argument given to redis.register_function',
      ],
      [
        '#!lua name=b\nredis.register_function{callback=function() end}',
        'Error registering functions: ERR redis.register_function must get a function name argument',
      ],
      [
        "#!lua name=b\nredis.register_function{function_name='f'}",
        'Error registering functions: ERR redis.register_function must get a callback argument',
      ],
      [
        "#!lua name=b\nredis.register_function('f', function() end)\nredis.register_function('f', function() end)",
        'Error registering functions: ERR Function already exists in the library',
      ],
      [
        '#!lua name=b\nlocal x = \n',
        "Error compiling function: user_function:3: unexpected symbol near '<eof>'",
      ],
      [
        '#!lua name=b\nx = 1',
        'Error registering functions: ERR user_function:2: Attempt to modify a readonly table',
      ],
      [
        "#!lua name=b\nerror('no')",
        "Error registering functions: ERR user_function:2: Script attempted to access nonexistent global variable 'error'",
      ],
      [
        "#!lua name=bad-name!\nredis.register_function('f', function() end)",
        'Library names can only contain letters, numbers, or underscores(_) and must be at least one character long',
      ],
      ['#!js name=b\n', "Engine 'js' not found"],
      // A top level that runs past 500 ms is stopped.
      ['#!lua name=b\nwhile true do end', 'Error registering functions: ERR FUNCTION LOAD timeout'],
    ];
    for (const [code, error] of cases) assert.equal(await load(c, code), `-ERR ${error}\r\n`, code);
    assert.equal(await c.call('FUNCTION', 'LOAD', 'BOGUS', 'x'), '-ERR Unknown option given: BOGUS\r\n');
    assert.equal(await c.call('FUNCTION', 'LOAD', 'REPLACE'), '-ERR Missing library metadata\r\n');
    // The failed loads left nothing behind.
    assert.equal(await c.call('FCALL', 'f', '0'), '-ERR Function not found\r\n');
    // Outside FUNCTION LOAD, register_function refuses.
    assert.equal(
      await load(
        c,
        "#!lua name=late\nredis.register_function('late', function() return redis.register_function('z', function() end) end)",
      ),
      bulk('late'),
    );
    assert.equal(
      await c.call('FCALL', 'late', '0'),
      "-ERR user_function:2: attempt to call field 'register_function' (a nil value) script: late, on @user_function:2.\r\n",
    );
  });

  it('FUNCTION LOAD REPLACE, DELETE, FLUSH, LIST and STATS in RESP2 and RESP3', async ({ connection: c }) => {
    await c.call('FUNCTION', 'FLUSH');
    assert.equal(await load(c, ONE_FUNCTION), bulk('lib1'));
    const description = `*6\r\n${bulk('name')}${bulk('f1')}${bulk('description')}${bulk('d')}${bulk('flags')}*2\r\n+no-writes\r\n+allow-oom\r\n`;
    const entry = `${bulk('library_name')}${bulk('lib1')}${bulk('engine')}${bulk('LUA')}${bulk('functions')}*1\r\n${description}`;
    assert.equal(await c.call('FUNCTION', 'LIST'), `*1\r\n*6\r\n${entry}`);
    assert.equal(
      await c.call('FUNCTION', 'LIST', 'WITHCODE', 'LIBRARYNAME', 'LI*'),
      `*1\r\n*8\r\n${entry}${bulk('library_code')}${bulk(ONE_FUNCTION)}`,
    );
    assert.equal(await c.call('FUNCTION', 'LIST', 'LIBRARYNAME', 'x'), '*0\r\n');
    assert.equal(
      await c.call('FUNCTION', 'LIST', 'LIBRARYNAME'),
      '-ERR library name argument was not given\r\n',
    );
    assert.equal(await c.call('FUNCTION', 'LIST', 'foo'), '-ERR Unknown argument foo\r\n');
    const stats = (libraries: number, functions: number): string =>
      `*4\r\n${bulk('running_script')}$-1\r\n${bulk('engines')}*2\r\n${bulk('LUA')}*4\r\n${bulk('libraries_count')}:${libraries}\r\n${bulk('functions_count')}:${functions}\r\n`;
    assert.equal(await c.call('FUNCTION', 'STATS'), stats(1, 1));
    // REPLACE swaps the library's functions.
    assert.equal(
      await load(c, "#!lua name=lib1\nredis.register_function('f2', function() return 2 end)", 'REPLACE'),
      bulk('lib1'),
    );
    assert.equal(await c.call('FCALL', 'f1', '0'), '-ERR Function not found\r\n');
    assert.equal(await c.call('FCALL', 'f2', '0'), ':2\r\n');
    assert.equal(
      await load(c, "#!lua name=lib2\nredis.register_function('f3', function() return 3 end)"),
      bulk('lib2'),
    );
    assert.equal(await c.call('FUNCTION', 'STATS'), stats(2, 2));
    assert.equal(await c.call('FUNCTION', 'DELETE', 'nope'), '-ERR Library not found\r\n');
    assert.equal(await c.call('FUNCTION', 'DELETE', 'lib1'), '+OK\r\n');
    assert.equal(await c.call('FCALL', 'f2', '0'), '-ERR Function not found\r\n');
    assert.equal(
      await c.call('FUNCTION', 'FLUSH', 'x'),
      '-ERR FUNCTION FLUSH only supports SYNC|ASYNC option\r\n',
    );
    assert.equal(await c.call('FUNCTION', 'FLUSH', 'ASYNC'), '+OK\r\n');
    assert.equal(await c.call('FUNCTION', 'STATS'), stats(0, 0));
    assert.equal(await load(c, ONE_FUNCTION), bulk('lib1'));
    await c.call('HELLO', '3');
    assert.equal(
      await c.call('FUNCTION', 'LIST'),
      `*1\r\n%3\r\n${bulk('library_name')}${bulk('lib1')}${bulk('engine')}${bulk('LUA')}${bulk('functions')}*1\r\n%3\r\n${bulk('name')}${bulk('f1')}${bulk('description')}${bulk('d')}${bulk('flags')}~2\r\n+no-writes\r\n+allow-oom\r\n`,
    );
    assert.equal(
      await c.call('FUNCTION', 'STATS'),
      `%2\r\n${bulk('running_script')}_\r\n${bulk('engines')}%1\r\n${bulk('LUA')}%2\r\n${bulk('libraries_count')}:1\r\n${bulk('functions_count')}:1\r\n`,
    );
  });

  it('FUNCTION DUMP and RESTORE: policies and errors', async ({ connection: c }) => {
    await c.call('FUNCTION', 'FLUSH');
    assert.equal(await load(c, ONE_FUNCTION), bulk('lib1'));
    const dumped = await bulkBytes(c, 'FUNCTION', 'DUMP');
    assert.equal(await c.call('FUNCTION', 'RESTORE', dumped), '-ERR Library lib1 already exists\r\n');
    assert.equal(await c.call('FUNCTION', 'RESTORE', dumped, 'REPLACE'), '+OK\r\n');
    assert.equal(await c.call('FUNCTION', 'FLUSH'), '+OK\r\n');
    assert.equal(await c.call('FUNCTION', 'RESTORE', dumped), '+OK\r\n');
    assert.equal(await c.call('FCALL', 'f1', '0'), ':1\r\n');
    assert.equal(
      await load(c, "#!lua name=other\nredis.register_function('g', function() return 7 end)"),
      bulk('other'),
    );
    assert.equal(await c.call('FUNCTION', 'RESTORE', dumped, 'FLUSH'), '+OK\r\n');
    assert.equal(await c.call('FCALL', 'g', '0'), '-ERR Function not found\r\n');
    assert.equal(await c.call('FCALL', 'f1', '0'), ':1\r\n');
    // A library of another name defining the same function collides.
    assert.equal(await c.call('FUNCTION', 'DELETE', 'lib1'), '+OK\r\n');
    assert.equal(
      await load(c, "#!lua name=clash\nredis.register_function('f1', function() return 9 end)"),
      bulk('clash'),
    );
    assert.equal(
      await c.call('FUNCTION', 'RESTORE', dumped, 'REPLACE'),
      '-ERR Function f1 already exists\r\n',
    );
    assert.equal(await c.call('FCALL', 'f1', '0'), ':9\r\n');
    assert.equal(
      await c.call('FUNCTION', 'RESTORE', 'x'),
      '-ERR DUMP payload version or checksum are wrong\r\n',
    );
    assert.equal(
      await c.call('FUNCTION', 'RESTORE', dumped, 'y'),
      '-ERR Wrong restore policy given, value should be either FLUSH, APPEND or REPLACE.\r\n',
    );
    assert.equal(
      await c.call('FUNCTION', 'RESTORE', 'x', 'y', 'z'),
      "-ERR unknown subcommand or wrong number of arguments for 'RESTORE'. Try FUNCTION HELP.\r\n",
    );
    // A string's DUMP payload is not a function payload.
    await c.call('SET', 's', 'v');
    const stringPayload = await bulkBytes(c, 'DUMP', 's');
    assert.equal(await c.call('FUNCTION', 'RESTORE', stringPayload), '-ERR given type is not a function\r\n');
  });

  it('a slow function: BUSY for other clients, SCRIPT KILL refused, FUNCTION STATS, FUNCTION KILL', async ({
    connection: c,
    connect,
  }) => {
    await c.call('FUNCTION', 'FLUSH');
    assert.equal(
      await load(
        c,
        "#!lua name=slow\nredis.register_function('spin', function(keys, args) local i = 0 while true do i = i + 1 end end)",
      ),
      bulk('slow'),
    );
    const other = await connect();
    assert.equal(await other.call('CONFIG', 'SET', 'busy-reply-threshold', '100'), '+OK\r\n');
    const busy =
      '-BUSY Redis is busy running a script. You can only call FUNCTION KILL or SHUTDOWN NOSAVE.\r\n';
    try {
      c.send('FCALL', 'spin', '1', 'k', 'arg');
      let reply = '';
      for (let attempt = 0; attempt < 100; attempt++) {
        reply = await other.call('PING');
        if (reply.startsWith('-BUSY')) break;
        await sleep(50);
      }
      assert.equal(reply, busy);
      assert.equal(await other.call('GET', 'x'), busy);
      assert.equal(await other.call('SCRIPT', 'KILL'), busy);
      const stats = await other.call('FUNCTION', 'STATS');
      assert.match(
        stats,
        new RegExp(
          `^\\*4\\r\\n${bulk('running_script').replace(/\$/g, '\\$')}\\*6\\r\\n\\$4\\r\\nname\\r\\n\\$4\\r\\nspin\\r\\n\\$7\\r\\ncommand\\r\\n\\*5\\r\\n\\$5\\r\\nFCALL\\r\\n\\$4\\r\\nspin\\r\\n\\$1\\r\\n1\\r\\n\\$1\\r\\nk\\r\\n\\$3\\r\\narg\\r\\n\\$11\\r\\nduration_ms\\r\\n:\\d+\\r\\n`,
        ),
      );
      assert.equal(await other.call('FUNCTION', 'KILL'), '+OK\r\n');
      assert.equal(
        (await c.reply()).raw,
        '-ERR Script killed by user with SCRIPT KILL... script: spin, on @user_function:2.\r\n',
      );
      assert.equal(await other.call('PING'), '+PONG\r\n');
      assert.equal(await other.call('FUNCTION', 'KILL'), '-NOTBUSY No scripts in execution right now.\r\n');
      // While an EVAL script is busy, FUNCTION STATS and FUNCTION KILL answer BUSY.
      c.send('EVAL', 'local i = 0 while true do i = i + 1 end', '0');
      const busyEval =
        '-BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.\r\n';
      for (let attempt = 0; attempt < 100; attempt++) {
        if ((await other.call('PING')).startsWith('-BUSY')) break;
        await sleep(50);
      }
      assert.equal(await other.call('FUNCTION', 'STATS'), busyEval);
      assert.equal(await other.call('FUNCTION', 'KILL'), busyEval);
      assert.equal(await other.call('SCRIPT', 'KILL'), '+OK\r\n');
      assert.ok((await c.reply()).raw.startsWith('-ERR Script killed by user with SCRIPT KILL...'));
    } finally {
      await other.call('CONFIG', 'SET', 'busy-reply-threshold', '5000');
    }
  });
});
