// Commands over the whole keyspace, which Codis 3.2 refuses: SCAN, KEYS, DBSIZE, RANDOMKEY.
//
// SCAN walks the slots in order with the servers' SLOTSSCAN. Each call reads whole slots, never a
// part of one, so the cursor is simply the next slot to read (0 = start, and 0 again when slot 1023
// is done). That is what makes "every key present during the whole scan is returned exactly once"
// hold while slots migrate: a slot whose keys move between calls is never resumed from a position
// in the old server's table. A migrating slot is read on the source and then on the target in the
// same call; a key can only move from the source to the target, so a key the source read missed
// is on the target for the whole target read, and a key seen on both sides is returned once. The
// slot's reads are counted in its in-flight requests, so the proxy cannot switch the slot to a new
// state in the middle of them. The cost: a page holds whole slots (about 1/1024 of the data each),
// so it can exceed COUNT, which Redis allows.
//
// MATCH and TYPE are applied by the proxy (SLOTSSCAN has neither); a page may then be empty with a
// non-zero cursor, as in Redis. A MATCH pattern whose hash tag is fixed ({tag} with no glob
// character before or inside it) reads only that tag's slot, and so does KEYS.
//
// Empty slots cost a round trip each, so once a call meets an empty slot it asks every master for
// SLOTSINFO over the rest of its range and skips the slots reported empty everywhere, provided the
// slot neither migrated nor changed owner while the question was out (its record is the same
// object), so no key that exists for the whole scan can be in it.
//
// KEYS is a complete scan that stops with an error once more than proxy_keys_max keys match: the
// servers are never blocked by a KEYS over their whole keyspace, and the proxy never holds an
// unbounded reply.

import { globMatch } from '../server/glob.ts';
import { slotOf } from '../slots/index.ts';
import type { SharedBackend } from './backend.ts';
import {
  answerFailure,
  broadcast,
  connectionsOf,
  firstFailure,
  mastersOf,
  type Outcome,
  type ReplyTarget,
} from './broadcast.ts';
import {
  type CommandInfo,
  SPECIAL_DBSIZE,
  SPECIAL_FUNCTION,
  SPECIAL_KEYS,
  SPECIAL_RANDOMKEY,
  SPECIAL_SCAN,
  SPECIAL_SCRIPT,
} from './command-table.ts';
import type { ProxyConfig } from './config/types.ts';
import { arrayElements, bulkText, integerReply, lineText } from './merge.ts';
import type { ProxyCore } from './proxy-core.ts';
import { errorReply, NULL_REPLY, Request, type RequestOwner } from './request.ts';
import type { Slot, SlotWaiter } from './router.ts';
import type { ProxySlot } from './slot.ts';

const SYNTAX = errorReply('ERR syntax error');
const INVALID_CURSOR = errorReply('ERR invalid cursor');
const NOT_INTEGER = errorReply('ERR value is not an integer or out of range');
const NO_BACKEND = errorReply('ERR handle request, no backend serves any slot');
const NIL = Buffer.from('$-1\r\n');
/** A SCAN call reads at most this many slots (empty ones included) before it answers. */
const SLOTS_PER_CALL = 64;
/** Keys asked of a server per SLOTSSCAN round. */
const SLOTSSCAN_COUNT = '1000';
const SLOT_COUNT = 1024;

function wrongArguments(name: string): Buffer {
  return errorReply(`ERR wrong number of arguments for '${name}' command`);
}

/**
 * Whether a command Codis refuses is served because proxy.toml enables it. Every command this
 * module or scripts.ts serves is in Codis's NotAllow list.
 */
export function extensionEnabled(info: CommandInfo, config: ProxyConfig): boolean {
  switch (info.special) {
    case SPECIAL_SCAN:
    case SPECIAL_DBSIZE:
    case SPECIAL_RANDOMKEY:
      return config.proxy_scan_enabled;
    case SPECIAL_KEYS:
      return config.proxy_keys_max > 0;
    case SPECIAL_SCRIPT:
    case SPECIAL_FUNCTION:
      return config.proxy_scripting_enabled;
    default:
      return false;
  }
}

