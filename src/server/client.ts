// One client connection: parses its requests from the socket, runs them in order through the
// server, and writes all the replies produced in one event-loop turn with a single socket write.

import type { Socket } from 'node:net';
import type { SharedReadBuffer } from '../common/shared-read.ts';
import { SocketWriter } from '../common/socket-writer.ts';
import { PARSE_COMMAND, PARSE_ERROR, PARSE_INCOMPLETE, ReplyWriter, RequestParser } from '../resp/index.ts';
import type { User } from './acl/index.ts';
import type { Database } from './keyspace/database.ts';
import { overLimit } from './output-limits.ts';
import type { CodisServer } from './server.ts';

/** Redis's order of CLIENT LIST flag letters. */
const FLAG_ORDER = 'OSMPxbtRBdcuAUre';

export type ClientOrigin = 'socket' | 'internal' | 'script' | 'master' | 'aof';
export type ReplyMode = 'on' | 'off' | 'skip';

/** Replies of a pipeline are written out once this many bytes are pending. */
const OUTPUT_FLUSH_BYTES = 64 * 1024;

/** Why a client is not running its next request right now. */
export interface BlockedState {
  /** Keys the client waits on, in the database it had selected. */
  readonly keys: readonly string[];
  readonly database: Database;
  /** The request to run again when a key is ready (a copy: the parser's array is reused). */
  readonly argv: string[];
  /** Absolute ms; 0 = wait forever. */
  readonly deadline: number;
  timer: NodeJS.Timeout | undefined;
  /** Writes the reply for a timeout (null array, or a command-specific reply). */
  readonly onTimeout: (client: Client) => void;
}

export class Client {
  readonly id: number;
  readonly server: CodisServer;
  readonly socket: Socket | undefined;
  /** Writes the replies (undefined without a socket). */
  private readonly writer: SocketWriter | undefined;
  readonly parser: RequestParser;
  readonly out = new ReplyWriter();
  readonly createdAt: number;
  readonly address: string;
  readonly localAddress: string;

  database: Database;
  name = '';
  libraryName = '';
  libraryVersion = '';
  /** Redis's c->authenticated: AUTH succeeded, or `default` needed no password when it connected. */
  authenticated: boolean;
  /** The ACL user its requests run as (internal clients: the unrestricted superuser). */
  user: User;
  replyMode: ReplyMode = 'on';
  lastInteraction: number;
  lastCommandName = 'NULL';
  /** Set while a request waits on keys (BLPOP...). */
  blocked: BlockedState | undefined;
  /** Set while the request is being run again after a key became ready. */
  retryingBlocked = false;
  /** Close once the pending replies are written (QUIT, protocol error, CLIENT KILL). */
  closeAfterReply = false;
  closed = false;
  /** Requests parked by CLIENT PAUSE. */
  paused = false;
  /** Replies are dropped (internal clients: loading, replication streams we apply). */
  readonly silent: boolean;
  /**
   * Who sends the requests: a socket, a script, the master's stream or the AOF being loaded
   * (Redis's mustObeyClient: commands applied as the master or the AOF decided them).
   */
  readonly origin: ClientOrigin;
  /** Flags shown by CLIENT LIST (N = normal, plus more letters as states are added). */
  flags = 'N';
  /** Extra per-feature state, keyed by the feature's name (pub/sub, transactions, monitor...). */
  readonly features = new Map<string, unknown>();
  /** Running totals for CLIENT LIST. */
  commandsProcessed = 0;
  bytesIn = 0;
  bytesOut = 0;

  /**
   * A reader of requests it knows straight from the input bytes (the async migration's restore
   * messages), tried before the generic parser: true when it consumed and ran requests.
   */
  inputFastPath: ((client: Client) => boolean) | undefined = undefined;

  /** Set while the socket's send buffer is full: no more requests run until it drains. */
  outputBlocked = false;
  private flushScheduled = false;
  private readonly flushBound: () => void;
  private readonly onDrainBound: () => void;
  /** Resumes reading after a full read was left for the next turn (see onSharedRead). */
  private readonly resumeReadingBound: () => void;

