// Streams wherever a value is serialized, against Debian's redis-server 7.0 as the reference:
// streams built in redis-server (several nodes, both entry layouts, deleted entries, a node whose
// entries are all deleted, consumer groups with pending entries, empty streams with groups) go
// through our RESTORE and DUMP and come back byte for byte; redis-server restores our payloads to
// the same XRANGE and XINFO STREAM FULL; the same commands run in our server give the same bytes;
// RDB files move both ways; the key commands that copy or inspect values know the type; the AOF
// (RDB or command base) keeps streams across a rewrite and a restart.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createDumpPayload } from '../../src/server/rdb/payload.ts';
import {
  type ConsumerGroup,
  StreamConsumer,
  StreamNack,
  StreamValue,
} from '../../src/server/types/stream.ts';
import { streamId } from '../../src/server/types/stream-id.ts';
import { RawConnection } from '../helpers/raw-connection.ts';
import { type RunningServer, type ServerKind, startServer } from '../helpers/redis-servers.ts';

const BINARY = '\0\r\n\xff-bin';

/** The commands that build the streams in redis-server (IDs explicit: the same bytes every run). */
function fillCommands(): string[][] {
  const commands: string[][] = [];
  // s: 250 entries in three field layouts (nodes of 100 entries: SAMEFIELDS and not), deletions,
  // groups with pending entries delivered twice and claimed, a consumer without any, groups at
  // the end and in the middle.
  for (let i = 1; i <= 250; i++) {
    if (i % 3 === 0) commands.push(['XADD', 's', `${i}-0`, 'a', String(i), 'b', `v${i}`]);
    else if (i % 3 === 1) commands.push(['XADD', 's', `${i}-0`, 'a', String(i), 'b', 'x', 'c', String(-i)]);
    else
      commands.push(['XADD', 's', `${i}-1`, 'z', '12345678901', 'y', '9223372036854775807', 'bin', BINARY]);
  }
  commands.push(
    ['XDEL', 's', '5-1', '6-0', '100-0', '101-1'],
    ['XGROUP', 'CREATE', 's', 'g1', '0'],
    ['XREADGROUP', 'GROUP', 'g1', 'alice', 'COUNT', '5', 'STREAMS', 's', '>'],
    ['XREADGROUP', 'GROUP', 'g1', 'bob', 'COUNT', '3', 'STREAMS', 's', '>'],
    ['XREADGROUP', 'GROUP', 'g1', 'alice', 'STREAMS', 's', '0'],
    ['XGROUP', 'CREATECONSUMER', 's', 'g1', 'carol'],
    ['XCLAIM', 's', 'g1', 'dave', '0', '1-0'],
    ['XGROUP', 'CREATE', 's', 'g2', '$'],
    ['XGROUP', 'CREATE', 's', 'g3', '100-0', 'ENTRIESREAD', '90'],
    ['XGROUP', 'CREATE', 's', '12345', '0'],
  );
  // e: empty, with groups; z: one node whose entries are all deleted (XTRIM MINID marks the last).
  commands.push(
    ['XADD', 'e', 'MAXLEN', '0', '5-5', 'x', 'y'],
    ['XGROUP', 'CREATE', 'e', 'eg', '0'],
    ['XGROUP', 'CREATE', 'e', 'eg2', '$'],
    ['XADD', 'z', '1-0', 'a', '1'],
    ['XADD', 'z', '2-0', 'a', '2'],
    ['XADD', 'z', '3-0', 'a', '3'],
    ['XDEL', 'z', '2-0', '3-0'],
    ['XTRIM', 'z', 'MINID', '2'],
  );
  // t: an exact trim leaves deleted entries at the head of a node.
  for (let i = 1; i <= 300; i++) commands.push(['XADD', 't', `1000-${i}`, 'k', `value ${i % 7}`]);
  commands.push(['XTRIM', 't', 'MAXLEN', '150']);
  // edge: element sizes at the listpack's encoding limits (a 16378-byte value makes a 16383-byte
  // element: a three-byte back-length), integers at every width, non-canonical integers, the
  // largest ID.
  let id = 1;
  for (const length of [63, 64, 127, 128, 4095, 4096, 16377, 16378, 16379, 70000])
    commands.push(['XADD', 'edge', `${id++}-0`, 'f', 'v'.repeat(length)]);
  commands.push([
    'XADD',
    'edge',
    `${id++}-0`,
    ...['a', '-4096', 'b', '4095', 'c', '-4097', 'd', '4096', 'e', '32767', 'f', '-32769', 'g', '8388607'],
    ...['h', '-8388609', 'i', '2147483648', 'j', '-9223372036854775808', 'k', '007', 'l', '-0', 'm', '+5'],
  ]);
  commands.push(['XADD', 'edge', '18446744073709551615-18446744073709551615', '1', '2']);
  // nb: nodes cut by stream-node-max-bytes rather than by entries.
  commands.push(['CONFIG', 'SET', 'stream-node-max-bytes', '200']);
  for (let i = 1; i <= 80; i++) commands.push(['XADD', 'nb', `${i}-0`, 'field', `value-${i}`]);
  commands.push(['CONFIG', 'SET', 'stream-node-max-bytes', '4096']);
  return commands;
}

