// codis-ha end to end (spec/control-plane.md §12.5), on loopback with the real programs: servers
// with a password, a dashboard with an admin secret on the filesystem coordinator, two proxies,
// and codis-ha checking every second.
//   1. --no-maintains: a proxy killed and a replica out of sync are logged, and nothing changes;
//   2. codis-ha removes the dead proxy, then takes the out-of-sync replica out of its group and shuts
//      it down (with the product auth, which Codis never sends);
//   3. the master is killed with SIGKILL: codis-ha promotes the replica, the dashboard reports it as
//      master, the proxy serves through it, and the dead old master leaves the group;
//   4. the dashboard stops answering: codis-ha logs it every cycle and stops cleanly on SIGTERM.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { Redis } from 'ioredis';
import type { DashboardStats } from '../../src/admin/index.ts';
import { Cluster, client, waitFor } from '../helpers/cluster.ts';
import { type Daemon, startDaemon } from '../helpers/daemon.ts';

const AUTH = 'ha-product-auth';
const SECRET = 'ha-admin-secret';
const CODIS_HA = join(import.meta.dirname, '..', '..', 'src', 'cli', 'codis-ha.ts');

const root = mkdtempSync(join(tmpdir(), 'codis-e2e-codis-ha-'));
const cluster = new Cluster('codis-e2e-codis-ha', {
  name: 'filesystem',
  addr: join(root, 'coordinator'),
  adminFlag: `--filesystem=${join(root, 'coordinator')}`,
});
const watchdogs: Daemon[] = [];
after(async () => {
  await Promise.all(watchdogs.map((w) => w.stop(2_000)));
  await cluster.dispose();
  rmSync(root, { recursive: true, force: true });
});

interface LogLine {
  level: number;
  msg: string;
  [key: string]: unknown;
}

function logLines(daemon: Daemon): LogLine[] {
  return daemon
    .output()
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as LogLine);
}

async function startHa(...flags: string[]): Promise<Daemon> {
  const daemon = await startDaemon({
    command: process.execPath,
    args: [CODIS_HA, `--dashboard=${cluster.dashboardAddr}`, '--interval=1', ...flags],
    env: { ...process.env, CODIS_PRODUCT_AUTH: AUTH, CODIS_ADMIN_SECRET: SECRET },
    ready: async () => true,
  });
  watchdogs.push(daemon);
  await waitFor('codis-ha to learn the product', () =>
    logLines(daemon).some((l) => l.msg.startsWith('watching product codis-e2e-codis-ha')),
  );
  return daemon;
}

/** SIGTERM; codis-ha must exit 0 after saying it stopped. */
async function stopHa(daemon: Daemon): Promise<void> {
  await daemon.stop(5_000);
  assert.equal(daemon.process.exitCode, 0, daemon.output());
  assert.ok(
    logLines(daemon).some((l) => l.msg === 'codis-ha stopped'),
    daemon.output(),
  );
}

async function stats(): Promise<DashboardStats> {
  return (await (await fetch(`http://${cluster.dashboardAddr}/topom/stats`)).json()) as DashboardStats;
}

async function groupServers(): Promise<string[]> {
  return ((await stats()).group?.models?.[0]?.servers ?? []).map((s) => s.server);
}

async function proxyAddrs(): Promise<string[]> {
  return ((await stats()).proxy?.models ?? []).map((p) => p.admin_addr);
}

function exited(daemon: { exitCode: number | null; signalCode: NodeJS.Signals | null }): boolean {
  return daemon.exitCode !== null || daemon.signalCode !== null;
}

