// Opening a coordinator client by its configured name (`coordinator_name`, `jodis_name`) and address,
// as the dashboard, proxy, fe and admin do (spec/control-plane.md §4).

import { CoordinatorConfigError } from './errors.ts';
import { FilesystemStore } from './filesystem-store.ts';
import type { CoordinatorKind, Store, StoreTimeouts } from './store.ts';

export interface CoordinatorOptions extends StoreTimeouts {
  /** `filesystem` / `fs`, `etcd`, `zookeeper` / `zk`. */
  readonly name: string;
  /** A directory; comma-separated etcd endpoints; comma-separated ZooKeeper `host:port`s. */
  readonly addr: string;
  /** `user:password`, or empty for none (etcd: user auth; ZooKeeper: digest auth and ACLs). */
  readonly auth?: string;
  /** Filesystem only: how often watches and held locks look at the disk, in ms. */
  readonly pollInterval?: number;
}

/** The backend for a coordinator name, or Codis's `invalid coordinator name = X`. */
export function coordinatorKind(name: string): CoordinatorKind {
  switch (name) {
    case 'fs':
    case 'filesystem':
      return 'filesystem';
    case 'etcd':
      return 'etcd';
    case 'zk':
    case 'zookeeper':
      return 'zookeeper';
    default:
      throw new CoordinatorConfigError(
        { coordinator: `coordinator ${JSON.stringify(name)}` },
        `invalid coordinator name = ${name}`,
      );
  }
}

export interface Credentials {
  readonly user: string;
  readonly password: string;
}

/** `user:password` → credentials; `''` → none; anything else is Codis's `invalid auth`. */
export function parseAuth(auth: string | undefined, coordinator: string): Credentials | undefined {
  if (auth === undefined || auth === '') return undefined;
  const colon = auth.indexOf(':');
  if (colon <= 0) throw new CoordinatorConfigError({ coordinator }, 'invalid auth');
  return { user: auth.slice(0, colon), password: auth.slice(colon + 1) };
}

function timeouts(options: StoreTimeouts): StoreTimeouts {
  return {
    ...(options.timeout === undefined ? {} : { timeout: options.timeout }),
    ...(options.sessionTimeout === undefined ? {} : { sessionTimeout: options.sessionTimeout }),
  };
}

export async function openStore(options: CoordinatorOptions): Promise<Store> {
  const kind = coordinatorKind(options.name);
  switch (kind) {
    case 'filesystem':
      return FilesystemStore.open({
        root: options.addr,
        ...(options.pollInterval === undefined ? {} : { pollInterval: options.pollInterval }),
      });
    case 'etcd': {
      // Loaded on demand: gRPC is heavy, and a deployment uses one backend.
      const { EtcdStore } = await import('./etcd-store.ts');
      const auth = parseAuth(options.auth, `etcd ${options.addr}`);
      return new EtcdStore({ ...timeouts(options), addr: options.addr, auth });
    }
    case 'zookeeper': {
      const { ZooKeeperStore } = await import('./zookeeper-store.ts');
      const auth = parseAuth(options.auth, `zookeeper ${options.addr}`);
      return ZooKeeperStore.open({ ...timeouts(options), addr: options.addr, auth });
    }
  }
}
