// Blocking commands through the proxy (better than Codis, which refuses them): BLPOP, BRPOP,
// BRPOPLPUSH, BLMOVE, BLMPOP, BZPOPMIN, BZPOPMAX, BZMPOP, and XREAD/XREADGROUP with a BLOCK option
// (whose timeout is in milliseconds, not seconds). Each runs on a dedicated connection to
// its slot's master (dedicated.ts), never on a shared one it would stall for every session; the
// session's later requests wait behind it, in order, as on a single Redis connection. All keys must
// share one slot (CROSSSLOT otherwise, checked by the session).
//
// When a fill moves the slot to another master while the command is blocked, the command is
// cancelled on the old master with CLIENT UNBLOCK <id> TIMEOUT (from another connection) and sent
// again to the new owner with the time left. If the old master served it first (an element popped
// just before the cancel), that reply is delivered: nothing is lost or popped twice. A client that
// goes away while blocked gets its dedicated connection closed, so the backend never pops for it.
import { SPECIAL_STREAM_READ } from './command-table.ts';
import type { DedicatedConnection, DedicatedOwner, DedicatedPool } from './dedicated.ts';
import { type ExclusiveHost, ExclusiveStep } from './exclusive.ts';
import type { ProxyCore } from './proxy-core.ts';
import { NULL_REPLY, type Request } from './request.ts';
import { encodeRequest } from './request-decoder.ts';
import type { Slot } from './router.ts';
import { requestKeys, streamRead } from './routing-keys.ts';

/** What Redis 7 answers every blocking command that timed out (RESP2). */
const TIMED_OUT = Buffer.from('*-1\r\n');

/** Sends CLIENT UNBLOCK on a connection of its own and gives the connection back. */
class Unblocker implements DedicatedOwner {
  private readonly pool: DedicatedPool;
  private readonly timeout: number;
  private readonly command: BlockingCommand;

  constructor(pool: DedicatedPool, timeout: number, command: BlockingCommand) {
    this.pool = pool;
    this.timeout = timeout;
    this.command = command;
  }

  send(addr: string, clientId: string): void {
    const connection = this.pool.acquire(addr, 0, this);
    connection.send(encodeRequest(['CLIENT', 'UNBLOCK', clientId, 'TIMEOUT']), 1, this.timeout);
  }

  onDedicatedReply(connection: DedicatedConnection, raw: Buffer): void {
    this.pool.release(connection, undefined);
    // :0: the command was not blocked (yet) on the old master.
    if (raw[0] === 58 && raw[1] === 48) this.command.unblockMissed();
  }

  onDedicatedFailure(): void {
    // The old master is gone: so is the blocked command's connection, which reports it.
  }
}

export class BlockingCommand extends ExclusiveStep implements DedicatedOwner {
  override readonly cancelledByEof = true;
  private connection: DedicatedConnection | null = null;
  /** The master the command is blocked on. */
  private addr = '';
  /** The slot whose fills the command listens to while blocked. */
  private registered: Slot | null = null;
  /** performance.now() when the client's timeout ends; 0 = forever; -1 = not a valid timeout. */
  private deadline = 0;
  private timeoutIndex = 0;
  /** The timeout is XREAD's BLOCK milliseconds (an integer), not seconds. */
  private milliseconds = false;
  private argv: string[] = [];
  private keys: string[] = [];
  /** CLIENT UNBLOCK was sent for the current attempt. */
  private unblocking = false;
  private readonly unblocker: Unblocker;

  constructor(host: ExclusiveHost, core: ProxyCore) {
    super(host, core);
    this.unblocker = new Unblocker(this.pool, core.config.backend_recv_timeout, this);
  }

  override begin(request: Request): void {
    this.request = request;
    const argv = request.argv;
    const info = request.info as NonNullable<Request['info']>;
    const name = info.name;
    this.milliseconds = info.special === SPECIAL_STREAM_READ;
    let ms: number;
    if (this.milliseconds) {
      this.timeoutIndex = streamRead(argv).timeout;
      // redis-server's integer syntax: no sign, space or leading zero (longer ones are left alone).
      const text = argv[this.timeoutIndex] as string;
      ms = /^(0|[1-9]\d{0,14})$/.test(text) ? Number(text) : Number.NaN;
    } else {
      this.timeoutIndex = name === 'BLMPOP' || name === 'BZMPOP' ? 1 : argv.length - 1;
      const text = argv[this.timeoutIndex] as string;
      ms = /^\s*[+]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?\s*$/i.test(text) ? Number(text) * 1000 : Number.NaN;
    }
    // An invalid timeout is left to the backend, which answers Redis's error without blocking.
    if (!Number.isFinite(ms)) this.deadline = -1;
    else this.deadline = ms === 0 ? 0 : performance.now() + ms;
    this.argv = argv;
    this.keys = requestKeys(name, argv, request.hashKey);
    this.unblocking = false;
    this.prepare(this.core.router.slots[request.slotId] as Slot, this.keys);
  }

