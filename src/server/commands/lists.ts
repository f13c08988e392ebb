// List commands: pushes, pops, ranges, LPOS, LMOVE/LMPOP and their blocking variants (BLPOP,
// BRPOP, BRPOPLPUSH, BLMOVE, BLMPOP). Replies, errors and key events follow Redis 7.0's t_list.c.
import { parseFloatArgument, parseLongLong } from '../arguments.ts';
import type { Client } from '../client.ts';
import type { CommandDefinition } from '../command-registry.ts';
import {
  NO_SUCH_KEY,
  NOT_INTEGER,
  OUT_OF_RANGE,
  SYNTAX,
  TIMEOUT_NEGATIVE,
  TIMEOUT_NOT_FLOAT,
  WRONG_TYPE,
  wrongArity,
} from '../errors.ts';
import { ListValue } from '../types/list.ts';
import { keyChanged, lookupWrite, notify, readCollection, writeCollection } from './keyspace-access.ts';

const HEAD = true;
const TAIL = false;

const MUST_BE_POSITIVE = 'ERR value is out of range, must be positive';
const NUMKEYS_NOT_POSITIVE = 'ERR numkeys should be greater than 0';
const COUNT_NOT_POSITIVE = 'ERR count should be greater than 0';
const RANK_ZERO =
  "ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list";
const LPOS_COUNT_NEGATIVE = "ERR COUNT can't be negative";
const LPOS_MAXLEN_NEGATIVE = "ERR MAXLEN can't be negative";
const INT64_MIN = -(2 ** 63);
/** Node timers cannot wait longer (about 24.8 days); longer timeouts wait until served. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** A blocking command's timeout reply when it expires: a null array (`*-1`, RESP3 `_`). */
function replyTimedOut(client: Client): void {
  client.out.nullArray();
}

/**
 * Whether the client may not block (inside MULTI/EXEC, flag `x`, or an internal client): a
 * blocking command then behaves as if its timeout expired at once.
 */
function blockingDenied(client: Client): boolean {
  return client.silent || client.flags.includes('x');
}

/** A long argument (LINDEX, LRANGE...), or undefined after the integer error. */
function parseIndex(client: Client, text: string): number | undefined {
  const value = parseLongLong(text);
  if (value === undefined) client.replyError(NOT_INTEGER);
  return value;
}

/**
 * Redis's getTimeoutFromObjectOrReply in seconds: the absolute deadline in ms (0 = forever), or
 * undefined after an error. Like Redis, a timeout that truncates to 0 ms means forever, and one
 * too large for a 64-bit count of ms wraps negative.
 */
function parseTimeout(client: Client, text: string): number | undefined {
  const seconds = parseFloatArgument(text);
  if (seconds === undefined) {
    client.replyError(TIMEOUT_NOT_FLOAT);
    return undefined;
  }
  const ms = Math.trunc(seconds * 1000);
  if (ms < 0 || !(ms < 2 ** 63)) {
    client.replyError(TIMEOUT_NEGATIVE);
    return undefined;
  }
  if (ms === 0 || ms > MAX_TIMER_MS) return 0;
  return client.server.cachedNow + ms;
}

/** LEFT/RIGHT (LMOVE, LMPOP): HEAD, TAIL, or undefined after a syntax error. */
function parseWhere(client: Client, text: string): boolean | undefined {
  const lower = text.toLowerCase();
  if (lower === 'left') return HEAD;
  if (lower === 'right') return TAIL;
  client.replyError(SYNTAX);
  return undefined;
}

/** The list at a key for a write, without replying: a list, null when absent, undefined when not a list. */
function peekList(client: Client, key: string): ListValue | null | undefined {
  const entry = lookupWrite(client, key);
  if (entry === undefined) return null;
  const value = entry.value;
  return value instanceof ListValue ? value : undefined;
}

