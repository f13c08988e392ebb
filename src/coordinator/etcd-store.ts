// The etcd coordinator, on etcd's v3 API (the `etcd3` package). Codis 3.2 spoke the v2 keys API,
// which etcd 3.4+ no longer serves by default; the paths and record bytes are the same, the keys are
// the paths themselves (`/codis3/demo/topom`).
//
// v3 has no directories: a node "exists" when its key or any key under `path/` does, and the children
// of a node are the first segments of the keys under it. What v3 adds is leases: every ephemeral node
// and every lock this client holds is bound to one lease (its session), kept alive while the process
// runs and expiring `sessionTimeout` after it dies, so a crashed dashboard's lock goes away by itself.

import { ConstantBackoff, ExponentialBackoff, handleWhen, noop, retry } from 'cockatiel';
import {
  ClientClosedError,
  Etcd3,
  EtcdAuthenticationFailedError,
  EtcdInvalidAuthTokenError,
  EtcdPermissionDeniedError,
  EtcdRoleNotGrantedError,
  EtcdUserNotFoundError,
  GRPCCancelledError,
  GRPCDeadlineExceededError,
  GRPCUnauthenticatedError,
  GRPCUnavailableError,
  type IKeyValue,
  isRecoverableError,
  type Lease,
  type Watcher,
} from 'etcd3';
import {
  CoordinatorAuthError,
  CoordinatorClosedError,
  CoordinatorError,
  CoordinatorOperationError,
  CoordinatorUnavailableError,
  LockHeldError,
  LockLostError,
  NodeExistsError,
} from './errors.ts';
import type { Credentials } from './open-store.ts';
import {
  checkPath,
  childPath,
  DEFAULT_SESSION_TIMEOUT,
  DEFAULT_TIMEOUT,
  type LockInfo,
  type Store,
  type StoreLock,
  type StoreTimeouts,
  sequenceName,
  type Watch,
  type WatchEvent,
  type WatchListener,
} from './store.ts';

export interface EtcdStoreOptions extends StoreTimeouts {
  /** Comma-separated endpoints; `http://` is prepended where no scheme is given (as Codis does). */
  readonly addr: string;
  readonly auth?: Credentials | undefined;
}

/** How many times a racing in-order creation retries before giving up. */
const IN_ORDER_ATTEMPTS = 50;

