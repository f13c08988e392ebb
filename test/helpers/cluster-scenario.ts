// The scenario of the codis-admin end-to-end tests (test/e2e/cluster-lifecycle*.test.ts): a product
// created from nothing with codis-admin on real programs (codis-server, codis-dashboard,
// codis-proxy): groups and servers, SLAVEOF jobs, two proxies registered by --create-proxy, slots
// assigned, ranges migrated with both methods while clients write through both proxies, the
// dashboard killed with SIGKILL in the middle of a migration and restarted (the migration resumes
// and completes), a rebalance after adding a group, a replica promoted, a dead proxy removed with
// --force, the dashboard shut down by codis-admin and a stale lock removed. The data equals what
// the clients were acknowledged.

import assert from 'node:assert/strict';
import { slotOf } from '../../src/slots/index.ts';
import { type Cluster as ClusterType, client, Writers, waitFor } from './cluster.ts';

export interface Variant {
  /** The whole scenario; the lighter one skips the second migration method, rebalance and promote. */
  readonly full: boolean;
}

async function groupStatusInSync(cluster: ClusterType, servers: number): Promise<void> {
  await waitFor(
    'every server as its group expects',
    async () => {
      const lines = (await cluster.ok('--group-status')).split('\n');
      return lines.filter((l) => l.startsWith('[ ]')).length === servers;
    },
    30_000,
    () => cluster.diagnostics(),
  );
}

