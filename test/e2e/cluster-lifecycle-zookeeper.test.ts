// The codis-admin end-to-end scenario (test/helpers/cluster-scenario.ts) on a ZooKeeper
// coordinator (Debian's zookeeper), lighter: one migration method, no rebalance or promote.

import { after, test } from 'node:test';
import { Cluster } from '../helpers/cluster.ts';
import { scenario } from '../helpers/cluster-scenario.ts';
import { startZooKeeper, type ZooKeeperServer } from '../helpers/zookeeper.ts';

let zk: ZooKeeperServer | undefined;
let cluster: Cluster | undefined;
after(async () => {
  await cluster?.dispose();
  await zk?.dispose();
});

test('a product from nothing with codis-admin, on ZooKeeper', { timeout: 240_000 }, async () => {
  zk = await startZooKeeper();
  cluster = new Cluster('codis-e2e-zk', {
    name: 'zookeeper',
    addr: zk.endpoint,
    adminFlag: `--zookeeper=${zk.endpoint}`,
  });
  await scenario(cluster, { full: false });
});
