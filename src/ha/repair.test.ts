// codis-ha's repairs (spec/control-plane.md §12.5): which one step (or promotions) a cycle carries
// out for a given stats document, phase by phase, and how the replica to promote is chosen.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type GroupSpec, type ProxySpec, polled, proxyPolled, statsOf } from '../../test/helpers/ha-stats.ts';
import { classify } from './health.ts';
import { planRepairs, type Step } from './repair.ts';

const A = '127.0.0.1:16379';
const B = '127.0.0.1:16380';
const C = '127.0.0.1:16381';
const D = '127.0.0.1:16382';

/** The plan for these groups and proxies, with interval 5 (maxdown 50 s) as Codis's default. */
const plan = (groups: GroupSpec[], proxies: ProxySpec[] = [], maxDown = 50): Step[] =>
  planRepairs(classify(statsOf(groups, proxies)), maxDown);

/** The steps without their notices' wording: kinds, targets and reasons. */
const brief = (steps: Step[]): string[] =>
  steps.map((s) => {
    switch (s.kind) {
      case 'notice':
        return `notice ${s.reason} group-${s.gid}`;
      case 'remove-proxy':
        return `remove-proxy ${s.token}`;
      case 'remove-replica':
        return `remove-replica group-${s.gid} ${s.addr}`;
      case 'sync-replica':
        return `sync-replica group-${s.gid} ${s.addr}`;
      default:
        return `promote group-${s.gid} ${s.addr} (${s.choice})`;
    }
  });

const healthyGroup = (id: number, master: string, replica: string): GroupSpec => ({
  id,
  servers: [
    [master, polled.master()],
    [replica, polled.up(master)],
  ],
});

test('a healthy product: nothing to do', () => {
  assert.deepEqual(
    plan(
      [healthyGroup(1, A, B), { id: 2, servers: [] }],
      [{ id: 1, token: 't1', entry: proxyPolled.alive() }],
    ),
    [],
  );
});

test('phase 1: the first proxy in error, timeout or without stats is removed (force), and the cycle ends there', () => {
  const deadMaster: GroupSpec = {
    id: 1,
    servers: [
      [A, polled.error()],
      [B, polled.down(A, 1)],
    ],
  };
  for (const entry of [proxyPolled.error(), proxyPolled.timeout(), proxyPolled.empty(), undefined]) {
    const steps = plan(
      [deadMaster],
      [
        { id: 1, token: 't1', entry: proxyPolled.alive() },
        { id: 2, token: 't2', entry },
        { id: 3, token: 't3', entry: proxyPolled.error() },
      ],
    );
    assert.deepEqual(steps, [{ kind: 'remove-proxy', id: 2, token: 't2', adminAddr: '127.0.0.1:11082' }]);
  }
});

test('phase 2: the first replica in error, timeout or missing is removed, and the cycle ends there', () => {
  for (const entry of [polled.error(), polled.timeout(), polled.empty(), undefined]) {
    const steps = plan([
      healthyGroup(1, A, B),
      {
        id: 2,
        servers: [
          [C, polled.master()],
          [D, entry],
          ['127.0.0.1:16383', polled.error()],
        ],
      },
      {
        id: 3,
        servers: [
          ['127.0.0.1:1', polled.error()],
          ['127.0.0.1:2', polled.down('127.0.0.1:1', 1)],
        ],
      },
    ]);
    assert.deepEqual(brief(steps), [`remove-replica group-2 ${D}`]);
  }
});

test('phase 2: a replica that answers but follows another master gets a sync action instead (better than Codis)', () => {
  for (const entry of [polled.up(D), polled.master(), polled.link(C, 'sync')]) {
    const steps = plan([
      healthyGroup(1, A, B),
      {
        id: 2,
        servers: [
          [C, polled.master()],
          [D, entry],
          ['127.0.0.1:16383', polled.error()],
        ],
      },
    ]);
    assert.deepEqual(brief(steps), [`sync-replica group-2 ${D}`]);
  }
});

