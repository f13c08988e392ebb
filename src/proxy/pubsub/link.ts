// One subscriber session's own connection to one master. A connection in subscribe mode can serve
// nothing else, so subscriptions never ride the shared pipelined connections (backend.ts). The
// link holds what the session needs on that master (channels, patterns, shard channels), sends the
// changes as (P|S)(UN)SUBSCRIBE batched once per event-loop turn, hands on only the message,
// pmessage and smessage pushes, and after a failure reconnects with backoff and subscribes
// everything again (messages published while it is down are lost, as for any Redis subscriber).
import { connect, type Socket } from 'node:net';
import { SocketWriter } from '../../common/socket-writer.ts';
import { splitAddress } from '../backend.ts';
import type { ProxyConfig } from '../config/types.ts';
import { type Flushable, scheduleFlush, writeBatch } from '../flush.ts';
import type { ProxyLogger } from '../logger.ts';
import { ReplyFramer, type ReplySink } from '../reply-framer.ts';
import { encodeRequest } from '../request-decoder.ts';
import { FRAME_OTHER, FRAME_PONG, frameKind } from './replies.ts';

const CONNECT_TIMEOUT = 5000;
const RETIRE_TIMEOUT = 5000;
const MAX_BACKOFF = 5000;
/** Names per (UN)SUBSCRIBE command sent to a backend (bounds one request's size). */
const BATCH_NAMES = 1000;
const SUBSCRIBE = ['SUBSCRIBE', 'PSUBSCRIBE', 'SSUBSCRIBE'];
const UNSUBSCRIBE = ['UNSUBSCRIBE', 'PUNSUBSCRIBE', 'SUNSUBSCRIBE'];
/** Operation codes: 0..2 subscribe a kind, 3..5 unsubscribe it, 6 PING (a sync point). */
const OP_UNSUBSCRIBE = 3;
const OP_PING = 6;
const PING = encodeRequest(['PING']);
/** The keepalive's sync: nobody waits for it. */
const KEEPALIVE: SyncWaiter = { linkSynced() {} };

/** Receives the pushes of a link. */
export interface LinkListener {
  /** A push of `kind` (a view of the socket's input: copy it to keep it past this turn). */
  onPush(raw: Buffer, kind: number): void;
}

/** Told once the backend has processed every change queued on the link before the sync. */
export interface SyncWaiter {
  linkSynced(): void;
}

export class SubscriberLink implements ReplySink, Flushable {
  readonly addr: string;
  flushQueued = false;
  /** By kind: the names this link must hold subscribed. */
  readonly subscribed: [Set<string>, Set<string>, Set<string>] = [new Set(), new Set(), new Set()];
  private readonly config: ProxyConfig;
  private readonly logger: ProxyLogger;
  private readonly listener: LinkListener;
  private socket: Socket | undefined;
  private writer: SocketWriter | undefined;
  private readonly framer = new ReplyFramer(this);
  private connected = false;
  private closed = false;
  private handshakeLeft = 0;
  private failures = 0;
  private retryTimer: NodeJS.Timeout | undefined;
  private retireTimer: NodeJS.Timeout | undefined;
  /** Changes not yet written, in order. */
  private opCodes: number[] = [];
  private opNames: string[] = [];
  /** Waiters whose PING is written, in order, and when each PING was queued (performance.now()). */
  private syncs: SyncWaiter[] = [];
  private syncTimes: number[] = [];
  /** Waiters that arrived while the link was not connected. */
  private pendingSyncs: SyncWaiter[] = [];

  constructor(addr: string, config: ProxyConfig, logger: ProxyLogger, listener: LinkListener) {
    this.addr = addr;
    this.config = config;
    this.logger = logger;
    this.listener = listener;
    this.connect();
  }

  get empty(): boolean {
    const [channels, patterns, shards] = this.subscribed;
    return channels.size === 0 && patterns.size === 0 && shards.size === 0;
  }

  subscribe(kind: number, name: string): void {
    const set = this.subscribed[kind] as Set<string>;
    if (set.has(name)) return;
    set.add(name);
    if (this.connected) this.queue(kind, name);
  }

  /** False when the link did not hold the name. */
  unsubscribe(kind: number, name: string): boolean {
    const set = this.subscribed[kind] as Set<string>;
    if (!set.delete(name)) return false;
    if (this.connected) this.queue(OP_UNSUBSCRIBE + kind, name);
    return true;
  }

  /**
   * `waiter` is told once the changes queued so far are in effect, at once when the link is closed
   * or its master is down (waiting for it would hang the client), or when the link fails.
   */
  sync(waiter: SyncWaiter): void {
    if (this.closed || (!this.connected && this.failures > 0)) waiter.linkSynced();
    else if (!this.connected) this.pendingSyncs.push(waiter);
    else {
      this.syncs.push(waiter);
      this.syncTimes.push(performance.now());
      this.queue(OP_PING, '');
    }
  }

  /**
   * The keepalive tick: a PING when none is outstanding; a master that has left one unanswered for
   * longer than `timeout` ms is dropped and reconnected, so a silent master costs neither a hang
   * (a SUBSCRIBE waiting for its confirmation) nor messages for ever.
   */
  keepalive(now: number, timeout: number): void {
    if (!this.connected) return;
    const oldest = this.syncTimes[0];
    if (oldest === undefined) this.sync(KEEPALIVE);
    else if (timeout > 0 && now - oldest > timeout) this.fail('backend conn failure, read timeout');
  }