/**
 * Bookkeeping after popping `count` elements (Redis's listElementsRemoved): the pop event, the
 * key deleted when the list became empty, dirty and modified-key signals.
 */
function elementsRemoved(client: Client, key: string, head: boolean, list: ListValue, count: number): void {
  notify(client, 'l', head ? 'lpop' : 'rpop', key);
  if (list.size === 0) {
    client.database.delete(key);
    notify(client, 'g', 'del', key);
  }
  keyChanged(client, key, count);
}

/** Pops up to `count` elements and writes them as an array. Returns how many were popped. */
function popRangeReply(client: Client, list: ListValue, head: boolean, count: number): number {
  const popped = Math.min(count, list.size);
  const out = client.out;
  out.arrayHeader(popped);
  for (let i = 0; i < popped; i++) out.bulk((head ? list.popHead() : list.popTail()) as string);
  return popped;
}

// --- pushes ---

function pushGeneric(client: Client, argv: string[], head: boolean, onlyIfExists: boolean): void {
  const key = argv[1] as string;
  const entry = lookupWrite(client, key);
  let list: ListValue;
  let created = false;
  if (entry === undefined) {
    if (onlyIfExists) {
      client.out.integer(0);
      return;
    }
    list = new ListValue();
    client.database.add(key, list, client.server.cachedNow);
    created = true;
  } else if (entry.value instanceof ListValue) {
    list = entry.value;
  } else {
    client.replyError(WRONG_TYPE);
    return;
  }
  const length = argv.length;
  if (head) for (let i = 2; i < length; i++) list.pushHead(argv[i] as string);
  else for (let i = 2; i < length; i++) list.pushTail(argv[i] as string);
  client.out.integer(list.size);
  keyChanged(client, key, length - 2);
  notify(client, 'l', head ? 'lpush' : 'rpush', key);
  // As Redis's dbAdd: a new list may serve clients blocked on its key.
  if (created) client.server.blocking.signalKeyReady(client.database, key);
}

function lpush(client: Client, argv: string[]): void {
  pushGeneric(client, argv, HEAD, false);
}

function rpush(client: Client, argv: string[]): void {
  pushGeneric(client, argv, TAIL, false);
}

function lpushx(client: Client, argv: string[]): void {
  pushGeneric(client, argv, HEAD, true);
}

function rpushx(client: Client, argv: string[]): void {
  pushGeneric(client, argv, TAIL, true);
}

function linsert(client: Client, argv: string[]): void {
  const position = (argv[2] as string).toLowerCase();
  let after: boolean;
  if (position === 'after') after = true;
  else if (position === 'before') after = false;
  else {
    client.replyError(SYNTAX);
    return;
  }
  const key = argv[1] as string;
  const list = writeCollection<ListValue>(client, key, 'list');
  if (list === undefined) return;
  if (list === null) {
    client.out.integer(0);
    return;
  }
  const pivot = argv[3] as string;
  const size = list.size;
  let found = -1;
  for (let i = 0; i < size; i++) {
    if (list.at(i) === pivot) {
      found = i;
      break;
    }
  }
  if (found < 0) {
    client.out.integer(-1);
    return;
  }
  list.insertAt(after ? found + 1 : found, argv[4] as string);
  keyChanged(client, key);
  notify(client, 'l', 'linsert', key);
  client.out.integer(list.size);
}

// --- reads ---

function llen(client: Client, argv: string[]): void {
  const list = readCollection<ListValue>(client, argv[1] as string, 'list');
  if (list === undefined) return;
  client.out.integer(list === null ? 0 : list.size);
}

function lindex(client: Client, argv: string[]): void {
  const list = readCollection<ListValue>(client, argv[1] as string, 'list');
  if (list === undefined) return;
  if (list === null) {
    client.out.nullBulk();
    return;
  }
  let index = parseIndex(client, argv[2] as string);
  if (index === undefined) return;
  if (index < 0) index += list.size;
  if (index < 0 || index >= list.size) client.out.nullBulk();
  else client.out.bulk(list.at(index));
}

