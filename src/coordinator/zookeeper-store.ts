// The ZooKeeper coordinator (spec/control-plane.md §4.3), on `node-zookeeper-client` (pure JS).
// Paths, ACLs and digest auth as in Codis 3.2: intermediate directories get all permissions, data
// nodes read+write+admin, granted to the digest user when there is one and to world:anyone otherwise.
//
// Ephemeral nodes and locks are tied to the session: a crashed dashboard's lock disappears when ZooKeeper
// expires its session. When our own session expires we open a new one, report the lost locks, and
// re-arm the watches, which then report what changed meanwhile. Requests are never queued while
// disconnected (the library would send them whenever the connection comes back, possibly long after we
// reported a failure): an operation waits for a connection up to its timeout, then fails as unavailable.

import { createHash } from 'node:crypto';
import type { ACL, Client, Stat, Exception as ZooKeeperException } from 'node-zookeeper-client';
import zookeeper from 'node-zookeeper-client';
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
  parentPath,
  SEQUENCE_PREFIX,
  type Store,
  type StoreLock,
  type StoreTimeouts,
  type Watch,
  type WatchEvent,
  type WatchListener,
} from './store.ts';

// The package is CommonJS: its classes come through the default export.
const { CreateMode, Exception, Id, Permission, State } = zookeeper;
const AccessControl = zookeeper.ACL;

export interface ZooKeeperStoreOptions extends StoreTimeouts {
  /** Comma-separated `host:port` list. */
  readonly addr: string;
  readonly auth?: Credentials | undefined;
  /** Pause between reconnection attempts, in ms. */
  readonly reconnectDelay?: number;
}

const DEFAULT_RECONNECT_DELAY = 250;
const WATCHDOG_INTERVAL = 250;
/** The connection manager's state while it waits for the handshake (lib/ConnectionManager.js). */
const CONNECTION_MANAGER_CONNECTING = 1;

/** How long a connected socket may wait for the session handshake: a third of the session timeout. */
function handshakeTimeout(sessionTimeout: number): number {
  return Math.max(250, Math.min(1_500, sessionTimeout / 3));
}

/** A ZooKeeper error code (`Exception.NO_NODE`...), or undefined for anything else. */
function zkCode(error: unknown): number | undefined {
  const e = error as { getCode?: () => number } | undefined;
  return typeof e?.getCode === 'function' ? e.getCode() : undefined;
}