const KEYS = ['s', 'e', 'z', 't', 'edge', 'nb'];

/** What redis-server shows of a stream: every entry, and everything XINFO STREAM FULL lists. */
async function view(c: RawConnection, key: string): Promise<string[]> {
  return [await c.call('XRANGE', key, '-', '+'), await c.call('XINFO', 'STREAM', key, 'FULL', 'COUNT', '0')];
}

/**
 * A stream as XRANGE and XINFO STREAM FULL show it, consumers' seen times left out: replaying the
 * AOF sets them to the time of the replay (in Redis too). `layout` false leaves out the node
 * counts too: a base of commands rebuilds the entries, not Redis's nodes (in Redis too).
 */
async function comparable(c: RawConnection, key: string, layout = true): Promise<unknown> {
  const masked = new Set(['seen-time', ...(layout ? [] : ['radix-tree-keys', 'radix-tree-nodes'])]);
  const mask = (value: unknown): unknown => {
    if (!Array.isArray(value)) return value;
    return value.map((item, i) => (i > 0 && masked.has(value[i - 1]) ? 0 : mask(item)));
  };
  return [
    await c.value('XRANGE', key, '-', '+'),
    mask(await c.value('XINFO', 'STREAM', key, 'FULL', 'COUNT', '0')),
  ];
}

async function dump(c: RawConnection, key: string): Promise<Buffer> {
  const dumped = await c.value('DUMP', key);
  assert.equal(typeof dumped, 'string', `DUMP ${key}`);
  return Buffer.from(dumped as string, 'latin1');
}