/** Answers SCAN, KEYS, DBSIZE or RANDOMKEY (the session checked extensionEnabled). */
export function keyspaceCommand(target: ReplyTarget, request: Request, core: ProxyCore, seed: number): void {
  const argv = request.argv;
  const special = (request.info as CommandInfo).special;
  if (special === SPECIAL_SCAN) {
    scan(target, request, core, seed);
    return;
  }
  if (special === SPECIAL_KEYS) {
    if (argv.length !== 2) {
      target.answer(request, wrongArguments('keys'), false);
      return;
    }
    const pattern = argv[1] as string;
    const fixed = patternSlot(pattern);
    const job = new ScanJob(
      target,
      request,
      core,
      seed,
      Math.max(fixed, 0),
      fixed < 0 ? SLOT_COUNT - 1 : fixed,
    );
    job.pattern = pattern === '*' ? null : pattern;
    job.keysLimit = core.config.proxy_keys_max;
    job.run();
    return;
  }
  const name = special === SPECIAL_DBSIZE ? 'dbsize' : 'randomkey';
  if (argv.length !== 1) {
    target.answer(request, wrongArguments(name), false);
    return;
  }
  const masters = mastersOf(core.router);
  if (masters.length === 0) {
    target.answer(request, NO_BACKEND, false);
    return;
  }
  if (special === SPECIAL_DBSIZE) {
    // During a migration a key is on one side or the other (both only for the instant of its move).
    broadcast(connectionsOf(masters, request.db, seed), ['DBSIZE'], (outcomes) => {
      if (answerFailure(target, request, outcomes)) return;
      let total = 0;
      for (const outcome of outcomes) total += Number(lineText(outcome as Buffer));
      target.answer(request, integerReply(total), false);
    });
    return;
  }
  // RANDOMKEY: masters in random order until one has a key.
  for (let i = masters.length - 1; i > 0; i--) {
    const j = (Math.random() * (i + 1)) | 0;
    const swap = masters[i] as SharedBackend;
    masters[i] = masters[j] as SharedBackend;
    masters[j] = swap;
  }
  const tryNext = (index: number): void => {
    if (index === masters.length) {
      target.answer(request, request.resp3 ? NULL_REPLY : NIL, false);
      return;
    }
    broadcast(
      connectionsOf([masters[index] as SharedBackend], request.db, seed),
      ['RANDOMKEY'],
      (outcomes) => {
        const outcome = outcomes[0] as Outcome;
        if (typeof outcome !== 'string' && outcome[0] === 36 && outcome[1] === 45) tryNext(index + 1);
        else if (typeof outcome === 'string') target.answer(request, firstFailure(outcomes) as Buffer, true);
        else target.answer(request, outcome, false);
      },
    );
  };
  tryNext(0);
}

function scan(target: ReplyTarget, request: Request, core: ProxyCore, seed: number): void {
  const argv = request.argv;
  if (argv.length < 2) {
    target.answer(request, wrongArguments('scan'), false);
    return;
  }
  const text = argv[1] as string;
  // Any cursor this proxy hands out is a slot number; anything else was not made here.
  if (!/^\+?\d{1,20}$/.test(text) || Number(text) >= SLOT_COUNT) {
    target.answer(request, INVALID_CURSOR, false);
    return;
  }
  const cursor = Number(text);
  let count = 10;
  let pattern: string | null = null;
  let type: string | null = null;
  for (let i = 2; i < argv.length; i += 2) {
    const option = (argv[i] as string).toLowerCase();
    const value = argv[i + 1];
    if (value === undefined) {
      target.answer(request, SYNTAX, false);
      return;
    }
    if (option === 'count') {
      if (!/^[+-]?\d{1,18}$/.test(value)) {
        target.answer(request, NOT_INTEGER, false);
        return;
      }
      count = Number(value);
      if (count < 1) {
        target.answer(request, SYNTAX, false);
        return;
      }
    } else if (option === 'match') pattern = value === '*' ? null : value;
    else if (option === 'type') type = value.toLowerCase();
    else {
      target.answer(request, SYNTAX, false);
      return;
    }
  }
  const fixed = pattern === null ? -1 : patternSlot(pattern);
  let job: ScanJob;
  if (fixed >= 0) {
    // The only slot that can match: read it on the first call, then the scan is over.
    if (cursor !== 0) {
      target.answer(request, Buffer.from('*2\r\n$1\r\n0\r\n*0\r\n'), false);
      return;
    }
    job = new ScanJob(target, request, core, seed, fixed, fixed);
  } else job = new ScanJob(target, request, core, seed, cursor, SLOT_COUNT - 1);
  job.count = count;
  job.pattern = pattern;
  job.type = type;
  job.run();
}

/**
 * The slot every key matching `pattern` hashes to, or -1 when keys of several slots can match:
 * Redis Cluster's rule (a {tag} with no glob character before or inside it), and a pattern with no
 * glob character at all, which only the key spelled like it matches.
 */
export function patternSlot(pattern: string): number {
  let open = -1;
  let tagDone = false;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern.charCodeAt(i);
    // * ? [ \ make what follows uncertain.
    if (c === 42 || c === 63 || c === 91 || c === 92) return -1;
    if (tagDone) continue;
    if (c === 123 && open < 0) open = i;
    else if (c === 125 && open >= 0) {
      if (i > open + 1) return slotOf(pattern.slice(0, i + 1));
      // An empty tag: keys like this are hashed whole.
      tagDone = true;
    }
  }
  return slotOf(pattern);
}