function endpoints(addr: string): string[] {
  return addr
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
    .map((s) => (/^https?:\/\//.test(s) ? s : `http://${s}`));
}

/** The keys under a node: `path/...`, or every absolute key for the root. */
function prefixOf(path: string): string {
  return path === '/' ? '/' : `${path}/`;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function isUnavailable(error: unknown): boolean {
  if (
    error instanceof GRPCUnavailableError ||
    error instanceof GRPCDeadlineExceededError ||
    error instanceof GRPCCancelledError
  ) {
    return true;
  }
  const e = error as
    | { isBrokenCircuitError?: boolean; isTaskCancelledError?: boolean; message?: string }
    | undefined;
  if (e?.isBrokenCircuitError === true || e?.isTaskCancelledError === true) return true;
  return /UNAVAILABLE|DEADLINE_EXCEEDED|ECONNREFUSED|No connection established|timed out/i.test(
    e?.message ?? '',
  );
}

function isAuthFailure(error: unknown): boolean {
  return (
    error instanceof EtcdAuthenticationFailedError ||
    error instanceof EtcdInvalidAuthTokenError ||
    error instanceof EtcdPermissionDeniedError ||
    error instanceof EtcdRoleNotGrantedError ||
    error instanceof EtcdUserNotFoundError ||
    error instanceof GRPCUnauthenticatedError
  );
}

export class EtcdStore implements Store {
  readonly kind = 'etcd' as const;
  readonly description: string;
  readonly #client: Etcd3;
  readonly #timeout: number;
  readonly #ttlSeconds: number;
  readonly #watches = new Set<EtcdWatch>();
  readonly #locks = new Set<EtcdLock>();
  #session: Lease | undefined;
  #closed = false;

  constructor(options: EtcdStoreOptions) {
    const hosts = endpoints(options.addr);
    this.description = `etcd ${options.addr}`;
    this.#timeout = options.timeout ?? DEFAULT_TIMEOUT;
    this.#ttlSeconds = Math.max(1, Math.ceil((options.sessionTimeout ?? DEFAULT_SESSION_TIMEOUT) / 1000));
    const deadline = () => ({ deadline: Date.now() + this.#timeout });
    this.#client = new Etcd3({
      hosts,
      dialTimeout: this.#timeout,
      ...(options.auth === undefined
        ? {}
        : { auth: { username: options.auth.user, password: options.auth.password, callOptions: deadline } }),
      defaultCallOptions: (context) => (context.isStream ? {} : deadline()),
      faultHandling: {
        // No per-host circuit breaker: it would keep refusing a restarted etcd for seconds. Retries
        // only move a failed call to another endpoint; callers retry whole operations themselves.
        host: () => noop,
        global: retry(handleWhen(isRecoverableError), {
          maxAttempts: hosts.length - 1,
          backoff: new ConstantBackoff(50),
        }),
        watchBackoff: new ExponentialBackoff({ initialDelay: 50, maxDelay: 1_000 }).next(),
      },
    });
  }

  #context(operation: string, path: string, cause?: unknown) {
    return { coordinator: this.description, operation, path, cause };
  }

  #wrap(error: unknown, operation: string, path: string): CoordinatorError {
    if (error instanceof CoordinatorError) return error;
    const ctx = this.#context(operation, path, error);
    if (error instanceof ClientClosedError) return new CoordinatorClosedError(ctx);
    if (isAuthFailure(error)) return new CoordinatorAuthError(ctx);
    if (isUnavailable(error)) return new CoordinatorUnavailableError(ctx);
    return new CoordinatorOperationError(ctx);
  }

  /**
   * Runs one operation: checks the path, bounds the time (the gRPC deadline covers calls, this also
   * covers waiting for a connection or a lease), and turns failures into coded errors.
   */
  async #run<T>(operation: string, path: string, body: (timedOut: AbortSignal) => Promise<T>): Promise<T> {
    if (this.#closed) throw new CoordinatorClosedError(this.#context(operation, path));
    checkPath(path, this.description, operation);
    const timedOut = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        timedOut.abort();
        const cause = new Error(`no answer in ${this.#timeout} ms`);
        reject(new CoordinatorUnavailableError(this.#context(operation, path, cause)));
      }, this.#timeout + 250);
    });
    try {
      return await Promise.race([body(timedOut.signal), timeout]);
    } catch (error) {
      throw this.#wrap(error, operation, path);
    } finally {
      clearTimeout(timer);
    }
  }

  create(path: string, data: Uint8Array): Promise<void> {
    return this.#run('create', path, async () => {
      if (!(await this.#createIfAbsent(path, data))) throw new NodeExistsError(this.#context('create', path));
    });
  }

  async #createIfAbsent(path: string, data: Uint8Array, lease?: string): Promise<string | undefined> {
    const put = this.#client.put(path).value(Buffer.from(data));
    if (lease !== undefined) put.lease(lease);
    const result = await this.#client.if(path, 'Create', '==', 0).then(put).commit();
    // The revision of the creation identifies this node later (a lock is ours while it is unchanged).
    return result.succeeded ? result.header.revision : undefined;
  }

  update(path: string, data: Uint8Array): Promise<void> {
    return this.#run('update', path, async () => {
      await this.#client.put(path).value(Buffer.from(data));
    });
  }

  delete(path: string): Promise<void> {
    return this.#run('delete', path, async () => {
      if (path === '/') {
        await this.#client.delete().prefix('/');
        return;
      }
      await this.#client
        .if(path, 'Version', '>', -1)
        .then(this.#client.delete().key(path), this.#client.delete().prefix(prefixOf(path)))
        .commit();
    });
  }

  read(path: string): Promise<Buffer | undefined> {
    return this.#run('read', path, async () => (await this.#client.get(path).buffer()) ?? undefined);
  }

  list(path: string): Promise<string[] | undefined> {
    return this.#run('list', path, async () => {
      const prefix = prefixOf(path);
      const keys = await this.#client.getAll().prefix(prefix).keys();
      if (keys.length === 0) return (await this.#client.get(path).exists()) ? [] : undefined;
      const names = new Set<string>();
      for (const key of keys) {
        const rest = key.slice(prefix.length);
        const name = rest.split('/')[0];
        if (name !== undefined && name !== '') names.add(name);
      }
      return [...names].sort().map((name) => childPath(path, name));
    });
  }

  /** Whether a node exists: its key, or any key under it. */
  async #exists(path: string): Promise<{ exists: boolean; revision: string }> {
    const own = await this.#client.get(path).exec();
    if (own.kvs.length > 0) return { exists: true, revision: own.header.revision };
    const under = await this.#client.getAll().prefix(prefixOf(path)).limit(1).count();
    return { exists: under > 0, revision: own.header.revision };
  }

  watch(path: string, listener: WatchListener): Promise<Watch> {
    return this.#run('watch', path, async () => {
      const watch = new EtcdWatch(path, listener, {
        exists: () => this.#exists(path),
        watcher: (key, prefix, startRevision) => {
          const builder = this.#client.watch().startRevision(startRevision);
          return (prefix ? builder.prefix(key) : builder.key(key)).create();
        },
        forget: () => this.#watches.delete(watch),
      });
      await watch.start();
      this.#watches.add(watch);
      return watch;
    });
  }

  /** The lease of this client's session, granted on first use and again after one expired. */
  async #sessionLease(): Promise<string> {
    if (this.#session === undefined || this.#session.revoked()) {
      const lease = this.#client.lease(this.#ttlSeconds, { autoKeepAlive: true });
      this.#session = lease;
      lease.on('lost', (error) => {
        if (this.#session === lease) this.#session = undefined;
        for (const lock of [...this.#locks]) {
          if (lock.lease === lease) {
            lock.lose(new LockLostError(this.#context('lock', lock.path, error), 'the etcd lease expired'));
          }
        }
      });
    }
    const session = this.#session;
    try {
      return await session.grant();
    } catch (error) {
      if (this.#session === session) this.#session = undefined;
      throw error;
    }
  }

  createEphemeral(path: string, data: Uint8Array): Promise<void> {
    return this.#run('create-ephemeral', path, async () => {
      const lease = await this.#sessionLease();
      if ((await this.#createIfAbsent(path, data, lease)) === undefined) {
        throw new NodeExistsError(this.#context('create-ephemeral', path));
      }
    });
  }

  /**
   * etcd v3 has no sequential keys: the sequence is the version of the directory's own key, bumped
   * in the same transaction that creates the child, as ZooKeeper bumps the parent's child version.
   */
  createEphemeralInOrder(dir: string, data: Uint8Array): Promise<string> {
    return this.#run('create-ephemeral-in-order', dir, async () => {
      const lease = await this.#sessionLease();
      for (let attempt = 0; attempt < IN_ORDER_ATTEMPTS; attempt++) {
        const current = await this.#client.get(dir).exec();
        const kv = current.kvs[0];
        const version = kv === undefined ? 0 : Number(kv.version);
        const path = childPath(dir, sequenceName(version));
        const result = await this.#client
          .if(dir, 'Version', '==', version)
          .and(path, 'Create', '==', 0)
          .then(
            this.#client.put(dir).value(kv?.value ?? Buffer.alloc(0)),
            this.#client.put(path).value(Buffer.from(data)).lease(lease),
          )
          .commit();
        if (result.succeeded) return path;
        await sleep(attempt);
      }
      throw new CoordinatorOperationError(
        this.#context('create-ephemeral-in-order', dir),
        'too much contention',
      );
    });
  }

  acquireLock(path: string, data: Uint8Array): Promise<StoreLock> {
    return this.#run('acquire-lock', path, async (timedOut) => {
      const leaseId = await this.#sessionLease();
      const lease = this.#session as Lease;
      const revision = await this.#createIfAbsent(path, data, leaseId);
      if (revision === undefined) {
        const holder = await this.#client.get(path).exec();
        const kv = holder.kvs[0];
        if (kv === undefined) {
          throw new LockHeldError(this.#context('acquire-lock', path), 'a holder that just left');
        }
        throw new LockHeldError(this.#context('acquire-lock', path), describeHolder(kv), kv.value);
      }
      const removeOurs = () =>
        this.#client.if(path, 'Create', '==', revision).then(this.#client.delete().key(path)).commit();
      const lock: EtcdLock = new EtcdLock(path, lease, {
        release: async () => {
          this.#locks.delete(lock);
          await lock.stopWatching();
          if (this.#closed) return;
          await this.#run('release-lock', path, removeOurs);
        },
      });
      try {
        // `--remove-lock` deletes the key without telling us: watch it.
        const watcher = await this.#client
          .watch()
          .key(path)
          .startRevision(String(BigInt(revision) + 1n))
          .create();
        watcher.on('delete', () =>
          lock.lose(new LockLostError(this.#context('lock', path), 'the lock node was removed')),
        );
        watcher.on('error', () => undefined);
        lock.watching(watcher);
        // The caller was told this took too long: it does not know it holds the lock, so let go.
        if (timedOut.aborted) throw new Error('acquired after the time limit');
      } catch (error) {
        await lock.stopWatching();
        await removeOurs().catch(() => undefined);
        throw error;
      }
      this.#locks.add(lock);
      return lock;
    });
  }

  inspectLock(path: string): Promise<LockInfo | undefined> {
    return this.#run('inspect-lock', path, async () => {
      const kv = (await this.#client.get(path).exec()).kvs[0];
      if (kv === undefined) return undefined;
      return { path, data: kv.value, holder: describeHolder(kv), alive: true };
    });
  }

  forceUnlock(path: string): Promise<boolean> {
    return this.#run('force-unlock', path, async () => {
      const result = await this.#client.delete().key(path).exec();
      return Number(result.deleted) > 0;
    });
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    for (const watch of [...this.#watches]) await watch.close();
    for (const lock of [...this.#locks]) await lock.release().catch(() => undefined);
    this.#closed = true;
    // Revoking the session removes its ephemeral nodes and locks now rather than at expiry.
    const session = this.#session;
    this.#session = undefined;
    if (session !== undefined) {
      await Promise.race([session.revoke().catch(() => undefined), sleep(this.#timeout)]);
    }
    this.#client.close();
  }
}

function describeHolder(kv: IKeyValue): string {
  return kv.lease === '0' || kv.lease === ''
    ? 'a persistent node (no lease)'
    : `the client of etcd lease ${BigInt(kv.lease).toString(16)}`;
}

interface EtcdLockOps {
  readonly release: () => Promise<void>;
}

class EtcdLock implements StoreLock {
  readonly path: string;
  readonly lease: Lease;
  readonly #ops: EtcdLockOps;
  readonly #controller = new AbortController();
  #watcher: Watcher | undefined;
  #released = false;

  constructor(path: string, lease: Lease, ops: EtcdLockOps) {
    this.path = path;
    this.lease = lease;
    this.#ops = ops;
  }

  get lost(): AbortSignal {
    return this.#controller.signal;
  }

  watching(watcher: Watcher): void {
    this.#watcher = watcher;
  }

  async stopWatching(): Promise<void> {
    const watcher = this.#watcher;
    this.#watcher = undefined;
    await watcher?.cancel().catch(() => undefined);
  }

  lose(reason: LockLostError): void {
    if (this.#released || this.#controller.signal.aborted) return;
    this.#controller.abort(reason);
    void this.stopWatching();
  }

  async release(): Promise<void> {
    if (this.#released) return;
    this.#released = true;
    await this.#ops.release();
  }
}

interface EtcdWatchOps {
  readonly exists: () => Promise<{ exists: boolean; revision: string }>;
  readonly watcher: (key: string, prefix: boolean, startRevision: string) => Promise<Watcher>;
  readonly forget: () => void;
}

/**
 * A watch on a key and on the keys under it. Events are handled one at a time, in order, because
 * telling `deleted` from "one child less" needs a look at what is left.
 */
class EtcdWatch implements Watch {
  readonly path: string;
  readonly #listener: WatchListener;
  readonly #ops: EtcdWatchOps;
  readonly #watchers: Watcher[] = [];
  #exists = false;
  #queue: Promise<void> = Promise.resolve();
  #closed = false;

  constructor(path: string, listener: WatchListener, ops: EtcdWatchOps) {
    this.path = path;
    this.#listener = listener;
    this.#ops = ops;
  }

  async start(): Promise<void> {
    const state = await this.#ops.exists();
    this.#exists = state.exists;
    // Start from the revision we looked at, so that nothing between the look and the watch is missed.
    const from = String(BigInt(state.revision) + 1n);
    const own = await this.#ops.watcher(this.path, false, from);
    this.#watchers.push(own);
    const under = await this.#ops.watcher(prefixOf(this.path), true, from);
    this.#watchers.push(under);
    own.on('put', () => this.#enqueue(() => this.#ownPut()));
    own.on('delete', () => this.#enqueue(() => this.#gone(false)));
    under.on('put', (kv) => this.#enqueue(() => this.#childPut(kv)));
    under.on('delete', () => this.#enqueue(() => this.#gone(true)));
    for (const watcher of this.#watchers) watcher.on('error', () => this.#enqueue(() => this.#resync()));
  }

  #emit(type: WatchEvent['type']): void {
    if (this.#closed) return;
    try {
      this.#listener({ type, path: this.path });
    } catch {
      // A failing listener must not stop the watch.
    }
  }

  #enqueue(step: () => Promise<void> | void): void {
    this.#queue = this.#queue.then(step).catch(() => undefined);
  }

  #ownPut(): void {
    const created = !this.#exists;
    this.#exists = true;
    this.#emit(created ? 'created' : 'changed');
  }

  #childPut(kv: IKeyValue): void {
    if (kv.version !== '1') return;
    if (!this.#exists) {
      this.#exists = true;
      this.#emit('created');
    }
    this.#emit('children');
  }

  async #gone(child: boolean): Promise<void> {
    if (child) this.#emit('children');
    const state = await this.#ops.exists().catch(() => undefined);
    if (state === undefined) return;
    if (this.#exists && !state.exists) {
      this.#exists = false;
      this.#emit('deleted');
    } else if (!child && state.exists) {
      // The key went but children remain: to a reader the node's data changed.
      this.#emit('changed');
    }
  }

  /** After a watch error: report whatever may have changed, conservatively. */
  async #resync(): Promise<void> {
    const state = await this.#ops.exists().catch(() => undefined);
    if (state === undefined) return;
    if (state.exists !== this.#exists) {
      this.#exists = state.exists;
      this.#emit(state.exists ? 'created' : 'deleted');
    } else if (state.exists) {
      this.#emit('changed');
      this.#emit('children');
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#ops.forget();
    await Promise.all(this.#watchers.map((w) => w.cancel().catch(() => undefined)));
  }
}