test('codis-ha removes a dead proxy and a broken replica, promotes a replica of a dead master', {
  timeout: 120_000,
}, async () => {
  const t0 = Date.now();
  const phase = (name: string): void =>
    console.log(`[codis-ha] ${((Date.now() - t0) / 1000).toFixed(1)} s: ${name}`);
  const admin = (...args: string[]) => cluster.ok(...args, `--admin-secret=${SECRET}`);
  await cluster.startServers(3, ['--requirepass', AUTH]);
  await cluster.startDashboard([`product_auth = "${AUTH}"`, `admin_secret = "${SECRET}"`]);
  const [p1, p2] = await Promise.all([
    cluster.startProxy('proxy-1', [`product_auth = "${AUTH}"`]),
    cluster.startProxy('proxy-2', [`product_auth = "${AUTH}"`]),
  ]);
  const [master, replica, stray] = [cluster.addr(0), cluster.addr(1), cluster.addr(2)];
  await admin('--create-group', '--gid=1');
  await admin('--group-add', '--gid=1', `--addr=${master}`);
  await admin('--group-add', '--gid=1', `--addr=${replica}`);
  await admin('--sync-action', '--create', `--addr=${replica}`);
  await waitFor('the replica to follow its master', async () => {
    const lines = (await cluster.ok('--group-status')).split('\n');
    return lines.filter((l) => l.startsWith('[ ]')).length === 2;
  });
  await admin('--create-proxy', `--addr=${p1.adminAddr}`);
  await admin('--create-proxy', `--addr=${p2.adminAddr}`);
  await admin('--slots-assign', '--beg=0', '--end=1023', '--gid=1', '--confirm');
  // A server added without its SLAVEOF stays a master: a replica out of sync ([X]).
  await admin('--group-add', '--gid=1', `--addr=${stray}`);

  phase('cluster ready');
  // 1. --no-maintains: everything wrong is logged, nothing is changed.
  const watcher = await startHa('--no-maintains');
  await p2.daemon.kill();
  const token2 = (await stats()).proxy?.models?.find((p) => p.admin_addr === p2.adminAddr)?.token ?? '';
  assert.notEqual(token2, '');
  await waitFor(
    'three cycles that log the dead proxy',
    () =>
      logLines(watcher).filter((l) => /^\[[ETX?]\] proxy-\d+ \[T\] /.test(l.msg) && l.msg.includes(token2))
        .length >= 3,
    30_000,
    () => watcher.output(),
  );
  const logged = logLines(watcher).map((l) => l.msg);
  assert.ok(logged.includes(`[X] group-1 [2] ${stray}`), watcher.output());
  assert.ok(logged.includes(`[ ] group-1 [0] ${master}`), watcher.output());
  assert.ok(logged.includes(`[ ] group-1 [1] ${replica}`), watcher.output());
  assert.ok(!logged.some((l) => l.startsWith('try to')), watcher.output());
  assert.deepEqual((await proxyAddrs()).sort(), [p1.adminAddr, p2.adminAddr].sort());
  assert.deepEqual(await groupServers(), [master, replica, stray]);
  assert.ok(!exited(cluster.servers[2]?.process ?? { exitCode: 1, signalCode: null }));
  await stopHa(watcher);

  phase('--no-maintains changed nothing');
  // 2. The dead proxy goes first (one repair per cycle), then the replica out of sync, shut down
  // with the product auth.
  const ha = await startHa();
  await waitFor(
    'codis-ha to remove the dead proxy',
    async () => (await proxyAddrs()).length === 1,
    20_000,
    () => ha.output(),
  );
  assert.deepEqual(await proxyAddrs(), [p1.adminAddr]);
  await waitFor(
    'codis-ha to remove the stray replica and shut it down',
    async () =>
      (await groupServers()).length === 2 &&
      exited(cluster.servers[2]?.process ?? { exitCode: 0, signalCode: null }),
    20_000,
    () => ha.output(),
  );
  assert.deepEqual(await groupServers(), [master, replica]);
  assert.equal(cluster.servers[2]?.process.exitCode, 0, 'SHUTDOWN, not a crash');
  assert.ok(
    logLines(ha).some((l) => l.msg === `codis-server ${stray} is shut down`),
    ha.output(),
  );

  phase('dead proxy and stray replica removed');
  // 3. The master dies: its replica is promoted, and the old master then leaves the group.
  await cluster.servers[0]?.process.kill('SIGKILL');
  await waitFor(
    'codis-ha to promote the replica',
    async () => (await groupServers())[0] === replica,
    20_000,
    () => ha.output(),
  );
  assert.ok(
    logLines(ha).some((l) => l.msg === `try to promote group-[1] with slave ${replica}`),
    ha.output(),
  );
  await waitFor(
    'the dead old master to leave the group',
    async () => (await groupServers()).length === 1,
    20_000,
    () => ha.output(),
  );
  assert.deepEqual(await groupServers(), [replica]);
  const group = (await stats()).group?.models?.[0] as { promoting?: object } | undefined;
  assert.deepEqual(group?.promoting, {});
  phase('replica promoted, old master removed');
  // The proxy writes to the new master.
  const redis = client(p1.port);
  try {
    await redis.connect();
    await waitFor(
      'a write through the proxy',
      async () => (await redis.set('ha:key', 'after failover')) === 'OK',
    );
  } finally {
    redis.disconnect();
  }
  const direct = new Redis({ host: '127.0.0.1', port: cluster.servers[1]?.port ?? 0, password: AUTH });
  try {
    assert.equal(await direct.get('ha:key'), 'after failover');
  } finally {
    direct.disconnect();
  }
  phase('the proxy writes to the new master');
  // 4. A dashboard that does not answer is reported every cycle; codis-ha keeps going.
  await cluster.dashboard?.stop(5_000);
  const failures = (): number =>
    logLines(ha).filter((l) => l.msg.startsWith('rpc stats to dashboard')).length;
  await waitFor(
    'two cycles without a dashboard',
    () => failures() >= 2,
    20_000,
    () => ha.output(),
  );
  assert.ok(!exited(ha.process));
  await stopHa(ha);
  // No secret leaks into the logs.
  assert.ok(!ha.output().includes(AUTH) && !ha.output().includes(SECRET));
});
