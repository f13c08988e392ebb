// A client connection (spec/proxy.md §2, §4, §5): decodes requests, answers the local ones,
// routes the others through their slot, and writes replies strictly in request order, batched
// once per event-loop turn. Dispatch is in order too: a request that must wait (locked slot,
// migration step) holds back the requests behind it, as in Codis, but a locked slot is waited for
// at most `slotWaitTimeout` ms (Codis waits forever). A session that spoke HELLO 3 sends its
// requests through backend connections that spoke HELLO 3 too, so every forwarded reply is
// relayed unchanged in RESP3 and only the replies the proxy composes need a RESP3 form.
import type { Socket } from 'node:net';
import { SocketWriter } from '../common/socket-writer.ts';
import { REDIS_COMPATIBLE_VERSION } from '../server/version.ts';
import { slotOf, slotOfBytes } from '../slots/index.ts';
import type { BackendConnection, SharedBackend } from './backend.ts';
import { BlockingCommand } from './blocking.ts';
import {
  type CommandInfo,
  FLAG_NOT_ALLOWED,
  FLAG_PUBSUB,
  isMasterOnly,
  lookupCommand,
  SPECIAL_AUTH,
  SPECIAL_BLOCKING,
  SPECIAL_DBSIZE,
  SPECIAL_EVALSHA,
  SPECIAL_FUNCTION,
  SPECIAL_HELLO,
  SPECIAL_INFO,
  SPECIAL_KEYS,
  SPECIAL_MGET,
  SPECIAL_MSET,
  SPECIAL_NONE,
  SPECIAL_PING,
  SPECIAL_QUIT,
  SPECIAL_RANDOMKEY,
  SPECIAL_SCAN,
  SPECIAL_SCRIPT,
  SPECIAL_SELECT,
  SPECIAL_SLOTSINFO,
  SPECIAL_SLOTSMAPPING,
  SPECIAL_SLOTSSCAN,
  SPECIAL_STREAM_READ,
  SPECIAL_SUM,
  SPECIAL_TRANSACTION,
} from './command-table.ts';
import { dedicatedCommandEnabled, type ExclusiveStep } from './exclusive.ts';
import { type Flushable, scheduleFlush, slabBuffer, type TurnSender, writeBatch } from './flush.ts';
import { extensionEnabled, keyspaceCommand } from './keyspace.ts';
import { arrayElements, integerReply, lineText, typeName, valueLength } from './merge.ts';
import type { ProxyCore } from './proxy-core.ts';
import { pubsubHubOf } from './pubsub/hub.ts';
import type { PubSubClient, Subscriber } from './pubsub/subscriber.ts';
import {
  errorReply,
  type InflightTracker,
  KIND_CLIENT,
  KIND_MIGRATE,
  KIND_SUB,
  OK_REPLY,
  Request,
  type RequestOwner,
} from './request.ts';
import { DECODE_EMPTY, DECODE_ERROR, DECODE_INCOMPLETE, RequestDecoder } from './request-decoder.ts';
import type { Slot, SlotWaiter } from './router.ts';
import {
  CROSS_SLOT,
  hashKeyOf,
  otherTagKeys,
  routedByFirstArgument,
  streamRead,
  streamReadKey,
} from './routing-keys.ts';
import { functionCommand, loadOnSource, retryWithBody, scriptCommand } from './scripts.ts';
import type { CommandStats } from './stats.ts';
import { Transaction } from './transaction.ts';

const DISPATCHED = 0;
const WAIT_LOCK = 1;
const WAIT_MIGRATE = 2;

const NOAUTH = errorReply('NOAUTH Authentication required');
const CROSSSLOT = errorReply("CROSSSLOT Keys in request don't hash to the same slot");
const TRYAGAIN = errorReply('TRYAGAIN Multiple keys request during rehashing of slot');
/** Pause reading a client whose unsent replies exceed this (backpressure). */
const OUTPUT_HIGH_WATER = 16 * 1024 * 1024;
const POOL_SIZE = 1024;
/** Bytes read ahead from a client whose session waits for a blocking command. */
const EXCLUSIVE_READ_LIMIT = 1024 * 1024;
const WRONGPASS = errorReply('WRONGPASS invalid username-password pair or user is disabled.');
/** Redis 7.0's text, `<proto>` missing from the syntax it gives. */
const HELLO_NOAUTH = errorReply(
  'NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time',
);
/** session_recv_timeout is checked this many times per timeout (it fires within 1.25×). */
export const IDLE_CHECKS = 4;
/** HELLO's `id`: sessions numbered from 1 in the order they connect, as Redis numbers clients. */
let lastSessionId = 0;

function wrongArguments(name: string): Buffer {
  return errorReply(`ERR wrong number of arguments for '${name}' command`);
}

export class Session implements RequestOwner, Flushable, SlotWaiter, PubSubClient, TurnSender {
  /** The busy window of this session's last request to a backend (flush.ts noteSender). */
  sentInWindow = -1;
  broken = false;
  subscriber: Subscriber | null = null;
  flushQueued = false;
  /**
   * Spoke HELLO 3: its requests go through backend connections that spoke HELLO 3 too, so their
   * replies are relayed as they are, and the replies the proxy makes itself follow RESP3.
   */
  resp3 = false;
  private readonly id = ++lastSessionId;
  private readonly socket: Socket;
  private readonly writer: SocketWriter;
  private readonly core: ProxyCore;
  private readonly decoder = new RequestDecoder();
  private queue: Request[] = [];
  private head = 0;
  private out: Buffer[] = [];
  private outBytes = 0;
  private db = 0;
  private authorized: boolean;
  private reading = true;
  /** The client half-closed its side. */
  private eof = false;
  private ended = false;
  private paused = false;
  /** The request whose dispatch waits (slot lock, migration step); later ones wait behind it. */
  private blocked: Request | null = null;
  private blockedSlot: Slot | null = null;
  private blockTimer: NodeJS.Timeout | undefined;
  private readonly free: Request[] = [];
  private closeReported = false;
  /** MULTI/WATCH state (transaction.ts), made on first use. */
  private transaction: Transaction | null = null;
  private blockingCommand: BlockingCommand | null = null;
  /** The step `blocked` waits for (EXEC, WATCH, blocking command); started once it heads the queue. */
  private exclusive: ExclusiveStep | null = null;
  private exclusiveStarted = false;
  /**
   * Chooses among parallel backend connections. Fixed per session (Codis draws one per request),
   * so with backend_primary_parallel > 1 a session's requests still run in order.
   */
  private readonly seed = (Math.random() * 65536) | 0;
  /** Armed while the client does not take its replies (session_send_timeout). */
  private sendTimer: NodeJS.Timeout | undefined;
  /** Socket reads so far, and at the last idle check (checkIdle). */
  private reads = 0;
  private readsAtCheck = 0;
  private idleChecks = 0;
  /** When the requests being decoded arrived (readLoop). */
  private readTime = 0;
  /**
   * The stats record of the last command seen: a session usually repeats one command, and the
   * records live as long as the process (ProxyStats zeroes them in place).
   */
  private statsInfo: CommandInfo | null = null;
  private statsRecord: CommandStats | undefined;