  protected ready(slot: Slot): void {
    const request = this.request as Request;
    const addr = (slot.backend as NonNullable<Slot['backend']>).addr;
    const connection = this.pool.acquire(addr, request.db, this, request.resp3);
    this.connection = connection;
    this.addr = addr;
    this.unblocking = false;
    // Listens to the slot's fills (woken after each one) without counting in its in-flight set:
    // a blocked command must not hold back a migration that waits for in-flight requests.
    this.registered = slot;
    slot.addWaiter(this);
    connection.send(encodeRequest(this.argv), 1, 0);
  }

  protected override slotChanged(): void {
    const slot = this.registered;
    this.registered = null;
    const connection = this.connection;
    // A closing proxy ends the sessions too: nothing to follow.
    if (slot === null || connection === null || this.request === null || this.core.router.closed) return;
    if (slot.backend?.addr === this.addr) {
      slot.addWaiter(this);
      this.registered = slot;
      return;
    }
    this.unblock(connection);
  }

  private unblock(connection: DedicatedConnection): void {
    if (this.unblocking || connection !== this.connection) return;
    if (!connection.handshakeDone) {
      // Its handshake is not answered yet: the command cannot have been answered either.
      setTimeout(() => this.unblock(connection), 1);
      return;
    }
    this.unblocking = true;
    if (connection.clientId !== '') {
      this.unblocker.send(this.addr, connection.clientId);
      return;
    }
    // No CLIENT UNBLOCK on this backend (older than Redis 5): closing the connection is the only
    // way to cancel, as a Redis client does on a timeout.
    this.detach();
    connection.close();
    if (!this.retry()) this.finishWith((this.request as Request).resp3 ? NULL_REPLY : TIMED_OUT, false);
  }

  /**
   * CLIENT UNBLOCK found nothing blocked: the command may still be on its way to the old master
   * (the cancel overtook it on another socket). Asked again shortly while no reply has come.
   */
  unblockMissed(): void {
    const connection = this.connection;
    if (connection === null || !this.unblocking) return;
    this.unblocking = false;
    setTimeout(() => this.unblock(connection), 5);
  }

  onDedicatedReply(connection: DedicatedConnection, raw: Buffer): void {
    if (connection !== this.connection) return;
    this.detach();
    this.pool.release(connection, undefined);
    // Cancelled: a null reply (or an error, e.g. the old master turned replica) means nothing was
    // popped there, so the command goes on at the new master.
    if (this.unblocking && (raw[0] === 45 || isNullReply(raw)) && this.retry()) return;
    this.finishWith(raw, false);
  }

  onDedicatedFailure(connection: DedicatedConnection, message: string): void {
    if (connection !== this.connection) return;
    this.detach();
    // Cancelled on a master that then went away: nothing was delivered there, go on elsewhere.
    if (this.unblocking) {
      if (!this.retry()) this.finishWith((this.request as Request).resp3 ? NULL_REPLY : TIMED_OUT, false);
      return;
    }
    this.fail(`ERR handle response, ${message}`);
  }

  /** Sends the command again to the slot's current master with the time left; false when none is. */
  private retry(): boolean {
    const request = this.request;
    if (request === null) return false;
    // The time left replaces a timeout the proxy could read; 0 (forever) and forms only the
    // backend reads are sent as they were.
    if (this.deadline > 0) {
      const left = this.deadline - performance.now();
      if (left <= 0) return false;
      const argv = this.argv.slice();
      argv[this.timeoutIndex] = this.milliseconds
        ? String(Math.ceil(left))
        : (Math.max(left, 1) / 1000).toFixed(3);
      this.argv = argv;
    }
    this.prepare(this.core.router.slots[request.slotId] as Slot, this.keys);
    return true;
  }

  private detach(): void {
    this.connection = null;
    this.registered?.removeWaiter(this);
    this.registered = null;
  }

  /** The client is gone: closing the connection makes the backend forget the blocked command. */
  override sessionClosed(): void {
    this.stopWaiting();
    this.request = null;
    const connection = this.connection;
    this.detach();
    connection?.close();
  }
}

/** `*-1`, `$-1`, or RESP3's `_` (a RESP3 session's dedicated connection spoke HELLO 3). */
function isNullReply(raw: Buffer): boolean {
  if (raw.length === 3) return raw[0] === 95;
  return raw.length === 5 && (raw[0] === 42 || raw[0] === 36) && raw[1] === 45 && raw[2] === 49;
}