  constructor(
    server: CodisServer,
    socket: Socket | undefined,
    id: number,
    silent = false,
    origin: ClientOrigin = socket === undefined ? 'internal' : 'socket',
  ) {
    this.server = server;
    this.socket = socket;
    this.writer = socket === undefined ? undefined : new SocketWriter(socket);
    this.id = id;
    this.silent = silent;
    this.origin = origin;
    this.parser = new RequestParser({ maxBulkLength: server.config.getNumber('proto-max-bulk-len') });
    this.parser.deferValues = origin === 'socket';
    this.database = server.databases[0] as Database;
    const acl = server.acl;
    this.user = origin === 'socket' ? acl.defaultUser : acl.superuser;
    this.authenticated = acl.initialAuthenticated();
    acl.syncParser(this);
    this.createdAt = Date.now();
    this.lastInteraction = this.createdAt;
    this.address = socket ? `${socket.remoteAddress}:${socket.remotePort}` : '';
    this.localAddress = socket ? `${socket.localAddress}:${socket.localPort}` : '';
    this.flushBound = () => this.flush();
    this.resumeReadingBound = () => {
      if (!this.closed && !this.outputBlocked) this.socket?.resume();
    };
    this.onDrainBound = () => {
      this.outputBlocked = false;
      if (this.closed || this.blocked !== undefined || this.paused) return;
      this.socket?.resume();
      // Requests that arrived while the replies were stuck run now.
      this.processInput();
    };
    if (socket) {
      socket.setNoDelay(true);
      socket.on('data', (chunk: Buffer) => this.onData(chunk));
      socket.on('drain', this.onDrainBound);
      socket.on('error', () => this.close());
      socket.on('close', () => this.close());
    }
  }

  /**
   * Decodes the values of the request being run that the parser left as bytes (a plain SET's, an
   * MSET's: RequestParser.deferValues). Whatever keeps or reads a request's argv beyond its keys (MULTI's
   * queue, a parked client, MONITOR, the slow log, propagation) calls this first.
   */
  materializeArguments(): void {
    this.parser.materialize();
  }

  /** The index of the selected database. */
  get databaseIndex(): number {
    return this.database.index;
  }

  /**
   * Input read into `shared`, the server's one read buffer for every client (see CodisServer.accept):
   * the requests run at once, and what must wait is copied out before the next read reuses it.
   */
  onSharedRead(shared: SharedReadBuffer, length: number): boolean {
    this.onData(shared.view(length));
    this.parser.detach(shared.memory);
    if (length < shared.bytes.length || this.closed) return true;
    // A full buffer means more is waiting, and libuv would read it within this turn (up to 32
    // reads): a client that sends fast (a migration's restore stream, a long pipeline) would hold
    // the event loop for megabytes of requests while everyone else waits. Like Redis, which reads
    // one buffer per client per event, the rest is read on the next turn. false pauses the socket.
    setImmediate(this.resumeReadingBound);
    return false;
  }

  private onData(chunk: Buffer): void {
    this.bytesIn += chunk.length;
    this.server.stats.netInputBytes += chunk.length;
    this.lastInteraction = this.server.cachedNow;
    this.parser.feed(chunk);
    if (this.parser.pendingBytes > this.server.queryBufferLimit) {
      this.server.log('warning', `closing client ${this.id}: query buffer over client-query-buffer-limit`);
      this.close();
      return;
    }
    this.processInput();
  }

  /** Runs every complete request buffered, until the input is exhausted or the client must wait. */
  processInput(): void {
    const parser = this.parser;
    const server = this.server;
    while (
      !this.closed &&
      this.blocked === undefined &&
      !this.paused &&
      !this.closeAfterReply &&
      !this.outputBlocked
    ) {
      if (this.inputFastPath?.(this)) {
        if (this.out.length >= OUTPUT_FLUSH_BYTES) this.flush();
        continue;
      }
      const result = parser.next();
      if (result === PARSE_INCOMPLETE) break;
      if (result === PARSE_ERROR) {
        this.replyError(`ERR ${parser.error}`);
        this.closeAfterReply = true;
        break;
      }
      if (result === PARSE_COMMAND) {
        server.execute(this, parser.argv);
        if (parser.deferredArgv !== undefined) parser.forgetDeferred();
        // A long pipeline is answered as it goes, so its replies never pile up in memory.
        if (this.out.length >= OUTPUT_FLUSH_BYTES) this.flush();
      }
    }
    this.flush();
  }