function lrange(client: Client, argv: string[]): void {
  let start = parseIndex(client, argv[2] as string);
  if (start === undefined) return;
  let end = parseIndex(client, argv[3] as string);
  if (end === undefined) return;
  const list = readCollection<ListValue>(client, argv[1] as string, 'list');
  if (list === undefined) return;
  const out = client.out;
  if (list === null) {
    out.arrayHeader(0);
    return;
  }
  const length = list.size;
  if (start < 0) start += length;
  if (end < 0) end += length;
  if (start < 0) start = 0;
  if (start > end || start >= length) {
    out.arrayHeader(0);
    return;
  }
  if (end >= length) end = length - 1;
  out.arrayHeader(end - start + 1);
  for (let i = start; i <= end; i++) out.bulk(list.at(i));
}

function lpos(client: Client, argv: string[]): void {
  let rank = 1;
  let count = -1;
  let maxlen = 0;
  for (let i = 3; i < argv.length; i++) {
    const option = (argv[i] as string).toLowerCase();
    const hasMore = i + 1 < argv.length;
    if (option === 'rank' && hasMore) {
      const value = parseIndex(client, argv[++i] as string);
      if (value === undefined) return;
      if (value === 0) {
        client.replyError(RANK_ZERO);
        return;
      }
      rank = value;
    } else if (option === 'count' && hasMore) {
      const value = parseLongLong(argv[++i] as string);
      if (value === undefined || value < 0) {
        client.replyError(LPOS_COUNT_NEGATIVE);
        return;
      }
      count = value;
    } else if (option === 'maxlen' && hasMore) {
      const value = parseLongLong(argv[++i] as string);
      if (value === undefined || value < 0) {
        client.replyError(LPOS_MAXLEN_NEGATIVE);
        return;
      }
      maxlen = value;
    } else {
      client.replyError(SYNTAX);
      return;
    }
  }
  const list = readCollection<ListValue>(client, argv[1] as string, 'list');
  if (list === undefined) return;
  const out = client.out;
  if (list === null) {
    if (count !== -1) out.arrayHeader(0);
    else out.nullBulk();
    return;
  }
  const fromTail = rank < 0;
  // Redis negates LLONG_MIN into itself: every match then qualifies and COUNT never stops it.
  const wrapped = rank === INT64_MIN;
  if (fromTail) rank = wrapped ? 1 : -rank;
  if (wrapped) count = count === -1 ? -1 : 0;
  const element = argv[2] as string;
  const length = list.size;
  const scan = maxlen === 0 || maxlen > length ? length : maxlen;
  let matches = 0;
  if (count === -1) {
    for (let i = 0; i < scan; i++) {
      const index = fromTail ? length - 1 - i : i;
      if (list.at(index) === element && ++matches >= rank) {
        out.integer(index);
        return;
      }
    }
    out.nullBulk();
    return;
  }
  const found: number[] = [];
  for (let i = 0; i < scan; i++) {
    const index = fromTail ? length - 1 - i : i;
    if (list.at(index) === element && ++matches >= rank) {
      found.push(index);
      if (count !== 0 && matches - rank + 1 >= count) break;
    }
  }
  out.arrayHeader(found.length);
  for (const index of found) out.integer(index);
}

// --- in-place writes ---

function lset(client: Client, argv: string[]): void {
  const key = argv[1] as string;
  const entry = lookupWrite(client, key);
  if (entry === undefined) {
    client.replyError(NO_SUCH_KEY);
    return;
  }
  const list = entry.value;
  if (!(list instanceof ListValue)) {
    client.replyError(WRONG_TYPE);
    return;
  }
  let index = parseIndex(client, argv[2] as string);
  if (index === undefined) return;
  if (index < 0) index += list.size;
  if (index < 0 || index >= list.size) {
    client.replyError(OUT_OF_RANGE);
    return;
  }
  list.setAt(index, argv[3] as string);
  client.out.ok();
  keyChanged(client, key);
  notify(client, 'l', 'lset', key);
}

