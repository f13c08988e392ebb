// Slot migration in batches (issue #8) on real programs: two codis-servers, codis-dashboard on the
// filesystem coordinator, two codis-proxies. 256 empty slots move in one go and every proxy ends
// with the right slot table; then 256 slots holding keys (small keys, a big hash, keys in another
// database) move semi-async while clients write through both proxies, and 128 of them move back
// with the sync method after a dashboard restart: nothing acknowledged is lost, the moved slots
// are empty on their sources.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { slotOf } from '../../src/slots/index.ts';
import { Cluster, client, Writers } from '../helpers/cluster.ts';
import { RawConnection } from '../helpers/raw-connection.ts';

const root = mkdtempSync(join(tmpdir(), 'codis-e2e-batch-'));
const cluster = new Cluster('codis-e2e-batch', {
  name: 'filesystem',
  addr: root,
  adminFlag: `--filesystem=${root}`,
});
after(async () => {
  await cluster.dispose();
  rmSync(root, { recursive: true, force: true });
});

interface ProxySlotView {
  id: number;
  backend_addr?: string;
  migrate_from?: string;
  locked?: boolean;
}

/** Each proxy's slot table: the backend of every slot, and that none is locked or migrating. */
async function expectProxyTables(owner: (sid: number) => string): Promise<void> {
  for (const p of cluster.proxies) {
    const slots = JSON.parse(await cluster.ok(`--proxy=${p.adminAddr}`, 'slots')) as ProxySlotView[];
    assert.equal(slots.length, 1024);
    for (const s of slots) {
      assert.equal(s.backend_addr, owner(s.id), `${p.name} slot ${s.id}`);
      assert.equal(s.migrate_from, undefined, `${p.name} slot ${s.id} migrate_from`);
      assert.notEqual(s.locked, true, `${p.name} slot ${s.id} locked`);
    }
  }
}

async function dbsize(port: number, db: number): Promise<number> {
  const c = await RawConnection.open(port);
  try {
    await c.call('select', db);
    return Number(await c.value('dbsize'));
  } finally {
    c.close();
  }
}

/** The slots of [beg, beg+count) holding keys in database `db` of a server. */
async function slotsWithKeys(port: number, db: number, beg: number, count: number): Promise<unknown> {
  const c = await RawConnection.open(port);
  try {
    await c.call('select', db);
    return await c.value('slotsinfo', beg, count);
  } finally {
    c.close();
  }
}

async function stats(): Promise<{
  slot_action: { keys_moved: number; migration: { running: boolean; slots_left: number } };
}> {
  return (await (await fetch(`http://${cluster.dashboardAddr}/topom/stats`)).json()) as never;
}

