// Backend connections (spec/proxy.md §7): one socket per (address, DB, parallel index), pipelining
// requests and matching replies FIFO. Requests are written as the client sent them; replies are
// handed back as raw bytes. A failed connection fails its requests with Codis's texts and
// reconnects with backoff; while it waits, new requests fail at once instead of queueing. RESP3
// sessions have a second set of connections, made on first use, that spoke HELLO 3.
import { connect, type Socket } from 'node:net';
import { SocketWriter } from '../common/socket-writer.ts';
import { isReadOnly } from './command-table.ts';
import type { ProxyConfig } from './config/types.ts';
import {
  busyTurn,
  type Flushable,
  noteSender,
  scheduleFlush,
  type TurnSender,
  turnTime,
  writeBatch,
} from './flush.ts';
import type { ProxyLogger } from './logger.ts';
import { typeName } from './merge.ts';
import { ReplyFramer, type ReplySink } from './reply-framer.ts';
import { KIND_KEEPALIVE, type Request } from './request.ts';
import { encodeRequest } from './request-decoder.ts';

export const STATE_DISCONNECTED = 0;
export const STATE_CONNECTING = 1;
export const STATE_CONNECTED = 2;
/** Connected, but the server answered MASTERDOWN or LOADING: skipped for replica reads (§7.5). */
export const STATE_DATA_STALE = 3;
export const STATE_CLOSED = 4;

const CONNECT_TIMEOUT = 5000;
/**
 * A batch of fewer requests and bytes may wait for more in a busy proxy (flush). Bigger requests
 * (an MSET's part) cost the backend little per request beyond their bytes: waiting for them only
 * spent the proxy's CPU.
 */
const HOLD_BELOW = 16;
const HOLD_BYTES = 16 * 1024;
/** The read timeout is checked this many times per backend_recv_timeout (it fires within 1.25×). */
const READ_CHECKS = 4;
const MAX_BACKOFF = 5000;
/** Every backend socket reads into this buffer; nothing refers to it once a read is framed. */
const READ_BUFFER = Buffer.allocUnsafeSlow(64 * 1024);

export function splitAddress(addr: string): { host: string; port: number } {
  const colon = addr.lastIndexOf(':');
  let host = colon < 0 ? addr : addr.slice(0, colon);
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
  return { host: host === '' ? '127.0.0.1' : host, port: Number(addr.slice(colon + 1)) };
}

const PING = encodeRequest(['PING']);
const INFO = encodeRequest(['INFO']);

export class BackendConnection implements ReplySink, Flushable {
  readonly addr: string;
  readonly db: number;
  /** Spoke HELLO 3: carries RESP3 sessions' requests, its replies relayed to them as they are. */
  readonly resp3: boolean;
  state = STATE_DISCONNECTED;
  flushQueued = false;
  /** Requests of the batch waiting in flush (0: none waits), since when, and when it last grew. */
  private heldSize = 0;
  private heldSince = 0;
  private heldGrewAt = 0;
  private readonly config: ProxyConfig;
  private socket: Socket | undefined;
  private writer: SocketWriter | undefined;
  private readonly framer = new ReplyFramer(this);
  /** Requests written (or to be written this turn), awaiting replies in order. */
  private fifo: Request[] = [];
  private fifoHead = 0;
  /**
   * Requests that arrived while connecting, or while `backend_max_pipeline` requests were in
   * flight (§7.3: they wait in the proxy, in order, and are written as replies come back).
   */
  private waiting: Request[] = [];
  private waitingHead = 0;
  private out: Buffer[] = [];
  private outBytes = 0;
  private handshakeLeft = 0;
  private failures = 0;
  private retryTimer: NodeJS.Timeout | undefined;
  /**
   * The read timeout once connected (§7.4: no reply for backend_recv_timeout while requests are in
   * flight). Checked by a coarse interval instead of the socket's own timeout, which re-arms a
   * timer on every read and write.
   */
  private readTimer: NodeJS.Timeout | undefined;
  private replies = 0;
  private repliesAtCheck = 0;
  private stalledChecks = 0;

  private readonly logger: ProxyLogger;

