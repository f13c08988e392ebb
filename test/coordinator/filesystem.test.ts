// The Store contract suite on the filesystem coordinator.
import { filesystemBackend } from './backends.ts';
import { defineStoreContract } from './contract.ts';

defineStoreContract('filesystem', filesystemBackend);
