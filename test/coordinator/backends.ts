// The three coordinators as the contract suite sees them: how to open clients, how to take the
// coordinator away and bring it back, and how to make it refuse credentials.

import { mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type CoordinatorKind,
  type CoordinatorOptions,
  openStore,
  type Store,
} from '../../src/coordinator/index.ts';
import { type EtcdServer, startEtcd } from '../helpers/etcd.ts';
import { startZooKeeper, type ZooKeeperServer } from '../helpers/zookeeper.ts';

/** Short timers keep the suite fast; they are what a crashed holder waits out. */
export const TEST_TIMEOUT_MS = 2_000;
export const TEST_SESSION_TIMEOUT_MS = 2_000;
export const TEST_POLL_INTERVAL_MS = 50;

export interface AuthScenario {
  /** A client with the right credentials. */
  readonly good: Store;
  /** Opens a client with wrong credentials (opening itself may fail). */
  openBad(): Promise<Store>;
  dispose(): Promise<void>;
}

export interface Backend {
  readonly kind: CoordinatorKind;
  readonly sessionTimeout: number;
  options(extra?: Partial<CoordinatorOptions>): CoordinatorOptions;
  /** Opens a client that dispose() closes if the test did not. */
  open(extra?: Partial<CoordinatorOptions>): Promise<Store>;
  /** Takes the coordinator away (server stopped, directory gone), keeping its data. */
  stop(): Promise<void>;
  start(): Promise<void>;
  /** Undefined where the backend has no authentication (filesystem). */
  readonly authScenario: (() => Promise<AuthScenario>) | undefined;
  dispose(): Promise<void>;
}

function tracker() {
  const stores = new Set<Store>();
  return {
    track(store: Store): Store {
      stores.add(store);
      return store;
    },
    async closeAll(): Promise<void> {
      for (const store of stores) await store.close().catch(() => undefined);
      stores.clear();
    },
  };
}

const COMMON = { timeout: TEST_TIMEOUT_MS, sessionTimeout: TEST_SESSION_TIMEOUT_MS };

export async function filesystemBackend(): Promise<Backend> {
  const parent = await mkdtemp(join(tmpdir(), 'codis-fs-coordinator-'));
  const root = join(parent, 'coord');
  const stores = tracker();
  const options = (extra: Partial<CoordinatorOptions> = {}): CoordinatorOptions => ({
    name: 'filesystem',
    addr: root,
    ...COMMON,
    pollInterval: TEST_POLL_INTERVAL_MS,
    ...extra,
  });
  // Create the layout once, so that stop() has something to take away.
  await (await openStore(options())).close();
  return {
    kind: 'filesystem',
    sessionTimeout: TEST_SESSION_TIMEOUT_MS,
    options,
    open: async (extra) => stores.track(await openStore(options(extra))),
    // A coordinator directory that went away (unmounted, removed) and whose path cannot simply be
    // recreated: something else is there now.
    async stop() {
      await rename(root, `${root}.away`);
      await writeFile(root, 'not a directory');
    },
    async start() {
      await rm(root);
      await rename(`${root}.away`, root);
    },
    authScenario: undefined,
    async dispose() {
      await stores.closeAll();
      await rm(parent, { recursive: true, force: true });
    },
  };
}

export async function etcdBackend(): Promise<Backend> {
  const server: EtcdServer = await startEtcd();
  const stores = tracker();
  const options = (extra: Partial<CoordinatorOptions> = {}): CoordinatorOptions => ({
    name: 'etcd',
    addr: server.endpoint,
    ...COMMON,
    ...extra,
  });
  return {
    kind: 'etcd',
    sessionTimeout: TEST_SESSION_TIMEOUT_MS,
    options,
    open: async (extra) => stores.track(await openStore(options(extra))),
    stop: () => server.stop(),
    start: () => server.start(),
    // etcd's auth switches on for the whole server: use a server of its own.
    async authScenario() {
      const secured = await startEtcd();
      const setup = await import('etcd3');
      const admin = new setup.Etcd3({ hosts: `http://${secured.endpoint}` });
      try {
        await admin.user('root').create('secret');
        await admin.user('root').addRole('root');
        await admin.auth.authEnable();
      } finally {
        admin.close();
      }
      const own = tracker();
      const open = async (auth: string) =>
        own.track(await openStore({ name: 'etcd', addr: secured.endpoint, ...COMMON, auth }));
      return {
        good: await open('root:secret'),
        openBad: () => open('root:wrong'),
        async dispose() {
          await own.closeAll();
          await secured.dispose();
        },
      };
    },
    async dispose() {
      await stores.closeAll();
      await server.dispose();
    },
  };
}

export async function zookeeperBackend(): Promise<Backend> {
  const server: ZooKeeperServer = await startZooKeeper();
  const stores = tracker();
  const options = (extra: Partial<CoordinatorOptions> = {}): CoordinatorOptions => ({
    name: 'zookeeper',
    addr: server.endpoint,
    ...COMMON,
    ...extra,
  });
  return {
    kind: 'zookeeper',
    sessionTimeout: TEST_SESSION_TIMEOUT_MS,
    options,
    open: async (extra) => stores.track(await openStore(options(extra))),
    stop: () => server.stop(),
    start: () => server.start(),
    // Digest auth: nodes written by alice carry an ACL for alice only.
    async authScenario() {
      const own = tracker();
      const open = async (auth: string) => own.track(await openStore(options({ auth })));
      return {
        good: await open('alice:secret'),
        openBad: () => open('alice:wrong'),
        dispose: () => own.closeAll(),
      };
    },
    async dispose() {
      await stores.closeAll();
      await server.dispose();
    },
  };
}