function ltrim(client: Client, argv: string[]): void {
  let start = parseIndex(client, argv[2] as string);
  if (start === undefined) return;
  let end = parseIndex(client, argv[3] as string);
  if (end === undefined) return;
  const key = argv[1] as string;
  const list = writeCollection<ListValue>(client, key, 'list');
  if (list === undefined) return;
  if (list === null) {
    client.out.ok();
    return;
  }
  const length = list.size;
  if (start < 0) start += length;
  if (end < 0) end += length;
  if (start < 0) start = 0;
  let trimLeft: number;
  let trimRight: number;
  if (start > end || start >= length) {
    trimLeft = length;
    trimRight = 0;
  } else {
    if (end >= length) end = length - 1;
    trimLeft = start;
    trimRight = length - end - 1;
  }
  list.removeRange(0, trimLeft);
  list.removeRange(list.size - trimRight, trimRight);
  notify(client, 'l', 'ltrim', key);
  if (list.size === 0) {
    client.database.delete(key);
    notify(client, 'g', 'del', key);
  }
  keyChanged(client, key, trimLeft + trimRight);
  client.out.ok();
}

function lrem(client: Client, argv: string[]): void {
  const limit = parseIndex(client, argv[2] as string);
  if (limit === undefined) return;
  const key = argv[1] as string;
  const list = writeCollection<ListValue>(client, key, 'list');
  if (list === undefined) return;
  if (list === null) {
    client.out.integer(0);
    return;
  }
  const removed = list.removeMatching(argv[3] as string, Math.abs(limit), limit < 0);
  if (removed > 0) {
    keyChanged(client, key, removed);
    notify(client, 'l', 'lrem', key);
  }
  if (list.size === 0) {
    client.database.delete(key);
    notify(client, 'g', 'del', key);
  }
  client.out.integer(removed);
}

// --- pops ---

function popGeneric(client: Client, argv: string[], head: boolean): void {
  if (argv.length > 3) {
    client.replyError(wrongArity(head ? 'lpop' : 'rpop'));
    return;
  }
  const hasCount = argv.length === 3;
  let count = 0;
  if (hasCount) {
    const value = parseLongLong(argv[2] as string);
    if (value === undefined || value < 0) {
      client.replyError(MUST_BE_POSITIVE);
      return;
    }
    count = value;
  }
  const key = argv[1] as string;
  const list = writeCollection<ListValue>(client, key, 'list');
  if (list === undefined) return;
  if (list === null) {
    if (hasCount) client.out.nullArray();
    else client.out.nullBulk();
    return;
  }
  if (hasCount && count === 0) {
    client.out.arrayHeader(0);
    return;
  }
  let popped = 1;
  if (!hasCount) client.out.bulk((head ? list.popHead() : list.popTail()) as string);
  else popped = popRangeReply(client, list, head, count);
  elementsRemoved(client, key, head, list, popped);
}

function lpop(client: Client, argv: string[]): void {
  popGeneric(client, argv, HEAD);
}

function rpop(client: Client, argv: string[]): void {
  popGeneric(client, argv, TAIL);
}

/** LMPOP/BLMPOP's arguments after the parse. */
interface MultiPopArguments {
  /** Index in argv of the first key. */
  firstKey: number;
  numkeys: number;
  head: boolean;
  count: number;
}

