// Redis 7 functions across processes: FUNCTION DUMP payloads and RDB files exchanged with Debian's
// redis-server 7 both ways, libraries back after a restart (RDB and AOF), and replication (full
// sync and the stream) to our replicas and to a redis-server 7 replica.
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from '../helpers/free-port.ts';
import { RawConnection } from '../helpers/raw-connection.ts';
import { type RunningServer, type ServerKind, startServer } from '../helpers/redis-servers.ts';
import { bulk } from '../helpers/resp-text.ts';

const running: RunningServer[] = [];
const connections: RawConnection[] = [];
const directories: string[] = [];

after(async () => {
  for (const connection of connections) connection.close();
  await Promise.all(running.map((server) => server.stop()));
  for (const dir of directories) rmSync(dir, { recursive: true, force: true });
});

async function start(
  kind: ServerKind,
  options: { dir?: string; args?: string[] } = {},
): Promise<RunningServer> {
  const server = await startServer(kind, {
    ...options,
    args: ['--repl-ping-replica-period', '1', ...(options.args ?? [])],
  });
  running.push(server);
  return server;
}

async function stop(server: RunningServer): Promise<void> {
  await server.stop();
  running.splice(running.indexOf(server), 1);
}

async function connect(server: RunningServer): Promise<RawConnection> {
  const connection = await RawConnection.open(server.port);
  connections.push(connection);
  return connection;
}

function directory(): string {
  const dir = mkdtempSync(join(tmpdir(), 'codis-functions-'));
  directories.push(dir);
  return dir;
}

async function bulkBytes(c: RawConnection, ...args: string[]): Promise<Buffer> {
  const raw = await c.call(...args);
  assert.ok(raw.startsWith('$'), raw);
  return Buffer.from(raw.slice(raw.indexOf('\r\n') + 2, -2), 'latin1');
}

async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs = 10000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

const LIB_A =
  "#!lua name=liba\nredis.register_function{function_name='double', callback=function(keys, args) return tonumber(args[1]) * 2 end, flags={'no-writes'}, description='twice the argument'}\nredis.register_function('incr_by_3e9', function(keys, args) return redis.call('incrby', keys[1], 3000000000) end)";
const LIB_B =
  "#!lua name=libb\nredis.register_function{function_name='hello', callback=function() return 'hello' end, flags={'no-writes'}}";

async function loadBoth(c: RawConnection): Promise<void> {
  assert.equal(await c.call('FUNCTION', 'LOAD', LIB_A), bulk('liba'));
  assert.equal(await c.call('FUNCTION', 'LOAD', LIB_B), bulk('libb'));
}

async function assertLibraries(c: RawConnection, where: string): Promise<void> {
  assert.equal(await c.call('FCALL_RO', 'double', '0', '21'), ':42\r\n', where);
  assert.equal(await c.call('FCALL', 'hello', '0'), bulk('hello'), where);
  const list = await c.call('FUNCTION', 'LIST', 'WITHCODE', 'LIBRARYNAME', 'liba');
  assert.ok(list.includes(bulk(LIB_A)), `${where}: ${list}`);
  assert.ok(list.includes(bulk('twice the argument')), `${where}: ${list}`);
}

test('FUNCTION DUMP payloads move both ways between redis-server 7 and codis-server', async () => {
  const redis = await connect(await start('redis-server'));
  const codis = await connect(await start('codis-server'));
  // The same library gives the same payload (LZF-compressed code, RDB version 10, CRC-64).
  assert.equal(await redis.call('FUNCTION', 'LOAD', LIB_A), bulk('liba'));
  assert.equal(await codis.call('FUNCTION', 'LOAD', LIB_A), bulk('liba'));
  assert.deepEqual(await bulkBytes(codis, 'FUNCTION', 'DUMP'), await bulkBytes(redis, 'FUNCTION', 'DUMP'));
  assert.equal(await redis.call('FUNCTION', 'LOAD', LIB_B), bulk('libb'));
  assert.equal(await codis.call('FUNCTION', 'LOAD', LIB_B), bulk('libb'));
  const fromRedis = await bulkBytes(redis, 'FUNCTION', 'DUMP');
  const fromCodis = await bulkBytes(codis, 'FUNCTION', 'DUMP');
  assert.equal(await codis.call('FUNCTION', 'FLUSH'), '+OK\r\n');
  assert.equal(await codis.call('FUNCTION', 'RESTORE', fromRedis), '+OK\r\n');
  await assertLibraries(codis, 'codis-server restored from redis-server');
  assert.equal(await redis.call('FUNCTION', 'FLUSH'), '+OK\r\n');
  assert.equal(await redis.call('FUNCTION', 'RESTORE', fromCodis), '+OK\r\n');
  await assertLibraries(redis, 'redis-server restored from codis-server');
});