const PHASE_SCAN = 0;
const PHASE_TYPE = 1;

/** One SCAN call (or one whole KEYS): reads slots [slot, last] until the page is full. */
class ScanJob implements RequestOwner, SlotWaiter {
  readonly broken = false;
  count = Number.POSITIVE_INFINITY;
  pattern: string | null = null;
  type: string | null = null;
  /** KEYS: the most keys answered; -1 for SCAN. */
  keysLimit = -1;
  private readonly target: ReplyTarget;
  private readonly request: Request;
  private readonly core: ProxyCore;
  private readonly seed: number;
  private slotId: number;
  private readonly last: number;
  private readonly page: string[] = [];
  private visited = 0;
  private finished = false;
  private phase = PHASE_SCAN;
  // The slot being read.
  private slot: Slot | null = null;
  private sides: SharedBackend[] = [];
  private side = 0;
  private readonly found = new Set<string>();
  // TYPE checks of the slot's candidates.
  private candidates: string[] = [];
  private typeMatches: boolean[] = [];
  private typePending = 0;
  private lockTimer: NodeJS.Timeout | undefined;
  /** 1 for a slot known to hold no key that exists for the whole scan (SLOTSINFO). */
  private empty: Uint8Array | null = null;
  /** A slot was read empty: ask SLOTSINFO before reading the next one. */
  private infoWanted = false;

  constructor(
    target: ReplyTarget,
    request: Request,
    core: ProxyCore,
    seed: number,
    first: number,
    last: number,
  ) {
    this.target = target;
    this.request = request;
    this.core = core;
    this.seed = seed;
    this.slotId = first;
    this.last = last;
  }

  /** Reads slots until one needs a backend round trip (or the page is complete). */
  run(): void {
    for (;;) {
      if (this.finished) return;
      const limited = this.keysLimit < 0;
      if (
        this.slotId > this.last ||
        (limited && (this.page.length >= this.count || this.visited >= SLOTS_PER_CALL))
      ) {
        this.complete();
        return;
      }
      if (this.empty !== null && this.empty[this.slotId] === 1) {
        this.slotId++;
        continue;
      }
      if (this.infoWanted) {
        this.infoWanted = false;
        this.fetchInfo();
        return;
      }
      const slot = this.core.router.slots[this.slotId] as Slot;
      if (slot.locked) {
        slot.addWaiter(this);
        this.slot = slot;
        this.lockTimer = setTimeout(() => this.lockTimedOut(), this.core.slotWaitTimeout);
        return;
      }
      const backend = slot.backend;
      if (backend === null) {
        // No group serves the slot: no key of it can be reached through the proxy.
        this.slotId++;
        this.visited++;
        continue;
      }
      this.slot = slot;
      this.sides = slot.migrateFrom !== null ? [slot.migrateFrom, backend] : [backend];
      this.side = 0;
      this.found.clear();
      this.phase = PHASE_SCAN;
      this.sendScan('0');
      return;
    }
  }

  private fetchInfo(): void {
    const router = this.core.router;
    const first = this.slotId;
    const count = this.last - first + 1;
    // The state each slot had when the question went out; null when it is moving or waiting.
    const states = new Array<ProxySlot | null>(count);
    for (let i = 0; i < count; i++) {
      const slot = router.slots[first + i] as Slot;
      const stable =
        slot.backend !== null && slot.migrateFrom === null && !slot.locked && slot.pendingFills.length === 0;
      states[i] = stable ? slot.record : null;
    }
    const masters = mastersOf(router);
    const connections = connectionsOf(masters, this.request.db, this.seed);
    broadcast(connections, ['SLOTSINFO', String(first), String(count)], (outcomes) => {
      if (this.finished) return;
      // A master that could not be asked may hold any slot: nothing is skipped.
      if (connections.length !== masters.length) {
        this.run();
        return;
      }
      const holding = new Uint8Array(SLOT_COUNT);
      for (const outcome of outcomes) {
        const pairs = typeof outcome === 'string' ? undefined : arrayElements(outcome);
        // An unknown answer: no slot is skipped.
        if (pairs === undefined) {
          this.run();
          return;
        }
        for (const pair of pairs) {
          const id = Number(lineText((arrayElements(pair) as Buffer[])[0] as Buffer));
          if (id >= 0 && id < SLOT_COUNT) holding[id] = 1;
        }
      }
      const empty = new Uint8Array(SLOT_COUNT);
      for (let i = 0; i < count; i++) {
        const slot = router.slots[first + i] as Slot;
        const state = states[i];
        if (state !== null && slot.record === state && holding[first + i] === 0 && !slot.locked)
          empty[first + i] = 1;
      }
      this.empty = empty;
      this.run();
    });
  }

  slotUnlocked(): void {
    if (this.lockTimer !== undefined) clearTimeout(this.lockTimer);
    this.lockTimer = undefined;
    this.slot = null;
    this.run();
  }

