// Sentinel HA end to end (spec/control-plane.md §10): three of Debian's redis-sentinels configured
// by the dashboard (--sentinel-add, --sentinel-resync: SENTINEL MONITOR/SET on every group), two
// groups, two proxies and clients writing through both. A master is killed with SIGKILL: the
// sentinels promote its replica, the dashboard's watcher puts the new master first in the group,
// the proxies re-route on their own, and the cluster serves again without a human. The old master
// comes back and is made a replica of the new one. Prints how long writes failed and what was lost.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { dashboardXAuth } from '../../src/dashboard/index.ts';
import { slotOf } from '../../src/slots/index.ts';
import { Cluster, client, Writers, waitFor } from '../helpers/cluster.ts';
import { type Daemon, requireExecutable, startDaemon } from '../helpers/daemon.ts';
import { freePort } from '../helpers/free-port.ts';
import { startServer } from '../helpers/redis-servers.ts';

const SENTINEL = '/usr/bin/redis-sentinel';

const root = mkdtempSync(join(tmpdir(), 'codis-e2e-ha-'));
const cluster = new Cluster('codis-e2e-ha', {
  name: 'filesystem',
  addr: join(root, 'coordinator'),
  adminFlag: `--filesystem=${join(root, 'coordinator')}`,
});
const sentinels: Daemon[] = [];
after(async () => {
  await Promise.all(sentinels.map((s) => s.stop(2_000)));
  await cluster.dispose();
  rmSync(root, { recursive: true, force: true });
});

/**
 * A sentinel on a port that was free a moment ago; when another test's process takes it first
 * (redis-sentinel exits: address already in use), another port. Returns the port.
 */
async function startSentinel(): Promise<number> {
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    try {
      await startSentinelOn(port);
      return port;
    } catch (error) {
      if (attempt >= 5 || !/address already in use/i.test((error as Error).message)) throw error;
    }
  }
}

async function startSentinelOn(port: number): Promise<Daemon> {
  const dir = mkdtempSync(join(root, 'sentinel-'));
  const file = join(dir, 'sentinel.conf');
  writeFileSync(file, [`port ${port}`, 'bind 127.0.0.1', `dir ${dir}`].join('\n'));
  const daemon = await startDaemon({
    command: SENTINEL,
    args: [file],
    ready: async () => {
      const redis = client(port);
      try {
        await redis.connect();
        return (await redis.ping()) === 'PONG';
      } finally {
        redis.disconnect();
      }
    },
    ports: [port],
  });
  sentinels.push(daemon);
  return daemon;
}

async function info(port: number, field: string): Promise<string | undefined> {
  const redis = client(port);
  try {
    await redis.connect();
    const text = await redis.info('replication');
    return new RegExp(`^${field}:(.*)\\r?$`, 'm').exec(text)?.[1]?.trim();
  } finally {
    redis.disconnect();
  }
}

