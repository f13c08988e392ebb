// Golden test of the filesystem coordinator's layout against Codis 3.2's (spec/control-plane.md
// §4.1, §14.1, §14.2, §14.21): the files our code writes are the files Codis writes, byte for byte,
// and a directory written by Codis reads back through our ProductStore.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { after, before, test } from 'node:test';
import { FilesystemStore, localSystemDescription, ProductStore } from '../../src/coordinator/index.ts';
import {
  decodeTopom,
  emptyGroup,
  encodeGoJson,
  encodeTopom,
  type JsonValue,
} from '../../src/models/index.ts';

let parent: string;
before(async () => {
  parent = await mkdtemp(join(tmpdir(), 'codis-fs-layout-'));
});
after(async () => {
  await rm(parent, { recursive: true, force: true });
});

/** Every file and directory under `root`, relative, directories with a trailing `/`, sorted. */
async function tree(root: string): Promise<string[]> {
  const entries = await readdir(root, { recursive: true, withFileTypes: true });
  return entries.map((e) => relative(root, join(e.parentPath, e.name)) + (e.isDirectory() ? '/' : '')).sort();
}

/** A §14 sample (compacted with jq -c) as Codis stores it: Go's MarshalIndent, HTML-escaped. */
function asStored(compact: string): string {
  return encodeGoJson(JSON.parse(compact) as JsonValue);
}

const TOPOM_14_1 =
  '{"token":"1c32b1575c12715c19b6725a6a01d912","start_time":"2026-11-25 01:32:32.844359033 +0000 UTC m=+0.004552902","admin_addr":"127.0.0.1:18080","product_name":"codis-demo","pid":12586,"pwd":"<ROOT>","sys":"Linux vm 6.18.44-fc-v657 #1 SMP PREEMPT_DYNAMIC @0 x86_64 GNU/Linux"}';

test('[filesystem] the layout after a dashboard starts and creates groups is the one of §14.1/§14.2', async () => {
  const root = join(parent, 'coord');
  const store = await FilesystemStore.open({ root });
  const product = new ProductStore(store, 'codis-demo');
  const lock = await product.acquireLock(decodeTopom(TOPOM_14_1));

  assert.deepEqual(await tree(root), [
    'data.lck',
    'data/',
    'data/codis3/',
    'data/codis3/codis-demo/',
    'data/codis3/codis-demo/topom',
    'temp/',
  ]);
  assert.equal((await stat(join(root, 'data.lck'))).size, 0);
  const topomFile = join(root, 'data/codis3/codis-demo/topom');
  assert.equal(await readFile(topomFile, 'utf8'), asStored(TOPOM_14_1));
  assert.match(await readFile(topomFile, 'utf8'), /"pwd": "\\u003cROOT\\u003e"/);
  assert.equal((await stat(topomFile)).mode & 0o777, 0o644);
  const umask = process.umask();
  assert.equal((await stat(join(root, 'data/codis3/codis-demo'))).mode & 0o777, 0o755 & ~umask);

  await product.updateGroup(emptyGroup(1));
  await product.updateGroup(emptyGroup(2));
  assert.equal(
    await readFile(join(root, 'data/codis3/codis-demo/group/group-0001'), 'utf8'),
    asStored('{"id":1,"servers":[],"promoting":{},"out_of_sync":false}'),
  );
  assert.equal(
    await readFile(join(root, 'data/codis3/codis-demo/group/group-0002'), 'utf8'),
    asStored('{"id":2,"servers":[],"promoting":{},"out_of_sync":false}'),
  );
  await product.updateSlot({ id: 0, groupId: 1, action: { index: 0, state: '', targetId: 0 } });
  assert.equal(
    await readFile(join(root, 'data/codis3/codis-demo/slots/slot-0000'), 'utf8'),
    asStored('{"id":0,"group_id":1,"action":{}}'),
  );
  assert.deepEqual(await readdir(join(root, 'temp')), [], 'temp/ is left empty');

  // §14.16: a clean shutdown deletes the topom file and nothing else.
  await lock.release();
  await store.close();
  assert.deepEqual(await tree(join(root, 'data')), [
    'codis3/',
    'codis3/codis-demo/',
    'codis3/codis-demo/group/',
    'codis3/codis-demo/group/group-0001',
    'codis3/codis-demo/group/group-0002',
    'codis3/codis-demo/slots/',
    'codis3/codis-demo/slots/slot-0000',
  ]);
  assert.equal((await stat(join(root, 'data.lck'))).size, 0);
});