export async function scenario(cluster: ClusterType, variant: Variant): Promise<void> {
  const t0 = Date.now();
  const phase = (name: string): void =>
    console.log(`[${cluster.coordinator.name}] ${((Date.now() - t0) / 1000).toFixed(1)} s: ${name}`);
  await cluster.startServers(variant.full ? 5 : 3, ['--repl-ping-replica-period', '1']);
  await cluster.startDashboard([
    'migration_method = "semi-async"',
    'migration_async_numkeys = 20',
    'migration_async_maxbulks = 20',
  ]);
  const p1 = await cluster.startProxy('proxy-1');
  const p2 = await cluster.startProxy('proxy-2');

  // From nothing: groups, servers, SLAVEOF jobs for the replicas, proxies.
  await cluster.ok('--create-group', '--gid=1');
  await cluster.ok('--create-group', '--gid=2');
  await cluster.ok('--group-add', '--gid=1', `--addr=${cluster.addr(0)}`);
  await cluster.ok('--group-add', '--gid=1', `--addr=${cluster.addr(1)}`);
  await cluster.ok('--group-add', '--gid=2', `--addr=${cluster.addr(2)}`);
  if (variant.full) await cluster.ok('--group-add', '--gid=2', `--addr=${cluster.addr(3)}`);
  await cluster.ok('--sync-action', '--create', `--addr=${cluster.addr(1)}`);
  if (variant.full) await cluster.ok('--sync-action', '--create', `--addr=${cluster.addr(3)}`);
  await groupStatusInSync(cluster, variant.full ? 4 : 3);
  phase('replicas in sync');
  await cluster.ok('--create-proxy', `--addr=${p1.adminAddr}`);
  await cluster.ok('--create-proxy', `--addr=${p2.adminAddr}`);
  const proxies = JSON.parse(await cluster.ok('--list-proxy')) as { id: number; admin_addr: string }[];
  assert.deepEqual(
    proxies.map((p) => [p.id, p.admin_addr]),
    [
      [1, p1.adminAddr],
      [2, p2.adminAddr],
    ],
  );
  await cluster.ok('--slots-assign', '--beg=0', '--end=1023', '--gid=1', '--confirm');
  // The proxies were given the slots and started by the dashboard. The status is the dashboard's
  // last poll of each proxy, which on a loaded machine can still be one that timed out: poll again.
  let status = await cluster.ok('--proxy-status');
  for (
    let attempt = 0;
    attempt < 20 && status.split('\n').filter((l) => l.startsWith('[ ]')).length < 2;
    attempt++
  ) {
    await new Promise((resolve) => setTimeout(resolve, 500));
    status = await cluster.ok('--proxy-status');
  }
  assert.equal(status.split('\n').filter((l) => l.startsWith('[ ]')).length, 2, status);

  // Data, then clients writing through both proxies from here on.
  const preload = client(p1.port);
  await preload.connect();
  const pipeline = preload.pipeline();
  for (let i = 0; i < 6000; i++) pipeline.set(`pre:${i}`, `value-${i}`);
  await pipeline.exec();
  preload.disconnect();
  const writers = new Writers([p1.port, p2.port]);
  cluster.writers.push(writers);

  phase('writers started');
  // semi-async: the first range to group 2.
  await cluster.ok(
    '--slot-action',
    '--create-range',
    '--beg=0',
    `--end=${variant.full ? 49 : 29}`,
    '--gid=2',
  );
  let groups = await cluster.waitMigrations();
  assert.ok(groups.slice(0, variant.full ? 50 : 30).every((g) => g === 2));

  phase('semi-async range migrated');
  // Slow the next migration down, kill the dashboard in the middle of it and restart it with the
  // other method: the new dashboard takes the lock over and finishes the migration.
  await cluster.ok('--slot-action', '--interval=20000');
  await cluster.ok(
    '--slot-action',
    '--create-range',
    `--beg=${variant.full ? 50 : 30}`,
    `--end=${variant.full ? 149 : 79}`,
    '--gid=2',
  );
  await waitFor('a slot migrating', async () => {
    const slots = await cluster.slots();
    return (
      slots.some((s) => s.action?.state === 'migrating') && slots.some((s) => s.action?.state === 'pending')
    );
  });
  phase('dashboard killed mid-migration');
  await cluster.dashboard?.kill();
  await cluster.startDashboard([
    `migration_method = "${variant.full ? 'sync' : 'semi-async'}"`,
    'migration_async_numkeys = 20',
    'migration_async_maxbulks = 20',
  ]);
  groups = await cluster.waitMigrations(90_000);
  const moved = variant.full ? 150 : 80;
  assert.ok(groups.slice(0, moved).every((g) => g === 2));
  assert.ok(groups.slice(moved).every((g) => g === 1));

  phase('migration resumed and completed');
  await writers.stop();
  assert.equal(writers.errors, 0, `writes failed during migrations: ${writers.lastError}`);
  const verify = async (): Promise<void> => {
    for (const port of [p1.port, p2.port]) {
      const { checked, lost } = await writers.verify(port);
      assert.ok(checked > 100, `writes ${checked}`);
      assert.deepEqual(lost.slice(0, 10), [], `acknowledged values differ through ${port}`);
    }
    const reader = client(p2.port);
    await reader.connect();
    const values = await reader.mget(...Array.from({ length: 6000 }, (_, i) => `pre:${i}`));
    reader.disconnect();
    assert.ok(
      values.every((v, i) => v === `value-${i}`),
      'the preloaded keys are intact',
    );
  };
  await verify();
  phase(`${writers.writes} acknowledged writes verified`);

  if (variant.full) {
    // A third group, then a rebalance (previewed, then applied).
    await cluster.ok('--create-group', '--gid=3');
    await cluster.ok('--group-add', '--gid=3', `--addr=${cluster.addr(4)}`);
    const preview = await cluster.ok('--rebalance');
    assert.match(preview, /\] => 3\n/);
    await cluster.ok('--rebalance', '--confirm');
    groups = await cluster.waitMigrations(240_000);
    const count = (gid: number): number => groups.filter((g) => g === gid).length;
    assert.ok(
      [1, 2, 3].every((gid) => count(gid) >= 341 && count(gid) <= 342),
      `balanced: ${[count(1), count(2), count(3)]}`,
    );
    await verify();
    phase('rebalanced, data verified');
  }

  if (variant.full) {
    // Promote group 1's replica: the proxies follow (writes through them reach the new master).
    await cluster.ok('--promote-server', '--gid=1', `--addr=${cluster.addr(1)}`);
    const views = JSON.parse(await cluster.ok('--slots-status')) as { id: number; backend_addr: string }[];
    const ofGroup1 = groups.indexOf(1);
    assert.equal(views[ofGroup1]?.backend_addr, cluster.addr(1));
    const slots = JSON.parse(await (await fetch(`http://${p2.adminAddr}/proxy/slots`)).text()) as {
      id: number;
      backend_addr: string;
    }[];
    assert.equal(slots[ofGroup1]?.backend_addr, cluster.addr(1));
    const keyInGroup1 = findKeyIn(groups, 1);
    const reader = client(p2.port);
    await reader.connect();
    assert.equal(await reader.set(keyInGroup1, 'after-promote'), 'OK');
    const promoted = client(cluster.servers[1]?.port as number);
    await promoted.connect();
    assert.equal(await promoted.get(keyInGroup1), 'after-promote');
    promoted.disconnect();
    reader.disconnect();
    phase('promoted');
  }

  // A dead proxy: removing it fails until --force.
  await p2.daemon.kill();
  const refused = await cluster.admin('--remove-proxy', `--addr=${p2.adminAddr}`);
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /shutdown failed/);
  await cluster.ok('--remove-proxy', `--addr=${p2.adminAddr}`, '--force');
  assert.equal((JSON.parse(await cluster.ok('--list-proxy')) as unknown[]).length, 1);
  // A live one: shut down by the dashboard, it exits.
  await cluster.ok('--remove-proxy', `--addr=${p1.adminAddr}`);
  await waitFor('proxy-1 to exit', () => p1.daemon.process.exitCode !== null);

  // --shutdown releases the lock; a dashboard killed with SIGKILL leaves it, --remove-lock clears it.
  await cluster.ok('--shutdown');
  await waitFor('the dashboard to exit', () => cluster.dashboard?.process.exitCode !== null);
  assert.equal(cluster.dashboard?.process.exitCode, 0);
  // The lock's holder, as `codis-admin --dashboard-list` reads it from the coordinator.
  const dumpLock = async (): Promise<boolean> => {
    const list = JSON.parse(await cluster.ok(cluster.coordinator.adminFlag, '--dashboard-list')) as {
      name: string;
      dashboard: string;
    }[];
    return list.some((p) => p.name === cluster.product && p.dashboard === cluster.dashboardAddr);
  };
  assert.equal(await dumpLock(), false);
  await cluster.startDashboard();
  assert.equal(await dumpLock(), true);
  await cluster.dashboard?.kill();
  await cluster.ok(cluster.coordinator.adminFlag, `--product=${cluster.product}`, '--remove-lock');
  assert.equal(await dumpLock(), false);
}

/** A key whose slot belongs to `gid`. */
function findKeyIn(groups: number[], gid: number): string {
  for (let i = 0; ; i++) {
    const key = `promote:${i}`;
    if (groups[slotOf(key)] === gid) return key;
  }
}