test('sentinels fail a group over; the dashboard and the proxies follow', { timeout: 180_000 }, async () => {
  requireExecutable(SENTINEL, 'redis-sentinel');
  const t0 = Date.now();
  const phase = (name: string): void =>
    console.log(`[sentinel] ${((Date.now() - t0) / 1000).toFixed(1)} s: ${name}`);
  await cluster.startServers(4, ['--repl-ping-replica-period', '1']);
  await cluster.startDashboard([
    'sentinel_quorum = 2',
    'sentinel_down_after = "1s"',
    'sentinel_failover_timeout = "5s"',
    'sentinel_client_timeout = "5s"',
  ]);
  const p1 = await cluster.startProxy('proxy-1');
  const p2 = await cluster.startProxy('proxy-2');
  const sentinelPorts = await Promise.all([startSentinel(), startSentinel(), startSentinel()]);

  for (const gid of [1, 2]) {
    await cluster.ok('--create-group', `--gid=${gid}`);
    await cluster.ok('--group-add', `--gid=${gid}`, `--addr=${cluster.addr(2 * gid - 2)}`);
    await cluster.ok('--group-add', `--gid=${gid}`, `--addr=${cluster.addr(2 * gid - 1)}`);
    await cluster.ok('--sync-action', '--create', `--addr=${cluster.addr(2 * gid - 1)}`);
  }
  await waitFor('the replicas to follow their masters', async () => {
    const lines = (await cluster.ok('--group-status')).split('\n');
    return lines.filter((l) => l.startsWith('[ ]')).length === 4;
  });
  await cluster.ok('--create-proxy', `--addr=${p1.adminAddr}`);
  await cluster.ok('--create-proxy', `--addr=${p2.adminAddr}`);
  await cluster.ok('--slots-assign', '--beg=0', '--end=511', '--gid=1', '--confirm');
  await cluster.ok('--slots-assign', '--beg=512', '--end=1023', '--gid=2', '--confirm');
  await badInput(cluster, p1.adminAddr);
  phase('bad input refused');
  for (const port of sentinelPorts) await cluster.ok('--sentinel-add', `--addr=127.0.0.1:${port}`);
  await cluster.ok('--sentinel-resync');
  phase('sentinels configured');

  // Every sentinel monitors both groups, and they know each other and the replicas.
  const product = cluster.product;
  for (const port of sentinelPorts) {
    const monitored = (await (
      await fetch(`http://${cluster.dashboardAddr}/api/topom/sentinels/info/127.0.0.1:${port}/monitored`)
    ).json()) as Record<string, { master: Record<string, string> }>;
    assert.deepEqual(Object.keys(monitored).sort(), [`${product}-1`, `${product}-2`]);
    assert.equal(monitored[`${product}-1`]?.master.port, String(cluster.servers[0]?.port));
    assert.equal(monitored[`${product}-1`]?.master['down-after-milliseconds'], '1000');
  }
  const sentinel = client(sentinelPorts[0] as number);
  await sentinel.connect();
  const masterField = async (name: string, field: string): Promise<string | undefined> => {
    const reply = (await sentinel.call('SENTINEL', 'MASTER', name)) as string[];
    const at = reply.indexOf(field);
    return at < 0 ? undefined : reply[at + 1];
  };
  await waitFor(
    'the sentinels to see each other and the replicas',
    async () => {
      for (const gid of [1, 2]) {
        if ((await masterField(`${product}-${gid}`, 'num-slaves')) !== '1') return false;
        if ((await masterField(`${product}-${gid}`, 'num-other-sentinels')) !== '2') return false;
      }
      return true;
    },
    30_000,
  );
  phase('sentinels ready');

  const writers = new Writers([p1.port, p2.port]);
  cluster.writers.push(writers);
  await waitFor('writes', () => writers.writes > 200);
  assert.equal(writers.errors, 0, writers.lastError);

  // SIGKILL group 1's master.
  const oldMaster = cluster.servers[0];
  assert.ok(oldMaster);
  const newMaster = cluster.addr(1);
  const killedAt = Date.now();
  oldMaster.process.kill('SIGKILL');
  await waitFor('writes to fail', () => writers.failing, 10_000);
  await waitFor(
    'the dashboard to put the promoted replica first in group 1',
    async () => {
      const groups = JSON.parse(await cluster.ok('--list-group')) as {
        id: number;
        servers: { server: string }[];
        out_of_sync: boolean;
      }[];
      const g = groups.find((x) => x.id === 1);
      return g?.servers[0]?.server === newMaster && g.out_of_sync;
    },
    60_000,
    () => cluster.diagnostics(),
  );
  const stats = (await (await fetch(`http://${cluster.dashboardAddr}/topom/stats`)).json()) as {
    sentinels: { masters: Record<string, string> };
  };
  assert.deepEqual(stats.sentinels.masters, { '1': newMaster, '2': cluster.addr(2) });
  // Both proxies serve group 1's slots again, on their own.
  let key = '';
  for (let i = 0; key === ''; i++) if (slotOf(`ha:${i}`) < 512) key = `ha:${i}`;
  for (const proxy of [p1, p2]) {
    await waitFor(
      `${proxy.name} to write to the new master`,
      async () => {
        const redis = client(proxy.port);
        try {
          await redis.connect();
          return (await redis.set(key, proxy.name)) === 'OK';
        } finally {
          redis.disconnect();
        }
      },
      60_000,
      () => cluster.diagnostics(),
    );
  }
  await waitFor('the writers to succeed again', async () => {
    const before = writers.writes;
    await new Promise((r) => setTimeout(r, 500));
    return !writers.failing && writers.writes > before;
  });
  const recoveredSeconds = (Date.now() - killedAt) / 1000;
  phase('serving again');

  // The old master comes back (empty) and the sentinels make it a replica of the new one.
  cluster.servers[0] = await startServer('codis-server', {
    port: oldMaster.port,
    args: ['--repl-ping-replica-period', '1'],
  });
  await waitFor(
    'the old master to follow the new one',
    async () =>
      (await info(oldMaster.port, 'master_port')) === String(cluster.servers[1]?.port) &&
      (await info(oldMaster.port, 'master_link_status')) === 'up',
    60_000,
  );
  phase('old master follows the new one');

  await writers.stop();
  const lost = new Set<string>();
  for (const port of [p1.port, p2.port]) for (const k of (await writers.verify(port)).lost) lost.add(k);
  console.log(
    `sentinel HA: writes failed for ${(writers.failedMs / 1000).toFixed(2)} s, served again ${recoveredSeconds.toFixed(2)} s after the SIGKILL, ${lost.size} of ${writers.acked.size} acknowledged keys lost (${writers.writes} acknowledged writes)`,
  );
  // Asynchronous replication: what the old master acknowledged in its last moments may be lost,
  // never more than a sliver.
  assert.ok(lost.size < writers.acked.size / 10, `lost ${lost.size}`);
  sentinel.disconnect();

  // An operator's resync pushes the new master officially and clears out_of_sync.
  await cluster.ok('--resync-group', '--gid=1');
  const views = JSON.parse(await cluster.ok('--slots-status')) as { backend_addr: string }[];
  assert.equal(views[0]?.backend_addr, newMaster);
});

