import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  DEFAULT_UP_OPTIONS,
  dashboardConfig,
  evenSlotRanges,
  planCluster,
  proxyConfig,
  serverConfig,
} from './plan.ts';

test('the default layout: 2 groups of a master and a replica, dashboard 18080, proxy 19000/11080', () => {
  const plan = planCluster({ ...DEFAULT_UP_OPTIONS, dir: '/tmp/codis-up' });
  assert.deepEqual(
    plan.groups.map((g) => g.servers.map((s) => [s.addr, s.masterAddr ?? 'master'])),
    [
      [
        ['127.0.0.1:16379', 'master'],
        ['127.0.0.1:16380', '127.0.0.1:16379'],
      ],
      [
        ['127.0.0.1:16381', 'master'],
        ['127.0.0.1:16382', '127.0.0.1:16381'],
      ],
    ],
  );
  assert.equal(plan.dashboard.addr, '127.0.0.1:18080');
  assert.deepEqual(plan.fe, { addr: '127.0.0.1:9090', logFile: '/tmp/codis-up/logs/fe.log' });
  assert.equal(planCluster({ ...DEFAULT_UP_OPTIONS, fePort: 0 }).fe, undefined);
  assert.deepEqual(
    plan.proxies.map((p) => [p.proxyAddr, p.adminAddr]),
    [['127.0.0.1:19000', '127.0.0.1:11080']],
  );
  assert.deepEqual(plan.coordinator, { name: 'filesystem', addr: '/tmp/codis-up/coordinator', auth: '' });
  assert.equal(plan.servers[1]?.dir, '/tmp/codis-up/servers/16380');
});

test('more groups, replicas and proxies; conflicting ports are refused', () => {
  const plan = planCluster({ ...DEFAULT_UP_OPTIONS, dir: '/d', groups: 3, replicas: 2, proxies: 2 });
  assert.equal(plan.servers.length, 9);
  assert.equal(plan.groups[2]?.servers[2]?.addr, '127.0.0.1:16387');
  assert.deepEqual(
    plan.proxies.map((p) => p.adminAddr),
    ['127.0.0.1:11080', '127.0.0.1:11081'],
  );
  assert.throws(
    () => planCluster({ ...DEFAULT_UP_OPTIONS, dashboardPort: 16380 }),
    /port 16380 is given to both server 127.0.0.1:16380 and the dashboard/,
  );
  assert.throws(
    () => planCluster({ ...DEFAULT_UP_OPTIONS, fePort: 18080 }),
    /port 18080 is given to both the dashboard and codis-fe/,
  );
  assert.throws(() => planCluster({ ...DEFAULT_UP_OPTIONS, groups: 0 }), /--groups/);
  assert.throws(() => planCluster({ ...DEFAULT_UP_OPTIONS, coordinator: 'etcd' }), /--coordinator-addr/);
});

test('slots are split into contiguous, nearly equal ranges', () => {
  assert.deepEqual(evenSlotRanges([1, 2]), [
    { gid: 1, beg: 0, end: 511 },
    { gid: 2, beg: 512, end: 1023 },
  ]);
  assert.deepEqual(evenSlotRanges([1, 2, 3]), [
    { gid: 1, beg: 0, end: 341 },
    { gid: 2, beg: 342, end: 682 },
    { gid: 3, beg: 683, end: 1023 },
  ]);
});

test('config files: redis.conf with replicaof and auth, dashboard.toml, proxy.toml', () => {
  const plan = planCluster({ ...DEFAULT_UP_OPTIONS, dir: '/d', productAuth: 'pw' });
  const replica = plan.servers[1];
  assert.ok(replica !== undefined);
  const conf = serverConfig(plan, replica);
  assert.match(conf, /^port 16380$/m);
  assert.match(conf, /^dir "\/d\/servers\/16380"$/m);
  assert.match(conf, /^replicaof 127\.0\.0\.1 16379$/m);
  assert.match(conf, /^requirepass "pw"$/m);
  assert.match(conf, /^masterauth "pw"$/m);
  const dash = dashboardConfig(plan);
  assert.match(dash, /^coordinator_addr = "\/d\/coordinator"$/m);
  assert.match(dash, /^admin_addr = "127\.0\.0\.1:18080"$/m);
  assert.match(dash, /^product_auth = "pw"$/m);
  const proxy = plan.proxies[0];
  assert.ok(proxy !== undefined);
  assert.match(
    proxyConfig(plan, proxy),
    /^proxy_addr = "127\.0\.0\.1:19000"\nadmin_addr = "127\.0\.0\.1:11080"$/m,
  );
});