const dirs: string[] = [];
after(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

async function withServer<T>(
  kind: ServerKind,
  dir: string,
  body: (c: RawConnection) => Promise<T>,
  args: string[] = [],
): Promise<T> {
  const server = await startServer(kind, { dir, args });
  const c = await RawConnection.open(server.port);
  try {
    return await body(c);
  } finally {
    c.close();
    await server.stop();
  }
}

describe('streams serialized, against redis-server 7.0', () => {
  let redis: RunningServer;
  let codis: RunningServer;
  let onRedis: RawConnection;
  let onCodis: RawConnection;
  /** Per key: redis-server's DUMP payload and view of the stream. */
  const originals = new Map<string, { payload: Buffer; view: string[] }>();

  before(async () => {
    [redis, codis] = await Promise.all([startServer('redis-server'), startServer('codis-server')]);
    onRedis = await RawConnection.open(redis.port);
    onCodis = await RawConnection.open(codis.port);
    for (const command of fillCommands())
      assert.doesNotMatch(await onRedis.call(...command), /^-/, command[0]);
    for (const key of KEYS)
      originals.set(key, { payload: await dump(onRedis, key), view: await view(onRedis, key) });
  });
  after(async () => {
    onRedis?.close();
    onCodis?.close();
    await Promise.all([redis?.stop(), codis?.stop()]);
  });

  test('the streams have what the cases are about', async () => {
    const info = (await onRedis.value('XINFO', 'STREAM', 's', 'FULL')) as unknown[];
    const field = (name: string): unknown => info[info.indexOf(name) + 1];
    assert.equal(field('radix-tree-keys'), 3);
    assert.equal(field('length'), 246);
    assert.equal((field('groups') as unknown[]).length, 4);
    assert.equal(await onRedis.call('XLEN', 'z'), ':0\r\n');
    const z = (await onRedis.value('XINFO', 'STREAM', 'z')) as unknown[];
    assert.equal(z[z.indexOf('radix-tree-keys') + 1], 1);
    const nb = (await onRedis.value('XINFO', 'STREAM', 'nb')) as unknown[];
    assert.ok((nb[nb.indexOf('radix-tree-keys') + 1] as number) > 5);
    // Redis 7.0 writes streams as type 19 in version-10 payloads.
    const payload = originals.get('s')?.payload as Buffer;
    assert.equal(payload[0], 19);
    assert.equal(payload.readUInt16LE(payload.length - 10), 10);
  });

  for (const key of KEYS) {
    test(`${key}: redis DUMP → our RESTORE → our DUMP is byte-identical and restores in redis as the original`, async () => {
      const original = originals.get(key) as { payload: Buffer; view: string[] };
      assert.equal(await onCodis.call('RESTORE', key, '0', original.payload, 'REPLACE'), '+OK\r\n');
      const ours = await dump(onCodis, key);
      assert.equal(ours.toString('hex'), original.payload.toString('hex'));
      const copy = `${key}:from-codis`;
      assert.equal(await onRedis.call('RESTORE', copy, '0', ours, 'REPLACE'), '+OK\r\n');
      assert.deepEqual(await view(onRedis, copy), original.view);
    });
  }

  test('streams built by the same commands in both servers DUMP to the same bytes', async () => {
    // Keys whose payload holds no clock reading (no deliveries): the rest would differ in times.
    const timeless = ['e', 'z', 't', 'edge', 'nb'];
    const dir = mkdtempSync(join(tmpdir(), 'stream-built-'));
    dirs.push(dir);
    await withServer('codis-server', dir, async (c) => {
      for (const command of fillCommands())
        assert.doesNotMatch(await c.call(...command), /^-/, command.join(' '));
      for (const key of timeless)
        assert.equal((await dump(c, key)).toString('hex'), originals.get(key)?.payload.toString('hex'), key);
      for (const key of KEYS)
        assert.equal((await view(c, key))[0], originals.get(key)?.view[0], `XRANGE ${key}`);
    });
  });

  test('TYPE, OBJECT ENCODING, SCAN TYPE, COPY, MEMORY USAGE, DEBUG OBJECT know streams', async () => {
    for (const key of KEYS)
      assert.equal(
        await onCodis.call('RESTORE', key, '0', originals.get(key)?.payload as Buffer, 'REPLACE'),
        '+OK\r\n',
      );
    await onCodis.call('SET', 'plain', 'x');
    for (const c of [onCodis, onRedis]) {
      assert.equal(await c.call('TYPE', 's'), '+stream\r\n');
      assert.equal(await c.call('OBJECT', 'ENCODING', 's'), '$6\r\nstream\r\n');
      assert.match(
        await c.call('DEBUG', 'OBJECT', 's'),
        /^\+Value at:\S+ refcount:1 encoding:stream serializedlength:\d+/,
      );
      assert.match(await c.call('MEMORY', 'USAGE', 's'), /^:[1-9]\d*\r\n$/);
    }
    const scanned = (await onCodis.value('SCAN', '0', 'TYPE', 'stream', 'COUNT', '1000')) as [
      string,
      string[],
    ];
    assert.deepEqual([...scanned[1]].sort(), [...KEYS].sort());
    assert.equal(await onCodis.call('COPY', 's', 's:copy'), ':1\r\n');
    assert.equal(
      (await dump(onCodis, 's:copy')).toString('hex'),
      originals.get('s')?.payload.toString('hex'),
    );
    // The copy is a value of its own: it outlives the original.
    assert.equal(await onCodis.call('DEL', 's'), ':1\r\n');
    assert.equal(await onCodis.call('TYPE', 's:copy'), '+stream\r\n');
    assert.match(await onCodis.call('MEMORY', 'USAGE', 'e'), /^:[1-9]\d*\r\n$/);
  });

  test('corrupt stream payloads are refused by both servers', async () => {
    // A consumer owning an entry its group's PEL lacks (Redis checks it even without deep sanitization).
    const stream = new StreamValue();
    stream.append(streamId(1n, 0n), ['f', 'v']);
    const group = stream.createGroup('g', streamId(1n, 0n), 1n) as ConsumerGroup;
    const consumer = new StreamConsumer('c', 1);
    group.consumers.set('c', consumer);
    consumer.pel.set(streamId(1n, 0n), new StreamNack(consumer, 1, 1));
    const payload = createDumpPayload(stream);
    for (const c of [onCodis, onRedis])
      assert.equal(await c.call('RESTORE', 'bad', '0', payload), '-ERR Bad data format\r\n');
  });

  test('RDB files: ours load in redis-server, redis-server 7 dumps load in ours, and restarts keep streams', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'stream-rdb-'));
    dirs.push(dir);
    await withServer('codis-server', dir, async (c) => {
      for (const key of KEYS)
        assert.equal(await c.call('RESTORE', key, '0', originals.get(key)?.payload as Buffer), '+OK\r\n');
      assert.equal(await c.call('PEXPIRE', 's', '600000'), ':1\r\n');
      assert.equal(await c.call('SAVE'), '+OK\r\n');
    });
    // Written as RDB version 9 like every file of ours: redis-server 7.0 loads type 19 in it.
    execFileSync('redis-check-rdb', [join(dir, 'dump.rdb')]);
    await withServer('redis-server', dir, async (c) => {
      for (const key of KEYS) assert.deepEqual(await view(c, key), originals.get(key)?.view, key);
      assert.match(await c.call('PTTL', 's'), /^:5\d{5}\r\n$/);
      assert.equal(await c.call('SAVE'), '+OK\r\n');
    });
    await withServer('codis-server', dir, async (c) => {
      for (const key of KEYS)
        assert.equal((await dump(c, key)).toString('hex'), originals.get(key)?.payload.toString('hex'), key);
      assert.match(await c.call('PTTL', 's'), /^:5\d{5}\r\n$/);
      assert.equal(await c.call('BGSAVE'), '+Background saving started\r\n');
      for (let i = 0; i < 200 && /rdb_bgsave_in_progress:1/.test(await c.call('INFO', 'persistence')); i++)
        await new Promise((done) => setTimeout(done, 20));
    });
    await withServer('codis-server', dir, async (c) => {
      for (const key of KEYS)
        assert.equal((await dump(c, key)).toString('hex'), originals.get(key)?.payload.toString('hex'), key);
    });
  });

  for (const preamble of ['yes', 'no']) {
    test(`AOF (aof-use-rdb-preamble ${preamble}): streams survive a rewrite and the commands after it, across a restart`, async () => {
      const dir = mkdtempSync(join(tmpdir(), 'stream-aof-'));
      dirs.push(dir);
      const args = ['--appendonly', 'yes', '--appendfsync', 'always', '--aof-use-rdb-preamble', preamble];
      const waitRewrite = async (c: RawConnection): Promise<void> => {
        for (let i = 0; i < 200 && /aof_rewrite_in_progress:1/.test(await c.call('INFO', 'persistence')); i++)
          await new Promise((done) => setTimeout(done, 20));
      };
      const keys = [...KEYS, 'w'];
      let expected: Array<[string, unknown]> = [];
      await withServer(
        'codis-server',
        dir,
        async (c) => {
          for (const key of ['s', 'e', 'z'])
            assert.equal(await c.call('RESTORE', key, '0', originals.get(key)?.payload as Buffer), '+OK\r\n');
          for (let i = 1; i <= 120; i++)
            await c.call('XADD', 'w', `${i}-0`, 'f', `v${i}`, ...(i % 2 ? ['g', 'x'] : []));
          assert.equal(await c.call('XGROUP', 'CREATE', 'w', 'grp', '0'), '+OK\r\n');
          await c.call('XREADGROUP', 'GROUP', 'grp', 'c1', 'COUNT', '10', 'STREAMS', 'w', '>');
          await waitRewrite(c);
          assert.equal(await c.call('BGREWRITEAOF'), '+Background append only file rewriting started\r\n');
          await waitRewrite(c);
          // After the rewrite: what these commands propagate goes to the incremental file.
          for (const key of ['t', 'edge', 'nb'])
            assert.equal(await c.call('RESTORE', key, '0', originals.get(key)?.payload as Buffer), '+OK\r\n');
          const after: string[][] = [
            ['XADD', 's', '*', 'late', 'entry'],
            ['XREADGROUP', 'GROUP', 'g1', 'erin', 'COUNT', '2', 'STREAMS', 's', '>'],
            ['XACK', 's', 'g1', '2-1'],
            ['XCLAIM', 's', 'g1', 'frank', '0', '3-0'],
            ['XDEL', 's', '10-0'],
            ['XGROUP', 'SETID', 's', 'g2', '50-0'],
            ['XAUTOCLAIM', 's', 'g1', 'gina', '0', '0-0', 'COUNT', '2'],
            ['XGROUP', 'DELCONSUMER', 's', 'g1', 'bob'],
            ['XTRIM', 'w', 'MAXLEN', '50'],
            ['XREADGROUP', 'GROUP', 'grp', 'c2', 'COUNT', '3', 'STREAMS', 'w', '>'],
            ['XADD', 'e', '6-0', 'now', 'one'],
          ];
          for (const argv of after) assert.doesNotMatch(await c.call(...argv), /^-/, argv.join(' '));
          expected = [];
          for (const key of keys) expected.push([key, await comparable(c, key, preamble === 'yes')]);
        },
        args,
      );
      await withServer(
        'codis-server',
        dir,
        async (c) => {
          for (const [key, view] of expected)
            assert.deepEqual(await comparable(c, key, preamble === 'yes'), view, key);
        },
        args,
      );
    });
  }
});