  constructor(socket: Socket, core: ProxyCore) {
    this.socket = socket;
    this.writer = new SocketWriter(socket);
    this.core = core;
    this.authorized = core.config.session_auth === '';
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('end', () => {
      // The client sent everything: the requests already received are still served.
      this.eof = true;
      this.readLoop();
    });
    socket.on('error', () => this.onClose());
    socket.on('close', () => this.onClose());
    socket.on('drain', () => {
      if (this.sendTimer !== undefined) {
        clearTimeout(this.sendTimer);
        this.sendTimer = undefined;
      }
      if (this.paused) {
        this.paused = false;
        if (this.blocked === null && !this.ended) socket.resume();
      }
    });
  }

  /**
   * session_recv_timeout (§5.4), checked by the proxy's coarse interval (IDLE_CHECKS times per
   * timeout) rather than a socket timeout, which re-arms a timer on every read and write. The
   * session ends after IDLE_CHECKS + 1 checks without a read while it has nothing in progress.
   */
  checkIdle(): void {
    // A subscriber waits for messages, not requests: Redis does not time it out either.
    if (
      this.reads !== this.readsAtCheck ||
      this.head !== this.queue.length ||
      this.blocked !== null ||
      this.subscriber !== null
    ) {
      this.idleChecks = 0;
      this.readsAtCheck = this.reads;
    } else if (++this.idleChecks > IDLE_CHECKS) this.stopReading();
  }

  // ---- reading and dispatch ----

  /**
   * A read into the proxy's shared buffer (Proxy.accept), copied out before the next read reuses
   * it: requests are kept and forwarded as views of their bytes. Reading stops when the session
   * pauses its socket (pause() stops the reads of an `onread` socket at once).
   */
  onSharedRead(shared: Buffer, length: number): boolean {
    const chunk = Buffer.allocUnsafe(length);
    shared.copy(chunk, 0, 0, length);
    this.onData(chunk);
    return true;
  }

  private onData(chunk: Buffer): void {
    this.reads++;
    if (!this.reading) return;
    try {
      this.decoder.feed(chunk);
      this.readLoop();
    } catch (error) {
      // A bug must cost this session, not the process and every other session.
      this.reading = false;
      this.ended = true;
      this.socket.end(`-ERR proxy internal error: ${(error as Error).message}\r\n`);
    }
  }

  private readLoop(): void {
    const decoder = this.decoder;
    // One clock read per read batch: every request of the batch arrived at the same moment.
    this.readTime = performance.now();
    while (this.reading && this.blocked === null) {
      const result = decoder.next();
      if (result === DECODE_INCOMPLETE) break;
      if (result === DECODE_EMPTY) continue;
      if (result === DECODE_ERROR) {
        // Codis closes silently; a clear error first tells the client why.
        this.localEnd(errorReply(`ERR Protocol error: ${decoder.error}`));
        break;
      }
      this.handle(decoder);
    }
    if (this.blocked !== null) {
      // Behind a blocking command or EXEC the socket is still read (a bounded amount), so a client
      // that goes away is seen and its blocked command cancelled.
      const keepReading = this.exclusive !== null && decoder.pendingBytes < EXCLUSIVE_READ_LIMIT;
      if (!this.paused && !keepReading) this.socket.pause();
      // Redis drops a client that closed while blocked: its command must not pop for nobody.
      if (this.eof && this.exclusive?.cancelledByEof === true) this.onClose();
    } else if (this.eof) this.stopReading();
  }

  private alloc(): Request {
    return this.free.pop() ?? new Request();
  }

  private handle(decoder: RequestDecoder): void {
    const core = this.core;
    const stats = core.counters;
    stats.total++;
    if (this.queue.length - this.head > core.config.session_max_pipeline) {
      stats.fails++;
      this.localEnd(
        errorReply(`ERR too many pipelined requests, the limit is ${core.config.session_max_pipeline}`),
      );
      return;
    }
    const request = this.alloc();
    request.kind = KIND_CLIENT;
    request.owner = this;
    request.setArguments(decoder.raw, decoder.offsets, decoder.strings);
    request.db = this.db;
    request.resp3 = this.resp3;
    request.start = this.readTime;
    this.queue.push(request);
    const info = lookupCommand(request.arg(0));
    if (info === undefined) {
      request.stats = stats.command('');
      this.requestError(request, 'bad command length, too short or too long');
      return;
    }
    request.info = info;
    if (info !== this.statsInfo) {
      this.statsInfo = info;
      this.statsRecord = stats.command(info.name);
    }
    request.stats = this.statsRecord;
    // Inside MULTI the transaction refuses pub/sub commands (they cannot run on its connection).
    if (
      ((info.flags & FLAG_PUBSUB) !== 0 || this.subscriber !== null) &&
      this.transaction?.inMulti !== true
    ) {
      const hub = pubsubHubOf(core);
      if (hub !== null) {
        if (!this.authorized && (info.flags & FLAG_PUBSUB) !== 0) {
          this.finish(request, NOAUTH, false);
          return;
        }
        if (hub.handle(this, request, info)) return;
      }
    }
    if (
      (info.flags & FLAG_NOT_ALLOWED) !== 0 &&
      !extensionEnabled(info, core.config) &&
      !dedicatedCommandEnabled(info, core.config) &&
      this.transaction?.inMulti !== true
    ) {
      this.requestError(request, `command '${info.name}' is not allowed`);
      return;
    }
    const special = info.special;
    if (special === SPECIAL_QUIT) {
      this.finish(request, OK_REPLY, false);
      this.stopReading();
      return;
    }
    if (special === SPECIAL_AUTH) {
      this.auth(request);
      return;
    }
    // Inside MULTI the transaction refuses it (it would switch the protocol of its connection).
    if (special === SPECIAL_HELLO && this.transaction?.inMulti !== true) {
      this.hello(request);
      return;
    }
    if (!this.authorized) {
      this.finish(request, NOAUTH, false);
      return;
    }
    if (special === SPECIAL_TRANSACTION || this.transaction?.inMulti === true) {
      this.transaction ??= new Transaction(this, core);
      this.transaction.handle(request, info);
      return;
    }
    if (special === SPECIAL_BLOCKING) {
      this.blockingRequest(request, info);
      return;
    }
    if (special === SPECIAL_STREAM_READ) {
      this.streamReadRequest(request, info);
      return;
    }
    if (special === SPECIAL_NONE && routedByFirstArgument(info.name)) {
      // The plain forwarding path: only the key becomes a string, the rest is relayed as bytes.
      const hashKey = request.arg(1);
      this.route(request, hashKey, core.router.slots[slotOf(hashKey)] as Slot);
      return;
    }
    if (special === SPECIAL_MGET || special === SPECIAL_SUM || special === SPECIAL_MSET) {
      // Split commands read their keys one by one; their values are copied as bytes.
      this.splitCommand(request, info);
      return;
    }
    const argv = request.argv;
    switch (special) {
      case SPECIAL_SELECT:
        this.select(request);
        return;
      case SPECIAL_PING:
      case SPECIAL_INFO:
        if (argv.length === 1) this.route(request, '', randomSlot(core.router.slots));
        else this.byAddress(request, argv[1] as string, [argv[0] as string, ...argv.slice(2)]);
        return;
      case SPECIAL_SLOTSINFO:
        if (argv.length !== 2) this.finish(request, wrongArguments('SLOTSINFO'), false);
        else this.byAddress(request, argv[1] as string, ['SLOTSINFO']);
        return;
      case SPECIAL_SLOTSSCAN:
        this.slotsScan(request);
        return;
      case SPECIAL_SLOTSMAPPING:
        this.slotsMapping(request);
        return;
      case SPECIAL_SCAN:
      case SPECIAL_KEYS:
      case SPECIAL_DBSIZE:
      case SPECIAL_RANDOMKEY:
        keyspaceCommand(this, request, core, this.seed);
        return;
      case SPECIAL_SCRIPT:
        scriptCommand(this, request, core, this.seed);
        return;
      case SPECIAL_FUNCTION:
        functionCommand(this, request, core, this.seed);
        return;
    }
    const hashKey = hashKeyOf(info.name, argv);
    if (hashKey === CROSS_SLOT) {
      this.finish(request, CROSSSLOT, false);
      return;
    }
    this.route(request, hashKey, core.router.slots[slotOf(hashKey)] as Slot);
  }