test('[filesystem] a directory written by Codis (§14.21 final state) reads back', async () => {
  const root = join(parent, 'from-codis');
  const productDir = join(root, 'data/codis3/codis-demo');
  await mkdir(join(productDir, 'group'), { recursive: true });
  await mkdir(join(productDir, 'slots'), { recursive: true });
  await mkdir(join(productDir, 'proxy'), { recursive: true });
  await mkdir(join(root, 'temp'));
  await writeFile(join(root, 'data.lck'), '');
  const groups = [
    '{"id":1,"servers":[{"server":"127.0.0.1:16380","datacenter":"","action":{},"replica_group":false},{"server":"127.0.0.1:16379","datacenter":"","action":{},"replica_group":false}],"promoting":{},"out_of_sync":false}',
    '{"id":2,"servers":[{"server":"127.0.0.1:16381","datacenter":"dc1","action":{},"replica_group":false},{"server":"127.0.0.1:16382","datacenter":"","action":{"state":"synced"},"replica_group":false}],"promoting":{},"out_of_sync":false}',
    '{"id":3,"servers":[{"server":"127.0.0.1:16383","datacenter":"","action":{},"replica_group":false}],"promoting":{},"out_of_sync":false}',
  ];
  for (const [i, g] of groups.entries()) {
    await writeFile(join(productDir, `group/group-000${i + 1}`), asStored(g));
  }
  const sentinel = '{"servers":["127.0.0.1:26379"],"out_of_sync":false}';
  await writeFile(join(productDir, 'sentinel'), asStored(sentinel));
  const proxy =
    '{"id":1,"token":"2e7212a146c4e36a17404fc19d2ed3cf","start_time":"2026-11-25 01:32:55.075393046 +0000 UTC m=+0.004377963","admin_addr":"127.0.0.1:11080","proto_type":"tcp4","proxy_addr":"127.0.0.1:19000","product_name":"codis-demo","pid":12783,"pwd":"<ROOT>","sys":"Linux vm ...","hostname":"vm","datacenter":""}';
  await writeFile(join(productDir, 'proxy/proxy-2e7212a146c4e36a17404fc19d2ed3cf'), asStored(proxy));
  // Slot owners of §14.21 for a few slots; the others have no file and are offline.
  const owners: [number, number][] = [
    [0, 2],
    [5, 1],
    [50, 1],
    [441, 2],
    [443, 3],
    [1023, 3],
  ];
  for (const [id, gid] of owners) {
    await writeFile(
      join(productDir, `slots/slot-${String(id).padStart(4, '0')}`),
      asStored(`{"id":${id},"group_id":${gid},"action":{}}`),
    );
  }
  await writeFile(join(productDir, 'topom'), asStored(TOPOM_14_1));

  const store = await FilesystemStore.open({ root });
  const product = new ProductStore(store, 'codis-demo');
  assert.deepEqual(
    (await product.readGroups()).map((g) =>
      JSON.stringify(g.servers.map((s) => [s.addr, s.datacenter, s.action.state])),
    ),
    [
      '[["127.0.0.1:16380","",""],["127.0.0.1:16379","",""]]',
      '[["127.0.0.1:16381","dc1",""],["127.0.0.1:16382","","synced"]]',
      '[["127.0.0.1:16383","",""]]',
    ],
  );
  assert.deepEqual(await product.readSentinel(), { servers: ['127.0.0.1:26379'], outOfSync: false });
  const [registered] = await product.readProxies();
  assert.equal(registered?.pwd, '<ROOT>');
  const slots = await product.readSlots();
  for (const [id, gid] of owners) assert.equal(slots[id]?.groupId, gid);
  assert.equal(slots[1]?.groupId, 0);
  assert.equal((await product.readTopom())?.adminAddr, '127.0.0.1:18080');
  // A Codis dashboard on another host holds the lock: we cannot tell whether it lives, so it stands.
  const elsewhere = { ...decodeTopom(TOPOM_14_1), sys: 'Linux some-other-host 6.18.44 x86_64 GNU/Linux' };
  await writeFile(join(productDir, 'topom'), encodeTopom(elsewhere));
  await assert.rejects(product.acquireLock(decodeTopom(TOPOM_14_1)), {
    code: 'ERR_COORDINATOR_LOCK_HELD',
    holder: 'pid 12586 on host some-other-host',
  });
  // A Codis dashboard killed on this host: its lock is taken over (Codis needed --remove-lock).
  const dead = spawnSync(process.execPath, ['-e', '0']).pid;
  const killed = { ...elsewhere, pid: dead, sys: localSystemDescription() };
  await writeFile(join(productDir, 'topom'), encodeTopom(killed));
  assert.equal((await product.inspectLock())?.alive, false);
  const ours = { ...killed, pid: process.pid, token: 'ours' };
  const lock = await product.acquireLock(ours);
  assert.equal((await product.readTopom())?.token, 'ours');
  await lock.release();
  await store.close();
});
