// Whole-keyspace commands through codis-proxy (two codis-servers: slots 0..511 on A, 512..1023 on
// B; two proxies): SCAN over every slot returning each key exactly once, also while slots migrate,
// MATCH/COUNT/TYPE, bad cursors and options, DBSIZE, RANDOMKEY, bounded KEYS, the proxy.toml
// switches that restore Codis's refusals, and ioredis/node-redis scan helpers.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { createClient } from 'redis';
import { slotOf } from '../../src/slots/index.ts';
import {
  type ProxyFixture,
  slotRange,
  startProxy,
  startTwoGroups,
  type TwoGroups,
} from '../helpers/proxy-fixture.ts';
import { RawConnection } from '../helpers/raw-connection.ts';
import type { RunningServer } from '../helpers/redis-servers.ts';

const KEYS = 5000;

/** Every key of a SCAN through `c`, in the order returned, and the number of calls. */
async function scanAll(c: RawConnection, ...options: string[]): Promise<{ keys: string[]; calls: number }> {
  const keys: string[] = [];
  let cursor = '0';
  let calls = 0;
  do {
    const reply = (await c.value('SCAN', cursor, ...options)) as [Buffer | string, Array<Buffer | string>];
    assert.ok(Array.isArray(reply), `SCAN answered ${String(reply)}`);
    cursor = String(reply[0]);
    for (const key of reply[1]) keys.push(String(key));
    calls++;
  } while (cursor !== '0');
  return { keys, calls };
}

function assertExactlyOnce(found: readonly string[], expected: readonly string[]): void {
  const seen = new Set<string>();
  const duplicates: string[] = [];
  for (const key of found) {
    if (seen.has(key)) duplicates.push(key);
    seen.add(key);
  }
  assert.deepEqual(duplicates, [], 'keys returned twice');
  const missing = expected.filter((key) => !seen.has(key));
  assert.deepEqual(missing.slice(0, 10), [], `${missing.length} keys missing`);
  assert.equal(found.length, expected.length);
}