  /** Dispatches a request through a slot, blocking the session when it must wait. */
  private route(request: Request, hashKey: string, slot: Slot): void {
    request.hashKey = hashKey;
    request.slotId = slot.id;
    const result = this.forward(request, slot);
    if (result !== DISPATCHED) this.block(request, result === WAIT_LOCK ? slot : null);
  }

  private forward(request: Request, slot: Slot): number {
    if (slot.locked) return WAIT_LOCK;
    const backend = slot.backend;
    if (backend === null) {
      this.fail(request, 'ERR handle request, slot is not ready, may be offline');
      return DISPATCHED;
    }
    const source = slot.migrateFrom;
    if (source !== null && request.hashKey !== '' && request.migrateStage !== 2) {
      if (request.kind === KIND_CLIENT && request.migrateKeys === null) {
        request.migrateKeys = otherTagKeys((request.info as CommandInfo).name, request.argv, request.hashKey);
        // Better than Codis, which moves only the first key's tag: the wrapper of the semi-async
        // method can vouch for one key only, so a request on several tags is refused for now.
        if (request.migrateKeys.length > 0 && slot.method !== 0) {
          this.finish(request, TRYAGAIN, false);
          return DISPATCHED;
        }
      }
      this.migrateStep(request, slot, source);
      return WAIT_MIGRATE;
    }
    request.migrateStage = 0;
    const seed = this.seed;
    const resp3 = this.resp3;
    let connection =
      source === null && slot.replicaGroups.length > 0 && !isMasterOnly((request.info as CommandInfo).flags)
        ? pickReplica(slot.replicaGroups, request.db, seed, resp3)
        : undefined;
    connection ??= resp3 ? backend.pick3(request.db, seed, true) : backend.pick(request.db, seed, true);
    if (connection === undefined) {
      this.fail(request, 'ERR handle request, slot is not ready, may be offline');
      return DISPATCHED;
    }
    slot.inflight++;
    request.tracker = slot;
    connection.send(request);
    return DISPATCHED;
  }

  private block(request: Request, slot: Slot | null): void {
    this.blocked = request.parent ?? request;
    if (slot !== null) {
      this.blockedSlot = slot;
      slot.addWaiter(this);
      this.blockTimer = setTimeout(() => this.lockTimedOut(), this.core.slotWaitTimeout);
    }
  }

  slotUnlocked(): void {
    if (this.blockTimer !== undefined) clearTimeout(this.blockTimer);
    this.blockTimer = undefined;
    this.blockedSlot = null;
    this.resume();
  }

  private lockTimedOut(): void {
    this.blockTimer = undefined;
    const slot = this.blockedSlot;
    const blocked = this.blocked;
    if (slot === null || blocked === null) return;
    slot.removeWaiter(this);
    this.blockedSlot = null;
    const unit = blocked.subs !== null ? (blocked.subs[blocked.nextSub] as Request) : blocked;
    this.fail(
      unit,
      `ERR handle request, slot ${slot.id} is locked, gave up after ${this.core.slotWaitTimeout} ms`,
    );
    this.resume();
  }

  /** Retries the blocked request's dispatch (after an unlock or a migration step). */
  private resume(): void {
    const blocked = this.blocked;
    if (blocked === null) return;
    this.blocked = null;
    if (this.ended) return;
    if (blocked.subs !== null) {
      // A sub-request answered while it waited (error, or the wrapper ran it) is dispatched.
      if (blocked.subs[blocked.nextSub]?.done === true) blocked.nextSub++;
      this.dispatchSubs(blocked);
    } else if (!blocked.done)
      this.route(blocked, blocked.hashKey, this.core.router.slots[blocked.slotId] as Slot);
    this.writeReplies();
    this.continueReading();
  }

  private continueReading(): void {
    if (this.blocked !== null || this.ended) return;
    if (!this.paused) this.socket.resume();
    this.readLoop();
  }

  // ---- migration (§6.5, §6.6) ----

