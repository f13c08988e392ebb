import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { RespValue } from '../../src/resp/index.ts';
import { removeOnExit } from '../helpers/child-reaper.ts';
import { type ConformanceContext, conformanceSuite, TARGETS } from '../helpers/conformance.ts';
import type { RawConnection } from '../helpers/raw-connection.ts';
import { bulk } from '../helpers/resp-text.ts';

const OK = '+OK\r\n';
const WRONGPASS = '-WRONGPASS invalid username-password pair or user is disabled.\r\n';
const NOPERM_KEYS = '-NOPERM this user has no permissions to access one of the keys used as arguments\r\n';
const NOPERM_CHANNELS =
  '-NOPERM this user has no permissions to access one of the channels used as arguments\r\n';
const noPermCommand = (name: string): string =>
  `-NOPERM this user has no permissions to run the '${name}' command\r\n`;

/** The users a test made are dropped and the log emptied, so tests do not see each other's. */
async function fresh(c: RawConnection): Promise<void> {
  const names = (await c.value('ACL', 'USERS')) as string[];
  const others = names.filter((name) => name !== 'default');
  if (others.length > 0) await c.call('ACL', 'DELUSER', ...others);
  assert.equal(
    await c.call('ACL', 'SETUSER', 'default', 'on', 'nopass', 'clearselectors', '~*', '&*', '+@all'),
    OK,
  );
  assert.equal(await c.call('ACL', 'LOG', 'RESET'), OK);
}

/** A second connection authenticated as `user` (password `p`). */
async function connectAs(context: ConformanceContext, user: string): Promise<RawConnection> {
  const connection = await context.connect();
  assert.equal(await connection.call('AUTH', user, 'p'), OK);
  return connection;
}

/** ACL LOG entries as objects (RESP2 flat arrays of field, value). */
async function logEntries(c: RawConnection, count?: number): Promise<Record<string, unknown>[]> {
  const args = count === undefined ? ['ACL', 'LOG'] : ['ACL', 'LOG', String(count)];
  const entries = (await c.value(...args)) as RespValue[][];
  return entries.map((entry) => {
    const record: Record<string, unknown> = {};
    for (let i = 0; i + 1 < entry.length; i += 2) record[entry[i] as string] = entry[i + 1];
    return record;
  });
}

/** ACL LIST's line for one user. */
async function listLine(c: RawConnection, name: string): Promise<string | undefined> {
  const lines = (await c.value('ACL', 'LIST')) as string[];
  return lines.find((line) => line.startsWith(`user ${name} `));
}

