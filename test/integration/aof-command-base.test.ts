// aof-use-rdb-preamble no: the AOF base is written as commands, as redis-server 7.0 writes it
// (the same commands for the same keys: Redis's key order is its hash table's, so keys are compared
// one by one), and a restart replays it to the same values. Streams are included when the server
// has the stream commands the rewrite replays (XADD, XSETID, XGROUP, XCLAIM).
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { parseCommands } from '../../src/server/persistence/aof.ts';
import { RawConnection } from '../helpers/raw-connection.ts';
import { type ServerKind, startServer } from '../helpers/redis-servers.ts';

const dirs: string[] = [];
after(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** Year 2100: the same absolute expiry on both servers. */
const EXPIRE_AT = '4102444800000';
const LIBRARY = "#!lua name=mylib\nredis.register_function('f1', function() return 1 end)";

function fillCommands(streams: boolean): string[][] {
  const commands: string[][] = [
    ['FUNCTION', 'LOAD', LIBRARY],
    ['SET', 'k', 'v'],
    ['PEXPIREAT', 'k', EXPIRE_AT],
    ['SET', 'n', '123'],
    ['RPUSH', 'l', ...Array.from({ length: 70 }, (_, i) => String(i + 1))],
    ['HSET', 'h', 'f', 'v', 'g', '12'],
    ['SADD', 'st', '3', '1', '2'],
    ['ZADD', 'z', '1.1', 'a', '2', 'b', 'inf', 'c', '-inf', 'd', '1e300', 'e'],
    ['SELECT', '2'],
    ['SET', 'other', '1'],
    ['SELECT', '0'],
  ];
  if (!streams) return commands;
  commands.push(
    ['XADD', 's', '1-1', 'a', '1', 'b', 'hello'],
    ['XADD', 's', '1-2', 'a', '2'],
    ['XADD', 's', '2-0', 'c', '3'],
    ['XDEL', 's', '1-2'],
    ['XGROUP', 'CREATE', 's', 'g', '0'],
    ['XCLAIM', 's', 'g', 'alice', '0', '1-1', 'TIME', '1795804375105', 'RETRYCOUNT', '3', 'FORCE', 'JUSTID'],
    ['XGROUP', 'CREATECONSUMER', 's', 'g', 'bob'],
    ['XGROUP', 'CREATE', 's', 'g2', '$'],
    ['XADD', 'e', 'MAXLEN', '0', '5-5', 'x', 'y'],
    ['XGROUP', 'CREATE', 'e', 'eg', '0'],
  );
  return commands;
}

/** The base's commands: SELECT and FUNCTION LOAD in order, then per key its commands. */
function baseOf(dir: string): { order: string[]; keys: Map<string, string[][]> } {
  const aofDir = join(dir, 'appendonlydir');
  const manifest = readFileSync(join(aofDir, 'appendonly.aof.manifest'), 'latin1');
  const name = /file (\S+) seq \d+ type b/.exec(manifest)?.[1] as string;
  assert.match(name, /\.base\.aof$/);
  const parsed = parseCommands(readFileSync(join(aofDir, name)));
  const order: string[] = [];
  const keys = new Map<string, string[][]>();
  let database = '0';
  for (const argv of parsed.commands) {
    const command = (argv[0] as string).toUpperCase();
    if (command === 'SELECT' || command === 'FUNCTION') {
      if (command === 'SELECT') database = argv[1] as string;
      order.push(argv.join(' '));
      continue;
    }
    const key = `${database}:${command === 'XGROUP' ? argv[2] : argv[1]}`;
    keys.set(key, [...(keys.get(key) ?? []), argv]);
  }
  return { order, keys };
}

async function rewritten(
  kind: ServerKind,
  streams: boolean,
): Promise<{ base: ReturnType<typeof baseOf>; dir: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'aof-commands-'));
  dirs.push(dir);
  const server = await startServer(kind, {
    dir,
    args: ['--appendonly', 'yes', '--aof-use-rdb-preamble', 'no'],
  });
  const c = await RawConnection.open(server.port);
  try {
    for (const argv of fillCommands(streams))
      assert.doesNotMatch(await c.call(...argv), /^-/, argv.join(' '));
    const waitRewrite = async (): Promise<void> => {
      for (let i = 0; i < 200 && /aof_rewrite_in_progress:1/.test(await c.call('INFO', 'persistence')); i++)
        await new Promise((done) => setTimeout(done, 20));
    };
    await waitRewrite();
    assert.equal(await c.call('BGREWRITEAOF'), '+Background append only file rewriting started\r\n');
    await waitRewrite();
    // Wait for Redis to install the new manifest (its rewrite finishes in a child and a cron).
    for (let i = 0; i < 100 && !/aof_rewrites:[1-9]/.test(await c.call('INFO', 'persistence')); i++)
      await new Promise((done) => setTimeout(done, 20));
    return { base: baseOf(dir), dir };
  } finally {
    c.close();
    await server.stop();
  }
}

describe('AOF base as commands (aof-use-rdb-preamble no)', () => {
  test('our base has the commands of redis-server 7.0 for every key, and a restart replays it', async () => {
    const probe = await startServer('codis-server');
    const c = await RawConnection.open(probe.port);
    const streams = !(await c.call('XSETID', 'nokey', '1-1')).startsWith('-ERR unknown command');
    c.close();
    await probe.stop();
    const [reference, ours] = await Promise.all([
      rewritten('redis-server', streams),
      rewritten('codis-server', streams),
    ]);
    assert.deepEqual(ours.base.order, reference.base.order);
    assert.deepEqual([...ours.base.keys.keys()].sort(), [...reference.base.keys.keys()].sort());
    for (const [key, commands] of reference.base.keys) {
      // A consumer's seen time is not in the rewrite; XCLAIM's TIME and RETRYCOUNT are.
      assert.deepEqual(ours.base.keys.get(key), commands, key);
    }
    const server = await startServer('codis-server', {
      dir: ours.dir,
      args: ['--appendonly', 'yes', '--aof-use-rdb-preamble', 'no'],
    });
    const again = await RawConnection.open(server.port);
    try {
      assert.deepEqual(
        await again.value('LRANGE', 'l', '0', '-1'),
        Array.from({ length: 70 }, (_, i) => String(i + 1)),
      );
      assert.equal(await again.call('ZSCORE', 'z', 'a'), '$18\r\n1.1000000000000001\r\n');
      assert.equal(await again.call('PEXPIRETIME', 'k'), `:${EXPIRE_AT}\r\n`);
      assert.equal(await again.call('FCALL', 'f1', '0'), ':1\r\n');
      assert.equal(await again.call('SELECT', '2'), '+OK\r\n');
      assert.equal(await again.call('GET', 'other'), '$1\r\n1\r\n');
      if (streams) {
        assert.equal(await again.call('SELECT', '0'), '+OK\r\n');
        assert.equal(await again.call('XLEN', 's'), ':2\r\n');
        assert.equal(await again.call('TYPE', 'e'), '+stream\r\n');
      }
    } finally {
      again.close();
      await server.stop();
    }
  });
});