  /** Sends the replies produced so far (one write). */
  flush(): void {
    this.flushScheduled = false;
    const socket = this.socket;
    const writer = this.writer;
    if (socket === undefined || writer === undefined || this.closed) {
      this.out.length = 0;
      return;
    }
    if (this.out.length > 0) {
      const bytes = this.out.length;
      this.bytesOut += bytes;
      this.server.stats.netOutputBytes += bytes;
      // A client that does not read its replies stops being read from and served, so it cannot
      // make the server buffer without bound; it resumes on 'drain'.
      const accepted = writer.write(this.out.view());
      // Usually the kernel took every byte at once and the buffer can be reused; if anything is
      // still queued, the queue holds a view of it, so the writer moves to fresh memory.
      const queued = writer.queued;
      if (queued > 0) {
        this.out.release();
        if (this.overOutputLimit(queued)) return;
      }
      if (!accepted) {
        this.outputBlocked = true;
        socket.pause();
      }
    }
    if (this.closeAfterReply) {
      this.closed = true;
      socket.end();
      this.server.removeClient(this);
    }
  }

  /** Since when the soft output limit has been exceeded (ms; 0: it is not). */
  private readonly outputLimitState = { softSince: 0 };

  /**
   * client-output-buffer-limit for normal and pub/sub clients (replicas are the master's to check,
   * without their full sync's payload): a client over its class's limit is closed, as Redis does.
   */
  private overOutputLimit(pending: number): boolean {
    const flags = this.flags;
    if (flags.includes('S') && !flags.includes('O')) return false;
    const limits = this.server.outputLimits;
    const limit = flags.includes('P') ? limits.pubsub : limits.normal;
    if (limit.hard === 0 && limit.soft === 0) return false;
    if (!overLimit(limit, pending, Date.now(), this.outputLimitState)) return false;
    this.server.log(
      'warning',
      `Client ${this.address} scheduled to be closed ASAP for overcoming of output buffer limits.`,
    );
    this.close();
    return true;
  }

  /** Flushes at the end of this turn (for replies produced outside the client's own input). */
  scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(this.flushBound);
  }

  /** An error reply, counted in the error statistics. */
  replyError(message: string): void {
    this.server.recordError(message);
    this.out.error(message);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.server.removeClient(this);
    this.socket?.destroy();
  }

  /** Parks the client until a key it waits on is ready or the deadline passes. */
  block(
    keys: readonly string[],
    argv: string[],
    deadline: number,
    onTimeout: (client: Client) => void,
  ): void {
    this.blocked = {
      keys,
      database: this.database,
      argv: argv.slice(),
      deadline,
      timer: undefined,
      onTimeout,
    };
    this.server.blocking.add(this);
  }

  /**
   * Turns a CLIENT LIST flag letter on or off (P pub/sub, x MULTI, d dirty CAS...), keeping
   * Redis's order of letters and `N` when none is set.
   */
  setFlag(letter: string, on: boolean): void {
    const current = this.flags === 'N' ? '' : this.flags;
    if (current.includes(letter) === on) return;
    let next = '';
    for (const each of FLAG_ORDER) {
      if (each === letter ? on : current.includes(each)) next += each;
    }
    for (const each of current) if (!FLAG_ORDER.includes(each) && each !== letter) next += each;
    this.flags = next === '' ? 'N' : next;
  }

  /** Reply bytes handed to the socket and not yet taken by the kernel (CLIENT LIST omem). */
  get queuedOutput(): number {
    return this.writer?.queued ?? 0;
  }

  /** Output buffer bytes not yet sent. */
  get outputPending(): number {
    return this.queuedOutput + this.out.length;
  }
}
