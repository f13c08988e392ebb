// What a transaction step (WATCH, EXEC) and a blocking command share before they can use a
// dedicated connection (dedicated.ts) to their slot's master: wait while the slot is locked (as
// plain requests do, at most slotWaitTimeout), and while the slot migrates make sure every key
// involved lives on the target first, so nothing runs half on the source and half on the target.
// Sync method: SLOTSMGRTTAGONE of each key on the source (idempotent). Semi-async method: the
// source is asked `SLOTSMGRT-EXEC-WRAPPER key EXISTS key` per key; code 0 (not on the source)
// lets the step go to the target, code 1 (key in the batch in flight) retries shortly, code 2
// (still on the source) waits for the asynchronous migrator to move it, asking again every 10 ms:
// a transaction or blocking pop cannot be wrapped, and moving keys under the migrator's feet is
// not safe. After slotWaitTimeout of waiting (a stalled migration) the step answers TRYAGAIN
// without applying anything.
import type { SharedBackend } from './backend.ts';
import { type CommandInfo, SPECIAL_BLOCKING, SPECIAL_TRANSACTION } from './command-table.ts';
import type { ProxyConfig } from './config/types.ts';
import { type DedicatedPool, dedicatedPoolOf } from './dedicated.ts';
import { arrayElements, lineText, typeName } from './merge.ts';
import type { ProxyCore } from './proxy-core.ts';
import { errorReply, KIND_MIGRATE, Request, type RequestOwner } from './request.ts';
import type { Slot, SlotWaiter } from './router.ts';

/** How often a key still on the semi-async source is asked about again. */
const SOURCE_RETRY_DELAY = 10;

export const TRYAGAIN_MIGRATING = errorReply(
  'TRYAGAIN Keys of the request are being migrated (semi-async method), try again later',
);

/** The session side of an exclusive step. */
export interface ExclusiveHost {
  /** Ends the client request the step was for, and lets the session go on. */
  exclusiveDone(request: Request, reply: Buffer, failed: boolean): void;
}

export abstract class ExclusiveStep implements RequestOwner, SlotWaiter {
  readonly broken = false;
  /** The client's end of input cancels the step (a blocking command; EXEC is still answered). */
  readonly cancelledByEof: boolean = false;
  protected readonly host: ExclusiveHost;
  protected readonly core: ProxyCore;
  protected readonly pool: DedicatedPool;
  /** The client request being served (null when idle). */
  protected request: Request | null = null;
  protected slot: Slot | null = null;
  private stepKeys: readonly string[] = [];
  private keyIndex = 0;
  private lockTimer: NodeJS.Timeout | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private waiting = false;
  private attempts = 0;
  /** performance.now() when a key was first found still on the semi-async source (0: not yet). */
  private sourceWaitStart = 0;
  /** Bumped when the step is abandoned: replies of older migration steps are ignored. */
  private generation = 0;

  constructor(host: ExclusiveHost, core: ProxyCore) {
    this.host = host;
    this.core = core;
    this.pool = dedicatedPoolOf(core);
  }

  /** Prepares `slot` for `keys` (every key of the step), then calls ready(). */
  protected prepare(slot: Slot, keys: readonly string[]): void {
    this.slot = slot;
    this.stepKeys = keys;
    this.keyIndex = 0;
    this.attempts = 0;
    this.sourceWaitStart = 0;
    // On the next turn: the session must not be answered from inside its own dispatch.
    setImmediate(advanceStep, this, this.generation);
  }

  /** Starts the step for `request`: every earlier request of the session is answered. */
  abstract begin(request: Request): void;

  /** The client went away: whatever the step holds is let go. */
  abstract sessionClosed(): void;

  /** The slot is unlocked, served, and holds every key on its backend. */
  protected abstract ready(slot: Slot): void;

  /** Runs advance() for a step scheduled by prepare() unless the step was abandoned since. */
  advanceIf(generation: number): void {
    if (generation === this.generation && this.request !== null) this.advance();
  }

  private advance(): void {
    const slot = this.slot as Slot;
    if (slot.locked) {
      this.waiting = true;
      slot.addWaiter(this);
      this.lockTimer = setTimeout(() => this.lockTimedOut(), this.core.slotWaitTimeout);
      return;
    }
    if (slot.backend === null) {
      this.fail('ERR handle request, slot is not ready, may be offline');
      return;
    }
    const source = slot.migrateFrom;
    if (source !== null && this.keyIndex < this.stepKeys.length) {
      this.migrateStep(slot, source, this.stepKeys[this.keyIndex] as string);
      return;
    }
    this.ready(slot);
  }

  slotUnlocked(): void {
    if (!this.waiting) {
      this.slotChanged();
      return;
    }
    this.waiting = false;
    if (this.lockTimer !== undefined) clearTimeout(this.lockTimer);
    this.lockTimer = undefined;
    // The table changed while waiting: every key is checked again against the new source.
    this.keyIndex = 0;
    this.advance();
  }