test('batches of slots: 256 empty slots, then slots with keys with both methods', {
  timeout: 120_000,
}, async () => {
  const t0 = Date.now();
  const phase = (name: string): void => console.log(`${((Date.now() - t0) / 1000).toFixed(1)} s: ${name}`);
  await cluster.startServers(2);
  await cluster.startDashboard(['migration_method = "semi-async"', 'migration_async_numkeys = 100']);
  const p1 = await cluster.startProxy('proxy-1');
  const p2 = await cluster.startProxy('proxy-2');
  await cluster.ok('--create-group', '--gid=1');
  await cluster.ok('--create-group', '--gid=2');
  await cluster.ok('--group-add', '--gid=1', `--addr=${cluster.addr(0)}`);
  await cluster.ok('--group-add', '--gid=2', `--addr=${cluster.addr(1)}`);
  await cluster.ok('--create-proxy', `--addr=${p1.adminAddr}`);
  await cluster.ok('--create-proxy', `--addr=${p2.adminAddr}`);
  await cluster.ok('--slots-assign', '--beg=0', '--end=1023', '--gid=1', '--confirm');

  phase('slots assigned');
  // 256 empty slots (more than migration_parallel_slots = 100: three batches).
  await cluster.ok('--slot-action', '--create-range', '--beg=768', '--end=1023', '--gid=2');
  let groups = await cluster.waitMigrations(60_000);
  assert.deepEqual(
    groups,
    Array.from({ length: 1024 }, (_, i) => (i >= 768 ? 2 : 1)),
  );
  await expectProxyTables((sid) => cluster.addr(sid >= 768 ? 1 : 0));
  let s = await stats();
  assert.equal(s.slot_action.migration.running, false);
  assert.equal(s.slot_action.migration.slots_left, 0);

  phase('256 empty slots moved');
  // Keys in slots 0..255: small keys through a proxy, one big hash, and keys in database 3 written
  // straight to the server (the proxy serves database 0 here).
  const inFirst = (key: string): boolean => slotOf(key) < 256;
  const loader = client(p1.port);
  await loader.connect();
  const expected = new Map<string, string>();
  const pipeline = loader.pipeline();
  for (let i = 0, n = 0; n < 2000; i++) {
    const key = `k:${i}`;
    if (!inFirst(key)) continue;
    pipeline.set(key, `v${i}`);
    expected.set(key, `v${i}`);
    n++;
  }
  await pipeline.exec();
  let hash = '';
  for (let i = 0; hash === ''; i++) if (slotOf(`{h${i}}big`) < 128) hash = `{h${i}}big`;
  const fields: string[] = [];
  for (let i = 0; i < 3000; i++) fields.push(`f${i}`, `${i}`);
  await loader.hset(hash, ...fields);
  loader.disconnect();
  const direct = await RawConnection.open(cluster.servers[0]?.port as number);
  await direct.call('select', 3);
  for (let i = 0, n = 0; n < 100; i++) {
    if (!inFirst(`db3:${i}`)) continue;
    await direct.call('set', `db3:${i}`, `x${i}`);
    n++;
  }
  direct.close();

  phase('keys loaded');
  const writers = new Writers([p1.port, p2.port]);
  cluster.writers.push(writers);
  const movedBefore = s.slot_action.keys_moved;
  await cluster.ok('--slot-action', '--create-range', '--beg=0', '--end=255', '--gid=2');
  groups = await cluster.waitMigrations(60_000);
  assert.deepEqual(
    groups,
    Array.from({ length: 1024 }, (_, i) => (i < 256 || i >= 768 ? 2 : 1)),
  );
  await expectProxyTables((sid) => cluster.addr(sid < 256 || sid >= 768 ? 1 : 0));
  s = await stats();
  assert.ok(
    s.slot_action.keys_moved - movedBefore >= 2000 + 1 + 100,
    `keys moved ${s.slot_action.keys_moved}`,
  );
  const [s0, s1] = [cluster.servers[0]?.port as number, cluster.servers[1]?.port as number];
  assert.deepEqual(await slotsWithKeys(s0, 0, 0, 256), []);
  assert.deepEqual(await slotsWithKeys(s0, 3, 0, 256), []);
  assert.equal(await dbsize(s1, 3), 100);

  phase('256 slots moved semi-async');
  // The sync method after a restart of the dashboard: slots 0..127 back to group 1.
  await cluster.dashboard?.stop(5_000);
  await cluster.startDashboard(['migration_method = "sync"']);
  await cluster.ok('--slot-action', '--create-range', '--beg=0', '--end=127', '--gid=1');
  groups = await cluster.waitMigrations(60_000);
  const finalOwner = (sid: number): number => ((sid >= 128 && sid < 256) || sid >= 768 ? 2 : 1);
  assert.deepEqual(
    groups,
    Array.from({ length: 1024 }, (_, i) => finalOwner(i)),
  );
  await expectProxyTables((sid) => cluster.addr(finalOwner(sid) - 1));
  phase('128 slots moved back with sync');
  await writers.stop();
  assert.ok(writers.writes > 0);
  assert.deepEqual(await slotsWithKeys(s1, 0, 0, 128), []);
  assert.deepEqual(await slotsWithKeys(s1, 3, 0, 128), []);
  assert.equal((await dbsize(s0, 3)) + (await dbsize(s1, 3)), 100);
  assert.ok((await dbsize(s0, 3)) > 0);

  const reader = client(p2.port);
  await reader.connect();
  const keys = [...expected.keys()];
  for (let i = 0; i < keys.length; i += 500) {
    const chunk = keys.slice(i, i + 500);
    assert.deepEqual(
      await reader.mget(...chunk),
      chunk.map((k) => expected.get(k)),
    );
  }
  assert.equal(await reader.hlen(hash), 3000);
  assert.equal(await reader.hget(hash, 'f2999'), '2999');
  reader.disconnect();
  for (const port of [p1.port, p2.port]) {
    const { checked, lost } = await writers.verify(port);
    assert.ok(checked > 0);
    assert.deepEqual(lost, []);
  }
});
