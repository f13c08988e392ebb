// The Store contract suite on the ZooKeeper coordinator.
import { zookeeperBackend } from './backends.ts';
import { defineStoreContract } from './contract.ts';

defineStoreContract('zookeeper', zookeeperBackend);
