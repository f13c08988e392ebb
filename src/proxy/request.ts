// A request in flight. Client requests are pooled per session and reused; the proxy's own requests
// (sub-requests of split commands, migration steps, keepalive) are plain objects. When a backend
// answers, it hands the request back to its owner (no closure per request).
import type { CommandInfo } from './command-table.ts';
import { argumentStrings } from './request-decoder.ts';
import type { CommandStats } from './stats.ts';

export const KIND_CLIENT = 0;
export const KIND_SUB = 1;
export const KIND_MIGRATE = 2;
export const KIND_KEEPALIVE = 3;

/** Whoever gets the request back when its reply (or failure) is in. */
export interface RequestOwner {
  /** The backend answered `raw` (a view of the backend's input: copy it to keep it past this turn). */
  onBackendReply(request: Request, raw: Buffer): void;
  /** The backend could not answer: `message` is e.g. `backend conn reset`. */
  onBackendFailure(request: Request, message: string): void;
  /** Read-only requests of a broken session are dropped by the backend (§7.3). */
  readonly broken: boolean;
  /** Sessions count the windows they send in (flush.ts busyTurn); other owners have none. */
  sentInWindow?: number;
}

/** The part of a slot a request needs to report completion (in-flight tracking, §6.2). */
export interface InflightTracker {
  inflightDone(): void;
}

export class Request {
  kind = KIND_CLIENT;
  owner: RequestOwner | null = null;
  /** The arguments as strings, or null while they are only located in `raw` by `offsets`. */
  private strings: string[] | null = [];
  /** [start, end) of each argument in `raw` while `strings` is null. */
  offsets: number[] | null = null;
  /** The bytes sent to the backend (the client's own bytes whenever possible). */
  raw: Buffer | undefined;
  info: CommandInfo | undefined;
  stats: CommandStats | undefined;
  db = 0;
  /** The client session spoke HELLO 3: backends it needs beyond the shared ones must too. */
  resp3 = false;
  /** performance.now() when decoded. */
  start = 0;
  /** The slot the request is routed through (-1 before routing). */
  slotId = -1;
  /** The first key (routing and migration step); '' when none. */
  hashKey = '';
  /** The final reply bytes; set once `done`. */
  reply: Buffer | undefined;
  /**
   * A reply sent as parts (a merged MGET: its header, then each element as the backends sent it),
   * copied once into the session's output; `reply` is then the first part.
   */
  replyParts: Buffer[] | null = null;
  done = false;
  /** The reply is a proxy failure (`handle request/response`), for session_break_on_failure. */
  failed = false;
  /** Counted in a slot's in-flight set until its reply arrives. */
  tracker: InflightTracker | null = null;
  // Split commands (§4.5).
  parent: Request | null = null;
  subs: Request[] | null = null;
  /** Index in the parent's argument list of each key of this sub-request (MGET merge). */
  keyIndexes: number[] | null = null;
  nextSub = 0;
  pendingSubs = 0;
  // Migration step (§6.5, §6.6).
  /** 0 = not done, 1 = in flight, 2 = passed: forward to the target. */
  migrateStage = 0;
  migrateAttempts = 0;
  /** Sync method: keys of other tags that need their own SLOTSMGRTTAGONE first. */
  migrateKeys: string[] | null = null;
  /** Sync method: 0 = the step for hashKey, i = the step for migrateKeys[i - 1]. */
  migrateIndex = 0;
  /** For KIND_MIGRATE: the request the step is for. */
  target: Request | null = null;
  /** For KIND_MIGRATE: 0 = SLOTSMGRTTAGONE, 1 = SLOTSMGRT-EXEC-WRAPPER. */
  method = 0;
  /** EVALSHA already sent again after NOSCRIPT (scripts.ts): its next reply stands. */
  scriptRetried = false;

  /**
   * The arguments as latin1 strings, converted from the raw bytes on first use: a request the
   * proxy only forwards never needs them (`arg` and `argc` read single arguments without this).
   */
  get argv(): string[] {
    if (this.strings === null) {
      this.strings = argumentStrings(this.raw as Buffer, this.offsets as number[]);
      this.offsets = null;
    }
    return this.strings;
  }

  set argv(argv: string[]) {
    this.strings = argv;
    this.offsets = null;
  }

  /** Takes the arguments either as strings or as offsets into `raw` (then `raw` is required). */
  setArguments(raw: Buffer | undefined, offsets: number[] | null, strings: string[] | null): void {
    this.raw = raw;
    this.offsets = offsets;
    this.strings = strings;
  }

  get argc(): number {
    return this.strings === null ? (this.offsets as number[]).length >> 1 : this.strings.length;
  }

  /** Argument i as a latin1 string ('' when absent). */
  arg(i: number): string {
    if (this.strings !== null) return this.strings[i] ?? '';
    const offsets = this.offsets as number[];
    if (2 * i >= offsets.length) return '';
    return (this.raw as Buffer).latin1Slice(offsets[2 * i] as number, offsets[2 * i + 1] as number);
  }

  clear(): void {
    this.owner = null;
    this.strings = [];
    this.offsets = null;
    this.raw = undefined;
    this.info = undefined;
    this.stats = undefined;
    this.hashKey = '';
    this.slotId = -1;
    this.reply = undefined;
    this.replyParts = null;
    this.done = false;
    this.failed = false;
    this.tracker = null;
    this.parent = null;
    this.subs = null;
    this.keyIndexes = null;
    this.nextSub = 0;
    this.pendingSubs = 0;
    this.migrateStage = 0;
    this.migrateAttempts = 0;
    this.migrateKeys = null;
    this.migrateIndex = 0;
    this.target = null;
    this.scriptRetried = false;
    this.resp3 = false;
  }
}

/** RESP3's null, which replaces RESP2's nil bulk string and nil array. */
export const NULL_REPLY = Buffer.from('_\r\n');

const replyCache = new Map<string, Buffer>();

/** The bytes of an error reply `-<text>\r\n` (cached: proxy errors repeat). */
export function errorReply(text: string): Buffer {
  let bytes = replyCache.get(text);
  if (bytes === undefined) {
    bytes = Buffer.from(`-${text}\r\n`, 'latin1');
    if (replyCache.size < 10000) replyCache.set(text, bytes);
  }
  return bytes;
}

export const OK_REPLY = Buffer.from('+OK\r\n');
