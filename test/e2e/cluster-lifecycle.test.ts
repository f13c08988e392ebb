// The codis-admin end-to-end scenario (test/helpers/cluster-scenario.ts) on the filesystem
// coordinator, in full: both migration methods, rebalance after adding a group, promote.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { Cluster } from '../helpers/cluster.ts';
import { scenario } from '../helpers/cluster-scenario.ts';

const root = mkdtempSync(join(tmpdir(), 'codis-e2e-fs-'));
const cluster = new Cluster('codis-e2e-fs', {
  name: 'filesystem',
  addr: root,
  adminFlag: `--filesystem=${root}`,
});
after(async () => {
  await cluster.dispose();
  rmSync(root, { recursive: true, force: true });
});

test('a product from nothing with codis-admin, on the filesystem coordinator', {
  timeout: 420_000,
}, async () => {
  await scenario(cluster, { full: true });
});
