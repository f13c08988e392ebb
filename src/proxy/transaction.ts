// MULTI/EXEC/DISCARD/WATCH/UNWATCH through the proxy, for transactions whose keys share one slot
// (better than Codis, which refuses them). The first keyed command, or WATCH, fixes the slot.
//
// MULTI is answered here and the queued commands are checked here (unknown command, arity,
// commands the proxy refuses, a key of another slot) with Redis 7's queue-time errors, which flag
// the transaction so that EXEC answers EXECABORT; accepted commands get +QUEUED. EXEC sends
// `MULTI … EXEC` in one write on a dedicated connection to the slot's master and relays EXEC's reply,
// so the transaction runs atomically there and its reply is the backend's own bytes. WATCH is sent
// when it arrives, on a dedicated connection kept for the session until EXEC, DISCARD or UNWATCH.
//
// Migration: before WATCH and EXEC every key involved is made to live on the target
// (exclusive.ts). A fill that changes the slot's master while a WATCH is held makes EXEC fail as a
// WATCH conflict does (null reply): the watch was on the old master and guarantees nothing now;
// so does EXEC after the WATCH connection was lost.
//
// Departures from Redis inside MULTI (which queues everything): commands the proxy answers itself
// or spreads over the product (SELECT, HELLO, SLOTS*, KEYS, SCAN, SUBSCRIBE…) are refused with a
// queue-time error; AUTH and QUIT act at once, as outside MULTI; PUBLISH's channel counts as a key
// (its subscribers are held on the channel's slot master); the queued commands are bounded to
// 64 MB.
import { commandSpec } from '../commands/index.ts';
import { slotOf } from '../slots/index.ts';
import {
  type CommandInfo,
  FLAG_NOT_ALLOWED,
  SPECIAL_BLOCKING,
  SPECIAL_TRANSACTION,
} from './command-table.ts';
import type { DedicatedConnection, DedicatedOwner } from './dedicated.ts';
import { type ExclusiveHost, ExclusiveStep } from './exclusive.ts';
import type { ProxyCore } from './proxy-core.ts';
import { errorReply, NULL_REPLY, OK_REPLY, type Request } from './request.ts';
import { encodeRequest } from './request-decoder.ts';
import type { Slot } from './router.ts';
import { CROSS_SLOT, hashKeyOf, keyedHashKey, requestKeys } from './routing-keys.ts';

/** The session side of a transaction: local replies and exclusive steps. */
export interface TransactionHost extends ExclusiveHost {
  /** Answers a request at once (it keeps its place in the reply order). */
  localReply(request: Request, reply: Buffer): void;
  /** Runs `step` for `request` once every earlier request of the session is answered. */
  runExclusive(request: Request, step: ExclusiveStep): void;
}

const QUEUED = Buffer.from('+QUEUED\r\n');
const NULL_ARRAY = Buffer.from('*-1\r\n');
const MULTI = encodeRequest(['MULTI']);
const EXEC = encodeRequest(['EXEC']);
const UNWATCH = encodeRequest(['UNWATCH']);
const CROSSSLOT = errorReply("CROSSSLOT Keys in request don't hash to the same slot");
const EXECABORT = errorReply('EXECABORT Transaction discarded because of previous errors.');
/** Commands Redis runs at once inside MULTI instead of queueing them. */
const NOT_QUEUED = new Set(['MULTI', 'EXEC', 'DISCARD', 'WATCH']);
/** Proxy-local commands whose meaning inside a backend transaction the proxy cannot keep. */
const LOCAL_ONLY = new Set(['SELECT', 'HELLO', 'SLOTSINFO', 'SLOTSSCAN', 'SLOTSMAPPING']);

/** The queued commands of one transaction are held by the proxy until EXEC: bounded. */
export const MAX_QUEUED_BYTES = 64 * 1024 * 1024;
const TOO_LARGE = errorReply(
  `ERR handle request, transaction larger than ${MAX_QUEUED_BYTES / 1024 / 1024}mb, discarded at EXEC`,
);

const STEP_NONE = 0;
const STEP_WATCH = 1;
const STEP_EXEC = 2;