conformanceSuite('ACL users and rules', (it) => {
  it('the default user, USERS, WHOAMI and LIST', async ({ connection: c }) => {
    await fresh(c);
    assert.equal(await c.call('ACL', 'USERS'), `*1\r\n${bulk('default')}`);
    assert.equal(await c.call('ACL', 'WHOAMI'), bulk('default'));
    assert.equal(await c.call('ACL', 'LIST'), `*1\r\n${bulk('user default on nopass ~* &* +@all')}`);
    assert.equal(await c.call('ACL', 'SETUSER', 'zed'), OK);
    assert.equal(await c.call('ACL', 'SETUSER', 'alice', 'on'), OK);
    // Users are listed in byte order of their names.
    assert.equal(await c.call('ACL', 'USERS'), `*3\r\n${bulk('alice')}${bulk('default')}${bulk('zed')}`);
    assert.equal(await listLine(c, 'zed'), 'user zed off resetchannels -@all');
  });

  it('SETUSER rules as LIST and GETUSER describe them', async ({ connection: c }) => {
    await fresh(c);
    const set = (name: string, ...rules: string[]) => c.call('ACL', 'SETUSER', name, ...rules);
    assert.equal(await set('u', 'on', '>p', '+get', '+set', '-debug', '~a*', '%R~b*', '&ch*'), OK);
    const u = await listLine(c, 'u');
    assert.match(
      u ?? '',
      /^user u on #148de9c5a7a44d19e56cd9ae1a554bf67847afb0c58f6e12fa29ac7ddfca9940 ~a\* %R~b\* resetchannels &ch\* -@all \+(get|set) \+(get|set)$/,
    );
    assert.equal(await set('w', 'on', 'nopass', 'allcommands', 'allkeys', 'allchannels'), OK);
    assert.equal(await listLine(c, 'w'), 'user w on nopass ~* &* +@all');
    assert.equal(await set('w', '-@all', '+@read', '-@write'), OK);
    assert.equal(await listLine(c, 'w'), 'user w on nopass ~* &* -@all +@read');
    assert.equal(await set('w2', '+@all', '-@dangerous'), OK);
    assert.equal(await listLine(c, 'w2'), 'user w2 off resetchannels +@all -@dangerous');
    // Patterns: repeated ones merge their permissions, %R + %W of one pattern is ~.
    assert.equal(await set('y', '%RW~a', '%R~b', '%W~b', '%wr~c', '~d', '%R~d', '%R', '%W~e*'), OK);
    assert.equal(await listLine(c, 'y'), 'user y off ~a ~b ~c ~d %R~ %W~e* resetchannels -@all');
    // First arguments of a blocked command, selectors and the sanitize-payload flag of reset.
    assert.equal(await set('x', '-select', '+select|0', '(+get ~x* &foo)', '(+set', '%W~y*)'), OK);
    assert.equal(
      await listLine(c, 'x'),
      'user x off resetchannels -@all +select|0 (~x* resetchannels &foo -@all +get) (%W~y* resetchannels -@all +set)',
    );
    assert.equal(
      await c.call('ACL', 'GETUSER', 'x'),
      '*12\r\n$5\r\nflags\r\n*1\r\n$3\r\noff\r\n$9\r\npasswords\r\n*0\r\n' +
        '$8\r\ncommands\r\n$15\r\n-@all +select|0\r\n$4\r\nkeys\r\n$0\r\n\r\n$8\r\nchannels\r\n$0\r\n\r\n' +
        '$9\r\nselectors\r\n*2\r\n' +
        '*6\r\n$8\r\ncommands\r\n$10\r\n-@all +get\r\n$4\r\nkeys\r\n$3\r\n~x*\r\n$8\r\nchannels\r\n$4\r\n&foo\r\n' +
        '*6\r\n$8\r\ncommands\r\n$10\r\n-@all +set\r\n$4\r\nkeys\r\n$5\r\n%W~y*\r\n$8\r\nchannels\r\n$0\r\n\r\n',
    );
    assert.equal(await set('x', 'clearselectors', 'reset'), OK);
    assert.equal(await listLine(c, 'x'), 'user x off sanitize-payload resetchannels -@all');
    assert.equal(await set('x', 'skip-sanitize-payload', '+@all', '-config|set', '~*'), OK);
    assert.equal(
      await listLine(c, 'x'),
      'user x off skip-sanitize-payload ~* resetchannels +@all -config|set',
    );
    // Passwords: by text or by hash, removed by either; nopass and resetpass.
    const hash = '148de9c5a7a44d19e56cd9ae1a554bf67847afb0c58f6e12fa29ac7ddfca9940';
    assert.equal(await set('p', '>p', `#${'a'.repeat(64)}`, '>p'), OK);
    assert.deepEqual(((await c.value('ACL', 'GETUSER', 'p')) as RespValue[])[3], [hash, 'a'.repeat(64)]);
    assert.equal(await set('p', '<p', `!${'a'.repeat(64)}`, 'nopass'), OK);
    assert.equal(await listLine(c, 'p'), 'user p off nopass resetchannels -@all');
    assert.equal(await set('p', '>q', 'resetpass'), OK);
    assert.equal(await listLine(c, 'p'), 'user p off resetchannels -@all');
  });

  it('rules derived from categories are Redis greedy approximation', async ({ connection: c }) => {
    await fresh(c);
    assert.equal(
      await c.call('ACL', 'SETUSER', 'v', '+@read', '-get', '+@write', '-@dangerous', '+client|list'),
      OK,
    );
    const words = (await listLine(c, 'v'))?.split(' ') ?? [];
    // Categories come first in a fixed order; single commands follow in hash order (as a set).
    assert.deepEqual(
      words.slice(0, 16),
      'user v off resetchannels -@all +@hash +@geo +@blocking +@bitmap +@string +@set +@hyperloglog +@stream +@sortedset +@list +@keyspace'.split(
        ' ',
      ),
    );
    assert.deepEqual(
      words.slice(16).sort(),
      '+client|list +function|delete +function|flush +function|load +function|restore +lolwut +memory|usage -flushall -flushdb -get -keys -migrate -object|help -pfdebug -pfselftest -restore -restore-asking -sort -sort_ro -swapdb -xgroup|help -xinfo|help'
        .split(' ')
        .sort(),
    );
  });

  it('SETUSER errors change nothing', async ({ connection: c }) => {
    await fresh(c);
    const cases: Array<[string[], string]> = [
      [['(~a* +get'], "Unmatched parenthesis in acl selector starting at '(~a* +get'."],
      [['on', '(~a', '(+get', 'x)', '('], "Unmatched parenthesis in acl selector starting at '('."],
      [['~a b'], "Error in ACL SETUSER modifier '~a b': Syntax error"],
      [
        ['allkeys', '~a'],
        "Error in ACL SETUSER modifier '~a': Adding a pattern after the * pattern (or the 'allkeys' flag) is not valid and does not have any effect. Try 'resetkeys' to start with an empty list of patterns",
      ],
      [
        ['&*', '&a'],
        "Error in ACL SETUSER modifier '&a': Adding a pattern after the * pattern (or the 'allchannels' flag) is not valid and does not have any effect. Try 'resetchannels' to start with an empty list of channels",
      ],
      [
        ['<nope'],
        "Error in ACL SETUSER modifier '<nope': The password you are trying to remove from the user does not exist",
      ],
      [
        ['#abc'],
        "Error in ACL SETUSER modifier '#abc': The password hash must be exactly 64 characters and contain only lowercase hexadecimal characters",
      ],
      [['+nosuch'], "Error in ACL SETUSER modifier '+nosuch': Unknown command or category name in ACL"],
      [['+@nosuch'], "Error in ACL SETUSER modifier '+@nosuch': Unknown command or category name in ACL"],
      [['-select|0'], "Error in ACL SETUSER modifier '-select|0': Unknown command or category name in ACL"],
      [
        ['+config|nosuch'],
        "Error in ACL SETUSER modifier '+config|nosuch': Unknown command or category name in ACL",
      ],
      [
        ['+config|get|x'],
        "Error in ACL SETUSER modifier '+config|get|x': Allowing first-arg of a subcommand is not supported",
      ],
      [['+select|'], "Error in ACL SETUSER modifier '+select|': Syntax error"],
      [['foo'], "Error in ACL SETUSER modifier 'foo': Syntax error"],
      [['%X~a'], "Error in ACL SETUSER modifier '%X~a': Syntax error"],
      [['%~a'], "Error in ACL SETUSER modifier '%~a': Syntax error"],
      [['on', '%RWR~c'], "Error in ACL SETUSER modifier '%RWR~c': Syntax error"],
      [['(+get x)'], "Error in ACL SETUSER modifier '(+get x)': Syntax error"],
    ];
    for (const [rules, message] of cases) {
      assert.equal(await c.call('ACL', 'SETUSER', 'e', ...rules), `-ERR ${message}\r\n`, rules.join(' '));
    }
    assert.equal(
      await c.call('ACL', 'SETUSER', 'a b'),
      "-ERR Usernames can't contain spaces or null characters\r\n",
    );
    assert.equal(await c.call('ACL', 'USERS'), `*1\r\n${bulk('default')}`);
  });

  it('DELUSER, GETUSER of nobody, CAT, GENPASS, HELP and wrong forms', async ({ connection: c }) => {
    await fresh(c);
    await c.call('ACL', 'SETUSER', 'a');
    assert.equal(
      await c.call('ACL', 'DELUSER', 'default', 'a'),
      "-ERR The 'default' user cannot be removed\r\n",
    );
    assert.equal(await c.call('ACL', 'DELUSER', 'a', 'nobody'), ':1\r\n');
    assert.equal(await c.call('ACL', 'GETUSER', 'a'), '$-1\r\n');
    assert.equal(
      await c.call('ACL', 'CAT'),
      `*21\r\n${'keyspace read write set sortedset list hash string bitmap hyperloglog geo stream pubsub admin fast slow blocking dangerous connection transaction scripting'
        .split(' ')
        .map(bulk)
        .join('')}`,
    );
    assert.equal(await c.call('ACL', 'CAT', 'nosuch'), "-ERR Unknown category 'nosuch'\r\n");
    const keyspace = (await c.value('ACL', 'CAT', 'Keyspace')) as string[];
    for (const name of ['del', 'keys', 'scan', 'object|encoding', 'expire'])
      assert.ok(keyspace.includes(name), name);
    assert.ok(!keyspace.includes('get'));
    const transaction = ((await c.value('ACL', 'CAT', 'transaction')) as string[]).sort();
    assert.deepEqual(transaction, ['discard', 'exec', 'multi', 'unwatch', 'watch']);
    assert.match(await c.call('ACL', 'GENPASS'), /^\$64\r\n[0-9a-f]{64}\r\n$/);
    assert.match(await c.call('ACL', 'GENPASS', '5'), /^\$2\r\n[0-9a-f]{2}\r\n$/);
    assert.match(await c.call('ACL', 'GENPASS', '4096'), /^\$1024\r\n[0-9a-f]{1024}\r\n$/);
    const genpassError =
      '-ERR ACL GENPASS argument must be the number of bits for the output password, a positive number up to 4096\r\n';
    assert.equal(await c.call('ACL', 'GENPASS', '0'), genpassError);
    assert.equal(await c.call('ACL', 'GENPASS', '4097'), genpassError);
    assert.equal(await c.call('ACL', 'GENPASS', 'abc'), '-ERR value is not an integer or out of range\r\n');
    assert.equal(await c.call('ACL', 'LOG', 'abc'), '-ERR value is not an integer or out of range\r\n');
    assert.equal(await c.call('ACL', 'LOG', '-1'), '*0\r\n');
    const noFile =
      '-ERR This Redis instance is not configured to use an ACL file. You may want to specify users via the ACL SETUSER command and then issue a CONFIG REWRITE (assuming you have a Redis configuration file set) in order to store users in the Redis configuration.\r\n';
    assert.equal(await c.call('ACL', 'LOAD'), noFile);
    assert.equal(await c.call('ACL', 'SAVE'), noFile);
    assert.equal(await c.call('ACL', 'FOO'), "-ERR unknown subcommand 'FOO'. Try ACL HELP.\r\n");
    assert.equal(await c.call('ACL'), "-ERR wrong number of arguments for 'acl' command\r\n");
    assert.equal(
      await c.call('ACL', 'GETUSER'),
      "-ERR wrong number of arguments for 'acl|getuser' command\r\n",
    );
    assert.equal(
      await c.call('ACL', 'SETUSER'),
      "-ERR wrong number of arguments for 'acl|setuser' command\r\n",
    );
    assert.equal(
      await c.call('ACL', 'CAT', 'a', 'b'),
      "-ERR unknown subcommand or wrong number of arguments for 'CAT'. Try ACL HELP.\r\n",
    );
    const help = await c.call('ACL', 'HELP');
    assert.ok(
      help.startsWith(
        '*29\r\n+ACL <subcommand> [<arg> [value] [opt] ...]. Subcommands are:\r\n+CAT [<category>]\r\n',
      ),
    );
    assert.ok(
      help.endsWith(
        '+WHOAMI\r\n+    Return the current connection username.\r\n+HELP\r\n+    Prints this help.\r\n',
      ),
    );
  });
});