  /**
   * Closes the link once the backend has processed what was queued (its last unsubscribes), so
   * that a PUBLISH answered after the client's confirmation no longer counts this session; at the
   * latest after RETIRE_TIMEOUT (a master that never answers).
   */
  retire(): void {
    if (this.closed || this.retireTimer !== undefined) return;
    this.retireTimer = setTimeout(() => this.close(), RETIRE_TIMEOUT);
    this.retireTimer.unref();
    this.sync({ linkSynced: () => this.close() });
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.retireTimer !== undefined) clearTimeout(this.retireTimer);
    this.retireTimer = undefined;
    this.connected = false;
    if (this.retryTimer !== undefined) clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    this.socket?.destroy();
    this.socket = undefined;
    this.opCodes = [];
    this.opNames = [];
    this.releaseSyncs();
  }

  private queue(code: number, name: string): void {
    this.opCodes.push(code);
    this.opNames.push(name);
    scheduleFlush(this);
  }

  flush(): void {
    const writer = this.socket === undefined ? undefined : this.writer;
    const codes = this.opCodes;
    const names = this.opNames;
    if (writer === undefined || !this.connected || codes.length === 0) return;
    this.opCodes = [];
    this.opNames = [];
    const parts: Buffer[] = [];
    let bytes = 0;
    let i = 0;
    // Consecutive changes of one kind go out as one command, in the order they were made.
    while (i < codes.length) {
      const code = codes[i] as number;
      let part: Buffer;
      if (code === OP_PING) {
        part = PING;
        i++;
      } else {
        const argv = [
          code < OP_UNSUBSCRIBE ? (SUBSCRIBE[code] as string) : (UNSUBSCRIBE[code - 3] as string),
        ];
        while (i < codes.length && codes[i] === code && argv.length <= BATCH_NAMES)
          argv.push(names[i++] as string);
        part = encodeRequest(argv);
      }
      parts.push(part);
      bytes += part.length;
    }
    writeBatch(writer, parts, bytes);
  }

  private connect(): void {
    this.retryTimer = undefined;
    if (this.closed) return;
    const { host, port } = splitAddress(this.addr);
    let socket: Socket;
    try {
      socket = connect({ host, port, noDelay: true });
    } catch (error) {
      this.fail(`backend conn failure, ${(error as Error).message}`);
      return;
    }
    this.socket = socket;
    this.writer = new SocketWriter(socket);
    socket.setTimeout(CONNECT_TIMEOUT);
    socket.on('connect', () => {
      if (this.socket !== socket) return;
      // A subscriber connection is idle between messages: no read timeout.
      socket.setTimeout(0);
      if (this.config.backend_keepalive_period > 0) {
        socket.setKeepAlive(true, this.config.backend_keepalive_period);
      }
      if (this.config.product_auth === '') this.ready();
      else {
        this.handshakeLeft = 1;
        socket.write(encodeRequest(['AUTH', this.config.product_auth]));
      }
    });
    socket.on('data', (chunk: Buffer) => {
      if (this.socket !== socket) return;
      try {
        if (!this.framer.feed(chunk)) this.fail(`backend conn failure, ${this.framer.error}`);
      } catch (error) {
        // A bug must cost this link (it reconnects), not the process.
        this.fail(`backend conn failure, ${(error as Error).message}`);
      }
    });
    socket.on('timeout', () => {
      if (this.socket === socket) this.fail('backend conn failure, dial timeout');
    });
    socket.on('error', (error: Error) => {
      if (this.socket === socket) this.fail(`backend conn failure, ${error.message}`);
    });
    socket.on('close', () => {
      if (this.socket === socket) this.fail('backend conn failure, EOF');
    });
  }

  /** Connected (and authenticated): everything the link holds is subscribed again. */
  private ready(): void {
    if (this.failures > 0) this.logger.info(`pubsub conn [${this.addr}]: connected again`);
    this.connected = true;
    this.failures = 0;
    this.opCodes = [];
    this.opNames = [];
    for (let kind = 0; kind < 3; kind++) {
      for (const name of this.subscribed[kind] as Set<string>) this.queue(kind, name);
    }
    const pending = this.pendingSyncs;
    this.pendingSyncs = [];
    for (const waiter of pending) this.sync(waiter);
  }

  onReply(raw: Buffer): void {
    if (this.handshakeLeft > 0) {
      this.handshakeLeft = 0;
      if (raw[0] === 43) this.ready();
      else this.fail(`backend conn failure, error resp: ${raw.latin1Slice(1, raw.length - 2)}`);
      return;
    }
    const kind = frameKind(raw);
    if (kind === FRAME_OTHER) return;
    if (kind === FRAME_PONG) {
      this.syncTimes.shift();
      this.syncs.shift()?.linkSynced();
    } else this.listener.onPush(raw, kind);
  }

  private fail(message: string): void {
    const socket = this.socket;
    this.socket = undefined;
    socket?.destroy();
    if (this.closed) return;
    this.connected = false;
    this.framer.reset();
    this.handshakeLeft = 0;
    this.opCodes = [];
    this.opNames = [];
    // Nobody waits on a master that is down: the subscriptions are restored when it is back.
    this.releaseSyncs();
    if (this.failures === 0) this.logger.warn(`pubsub conn [${this.addr}]: ${message}`);
    this.failures++;
    const delay = this.failures <= 2 ? 0 : Math.min(MAX_BACKOFF, 25 * 2 ** Math.min(this.failures, 8));
    this.retryTimer = setTimeout(() => this.connect(), delay);
  }

  private releaseSyncs(): void {
    const waiters = [...this.syncs, ...this.pendingSyncs];
    this.syncs = [];
    this.syncTimes = [];
    this.pendingSyncs = [];
    for (const waiter of waiters) waiter.linkSynced();
  }
}