  constructor(addr: string, db: number, config: ProxyConfig, logger: ProxyLogger, resp3 = false) {
    this.addr = addr;
    this.db = db;
    this.resp3 = resp3;
    this.config = config;
    this.logger = logger;
    this.connect();
  }

  /** Requests queued and not yet answered. */
  get pending(): number {
    return this.fifo.length - this.fifoHead + this.waiting.length - this.waitingHead;
  }

  /** Requests written and not yet answered (at most `backend_max_pipeline`). */
  get inflight(): number {
    return this.fifo.length - this.fifoHead;
  }

  /** Codis's in-flight channel of capacity 0 still lets one request through at a time. */
  private get maxPipeline(): number {
    return this.config.backend_max_pipeline > 0 ? this.config.backend_max_pipeline : 1;
  }

  get usable(): boolean {
    return this.state === STATE_CONNECTED;
  }

  send(request: Request): void {
    const state = this.state;
    if (state === STATE_CONNECTED || state === STATE_DATA_STALE) {
      if (this.waiting.length === 0 && this.fifo.length - this.fifoHead < this.maxPipeline)
        this.write(request);
      else this.waiting.push(request);
    } else if (state === STATE_CONNECTING) {
      this.waiting.push(request);
    } else {
      failRequest(request, 'backend conn reset');
    }
  }

  private write(request: Request): void {
    const owner = request.owner;
    if (owner?.broken && request.info !== undefined && isReadOnly(request.info.flags)) {
      failRequest(request, 'request is broken');
      return;
    }
    let raw = request.raw;
    if (raw === undefined) {
      raw = encodeRequest(request.argv);
      request.raw = raw;
    }
    this.fifo.push(request);
    this.out.push(raw);
    this.outBytes += raw.length;
    if (owner !== null && owner.sentInWindow !== undefined) noteSender(owner as TurnSender);
    scheduleFlush(this);
  }

  flush(): void {
    const writer = this.writer;
    if (this.outBytes === 0 || writer === undefined) return;
    // In a busy proxy a small batch waits, turn after turn, while requests for this backend keep
    // coming (none for half of backend_batch_wait ends it), up to backend_batch_wait: the backend
    // then reads them all at once. A backend sharing its CPU with others spent half the CPU per
    // request on batches twice as big, and left that CPU to the rest (bench/RESULTS.md, session 17).
    const batch = this.out.length;
    const wait = this.config.backend_batch_wait;
    if (batch < HOLD_BELOW && this.outBytes < HOLD_BYTES && wait > 0 && busyTurn()) {
      const now = turnTime();
      if (this.heldSize === 0) {
        this.heldSince = now;
        this.heldGrewAt = now;
      } else if (batch !== this.heldSize) this.heldGrewAt = now;
      this.heldSize = batch;
      if (now - this.heldSince < wait && (now - this.heldGrewAt) * 2 < wait) {
        scheduleFlush(this);
        return;
      }
    }
    this.heldSize = 0;
    writeBatch(writer, this.out, this.outBytes);
    this.out = [];
    this.outBytes = 0;
  }

  /** The keepalive tick (§7.5): PING, or INFO to leave the DataStale state. */
  keepalive(owner: Request['owner'], makeRequest: () => Request): void {
    if (this.pending > 0) return;
    if (this.state !== STATE_CONNECTED && this.state !== STATE_DATA_STALE) return;
    const request = makeRequest();
    request.kind = KIND_KEEPALIVE;
    request.owner = owner;
    request.raw = this.state === STATE_DATA_STALE ? INFO : PING;
    this.write(request);
  }

  close(): void {
    if (this.state === STATE_CLOSED) return;
    this.fail('backend conn reset', false);
    this.state = STATE_CLOSED;
    if (this.retryTimer !== undefined) clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
  }