export class Transaction extends ExclusiveStep implements DedicatedOwner {
  /** Between MULTI and EXEC/DISCARD. */
  inMulti = false;
  private aborted = false;
  private queued: string[][] = [];
  private queuedBytes = 0;
  /** Every key of the queued commands (moved to the target first when the slot migrates). */
  private keys: string[] = [];
  /** The transaction's slot: fixed by WATCH or the first keyed command; -1 while keyless. */
  private slotId = -1;
  /** The connection holding WATCHes, and the master it was on. */
  private watching: DedicatedConnection | null = null;
  private watchedAddr = '';
  /** The master of the slot changed after a WATCH: EXEC must fail. */
  private watchLost = false;
  private connection: DedicatedConnection | null = null;
  private step = STEP_NONE;
  /** Which reply of the parts sent answers the client, and that reply once in. */
  private answerIndex = 0;
  private replyIndex = 0;
  private answer: Buffer | null = null;
  private readonly txHost: TransactionHost;

  constructor(host: TransactionHost, core: ProxyCore) {
    super(host, core);
    this.txHost = host;
  }

  /** Handles a transaction command, or any command inside MULTI. */
  handle(request: Request, info: CommandInfo): void {
    const name = info.name;
    const argv = request.argv;
    const spec = commandSpec(name.toLowerCase());
    if (name === 'MULTI' || name === 'EXEC' || name === 'DISCARD' || name === 'WATCH' || name === 'UNWATCH') {
      const arity = spec?.arity ?? 0;
      if ((arity > 0 && argv.length !== arity) || argv.length < -arity) {
        this.queueError(request, `ERR wrong number of arguments for '${name.toLowerCase()}' command`);
        return;
      }
    }
    if (!this.inMulti) {
      switch (name) {
        case 'MULTI':
          this.inMulti = true;
          this.aborted = false;
          this.slotId = this.watching !== null || this.watchLost ? this.slotId : -1;
          this.txHost.localReply(request, OK_REPLY);
          return;
        case 'EXEC':
          this.txHost.localReply(request, errorReply('ERR EXEC without MULTI'));
          return;
        case 'DISCARD':
          this.txHost.localReply(request, errorReply('ERR DISCARD without MULTI'));
          return;
        case 'UNWATCH':
          this.unwatch();
          this.txHost.localReply(request, OK_REPLY);
          return;
        case 'WATCH':
          this.watch(request);
          return;
      }
      return;
    }
    switch (name) {
      case 'MULTI':
        this.txHost.localReply(request, errorReply('ERR MULTI calls can not be nested'));
        return;
      case 'WATCH':
        this.txHost.localReply(request, errorReply('ERR WATCH inside MULTI is not allowed'));
        return;
      case 'DISCARD':
        this.reset();
        this.txHost.localReply(request, OK_REPLY);
        return;
      case 'EXEC':
        if (this.aborted) {
          this.reset();
          this.txHost.localReply(request, EXECABORT);
        } else {
          this.step = STEP_EXEC;
          this.txHost.runExclusive(request, this);
        }
        return;
    }
    this.enqueue(request, info, spec);
  }