  private migrateStep(request: Request, slot: Slot, source: SharedBackend): void {
    const step = new Request();
    step.kind = KIND_MIGRATE;
    step.owner = this;
    step.target = request;
    step.db = request.db;
    step.method = slot.method;
    step.argv =
      slot.method === 0
        ? [
            'SLOTSMGRTTAGONE',
            slot.backendHost,
            slot.backendPort,
            '3000',
            request.migrateIndex === 0
              ? request.hashKey
              : ((request.migrateKeys as string[])[request.migrateIndex - 1] as string),
          ]
        : ['SLOTSMGRT-EXEC-WRAPPER', request.hashKey, ...request.argv];
    request.migrateStage = 1;
    // The wrapper's reply carries the command's own reply, in the session's protocol.
    const connection = (
      this.resp3 ? source.pick3(request.db, this.seed, true) : source.pick(request.db, this.seed, true)
    ) as NonNullable<ReturnType<SharedBackend['pick']>>;
    slot.inflight++;
    step.tracker = slot;
    // Sent on the next turn: a backend that fails at once must not answer the step before the
    // session has recorded that it waits for it.
    setImmediate(() => connection.send(step));
  }

  private migrateDone(step: Request, raw: Buffer | undefined, failure: string): void {
    const request = step.target as Request;
    if (raw === undefined) {
      this.fail(request, `ERR handle request, ${failure}`);
    } else if (step.method === 0) {
      if (raw[0] === 58) {
        // Every tag of the request moved: forward it; else the step for the next tag.
        request.migrateIndex++;
        request.migrateStage = request.migrateIndex > (request.migrateKeys?.length ?? 0) ? 2 : 0;
      } else if (raw[0] === 45)
        this.fail(request, `ERR handle request, bad slotsmgrt resp: ${lineText(raw)}`);
      else
        this.fail(
          request,
          `ERR handle request, bad slotsmgrt resp: should be integer, but got ${typeName(raw)}`,
        );
    } else {
      const prefix = 'ERR handle request, bad slotsmgrt-exec-wrapper resp: ';
      const items = arrayElements(raw);
      if (raw[0] === 45) this.fail(request, `${prefix}${lineText(raw)}`);
      else if (items === undefined)
        this.fail(request, `${prefix}should be integer, but got ${typeName(raw)}`);
      else if (items.length !== 2) this.fail(request, `${prefix}array.len = ${items.length}`);
      else {
        const code = items[0] as Buffer;
        const payload = items[1] as Buffer;
        if (code[0] !== 58 || code.length !== 4) {
          this.fail(
            request,
            `${prefix}type(array[0]) = ${typeName(code)}, len(array[0].value) = ${valueLength(code)}`,
          );
        } else if (code[1] === 48) {
          request.migrateStage = 2;
        } else if (code[1] === 49) {
          // The key is being moved right now: try again shortly (Codis's delays, §6.6).
          request.migrateStage = 0;
          const attempt = request.migrateAttempts++;
          const delay = attempt < 5 ? 0 : Math.min(attempt, 20);
          setTimeout(() => this.resume(), delay);
          return;
        } else if (code[1] === 50) {
          // The wrapper ran the command on the source: an EVALSHA it lacks the script for is run
          // again (the resume below) behind a SCRIPT LOAD there.
          if (
            payload[0] === 45 &&
            request.info?.special === SPECIAL_EVALSHA &&
            loadOnSource(request, payload, this.core, this.seed)
          )
            request.migrateStage = 0;
          else this.finish(request, payload, false);
        } else {
          const text =
            payload[0] === 36
              ? payload.latin1Slice(payload.indexOf(10) + 1, payload.length - 2)
              : lineText(payload);
          this.fail(request, `${prefix}[${code.latin1Slice(1, 2)}] ${text}`);
        }
      }
    }
    this.resume();
  }

  // ---- split commands (§4.5) ----

  private splitCommand(request: Request, info: CommandInfo): void {
    const argc = request.argc;
    if (info.special === SPECIAL_MSET) {
      if (argc < 3 || argc % 2 === 0) this.finish(request, wrongArguments('MSET'), false);
      else this.split(request, info, 2);
    } else if (argc < 2) this.finish(request, wrongArguments(info.name), false);
    else this.split(request, info, 1);
  }

  private split(request: Request, info: CommandInfo, width: number): void {
    const argc = request.argc;
    const router = this.core.router;
    // slotIds[i] for key argument i, hashed from the client's bytes when they are at hand: a key
    // becomes a string only when it heads a sub-request (its hashKey).
    const slotIds = new Array<number>(argc);
    const offsets = request.offsets;
    const raw = request.raw as Buffer;
    let same = true;
    for (let i = 1; i < argc; i += width) {
      slotIds[i] =
        offsets !== null
          ? slotOfBytes(raw, offsets[2 * i] as number, offsets[2 * i + 1] as number)
          : slotOf(request.arg(i));
      if (slotIds[i] !== slotIds[1]) same = false;
    }
    const first = slotIds[1] as number;
    // Forwarded whole when one slot holds every key, unless that slot migrates: then per key.
    if (same && (router.slots[first] as Slot).migrateFrom === null) {
      this.route(request, request.arg(1), router.slots[first] as Slot);
      return;
    }
    // One sub-request per backend connection for the keys of slots that are neither locked nor
    // migrating (one MGET/MSET/DEL per server, as nutcracker does); per slot for a locked or
    // unserved slot (it waits or fails in forward), per key while a slot migrates (each key needs
    // its own step).
    const db = request.db;
    const seed = this.seed;
    const masterOnly = isMasterOnly(info.flags);
    // A list, not a Map: a command spans a handful of connections at most.
    const groups: KeyGroup[] = [];
    let others: Map<string, number[]> | null = null;
    const routes = router.plainRoutes;
    const plainBackends = router.plainBackends;
    const resp3 = this.resp3;
    for (let i = 1; i < argc; i += width) {
      const slotId = slotIds[i] as number;
      const route = routes[slotId] as number;
      let connection: BackendConnection | undefined;
      let slot: Slot | undefined;
      if (route >= 0) {
        const backend = plainBackends[route] as SharedBackend;
        connection = resp3 ? backend.pick3(db, seed, true) : backend.pick(db, seed, true);
      } else {
        slot = router.slots[slotId] as Slot;
        if (slot.migrateFrom === null && !slot.locked && slot.backend !== null) {
          connection =
            slot.replicaGroups.length > 0 && !masterOnly
              ? pickReplica(slot.replicaGroups, db, seed, resp3)
              : undefined;
          connection ??= resp3 ? slot.backend.pick3(db, seed, true) : slot.backend.pick(db, seed, true);
        }
      }
      if (connection !== undefined) {
        let group: KeyGroup | undefined;
        for (let g = 0; g < groups.length; g++)
          if ((groups[g] as KeyGroup).connection === connection) {
            group = groups[g];
            break;
          }
        if (group === undefined) {
          group = { connection, indexes: [], slotIds: [] };
          groups.push(group);
        }
        group.indexes.push(i);
        if (!group.slotIds.includes(slotId)) group.slotIds.push(slotId);
        continue;
      }
      slot ??= router.slots[slotId] as Slot;
      const id = slot.migrateFrom !== null ? `k${i}` : `s${slot.id}`;
      others ??= new Map();
      let indexes = others.get(id);
      if (indexes === undefined) {
        indexes = [];
        others.set(id, indexes);
      }
      indexes.push(i);
    }
    // The grouped sub-requests come first and are sent at once (their connection is chosen now);
    // the others are dispatched in order through forward(), which may block.
    const subs: Request[] = [];
    for (const group of groups) subs.push(this.subRequest(request, info, width, group.indexes));
    if (others !== null)
      for (const indexes of others.values()) subs.push(this.subRequest(request, info, width, indexes));
    request.subs = subs;
    request.pendingSubs = subs.length;
    let n = 0;
    for (const group of groups) {
      const sub = subs[n++] as Request;
      const ids = group.slotIds;
      const first = router.slots[ids[0] as number] as Slot;
      sub.slotId = first.id;
      if (ids.length === 1) {
        first.inflight++;
        sub.tracker = first;
      } else {
        const slots: Slot[] = [];
        for (const id of ids) {
          const slot = router.slots[id] as Slot;
          slot.inflight++;
          slots.push(slot);
        }
        sub.tracker = new SlotsTracker(slots);
      }
      request.nextSub = n;
      group.connection.send(sub);
    }
    this.dispatchSubs(request);
  }