  /** A fill was applied to the slot while the step was registered as a waiter but not waiting. */
  protected slotChanged(): void {}

  private lockTimedOut(): void {
    this.lockTimer = undefined;
    const slot = this.slot;
    if (!this.waiting || slot === null) return;
    this.waiting = false;
    slot.removeWaiter(this);
    this.fail(`ERR handle request, slot ${slot.id} is locked, gave up after ${this.core.slotWaitTimeout} ms`);
  }

  private migrateStep(slot: Slot, source: SharedBackend, key: string): void {
    const request = this.request as Request;
    const step = new Request();
    step.kind = KIND_MIGRATE;
    step.owner = this;
    step.db = request.db;
    step.method = slot.method;
    step.migrateIndex = this.generation;
    step.argv =
      slot.method === 0
        ? ['SLOTSMGRTTAGONE', slot.backendHost, slot.backendPort, '3000', key]
        : ['SLOTSMGRT-EXEC-WRAPPER', key, 'EXISTS', key];
    const connection = source.pick(request.db, 0, true);
    if (connection === undefined) {
      this.fail('ERR handle request, slot is not ready, may be offline');
      return;
    }
    slot.inflight++;
    step.tracker = slot;
    connection.send(step);
  }

  onBackendReply(step: Request, raw: Buffer): void {
    if (step.migrateIndex !== this.generation || this.request === null) return;
    if (step.method === 0) {
      if (raw[0] === 58) {
        this.keyIndex++;
        this.advance();
      } else if (raw[0] === 45) this.fail(`ERR handle request, bad slotsmgrt resp: ${lineText(raw)}`);
      else this.fail(`ERR handle request, bad slotsmgrt resp: should be integer, but got ${typeName(raw)}`);
      return;
    }
    const items = arrayElements(raw);
    const code = items?.[0];
    if (items === undefined || items.length !== 2 || code === undefined || code[0] !== 58) {
      const text = raw[0] === 45 ? lineText(raw) : `unexpected ${typeName(raw)}`;
      this.fail(`ERR handle request, bad slotsmgrt-exec-wrapper resp: ${text}`);
    } else if (code[1] === 48) {
      this.keyIndex++;
      this.advance();
    } else if (code[1] === 49) {
      // The key is in the batch being moved right now: ask again shortly (Codis's delays, §6.6).
      const attempt = this.attempts++;
      this.retryTimer = setTimeout(
        () => {
          this.retryTimer = undefined;
          this.advance();
        },
        attempt < 5 ? 0 : Math.min(attempt, 20),
      );
    } else if (code[1] === 50) {
      const now = performance.now();
      if (this.sourceWaitStart === 0) this.sourceWaitStart = now;
      if (now - this.sourceWaitStart >= this.core.slotWaitTimeout) this.finishWith(TRYAGAIN_MIGRATING, false);
      else
        this.retryTimer = setTimeout(() => {
          this.retryTimer = undefined;
          this.advance();
        }, SOURCE_RETRY_DELAY);
    } else this.fail(`ERR handle request, bad slotsmgrt-exec-wrapper resp: ${lineText(items[1] as Buffer)}`);
  }

  onBackendFailure(step: Request, message: string): void {
    if (step.migrateIndex !== this.generation || this.request === null) return;
    this.fail(`ERR handle request, ${message}`);
  }

  protected fail(text: string): void {
    this.finishWith(errorReply(text), true);
  }

  /** Answers the client request and forgets it. */
  protected finishWith(reply: Buffer, failed: boolean): void {
    const request = this.request;
    if (request === null) return;
    this.stopWaiting();
    this.request = null;
    this.host.exclusiveDone(request, reply, failed);
  }

  /** Stops waiting for the lock or a migration step (the client went away, or the step ended). */
  protected stopWaiting(): void {
    this.generation++;
    if (this.waiting) {
      this.waiting = false;
      this.slot?.removeWaiter(this);
    }
    if (this.lockTimer !== undefined) clearTimeout(this.lockTimer);
    if (this.retryTimer !== undefined) clearTimeout(this.retryTimer);
    this.lockTimer = undefined;
    this.retryTimer = undefined;
  }
}

function advanceStep(step: ExclusiveStep, generation: number): void {
  step.advanceIf(generation);
}

/** Whether proxy.toml lets the proxy serve a transaction or blocking command Codis refuses. */
export function dedicatedCommandEnabled(info: CommandInfo, config: ProxyConfig): boolean {
  if (info.special === SPECIAL_TRANSACTION) return config.proxy_transactions_enabled;
  if (info.special === SPECIAL_BLOCKING) return config.proxy_blocking_enabled;
  return false;
}