  private connect(): void {
    this.retryTimer = undefined;
    if (this.state === STATE_CLOSED) return;
    this.state = STATE_CONNECTING;
    const { host, port } = splitAddress(this.addr);
    let socket: Socket;
    try {
      socket = connect({
        host,
        port,
        noDelay: true,
        // Read into one shared buffer, copied once per read into a buffer of the read's size (from
        // Node's pool when small): no 64 KB allocation per read and no Readable stream between the
        // socket and the framer. The framer's replies are views of that copy.
        onread: {
          buffer: READ_BUFFER,
          callback: (bytes: number, buffer: Uint8Array) => this.onRead(socket, bytes, buffer),
        },
      });
    } catch (error) {
      // A malformed address (bad port): fails like an unreachable backend, with backoff.
      this.fail(`backend conn failure, ${(error as Error).message}`, true);
      return;
    }
    this.socket = socket;
    this.writer = new SocketWriter(socket);
    socket.setTimeout(CONNECT_TIMEOUT);
    socket.on('connect', () => {
      if (this.socket !== socket) return;
      socket.setTimeout(this.config.backend_recv_timeout);
      if (this.config.backend_keepalive_period > 0) {
        socket.setKeepAlive(true, this.config.backend_keepalive_period);
      }
      const handshake: string[][] = [];
      if (this.resp3) {
        const hello = ['HELLO', '3'];
        if (this.config.product_auth !== '') hello.push('AUTH', 'default', this.config.product_auth);
        handshake.push(hello);
      } else if (this.config.product_auth !== '') handshake.push(['AUTH', this.config.product_auth]);
      if (this.db !== 0) handshake.push(['SELECT', String(this.db)]);
      this.handshakeLeft = handshake.length;
      if (handshake.length === 0) this.connected();
      else socket.write(Buffer.concat(handshake.map(encodeRequest)));
    });
    socket.on('timeout', () => {
      if (this.socket !== socket) return;
      if (this.state === STATE_CONNECTING) this.fail('backend conn failure, dial timeout', true);
      else if (this.fifo.length > this.fifoHead) this.fail('backend conn failure, read timeout', true);
    });
    socket.on('error', (error: Error) => {
      if (this.socket === socket) this.fail(`backend conn failure, ${error.message}`, true);
    });
    socket.on('close', () => {
      if (this.socket === socket) this.fail('backend conn failure, EOF', true);
    });
  }

  /** Always true: a backend connection is never paused (its replies are all awaited). */
  private onRead(socket: Socket, bytes: number, buffer: Uint8Array): boolean {
    if (this.socket !== socket) return true;
    try {
      const chunk = Buffer.allocUnsafe(bytes);
      (buffer as Buffer).copy(chunk, 0, 0, bytes);
      if (!this.framer.feed(chunk)) this.fail(`backend conn failure, ${this.framer.error}`, true);
    } catch (error) {
      // A bug must cost this connection's requests, not the process.
      this.fail(`backend conn failure, ${(error as Error).message}`, true);
    }
    return true;
  }

  private connected(): void {
    if (this.failures > 0) this.logger.info(`backend conn [${this.addr}] db=${this.db}: connected again`);
    this.state = STATE_CONNECTED;
    this.failures = 0;
    const timeout = this.config.backend_recv_timeout;
    this.socket?.setTimeout(0);
    if (timeout > 0) {
      this.stalledChecks = 0;
      this.readTimer = setInterval(() => this.checkReads(), Math.max(1, timeout / READ_CHECKS));
      this.readTimer.unref();
    }
    this.writeWaiting();
  }

  /** Fails the connection when no reply came for READ_CHECKS + 1 checks with requests in flight. */
  private checkReads(): void {
    if (this.fifo.length === this.fifoHead || this.replies !== this.repliesAtCheck) this.stalledChecks = 0;
    else if (++this.stalledChecks > READ_CHECKS) {
      this.fail('backend conn failure, read timeout', true);
      return;
    }
    this.repliesAtCheck = this.replies;
  }

  /** Writes waiting requests while the in-flight limit allows, in arrival order. */
  private writeWaiting(): void {
    const limit = this.maxPipeline;
    while (this.waitingHead < this.waiting.length && this.fifo.length - this.fifoHead < limit) {
      const request = this.waiting[this.waitingHead] as Request;
      this.waiting[this.waitingHead] = undefined as unknown as Request;
      this.waitingHead++;
      this.write(request);
    }
    if (this.waitingHead === this.waiting.length) {
      this.waiting.length = 0;
      this.waitingHead = 0;
    } else if (this.waitingHead >= 1024 && this.waitingHead * 2 >= this.waiting.length) {
      this.waiting = this.waiting.slice(this.waitingHead);
      this.waitingHead = 0;
    }
  }

