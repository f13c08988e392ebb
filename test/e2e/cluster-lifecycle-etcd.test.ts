// The codis-admin end-to-end scenario (test/helpers/cluster-scenario.ts) on an etcd coordinator
// (Debian's etcd-server), lighter: one migration method, no rebalance or promote.

import { after, test } from 'node:test';
import { Cluster } from '../helpers/cluster.ts';
import { scenario } from '../helpers/cluster-scenario.ts';
import { type EtcdServer, startEtcd } from '../helpers/etcd.ts';

let etcd: EtcdServer | undefined;
let cluster: Cluster | undefined;
after(async () => {
  await cluster?.dispose();
  await etcd?.dispose();
});

test('a product from nothing with codis-admin, on etcd', { timeout: 240_000 }, async () => {
  etcd = await startEtcd();
  cluster = new Cluster('codis-e2e-etcd', {
    name: 'etcd',
    addr: etcd.endpoint,
    adminFlag: `--etcd=${etcd.endpoint}`,
  });
  await scenario(cluster, { full: false });
});