conformanceSuite('ACL enforcement', (it) => {
  it('commands, keys with read and write patterns, channels', async (context) => {
    const c = context.connection;
    await fresh(c);
    assert.equal(
      await c.call(
        'ACL',
        'SETUSER',
        'u',
        'on',
        '>p',
        '+@all',
        '-del',
        '-config|set',
        '~a*',
        '%R~r*',
        '%W~w*',
        '&ch*',
      ),
      OK,
    );
    const u = await connectAs(context, 'u');
    assert.equal(await u.call('ACL', 'WHOAMI'), bulk('u'));
    assert.equal(await u.call('SET', 'a1', 'v'), OK);
    assert.equal(await u.call('GET', 'a1'), bulk('v'));
    assert.equal(await u.call('GET', 'b'), NOPERM_KEYS);
    assert.equal(await u.call('DEL', 'a1'), noPermCommand('del'));
    assert.equal(await u.call('CONFIG', 'SET', 'maxclients', '100'), noPermCommand('config|set'));
    assert.match(await u.call('CONFIG', 'GET', 'maxclients'), /^\*2\r\n/);
    // %R~ reads only, %W~ writes only; COPY reads its source and writes its destination.
    assert.equal(await u.call('GET', 'r1'), '$-1\r\n');
    assert.equal(await u.call('SET', 'r1', 'v'), NOPERM_KEYS);
    assert.equal(await u.call('SET', 'w1', 'v'), OK);
    assert.equal(await u.call('GET', 'w1'), NOPERM_KEYS);
    // APPEND's key spec is an insert without access: writing is enough.
    assert.equal(await u.call('APPEND', 'w1', 'v'), ':2\r\n');
    assert.equal(await c.call('SET', 'r2', 'x'), OK);
    assert.equal(await u.call('COPY', 'r2', 'w2'), ':1\r\n');
    assert.equal(await u.call('COPY', 'w2', 'r3'), NOPERM_KEYS);
    assert.equal(await u.call('MSET', 'a1', '1', 'w3', '2'), OK);
    assert.equal(await u.call('MSET', 'a1', '1', 'z', '2'), NOPERM_KEYS);
    // Channels: PUBLISH and SUBSCRIBE match patterns, PSUBSCRIBE patterns must be listed as is.
    assert.equal(await u.call('PUBLISH', 'chan', 'm'), ':0\r\n');
    assert.equal(await u.call('PUBLISH', 'x', 'm'), NOPERM_CHANNELS);
    assert.equal(await u.call('SUBSCRIBE', 'chx', 'x'), NOPERM_CHANNELS);
    assert.equal(await u.call('PSUBSCRIBE', 'ch*', 'c*'), NOPERM_CHANNELS);
    assert.equal(await u.call('SSUBSCRIBE', 'x'), NOPERM_CHANNELS);
    assert.equal(await u.call('SUBSCRIBE', 'ch1'), '*3\r\n$9\r\nsubscribe\r\n$3\r\nch1\r\n:1\r\n');
    assert.equal(await u.call('PSUBSCRIBE', 'ch*'), '*3\r\n$10\r\npsubscribe\r\n$3\r\nch*\r\n:2\r\n');
    assert.match(await c.call('CLIENT', 'LIST'), / user=u /);
  });

  it('first arguments of blocked commands and subcommands', async (context) => {
    const c = context.connection;
    await fresh(c);
    assert.equal(
      await c.call('ACL', 'SETUSER', 'u', 'on', '>p', '~*', '-@all', '+select|0', '+client|id', '+auth'),
      OK,
    );
    const u = await connectAs(context, 'u');
    assert.equal(await u.call('SELECT', '0'), OK);
    assert.equal(await u.call('SELECT', '1'), noPermCommand('select'));
    assert.equal(await u.call('CLIENT', 'ID'), await u.call('CLIENT', 'ID'));
    assert.equal(await u.call('CLIENT', 'INFO'), noPermCommand('client|info'));
    // AUTH and HELLO need no permission.
    assert.equal(await u.call('AUTH', 'u', 'p'), OK);
    assert.equal(await u.call('PING'), noPermCommand('ping'));
  });

  it('MULTI: refused while queueing, and again at EXEC once rules changed', async (context) => {
    const c = context.connection;
    await fresh(c);
    assert.equal(await c.call('ACL', 'SETUSER', 'u', 'on', '>p', '+@all', '-del', '~a*'), OK);
    const u = await connectAs(context, 'u');
    assert.equal(await u.call('MULTI'), OK);
    assert.equal(await u.call('GET', 'a'), '+QUEUED\r\n');
    assert.equal(await u.call('GET', 'b'), NOPERM_KEYS);
    assert.equal(await u.call('DEL', 'a'), noPermCommand('del'));
    assert.equal(await u.call('EXEC'), '-EXECABORT Transaction discarded because of previous errors.\r\n');
    const [entry] = await logEntries(c, 1);
    assert.deepEqual([entry?.reason, entry?.context, entry?.object], ['command', 'multi', 'del']);

    assert.equal(await u.call('MULTI'), OK);
    assert.equal(await u.call('GET', 'a'), '+QUEUED\r\n');
    assert.equal(await u.call('SET', 'a', '1'), '+QUEUED\r\n');
    assert.equal(await u.call('PING'), '+QUEUED\r\n');
    assert.equal(await c.call('ACL', 'SETUSER', 'u', '-set', 'resetkeys', '%R~*'), OK);
    const changed =
      'ACLs rules changed between the moment the transaction was accumulated and the EXEC call.';
    assert.equal(
      await u.call('EXEC'),
      `*3\r\n$-1\r\n-NOPERM ${changed} This command is no longer allowed for the following reason: no permission to execute the command or subcommand\r\n+PONG\r\n`,
    );
    assert.equal(await u.call('MULTI'), OK);
    assert.equal(await u.call('GET', 'a'), '+QUEUED\r\n');
    assert.equal(await c.call('ACL', 'SETUSER', 'u', 'resetkeys', '~b*'), OK);
    assert.equal(
      await u.call('EXEC'),
      `*1\r\n-NOPERM ${changed} This command is no longer allowed for the following reason: no permission to touch the specified keys\r\n`,
    );
    const [exec] = await logEntries(c, 1);
    assert.deepEqual([exec?.reason, exec?.context, exec?.object], ['key', 'multi', 'a']);
    // EXEC itself refused: the transaction ends with EXECABORT, as Redis's rejectCommand does.
    assert.equal(await u.call('MULTI'), OK);
    assert.equal(await u.call('GET', 'b'), '+QUEUED\r\n');
    assert.equal(await c.call('ACL', 'SETUSER', 'u', '-exec'), OK);
    assert.equal(
      await u.call('EXEC'),
      "-EXECABORT Transaction discarded because of: NOPERM this user has no permissions to run the 'exec' command\r\n",
    );
    assert.equal(await u.call('DISCARD'), '-ERR DISCARD without MULTI\r\n');
  });

  it('scripts run with the permissions of their caller', async (context) => {
    const c = context.connection;
    await fresh(c);
    assert.equal(
      await c.call('ACL', 'SETUSER', 'u', 'on', '>p', '-@all', '+eval', '+get', '+publish', '~a*', '&ch*'),
      OK,
    );
    const u = await connectAs(context, 'u');
    assert.equal(await u.call('EVAL', "return redis.call('get','a')", '0'), '$-1\r\n');
    assert.equal(
      await u.call('EVAL', "return redis.call('get','b')", '0'),
      "-ERR The user executing the script can't access at least one of the keys mentioned in the command arguments script: eefb072c762647cc8d8a40e7fe048aaf8872d416, on @user_script:1.\r\n",
    );
    assert.equal(
      await u.call('EVAL', "return redis.call('del','a')", '0'),
      "-ERR The user executing the script can't run this command or subcommand script: 28e650f60f252340a185b0754612ac7c00965a3e, on @user_script:1.\r\n",
    );
    assert.equal(
      await u.call('EVAL', "return redis.pcall('get','b')", '0'),
      "-ERR The user executing the script can't access at least one of the keys mentioned in the command arguments\r\n",
    );
    assert.equal(
      await u.call('EVAL', "return redis.call('publish','x','1')", '0'),
      "-ERR The user executing the script can't publish to the channel mentioned in the command script: fcbb71a9929a1716cee6f64b8b50a82dac506720, on @user_script:1.\r\n",
    );
    const [entry] = await logEntries(c, 1);
    assert.deepEqual(
      [entry?.reason, entry?.context, entry?.object, entry?.username],
      ['channel', 'lua', 'x', 'u'],
    );
    assert.match(String(entry?.['client-info']), / cmd=eval user=u /);
  });

  it('DRYRUN', async ({ connection: c }) => {
    await fresh(c);
    assert.equal(
      await c.call('ACL', 'SETUSER', 'u', 'on', '+get', '+config|get', '~a*', '&ch*', '+publish'),
      OK,
    );
    assert.equal(await c.call('ACL', 'DRYRUN', 'u', 'get', 'a'), OK);
    assert.equal(
      await c.call('ACL', 'DRYRUN', 'u', 'set', 'a', '1'),
      bulk("This user has no permissions to run the 'set' command"),
    );
    assert.equal(
      await c.call('ACL', 'DRYRUN', 'u', 'get', 'b'),
      bulk("This user has no permissions to access the 'b' key"),
    );
    assert.equal(
      await c.call('ACL', 'DRYRUN', 'u', 'publish', 'x', 'm'),
      bulk("This user has no permissions to access the 'x' channel"),
    );
    assert.equal(
      await c.call('ACL', 'DRYRUN', 'u', 'config', 'set', 'x', 'y'),
      bulk("This user has no permissions to run the 'config|set' command"),
    );
    assert.equal(await c.call('ACL', 'DRYRUN', 'nobody', 'get', 'a'), "-ERR User 'nobody' not found\r\n");
    assert.equal(await c.call('ACL', 'DRYRUN', 'u', 'nocmd'), "-ERR Command 'nocmd' not found\r\n");
  });

  it('AUTH, HELLO AUTH and the log of failures', async (context) => {
    const c = context.connection;
    await fresh(c);
    assert.equal(await c.call('ACL', 'SETUSER', 'u', 'on', '>p', '+@all', '~*'), OK);
    assert.equal(await c.call('ACL', 'SETUSER', 'off', 'off', '>p', '+@all', '~*'), OK);
    const other = await context.connect();
    assert.equal(await other.call('AUTH', 'u', 'wrong'), WRONGPASS);
    assert.equal(await other.call('AUTH', 'nobody', 'p'), WRONGPASS);
    assert.equal(await other.call('AUTH', 'off', 'p'), WRONGPASS);
    assert.equal(await other.call('HELLO', '2', 'AUTH', 'u', 'wrong'), WRONGPASS);
    assert.equal(await other.call('Auth', 'u', 'wrong'), WRONGPASS);
    assert.equal(await other.call('AUTH', 'u', 'wrong'), WRONGPASS);
    assert.equal(
      await other.call('AUTH', 'p'),
      '-ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?\r\n',
    );
    const entries = await logEntries(c);
    assert.deepEqual(
      entries.map((entry) => [entry.count, entry.reason, entry.context, entry.object, entry.username]),
      // A repeated failure counts in its entry, which moves to the top.
      [
        [2, 'auth', 'toplevel', 'AUTH', 'u'],
        [1, 'auth', 'toplevel', 'Auth', 'u'],
        [1, 'auth', 'toplevel', 'HELLO', 'u'],
        [1, 'auth', 'toplevel', 'AUTH', 'off'],
        [1, 'auth', 'toplevel', 'AUTH', 'nobody'],
      ],
    );
    for (const entry of entries) {
      assert.match(String(entry['age-seconds']), /^\d+(\.\d+)?$/);
      assert.match(String(entry['client-info']), /^id=\d+ addr=.* user=default /);
    }
    assert.equal((await logEntries(c, 2)).length, 2);
    assert.equal(await c.call('ACL', 'LOG', 'RESET'), OK);
    assert.equal(await c.call('ACL', 'LOG'), '*0\r\n');
    assert.equal(
      await other.call('HELLO', '2', 'AUTH', 'u', 'p', 'SETNAME', 'n').then((r) => r.slice(0, 4)),
      '*14\r',
    );
    assert.equal(await other.call('ACL', 'WHOAMI'), bulk('u'));
    assert.equal(await other.call('RESET'), '+RESET\r\n');
    assert.equal(await other.call('ACL', 'WHOAMI'), bulk('default'));
  });

  it('a deleted user is disconnected; CLIENT KILL USER', async (context) => {
    const c = context.connection;
    await fresh(c);
    assert.equal(await c.call('ACL', 'SETUSER', 'u', 'on', '>p', '+@all', '~*', '&*'), OK);
    const first = await connectAs(context, 'u');
    const second = await connectAs(context, 'u');
    assert.equal(await c.call('CLIENT', 'KILL', 'USER', 'nobody'), "-ERR No such user 'nobody'\r\n");
    assert.equal(await c.call('CLIENT', 'KILL', 'USER', 'u'), ':2\r\n');
    await first.waitClosed();
    await second.waitClosed();
    const third = await connectAs(context, 'u');
    // The client deleting its own user gets its reply, then is closed.
    assert.equal(await third.call('ACL', 'DELUSER', 'u'), ':1\r\n');
    await third.waitClosed();
    // Subscribers lose their connection when their channels are taken away.
    assert.equal(
      await c.call('ACL', 'SETUSER', 's', 'on', '>p', '+@all', '~*', 'resetchannels', '&a*', '&b*'),
      OK,
    );
    const subscriber = await connectAs(context, 's');
    assert.equal(await subscriber.call('SUBSCRIBE', 'a1'), '*3\r\n$9\r\nsubscribe\r\n$2\r\na1\r\n:1\r\n');
    assert.equal(await c.call('ACL', 'SETUSER', 's', 'resetchannels', '&a*'), OK);
    await sleep(50);
    assert.equal(subscriber.closed, false);
    assert.equal(await c.call('ACL', 'SETUSER', 's', 'resetchannels', '&b*'), OK);
    await subscriber.waitClosed();
  });

  it('a default user with a password: NOAUTH, AUTH <password>, RESET', async (context) => {
    const c = context.connection;
    await fresh(c);
    const before = await context.connect();
    assert.equal(await before.call('PING'), '+PONG\r\n');
    assert.equal(await c.call('ACL', 'SETUSER', 'default', 'resetpass', '>pw'), OK);
    // Connections made before keep their authentication; new ones must AUTH.
    assert.equal(await before.call('PING'), '+PONG\r\n');
    const after = await context.connect();
    assert.equal(await after.call('GET', 'k'), '-NOAUTH Authentication required.\r\n');
    assert.equal(await after.call('AUTH', 'nope'), WRONGPASS);
    assert.equal(await after.call('AUTH', 'pw'), OK);
    assert.equal(await after.call('RESET'), '+RESET\r\n');
    assert.equal(await after.call('PING'), '-NOAUTH Authentication required.\r\n');
    assert.equal(await after.call('AUTH', 'default', 'pw'), OK);
    assert.equal(await c.call('ACL', 'SETUSER', 'default', 'nopass'), OK);
    const later = await context.connect();
    assert.equal(await later.call('PING'), '+PONG\r\n');
  });
});

