// Dedicated backend connections: one client's transaction (WATCH … EXEC) or blocking command gets a
// socket of its own, because the shared pipelined connections (backend.ts) carry many sessions'
// requests and a WATCH, a MULTI block or a blocked BLPOP would leak into or stall all of them.
// Connections are pooled per (address, DB) once released clean, so a transaction costs a connect
// only the first time. Each connection asks CLIENT ID during its handshake: a blocked command is
// cancelled from another connection with CLIENT UNBLOCK when its slot moves (blocking.ts).
import { connect, type Socket } from 'node:net';
import { splitAddress } from './backend.ts';
import type { ProxyConfig } from './config/types.ts';
import type { ProxyCore } from './proxy-core.ts';
import { ReplyFramer, type ReplySink } from './reply-framer.ts';
import type { InflightTracker } from './request.ts';
import { encodeRequest } from './request-decoder.ts';

const CONNECT_TIMEOUT = 5000;
/** Idle connections kept per (address, DB); more are closed when released. */
const IDLE_LIMIT = 16;
const CLIENT_ID = encodeRequest(['CLIENT', 'ID']);

/** Whoever holds a dedicated connection gets its replies (in order) and its failure. */
export interface DedicatedOwner {
  onDedicatedReply(connection: DedicatedConnection, raw: Buffer): void;
  onDedicatedFailure(connection: DedicatedConnection, message: string): void;
}

export class DedicatedConnection implements ReplySink {
  readonly addr: string;
  readonly db: number;
  /** Spoke HELLO 3, for a RESP3 session: EXEC's and blocking commands' replies relayed as they are. */
  readonly resp3: boolean;
  owner: DedicatedOwner | null = null;
  /** The backend's id for this connection (CLIENT UNBLOCK); '' when unknown. */
  clientId = '';
  /** AUTH, SELECT and CLIENT ID answered. */
  handshakeDone = false;
  failed = false;
  /** Replies still expected for the owner. */
  expected = 0;
  /** Counted in a slot's in-flight set until the owner's last expected reply arrives. */
  tracker: InflightTracker | null = null;
  private readonly socket: Socket;
  private readonly framer = new ReplyFramer(this);
  /** Replies the connection consumes itself: handshake, and the reset of a released connection. */
  private internal = 0;
  /** Handshake replies still expected (CLIENT ID is the last). */
  private handshake = 0;
  private readonly pool: DedicatedPool;
  private connected = false;
  /** ms without a reply after which a pending request fails (0: none, for blocking commands). */
  private readTimeout = 0;

  constructor(addr: string, db: number, config: ProxyConfig, pool: DedicatedPool, resp3: boolean) {
    this.addr = addr;
    this.db = db;
    this.resp3 = resp3;
    this.pool = pool;
    const { host, port } = splitAddress(addr);
    const socket = connect({ host, port, noDelay: true });
    this.socket = socket;
    socket.setTimeout(CONNECT_TIMEOUT);
    socket.on('connect', () => {
      this.connected = true;
      socket.setTimeout(this.readTimeout);
    });
    socket.on('timeout', () => {
      if (!this.connected) this.fail('backend conn failure, dial timeout');
      else if (this.expected > 0 && this.readTimeout > 0) this.fail('backend conn failure, read timeout');
    });
    socket.on('data', (chunk: Buffer) => {
      try {
        if (!this.framer.feed(chunk)) this.fail(`backend conn failure, ${this.framer.error}`);
      } catch (error) {
        this.fail(`backend conn failure, ${(error as Error).message}`);
      }
    });
    socket.on('error', (error: Error) => this.fail(`backend conn failure, ${error.message}`));
    socket.on('close', () => this.fail('backend conn failure, EOF'));
    // Written before the connection is up: Node queues them, and the replies come first.
    const handshake: Buffer[] = [];
    if (resp3) {
      const hello = ['HELLO', '3'];
      if (config.product_auth !== '') hello.push('AUTH', 'default', config.product_auth);
      handshake.push(encodeRequest(hello));
    } else if (config.product_auth !== '') handshake.push(encodeRequest(['AUTH', config.product_auth]));
    if (db !== 0) handshake.push(encodeRequest(['SELECT', String(db)]));
    handshake.push(CLIENT_ID);
    this.internal = handshake.length;
    this.handshake = handshake.length;
    socket.write(handshake.length === 1 ? CLIENT_ID : Buffer.concat(handshake));
  }

  /**
   * Writes requests whose `replies` replies go to the owner; `timeout` ms without a reply fails
   * them (0 waits forever: a blocking command).
   */
  send(bytes: Buffer, replies: number, timeout: number): void {
    if (this.readTimeout !== timeout) {
      this.readTimeout = timeout;
      if (this.connected) this.socket.setTimeout(timeout);
    }
    if (this.failed) {
      // The slot must not wait for a reply that will never come.
      this.trackerDone();
      // Reported on the next turn: the owner is still setting up its state.
      setImmediate(() => this.owner?.onDedicatedFailure(this, 'backend conn reset'));
      return;
    }
    this.expected += replies;
    this.socket.write(bytes);
  }