/** Parses `numkeys key... LEFT|RIGHT [COUNT count]` from argv[at]; undefined after an error. */
function parseMultiPop(client: Client, argv: string[], at: number): MultiPopArguments | undefined {
  const numkeys = parseLongLong(argv[at] as string);
  if (numkeys === undefined || numkeys < 1) {
    client.replyError(NUMKEYS_NOT_POSITIVE);
    return undefined;
  }
  const whereAt = at + numkeys + 1;
  if (whereAt >= argv.length) {
    client.replyError(SYNTAX);
    return undefined;
  }
  const head = parseWhere(client, argv[whereAt] as string);
  if (head === undefined) return undefined;
  let count = -1;
  for (let i = whereAt + 1; i < argv.length; i++) {
    if (count === -1 && (argv[i] as string).toLowerCase() === 'count' && i + 1 < argv.length) {
      const value = parseLongLong(argv[++i] as string);
      if (value === undefined || value < 1) {
        client.replyError(COUNT_NOT_POSITIVE);
        return undefined;
      }
      count = value;
    } else {
      client.replyError(SYNTAX);
      return undefined;
    }
  }
  return { firstKey: at + 1, numkeys, head, count: count === -1 ? 1 : count };
}

/**
 * Pops from the first non-empty list among argv[from, from + numkeys). `withCount`: the LMPOP
 * reply `[key, [elements]]`, else BLPOP's `[key, element]`. Returns true when it replied (served
 * or an error), false when every key was empty. While a blocked request is retried, a key of
 * another type is skipped as not ready (Redis only serves lists), instead of a WRONGTYPE error.
 */
function popFirstNonEmpty(
  client: Client,
  argv: string[],
  from: number,
  numkeys: number,
  head: boolean,
  count: number,
  withCount: boolean,
): boolean {
  const retrying = client.retryingBlocked;
  for (let i = from; i < from + numkeys; i++) {
    const key = argv[i] as string;
    const list = peekList(client, key);
    if (list === null) continue;
    if (list === undefined) {
      if (retrying) continue;
      client.replyError(WRONG_TYPE);
      return true;
    }
    if (list.size === 0) continue;
    const out = client.out;
    out.arrayHeader(2);
    out.bulk(key);
    let popped = 1;
    if (withCount) popped = popRangeReply(client, list, head, count);
    else out.bulk((head ? list.popHead() : list.popTail()) as string);
    elementsRemoved(client, key, head, list, popped);
    return true;
  }
  return false;
}

function lmpop(client: Client, argv: string[]): void {
  const parsed = parseMultiPop(client, argv, 1);
  if (parsed === undefined) return;
  if (!popFirstNonEmpty(client, argv, parsed.firstKey, parsed.numkeys, parsed.head, parsed.count, true))
    client.out.nullArray();
}

/** Moves one element from source to destination (LMOVE, RPOPLPUSH, and served BLMOVE). */
function moveGeneric(client: Client, source: string, destination: string, from: boolean, to: boolean): void {
  const list = writeCollection<ListValue>(client, source, 'list');
  if (list === undefined) return;
  if (list === null) {
    client.out.nullBulk();
    return;
  }
  const destinationEntry = lookupWrite(client, destination);
  let target: ListValue;
  let created = false;
  if (destinationEntry === undefined) {
    target = new ListValue();
    created = true;
  } else if (destinationEntry.value instanceof ListValue) {
    target = destinationEntry.value;
  } else {
    client.replyError(WRONG_TYPE);
    return;
  }
  const value = (from ? list.popHead() : list.popTail()) as string;
  if (created) client.database.add(destination, target, client.server.cachedNow);
  keyChanged(client, destination, 0);
  if (to) target.pushHead(value);
  else target.pushTail(value);
  notify(client, 'l', to ? 'lpush' : 'rpush', destination);
  client.out.bulk(value);
  notify(client, 'l', from ? 'lpop' : 'rpop', source);
  if (list.size === 0) {
    client.database.delete(source);
    notify(client, 'g', 'del', source);
  }
  keyChanged(client, source);
  if (created) client.server.blocking.signalKeyReady(client.database, destination);
}

