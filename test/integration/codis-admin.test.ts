// codis-admin against small fakes of the dashboard and proxy HTTP APIs, and against a filesystem
// coordinator: the routes called for every mode, what is printed on stdout and stderr, and the exit
// status (spec/control-plane.md §12.3, §14).

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { runAdmin } from '../../src/admin/index.ts';
import { FilesystemStore, ProductStore } from '../../src/coordinator/index.ts';
import { emptyGroup, groupServer } from '../../src/models/index.ts';
import { type Daemon, startDaemon } from '../helpers/daemon.ts';
import { FakeDashboard } from '../helpers/fake-dashboard.ts';
import { FakeProxy } from '../helpers/fake-proxy.ts';
import { freePort } from '../helpers/free-port.ts';
import { type RunningServer, startServer } from '../helpers/redis-servers.ts';

const CLI = join(import.meta.dirname, '..', '..', 'src', 'cli', 'codis-admin.ts');
const DASHBOARD_CLI = join(import.meta.dirname, '..', '..', 'src', 'cli', 'codis-dashboard.ts');

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

function collect(stream: PassThrough): () => string {
  let text = '';
  stream.on('data', (chunk: Buffer) => {
    text += chunk.toString('utf8');
  });
  return () => text;
}

async function admin(args: string[], env: NodeJS.ProcessEnv = {}): Promise<Result> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const out = collect(stdout);
  const err = collect(stderr);
  const code = await runAdmin(args, { stdout, stderr, env });
  return { code, stdout: out(), stderr: err() };
}

function ok(result: Result): string {
  assert.equal(result.code, 0, `exit ${result.code}, stderr:\n${result.stderr}`);
  return result.stdout;
}