  onReply(raw: Buffer): void {
    if (this.handshakeLeft > 0) {
      this.handshakeLeft--;
      // HELLO 3 answers a map.
      if (raw[0] !== 43 && raw[0] !== 37) {
        const text =
          raw[0] === 45 ? raw.latin1Slice(1, raw.length - 2) : `should be string, but got ${typeName(raw)}`;
        this.fail(`backend conn failure, error resp: ${text}`, true);
        return;
      }
      if (this.handshakeLeft === 0) this.connected();
      return;
    }
    // An out-of-band RESP3 push answers no request (the commands that cause them, such as CLIENT
    // TRACKING, are refused on shared connections, so none is expected).
    if (raw[0] === 62) return;
    const request = this.fifo[this.fifoHead];
    if (request === undefined) return;
    this.replies++;
    this.fifo[this.fifoHead] = undefined as unknown as Request;
    this.fifoHead++;
    if (this.fifoHead === this.fifo.length) {
      this.fifo.length = 0;
      this.fifoHead = 0;
    } else if (this.fifoHead >= 1024 && this.fifoHead * 2 >= this.fifo.length) {
      this.fifo = this.fifo.slice(this.fifoHead);
      this.fifoHead = 0;
    }
    if (this.waiting.length > 0) this.writeWaiting();
    if (raw[0] === 45) this.checkStale(raw);
    if (request.kind === KIND_KEEPALIVE) {
      if (this.state === STATE_DATA_STALE && (raw[0] === 36 || raw[0] === 61)) this.checkInfo(raw);
      return;
    }
    const tracker = request.tracker;
    request.tracker = null;
    request.owner?.onBackendReply(request, raw);
    tracker?.inflightDone();
  }

  private checkStale(raw: Buffer): void {
    if (this.state !== STATE_CONNECTED) return;
    const text = raw.latin1Slice(1, Math.min(raw.length, 12));
    if (text.startsWith('MASTERDOWN') || text.startsWith('LOADING')) {
      this.state = STATE_DATA_STALE;
      this.logger.warn(`backend conn [${this.addr}] db=${this.db}: state = DataStale, caused by '${text}'`);
    }
  }

  private checkInfo(raw: Buffer): void {
    const text = raw.latin1Slice();
    if (/\r\nmaster_link_status:down\r\n/.test(text) || /\r\nloading:1\r\n/.test(text)) return;
    this.state = STATE_CONNECTED;
    this.logger.info(`backend conn [${this.addr}] db=${this.db}: state = Connected (keepalive)`);
  }

  /** Ends the connection round: the request being answered gets `first`, the others a reset. */
  private fail(first: string, reconnect: boolean): void {
    const socket = this.socket;
    this.socket = undefined;
    this.writer = undefined;
    if (socket !== undefined) socket.destroy();
    if (this.readTimer !== undefined) clearInterval(this.readTimer);
    this.readTimer = undefined;
    if (this.state === STATE_CLOSED) return;
    this.state = STATE_DISCONNECTED;
    this.framer.reset();
    this.handshakeLeft = 0;
    this.out = [];
    this.outBytes = 0;
    this.heldSize = 0;
    const fifo = this.fifo;
    const head = this.fifoHead;
    const waiting = this.waiting;
    const waitingHead = this.waitingHead;
    this.fifo = [];
    this.fifoHead = 0;
    this.waiting = [];
    this.waitingHead = 0;
    let firstDone = false;
    for (let i = head; i < fifo.length; i++) {
      const request = fifo[i] as Request;
      if (request.kind === KIND_KEEPALIVE) continue;
      failRequest(request, firstDone ? 'backend conn reset' : first);
      firstDone = true;
    }
    for (let i = waitingHead; i < waiting.length; i++)
      failRequest(waiting[i] as Request, 'backend conn reset');
    if (!reconnect) return;
    // Logged once per outage, not for every attempt of the reconnect loop.
    if (this.failures === 0) this.logger.warn(`backend conn [${this.addr}] db=${this.db}: ${first}`);
    this.failures++;
    if (this.failures <= 10) {
      this.retryTimer = setTimeout(() => this.connect(), 0);
    } else {
      const delay = Math.min(MAX_BACKOFF, 50 * 2 ** Math.min(this.failures - 11, 7));
      this.retryTimer = setTimeout(() => this.connect(), delay);
    }
  }
}