  private lockTimedOut(): void {
    this.lockTimer = undefined;
    const slot = this.slot as Slot;
    slot.removeWaiter(this);
    this.fail(`ERR handle request, slot ${slot.id} is locked, gave up after ${this.core.slotWaitTimeout} ms`);
  }

  private send(side: SharedBackend, argv: string[], index: number): void {
    const slot = this.slot as Slot;
    const connection = side.pick(this.request.db, this.seed, true);
    if (connection === undefined) {
      this.fail('ERR handle request, slot is not ready, may be offline');
      return;
    }
    const request = new Request();
    request.owner = this;
    request.argv = argv;
    request.db = this.request.db;
    request.slotId = index;
    // Counted in flight: the slot keeps its state (owner, migration source) until the read is done.
    slot.inflight++;
    request.tracker = slot;
    connection.send(request);
  }

  private sendScan(cursor: string): void {
    const slot = this.slot as Slot;
    this.send(
      this.sides[this.side] as SharedBackend,
      ['SLOTSSCAN', String(slot.id), cursor, 'COUNT', SLOTSSCAN_COUNT],
      0,
    );
  }

  onBackendReply(request: Request, raw: Buffer): void {
    if (this.finished) return;
    if (raw[0] === 45) {
      this.target.answer(this.request, Buffer.from(raw), false);
      this.finished = true;
      return;
    }
    if (this.phase === PHASE_TYPE) {
      if (raw[0] === 43 && lineText(raw).toLowerCase() === this.type) this.typeMatches[request.slotId] = true;
      if (--this.typePending === 0) this.typesDone();
      return;
    }
    const items = arrayElements(raw);
    const next = items?.length === 2 ? bulkText(items[0] as Buffer) : undefined;
    const keys = items?.length === 2 ? arrayElements(items[1] as Buffer) : undefined;
    if (next === undefined || keys === undefined) {
      this.fail('ERR handle response, bad slotsscan resp');
      return;
    }
    for (const key of keys) {
      const name = bulkText(key);
      if (name !== undefined) this.found.add(name);
    }
    if (next !== '0') this.sendScan(next);
    else if (++this.side < this.sides.length) this.sendScan('0');
    else this.slotDone();
  }

  onBackendFailure(_request: Request, message: string): void {
    this.fail(`ERR handle response, ${message}`, true);
  }

  private slotDone(): void {
    const pattern = this.pattern;
    const candidates: string[] = [];
    for (const key of this.found) if (pattern === null || globMatch(pattern, key)) candidates.push(key);
    if (this.found.size === 0 && this.empty === null) this.infoWanted = true;
    this.found.clear();
    if (this.type === null || candidates.length === 0) {
      this.accept(candidates);
      return;
    }
    // The type is asked wherever the key may be: a key that moved is `none` on the source.
    this.phase = PHASE_TYPE;
    this.candidates = candidates;
    this.typeMatches = new Array<boolean>(candidates.length).fill(false);
    this.typePending = candidates.length * this.sides.length;
    for (const side of this.sides) {
      for (let i = 0; i < candidates.length; i++) this.send(side, ['TYPE', candidates[i] as string], i);
    }
  }

  private typesDone(): void {
    const kept: string[] = [];
    for (let i = 0; i < this.candidates.length; i++)
      if (this.typeMatches[i]) kept.push(this.candidates[i] as string);
    this.candidates = [];
    this.phase = PHASE_SCAN;
    this.accept(kept);
  }

  private accept(keys: string[]): void {
    for (const key of keys) this.page.push(key);
    if (this.keysLimit >= 0 && this.page.length > this.keysLimit) {
      this.fail(
        `ERR KEYS matches more than ${this.keysLimit} keys (proxy_keys_max), use SCAN to iterate them`,
      );
      return;
    }
    this.slot = null;
    this.slotId++;
    this.visited++;
    this.run();
  }

  private complete(): void {
    this.finished = true;
    const page = this.page;
    let size = 0;
    for (const key of page) size += key.length;
    const keysHeader = `*${page.length}\r\n`;
    let text: string;
    if (this.keysLimit >= 0) text = keysHeader;
    else {
      const cursor = this.slotId > this.last ? '0' : String(this.slotId);
      text = `*2\r\n$${cursor.length}\r\n${cursor}\r\n${keysHeader}`;
    }
    const out = Buffer.allocUnsafe(text.length + size + page.length * 16);
    let at = out.latin1Write(text, 0);
    for (const key of page) at += out.latin1Write(`$${key.length}\r\n${key}\r\n`, at);
    this.target.answer(this.request, out.subarray(0, at), false);
  }

  private fail(text: string, failed = false): void {
    if (this.finished) return;
    this.finished = true;
    this.target.answer(this.request, errorReply(text), failed);
  }
}