  /** Sends `bytes` whose replies the connection swallows (a reset before going idle). */
  sendInternal(bytes: Buffer, replies: number): void {
    this.internal += replies;
    this.socket.write(bytes);
  }

  onReply(raw: Buffer): void {
    if (this.internal > 0) {
      this.internal--;
      if (this.handshake > 0) this.handshakeReply(raw);
      return;
    }
    if (this.expected > 0) this.expected--;
    if (this.expected === 0) this.trackerDone();
    this.owner?.onDedicatedReply(this, raw);
  }

  private handshakeReply(raw: Buffer): void {
    this.handshake--;
    if (this.handshake > 0) {
      // HELLO 3 answers a map.
      if (raw[0] !== 43 && raw[0] !== 37)
        this.fail(`backend conn failure, error resp: ${raw.latin1Slice(1, raw.length - 2)}`);
      return;
    }
    // A backend older than Redis 5 knows no CLIENT ID: the connection still serves, without it.
    if (raw[0] === 58) this.clientId = raw.latin1Slice(1, raw.length - 2);
    this.handshakeDone = true;
  }

  set referenced(on: boolean) {
    if (on) this.socket.ref();
    else this.socket.unref();
  }

  private trackerDone(): void {
    const tracker = this.tracker;
    this.tracker = null;
    tracker?.inflightDone();
  }

  /** Closes the socket; a pending owner is told. */
  fail(message: string): void {
    if (this.failed) return;
    this.failed = true;
    this.socket.destroy();
    this.pool.forget(this);
    this.trackerDone();
    const owner = this.owner;
    this.owner = null;
    // Told even with nothing pending: a connection holding WATCHes lost them.
    this.expected = 0;
    owner?.onDedicatedFailure(this, message);
  }

  close(): void {
    this.owner = null;
    this.expected = 0;
    this.fail('backend conn reset');
  }
}

/** The idle dedicated connections of one proxy. */
export class DedicatedPool {
  private readonly core: ProxyCore;
  private readonly idle = new Map<string, DedicatedConnection[]>();

  constructor(core: ProxyCore) {
    this.core = core;
  }

  acquire(addr: string, db: number, owner: DedicatedOwner, resp3 = false): DedicatedConnection {
    if (this.core.router.closed) this.closeAll();
    const list = this.idle.get(`${resp3 ? '3/' : ''}${db}/${addr}`);
    let connection: DedicatedConnection | undefined;
    while (list !== undefined && list.length > 0) {
      const candidate = list.pop() as DedicatedConnection;
      if (!candidate.failed) {
        connection = candidate;
        break;
      }
    }
    connection ??= new DedicatedConnection(addr, db, this.core.config, this, resp3);
    connection.owner = owner;
    connection.referenced = true;
    return connection;
  }

  /**
   * Gives a connection back. Only a connection with no reply outstanding is kept; `reset` (e.g.
   * UNWATCH) is sent first when its state must be cleared for the next owner.
   */
  release(connection: DedicatedConnection, reset: Buffer | undefined): void {
    connection.owner = null;
    if (connection.failed) return;
    const key = `${connection.resp3 ? '3/' : ''}${connection.db}/${connection.addr}`;
    let list = this.idle.get(key);
    if (list === undefined) {
      list = [];
      this.idle.set(key, list);
    }
    if (connection.expected > 0 || list.length >= IDLE_LIMIT || this.core.router.closed) {
      connection.close();
      return;
    }
    if (reset !== undefined) connection.sendInternal(reset, 1);
    connection.referenced = false;
    list.push(connection);
  }

  forget(connection: DedicatedConnection): void {
    const list = this.idle.get(`${connection.resp3 ? '3/' : ''}${connection.db}/${connection.addr}`);
    const index = list === undefined ? -1 : list.indexOf(connection);
    if (index >= 0) list?.splice(index, 1);
  }

  closeAll(): void {
    const lists = [...this.idle.values()];
    this.idle.clear();
    for (const list of lists) for (const connection of list) connection.close();
  }
}

const pools = new WeakMap<ProxyCore, DedicatedPool>();

/** The pool of a proxy, made on first use. */
export function dedicatedPoolOf(core: ProxyCore): DedicatedPool {
  let pool = pools.get(core);
  if (pool === undefined) {
    pool = new DedicatedPool(core);
    pools.set(core, pool);
  }
  return pool;
}

/** Closes the idle dedicated connections of a closing proxy (those in use close with their session). */
export function closeDedicatedPool(core: ProxyCore): void {
  pools.get(core)?.closeAll();
  pools.delete(core);
}