  private subRequest(request: Request, info: CommandInfo, width: number, indexes: number[]): Request {
    const sub = new Request();
    sub.kind = KIND_SUB;
    sub.owner = this;
    sub.parent = request;
    sub.info = info;
    sub.db = request.db;
    if (request.offsets !== null) subArguments(sub, request.raw as Buffer, request.offsets, width, indexes);
    else {
      const argv = request.argv;
      const subArgv = [argv[0] as string];
      for (const index of indexes) {
        subArgv.push(argv[index] as string);
        if (width === 2) subArgv.push(argv[index + 1] as string);
      }
      sub.argv = subArgv;
    }
    sub.hashKey = request.arg(indexes[0] as number);
    sub.keyIndexes = indexes;
    return sub;
  }

  private dispatchSubs(request: Request): void {
    const subs = request.subs as Request[];
    const router = this.core.router;
    while (request.nextSub < subs.length) {
      const sub = subs[request.nextSub] as Request;
      const result = this.forward(sub, router.slots[slotOf(sub.hashKey)] as Slot);
      if (result !== DISPATCHED) {
        this.block(sub, result === WAIT_LOCK ? (router.slots[slotOf(sub.hashKey)] as Slot) : null);
        return;
      }
      request.nextSub++;
    }
    if (request.pendingSubs === 0 && !request.done) this.merge(request);
  }

  private subDone(sub: Request): void {
    const parent = sub.parent as Request;
    parent.pendingSubs--;
    if (parent.pendingSubs === 0 && parent.nextSub === (parent.subs as Request[]).length) this.merge(parent);
  }

  private merge(request: Request): void {
    // In the order of their first key (the grouped sub-requests were put first): the first
    // failure in the client's key order is the one reported.
    let subs = request.subs as Request[];
    if (!inKeyOrder(subs)) subs = subs.slice().sort((a, b) => firstKey(a) - firstKey(b));
    const info = request.info as CommandInfo;
    let total = 0;
    let elements: Buffer[] | undefined;
    if (info.special === SPECIAL_MGET) elements = new Array<Buffer>(request.argc - 1);
    for (const sub of subs) {
      const reply = sub.reply as Buffer;
      if (sub.failed) {
        this.finish(request, reply, true);
        return;
      }
      const indexes = sub.keyIndexes as number[];
      let problem = '';
      if (info.special === SPECIAL_MGET) {
        const items = arrayElements(reply);
        if (items === undefined || items.length !== indexes.length) {
          problem = `${typeName(reply)} array.len = ${items === undefined ? valueLength(reply) : items.length}`;
        } else {
          for (let i = 0; i < indexes.length; i++)
            (elements as Buffer[])[(indexes[i] as number) - 1] = items[i] as Buffer;
        }
      } else if (info.special === SPECIAL_MSET) {
        if (reply[0] !== 43) problem = `${typeName(reply)} value.len = ${valueLength(reply)}`;
      } else if (reply[0] !== 58) {
        problem = `${typeName(reply)} value.len = ${valueLength(reply)}`;
      } else {
        total += Number(lineText(reply));
      }
      if (problem !== '') {
        this.fail(request, `ERR handle response, bad ${info.name.toLowerCase()} resp: ${problem}`);
        return;
      }
    }
    if (elements !== undefined) {
      // The elements stay views of the backends' replies until the output batch is copied: no
      // merged buffer per MGET (a 10 KB one for ten 1 KB values, memory outside the JS heap that
      // made V8 run full collections for external memory pressure, bench/RESULTS.md session 15).
      const header = arrayHeader(elements.length);
      elements.unshift(header);
      request.replyParts = elements;
      this.finish(request, header, false);
    } else if (info.special === SPECIAL_MSET) this.finish(request, OK_REPLY, false);
    else this.finish(request, integerReply(total), false);
  }

  // ---- local commands (§4.3, §4.4, §4.6) ----

  /**
   * AUTH <password> as Codis (§4.3). Better than Codis, which refuses two arguments: Redis 6's
   * AUTH <user> <password> for the one user a proxy has, `default` (what clients configured with a
   * user name send), answered as Redis answers it.
   */
  private auth(request: Request): void {
    const argv = request.argv;
    const password = this.core.config.session_auth;
    if (argv.length === 3) {
      // As Redis's nopass default user when there is no session_auth: any password.
      if (argv[1] === 'default' && (password === '' || argv[2] === password)) {
        this.authorized = true;
        this.finish(request, OK_REPLY, false);
      } else {
        if (password !== '') this.authorized = false;
        this.finish(request, WRONGPASS, false);
      }
    } else if (argv.length !== 2) this.finish(request, wrongArguments('AUTH'), false);
    else if (password === '')
      this.finish(request, errorReply('ERR Client sent AUTH, but no password is set'), false);
    else if (argv[1] !== password) {
      this.authorized = false;
      this.finish(request, errorReply('ERR invalid password'), false);
    } else {
      this.authorized = true;
      this.finish(request, OK_REPLY, false);
    }
  }