test('phase 2: an out-of-sync replica whose sync action is under way is left to the dashboard', () => {
  const steps = plan([
    {
      id: 1,
      servers: [
        [A, polled.master()],
        [B, polled.master(), 'pending'],
        [C, polled.up(D), 'syncing'],
        [D, polled.error()],
      ],
    },
  ]);
  assert.deepEqual(brief(steps), [
    'notice sync-under-way group-1',
    'notice sync-under-way group-1',
    `remove-replica group-1 ${D}`,
  ]);
  assert.equal(steps[0]?.kind === 'notice' && steps[0].text, `slave ${B} out of sync, sync action pending`);
});

test('after a promotion the replicas left following the old master are re-pointed, one per cycle', () => {
  // The dashboard reordered the group: [promoted, other replica, old master].
  assert.deepEqual(
    brief(
      plan([
        {
          id: 1,
          servers: [
            [B, polled.master()],
            [C, polled.down(A, 3)],
            [A, polled.error()],
          ],
        },
      ]),
    ),
    [`sync-replica group-1 ${C}`],
  );
});

test('phase 2: a replica whose link is down is only logged; the scan goes on to the next bad replica', () => {
  const steps = plan([
    {
      id: 1,
      servers: [
        [A, polled.master()],
        [B, polled.down(A, 600)],
      ],
    },
    {
      id: 2,
      servers: [
        [C, polled.master()],
        [D, polled.error()],
      ],
    },
  ]);
  assert.deepEqual(brief(steps), ['notice replica-link-down group-1', `remove-replica group-2 ${D}`]);
  assert.equal(steps[0]?.kind === 'notice' && steps[0].text, `slave ${B} master link down`);
  // Alone, it is only logged, and nothing else happens: its master is fine.
  assert.deepEqual(
    brief(
      plan([
        {
          id: 1,
          servers: [
            [A, polled.master()],
            [B, polled.down(A, 600)],
          ],
        },
      ]),
    ),
    ['notice replica-link-down group-1'],
  );
});

test('a lone master is never touched: not removed, not "promoted"; its death is only logged', () => {
  for (const entry of [polled.error(), polled.timeout(), undefined]) {
    assert.deepEqual(brief(plan([{ id: 1, servers: [[A, entry]] }])), ['notice give-up group-1']);
  }
  // Out of sync (it replicates from somewhere): nothing at all.
  assert.deepEqual(plan([{ id: 1, servers: [[A, polled.up(B)]] }]), []);
});

test('phase 2 stops at a group whose master is unhealthy: later groups keep their bad replicas this cycle', () => {
  const steps = plan([
    {
      id: 1,
      servers: [
        [A, polled.error()],
        [B, polled.down(A, 2)],
      ],
    },
    {
      id: 2,
      servers: [
        [C, polled.master()],
        [D, polled.error()],
      ],
    },
  ]);
  assert.deepEqual(brief(steps), ['notice master-unhealthy group-1', `promote group-1 ${B} (recent-link)`]);
  assert.equal(steps[0]?.kind === 'notice' && steps[0].text, `codis-server (master) ${A} state error`);
  // A master out of sync also stops the scan, but it answers: it is not replaced.
  assert.deepEqual(
    brief(
      plan([
        {
          id: 1,
          servers: [
            [A, polled.up(C)],
            [B, polled.up(A)],
          ],
        },
        {
          id: 2,
          servers: [
            [C, polled.master()],
            [D, polled.error()],
          ],
        },
      ]),
    ),
    ['notice master-unhealthy group-1'],
  );
});

test('phase 3: the replica whose link went down most recently, within interval × 10 seconds', () => {
  const steps = plan([
    {
      id: 1,
      servers: [
        [A, polled.timeout()],
        [B, polled.down(A, 30)],
        [C, polled.down(A, 4)],
        [D, polled.down(A, 4)],
        ['127.0.0.1:1', polled.down(A, 51)],
      ],
    },
  ]);
  assert.deepEqual(brief(steps), ['notice master-unhealthy group-1', `promote group-1 ${C} (recent-link)`]);
  // The limit itself is still recent (Codis: below maxdown + 1).
  assert.deepEqual(
    brief(
      plan([
        {
          id: 1,
          servers: [
            [A, undefined],
            [B, polled.down(A, 50)],
          ],
        },
      ]),
    ).at(-1),
    `promote group-1 ${B} (recent-link)`,
  );
});

