// The coordinator client interface (spec/control-plane.md §4), implemented on a directory, on etcd v3
// and on ZooKeeper. Paths are absolute and `/`-separated (`/codis3/demo/group/group-0001`); nodes
// hold bytes and may have children. The contract test suite (test/coordinator/) runs unchanged
// against every implementation; what it checks is what this file promises.

import { InvalidPathError } from './errors.ts';

/** The three backends, by the names the configuration files use (plus Codis's aliases). */
export type CoordinatorKind = 'filesystem' | 'etcd' | 'zookeeper';

export interface WatchEvent {
  /**
   * `created`, `changed` (data) and `deleted` concern the watched node itself; `children` means a
   * direct child was added or removed (etcd, having no directories, also reports nodes added or
   * removed deeper down). Events may be coalesced: after any change the listener is called at least
   * once, and reading the node then shows the latest state. A coordinator that is down is not a
   * deletion: nothing is reported until it is back, and then what changed meanwhile.
   */
  readonly type: 'created' | 'changed' | 'deleted' | 'children';
  readonly path: string;
}

export type WatchListener = (event: WatchEvent) => void;

export interface Watch {
  readonly path: string;
  close(): Promise<void>;
}

/** A lock held through the store; see `Store.acquireLock`. */
export interface StoreLock {
  readonly path: string;
  /** Aborted, with a `LockLostError` as reason, when the lock is known lost. */
  readonly lost: AbortSignal;
  /** Deletes the lock node if it is still ours. */
  release(): Promise<void>;
}

export interface LockInfo {
  readonly path: string;
  readonly data: Buffer;
  /** Who holds it, for messages: `lease 694d...`, `session 0x1000...`, `pid 4242 on host vm`. */
  readonly holder: string;
  /** False when the holder is known to be gone (the next acquisition takes the lock over). */
  readonly alive: boolean;
}

export interface Store {
  readonly kind: CoordinatorKind;
  /** The coordinator as messages name it: `etcd 127.0.0.1:2379`, `filesystem /var/lib/codis`. */
  readonly description: string;

  /** Creates a node, and any missing parent; fails with `NodeExistsError` if it exists. Atomic. */
  create(path: string, data: Uint8Array): Promise<void>;
  /** Creates or overwrites a node (creating parents). Readers see the old or the new data, never a mix. */
  update(path: string, data: Uint8Array): Promise<void>;
  /** Deletes a node and everything under it; deleting a missing node is not an error. */
  delete(path: string): Promise<void>;
  /** The node's data, or undefined if it does not exist. */
  read(path: string): Promise<Buffer | undefined>;
  /** Absolute paths of the direct children, sorted; undefined if the node does not exist. */
  list(path: string): Promise<string[] | undefined>;
  /** Calls `listener` on changes to the node or to its set of children, from when the promise resolves. */
  watch(path: string, listener: WatchListener): Promise<Watch>;

  /**
   * Creates a node that lives as long as this client's session (ZooKeeper) or lease (etcd), so it
   * disappears when the process dies. Fails with `NodeExistsError` if it exists, and with
   * `NotSupportedError` on the filesystem (as in Codis).
   */
  createEphemeral(path: string, data: Uint8Array): Promise<void>;
  /** Creates an ephemeral child of `dir` with an increasing sequence name; returns its path. */
  createEphemeralInOrder(dir: string, data: Uint8Array): Promise<string>;

  /**
   * Takes an exclusive lock: creates the node at `path` holding `data`, failing with `LockHeldError`
   * when another holder has it. Unlike Codis's persistent lock node, the lock ends with its holder:
   * on etcd it is bound to a lease, on ZooKeeper to the session; on the filesystem the data names the
   * holder's pid and host, and a lock whose process is gone is taken over.
   */
  acquireLock(path: string, data: Uint8Array): Promise<StoreLock>;
  /** The current lock at `path` and its holder, or undefined if nobody holds it. */
  inspectLock(path: string): Promise<LockInfo | undefined>;
  /** Removes a lock whoever holds it (`--remove-lock`); returns whether there was one. */
  forceUnlock(path: string): Promise<boolean>;

  /** Ends the session: ephemeral nodes and locks of this client go away, watches stop. */
  close(): Promise<void>;
}

/** Options every backend understands; `openStore` adds the backend name and address. */
export interface StoreTimeouts {
  /** Per-operation limit in ms: an operation that cannot complete in time fails as unavailable. */
  readonly timeout?: number;
  /** ZooKeeper session timeout / etcd lease TTL in ms: how long ephemeral nodes and locks outlive a dead client. */
  readonly sessionTimeout?: number;
}

export const DEFAULT_TIMEOUT = 30_000;
export const DEFAULT_SESSION_TIMEOUT = 20_000;

/** Checks a coordinator path: absolute, no trailing `/`, no empty, `.` or `..` segment, no NUL. */
export function checkPath(path: string, coordinator: string, operation: string): void {
  const fail = (reason: string): never => {
    throw new InvalidPathError({ coordinator, operation, path }, reason);
  };
  if (!path.startsWith('/')) fail('not absolute');
  if (path === '/') return;
  if (path.endsWith('/')) fail('trailing /');
  if (path.includes('\0')) fail('contains NUL');
  for (const segment of path.slice(1).split('/')) {
    if (segment === '') fail('empty segment');
    if (segment === '.' || segment === '..') fail(`'${segment}' segment`);
  }
}

/** `/a/b` → `/a`; `/a` → `/`. */
export function parentPath(path: string): string {
  const i = path.lastIndexOf('/');
  return i <= 0 ? '/' : path.slice(0, i);
}

/** `/a` + `b` → `/a/b`; `/` + `b` → `/b`. */
export function childPath(dir: string, name: string): string {
  return dir === '/' ? `/${name}` : `${dir}/${name}`;
}

/** In-order node names: this prefix and ZooKeeper's 10-digit zero-padded counter. */
export const SEQUENCE_PREFIX = 'seq-';

export function sequenceName(n: number): string {
  return SEQUENCE_PREFIX + String(n).padStart(10, '0');
}