conformanceSuite(
  'ACL with requirepass and user directives',
  (it) => {
    it('requirepass is the default user password; CONFIG SET requirepass changes it', async (context) => {
      const c = context.connection;
      const hash = (await c.value('ACL', 'GETUSER', 'default')) as RespValue[];
      assert.deepEqual(hash[3], ['30c952fab122c3f9759f02a6d95c3758b246b4fee239957b2d4fee46e26170c4']);
      assert.equal(
        await listLine(c, 'alice'),
        'user alice on #148de9c5a7a44d19e56cd9ae1a554bf67847afb0c58f6e12fa29ac7ddfca9940 ~k* resetchannels -@all +get',
      );
      const alice = await connectAs(context, 'alice');
      assert.equal(await alice.call('GET', 'k1'), '$-1\r\n');
      assert.equal(await alice.call('GET', 'x'), NOPERM_KEYS);
      assert.equal(await c.call('CONFIG', 'SET', 'requirepass', 'other'), OK);
      const next = await context.connect();
      assert.equal(await next.call('AUTH', 'pw'), WRONGPASS);
      assert.equal(await next.call('AUTH', 'other'), OK);
      assert.equal(await c.call('CONFIG', 'SET', 'requirepass', 'pw'), OK);
      assert.equal(
        await c.call('CONFIG', 'GET', 'acl-pubsub-default'),
        '*2\r\n$18\r\nacl-pubsub-default\r\n$13\r\nresetchannels\r\n',
      );
      assert.equal(
        await c.call('CONFIG', 'GET', 'acllog-max-len'),
        '*2\r\n$14\r\nacllog-max-len\r\n$3\r\n128\r\n',
      );
    });
  },
  { serverArgs: ['--requirepass', 'pw', '--user', 'alice', 'on', '>p', '~k*', '+get'] },
);