test('phase 3 fallbacks: the most recent of the older links, else the first replica out of sync; never one still synced', () => {
  const old: GroupSpec = {
    id: 1,
    servers: [
      [A, polled.error()],
      [B, polled.up(C)],
      [C, polled.down(A, 900)],
      [D, polled.down(A, 120)],
    ],
  };
  assert.deepEqual(brief(plan([old])).at(-1), `promote group-1 ${D} (stale-link)`);
  // A replica of the wrong master (out of sync) comes after any replica whose link is down.
  const outOfSync: GroupSpec = {
    id: 1,
    servers: [
      [A, polled.error()],
      [B, polled.up(A)],
      [C, polled.up(D)],
      [D, polled.master()],
    ],
  };
  assert.deepEqual(brief(plan([outOfSync])).at(-1), `promote group-1 ${C} (out-of-sync)`);
  // Replicas whose link is still up are never chosen: give up.
  const synced: GroupSpec = {
    id: 1,
    servers: [
      [A, polled.error()],
      [B, polled.up(A)],
    ],
  };
  const steps = plan([synced]);
  assert.deepEqual(brief(steps), ['notice master-unhealthy group-1', 'notice give-up group-1']);
  assert.match((steps[1] as { text: string }).text, /^try to promote group-\[1\], but .*giveup$/);
  // Nor replicas that did not answer either.
  assert.deepEqual(
    brief(
      plan([
        {
          id: 1,
          servers: [
            [A, polled.error()],
            [B, polled.error()],
          ],
        },
      ]),
    ).at(-1),
    'notice give-up group-1',
  );
});

test('phase 3: an unreadable or negative master_link_down_since_seconds cannot be ranked', () => {
  const steps = plan([
    {
      id: 1,
      servers: [
        [A, undefined],
        [B, polled.down(A, 'soon')],
        [C, polled.down(A, -1)],
        [D, polled.up(B)],
      ],
    },
  ]);
  assert.deepEqual(brief(steps), [
    'notice master-unhealthy group-1',
    'notice unreadable-link-down group-1',
    `promote group-1 ${D} (out-of-sync)`,
  ]);
});

test('phase 3: a group already promoting is left to a human', () => {
  const steps = plan([
    {
      id: 1,
      servers: [
        [A, polled.error()],
        [B, polled.down(A, 1)],
      ],
      promoting: 'prepared',
    },
  ]);
  assert.deepEqual(brief(steps), ['notice master-unhealthy group-1', 'notice already-promoting group-1']);
  assert.match((steps[1] as { text: string }).text, /promoting = prepared, please fix it manually/);
});

test('phase 3 looks at every group: each with a dead master gets its promotion in the same cycle', () => {
  const steps = plan([
    {
      id: 1,
      servers: [
        [A, polled.error()],
        [B, polled.down(A, 1)],
      ],
    },
    healthyGroup(2, '127.0.0.1:2', '127.0.0.1:3'),
    {
      id: 3,
      servers: [
        [C, polled.timeout()],
        [D, polled.down(C, 2)],
      ],
    },
  ]);
  assert.deepEqual(brief(steps), [
    'notice master-unhealthy group-1',
    `promote group-1 ${B} (recent-link)`,
    `promote group-3 ${D} (recent-link)`,
  ]);
});

test('after a promotion the old master, now a dead replica, is the next removal', () => {
  // The dashboard reordered the group: [promoted, old master].
  assert.deepEqual(
    brief(
      plan([
        {
          id: 1,
          servers: [
            [B, polled.master()],
            [A, polled.error()],
          ],
        },
      ]),
    ),
    [`remove-replica group-1 ${A}`],
  );
});