  private select(request: Request): void {
    const argv = request.argv;
    if (argv.length !== 2) {
      this.finish(request, wrongArguments('SELECT'), false);
      return;
    }
    const text = argv[1] as string;
    const count = this.core.config.backend_number_databases;
    if (!/^[+-]?\d{1,18}$/.test(text)) {
      this.finish(request, errorReply('ERR invalid DB index'), false);
      return;
    }
    const db = Number(text);
    if (db < 0 || db >= count) {
      this.finish(request, errorReply(`ERR invalid DB index, only accept DB [0,${count})`), false);
      return;
    }
    this.db = db;
    this.finish(request, OK_REPLY, false);
  }

  /**
   * HELLO as Redis 7 answers it (protocol switch, AUTH with the `default` user and the proxy's
   * session_auth, SETNAME checked). The proxy reports itself as one standalone Redis master, the
   * version being the Redis whose replies codis-server reproduces. The client name is checked but
   * kept nowhere: the proxy has no CLIENT LIST/GETNAME of its own.
   */
  private hello(request: Request): void {
    const argv = request.argv;
    let protocol = this.resp3 ? 3 : 2;
    let index = 1;
    if (argv.length >= 2) {
      const text = argv[1] as string;
      if (!/^-?\d{1,18}$/.test(text)) {
        this.finish(request, errorReply('ERR Protocol version is not an integer or out of range'), false);
        return;
      }
      const version = Number(text);
      if (version < 2 || version > 3) {
        this.finish(request, errorReply('NOPROTO unsupported protocol version'), false);
        return;
      }
      protocol = version;
      index = 2;
    }
    let user: string | undefined;
    let password = '';
    let name: string | undefined;
    for (; index < argv.length; index++) {
      const option = argv[index] as string;
      const remaining = argv.length - index - 1;
      const lower = option.toLowerCase();
      if (lower === 'auth' && remaining >= 2) {
        user = argv[index + 1] as string;
        password = argv[index + 2] as string;
        index += 2;
      } else if (lower === 'setname' && remaining >= 1) {
        name = argv[index + 1] as string;
        index += 1;
      } else {
        this.finish(request, errorReply(`ERR Syntax error in HELLO option '${option}'`), false);
        return;
      }
    }
    if (user !== undefined) {
      const required = this.core.config.session_auth;
      if (user !== 'default' || (required !== '' && password !== required)) {
        this.finish(request, WRONGPASS, false);
        return;
      }
      this.authorized = true;
    }
    if (!this.authorized) {
      this.finish(request, HELLO_NOAUTH, false);
      return;
    }
    if (name !== undefined && /[^\x21-\x7e]/.test(name)) {
      this.finish(
        request,
        errorReply('ERR Client names cannot contain spaces, newlines or special characters.'),
        false,
      );
      return;
    }
    this.resp3 = protocol === 3;
    const fields =
      `$6\r\nserver\r\n$5\r\nredis\r\n$7\r\nversion\r\n$${REDIS_COMPATIBLE_VERSION.length}\r\n${REDIS_COMPATIBLE_VERSION}\r\n` +
      `$5\r\nproto\r\n:${protocol}\r\n$2\r\nid\r\n:${this.id}\r\n$4\r\nmode\r\n$10\r\nstandalone\r\n` +
      '$4\r\nrole\r\n$6\r\nmaster\r\n$7\r\nmodules\r\n*0\r\n';
    this.finish(request, Buffer.from(`${protocol === 3 ? '%7' : '*14'}\r\n${fields}`, 'latin1'), false);
  }

  /** PING/INFO/SLOTSINFO with a backend address as first argument (§4.4). */
  private byAddress(request: Request, addr: string, argv: string[]): void {
    const backend = this.core.router.backendByAddress(addr);
    const seed = (Math.random() * 65536) | 0;
    // A RESP3 session's first request to a backend waits for the RESP3 connections it makes.
    const connection = this.resp3
      ? backend?.pick3(request.db, seed, true)
      : backend?.pick(request.db, seed, false);
    if (connection === undefined) {
      this.finish(request, errorReply(`ERR backend server '${addr}' not found`), false);
      return;
    }
    request.argv = argv;
    request.raw = undefined;
    connection.send(request);
  }

  private slotsScan(request: Request): void {
    const argv = request.argv;
    if (argv.length < 3) {
      this.finish(request, wrongArguments('SLOTSSCAN'), false);
      return;
    }
    const id = this.parseSlot(request, argv[1] as string);
    if (id >= 0) this.route(request, '', this.core.router.slots[id] as Slot);
  }

  private slotsMapping(request: Request): void {
    const argv = request.argv;
    const slots = this.core.router.slots;
    if (argv.length > 2) {
      this.finish(request, wrongArguments('SLOTSMAPPING'), false);
    } else if (argv.length === 2) {
      const id = this.parseSlot(request, argv[1] as string);
      if (id >= 0)
        this.finish(request, Buffer.from(mappingOf(slots[id] as Slot, this.resp3), 'latin1'), false);
    } else {
      let text = `*${slots.length}\r\n`;
      for (const slot of slots) text += mappingOf(slot, this.resp3);
      this.finish(request, Buffer.from(text, 'latin1'), false);
    }
  }

  /** SLOTSSCAN/SLOTSMAPPING's slot argument (§4.6); -1 after answering the error. */
  private parseSlot(request: Request, text: string): number {
    let reason = '';
    if (!/^[+-]?\d+$/.test(text)) reason = `strconv.ParseInt: parsing "${text}": invalid syntax`;
    else {
      const value = BigInt(text);
      if (value > 9223372036854775807n || value < -9223372036854775808n) {
        reason = `strconv.ParseInt: parsing "${text}": value out of range`;
      } else if (value < 0n || value >= 1024n) reason = 'out of range';
      else return Number(value);
    }
    this.finish(request, errorReply(`ERR parse slotnum '${text}' failed, ${reason}`), false);
    return -1;
  }

  // ---- completion and writing ----

  // ---- transactions and blocking commands (transaction.ts, blocking.ts) ----

  private blockingRequest(request: Request, info: CommandInfo): void {
    const hashKey = hashKeyOf(info.name, request.argv);
    if (hashKey === CROSS_SLOT) {
      this.finish(request, CROSSSLOT, false);
      return;
    }
    request.hashKey = hashKey;
    request.slotId = slotOf(hashKey);
    this.blockingCommand ??= new BlockingCommand(this, this.core);
    this.runExclusive(request, this.blockingCommand);
  }