/**
 * Bad input against the real dashboard: status 800 with the spec's cause, and nothing applied
 * (the groups, slots, proxies and sentinels read back unchanged).
 */
async function badInput(cluster: Cluster, proxyAdmin: string): Promise<void> {
  const x = dashboardXAuth(cluster.product);
  const base = `http://${cluster.dashboardAddr}`;
  const snapshot = async (): Promise<string> => {
    const stats = (await (await fetch(`${base}/topom/stats`)).json()) as Record<string, unknown> & {
      group: { models: unknown };
      proxy: { models: unknown };
      sentinels: { model: unknown };
      slots: unknown;
    };
    return JSON.stringify([stats.group.models, stats.proxy.models, stats.sentinels.model, stats.slots]);
  };
  const before = await snapshot();
  const refused = async (path: string, cause: RegExp): Promise<void> => {
    const response = await fetch(`${base}${path}`, { method: 'PUT' });
    const body = (await response.json()) as { Cause?: string };
    assert.equal(response.status, 800, `${path}: ${JSON.stringify(body)}`);
    assert.match(body.Cause ?? '', cause, path);
  };
  const unreachable = `127.0.0.1:${await freePort()}`;
  await refused(
    `/api/topom/group/create/${'0'.repeat(32)}/7`,
    /^invalid xauth, please check product name & auth$/,
  );
  await refused(`/api/topom/group/add/${x}/1/${unreachable}`, /connection refused/);
  await refused(`/api/topom/group/add/${x}/1/${cluster.addr(3)}`, /already exists/);
  await refused(`/api/topom/group/remove/${x}/1`, /^group-\[1\] isn't empty$/);
  await refused(`/api/topom/group/remove/${x}/42`, /^group-\[42\] doesn't exist$/);
  await refused(
    `/api/topom/group/del/${x}/1/${cluster.addr(0)}`,
    /^group-\[1\] can't remove master, still in use$/,
  );
  await refused(`/api/topom/group/promote/${x}/1/${cluster.addr(0)}`, /^group-\[1\] can't promote master$/);
  await refused(`/api/topom/group/promote/${x}/1/${cluster.addr(2)}`, /doesn't have server/);
  await refused(`/api/topom/slots/action/create/${x}/1024/2`, /^slot-\[1024\] doesn't exist$/);
  await refused(`/api/topom/slots/action/create/${x}/5/42`, /^group-\[42\] doesn't exist$/);
  await refused(`/api/topom/slots/action/create-range/${x}/500/1100/2`, /^invalid slot range \[500,1100\]$/);
  // All or nothing: 510..513 crosses into group 2's slots, so none of the range is queued.
  await refused(
    `/api/topom/slots/action/create-range/${x}/510/513/2`,
    /^slot-\[512\] already in group-\[2\]$/,
  );
  await refused(
    `/api/topom/proxy/create/${x}/${unreachable}`,
    new RegExp(`^proxy@${unreachable} fetch model failed`),
  );
  await refused(`/api/topom/proxy/create/${x}/${proxyAdmin}`, /already exists/);
  await refused(`/api/topom/sentinels/add/${x}/${unreachable}`, /connection refused/);
  // A codis-server is not a sentinel: SENTINEL FLUSHCONFIG fails.
  await refused(`/api/topom/sentinels/add/${x}/${cluster.addr(0)}`, /./);
  await refused(`/api/topom/sentinels/del/${x}/${unreachable}/0`, /not found/);
  // codis-admin reports the remote cause and exits 1.
  const slots = await cluster.admin('--slots-assign', '--beg=0', '--end=1024', '--gid=1', '--confirm');
  assert.equal(slots.code, 1);
  const group = await cluster.admin('--group-add', '--gid=1', `--addr=${unreachable}`);
  assert.equal(group.code, 1);
  assert.match(group.stderr, /\[Remote Error\] .*connection refused/);
  assert.equal(await snapshot(), before, 'nothing was applied');
}