describe('codis-admin --dashboard (fake dashboard)', () => {
  let dashboard: FakeDashboard;
  let d: string;
  const puts = (): string[] => dashboard.mutations().map((c) => c.path.replace(dashboard.xauth, 'X'));

  before(async () => {
    dashboard = await new FakeDashboard().start();
    d = `--dashboard=${dashboard.addr}`;
  });
  after(() => dashboard.stop());

  test('learns the product from the model, computes the xauth (spec §2.3) and xpings first', async () => {
    assert.equal(dashboard.xauth, '95b62887719520f17e312eaa76d28f2b');
    dashboard.calls.length = 0;
    ok(await admin([d, '--reload']));
    assert.deepEqual(
      dashboard.calls.map((c) => `${c.method} ${c.path}`),
      [
        'GET /api/topom/model',
        `GET /api/topom/xping/${dashboard.xauth}`,
        `PUT /api/topom/reload/${dashboard.xauth}`,
      ],
    );
  });

  test('overview and its parts', async () => {
    const overview = JSON.parse(ok(await admin([d])));
    assert.equal(overview.model.product_name, 'codis-demo');
    assert.equal(JSON.parse(ok(await admin([d, 'config']))).product_name, 'codis-demo');
    assert.equal(JSON.parse(ok(await admin([d, 'model']))).product_name, 'codis-demo');
    assert.equal(JSON.parse(ok(await admin([d, 'slots']))).length, 1024);
    assert.deepEqual(Object.keys(JSON.parse(ok(await admin([d, 'group'])))), ['models', 'stats']);
    assert.deepEqual(Object.keys(JSON.parse(ok(await admin([d, 'proxy'])))), ['models', 'stats']);
    // Go's MarshalIndent: four spaces.
    assert.match(ok(await admin([d, 'model'])), /^\{\n {4}"token": /);
    const bad = await admin([d, 'nonsense']);
    assert.equal(bad.code, 1);
  });

  test('groups: create, errors as [PANIC] with the remote cause, add, status, remove', async () => {
    dashboard.calls.length = 0;
    ok(await admin([d, '--create-group', '--gid=1']));
    ok(await admin([d, '--create-group', '--gid=2']));
    const again = await admin([d, '--create-group', '--gid=1']);
    assert.equal(again.code, 1);
    assert.equal(again.stdout, '');
    assert.match(again.stderr, /\[PANIC\] call rpc create-group to dashboard 127\.0\.0\.1:\d+ failed\n/);
    assert.match(again.stderr, /\[error\]: \[Remote Error\] group-\[1\] already exists\n/);

    ok(await admin([d, '--group-add', '--gid=1', '--addr=127.0.0.1:16379']));
    ok(await admin([d, '--group-add', '--gid=1', '--addr=127.0.0.1:16380']));
    ok(await admin([d, '-g', '2', '-x', '127.0.0.1:16381', '--group-add', '--datacenter=dc1']));
    ok(await admin([d, '--group-add', '--gid=2', '--addr=127.0.0.1:16382']));
    assert.deepEqual(puts(), [
      '/api/topom/group/create/X/1',
      '/api/topom/group/create/X/2',
      '/api/topom/group/create/X/1',
      '/api/topom/group/add/X/1/127.0.0.1:16379',
      '/api/topom/group/add/X/1/127.0.0.1:16380',
      '/api/topom/group/add/X/2/127.0.0.1:16381/dc1',
      '/api/topom/group/add/X/2/127.0.0.1:16382',
    ]);

    dashboard.serverStats['127.0.0.1:16379'] = { stats: { role: 'master' }, unixtime: 1 };
    dashboard.serverStats['127.0.0.1:16380'] = {
      stats: { role: 'slave', master_addr: '127.0.0.1:16379', master_link_status: 'up' },
      unixtime: 1,
    };
    dashboard.serverStats['127.0.0.1:16381'] = { stats: { role: 'master' }, unixtime: 1 };
    dashboard.serverStats['127.0.0.1:16382'] = { error: { Cause: 'refused', Stack: null }, unixtime: 1 };
    assert.equal(
      ok(await admin([d, '--group-status'])),
      '[ ] group-1 [0] 127.0.0.1:16379      ==> NO:ONE\n' +
        '[ ] group-1 [1] 127.0.0.1:16380      ==> 127.0.0.1:16379:up\n' +
        '[ ] group-2 [0] 127.0.0.1:16381      ==> NO:ONE\n' +
        '[E] group-2 [1] 127.0.0.1:16382\n',
    );
    const groups = JSON.parse(ok(await admin([d, '--list-group'])));
    assert.deepEqual(
      groups.map((g: { id: number }) => g.id),
      [1, 2],
    );

    dashboard.calls.length = 0;
    ok(await admin([d, '--group-del', '--gid=2', '--addr=127.0.0.1:16382']));
    ok(await admin([d, '--resync-group', '--gid=1']));
    ok(await admin([d, '--resync-group', '--all']));
    ok(await admin([d, '--replica-groups', '--gid=1', '--addr=127.0.0.1:16380', '--enable']));
    ok(await admin([d, '--replica-groups', '--gid=1', '--addr=127.0.0.1:16380', '--disable']));
    const promoted = ok(await admin([d, '--promote-server', '--gid=1', '--addr=127.0.0.1:16380']));
    assert.match(promoted, /^\[ \] group-1 \[0\] 127\.0\.0\.1:16379/);
    ok(await admin([d, '--sync-action', '--create', '--addr=127.0.0.1:16380']));
    ok(await admin([d, '--sync-action', '--remove', '--addr=127.0.0.1:16380']));
    ok(await admin([d, '--create-group', '--gid=4']));
    ok(await admin([d, '--remove-group', '--gid=4']));
    assert.deepEqual(puts(), [
      '/api/topom/group/del/X/2/127.0.0.1:16382',
      '/api/topom/group/resync/X/1',
      '/api/topom/group/resync/X/1',
      '/api/topom/group/resync/X/2',
      '/api/topom/group/replica-groups/X/1/127.0.0.1:16380/1',
      '/api/topom/group/replica-groups/X/1/127.0.0.1:16380/0',
      '/api/topom/group/promote/X/1/127.0.0.1:16380',
      '/api/topom/group/action/create/X/127.0.0.1:16380',
      '/api/topom/group/action/remove/X/127.0.0.1:16380',
      '/api/topom/group/create/X/4',
      '/api/topom/group/remove/X/4',
    ]);
  });

  test('slots: assign preview, assign, offline, status, slot actions, rebalance', async () => {
    const preview = await admin([d, '--slots-assign', '--beg=0', '--end=2', '--gid=1']);
    assert.equal(
      ok(preview),
      `${JSON.stringify(
        [0, 1, 2].map((id) => ({ id, group_id: 1, action: {} })),
        null,
        4,
      )}\n`,
    );
    dashboard.calls.length = 0;
    ok(await admin([d, '--slots-assign', '--beg=0', '--end=511', '--gid=1', '--confirm']));
    ok(await admin([d, '--slots-assign', '--beg=1023', '--end=1023', '--offline', '--confirm']));
    const bad = await admin([d, '--slots-assign', '--beg=10', '--end=5', '--gid=1', '--confirm']);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /\[PANIC\] invalid slot range \[10,5\]/);
    const assigns = dashboard.mutations();
    assert.equal(assigns.length, 2);
    assert.equal(assigns[0]?.path, `/api/topom/slots/assign/${dashboard.xauth}`);
    const assigned = (assigns[0]?.body ?? []) as unknown[];
    assert.equal(assigned.length, 512);
    assert.deepEqual(assigned[511], { id: 511, group_id: 1, action: {} });
    assert.equal(assigns[1]?.path, `/api/topom/slots/assign/${dashboard.xauth}/offline`);
    assert.deepEqual(assigns[1]?.body, [{ id: 1023, group_id: 0, action: {} }]);
    assert.equal(dashboard.slots[511]?.group_id, 1);

    assert.equal(JSON.parse(ok(await admin([d, '--slots-status']))).length, 1024);

    dashboard.calls.length = 0;
    ok(await admin([d, '--slot-action', '--create', '--sid=5', '--gid=2']));
    ok(await admin([d, '--slot-action', '--remove', '--sid=5']));
    ok(await admin([d, '--slot-action', '--create-some', '--gid-from=1', '--gid-to=2', '--num-slots=3']));
    ok(await admin([d, '--slot-action', '--create-range', '--beg=0', '--end=99', '--gid=2']));
    ok(await admin([d, '--slot-action', '--interval=200000']));
    ok(await admin([d, '--slot-action', '--disabled=1']));
    assert.deepEqual(puts(), [
      '/api/topom/slots/action/create/X/5/2',
      '/api/topom/slots/action/remove/X/5',
      '/api/topom/slots/action/create-some/X/1/2/3',
      '/api/topom/slots/action/create-range/X/0/99/2',
      '/api/topom/slots/action/interval/X/200000',
      '/api/topom/slots/action/disabled/X/1',
    ]);

    dashboard.rebalancePlan = {};
    assert.equal(ok(await admin([d, '--rebalance'])), 'nothing changes\n');
    // Go sorts map keys as strings; the plan is printed in slot order, compressed into ranges.
    const plan: Record<string, number> = {};
    for (let s = 512; s <= 611; s++) plan[s] = 1;
    for (let s = 612; s <= 1023; s++) plan[s] = 2;
    dashboard.rebalancePlan = plan;
    dashboard.calls.length = 0;
    assert.equal(ok(await admin([d, '--rebalance'])), '[0512,0611] => 1\n[0612,1023] => 2\ndone\n');
    ok(await admin([d, '--rebalance', '--confirm']));
    assert.deepEqual(puts(), ['/api/topom/slots/rebalance/X/0', '/api/topom/slots/rebalance/X/1']);
  });

  test('proxies: create, online, status, reinit, remove by addr / token / pid, --force', async () => {
    dashboard.calls.length = 0;
    ok(await admin([d, '--create-proxy', '--addr=127.0.0.1:11080']));
    const dup = await admin([d, '--create-proxy', '--addr=127.0.0.1:11080']);
    assert.equal(dup.code, 1);
    assert.match(dup.stderr, /\[error\]: \[Remote Error\] proxy-\[[0-9a-f]{32}\] already exists/);
    ok(await admin([d, '--online-proxy', '--addr=127.0.0.1:11080']));
    ok(await admin([d, '--create-proxy', '--addr=127.0.0.1:11081']));
    const [p1, p2] = dashboard.proxies;
    assert.ok(p1 !== undefined && p2 !== undefined);
    dashboard.proxyStats[p1.token] = { stats: { online: true, closed: false }, unixtime: 1 };
    dashboard.proxyStats[p2.token] = { error: { Cause: 'refused', Stack: null }, unixtime: 1 };
    assert.equal(
      ok(await admin([d, '--proxy-status'])),
      `[ ] proxy-1 [T] ${p1.token} [A] 127.0.0.1:11080 [P] ${p1.proxy_addr}\n` +
        `[E] proxy-2 [T] ${p2.token} [A] 127.0.0.1:11081 [P] ${p2.proxy_addr}\n`,
    );
    assert.equal(JSON.parse(ok(await admin([d, '--list-proxy']))).length, 2);

    const all = ok(await admin([d, '--reinit-proxy', '--all']));
    assert.equal(all.match(/^reinit proxy: \{/gm)?.length, 2);
    ok(await admin([d, '--reinit-proxy', '--addr=127.0.0.1:11080']));
    ok(await admin([d, '--reinit-proxy', `--token=${p2.token}`]));

    const missing = await admin([d, '--remove-proxy', '--pid=7']);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /\[PANIC\] can't find specific proxy with id = 7/);
    ok(await admin([d, '--remove-proxy', '--pid=7', '--force']));
    ok(await admin([d, '--remove-proxy', '--addr=127.0.0.1:11081', '--force']));
    ok(await admin([d, '--remove-proxy', '--pid=1']));
    assert.equal(dashboard.proxies.length, 0);
    assert.deepEqual(
      puts().filter((p) => !p.includes('/create/') && !p.includes('/online/')),
      [
        `/api/topom/proxy/reinit/X/${p1.token}`,
        `/api/topom/proxy/reinit/X/${p2.token}`,
        `/api/topom/proxy/reinit/X/${p1.token}`,
        `/api/topom/proxy/reinit/X/${p2.token}`,
        `/api/topom/proxy/remove/X/${p2.token}/1`,
        `/api/topom/proxy/remove/X/${p1.token}/0`,
      ],
    );
  });

  test('sentinels, log level, shutdown', async () => {
    dashboard.calls.length = 0;
    ok(await admin([d, '--sentinel-add', '--addr=127.0.0.1:26379']));
    ok(await admin([d, '--sentinel-del', '--addr=127.0.0.1:26379', '--force']));
    ok(await admin([d, '--sentinel-resync']));
    ok(await admin([d, '--log-level=debug']));
    const bad = await admin([d, '--log-level=bogus']);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /\[Remote Error\] invalid loglevel/);
    ok(await admin([d, '--shutdown']));
    assert.deepEqual(puts(), [
      '/api/topom/sentinels/add/X/127.0.0.1:26379',
      '/api/topom/sentinels/del/X/127.0.0.1:26379/1',
      '/api/topom/sentinels/resync-all/X',
      '/api/topom/loglevel/X/debug',
      '/api/topom/loglevel/X/bogus',
      '/api/topom/shutdown/X',
    ]);
  });

  test('a missing argument or an unreachable dashboard is a [PANIC] and exit 1', async () => {
    const missing = await admin([d, '--create-group']);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /\[PANIC\] missing argument --gid/);
    const notNumber = await admin([d, '--create-group', '--gid=abc']);
    assert.match(notNumber.stderr, /\[PANIC\] parse argument --gid failed/);
    const down = await admin(['--dashboard=127.0.0.1:9', '--reload']);
    assert.equal(down.code, 1);
    assert.match(down.stderr, /\[PANIC\] call rpc model to dashboard 127\.0\.0\.1:9 failed\n\[error\]: /);
  });
});

