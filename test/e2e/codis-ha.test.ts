// codis-ha end to end (spec/control-plane.md §12.5), on loopback with the real programs: servers
// with a password, a dashboard with an admin secret on the filesystem coordinator, two proxies,
// and codis-ha checking every second.
//   1. --no-maintains: a proxy killed and a replica out of sync are logged, and nothing changes;
//   2. codis-ha removes the dead proxy, gives the out-of-sync replica a sync action (Codis would
//      shut it down), then takes a hung replica out of its group and shuts it down (with the
//      product auth, which Codis never sends);
//   3. the master is killed with SIGKILL: codis-ha promotes a replica, the dashboard reports it as
//      master, the other replica is re-pointed at it, the proxy serves through it, and the dead old
//      master leaves the group;
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

/** The `--group-status` lines of group 1, as codis-admin prints them (`[ ]` is a healthy server). */
async function healthyServers(): Promise<number> {
  const lines = (await cluster.ok('--group-status')).split('\n');
  return lines.filter((l) => l.startsWith('[ ]')).length;
}

test('codis-ha removes a dead proxy and a hung replica, re-points replicas out of sync, promotes a replica of a dead master', {
  timeout: 120_000,
}, async () => {
  const t0 = Date.now();
  const phase = (name: string): void =>
    console.log(`[codis-ha] ${((Date.now() - t0) / 1000).toFixed(1)} s: ${name}`);
  const admin = (...args: string[]) => cluster.ok(...args, `--admin-secret=${SECRET}`);
  await cluster.startServers(4, ['--requirepass', AUTH]);
  await cluster.startDashboard([`product_auth = "${AUTH}"`, `admin_secret = "${SECRET}"`]);
  const [p1, p2] = await Promise.all([
    cluster.startProxy('proxy-1', [`product_auth = "${AUTH}"`]),
    cluster.startProxy('proxy-2', [`product_auth = "${AUTH}"`]),
  ]);
  const [master, replica, spare, stray] = [
    cluster.addr(0),
    cluster.addr(1),
    cluster.addr(2),
    cluster.addr(3),
  ];
  await admin('--create-group', '--gid=1');
  for (const addr of [master, replica, spare]) await admin('--group-add', '--gid=1', `--addr=${addr}`);
  await admin('--sync-action', '--create', `--addr=${replica}`);
  await admin('--sync-action', '--create', `--addr=${spare}`);
  await waitFor('the replicas to follow their master', async () => (await healthyServers()) === 3);
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
  assert.ok(logged.includes(`[X] group-1 [3] ${stray}`), watcher.output());
  assert.ok(logged.includes(`[ ] group-1 [0] ${master}`), watcher.output());
  assert.ok(logged.includes(`[ ] group-1 [1] ${replica}`), watcher.output());
  assert.ok(!logged.some((l) => l.startsWith('try to')), watcher.output());
  assert.deepEqual((await proxyAddrs()).sort(), [p1.adminAddr, p2.adminAddr].sort());
  assert.deepEqual(await groupServers(), [master, replica, spare, stray]);
  await stopHa(watcher);

  phase('--no-maintains changed nothing');
  // 2. The dead proxy goes first (one repair per cycle). Better than Codis, which would shut the
  // stray replica down: it answers, so it gets a sync action and follows the master.
  const ha = await startHa();
  await waitFor(
    'codis-ha to remove the dead proxy',
    async () => (await proxyAddrs()).length === 1,
    20_000,
    () => ha.output(),
  );
  assert.deepEqual(await proxyAddrs(), [p1.adminAddr]);
  await waitFor(
    'the stray replica to follow the master',
    async () => (await healthyServers()) === 4,
    20_000,
    () => ha.output(),
  );
  assert.ok(
    logLines(ha).some((l) => l.msg.startsWith(`try to sync-action ${stray}`)),
    ha.output(),
  );
  assert.deepEqual(await groupServers(), [master, replica, spare, stray]);

  phase('dead proxy removed, stray replica re-pointed');
  // A replica that hangs (SIGSTOP: its socket accepts, it answers nothing) times out in the
  // dashboard's polls: codis-ha takes it out of the group and shuts it down with the product auth,
  // which Codis never sends; the SHUTDOWN is served once the process runs again.
  const hung = cluster.servers[3]?.process;
  assert.ok(hung !== undefined);
  hung.kill('SIGSTOP');
  await waitFor(
    'codis-ha to take the hung replica out of its group',
    async () => (await groupServers()).length === 3,
    20_000,
    () => ha.output(),
  );
  hung.kill('SIGCONT');
  await waitFor(
    'the hung replica to be shut down',
    () => exited(hung),
    20_000,
    () => ha.output(),
  );
  assert.equal(hung.exitCode, 0, 'SHUTDOWN, not a crash');
  await waitFor('codis-ha to report the shutdown', () =>
    logLines(ha).some((l) => l.msg === `codis-server ${stray} is shut down`),
  );
  assert.deepEqual(await groupServers(), [master, replica, spare]);

  phase('hung replica removed and shut down');
  // 3. The master dies: a replica is promoted, the other one (left following the dead master) is
  // re-pointed at the new master, and the old master leaves the group.
  await cluster.servers[0]?.process.kill('SIGKILL');
  await waitFor(
    'codis-ha to promote a replica',
    async () => [replica, spare].includes((await groupServers())[0] ?? ''),
    20_000,
    () => ha.output(),
  );
  const promoted = (await groupServers())[0] as string;
  const other = promoted === replica ? spare : replica;
  assert.ok(
    logLines(ha).some((l) => l.msg === `try to promote group-[1] with slave ${promoted}`),
    ha.output(),
  );
  await waitFor(
    'the dead old master to leave the group, the other replica to follow the new master',
    async () => (await groupServers()).length === 2 && (await healthyServers()) === 2,
    30_000,
    () => ha.output(),
  );
  assert.deepEqual(await groupServers(), [promoted, other]);
  const group = (await stats()).group?.models?.[0] as { promoting?: object } | undefined;
  assert.deepEqual(group?.promoting, {});
  phase('replica promoted, old master removed, other replica re-pointed');
  // The proxy writes to the new master, and the other replica gets the write.
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
  const portOf = (addr: string): number => Number(addr.slice(addr.lastIndexOf(':') + 1));
  for (const addr of [promoted, other]) {
    const direct = new Redis({ host: '127.0.0.1', port: portOf(addr), password: AUTH });
    try {
      await waitFor(`the write on ${addr}`, async () => (await direct.get('ha:key')) === 'after failover');
    } finally {
      direct.disconnect();
    }
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