  private enqueue(request: Request, info: CommandInfo, spec: ReturnType<typeof commandSpec>): void {
    const argv = request.argv;
    const name = info.name;
    // Blocking commands do not block inside a transaction: they are plain commands there, and so
    // is UNWATCH (queued, as Redis does).
    const special = info.special;
    // PUBLISH and SPUBLISH reach the subscribers held on their channel's slot master (pubsub/hub.ts):
    // inside a transaction the channel counts as a key of the transaction's slot.
    const publish = (name === 'PUBLISH' || name === 'SPUBLISH') && this.core.config.proxy_pubsub_enabled;
    const refused =
      (info.flags & FLAG_NOT_ALLOWED) !== 0 &&
      special !== SPECIAL_BLOCKING &&
      special !== SPECIAL_TRANSACTION &&
      !publish;
    if (refused || LOCAL_ONLY.has(name)) {
      this.queueError(request, `ERR handle request, command '${name}' is not allowed inside a transaction`);
      return;
    }
    if (spec === undefined) {
      this.queueError(request, unknownCommand(argv));
      return;
    }
    let checked = spec;
    if (spec.subcommands.size > 0 && argv.length > 1) {
      const sub = spec.subcommands.get((argv[1] as string).toLowerCase());
      if (sub === undefined) {
        this.queueError(
          request,
          `ERR unknown subcommand '${forError(argv[1] as string)}'. Try ${name} HELP.`,
        );
        return;
      }
      checked = sub;
    }
    const arity = checked.arity;
    if ((arity > 0 && argv.length !== arity) || argv.length < -arity) {
      this.queueError(request, `ERR wrong number of arguments for '${checked.name}' command`);
      return;
    }
    if (spec.flags.has('no_multi') || checked.flags.has('no_multi') || NOT_QUEUED.has(name)) {
      this.queueError(request, 'ERR Command not allowed inside a transaction');
      return;
    }
    const hashKey = publish ? (argv[1] as string) : keyedHashKey(name, argv);
    if (hashKey === CROSS_SLOT) {
      this.queueError(request, CROSSSLOT);
      return;
    }
    if (hashKey !== '') {
      const slot = slotOf(hashKey);
      if (this.slotId < 0) this.slotId = slot;
      else if (slot !== this.slotId) {
        this.queueError(request, CROSSSLOT);
        return;
      }
      if (!publish)
        for (const key of requestKeys(name, argv, hashKey)) if (!this.keys.includes(key)) this.keys.push(key);
    }
    let bytes = 0;
    for (const arg of argv) bytes += arg.length + 16;
    if (this.queuedBytes + bytes > MAX_QUEUED_BYTES) {
      this.queueError(request, TOO_LARGE);
      return;
    }
    this.queuedBytes += bytes;
    this.queued.push(argv.slice());
    this.txHost.localReply(request, QUEUED);
  }

  /** A queue-time error: answered, and the transaction (if any) is flagged as Redis does. */
  private queueError(request: Request, reply: Buffer | string): void {
    if (this.inMulti) this.aborted = true;
    this.txHost.localReply(request, typeof reply === 'string' ? errorReply(reply) : reply);
  }

  private watch(request: Request): void {
    const argv = request.argv;
    const hashKey = hashKeyOf('WATCH', argv);
    const watched = this.watching !== null || this.watchLost;
    if (hashKey === CROSS_SLOT || (watched && slotOf(hashKey) !== this.slotId)) {
      this.txHost.localReply(request, CROSSSLOT);
      return;
    }
    this.slotId = slotOf(hashKey);
    this.step = STEP_WATCH;
    this.txHost.runExclusive(request, this);
  }

  /** The session reached the WATCH or EXEC: every earlier request is answered. */
  override begin(request: Request): void {
    this.request = request;
    const slots = this.core.router.slots;
    if (this.step === STEP_WATCH) {
      this.prepare(slots[this.slotId] as Slot, requestKeys('WATCH', request.argv, request.argv[1] as string));
      return;
    }
    let slot: Slot | undefined = this.slotId >= 0 ? slots[this.slotId] : undefined;
    if (slot === undefined) {
      // Keyless transaction (PING, ECHO, TIME…): any served slot's master runs it.
      const start = (Math.random() * slots.length) | 0;
      for (let i = 0; i < slots.length && slot === undefined; i++) {
        const candidate = slots[(start + i) % slots.length] as Slot;
        if (candidate.backend !== null) slot = candidate;
      }
      slot ??= slots[start] as Slot;
    }
    this.prepare(slot, this.keys);
  }