function failRequest(request: Request, message: string): void {
  const tracker = request.tracker;
  request.tracker = null;
  request.owner?.onBackendFailure(request, message);
  tracker?.inflightDone();
}

/** Every connection of one backend address: `backend_number_databases × parallel` (§7.1). */
export class SharedBackend {
  readonly addr: string;
  refs = 0;
  /** connections[db][index] */
  readonly connections: BackendConnection[][];
  /** The same for RESP3 sessions (HELLO 3 connections), made when the first one needs them. */
  connections3: BackendConnection[][] | null = null;
  private readonly parallel: number;
  private readonly config: ProxyConfig;
  private readonly logger: ProxyLogger;

  constructor(addr: string, parallel: number, config: ProxyConfig, logger: ProxyLogger) {
    this.addr = addr;
    this.parallel = parallel;
    this.config = config;
    this.logger = logger;
    this.connections = [];
    for (let db = 0; db < config.backend_number_databases; db++) {
      const list: BackendConnection[] = [];
      for (let i = 0; i < parallel; i++) list.push(new BackendConnection(addr, db, config, logger));
      this.connections.push(list);
    }
  }

  /** §7.6: a Connected connection for the DB, or with `must` the first one regardless. */
  pick(db: number, seed: number, must: boolean): BackendConnection | undefined {
    return this.pickFrom(this.connections, db, seed, must);
  }

  /** pick() among the RESP3 connections, for a session that spoke HELLO 3. */
  pick3(db: number, seed: number, must: boolean): BackendConnection | undefined {
    let connections = this.connections3;
    if (connections === null) {
      connections = [];
      for (let index = 0; index < this.config.backend_number_databases; index++) {
        const list: BackendConnection[] = [];
        for (let i = 0; i < this.parallel; i++)
          list.push(new BackendConnection(this.addr, index, this.config, this.logger, true));
        connections.push(list);
      }
      this.connections3 = connections;
      // Just made and still connecting: with `must` the request waits for the handshake; else
      // (a replica read) it goes elsewhere, as with a RESP2 connection not connected yet.
      const list = connections[db];
      return list === undefined || !must ? undefined : list[seed % list.length];
    }
    return this.pickFrom(connections, db, seed, must);
  }

  private pickFrom(
    connections: BackendConnection[][],
    db: number,
    seed: number,
    must: boolean,
  ): BackendConnection | undefined {
    const list = connections[db];
    if (list === undefined) return undefined;
    const n = list.length;
    if (n === 1) {
      const only = list[0] as BackendConnection;
      return must || only.usable ? only : undefined;
    }
    for (let i = 0; i < n; i++) {
      const connection = list[(seed + 1 + i) % n] as BackendConnection;
      if (connection.usable) return connection;
    }
    return must ? list[0] : undefined;
  }

  close(): void {
    for (const list of this.connections) for (const connection of list) connection.close();
    if (this.connections3 !== null)
      for (const list of this.connections3) for (const connection of list) connection.close();
  }
}

/** Shared backends by address, reference counted by the slots using them. */
export class BackendPool {
  readonly backends = new Map<string, SharedBackend>();
  private readonly parallel: number;
  private readonly config: ProxyConfig;

  private readonly logger: ProxyLogger;

  constructor(parallel: number, config: ProxyConfig, logger: ProxyLogger) {
    this.parallel = Math.max(1, parallel);
    this.config = config;
    this.logger = logger;
  }

  retain(addr: string): SharedBackend {
    let backend = this.backends.get(addr);
    if (backend === undefined) {
      backend = new SharedBackend(addr, this.parallel, this.config, this.logger);
      this.backends.set(addr, backend);
    }
    backend.refs++;
    return backend;
  }

  release(backend: SharedBackend): void {
    backend.refs--;
    if (backend.refs <= 0 && this.backends.get(backend.addr) === backend) {
      this.backends.delete(backend.addr);
      backend.close();
    }
  }

  close(): void {
    for (const backend of this.backends.values()) backend.close();
    this.backends.clear();
  }
}