// Each server gets its own ACL file, made before it starts.
for (const kind of TARGETS) {
  const dir = mkdtempSync(join(tmpdir(), 'acl-file-'));
  removeOnExit(dir);
  const path = join(dir, 'users.acl');
  writeFileSync(path, 'user default on nopass ~* &* +@all\nuser bob on >p ~b* &* -@all +get\n');
  conformanceSuite(
    'ACL file',
    (it) => {
      it('loaded at start, SAVE writes it, LOAD reads it all or nothing', async (context) => {
        const c = context.connection;
        assert.equal(
          await listLine(c, 'bob'),
          'user bob on #148de9c5a7a44d19e56cd9ae1a554bf67847afb0c58f6e12fa29ac7ddfca9940 ~b* &* -@all +get',
        );
        const bob = await connectAs(context, 'bob');
        assert.equal(await c.call('ACL', 'SETUSER', 'carol', 'on', 'nopass', '+@read', '~*'), OK);
        assert.equal(await c.call('ACL', 'SAVE'), OK);
        assert.equal(
          readFileSync(path, 'latin1'),
          'user bob on #148de9c5a7a44d19e56cd9ae1a554bf67847afb0c58f6e12fa29ac7ddfca9940 ~b* &* -@all +get\n' +
            'user carol on nopass ~* resetchannels -@all +@read\n' +
            'user default on nopass ~* &* +@all\n',
        );
        writeFileSync(path, 'user dave on nopass +get\nuser dave off\nuser eve +nosuch\nfoo\n');
        assert.equal(
          await c.call('ACL', 'LOAD'),
          `-ERR WARNING: Duplicate user 'dave' found on line 2. ${path}:3: Error in applying operation '+nosuch': Unknown command or category name in ACL. ${path}:4 should start with user keyword followed by the username. WARNING: ACL errors detected, no change to the previously active ACL rules was performed\r\n`,
        );
        assert.equal(await c.call('ACL', 'USERS'), `*3\r\n${bulk('bob')}${bulk('carol')}${bulk('default')}`);
        writeFileSync(path, 'user dave on nopass ~* +@all\n');
        assert.equal(await c.call('ACL', 'LOAD'), OK);
        assert.equal(await c.call('ACL', 'USERS'), `*2\r\n${bulk('dave')}${bulk('default')}`);
        // Clients of the users replaced are disconnected; the default user stays as it was loaded.
        await bob.waitClosed();
        assert.equal(await listLine(c, 'default'), 'user default on nopass ~* &* +@all');
      });
    },
    { serverArgs: ['--aclfile', path], only: kind },
  );
}