  /**
   * XREAD, XREADGROUP: with BLOCK (looked for while their keys are, before STREAMS) a blocking
   * command on a dedicated connection; without it, or malformed (the backend answers the error
   * without blocking), a plain request.
   */
  private streamReadRequest(request: Request, info: CommandInfo): void {
    const argv = request.argv;
    const read = streamRead(argv);
    if (read.timeout === 0 || read.firstKey === 0) {
      const hashKey = streamReadKey(argv, read);
      if (hashKey === CROSS_SLOT) this.finish(request, CROSSSLOT, false);
      else this.route(request, hashKey, this.core.router.slots[slotOf(hashKey)] as Slot);
    } else if (!this.core.config.proxy_blocking_enabled) {
      // As the other blocking commands: it would stall a shared backend connection.
      this.requestError(request, `command '${info.name}' is not allowed`);
    } else this.blockingRequest(request, info);
  }

  localReply(request: Request, reply: Buffer): void {
    this.finish(request, reply, false);
  }

  /**
   * Holds the session on `request` and runs `step` once every earlier request is answered: the
   * step uses another backend connection, which must not overtake the session's earlier requests.
   */
  runExclusive(request: Request, step: ExclusiveStep): void {
    this.blocked = request;
    this.exclusive = step;
    this.exclusiveStarted = false;
    this.startExclusive();
  }

  private startExclusive(): void {
    const step = this.exclusive;
    const request = this.blocked;
    if (step === null || this.exclusiveStarted || request === null || this.queue[this.head] !== request)
      return;
    this.exclusiveStarted = true;
    step.begin(request);
  }

  exclusiveDone(request: Request, reply: Buffer, failed: boolean): void {
    this.exclusive = null;
    this.finish(request, reply, failed);
    this.resume();
  }

  onBackendReply(request: Request, raw: Buffer): void {
    if (request.kind === KIND_MIGRATE) this.migrateDone(request, raw, '');
    else if (
      raw[0] === 45 &&
      request.info?.special === SPECIAL_EVALSHA &&
      retryWithBody(request, raw, this.core, this.seed)
    )
      return;
    else this.finish(request, raw, false);
  }

  /** The reply of a request the proxy answers from several backends (keyspace.ts, scripts.ts). */
  answer(request: Request, reply: Buffer, failed: boolean): void {
    this.finish(request, reply, failed);
  }

  // ---- pub/sub (pubsub/) ----

  complete(request: Request, reply: Buffer): void {
    this.finish(request, reply, false);
  }

  forwardToSlot(request: Request, slot: number): void {
    this.route(request, '', this.core.router.slots[slot] as Slot);
  }

  /**
   * A message for this subscriber, after the replies already due. A client that does not read its
   * messages is disconnected once they exceed proxy_pubsub_output_limit (Redis's pubsub hard
   * limit): its memory stays bounded and nobody else waits for it.
   */
  pushMessage(bytes: Buffer): void {
    if (this.ended) return;
    const limit = this.core.config.proxy_pubsub_output_limit;
    if (limit > 0 && this.outBytes + this.writer.queued + bytes.length > limit) {
      this.socket.destroy();
      return;
    }
    if (this.head === this.queue.length) {
      this.out.push(bytes);
      this.outBytes += bytes.length;
      scheduleFlush(this);
      return;
    }
    const request = this.alloc();
    request.kind = KIND_CLIENT;
    request.owner = this;
    this.queue.push(request);
    request.reply = bytes;
    request.done = true;
  }

  onBackendFailure(request: Request, message: string): void {
    if (request.kind === KIND_MIGRATE) this.migrateDone(request, undefined, message);
    else this.fail(request, `ERR handle response, ${message}`);
  }

  private requestError(request: Request, message: string): void {
    this.fail(request, `ERR handle request, ${message}`);
  }

  private fail(request: Request, text: string): void {
    this.finish(request, errorReply(text), true);
  }

  private finish(request: Request, reply: Buffer, failed: boolean): void {
    if (request.done) return;
    request.reply = reply;
    request.failed = failed;
    request.done = true;
    if (request.kind === KIND_SUB) this.subDone(request);
    else if (this.queue[this.head] === request) this.writeReplies();
  }

  private writeReplies(): void {
    if (this.ended) return;
    const queue = this.queue;
    const stats = this.core.counters;
    const breakOnFailure = this.core.config.session_break_on_failure;
    const now = performance.now();
    let head = this.head;
    while (head < queue.length) {
      const request = queue[head] as Request;
      if (!request.done) break;
      const reply = request.reply as Buffer;
      const parts = request.replyParts;
      if (parts === null) {
        this.out.push(reply);
        this.outBytes += reply.length;
      } else {
        for (let i = 0; i < parts.length; i++) {
          const part = parts[i] as Buffer;
          this.out.push(part);
          this.outBytes += part.length;
        }
      }
      const record = request.stats;
      if (record !== undefined) {
        record.calls++;
        record.usecs += (now - request.start) * 1000;
        if (reply[0] === 45) {
          record.redisErrors++;
          stats.redisErrors++;
        }
      }
      head++;
      if (request.failed && breakOnFailure) {
        if (record !== undefined) record.fails++;
        stats.fails++;
        this.reading = false;
        this.dropFrom(head);
        head = queue.length;
        break;
      }
      if (
        request.kind === KIND_CLIENT &&
        request.subs === null &&
        request !== this.blocked &&
        this.free.length < POOL_SIZE
      ) {
        request.clear();
        this.free.push(request);
      }
    }
    if (head === queue.length) {
      queue.length = 0;
      this.head = 0;
    } else if (head > 1024 && head * 2 > queue.length) {
      this.queue = queue.slice(head);
      this.head = 0;
    } else this.head = head;
    if (this.exclusive !== null && !this.exclusiveStarted) this.startExclusive();
    scheduleFlush(this);
  }

  /** Requests that will never be answered: counted as fails (§5.8). */
  private dropFrom(index: number): void {
    const queue = this.queue;
    for (let i = index; i < queue.length; i++) {
      const request = queue[i] as Request;
      if (request.stats !== undefined) request.stats.fails++;
      this.core.counters.fails++;
    }
    this.queue = [];
    this.head = 0;
    this.broken = true;
  }