test('RDB files: libraries come back after a restart, and files move both ways with redis-server 7', async () => {
  const ours = directory();
  let codisServer = await start('codis-server', { dir: ours });
  let codis = await connect(codisServer);
  await loadBoth(codis);
  assert.equal(await codis.call('SET', 'counter', '1'), '+OK\r\n');
  assert.equal(await codis.call('SAVE'), '+OK\r\n');
  await stop(codisServer);
  codisServer = await start('codis-server', { dir: ours });
  codis = await connect(codisServer);
  await assertLibraries(codis, 'codis-server after a restart');
  assert.equal(await codis.call('FCALL', 'incr_by_3e9', '1', 'counter'), ':3000000001\r\n');

  // Our file in redis-server 7.
  const theirs = directory();
  copyFileSync(join(ours, 'dump.rdb'), join(theirs, 'dump.rdb'));
  const redisServer = await start('redis-server', { dir: theirs });
  const redis = await connect(redisServer);
  await assertLibraries(redis, 'redis-server loading our RDB file');
  assert.equal(await redis.call('GET', 'counter'), bulk('1'));

  // redis-server 7's file in ours.
  assert.equal(await redis.call('FUNCTION', 'DELETE', 'libb'), '+OK\r\n');
  assert.equal(await redis.call('SAVE'), '+OK\r\n');
  await stop(codisServer);
  copyFileSync(join(theirs, 'dump.rdb'), join(ours, 'dump.rdb'));
  codisServer = await start('codis-server', { dir: ours });
  codis = await connect(codisServer);
  assert.equal(await codis.call('FCALL_RO', 'double', '0', '2.5'), ':5\r\n');
  assert.equal(await codis.call('FCALL', 'hello', '0'), '-ERR Function not found\r\n');
});

test('AOF: FUNCTION LOAD, DELETE and RESTORE are logged and replayed at start', async () => {
  const dir = directory();
  let server = await start('codis-server', { dir, args: ['--appendonly', 'yes'] });
  let c = await connect(server);
  await loadBoth(c);
  const payload = await bulkBytes(c, 'FUNCTION', 'DUMP');
  assert.equal(await c.call('FUNCTION', 'DELETE', 'libb'), '+OK\r\n');
  assert.equal(await c.call('FUNCTION', 'FLUSH'), '+OK\r\n');
  assert.equal(await c.call('FUNCTION', 'RESTORE', payload), '+OK\r\n');
  assert.equal(await c.call('FUNCTION', 'DELETE', 'libb'), '+OK\r\n');
  await stop(server);
  server = await start('codis-server', { dir, args: ['--appendonly', 'yes'] });
  c = await connect(server);
  assert.equal(await c.call('FCALL_RO', 'double', '0', '4'), ':8\r\n');
  assert.equal(await c.call('FCALL', 'hello', '0'), '-ERR Function not found\r\n');
  // A rewrite puts the libraries in the AOF base (an RDB preamble).
  assert.equal(await c.call('BGREWRITEAOF'), '+Background append only file rewriting started\r\n');
  await waitFor('the rewrite', async () =>
    (await c.call('INFO', 'persistence')).includes('aof_rewrite_in_progress:0'),
  );
  await stop(server);
  server = await start('codis-server', { dir, args: ['--appendonly', 'yes'] });
  c = await connect(server);
  assert.equal(await c.call('FCALL_RO', 'double', '0', '5'), ':10\r\n');
});

