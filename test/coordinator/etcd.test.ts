// The Store contract suite on the etcd coordinator.
import { etcdBackend } from './backends.ts';
import { defineStoreContract } from './contract.ts';

defineStoreContract('etcd', etcdBackend);