describe('codis-admin and the dashboard admin secret', () => {
  let dashboard: FakeDashboard;
  before(async () => {
    dashboard = await new FakeDashboard({ adminSecret: 's3cret' }).start();
  });
  after(() => dashboard.stop());

  test('sent as X-Codis-Admin-Secret from --admin-secret or CODIS_ADMIN_SECRET', async () => {
    const d = `--dashboard=${dashboard.addr}`;
    const without = await admin([d, '--create-group', '--gid=1']);
    assert.equal(without.code, 1);
    assert.match(
      without.stderr,
      /\[error\]: \[401\] Unauthorized - http:\/\/.*: missing or invalid admin secret/,
    );
    ok(await admin([d, '--create-group', '--gid=1', '--admin-secret=s3cret']));
    ok(await admin([d, '--create-group', '--gid=2'], { CODIS_ADMIN_SECRET: 's3cret' }));
    assert.deepEqual([...dashboard.groups.keys()], [1, 2]);
    assert.ok(dashboard.mutations().every((c) => c.secret === undefined || c.secret === 's3cret'));
  });
});

describe('codis-admin --proxy (fake proxy)', () => {
  let proxy: FakeProxy;
  let dir: string;
  before(async () => {
    proxy = await new FakeProxy({ auth: 'pw' }).start();
    dir = mkdtempSync(join(tmpdir(), 'codis-admin-proxy-'));
  });
  after(async () => {
    await proxy.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('overview parts use GET /proxy without auth', async () => {
    const p = `--proxy=${proxy.addr}`;
    assert.equal(JSON.parse(ok(await admin([p]))).version, 'fake');
    assert.equal(JSON.parse(ok(await admin([p, 'model']))).token, proxy.token);
    assert.equal(JSON.parse(ok(await admin([p, 'config']))).product_name, 'codis-demo');
    assert.equal(JSON.parse(ok(await admin([p, 'stats']))).online, false);
    assert.deepEqual(JSON.parse(ok(await admin([p, 'slots']))), [{ id: 0 }]);
  });

  test('mutations compute the proxy xauth from the model, --auth and the token', async () => {
    const p = `--proxy=${proxy.addr}`;
    const wrong = await admin([p, '--start']);
    assert.equal(wrong.code, 1);
    assert.match(
      wrong.stderr,
      /call rpc xping to proxy .* failed\n\[error\]: \[Remote Error\] invalid xauth/,
    );
    proxy.calls.length = 0;
    ok(await admin([p, '--auth=pw', '--start']));
    assert.equal(proxy.online, true);
    ok(await admin([p, '-a', 'pw', '--log-level=WARN']));
    ok(await admin([p, '--product_auth=pw', '--reset-stats']));
    ok(await admin([p, '--auth=pw', '--forcegc']));
    const file = join(dir, 'slots.json');
    writeFileSync(file, JSON.stringify([{ id: 1, backend_addr: '127.0.0.1:16379' }, { id: 2 }]));
    ok(await admin([p, '--auth=pw', `--fillslots=${file}`, '--locked']));
    ok(await admin([p, '--auth=pw', '--shutdown']));
    const x = proxy.xauth;
    assert.deepEqual(
      proxy.mutations().map((c) => c.path),
      [
        `/api/proxy/start/${x}`,
        `/api/proxy/loglevel/${x}/WARN`,
        `/api/proxy/stats/reset/${x}`,
        `/api/proxy/forcegc/${x}`,
        `/api/proxy/fillslots/${x}`,
        `/api/proxy/shutdown/${x}`,
      ],
    );
    assert.deepEqual(proxy.mutations()[4]?.body, [
      { id: 1, backend_addr: '127.0.0.1:16379', locked: true },
      { id: 2, locked: true },
    ]);
  });
});

describe('codis-admin coordinator modes (filesystem)', () => {
  let dir: string;
  let fs: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'codis-admin-coord-'));
    fs = `--filesystem=${join(dir, 'coord')}`;
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('--config-dump of an unknown product fails with Codis text', async () => {
    const r = await admin(['--config-dump', '--product=nope', fs]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /\[PANIC\] cann't find product = nope \[v3\]/);
  });

  test('dump, restore into another product, dashboard list, remove lock', async () => {
    const store = await FilesystemStore.open({ root: join(dir, 'coord') });
    const demo = new ProductStore(store, 'codis-demo');
    const g1 = emptyGroup(1);
    g1.servers.push(groupServer('127.0.0.1:16379'), groupServer('127.0.0.1:16380'));
    await demo.updateGroup(g1);
    for (let id = 0; id < 8; id++)
      await demo.updateSlot({ id, groupId: 1, action: { index: 0, state: '', targetId: 0 } });
    const lock = await demo.acquireLock({
      token: 't',
      startTime: 'now',
      adminAddr: '127.0.0.1:18080',
      productName: 'codis-demo',
      pid: process.pid,
      pwd: '/',
      sys: 'Linux',
    });

    const dumpText = ok(await admin(['--config-dump', '--product=codis-demo', fs]));
    const dump = JSON.parse(dumpText);
    assert.deepEqual(Object.keys(dump), ['slots', 'group']);
    assert.equal(dump.slots.length, 1024);
    assert.deepEqual(dump.slots[0], { id: 0, group_id: 1, action: {} });
    assert.deepEqual(dump.slots[1023], { id: 1023, group_id: 0, action: {} });
    // Restored from the assigned slots only (a missing slot is offline): 1024 synced writes are slow.
    const file = join(dir, 'dump.json');
    writeFileSync(
      file,
      JSON.stringify({ ...dump, slots: dump.slots.filter((s: { group_id: number }) => s.group_id !== 0) }),
    );

    // Preview: the file echoed, nothing written.
    const preview = JSON.parse(ok(await admin([`--config-restore=${file}`, '--product=codis-demo2', fs])));
    assert.equal(preview.slots.length, 8);
    assert.deepEqual(preview.group, dump.group);
    assert.equal(ok(await admin([`--config-restore=${file}`, '--product=codis-demo2', fs, '--confirm'])), '');
    const again = await admin([`--config-restore=${file}`, '--product=codis-demo2', fs, '--confirm']);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /\[PANIC\] product codis-demo2 is not empty/);
    assert.deepEqual(JSON.parse(ok(await admin(['--config-dump', '--product=codis-demo2', fs]))), dump);

    assert.equal(
      ok(await admin(['--dashboard-list', fs])),
      '[\n    {\n        "name": "codis-demo",\n        "dashboard": "127.0.0.1:18080"\n    },\n' +
        '    {\n        "name": "codis-demo2",\n        "dashboard": ""\n    }\n]\n',
    );

    const removed = await admin(['--remove-lock', '--product=codis-demo', fs]);
    assert.equal(ok(removed), '');
    assert.equal(await demo.readTopom(), undefined);
    await lock.release().catch(() => undefined);
    await store.close();
  });

  test('--config-restore refuses an invalid file', async () => {
    const file = join(dir, 'bad.json');
    writeFileSync(
      file,
      JSON.stringify({
        slots: [{ id: 1, group_id: 7, action: {} }],
        group: [{ id: 1, servers: [], promoting: {}, out_of_sync: false }],
      }),
    );
    const r = await admin([`--config-restore=${file}`, '--product=x', fs]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /\[PANIC\] slot-\[1\] group-\[7\] doesn't exist/);
  });

  test('--config-convert turns a Codis 2 dump into the v3 format (spec §14.18)', async () => {
    const file = join(dir, 'v1.json');
    const state = (status: string) => ({ status, migrate_status: { from: -1, to: -1 }, last_op_ts: '0' });
    writeFileSync(
      file,
      JSON.stringify({
        slots: {
          slot_0: { product_name: 'p', id: 0, group_id: 1, state: state('online') },
          slot_1: { product_name: 'p', id: 1, group_id: 2, state: state('online') },
          slot_2: { product_name: 'p', id: 2, group_id: 2, state: state('offline') },
        },
        servers: {
          group_1: {
            '127.0.0.1:6380': { type: 'slave', group_id: 1, addr: '127.0.0.1:6380' },
            '127.0.0.1:6379': { type: 'master', group_id: 1, addr: '127.0.0.1:6379' },
          },
          group_2: { '127.0.0.1:6381': { type: 'master', group_id: 2, addr: '127.0.0.1:6381' } },
        },
      }),
    );
    const server = (addr: string) => ({ server: addr, datacenter: '', action: {}, replica_group: false });
    assert.deepEqual(JSON.parse(ok(await admin([`--config-convert=${file}`]))), {
      slots: [
        { id: 0, group_id: 1, action: {} },
        { id: 1, group_id: 2, action: {} },
      ],
      group: [
        {
          id: 1,
          servers: [server('127.0.0.1:6379'), server('127.0.0.1:6380')],
          promoting: {},
          out_of_sync: false,
        },
        { id: 2, servers: [server('127.0.0.1:6381')], promoting: {}, out_of_sync: false },
      ],
    });
  });
});

test('the codis-admin program: JSON on stdout, [PANIC] on stderr, exit status', () => {
  const node = process.execPath;
  const help = spawnSync(node, [CLI, '--help'], { encoding: 'utf8' });
  assert.equal(help.status, 0);
  assert.match(help.stdout, /--dashboard=ADDR --slots-assign/);
  const none = spawnSync(node, [CLI], { encoding: 'utf8' });
  assert.equal(none.status, 1);
  const preview = spawnSync(
    node,
    [CLI, '--dashboard=127.0.0.1:9', '--slots-assign', '--beg=7', '--end=7', '--gid=3'],
    {
      encoding: 'utf8',
    },
  );
  assert.equal(preview.status, 0);
  assert.deepEqual(JSON.parse(preview.stdout), [{ id: 7, group_id: 3, action: {} }]);
  const failed = spawnSync(node, [CLI, '--dashboard=127.0.0.1:9', '--reload'], { encoding: 'utf8' });
  assert.equal(failed.status, 1);
  assert.equal(failed.stdout, '');
  assert.match(failed.stderr, /^\d{4}\/\d\d\/\d\d \d\d:\d\d:\d\d codis-admin: \[PANIC\] call rpc model/);
});

describe('codis-admin against the real codis-dashboard', { timeout: 180_000 }, () => {
  let root: string;
  let dashboardAddr: string;
  let daemon: Daemon;
  const servers: RunningServer[] = [];
  const addr = (i: number): string => `127.0.0.1:${servers[i]?.port}`;
  const env = { CODIS_ADMIN_SECRET: 's3cret' };

  before(async () => {
    root = mkdtempSync(join(tmpdir(), 'codis-admin-real-'));
    for (let i = 0; i < 3; i++) servers.push(await startServer('codis-server'));
    const port = await freePort();
    dashboardAddr = `127.0.0.1:${port}`;
    const conf = join(root, 'dashboard.toml');
    writeFileSync(
      conf,
      [
        'coordinator_name = "filesystem"',
        `coordinator_addr = "${join(root, 'coord')}"`,
        'product_name = "codis-admin-test"',
        `admin_addr = "${dashboardAddr}"`,
        'admin_secret = "s3cret"',
      ].join('\n'),
    );
    daemon = await startDaemon({
      command: process.execPath,
      args: [DASHBOARD_CLI, '--config', conf, '--log-level', 'WARN'],
      ready: async () => (await admin([`--dashboard=${dashboardAddr}`, 'stats'])).code === 0,
      ports: [port],
    });
  });
  after(async () => {
    await daemon?.stop();
    for (const server of servers) await server.stop();
    rmSync(root, { recursive: true, force: true });
  });

  async function until(what: string, check: () => Promise<boolean>, timeout = 30_000): Promise<void> {
    const deadline = Date.now() + timeout;
    while (!(await check())) {
      if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }

  test('groups, servers, SLAVEOF job, status lines, slots, migration, rebalance, secret, coordinator', async () => {
    const d = `--dashboard=${dashboardAddr}`;
    const refused = await admin([d, '--create-group', '--gid=1']);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /\[error\]: \[401\] /);

    const run = async (...args: string[]): Promise<string> => ok(await admin([d, ...args], env));
    await run('--create-group', '--gid=1');
    await run('--create-group', '--gid=2');
    const dup = await admin([d, '--create-group', '--gid=1'], env);
    assert.match(dup.stderr, /\[error\]: \[Remote Error\] group-\[1\] already exists\n/);
    await run('--group-add', '--gid=1', `--addr=${addr(0)}`);
    await run('--group-add', '--gid=1', `--addr=${addr(1)}`, '--datacenter=dc1');
    await run('--group-add', '--gid=2', `--addr=${addr(2)}`);
    const groups = JSON.parse(await run('--list-group'));
    assert.deepEqual(groups[0].servers[1], {
      server: addr(1),
      datacenter: 'dc1',
      action: {},
      replica_group: false,
    });

    // The replica is a master until a SLAVEOF job runs: [X], then [ ] once it follows.
    await until('stats of the three servers', async () => !(await run('--group-status')).includes('[?]'));
    assert.match(
      await run('--group-status'),
      new RegExp(`^\\[X\\] group-1 \\[1\\] ${addr(1)} +==> NO:ONE$`, 'm'),
    );
    await run('--sync-action', '--create', `--addr=${addr(1)}`);
    await until('the replica following its master', async () =>
      (await run('--group-status')).includes(`[ ] group-1 [1] ${addr(1)}      ==> ${addr(0)}:up`),
    );
    assert.equal((await run('--group-status')).split('\n').filter((l) => l.startsWith('[ ]')).length, 3);

    assert.equal(JSON.parse(await run('--slots-assign', '--beg=0', '--end=511', '--gid=1')).length, 512);
    await run('--slots-assign', '--beg=0', '--end=511', '--gid=1', '--confirm');
    await run('--slots-assign', '--beg=512', '--end=1023', '--gid=2', '--confirm');
    await run('--resync-group', '--all');
    assert.equal(await run('--rebalance'), 'nothing changes\n');
    await run('--slot-action', '--interval=0');
    await run('--slot-action', '--create-range', '--beg=0', '--end=3', '--gid=2');
    await until('slots 0..3 moved to group 2', async () => {
      const slots = JSON.parse(await run('--slots-status')) as {
        id: number;
        backend_addr_group_id?: number;
      }[];
      return slots.slice(0, 4).every((s) => s.backend_addr_group_id === 2);
    });
    await run('--replica-groups', '--gid=1', `--addr=${addr(1)}`, '--enable');
    await run('--reload');
    await run('--log-level=WARN');

    // The coordinator modes, on the dashboard's own coordinator.
    const fs = `--filesystem=${join(root, 'coord')}`;
    const dump = JSON.parse(ok(await admin(['--config-dump', '--product=codis-admin-test', fs])));
    assert.deepEqual(
      dump.group.map((g: { id: number }) => g.id),
      [1, 2],
    );
    assert.deepEqual(dump.slots[0], { id: 0, group_id: 2, action: {} });
    assert.deepEqual(JSON.parse(ok(await admin(['--dashboard-list', fs]))), [
      { name: 'codis-admin-test', dashboard: dashboardAddr },
    ]);

    await run('--shutdown');
    await until('the dashboard exiting', async () => daemon.process.exitCode !== null);
    assert.deepEqual(JSON.parse(ok(await admin(['--dashboard-list', fs]))), [
      { name: 'codis-admin-test', dashboard: '' },
    ]);
    assert.equal(ok(await admin(['--remove-lock', '--product=codis-admin-test', fs])), '');
  });
});