test('replication: full sync and the stream carry libraries to our replica and to a redis-server 7 replica', async () => {
  const master = await start('codis-server');
  const m = await connect(master);
  assert.equal(await m.call('FUNCTION', 'LOAD', LIB_A), bulk('liba'));
  const replicas: RawConnection[] = [];
  for (const kind of ['codis-server', 'redis-server'] as const) {
    const replica = await connect(await start(kind));
    // A library the master does not have goes away with the full sync.
    assert.equal(
      await replica.call(
        'FUNCTION',
        'LOAD',
        "#!lua name=local\nredis.register_function('mine', function() return 1 end)",
      ),
      bulk('local'),
    );
    assert.equal(await replica.call('REPLICAOF', '127.0.0.1', String(master.port)), '+OK\r\n');
    await waitFor(`${kind} link up`, async () =>
      (await replica.call('INFO', 'replication')).includes('master_link_status:up'),
    );
    replicas.push(replica);
  }
  assert.equal(await m.call('FUNCTION', 'LOAD', LIB_B), bulk('libb'));
  assert.equal(await m.call('FCALL', 'incr_by_3e9', '1', 'n'), ':3000000000\r\n');
  for (const [index, replica] of replicas.entries()) {
    const where = index === 0 ? 'codis-server replica' : 'redis-server replica';
    await waitFor(
      `${where} has libb`,
      async () => (await replica.call('FCALL', 'hello', '0')) === bulk('hello'),
    );
    await assertLibraries(replica, where);
    assert.equal(await replica.call('FCALL', 'mine', '0'), '-ERR Function not found\r\n', where);
    await waitFor(`${where} has n`, async () => (await replica.call('GET', 'n')) === bulk('3000000000'));
  }
  // Read-only replicas refuse functions that may write, and writes from scripts.
  const readonly = "-READONLY You can't write against a read only replica.";
  for (const replica of replicas) {
    assert.equal(await replica.call('FCALL', 'incr_by_3e9', '1', 'n'), `${readonly}\r\n`);
    assert.equal(await replica.call('FCALL_RO', 'incr_by_3e9', '1', 'n'), `${readonly}\r\n`);
    assert.equal(await replica.call('FCALL_RO', 'double', '0', '3'), ':6\r\n');
    assert.equal(await replica.call('EVAL', '#!lua\nreturn 1', '0'), `${readonly}\r\n`);
    assert.equal(await replica.call('EVAL', '#!lua flags=no-writes\nreturn 1', '0'), ':1\r\n');
    const reply = await replica.call('EVAL', "return redis.call('set', 'a', 'b')", '0');
    assert.ok(reply.startsWith(`${readonly} script: `), reply);
  }
  assert.equal(await m.call('FUNCTION', 'DELETE', 'liba'), '+OK\r\n');
  for (const replica of replicas)
    await waitFor(
      'liba deleted',
      async () => (await replica.call('FCALL_RO', 'double', '0', '1')) === '-ERR Function not found\r\n',
    );
  assert.equal(await m.call('FUNCTION', 'FLUSH'), '+OK\r\n');
  for (const replica of replicas)
    await waitFor(
      'flushed',
      async () => (await replica.call('FCALL', 'hello', '0')) === '-ERR Function not found\r\n',
    );
});

test('a replica cut off from its master with replica-serve-stale-data no runs only allow-stale scripts', async () => {
  const deadMaster = await freePort();
  for (const kind of ['codis-server', 'redis-server'] as const) {
    const c = await connect(await start(kind));
    assert.equal(
      await c.call(
        'FUNCTION',
        'LOAD',
        "#!lua name=stale\nredis.register_function{function_name='fresh', callback=function() return 1 end, flags={'no-writes'}}\nredis.register_function{function_name='old', callback=function() return 2 end, flags={'no-writes', 'allow-stale'}}",
      ),
      bulk('stale'),
    );
    assert.equal(await c.call('CONFIG', 'SET', 'replica-serve-stale-data', 'no'), '+OK\r\n');
    assert.equal(await c.call('REPLICAOF', '127.0.0.1', String(deadMaster)), '+OK\r\n');
    const masterDown =
      "-MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'.\r\n";
    assert.equal(await c.call('FCALL', 'fresh', '0'), masterDown, kind);
    assert.equal(await c.call('FCALL_RO', 'fresh', '0'), masterDown, kind);
    assert.equal(await c.call('FCALL', 'old', '0'), ':2\r\n', kind);
    assert.equal(await c.call('EVAL', '#!lua flags=no-writes\nreturn 1', '0'), masterDown, kind);
    assert.equal(await c.call('EVAL', '#!lua flags=no-writes,allow-stale\nreturn 3', '0'), ':3\r\n', kind);
    assert.equal(await c.call('GET', 'x'), masterDown, kind);
  }
});