describe('codis-proxy SCAN, DBSIZE, RANDOMKEY, KEYS', () => {
  let cluster: TwoGroups;
  let a: RunningServer;
  let b: RunningServer;
  let addrA: string;
  let addrB: string;
  let one: ProxyFixture;
  let two: ProxyFixture;
  let c: RawConnection;
  const keys: string[] = [];

  before(async () => {
    cluster = await startTwoGroups({ proxies: [{}, { proxy_keys_max: 200 }] });
    ({ a, b, addrA, addrB } = cluster);
    [one, two] = cluster.proxies as [ProxyFixture, ProxyFixture];
    c = await RawConnection.open(one.port);
    for (let i = 0; i < KEYS; i++) keys.push(`key:${i}`);
    for (let i = 0; i < KEYS; i += 500) {
      const chunk = keys.slice(i, i + 500);
      assert.equal(await c.call('MSET', ...chunk.flatMap((key) => [key, 'v'])), '+OK\r\n');
    }
  });
  after(async () => {
    c.close();
    await cluster.close();
  });

  it('SCAN returns every key of both groups exactly once, through either proxy', async () => {
    const direct = await RawConnection.open(a.port);
    assert.ok(Number(String(await direct.value('DBSIZE'))) > 1000, 'group A holds keys');
    direct.close();
    const first = await scanAll(c);
    assertExactlyOnce(first.keys, keys);
    const other = await RawConnection.open(two.port);
    const second = await scanAll(other, 'COUNT', '500');
    assertExactlyOnce(second.keys, keys);
    assert.ok(second.calls < first.calls, 'a larger COUNT needs fewer calls');
    // The cursor is the same at every proxy: a scan can go on through another one.
    const mixed: string[] = [];
    let cursor = '0';
    for (let call = 0; call === 0 || cursor !== '0'; call++) {
      const via = call % 2 === 0 ? c : other;
      const reply = (await via.value('SCAN', cursor, 'COUNT', '200')) as unknown as [Buffer, Buffer[]];
      cursor = String(reply[0]);
      for (const key of reply[1]) mixed.push(String(key));
    }
    assertExactlyOnce(mixed, keys);
    other.close();
  });

  it('MATCH, COUNT and TYPE', async () => {
    for (let i = 0; i < 30; i++) assert.equal(await c.call('HSET', `h:${i}`, 'f', 'v'), ':1\r\n');
    for (let i = 0; i < 20; i++) assert.equal(await c.call('RPUSH', `{tag}l${i}`, 'x'), ':1\r\n');
    try {
      const hashes = Array.from({ length: 30 }, (_, i) => `h:${i}`);
      assertExactlyOnce((await scanAll(c, 'MATCH', 'h:*')).keys, hashes);
      assertExactlyOnce((await scanAll(c, 'TYPE', 'hash')).keys, hashes);
      assertExactlyOnce((await scanAll(c, 'TYPE', 'HASH', 'MATCH', 'h:1*', 'COUNT', '3')).keys, [
        'h:1',
        ...Array.from({ length: 10 }, (_, i) => `h:1${i}`),
      ]);
      assert.deepEqual((await scanAll(c, 'TYPE', 'zset')).keys, []);
      const strings = await scanAll(c, 'TYPE', 'string', 'COUNT', '1000');
      assertExactlyOnce(strings.keys, keys);
      // A fixed hash tag reads only its slot: one call, cursor 0.
      const tagged = await scanAll(c, 'MATCH', '{tag}l1*');
      assert.equal(tagged.calls, 1);
      assertExactlyOnce(tagged.keys, ['{tag}l1', ...Array.from({ length: 10 }, (_, i) => `{tag}l1${i}`)]);
      // COUNT 1: a page holds whole slots, the cursor is the next slot.
      const page = (await c.value('SCAN', '0', 'COUNT', '1')) as unknown as [Buffer, Buffer[]];
      assert.ok(page[1].length >= 1);
      const next = Number(String(page[0]));
      assert.ok(next > 0 && next < 1024);
      for (const key of page[1]) assert.ok(slotOf(String(key)) < next);
      // The last page ends with cursor 0.
      const tail = (await c.value('SCAN', '1023', 'COUNT', '1000')) as unknown as [Buffer, Buffer[]];
      assert.equal(String(tail[0]), '0');
      for (const key of tail[1]) assert.equal(slotOf(String(key)), 1023);
    } finally {
      await c.call('DEL', ...Array.from({ length: 30 }, (_, i) => `h:${i}`));
      await c.call('DEL', ...Array.from({ length: 20 }, (_, i) => `{tag}l${i}`));
    }
  });

  it('bad cursors and options get Redis errors', async () => {
    for (const cursor of ['abc', '1024', '-1', ' 1', '99999999999999999999999']) {
      assert.equal(await c.call('SCAN', cursor), '-ERR invalid cursor\r\n', cursor);
    }
    assert.equal(await c.call('SCAN'), "-ERR wrong number of arguments for 'scan' command\r\n");
    assert.equal(await c.call('SCAN', '0', 'COUNT', '0'), '-ERR syntax error\r\n');
    assert.equal(await c.call('SCAN', '0', 'COUNT', 'x'), '-ERR value is not an integer or out of range\r\n');
    assert.equal(await c.call('SCAN', '0', 'MATCH'), '-ERR syntax error\r\n');
    assert.equal(await c.call('SCAN', '0', 'LIMIT', '3'), '-ERR syntax error\r\n');
    assert.equal(await c.call('DBSIZE', 'x'), "-ERR wrong number of arguments for 'dbsize' command\r\n");
    assert.equal(
      await c.call('RANDOMKEY', 'x'),
      "-ERR wrong number of arguments for 'randomkey' command\r\n",
    );
    assert.equal(await c.call('PING'), '+PONG\r\n');
  });

  it('DBSIZE sums the groups, RANDOMKEY picks an existing key, both per database', async () => {
    const direct = await Promise.all([RawConnection.open(a.port), RawConnection.open(b.port)]);
    const sizes = await Promise.all(direct.map(async (d) => Number(String(await d.value('DBSIZE')))));
    for (const d of direct) d.close();
    assert.equal((sizes[0] ?? 0) + (sizes[1] ?? 0), KEYS);
    assert.equal(await c.call('DBSIZE'), `:${KEYS}\r\n`);
    for (let i = 0; i < 20; i++) {
      const key = String(await c.value('RANDOMKEY'));
      assert.match(key, /^key:\d+$/);
    }
    const other = await RawConnection.open(one.port);
    assert.equal(await other.call('SELECT', '2'), '+OK\r\n');
    assert.equal(await other.call('DBSIZE'), ':0\r\n');
    assert.equal(await other.call('RANDOMKEY'), '$-1\r\n');
    // Empty slots are skipped after one SLOTSINFO: one call scans the empty database.
    assert.equal(await other.call('SCAN', '0'), '*2\r\n$1\r\n0\r\n*0\r\n');
    assert.equal(await other.call('SET', 'only', '1'), '+OK\r\n');
    assert.equal(await other.call('RANDOMKEY'), '$4\r\nonly\r\n');
    assert.equal(await other.call('DBSIZE'), ':1\r\n');
    assert.deepEqual((await scanAll(other)).keys, ['only']);
    assert.equal(await other.call('DEL', 'only'), ':1\r\n');
    other.close();
  });

  it('KEYS: refused by default as in Codis, bounded by proxy_keys_max', async () => {
    assert.equal(await c.call('KEYS', '*'), "-ERR handle request, command 'KEYS' is not allowed\r\n");
    const other = await RawConnection.open(two.port);
    for (let i = 0; i < 50; i++) assert.equal(await other.call('SET', `few:${i}`, 'v'), '+OK\r\n');
    const found = (await other.value('KEYS', 'few:*')) as unknown as Buffer[];
    assertExactlyOnce(
      found.map(String),
      Array.from({ length: 50 }, (_, i) => `few:${i}`),
    );
    assert.equal(
      await other.call('KEYS', '*'),
      '-ERR KEYS matches more than 200 keys (proxy_keys_max), use SCAN to iterate them\r\n',
    );
    assert.equal(await other.call('KEYS', '{x}nothing*'), '*0\r\n');
    // A pattern without glob characters is one key: only its slot is read.
    assert.equal(await other.call('KEYS', 'few:7'), `*1\r\n$5\r\nfew:7\r\n`);
    assert.equal(await other.call('SCAN', '0', 'MATCH', 'key:42'), '*2\r\n$1\r\n0\r\n*1\r\n$6\r\nkey:42\r\n');
    assert.equal(await other.call('KEYS'), "-ERR wrong number of arguments for 'keys' command\r\n");
    assert.equal(await other.call('DEL', ...Array.from({ length: 50 }, (_, i) => `few:${i}`)), ':50\r\n');
    other.close();
  });

  it('proxy.toml switches restore the Codis refusals', async () => {
    const off = await startProxy({ proxy_scan_enabled: false, proxy_scripting_enabled: false });
    try {
      off.proxy.fillSlots([...slotRange(0, 511, addrA), ...slotRange(512, 1023, addrB)]);
      off.proxy.start();
      const o = await RawConnection.open(off.port);
      for (const args of [
        ['SCAN', '0'],
        ['DBSIZE'],
        ['RANDOMKEY'],
        ['KEYS', '*'],
        ['SCRIPT', 'FLUSH'],
        ['FUNCTION', 'LIST'],
      ]) {
        const name = args[0] as string;
        assert.equal(await o.call(...args), `-ERR handle request, command '${name}' is not allowed\r\n`);
      }
      assert.equal(await o.call('GET', 'key:1'), '$1\r\nv\r\n');
      o.close();
    } finally {
      await off.close();
    }
  });

  it('ioredis scanStream and node-redis scanIterator see every key once', async () => {
    const io = new Redis({ port: one.port, host: '127.0.0.1', lazyConnect: true });
    try {
      await io.connect();
      const found: string[] = [];
      await new Promise<void>((resolve, reject) => {
        const stream = io.scanStream({ count: 50 });
        stream.on('data', (batch: string[]) => found.push(...batch));
        stream.on('end', resolve);
        stream.on('error', reject);
      });
      assertExactlyOnce(found, keys);
      const matched: string[] = [];
      await new Promise<void>((resolve, reject) => {
        const stream = io.scanStream({ match: 'key:12*', type: 'string' });
        stream.on('data', (batch: string[]) => matched.push(...batch));
        stream.on('end', resolve);
        stream.on('error', reject);
      });
      assertExactlyOnce(
        matched,
        keys.filter((key) => key.startsWith('key:12')),
      );
      assert.equal(await io.dbsize(), KEYS);
    } finally {
      io.disconnect();
    }
    const client = createClient({
      socket: { host: '127.0.0.1', port: two.port },
      disableClientInfo: true,
      RESP: 2,
    });
    await client.connect();
    try {
      const found: string[] = [];
      for await (const batch of client.scanIterator({ COUNT: 100 })) found.push(...batch);
      assertExactlyOnce(found, keys);
      assert.equal(await client.dbSize(), KEYS);
    } finally {
      client.destroy();
    }
  });

  for (const [method, from, to] of [
    [0, 0, 127],
    [1, 128, 255],
  ] as const) {
    it(`SCAN while slots ${from}..${to} migrate returns every key exactly once (${method === 0 ? 'sync' : 'semi-async'} method)`, async () => {
      const proxies = [one.proxy, two.proxy];
      const moving = slotRange(from, to, addrB, { migrate_from: addrA, forward_method: method });
      const expectedMoved = keys.filter((key) => slotOf(key) >= from && slotOf(key) <= to).length;
      assert.ok(expectedMoved > 400);
      let running = true;
      const scans: Array<{ keys: string[]; during: boolean }> = [];
      const scanner = async (port: number): Promise<void> => {
        const s = await RawConnection.open(port);
        while (running) {
          const startedDuring = running;
          const result = await scanAll(s, 'COUNT', '20');
          scans.push({ keys: result.keys, during: startedDuring && running });
        }
        s.close();
      };
      const scanners = [scanner(one.port), scanner(two.port)];
      // Dashboard: prepared (locked), migrating, keys moved a few at a time, finished.
      for (const proxy of proxies) proxy.fillSlots(moving.map((slot) => ({ ...slot, locked: true })));
      await new Promise((resolve) => setTimeout(resolve, 20));
      for (const proxy of proxies) proxy.fillSlots(moving);
      const mover = await RawConnection.open(a.port);
      const target = String(b.port);
      let moved = 0;
      for (let slot = from; slot <= to; slot++) {
        for (;;) {
          if (method === 0) {
            const scan = (await mover.value('SLOTSSCAN', String(slot), '0', 'COUNT', '1')) as unknown as [
              Buffer,
              Buffer[],
            ];
            const key = scan[1][0];
            if (key === undefined) break;
            assert.equal(
              await mover.call('SLOTSMGRTTAGONE', '127.0.0.1', target, '3000', String(key)),
              ':1\r\n',
            );
            moved++;
          } else {
            const reply = await mover.call(
              'SLOTSMGRTTAGSLOT-ASYNC',
              '127.0.0.1',
              target,
              '3000',
              '200',
              '1048576',
              String(slot),
              '2',
            );
            const match = /^\*2\r\n:(\d+)\r\n:(\d+)\r\n$/.exec(reply);
            assert.ok(match, reply);
            moved += Number(match[1]);
            if (match[2] === '0') break;
            // Slower than the sync loop's two round trips per key: several scans must overlap it.
            await new Promise((resolve) => setTimeout(resolve, 10));
          }
        }
      }
      for (const proxy of proxies) proxy.fillSlots(slotRange(from, to, addrB, { forward_method: method }));
      running = false;
      await Promise.all(scanners);
      mover.close();
      assert.equal(moved, expectedMoved);
      const during = scans.filter((scan) => scan.during);
      assert.ok(during.length >= 2, `only ${during.length} scans ran during the migration`);
      for (const scan of scans) assertExactlyOnce(scan.keys, keys);
      assertExactlyOnce((await scanAll(c)).keys, keys);
      assert.equal(await c.call('DBSIZE'), `:${KEYS}\r\n`);
    });
  }
});