  protected ready(slot: Slot): void {
    const addr = (slot.backend as NonNullable<Slot['backend']>).addr;
    const request = this.request as Request;
    if (this.step === STEP_WATCH) {
      if (this.watching !== null && this.watchedAddr !== addr) {
        // The earlier WATCHes were on another master: the transaction can only fail now.
        this.watchLost = true;
        this.finishWith(OK_REPLY, false);
        return;
      }
      if (this.watching === null && !this.watchLost) {
        this.watching = this.pool.acquire(addr, request.db, this, request.resp3);
        this.watchedAddr = addr;
      }
      if (this.watching === null) {
        this.finishWith(OK_REPLY, false);
        return;
      }
      this.connection = this.watching;
      this.sendTracked(slot, this.watching, [encodeRequest(request.argv)], request.db);
      return;
    }
    if (this.watchLost || (this.watching !== null && this.watchedAddr !== addr)) {
      // Like a WATCH conflict: nothing ran, the client retries its optimistic transaction.
      this.finishWith(request.resp3 ? NULL_REPLY : NULL_ARRAY, false);
      return;
    }
    const connection = this.watching ?? this.pool.acquire(addr, request.db, this, request.resp3);
    this.connection = connection;
    const parts = [MULTI];
    for (const argv of this.queued) parts.push(encodeRequest(argv));
    parts.push(EXEC);
    this.sendTracked(slot, connection, parts, request.db);
  }

  protected override finishWith(reply: Buffer, failed: boolean): void {
    // EXEC ends the transaction whatever its outcome (refused, failed, answered).
    if (this.step === STEP_EXEC) this.reset();
    this.step = STEP_NONE;
    super.finishWith(reply, failed);
  }

  /**
   * Sends `parts`, whose last reply answers the client. A WATCH connection opened in another DB
   * than the request's (SELECT between WATCH and EXEC) switches DB around them and back.
   */
  private sendTracked(slot: Slot, connection: DedicatedConnection, parts: Buffer[], db: number): void {
    const other = connection.db !== db;
    if (other) parts.unshift(encodeRequest(['SELECT', String(db)]));
    this.answerIndex = parts.length - 1;
    if (other) parts.push(encodeRequest(['SELECT', String(connection.db)]));
    this.replyIndex = 0;
    this.answer = null;
    // Counted in flight so a fill of the slot waits for the step's reply (§6.2).
    slot.inflight++;
    connection.tracker = slot;
    connection.send(Buffer.concat(parts), parts.length, this.core.config.backend_recv_timeout);
  }

  onDedicatedReply(connection: DedicatedConnection, raw: Buffer): void {
    if (connection !== this.connection) return;
    if (this.replyIndex++ === this.answerIndex) this.answer = raw;
    if (connection.expected > 0) return;
    raw = this.answer ?? raw;
    this.answer = null;
    this.connection = null;
    if (this.step === STEP_EXEC) {
      // EXEC dropped the WATCHes on the backend: the connection is clean again.
      this.watching = null;
      this.pool.release(connection, undefined);
    }
    this.finishWith(raw, false);
  }

  onDedicatedFailure(connection: DedicatedConnection, message: string): void {
    if (connection === this.watching) {
      this.watching = null;
      if (this.step !== STEP_EXEC) this.watchLost = true;
    }
    if (connection !== this.connection) return;
    this.connection = null;
    this.fail(`ERR handle response, ${message}`);
  }

  /** UNWATCH, DISCARD, EXEC done: back to no transaction and no WATCH. */
  private reset(): void {
    this.inMulti = false;
    this.aborted = false;
    this.queued = [];
    this.queuedBytes = 0;
    this.keys = [];
    this.unwatch();
  }

  private unwatch(): void {
    const watching = this.watching;
    this.watching = null;
    this.watchLost = false;
    this.watchedAddr = '';
    this.slotId = -1;
    if (watching !== null && watching !== this.connection) this.pool.release(watching, UNWATCH);
  }

  /** The client is gone: a connection in use is closed (its reply would go nowhere). */
  override sessionClosed(): void {
    this.stopWaiting();
    this.request = null;
    const connection = this.connection;
    this.connection = null;
    connection?.close();
    if (this.watching !== null && this.watching !== connection) this.pool.release(this.watching, UNWATCH);
    this.watching = null;
  }
}

function forError(text: string): string {
  return (text.length > 128 ? text.slice(0, 128) : text).replace(/[\r\n]/g, ' ');
}

/** Redis 7's text for an unknown command (server/errors.ts has the server's copy). */
function unknownCommand(argv: readonly string[]): string {
  let text = `ERR unknown command '${forError(argv[0] ?? '')}', with args beginning with: `;
  for (let i = 1; i < argv.length && text.length < 128; i++) text += `'${forError(argv[i] as string)}' `;
  return text;
}
