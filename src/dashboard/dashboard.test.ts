import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { emptyGroup, type Group, groupServer, offlineSlot, type SlotMapping } from '../models/index.ts';
import { dashboardXAuth, proxyXAuth } from './auth.ts';
import {
  dashboardConfigJson,
  dashboardConfigToml,
  defaultDashboardConfig,
  parseDashboardToml,
  validateDashboardConfig,
} from './config.ts';
import { rebalancePlan } from './rebalance.ts';
import { renderSlot } from './slot-view.ts';

function group(id: number, ...servers: string[]): Group {
  const g = emptyGroup(id);
  g.servers = servers.map((s) => groupServer(s));
  return g;
}

function slots(assign: (id: number) => number): SlotMapping[] {
  return Array.from({ length: 1024 }, (_, id) => ({ ...offlineSlot(id), groupId: assign(id) }));
}

/** The plan compressed into `[beg,end] => gid` ranges, as codis-admin prints it. */
function ranges(plan: Map<number, number>): string[] {
  const out: string[] = [];
  let start = -1;
  let prev = -1;
  let gid = 0;
  for (const [sid, g] of plan) {
    if (start >= 0 && (sid !== prev + 1 || g !== gid)) {
      out.push(`[${start},${prev}] => ${gid}`);
      start = -1;
    }
    if (start < 0) {
      start = sid;
      gid = g;
    }
    prev = sid;
  }
  if (start >= 0) out.push(`[${start},${prev}] => ${gid}`);
  return out;
}

describe('xauth (spec §2.3)', () => {
  it('matches the values observed with Codis', () => {
    assert.equal(dashboardXAuth('codis-demo'), '95b62887719520f17e312eaa76d28f2b');
    assert.equal(
      proxyXAuth('codis-demo', '', '2e7212a146c4e36a17404fc19d2ed3cf'),
      '3a2fbbb86f54aa537cc67acff31294d0',
    );
  });
});

describe('dashboard.toml', () => {
  it('has the spec defaults and prints them as the overview does', () => {
    const json = dashboardConfigJson(defaultDashboardConfig());
    assert.equal(json.migration_async_maxbytes, '32mb');
    assert.equal(json.migration_timeout, '30s');
    assert.equal(json.sentinel_failover_timeout, '5m');
    assert.equal(json.product_auth, undefined);
    assert.equal(json.admin_secret, undefined);
  });
  it('round-trips --default-config', () => {
    assert.deepEqual(parseDashboardToml(dashboardConfigToml()), defaultDashboardConfig());
  });
  it('names an unknown key and a mistyped value', () => {
    assert.throws(() => parseDashboardToml('bogus_key = 1'), /unknown key 'bogus_key'/);
    assert.throws(
      () => parseDashboardToml('migration_parallel_slots = "x"'),
      /migration_parallel_slots: expected an integer/,
    );
    assert.throws(() => parseDashboardToml('migration_timeout = "3 parsecs"'), /migration_timeout/);
  });
  it('reads units and validates as Codis', () => {
    const c = parseDashboardToml(
      'migration_timeout = "1.5"\nmigration_async_maxbytes = "1mb"\nmigration_method = "SYNC"',
    );
    assert.equal(c.migration_timeout, 1500);
    assert.equal(c.migration_async_maxbytes, 1024 * 1024);
    validateDashboardConfig(c);
    assert.equal(c.migration_method, 'sync');
    assert.throws(
      () => validateDashboardConfig(parseDashboardToml('migration_method = "x"')),
      /invalid migration_method/,
    );
    assert.throws(
      () => validateDashboardConfig(parseDashboardToml('product_name = "a b"')),
      /invalid product_name/,
    );
    assert.throws(
      () => validateDashboardConfig(parseDashboardToml('sentinel_quorum = 0')),
      /invalid sentinel_quorum/,
    );
  });
});

describe('rebalance (spec §8.8)', () => {
  it('gives offline slots to the smaller group (§14.8)', () => {
    const m = slots((id) => (id < 100 ? 2 : id < 512 ? 1 : 0));
    const groups = [group(1, 'a:1'), group(2, 'b:1')];
    assert.deepEqual(ranges(rebalancePlan(m, groups)), ['[512,611] => 1', '[612,1023] => 2']);
  });
  it('fills a new empty group from the highest-numbered slots (§14.9)', () => {
    const m = slots((id) => (id < 100 ? 2 : id < 612 ? 1 : 2));
    const groups = [group(1, 'a:1'), group(2, 'b:1'), group(3, 'c:1')];
    assert.deepEqual(ranges(rebalancePlan(m, groups)), ['[442,611] => 3', '[853,1023] => 3']);
  });
  it('refuses without a non-empty group', () => {
    assert.throws(
      () =>
        rebalancePlan(
          slots(() => 0),
          [group(1)],
        ),
      /no valid group could be found/,
    );
  });
});

describe('slot views (spec §8.2)', () => {
  const groups = new Map([
    [1, group(1, '127.0.0.1:16379')],
    [2, group(2, '127.0.0.1:16381', '127.0.0.1:16382')],
  ]);
  it('renders each action state', () => {
    const base = { id: 50, groupId: 1, action: { index: 51, state: 'pending' as const, targetId: 2 } };
    const ctx = { groups, forwardMethod: 1 };
    assert.deepEqual(renderSlot(base, ctx), {
      id: 50,
      backend_addr: '127.0.0.1:16379',
      backend_addr_group_id: 1,
      forward_method: 1,
    });
    assert.deepEqual(renderSlot({ ...base, action: { ...base.action, state: 'prepared' } }, ctx), {
      id: 50,
      locked: true,
      backend_addr: '127.0.0.1:16381',
      backend_addr_group_id: 2,
      migrate_from: '127.0.0.1:16379',
      migrate_from_group_id: 1,
      forward_method: 1,
    });
    assert.deepEqual(
      renderSlot({ ...base, action: { ...base.action, state: 'finished' } }, { groups, forwardMethod: 0 }),
      {
        id: 50,
        backend_addr: '127.0.0.1:16381',
        backend_addr_group_id: 2,
      },
    );
    assert.deepEqual(renderSlot(offlineSlot(7), ctx), { id: 7, forward_method: 1 });
  });
  it('puts flagged replicas in tiers, master included (§14.10)', () => {
    const g2 = group(2, '127.0.0.1:16381', '127.0.0.1:16382');
    for (const s of g2.servers) s.replicaGroup = true;
    (g2.servers[0] as { datacenter: string }).datacenter = 'dc1';
    const ctx = { groups: new Map([[2, g2]]), forwardMethod: 1 };
    const m = { id: 0, groupId: 2, action: { index: 0, state: '' as const, targetId: 0 } };
    assert.deepEqual(renderSlot(m, ctx).replica_groups, [['127.0.0.1:16381', '127.0.0.1:16382']]);
    const proxy = {
      id: 1,
      token: 't',
      startTime: '',
      adminAddr: '127.0.0.1:11080',
      protoType: 'tcp4',
      proxyAddr: '',
      jodisPath: '',
      productName: 'p',
      pid: 1,
      pwd: '',
      sys: '',
      hostname: '',
      datacenter: '',
    };
    assert.deepEqual(renderSlot(m, ctx, proxy).replica_groups, [['127.0.0.1:16382'], ['127.0.0.1:16381']]);
    assert.deepEqual(renderSlot(m, ctx, { ...proxy, datacenter: 'dc1' }).replica_groups, [
      ['127.0.0.1:16381'],
      ['127.0.0.1:16382'],
    ]);
  });
});