function hex(buffer: Buffer): string {
  return buffer.toString('hex');
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Codis's ACLs: directories get everything, data nodes read, write and admin. */
function acls(auth: Credentials | undefined): { dir: ACL[]; data: ACL[] } {
  const id =
    auth === undefined
      ? new Id('world', 'anyone')
      : new Id(
          'digest',
          `${auth.user}:${createHash('sha1').update(`${auth.user}:${auth.password}`).digest('base64')}`,
        );
  return {
    dir: [new AccessControl(Permission.ALL, id)],
    data: [new AccessControl(Permission.READ | Permission.WRITE | Permission.ADMIN, id)],
  };
}

export class ZooKeeperStore implements Store {
  readonly kind = 'zookeeper' as const;
  readonly description: string;
  readonly #addr: string;
  readonly #auth: Credentials | undefined;
  readonly #acls: { dir: ACL[]; data: ACL[] };
  readonly #timeout: number;
  readonly #sessionTimeout: number;
  readonly #reconnectDelay: number;
  readonly #watches = new Set<ZooKeeperWatch>();
  readonly #locks = new Set<ZooKeeperLock>();
  #client!: Client;
  #connected = false;
  #authFailed = false;
  #sessionId = '';
  #waiters: Array<() => void> = [];
  #closed = false;
  readonly #watchdog: NodeJS.Timeout;
  #handshake: { socket: object; since: number } | undefined;

  private constructor(options: ZooKeeperStoreOptions) {
    this.#addr = options.addr;
    this.description = `zookeeper ${options.addr}`;
    this.#auth = options.auth;
    this.#acls = acls(options.auth);
    this.#timeout = options.timeout ?? DEFAULT_TIMEOUT;
    this.#sessionTimeout = options.sessionTimeout ?? DEFAULT_SESSION_TIMEOUT;
    this.#reconnectDelay = options.reconnectDelay ?? DEFAULT_RECONNECT_DELAY;
    this.#watchdog = setInterval(() => this.#checkHandshake(), WATCHDOG_INTERVAL);
    this.#watchdog.unref();
  }

  /**
   * A ZooKeeper server that is starting accepts connections before it can serve them, and may then
   * neither answer the handshake nor close the socket. The library waits for that answer forever
   * (its timeouts start after the handshake), so the session would expire while we wait: give up on
   * such a connection after a while, and the library connects again.
   */
  #checkHandshake(): void {
    const manager = internals(this.#client);
    const socket = manager?.socket;
    if (
      this.#connected ||
      this.#closed ||
      manager?.state !== CONNECTION_MANAGER_CONNECTING ||
      socket === undefined ||
      socket.connecting !== false ||
      socket.destroyed === true
    ) {
      this.#handshake = undefined;
      return;
    }
    if (this.#handshake?.socket !== socket) {
      this.#handshake = { socket, since: Date.now() };
    } else if (Date.now() - this.#handshake.since > handshakeTimeout(this.#sessionTimeout)) {
      this.#handshake = undefined;
      socket.destroy();
    }
  }

  /** Starts connecting and returns at once; operations wait for the connection (up to their timeout). */
  static async open(options: ZooKeeperStoreOptions): Promise<ZooKeeperStore> {
    const store = new ZooKeeperStore(options);
    store.#connect();
    return store;
  }

  /** A new client and session (at start, and after the session expired). */
  #connect(): void {
    const servers = this.#addr
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== '')
      .join(',');
    const client = zookeeper.createClient(servers, {
      sessionTimeout: this.#sessionTimeout,
      spinDelay: this.#reconnectDelay,
      retries: 0,
    });
    this.#client = client;
    this.#connected = false;
    if (this.#auth !== undefined) {
      client.addAuthInfo('digest', Buffer.from(`${this.#auth.user}:${this.#auth.password}`));
    }
    client.on('state', (state) => {
      if (this.#client !== client || this.#closed) return;
      if (state === State.SYNC_CONNECTED || state === State.CONNECTED_READ_ONLY) {
        this.#onConnected(client);
      } else if (state === State.DISCONNECTED) {
        this.#connected = false;
      } else if (state === State.AUTH_FAILED) {
        this.#connected = false;
        this.#authFailed = true;
        this.#wake();
      } else if (state === State.EXPIRED) {
        this.#onExpired(client);
      }
    });
    client.connect();
  }

  #onConnected(client: Client): void {
    if (this.#closed) return;
    this.#connected = true;
    this.#authFailed = false;
    const session = hex(client.getSessionId());
    const newSession = session !== this.#sessionId;
    this.#sessionId = session;
    this.#wake();
    // Watches of an old session died with it: arm them again (they report what changed meanwhile).
    if (newSession) for (const watch of this.#watches) watch.rearm();
  }

  #onExpired(_client: Client): void {
    this.#connected = false;
    for (const lock of [...this.#locks]) {
      lock.lose(new LockLostError(this.#context('lock', lock.path), 'the ZooKeeper session expired'));
    }
    // The expired client stops by itself (it does not reconnect after an expiry); start a new one.
    this.#connect();
  }

  #wake(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const wake of waiters) wake();
  }

  #context(operation: string, path: string, cause?: unknown) {
    return { coordinator: this.description, operation, path, cause };
  }

  #wrap(error: unknown, operation: string, path: string): CoordinatorError {
    if (error instanceof CoordinatorError) return error;
    const ctx = this.#context(operation, path, error);
    switch (zkCode(error)) {
      case Exception.NO_AUTH:
      case Exception.AUTH_FAILED:
      case Exception.INVALID_ACL:
        return new CoordinatorAuthError(ctx);
      case Exception.CONNECTION_LOSS:
      case Exception.OPERATION_TIMEOUT:
      case Exception.SESSION_EXPIRED:
        return new CoordinatorUnavailableError(ctx);
      default:
        return new CoordinatorOperationError(ctx);
    }
  }

  /** The client once connected, or an unavailable error after `deadline`. */
  async #connectedClient(operation: string, path: string, deadline: number): Promise<Client> {
    while (!this.#connected) {
      if (this.#closed) throw new CoordinatorClosedError(this.#context(operation, path));
      if (this.#authFailed) {
        throw new CoordinatorAuthError(this.#context(operation, path, new Error('authentication failed')));
      }
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new CoordinatorUnavailableError(
          this.#context(
            operation,
            path,
            new Error(`not connected to ${this.#addr} after ${this.#timeout} ms`),
          ),
        );
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    return this.#client;
  }

  /** Runs one operation with the path checked, a connection, a time limit and coded errors. */
  async #run<T>(operation: string, path: string, body: (call: Caller) => Promise<T>): Promise<T> {
    if (this.#closed) throw new CoordinatorClosedError(this.#context(operation, path));
    checkPath(path, this.description, operation);
    const deadline = Date.now() + this.#timeout;
    const call: Caller = async (fn) => {
      const client = await this.#connectedClient(operation, path, deadline);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () =>
            reject(
              new CoordinatorUnavailableError(
                this.#context(operation, path, new Error(`no answer in ${this.#timeout} ms`)),
              ),
            ),
          Math.max(1, deadline - Date.now()),
        );
        fn(client, (error, value) => {
          clearTimeout(timer);
          if (error) reject(error);
          else resolve(value);
        });
      });
    };
    try {
      return await body(call);
    } catch (error) {
      throw this.#wrap(error, operation, path);
    }
  }

  /** Creates the missing ancestors of `path` as directories. */
  async #ensureParents(call: Caller, path: string): Promise<void> {
    const ancestors: string[] = [];
    for (let p = parentPath(path); p !== '/'; p = parentPath(p)) ancestors.unshift(p);
    for (const dir of ancestors) {
      try {
        await call<string>((c, done) =>
          c.create(dir, Buffer.alloc(0), this.#acls.dir, CreateMode.PERSISTENT, done),
        );
      } catch (error) {
        if (zkCode(error) !== Exception.NODE_EXISTS) throw error;
      }
    }
  }

  /** Creates a node (parents first); false if it exists. */
  async #createNode(call: Caller, path: string, data: Uint8Array, mode: number): Promise<string | false> {
    const create = () =>
      call<string>((c, done) => c.create(path, Buffer.from(data), this.#acls.data, mode, done));
    try {
      return await create();
    } catch (error) {
      const code = zkCode(error);
      if (code === Exception.NODE_EXISTS) return false;
      if (code !== Exception.NO_NODE) throw error;
    }
    await this.#ensureParents(call, path);
    try {
      return await create();
    } catch (error) {
      if (zkCode(error) === Exception.NODE_EXISTS) return false;
      throw error;
    }
  }

  create(path: string, data: Uint8Array): Promise<void> {
    return this.#run('create', path, async (call) => {
      if (path === '/' || (await this.#createNode(call, path, data, CreateMode.PERSISTENT)) === false) {
        throw new NodeExistsError(this.#context('create', path));
      }
    });
  }

  update(path: string, data: Uint8Array): Promise<void> {
    return this.#run('update', path, async (call) => {
      // Set, or create when missing; another client may delete or create it in between.
      for (let attempt = 0; attempt < 10; attempt++) {
        try {
          await call<Stat>((c, done) => c.setData(path, Buffer.from(data), -1, done));
          return;
        } catch (error) {
          if (zkCode(error) !== Exception.NO_NODE) throw error;
        }
        if ((await this.#createNode(call, path, data, CreateMode.PERSISTENT)) !== false) return;
      }
      throw new CoordinatorOperationError(
        this.#context('update', path),
        'the node keeps appearing and vanishing',
      );
    });
  }

  delete(path: string): Promise<void> {
    return this.#run('delete', path, (call) => this.#deleteTree(call, path));
  }

  /** Deletes children first; a child created meanwhile makes us go round again. */
  async #deleteTree(call: Caller, path: string): Promise<void> {
    for (let attempt = 0; attempt < 10; attempt++) {
      let children: string[];
      try {
        children = await call<string[]>((c, done) => c.getChildren(path, done));
      } catch (error) {
        if (zkCode(error) === Exception.NO_NODE) return;
        throw error;
      }
      for (const name of children) {
        if (path === '/' && name === 'zookeeper') continue;
        await this.#deleteTree(call, childPath(path, name));
      }
      if (path === '/') return;
      try {
        await call<void>((c, done) => c.remove(path, -1, (error) => done(error, undefined)));
        return;
      } catch (error) {
        const code = zkCode(error);
        if (code === Exception.NO_NODE) return;
        if (code !== Exception.NOT_EMPTY) throw error;
      }
    }
    throw new CoordinatorOperationError(this.#context('delete', path), 'children keep appearing');
  }

  read(path: string): Promise<Buffer | undefined> {
    return this.#run('read', path, async (call) => {
      try {
        return (await call<Buffer | undefined>((c, done) => c.getData(path, done))) ?? Buffer.alloc(0);
      } catch (error) {
        if (zkCode(error) === Exception.NO_NODE) return undefined;
        throw error;
      }
    });
  }

  list(path: string): Promise<string[] | undefined> {
    return this.#run('list', path, async (call) => {
      try {
        const children = await call<string[]>((c, done) => c.getChildren(path, done));
        return children.sort().map((name) => childPath(path, name));
      } catch (error) {
        if (zkCode(error) === Exception.NO_NODE) return undefined;
        throw error;
      }
    });
  }

  watch(path: string, listener: WatchListener): Promise<Watch> {
    return this.#run('watch', path, async () => {
      const watch: ZooKeeperWatch = new ZooKeeperWatch(path, listener, {
        look: (onEvent) => this.#look(path, onEvent),
        forget: () => this.#watches.delete(watch),
      });
      await watch.start();
      this.#watches.add(watch);
      return watch;
    });
  }

  /** The node's state, leaving one-shot watches for data, existence and children that call `onEvent`. */
  #look(path: string, onEvent: () => void): Promise<NodeState> {
    return this.#run('watch', path, async (call) => {
      const stat = await call<Stat | undefined>((c, done) => c.exists(path, onEvent, done));
      if (stat === undefined || stat === null) return { exists: false, mzxid: '', pzxid: '', children: 0 };
      try {
        await call<string[]>((c, done) => c.getChildren(path, onEvent, done));
      } catch (error) {
        // Gone in between: the existence watch reports it.
        if (zkCode(error) === Exception.NO_NODE) return { exists: false, mzxid: '', pzxid: '', children: 0 };
        throw error;
      }
      return { exists: true, mzxid: hex(stat.mzxid), pzxid: hex(stat.pzxid), children: stat.numChildren };
    });
  }

  createEphemeral(path: string, data: Uint8Array): Promise<void> {
    return this.#run('create-ephemeral', path, async (call) => {
      if ((await this.#createNode(call, path, data, CreateMode.EPHEMERAL)) === false) {
        throw new NodeExistsError(this.#context('create-ephemeral', path));
      }
    });
  }

  /**
   * An ephemeral sequential child of `dir`, named by ZooKeeper's counter (`dir/seq-0000000003`). Codis
   * left the name to the counter alone, which this client library refuses (a path ending in `/`).
   */
  createEphemeralInOrder(dir: string, data: Uint8Array): Promise<string> {
    return this.#run('create-ephemeral-in-order', dir, async (call) => {
      const prefix = childPath(dir, SEQUENCE_PREFIX);
      const created = await this.#createNode(call, prefix, data, CreateMode.EPHEMERAL_SEQUENTIAL);
      if (created === false)
        throw new CoordinatorOperationError(this.#context('create-ephemeral-in-order', dir));
      return created;
    });
  }

  acquireLock(path: string, data: Uint8Array): Promise<StoreLock> {
    return this.#run('acquire-lock', path, async (call) => {
      if ((await this.#createNode(call, path, data, CreateMode.EPHEMERAL)) === false) {
        const holder = await this.#holder(call, path);
        if (holder === undefined) {
          throw new LockHeldError(this.#context('acquire-lock', path), 'a holder that just left');
        }
        throw new LockHeldError(this.#context('acquire-lock', path), holder.holder, holder.data);
      }
      // The node is ours while its owner is the session that created it.
      const session = this.#sessionId;
      const ours = (stat: Stat | undefined | null): boolean =>
        stat !== undefined && stat !== null && hex(stat.ephemeralOwner) === session;
      const lock: ZooKeeperLock = new ZooKeeperLock(path, {
        release: async () => {
          this.#locks.delete(lock);
          if (this.#closed) return;
          await this.#run('release-lock', path, async (release) => {
            if (!ours(await release<Stat | undefined>((c, done) => c.exists(path, done)))) return;
            try {
              await release<void>((c, done) => c.remove(path, -1, (error) => done(error, undefined)));
            } catch (error) {
              if (zkCode(error) !== Exception.NO_NODE) throw error;
            }
          });
        },
        // `--remove-lock` deletes the node without telling us: keep a watch on it.
        check: (onEvent) =>
          this.#run('lock', path, async (check) =>
            ours(await check<Stat | undefined>((c, done) => c.exists(path, onEvent, done))),
          ),
        lostError: () => new LockLostError(this.#context('lock', path), 'the lock node was removed'),
      });
      this.#locks.add(lock);
      lock.watch();
      return lock;
    });
  }

  async #holder(call: Caller, path: string): Promise<{ holder: string; data: Buffer } | undefined> {
    try {
      let stat: Stat | undefined;
      const data = await call<Buffer>((c, done) =>
        c.getData(path, (error, value, s) => {
          stat = s;
          done(error, value);
        }),
      );
      const owner = stat === undefined ? '0000000000000000' : hex(stat.ephemeralOwner);
      const holder = /^0+$/.test(owner)
        ? 'a persistent node (no session)'
        : `the client of ZooKeeper session 0x${owner}`;
      return { holder, data: data ?? Buffer.alloc(0) };
    } catch (error) {
      if (zkCode(error) === Exception.NO_NODE) return undefined;
      throw error;
    }
  }

  inspectLock(path: string): Promise<LockInfo | undefined> {
    return this.#run('inspect-lock', path, async (call) => {
      const holder = await this.#holder(call, path);
      return holder === undefined
        ? undefined
        : { path, data: holder.data, holder: holder.holder, alive: true };
    });
  }

  forceUnlock(path: string): Promise<boolean> {
    return this.#run('force-unlock', path, async (call) => {
      try {
        await call<void>((c, done) => c.remove(path, -1, (error) => done(error, undefined)));
        return true;
      } catch (error) {
        if (zkCode(error) === Exception.NO_NODE) return false;
        throw error;
      }
    });
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    for (const watch of [...this.#watches]) await watch.close();
    for (const lock of [...this.#locks]) await lock.release().catch(() => undefined);
    // Closing the session removes its ephemeral nodes at once. The library can only close a connected
    // client cleanly, so give a connecting one a moment first.
    if (!this.#connected) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(this.#timeout, 1_000));
        this.#waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    this.#closed = true;
    clearInterval(this.#watchdog);
    this.#wake();
    const client = this.#client;
    if (this.#connected) {
      const closed = new Promise<void>((resolve) => client.once('disconnected', () => resolve()));
      client.close();
      await Promise.race([closed, sleep(this.#timeout)]);
    } else {
      abandon(client);
    }
    this.#connected = false;
  }
}

/**
 * Stops a client that never connected. `close()` would write a close-session request before the
 * connect handshake (and crash when there is no socket yet), so reach into the connection manager:
 * no more reconnection, and a socket still connecting is destroyed as soon as it connects.
 */
function abandon(client: Client): void {
  const manager = internals(client);
  if (manager === undefined) return;
  manager.connect = () => undefined;
  manager.onSocketConnected = function (this: ConnectionManagerInternals) {
    this.socket?.destroy();
  };
  manager.onSocketData = () => undefined;
  clearTimeout(manager.connectTimeoutHandler);
  manager.socket?.destroy();
}

/** The parts of the library's connection manager we have to touch (see `abandon`, `#checkHandshake`). */
interface ConnectionManagerInternals {
  state: number;
  connect: () => void;
  onSocketConnected: (this: ConnectionManagerInternals) => void;
  onSocketData: () => void;
  connectTimeoutHandler?: NodeJS.Timeout;
  socket?: { destroy(): void; connecting?: boolean; destroyed?: boolean };
}

function internals(client: Client): ConnectionManagerInternals | undefined {
  return (client as unknown as { connectionManager?: ConnectionManagerInternals }).connectionManager;
}

type Callback<T> = (error: Error | ZooKeeperException | null, value: T) => void;
/** Sends one request on the connected client. */
type Caller = <T>(fn: (client: Client, done: Callback<T>) => void) => Promise<T>;

interface NodeState {
  readonly exists: boolean;
  readonly mzxid: string;
  readonly pzxid: string;
  readonly children: number;
}

interface ZooKeeperLockOps {
  readonly release: () => Promise<void>;
  readonly check: (onEvent: () => void) => Promise<boolean>;
  readonly lostError: () => LockLostError;
}

class ZooKeeperLock implements StoreLock {
  readonly path: string;
  readonly #ops: ZooKeeperLockOps;
  readonly #controller = new AbortController();
  #released = false;

  constructor(path: string, ops: ZooKeeperLockOps) {
    this.path = path;
    this.#ops = ops;
  }

  get lost(): AbortSignal {
    return this.#controller.signal;
  }

  /** Looks at the node, leaving a watch that looks again on the next event. */
  watch(): void {
    if (this.#released || this.#controller.signal.aborted) return;
    this.#ops
      .check(() => this.watch())
      .then(
        (held) => {
          if (!held) this.lose(this.#ops.lostError());
        },
        // Not connected: the session's fate decides (expiry reports the loss), look again later.
        () => setTimeout(() => this.watch(), 500).unref(),
      );
  }

  lose(reason: LockLostError): void {
    if (this.#released || this.#controller.signal.aborted) return;
    this.#controller.abort(reason);
  }

  async release(): Promise<void> {
    if (this.#released) return;
    this.#released = true;
    await this.#ops.release();
  }
}

interface ZooKeeperWatchOps {
  readonly look: (onEvent: () => void) => Promise<NodeState>;
  readonly forget: () => void;
}

/**
 * ZooKeeper watches fire once: each firing looks at the node again (re-arming the watches) and
 * reports the difference from what it saw before, so changes made between the firing and the new
 * look are not lost, and neither are changes made while our session was being replaced.
 */
class ZooKeeperWatch implements Watch {
  readonly path: string;
  readonly #listener: WatchListener;
  readonly #ops: ZooKeeperWatchOps;
  #last: NodeState = { exists: false, mzxid: '', pzxid: '', children: 0 };
  #generation = 0;
  #closed = false;

  constructor(path: string, listener: WatchListener, ops: ZooKeeperWatchOps) {
    this.path = path;
    this.#listener = listener;
    this.#ops = ops;
  }

  async start(): Promise<void> {
    const generation = ++this.#generation;
    this.#last = await this.#ops.look(() => this.#fired(generation));
  }

  #fired(generation: number): void {
    if (generation === this.#generation) this.rearm();
  }

  /** Looks again; on failure (disconnected) tries again shortly. */
  rearm(): void {
    if (this.#closed) return;
    const generation = ++this.#generation;
    this.#ops
      .look(() => this.#fired(generation))
      .then(
        (now) => {
          if (generation !== this.#generation) return;
          const before = this.#last;
          this.#last = now;
          for (const type of differences(before, now)) this.#emit(type);
        },
        () => {
          if (generation === this.#generation) setTimeout(() => this.rearm(), 250).unref();
        },
      );
  }

  #emit(type: WatchEvent['type']): void {
    if (this.#closed) return;
    try {
      this.#listener({ type, path: this.path });
    } catch {
      // A failing listener must not stop the watch.
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#generation++;
    this.#ops.forget();
  }
}

function differences(before: NodeState, now: NodeState): WatchEvent['type'][] {
  if (!before.exists && now.exists) return now.children > 0 ? ['created', 'children'] : ['created'];
  if (before.exists && !now.exists) return ['deleted'];
  if (!now.exists) return [];
  const types: WatchEvent['type'][] = [];
  if (before.mzxid !== now.mzxid) types.push('changed');
  if (before.pzxid !== now.pzxid) types.push('children');
  return types;
}