function lmove(client: Client, argv: string[]): void {
  const from = parseWhere(client, argv[3] as string);
  if (from === undefined) return;
  const to = parseWhere(client, argv[4] as string);
  if (to === undefined) return;
  moveGeneric(client, argv[1] as string, argv[2] as string, from, to);
}

function rpoplpush(client: Client, argv: string[]): void {
  moveGeneric(client, argv[1] as string, argv[2] as string, TAIL, HEAD);
}

// --- blocking ---

function blockingPop(client: Client, argv: string[], head: boolean): void {
  const last = argv.length - 1;
  const deadline = parseTimeout(client, argv[last] as string);
  if (deadline === undefined) return;
  if (popFirstNonEmpty(client, argv, 1, last - 1, head, 1, false)) return;
  if (blockingDenied(client)) {
    client.out.nullArray();
    return;
  }
  client.block(argv.slice(1, last), argv, deadline, replyTimedOut);
}

function blpop(client: Client, argv: string[]): void {
  blockingPop(client, argv, HEAD);
}

function brpop(client: Client, argv: string[]): void {
  blockingPop(client, argv, TAIL);
}

function blmpop(client: Client, argv: string[]): void {
  const parsed = parseMultiPop(client, argv, 2);
  if (parsed === undefined) return;
  const deadline = parseTimeout(client, argv[1] as string);
  if (deadline === undefined) return;
  const { firstKey, numkeys } = parsed;
  if (popFirstNonEmpty(client, argv, firstKey, numkeys, parsed.head, parsed.count, true)) return;
  if (blockingDenied(client)) {
    client.out.nullArray();
    return;
  }
  client.block(argv.slice(firstKey, firstKey + numkeys), argv, deadline, replyTimedOut);
}

function blockingMove(client: Client, argv: string[], from: boolean, to: boolean, deadline: number): void {
  const source = argv[1] as string;
  const list = peekList(client, source);
  if (list === undefined && !client.retryingBlocked) {
    client.replyError(WRONG_TYPE);
    return;
  }
  if (list instanceof ListValue && list.size > 0) {
    moveGeneric(client, source, argv[2] as string, from, to);
    return;
  }
  if (blockingDenied(client)) {
    client.out.nullBulk();
    return;
  }
  client.block([source], argv, deadline, replyTimedOut);
}

function blmove(client: Client, argv: string[]): void {
  const from = parseWhere(client, argv[3] as string);
  if (from === undefined) return;
  const to = parseWhere(client, argv[4] as string);
  if (to === undefined) return;
  const deadline = parseTimeout(client, argv[5] as string);
  if (deadline === undefined) return;
  blockingMove(client, argv, from, to, deadline);
}

function brpoplpush(client: Client, argv: string[]): void {
  const deadline = parseTimeout(client, argv[3] as string);
  if (deadline === undefined) return;
  blockingMove(client, argv, TAIL, HEAD, deadline);
}

export const listCommands: CommandDefinition[] = [
  { name: 'lpush', handler: lpush },
  { name: 'rpush', handler: rpush },
  { name: 'lpushx', handler: lpushx },
  { name: 'rpushx', handler: rpushx },
  { name: 'linsert', handler: linsert },
  { name: 'llen', handler: llen },
  { name: 'lindex', handler: lindex },
  { name: 'lrange', handler: lrange },
  { name: 'lpos', handler: lpos },
  { name: 'lset', handler: lset },
  { name: 'ltrim', handler: ltrim },
  { name: 'lrem', handler: lrem },
  { name: 'lpop', handler: lpop },
  { name: 'rpop', handler: rpop },
  { name: 'lmpop', handler: lmpop },
  { name: 'lmove', handler: lmove },
  { name: 'rpoplpush', handler: rpoplpush },
  { name: 'blpop', handler: blpop },
  { name: 'brpop', handler: brpop },
  { name: 'blmpop', handler: blmpop },
  { name: 'blmove', handler: blmove },
  { name: 'brpoplpush', handler: brpoplpush },
];