  flush(): void {
    if (this.ended) return;
    const socket = this.socket;
    if (this.outBytes > 0) {
      const writer = this.writer;
      writeBatch(writer, this.out, this.outBytes);
      this.out = [];
      this.outBytes = 0;
      const sendTimeout = this.core.config.session_send_timeout;
      if (writer.needsDrain && sendTimeout > 0 && this.sendTimer === undefined) {
        this.sendTimer = setTimeout(() => socket.destroy(), sendTimeout);
      }
      if (writer.queued > OUTPUT_HIGH_WATER && !this.paused) {
        this.paused = true;
        socket.pause();
      }
    }
    if (!this.reading && this.head === this.queue.length && this.blocked === null) {
      this.ended = true;
      socket.end();
      socket.destroySoon();
    }
  }

  /** Queues a final reply (protocol error, pipeline overflow) and stops reading. */
  private localEnd(reply: Buffer): void {
    const request = this.alloc();
    request.kind = KIND_CLIENT;
    request.owner = this;
    this.queue.push(request);
    this.finish(request, reply, false);
    this.stopReading();
  }

  private stopReading(): void {
    if (!this.reading) return;
    this.reading = false;
    scheduleFlush(this);
  }

  private onClose(): void {
    if (this.closeReported) return;
    this.closeReported = true;
    this.ended = true;
    this.reading = false;
    if (this.blockedSlot !== null) this.blockedSlot.removeWaiter(this);
    if (this.blockTimer !== undefined) clearTimeout(this.blockTimer);
    if (this.sendTimer !== undefined) clearTimeout(this.sendTimer);
    this.blocked = null;
    this.subscriber?.close();
    this.subscriber = null;
    if (!this.broken) this.dropFrom(this.head);
    this.broken = true;
    this.exclusive?.sessionClosed();
    this.exclusive = null;
    this.transaction?.sessionClosed();
    this.core.sessionClosed(this);
    this.socket.destroy();
  }

  /** Ends the session from the proxy (close). */
  destroy(): void {
    this.socket.destroy();
  }
}

/**
 * A random slot for PING/INFO without arguments (§4.4). Better than Codis: a slot with a backend
 * when there is one, so a partly assigned table does not make PING fail at random.
 */
function randomSlot(slots: readonly Slot[]): Slot {
  const start = (Math.random() * slots.length) | 0;
  for (let i = 0; i < slots.length; i++) {
    const slot = slots[(start + i) % slots.length] as Slot;
    if (slot.backend !== null || slot.locked) return slot;
  }
  return slots[start] as Slot;
}

/**
 * A sub-request's bytes copied from the client's request (the command name, then the chosen keys
 * with their values), each argument's `$<length>` header included, so nothing is re-encoded.
 */
function subArguments(sub: Request, raw: Buffer, offsets: number[], width: number, indexes: number[]): void {
  const count = 1 + indexes.length * width;
  const head = `*${count}\r\n`;
  // Argument i's whole encoding runs from the end of argument i - 1 (plus CR LF) to its own end.
  let nameFrom = 1;
  while (raw[nameFrom - 1] !== 10) nameFrom++;
  const nameTo = (offsets[1] as number) + 2;
  let size = head.length + nameTo - nameFrom;
  for (const index of indexes) {
    size += (offsets[2 * (index + width - 1) + 1] as number) - (offsets[2 * index - 1] as number);
  }
  const out = slabBuffer(size);
  const subOffsets: number[] = [];
  let at = out.latin1Write(head, 0);
  const shift = at - nameFrom;
  copyBytes(raw, out, at, nameFrom, nameTo);
  subOffsets.push((offsets[0] as number) + shift, (offsets[1] as number) + shift);
  at += nameTo - nameFrom;
  for (const index of indexes) {
    const from = (offsets[2 * index - 1] as number) + 2;
    const to = (offsets[2 * (index + width - 1) + 1] as number) + 2;
    copyBytes(raw, out, at, from, to);
    const delta = at - from;
    for (let i = index; i < index + width; i++) {
      subOffsets.push((offsets[2 * i] as number) + delta, (offsets[2 * i + 1] as number) + delta);
    }
    at += to - from;
  }
  sub.setArguments(out, subOffsets, null);
}

/** Buffer.copy, with short ranges (keys) copied in a loop rather than through a native call. */
function copyBytes(source: Buffer, target: Buffer, at: number, from: number, to: number): void {
  if (to - from > 64) source.copy(target, at, from, to);
  else for (let i = from; i < to; i++) target[at++] = source[i] as number;
}

function inKeyOrder(subs: Request[]): boolean {
  for (let i = 1; i < subs.length; i++)
    if (firstKey(subs[i - 1] as Request) > firstKey(subs[i] as Request)) return false;
  return true;
}

/** The headers of array replies of up to 63 elements, made once. */
const ARRAY_HEADERS = Array.from({ length: 64 }, (_, count) => Buffer.from(`*${count}\r\n`, 'latin1'));

/** `*<count>\r\n`, shared for the usual counts (the output copies it, never changes it). */
function arrayHeader(count: number): Buffer {
  return ARRAY_HEADERS[count] ?? Buffer.from(`*${count}\r\n`, 'latin1');
}

function firstKey(sub: Request): number {
  return (sub.keyIndexes as number[])[0] as number;
}

interface KeyGroup {
  connection: BackendConnection;
  /** Indexes in the client's argument list of the group's keys, in order. */
  indexes: number[];
  /** The distinct slots of those keys, each counted in flight for the sub-request. */
  slotIds: number[];
}

/** In-flight tracking of a sub-request whose keys span several slots. */
class SlotsTracker implements InflightTracker {
  private readonly slots: Slot[];
  constructor(slots: Slot[]) {
    this.slots = slots;
  }
  inflightDone(): void {
    for (const slot of this.slots) slot.inflightDone();
  }
}

function pickReplica(groups: readonly SharedBackend[][], db: number, seed: number, resp3: boolean) {
  for (const group of groups) {
    const n = group.length;
    for (let i = 0; i < n; i++) {
      const backend = group[(seed + i) % n] as SharedBackend;
      const connection = resp3 ? backend.pick3(db, seed, false) : backend.pick(db, seed, false);
      if (connection !== undefined) return connection;
    }
  }
  return undefined;
}

/** A slot's SLOTSMAPPING entry; no replica groups is a nil array (RESP3's null for `resp3`). */
function mappingOf(slot: Slot, resp3: boolean): string {
  const record = slot.record;
  let text = `*4\r\n+${slot.id}\r\n+${record.backend_addr ?? ''}\r\n+${record.migrate_from ?? ''}\r\n`;
  const groups = record.replica_groups ?? [];
  if (groups.length === 0) return `${text}${resp3 ? '_' : '*-1'}\r\n`;
  text += `*${groups.length}\r\n`;
  for (const group of groups) {
    text += `*${group.length}\r\n`;
    for (const addr of group) text += `+${addr}\r\n`;
  }
  return text;
}
