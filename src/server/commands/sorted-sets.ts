// Sorted set commands with Redis 7.0's parsing, replies and errors: ZADD and friends, rank, score
// and lex ranges (ZRANGE and its legacy forms, ZRANGESTORE), removals by range, pops and their
// blocking forms, ZRANDMEMBER, the set algebra (ZUNION, ZINTER, ZDIFF, their STORE forms,
// ZINTERCARD; plain sets count with score 1) and ZSCAN.
import { formatDouble } from '../../resp/index.ts';
import {
  isKeyword,
  parseCursor,
  parseFloatArgument,
  parseInt64,
  parseLongLong,
  parseSafeInteger,
} from '../arguments.ts';
import type { Client } from '../client.ts';
import type { CommandDefinition } from '../command-registry.ts';
import {
  NOT_FLOAT,
  NOT_INTEGER,
  SYNTAX,
  TIMEOUT_NEGATIVE,
  TIMEOUT_NOT_FLOAT,
  WRONG_TYPE,
} from '../errors.ts';
import { globMatch } from '../glob.ts';
import type { CollectionValue } from '../keyspace/value.ts';
import {
  type LexBound,
  type LexRange,
  lexGteMin,
  lexLteMax,
  type ScoreRange,
  type ZSetNode,
  ZSetValue,
} from '../types/zset.ts';
import { keyChanged, lookupRead, notify, readCollection, writeCollection } from './keyspace-access.ts';

const NAN_SCORE = 'ERR resulting score is not a number (NaN)';
const RANGE_NOT_FLOAT = 'ERR min or max is not a float';
const LEX_RANGE_INVALID = 'ERR min or max not valid string range item';
const NOT_POSITIVE = 'ERR value is out of range, must be positive';
/** setTimeout's longest delay; longer timeouts wait forever (nobody waits 24 days in a test). */
const MAX_TIMER_MS = 2 ** 31 - 1;

// ---------------------------------------------------------------------------------------------
// Argument parsing

/**
 * Redis's getDoubleFromObject: the whole string must be a float, no leading space, no NaN, and an
 * overflow or underflow to zero (strtod's ERANGE) is an error.
 */
export function parseScore(text: string): number | undefined {
  const value = parseFloatArgument(text);
  if (value === undefined) return undefined;
  if (!Number.isFinite(value) && !/inf/i.test(text)) return undefined;
  if (value === 0 && /^[+-]?(?:\d*\.?\d*)/.exec(text)?.[0].match(/[1-9]/) && !/^[+-]?0x/i.test(text))
    return undefined;
  return value;
}

/** strtod as zslParseRange uses it: leading spaces allowed, an empty string is 0, NaN refused. */
function parseRangeFloat(text: string): number | undefined {
  if (text.length === 0) return 0;
  const trimmed = text.replace(/^[ \t\n\v\f\r]+/, '');
  if (trimmed.length === 0) return undefined;
  return parseFloatArgument(trimmed);
}

function parseScoreRange(minText: string, maxText: string): ScoreRange | undefined {
  const minExclusive = minText.charCodeAt(0) === 40;
  const maxExclusive = maxText.charCodeAt(0) === 40;
  const min = parseRangeFloat(minExclusive ? minText.slice(1) : minText);
  const max = parseRangeFloat(maxExclusive ? maxText.slice(1) : maxText);
  if (min === undefined || max === undefined) return undefined;
  return { min, max, minExclusive, maxExclusive };
}

/** One lex bound; returns [bound, exclusive] or undefined. `+` and `-` count as exclusive. */
function parseLexBound(text: string): [LexBound, boolean] | undefined {
  const first = text.charCodeAt(0);
  if (first === 43 || first === 45) {
    if (text.length !== 1) return undefined;
    return [{ value: '', special: first === 43 ? 1 : -1 }, true];
  }
  if (first === 40) return [{ value: text.slice(1), special: 0 }, true];
  if (first === 91) return [{ value: text.slice(1), special: 0 }, false];
  return undefined;
}

function parseLexRange(minText: string, maxText: string): LexRange | undefined {
  const min = parseLexBound(minText);
  const max = parseLexBound(maxText);
  if (min === undefined || max === undefined) return undefined;
  return { min: min[0], max: max[0], minExclusive: min[1], maxExclusive: max[1] };
}

/** getTimeoutFromObjectOrReply in seconds: absolute deadline in ms, 0 = forever, undefined after an error. */
function parseTimeout(client: Client, text: string): number | undefined {
  const seconds = parseFloatArgument(text);
  if (seconds === undefined) {
    client.replyError(TIMEOUT_NOT_FLOAT);
    return undefined;
  }
  // As in Redis, a timeout too large for a 64-bit count of ms wraps negative.
  const whole = Math.trunc(seconds * 1000);
  if (whole < 0 || !(whole < 2 ** 63)) {
    client.replyError(TIMEOUT_NEGATIVE);
    return undefined;
  }
  if (whole === 0 || whole > MAX_TIMER_MS) return 0;
  return client.server.cachedNow + whole;
}

/** getPositiveLongFromObjectOrReply: a count >= 0, or undefined after replying `message`. */
function parsePositiveLong(client: Client, text: string, message: string): number | undefined {
  const value = parseLongLong(text);
  if (value === undefined || value < 0) {
    client.replyError(message);
    return undefined;
  }
  return value;
}

// ---------------------------------------------------------------------------------------------
// Shared write helpers

export function readZset(client: Client, key: string): ZSetValue | null | undefined {
  return readCollection<ZSetValue>(client, key, 'zset');
}

/** Deletes a key whose set became empty, with Redis's "del" event. */
function deleteIfEmpty(client: Client, key: string, zset: ZSetValue): boolean {
  if (zset.size !== 0) return false;
  client.database.delete(key);
  return true;
}

/**
 * Stores a computed result (built as a skiplist, a listpack when small enough) at `destination`, or
 * deletes it when empty, and replies its size.
 */
export function storeResult(client: Client, destination: string, result: ZSetValue, event: string): void {
  const database = client.database;
  if (result.size > 0) {
    result.convertToListpackIfSmall();
    database.set(destination, result, client.server.cachedNow);
    keyChanged(client, destination);
    notify(client, 'z', event, destination);
    client.server.blocking.signalKeyReady(database, destination);
    client.out.integer(result.size);
    return;
  }
  client.out.integer(0);
  if (database.lookup(destination, client.server.cachedNow) !== undefined) {
    database.delete(destination);
    keyChanged(client, destination);
    notify(client, 'g', 'del', destination);
  }
}

// ---------------------------------------------------------------------------------------------
// ZADD, ZINCRBY, ZREM, and the single-key reads

const ADD_NX = 1;
const ADD_XX = 2;
const ADD_GT = 4;
const ADD_LT = 8;
const ADD_CH = 16;
const ADD_INCR = 32;

function zaddGeneric(client: Client, argv: string[], initialFlags: number): void {
  const key = argv[1] as string;
  let flags = initialFlags;
  let at = 2;
  for (; at < argv.length; at++) {
    const option = (argv[at] as string).toLowerCase();
    if (option === 'nx') flags |= ADD_NX;
    else if (option === 'xx') flags |= ADD_XX;
    else if (option === 'ch') flags |= ADD_CH;
    else if (option === 'incr') flags |= ADD_INCR;
    else if (option === 'gt') flags |= ADD_GT;
    else if (option === 'lt') flags |= ADD_LT;
    else break;
  }
  const remaining = argv.length - at;
  if (remaining === 0 || remaining % 2 !== 0) {
    client.replyError(SYNTAX);
    return;
  }
  const pairs = remaining / 2;
  if (flags & ADD_NX && flags & ADD_XX) {
    client.replyError('ERR XX and NX options at the same time are not compatible');
    return;
  }
  if ((flags & ADD_NX && flags & (ADD_GT | ADD_LT)) || (flags & ADD_GT && flags & ADD_LT)) {
    client.replyError('ERR GT, LT, and/or NX options at the same time are not compatible');
    return;
  }
  if (flags & ADD_INCR && pairs > 1) {
    client.replyError('ERR INCR option supports a single increment-element pair');
    return;
  }
  // Every score is parsed before anything changes: the command applies fully or not at all.
  const scores = new Array<number>(pairs);
  for (let i = 0; i < pairs; i++) {
    const score = parseScore(argv[at + i * 2] as string);
    if (score === undefined) {
      client.replyError(NOT_FLOAT);
      return;
    }
    scores[i] = score;
  }
  const incr = (flags & ADD_INCR) !== 0;
  let zset = writeCollection<ZSetValue>(client, key, 'zset');
  if (zset === undefined) return;
  let added = 0;
  let updated = 0;
  let processed = 0;
  let lastScore = 0;
  if (zset === null && !(flags & ADD_XX)) {
    zset = new ZSetValue();
    client.database.add(key, zset, client.server.cachedNow);
  }
  if (zset !== null) {
    for (let i = 0; i < pairs; i++) {
      const member = argv[at + i * 2 + 1] as string;
      let score = scores[i] as number;
      const current = zset.score(member);
      if (current !== undefined) {
        if (flags & ADD_NX) continue;
        if (incr) {
          score += current;
          if (Number.isNaN(score)) {
            client.replyError(NAN_SCORE);
            finishAdd(client, key, added, updated, incr);
            return;
          }
        }
        if ((flags & ADD_LT && score >= current) || (flags & ADD_GT && score <= current)) continue;
        lastScore = score;
        processed++;
        if (score !== current) {
          zset.set(member, score);
          updated++;
        }
      } else if (!(flags & ADD_XX)) {
        zset.set(member, score);
        lastScore = score;
        added++;
        processed++;
      }
    }
  }
  if (incr) {
    if (processed > 0) client.out.double(lastScore);
    else client.out.nullBulk();
  } else {
    client.out.integer(flags & ADD_CH ? added + updated : added);
  }
  finishAdd(client, key, added, updated, incr);
}

function finishAdd(client: Client, key: string, added: number, updated: number, incr: boolean): void {
  if (added + updated === 0) return;
  keyChanged(client, key, added + updated);
  notify(client, 'z', incr ? 'zincr' : 'zadd', key);
  client.server.blocking.signalKeyReady(client.database, key);
}

export function zadd(client: Client, argv: string[]): void {
  zaddGeneric(client, argv, 0);
}

function zincrby(client: Client, argv: string[]): void {
  zaddGeneric(client, argv, ADD_INCR);
}

function zrem(client: Client, argv: string[]): void {
  const key = argv[1] as string;
  const zset = writeCollection<ZSetValue>(client, key, 'zset');
  if (zset === undefined) return;
  if (zset === null) {
    client.out.integer(0);
    return;
  }
  let deleted = 0;
  let removed = false;
  for (let i = 2; i < argv.length; i++) {
    if (zset.remove(argv[i] as string)) deleted++;
    if (deleteIfEmpty(client, key, zset)) {
      removed = true;
      break;
    }
  }
  if (deleted > 0) {
    notify(client, 'z', 'zrem', key);
    if (removed) notify(client, 'g', 'del', key);
    keyChanged(client, key, deleted);
  }
  client.out.integer(deleted);
}

function zcard(client: Client, argv: string[]): void {
  const zset = readZset(client, argv[1] as string);
  if (zset === undefined) return;
  client.out.integer(zset === null ? 0 : zset.size);
}

function zscore(client: Client, argv: string[]): void {
  const zset = readZset(client, argv[1] as string);
  if (zset === undefined) return;
  const score = zset?.score(argv[2] as string);
  if (score === undefined) client.out.nullBulk();
  else client.out.double(score);
}

function zmscore(client: Client, argv: string[]): void {
  const zset = readZset(client, argv[1] as string);
  if (zset === undefined) return;
  client.out.arrayHeader(argv.length - 2);
  for (let i = 2; i < argv.length; i++) {
    const score = zset?.score(argv[i] as string);
    if (score === undefined) client.out.nullBulk();
    else client.out.double(score);
  }
}

function zrankGeneric(client: Client, argv: string[], reverse: boolean): void {
  const zset = readZset(client, argv[1] as string);
  if (zset === undefined) return;
  const rank = zset?.rank(argv[2] as string);
  if (rank === undefined || zset == null) client.out.nullBulk();
  else client.out.integer(reverse ? zset.size - 1 - rank : rank);
}

function zcount(client: Client, argv: string[]): void {
  const range = parseScoreRange(argv[2] as string, argv[3] as string);
  if (range === undefined) {
    client.replyError(RANGE_NOT_FLOAT);
    return;
  }
  const zset = readZset(client, argv[1] as string);
  if (zset === undefined) return;
  client.out.integer(zset === null ? 0 : zset.countInScoreRange(range));
}

function zlexcount(client: Client, argv: string[]): void {
  const range = parseLexRange(argv[2] as string, argv[3] as string);
  if (range === undefined) {
    client.replyError(LEX_RANGE_INVALID);
    return;
  }
  const zset = readZset(client, argv[1] as string);
  if (zset === undefined) return;
  client.out.integer(zset === null ? 0 : zset.countInLexRange(range));
}

// ---------------------------------------------------------------------------------------------
// Ranges: ZRANGE and its legacy forms, ZRANGESTORE

const RANGE_AUTO = 0;
const RANGE_RANK = 1;
const RANGE_SCORE = 2;
const RANGE_LEX = 3;
const DIRECTION_AUTO = 0;
const DIRECTION_FORWARD = 1;
const DIRECTION_REVERSE = 2;

/** A run of `count` nodes from `start`, walking backwards when reverse. */
interface Selection {
  start: ZSetNode | null;
  count: number;
}

const selection: Selection = { start: null, count: 0 };

function selectByRank(zset: ZSetValue, start: number, end: number, reverse: boolean): Selection {
  const length = zset.size;
  let from = start < 0 ? length + start : start;
  let to = end < 0 ? length + end : end;
  if (from < 0) from = 0;
  selection.start = null;
  selection.count = 0;
  if (from > to || from >= length) return selection;
  if (to >= length) to = length - 1;
  selection.count = to - from + 1;
  selection.start = zset.nodeAt(reverse ? length - 1 - from : from);
  return selection;
}

/**
 * A lex range as Redis walks it: from the first (or, reversed, the last) member in range, skip
 * `offset` members, then take members until one falls out of the range or `limit` is reached.
 * Unlike a rank span, this stops at a member out of lex order (members with other scores).
 */
function selectLexRange(
  zset: ZSetValue,
  range: LexRange,
  offset: number,
  limit: number,
  reverse: boolean,
): Selection {
  selection.start = null;
  selection.count = 0;
  if (offset < 0) return selection;
  let node = reverse ? zset.lastInLexRange(range) : zset.firstInLexRange(range);
  for (let skip = offset; node !== null && skip > 0; skip--) node = reverse ? node.backward : node.next;
  selection.start = node;
  let count = 0;
  while (node !== null && (limit < 0 || count < limit)) {
    if (reverse ? !lexGteMin(node.member, range) : !lexLteMax(node.member, range)) break;
    count++;
    node = reverse ? node.backward : node.next;
  }
  selection.count = count;
  if (count === 0) selection.start = null;
  return selection;
}

/** Applies LIMIT to the ascending ranks [firstRank, lastRank] of the matching members. */
function selectWithLimit(
  zset: ZSetValue,
  first: ZSetNode | null,
  last: ZSetNode | null,
  offset: number,
  limit: number,
  reverse: boolean,
): Selection {
  selection.start = null;
  selection.count = 0;
  if (first === null || last === null || offset < 0) return selection;
  const firstRank = zset.nodeRank(first);
  const lastRank = zset.nodeRank(last);
  const available = lastRank - firstRank + 1 - offset;
  if (available <= 0) return selection;
  selection.count = limit < 0 ? available : Math.min(limit, available);
  if (selection.count > 0) selection.start = zset.nodeAt(reverse ? lastRank - offset : firstRank + offset);
  return selection;
}

function emitSelection(client: Client, picked: Selection, reverse: boolean, withScores: boolean): void {
  const out = client.out;
  const count = picked.count;
  const nested = withScores && out.protocol === 3;
  out.arrayHeader(withScores && !nested ? count * 2 : count);
  let node = picked.start;
  for (let i = 0; i < count && node !== null; i++) {
    if (nested) out.arrayHeader(2);
    out.bulk(node.member);
    if (withScores) out.double(node.score);
    node = reverse ? node.backward : (node.forward[0] ?? null);
  }
}

function selectionToZset(picked: Selection, reverse: boolean): ZSetValue {
  const result = new ZSetValue();
  result.convertToSkiplist();
  let node = picked.start;
  for (let i = 0; i < picked.count && node !== null; i++) {
    result.set(node.member, node.score);
    node = reverse ? node.backward : (node.forward[0] ?? null);
  }
  return result;
}

function rangeGeneric(
  client: Client,
  argv: string[],
  keyIndex: number,
  store: boolean,
  initialType: number,
  initialDirection: number,
): void {
  let rangeType = initialType;
  let direction = initialDirection;
  let withScores = false;
  let offset = 0;
  let limit = -1;
  for (let j = keyIndex + 3; j < argv.length; j++) {
    const option = argv[j] as string;
    const left = argv.length - j - 1;
    if (!store && isKeyword(option, 'withscores')) withScores = true;
    else if (isKeyword(option, 'limit') && left >= 2) {
      const parsedOffset = parseLongLong(argv[j + 1] as string);
      const parsedLimit = parsedOffset === undefined ? undefined : parseLongLong(argv[j + 2] as string);
      if (parsedOffset === undefined || parsedLimit === undefined) {
        client.replyError(NOT_INTEGER);
        return;
      }
      offset = parsedOffset;
      limit = parsedLimit;
      j += 2;
    } else if (direction === DIRECTION_AUTO && isKeyword(option, 'rev')) direction = DIRECTION_REVERSE;
    else if (rangeType === RANGE_AUTO && isKeyword(option, 'bylex')) rangeType = RANGE_LEX;
    else if (rangeType === RANGE_AUTO && isKeyword(option, 'byscore')) rangeType = RANGE_SCORE;
    else {
      client.replyError(SYNTAX);
      return;
    }
  }
  if (direction === DIRECTION_AUTO) direction = DIRECTION_FORWARD;
  if (rangeType === RANGE_AUTO) rangeType = RANGE_RANK;
  if (limit !== -1 && rangeType === RANGE_RANK) {
    client.replyError(
      'ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX',
    );
    return;
  }
  if (withScores && rangeType === RANGE_LEX) {
    client.replyError('ERR syntax error, WITHSCORES not supported in combination with BYLEX');
    return;
  }
  const reverse = direction === DIRECTION_REVERSE;
  // The reverse forms take their range as max, min.
  let minText = argv[keyIndex + 1] as string;
  let maxText = argv[keyIndex + 2] as string;
  if (reverse && rangeType !== RANGE_RANK) {
    const swap = minText;
    minText = maxText;
    maxText = swap;
  }
  let start = 0;
  let end = 0;
  let scoreRange: ScoreRange | undefined;
  let lexRange: LexRange | undefined;
  if (rangeType === RANGE_RANK) {
    const parsedStart = parseLongLong(minText);
    const parsedEnd = parsedStart === undefined ? undefined : parseLongLong(maxText);
    if (parsedStart === undefined || parsedEnd === undefined) {
      client.replyError(NOT_INTEGER);
      return;
    }
    start = parsedStart;
    end = parsedEnd;
  } else if (rangeType === RANGE_SCORE) {
    scoreRange = parseScoreRange(minText, maxText);
    if (scoreRange === undefined) {
      client.replyError(RANGE_NOT_FLOAT);
      return;
    }
  } else {
    lexRange = parseLexRange(minText, maxText);
    if (lexRange === undefined) {
      client.replyError(LEX_RANGE_INVALID);
      return;
    }
  }
  const zset = readZset(client, argv[keyIndex] as string);
  if (zset === undefined) return;
  if (zset === null) {
    if (store) storeResult(client, argv[1] as string, new ZSetValue(), 'zrangestore');
    else client.out.arrayHeader(0);
    return;
  }
  let picked: Selection;
  if (scoreRange !== undefined) {
    picked = selectWithLimit(
      zset,
      zset.firstInScoreRange(scoreRange),
      zset.lastInScoreRange(scoreRange),
      offset,
      limit,
      reverse,
    );
  } else if (lexRange !== undefined) {
    picked = selectLexRange(zset, lexRange, offset, limit, reverse);
  } else {
    picked = selectByRank(zset, start, end, reverse);
  }
  if (store) storeResult(client, argv[1] as string, selectionToZset(picked, reverse), 'zrangestore');
  else emitSelection(client, picked, reverse, withScores);
}

// ---------------------------------------------------------------------------------------------
// Removal by range

function zremrangeGeneric(client: Client, argv: string[], rangeType: number): void {
  const key = argv[1] as string;
  let start = 0;
  let end = 0;
  let scoreRange: ScoreRange | undefined;
  let lexRange: LexRange | undefined;
  let event: string;
  if (rangeType === RANGE_RANK) {
    const parsedStart = parseLongLong(argv[2] as string);
    const parsedEnd = parsedStart === undefined ? undefined : parseLongLong(argv[3] as string);
    if (parsedStart === undefined || parsedEnd === undefined) {
      client.replyError(NOT_INTEGER);
      return;
    }
    start = parsedStart;
    end = parsedEnd;
    event = 'zremrangebyrank';
  } else if (rangeType === RANGE_SCORE) {
    scoreRange = parseScoreRange(argv[2] as string, argv[3] as string);
    if (scoreRange === undefined) {
      client.replyError(RANGE_NOT_FLOAT);
      return;
    }
    event = 'zremrangebyscore';
  } else {
    lexRange = parseLexRange(argv[2] as string, argv[3] as string);
    if (lexRange === undefined) {
      client.replyError(LEX_RANGE_INVALID);
      return;
    }
    event = 'zremrangebylex';
  }
  const zset = writeCollection<ZSetValue>(client, key, 'zset');
  if (zset === undefined) return;
  if (zset === null) {
    client.out.integer(0);
    return;
  }
  let picked: Selection;
  if (scoreRange !== undefined) {
    picked = selectWithLimit(
      zset,
      zset.firstInScoreRange(scoreRange),
      zset.lastInScoreRange(scoreRange),
      0,
      -1,
      false,
    );
  } else if (lexRange !== undefined) {
    picked = selectLexRange(zset, lexRange, 0, -1, false);
  } else {
    picked = selectByRank(zset, start, end, false);
  }
  const deleted = picked.count;
  let node = picked.start;
  for (let i = 0; i < deleted && node !== null; i++) {
    const next = node.forward[0] ?? null;
    zset.remove(node.member);
    node = next;
  }
  if (deleted > 0) {
    const removed = deleteIfEmpty(client, key, zset);
    notify(client, 'z', event, key);
    if (removed) notify(client, 'g', 'del', key);
    keyChanged(client, key, deleted);
  }
  client.out.integer(deleted);
}

// ---------------------------------------------------------------------------------------------
// Pops: ZPOPMIN/ZPOPMAX, BZPOPMIN/BZPOPMAX, ZMPOP/BZMPOP

/**
 * Redis's genericZpopCommand over keys[from, from + count). `emitKey` prefixes the key (blocking
 * forms and ZMPOP); `nested` replies [member, score] pairs; `nilWhenEmpty` answers a null array
 * when no key holds a set. Returns false when it found nothing to pop (and replied nothing).
 */
function popGeneric(
  client: Client,
  keys: string[],
  from: number,
  keyCount: number,
  max: boolean,
  emitKey: boolean,
  requested: number,
  nested: boolean,
): boolean {
  let key = '';
  let zset: ZSetValue | null = null;
  for (let i = from; i < from + keyCount; i++) {
    key = keys[i] as string;
    const found = writeCollection<ZSetValue>(client, key, 'zset');
    if (found === undefined) return true;
    if (found !== null) {
      zset = found;
      break;
    }
  }
  if (zset === null) return false;
  const out = client.out;
  if (requested === 0) {
    out.arrayHeader(0);
    return true;
  }
  const count = Math.min(requested === -1 ? 1 : requested, zset.size);
  if (!nested && !emitKey) out.arrayHeader(count * 2);
  else if (nested && !emitKey) out.arrayHeader(count);
  else if (!nested && emitKey) {
    out.arrayHeader(count * 2 + 1);
    out.bulk(key);
  } else {
    out.arrayHeader(2);
    out.bulk(key);
    out.arrayHeader(count);
  }
  for (let i = 0; i < count; i++) {
    const node = (max ? zset.last() : zset.first()) as ZSetNode;
    const member = node.member;
    const score = node.score;
    zset.remove(member);
    if (nested) out.arrayHeader(2);
    out.bulk(member);
    out.double(score);
  }
  notify(client, 'z', max ? 'zpopmax' : 'zpopmin', key);
  keyChanged(client, key, count);
  if (deleteIfEmpty(client, key, zset)) notify(client, 'g', 'del', key);
  return true;
}

function zpopGeneric(client: Client, argv: string[], max: boolean): void {
  if (argv.length > 3) {
    client.replyError(SYNTAX);
    return;
  }
  let count = -1;
  if (argv.length === 3) {
    const parsed = parsePositiveLong(client, argv[2] as string, NOT_POSITIVE);
    if (parsed === undefined) return;
    count = parsed;
  }
  const nested = client.out.protocol === 3 && count !== -1;
  if (!popGeneric(client, argv, 1, 1, max, false, count, nested)) client.out.arrayHeader(0);
}

/**
 * Whether the client may not block (inside MULTI/EXEC, flag `x`, or an internal client): a
 * blocking command then behaves as if its timeout expired at once.
 */
function blockingDenied(client: Client): boolean {
  return client.silent || client.flags.includes('x');
}

function replyNullArray(client: Client): void {
  client.out.nullArray();
}

function bzpopGeneric(client: Client, argv: string[], max: boolean): void {
  const last = argv.length - 1;
  const deadline = parseTimeout(client, argv[last] as string);
  if (deadline === undefined) return;
  if (popGeneric(client, argv, 1, last - 1, max, true, -1, false)) return;
  if (blockingDenied(client)) {
    client.out.nullArray();
    return;
  }
  client.block(argv.slice(1, last), argv, deadline, replyNullArray);
}

/** ZMPOP / BZMPOP: numkeys at argv[numkeysIndex]. */
function zmpopGeneric(client: Client, argv: string[], numkeysIndex: number, blocking: boolean): void {
  const numkeys = parseLongLong(argv[numkeysIndex] as string);
  if (numkeys === undefined || numkeys < 1) {
    client.replyError('ERR numkeys should be greater than 0');
    return;
  }
  const whereIndex = numkeysIndex + numkeys + 1;
  if (whereIndex >= argv.length) {
    client.replyError(SYNTAX);
    return;
  }
  const where = argv[whereIndex] as string;
  let max: boolean;
  if (isKeyword(where, 'min')) max = false;
  else if (isKeyword(where, 'max')) max = true;
  else {
    client.replyError(SYNTAX);
    return;
  }
  let count = -1;
  for (let j = whereIndex + 1; j < argv.length; j++) {
    if (count === -1 && isKeyword(argv[j] as string, 'count') && j + 1 < argv.length) {
      j++;
      const parsed = parseLongLong(argv[j] as string);
      if (parsed === undefined || parsed < 1) {
        client.replyError('ERR count should be greater than 0');
        return;
      }
      count = parsed;
    } else {
      client.replyError(SYNTAX);
      return;
    }
  }
  if (count === -1) count = 1;
  let deadline = 0;
  if (blocking) {
    const parsed = parseTimeout(client, argv[1] as string);
    if (parsed === undefined) return;
    deadline = parsed;
  }
  if (popGeneric(client, argv, numkeysIndex + 1, numkeys, max, true, count, true)) return;
  if (blocking && !blockingDenied(client))
    client.block(argv.slice(numkeysIndex + 1, whereIndex), argv, deadline, replyNullArray);
  else client.out.nullArray();
}

// ---------------------------------------------------------------------------------------------
// ZRANDMEMBER

const INT64_MAX_NUMBER = 2 ** 63;

function zrandmember(client: Client, argv: string[]): void {
  const out = client.out;
  if (argv.length >= 3) {
    const parsed = parseInt64(argv[2] as string);
    if (parsed === undefined) {
      client.replyError(NOT_INTEGER);
      return;
    }
    if (parsed === -9223372036854775808n) {
      client.replyError(
        'ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807',
      );
      return;
    }
    const requested = Number(parsed);
    let withScores = false;
    if (argv.length > 4 || (argv.length === 4 && !isKeyword(argv[3] as string, 'withscores'))) {
      client.replyError(SYNTAX);
      return;
    }
    if (argv.length === 4) {
      withScores = true;
      if (requested < -INT64_MAX_NUMBER / 2 || requested > INT64_MAX_NUMBER / 2) {
        client.replyError('ERR value is out of range');
        return;
      }
    }
    randomWithCount(client, argv[1] as string, requested, withScores);
    return;
  }
  const zset = readZset(client, argv[1] as string);
  if (zset === undefined) return;
  if (zset === null) {
    out.nullBulk();
    return;
  }
  out.bulk((zset.nodeAt(Math.floor(Math.random() * zset.size)) as ZSetNode).member);
}

function emitMember(client: Client, node: ZSetNode, withScores: boolean): void {
  const out = client.out;
  if (withScores && out.protocol === 3) out.arrayHeader(2);
  out.bulk(node.member);
  if (withScores) out.double(node.score);
}

function randomWithCount(client: Client, key: string, requested: number, withScores: boolean): void {
  const out = client.out;
  const zset = readZset(client, key);
  if (zset === undefined) return;
  if (zset === null || requested === 0) {
    out.arrayHeader(0);
    return;
  }
  const size = zset.size;
  const flat = withScores && out.protocol === 2;
  // Negative count: repetitions allowed, any order.
  if (requested < 0 || requested === 1) {
    const count = Math.abs(requested);
    out.arrayHeader(flat ? count * 2 : count);
    for (let i = 0; i < count; i++) {
      emitMember(client, zset.nodeAt(Math.floor(Math.random() * size)) as ZSetNode, withScores);
    }
    return;
  }
  if (requested >= size) {
    out.arrayHeader(flat ? size * 2 : size);
    // Redis walks the whole set from the tail here, so the reply is in descending order.
    for (let node = zset.last(); node !== null; node = node.backward) emitMember(client, node, withScores);
    return;
  }
  // Distinct ranks, picked by a partial Fisher-Yates shuffle or by rejection when few are wanted.
  out.arrayHeader(flat ? requested * 2 : requested);
  if (requested * 3 > size) {
    const ranks = Array.from({ length: size }, (_, i) => i);
    for (let i = 0; i < requested; i++) {
      const j = i + Math.floor(Math.random() * (size - i));
      const picked = ranks[j] as number;
      ranks[j] = ranks[i] as number;
      ranks[i] = picked;
      emitMember(client, zset.nodeAt(picked) as ZSetNode, withScores);
    }
    return;
  }
  const seen = new Set<number>();
  while (seen.size < requested) {
    const rank = Math.floor(Math.random() * size);
    if (seen.has(rank)) continue;
    seen.add(rank);
    emitMember(client, zset.nodeAt(rank) as ZSetNode, withScores);
  }
}

// ---------------------------------------------------------------------------------------------
// ZUNION, ZINTER, ZDIFF, their STORE forms, ZINTERCARD

const OP_UNION = 0;
const OP_INTER = 1;
const OP_DIFF = 2;
const AGGREGATE_SUM = 0;
const AGGREGATE_MIN = 1;
const AGGREGATE_MAX = 2;

interface SetLike {
  members(): Iterable<string>;
  has?(member: string): boolean;
}

/** An input of the set algebra: a sorted set, a plain set (scores 1), or a missing key. */
interface Source {
  zset: ZSetValue | null;
  set: SetLike | null;
  size: number;
  weight: number;
  /** Lazily built membership for plain sets without has(). */
  lookup: Set<string> | null;
}

function sourceScore(source: Source, member: string): number | undefined {
  if (source.zset !== null) return source.zset.score(member);
  const set = source.set;
  if (set === null) return undefined;
  if (typeof set.has === 'function') return set.has(member) ? 1 : undefined;
  source.lookup ??= new Set(set.members());
  return source.lookup.has(member) ? 1 : undefined;
}

function* sourceEntries(source: Source): Generator<[string, number]> {
  if (source.zset !== null) {
    for (let node = source.zset.first(); node !== null; node = node.forward[0] ?? null)
      yield [node.member, node.score];
  } else if (source.set !== null) {
    for (const member of source.set.members()) yield [member, 1];
  }
}

function aggregate(target: number, value: number, how: number): number {
  if (how === AGGREGATE_SUM) {
    const sum = target + value;
    return Number.isNaN(sum) ? 0 : sum;
  }
  if (how === AGGREGATE_MIN) return Math.min(value, target);
  return Math.max(value, target);
}

function setAlgebra(
  client: Client,
  argv: string[],
  numkeysIndex: number,
  op: number,
  destination: string | undefined,
  cardinalityOnly: boolean,
): void {
  const commandName = (argv[0] as string).toLowerCase();
  const setCount = parseLongLong(argv[numkeysIndex] as string);
  if (setCount === undefined) {
    client.replyError(NOT_INTEGER);
    return;
  }
  if (setCount < 1) {
    client.replyError(`ERR at least 1 input key is needed for '${commandName}' command`);
    return;
  }
  if (setCount > argv.length - (numkeysIndex + 1)) {
    client.replyError(SYNTAX);
    return;
  }
  const sources: Source[] = [];
  let j = numkeysIndex + 1;
  for (let i = 0; i < setCount; i++, j++) {
    const entry = lookupRead(client, argv[j] as string);
    const source: Source = { zset: null, set: null, size: 0, weight: 1, lookup: null };
    if (entry !== undefined) {
      const value = entry.value;
      if (typeof value !== 'object' || (value.type !== 'zset' && value.type !== 'set')) {
        client.replyError(WRONG_TYPE);
        return;
      }
      if (value.type === 'zset') source.zset = value as ZSetValue;
      else source.set = value as CollectionValue & SetLike;
      source.size = value.size;
    }
    sources.push(source);
  }
  let how = AGGREGATE_SUM;
  let withScores = false;
  let limit = 0;
  while (j < argv.length) {
    const option = argv[j] as string;
    const remaining = argv.length - j;
    if (op !== OP_DIFF && !cardinalityOnly && remaining >= setCount + 1 && isKeyword(option, 'weights')) {
      j++;
      for (let i = 0; i < setCount; i++, j++) {
        const weight = parseScore(argv[j] as string);
        if (weight === undefined) {
          client.replyError('ERR weight value is not a float');
          return;
        }
        (sources[i] as Source).weight = weight;
      }
    } else if (op !== OP_DIFF && !cardinalityOnly && remaining >= 2 && isKeyword(option, 'aggregate')) {
      const name = (argv[j + 1] as string).toLowerCase();
      if (name === 'sum') how = AGGREGATE_SUM;
      else if (name === 'min') how = AGGREGATE_MIN;
      else if (name === 'max') how = AGGREGATE_MAX;
      else {
        client.replyError(SYNTAX);
        return;
      }
      j += 2;
    } else if (destination === undefined && !cardinalityOnly && isKeyword(option, 'withscores')) {
      withScores = true;
      j++;
    } else if (cardinalityOnly && remaining >= 2 && isKeyword(option, 'limit')) {
      const parsed = parsePositiveLong(client, argv[j + 1] as string, "ERR LIMIT can't be negative");
      if (parsed === undefined) return;
      limit = parsed;
      j += 2;
    } else {
      client.replyError(SYNTAX);
      return;
    }
  }
  if (op !== OP_DIFF) sources.sort((a, b) => a.size - b.size);

  // Redis computes into a skiplist (a reply keeps -0), made a listpack when stored small enough.
  const result = new ZSetValue();
  result.convertToSkiplist();
  let cardinality = 0;
  const first = sources[0] as Source;
  if (op === OP_INTER) {
    if (first.size > 0) {
      for (const [member, memberScore] of sourceEntries(first)) {
        let score = first.weight * memberScore;
        if (Number.isNaN(score)) score = 0;
        let i = 1;
        for (; i < sources.length; i++) {
          const other = sources[i] as Source;
          const found = sourceScore(other, member);
          if (found === undefined) break;
          score = aggregate(score, found * other.weight, how);
        }
        if (i !== sources.length) continue;
        if (cardinalityOnly) {
          cardinality++;
          if (limit > 0 && cardinality >= limit) break;
        } else {
          result.set(member, score);
        }
      }
    }
  } else if (op === OP_UNION) {
    const accumulator = new Map<string, number>();
    for (const source of sources) {
      if (source.size === 0) continue;
      for (const [member, memberScore] of sourceEntries(source)) {
        let score = source.weight * memberScore;
        if (Number.isNaN(score)) score = 0;
        const existing = accumulator.get(member);
        accumulator.set(member, existing === undefined ? score : aggregate(existing, score, how));
      }
    }
    for (const [member, score] of accumulator) result.set(member, score);
  } else {
    if (first.size > 0) {
      for (const [member, score] of sourceEntries(first)) {
        let found = false;
        for (let i = 1; i < sources.length && !found; i++) {
          found = sourceScore(sources[i] as Source, member) !== undefined;
        }
        if (!found) result.set(member, score);
      }
    }
  }

  if (destination !== undefined) {
    const event = op === OP_UNION ? 'zunionstore' : op === OP_INTER ? 'zinterstore' : 'zdiffstore';
    storeResult(client, destination, result, event);
  } else if (cardinalityOnly) {
    client.out.integer(cardinality);
  } else {
    const out = client.out;
    const nested = withScores && out.protocol === 3;
    out.arrayHeader(withScores && !nested ? result.size * 2 : result.size);
    for (let node = result.first(); node !== null; node = node.forward[0] ?? null) {
      if (nested) out.arrayHeader(2);
      out.bulk(node.member);
      if (withScores) out.double(node.score);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// ZSCAN

const EMPTY_SCAN = '*2\r\n$1\r\n0\r\n*0\r\n';

function zscan(client: Client, argv: string[]): void {
  const cursor = parseCursor(argv[2] as string);
  if (cursor === undefined) {
    client.replyError('ERR invalid cursor');
    return;
  }
  const zset = readZset(client, argv[1] as string);
  if (zset === undefined) return;
  if (zset === null) {
    client.out.raw(EMPTY_SCAN);
    return;
  }
  let count = 10;
  let pattern: string | undefined;
  for (let i = 3; i < argv.length; ) {
    const option = argv[i] as string;
    const left = argv.length - i;
    if (isKeyword(option, 'count') && left >= 2) {
      const parsed = parseSafeInteger(argv[i + 1] as string) ?? parseLongLong(argv[i + 1] as string);
      if (parsed === undefined) {
        client.replyError(NOT_INTEGER);
        return;
      }
      if (parsed < 1) {
        client.replyError(SYNTAX);
        return;
      }
      count = parsed;
      i += 2;
    } else if (isKeyword(option, 'match') && left >= 2) {
      const text = argv[i + 1] as string;
      pattern = text === '*' ? undefined : text;
      i += 2;
    } else {
      client.replyError(SYNTAX);
      return;
    }
  }
  const found: Array<[string, number]> = [];
  let next = 0n;
  if (zset.encoding() === 'listpack') {
    // A small set is returned whole, in order, with cursor 0, as Redis does for a listpack.
    for (const pair of zset.entries()) found.push(pair);
  } else {
    next = client.server.scanCursors.scan(
      zset,
      cursor,
      count,
      () => zset.dict.entries(),
      (pair: [string, number]) => found.push(pair),
    );
  }
  const out = client.out;
  out.arrayHeader(2);
  out.bulk(String(next));
  let kept = found.length;
  if (pattern !== undefined) {
    kept = 0;
    for (const pair of found) {
      if (globMatch(pattern, pair[0])) found[kept++] = pair;
    }
  }
  out.arrayHeader(kept * 2);
  for (let i = 0; i < kept; i++) {
    const [member, score] = found[i] as [string, number];
    out.bulk(member);
    out.bulk(formatDouble(score));
  }
}

// ---------------------------------------------------------------------------------------------

export const sortedSetCommands: CommandDefinition[] = [
  { name: 'zadd', handler: zadd },
  { name: 'zincrby', handler: zincrby },
  { name: 'zrem', handler: zrem },
  { name: 'zcard', handler: zcard },
  { name: 'zscore', handler: zscore },
  { name: 'zmscore', handler: zmscore },
  { name: 'zrank', handler: (client, argv) => zrankGeneric(client, argv, false) },
  { name: 'zrevrank', handler: (client, argv) => zrankGeneric(client, argv, true) },
  { name: 'zcount', handler: zcount },
  { name: 'zlexcount', handler: zlexcount },
  {
    name: 'zrange',
    handler: (client, argv) => rangeGeneric(client, argv, 1, false, RANGE_AUTO, DIRECTION_AUTO),
  },
  {
    name: 'zrangestore',
    handler: (client, argv) => rangeGeneric(client, argv, 2, true, RANGE_AUTO, DIRECTION_AUTO),
  },
  {
    name: 'zrevrange',
    handler: (client, argv) => rangeGeneric(client, argv, 1, false, RANGE_RANK, DIRECTION_REVERSE),
  },
  {
    name: 'zrangebyscore',
    handler: (client, argv) => rangeGeneric(client, argv, 1, false, RANGE_SCORE, DIRECTION_FORWARD),
  },
  {
    name: 'zrevrangebyscore',
    handler: (client, argv) => rangeGeneric(client, argv, 1, false, RANGE_SCORE, DIRECTION_REVERSE),
  },
  {
    name: 'zrangebylex',
    handler: (client, argv) => rangeGeneric(client, argv, 1, false, RANGE_LEX, DIRECTION_FORWARD),
  },
  {
    name: 'zrevrangebylex',
    handler: (client, argv) => rangeGeneric(client, argv, 1, false, RANGE_LEX, DIRECTION_REVERSE),
  },
  { name: 'zremrangebyrank', handler: (client, argv) => zremrangeGeneric(client, argv, RANGE_RANK) },
  { name: 'zremrangebyscore', handler: (client, argv) => zremrangeGeneric(client, argv, RANGE_SCORE) },
  { name: 'zremrangebylex', handler: (client, argv) => zremrangeGeneric(client, argv, RANGE_LEX) },
  { name: 'zpopmin', handler: (client, argv) => zpopGeneric(client, argv, false) },
  { name: 'zpopmax', handler: (client, argv) => zpopGeneric(client, argv, true) },
  { name: 'bzpopmin', handler: (client, argv) => bzpopGeneric(client, argv, false) },
  { name: 'bzpopmax', handler: (client, argv) => bzpopGeneric(client, argv, true) },
  { name: 'zmpop', handler: (client, argv) => zmpopGeneric(client, argv, 1, false) },
  { name: 'bzmpop', handler: (client, argv) => zmpopGeneric(client, argv, 2, true) },
  { name: 'zrandmember', handler: zrandmember },
  { name: 'zunion', handler: (client, argv) => setAlgebra(client, argv, 1, OP_UNION, undefined, false) },
  { name: 'zinter', handler: (client, argv) => setAlgebra(client, argv, 1, OP_INTER, undefined, false) },
  { name: 'zdiff', handler: (client, argv) => setAlgebra(client, argv, 1, OP_DIFF, undefined, false) },
  {
    name: 'zunionstore',
    handler: (client, argv) => setAlgebra(client, argv, 2, OP_UNION, argv[1] as string, false),
  },
  {
    name: 'zinterstore',
    handler: (client, argv) => setAlgebra(client, argv, 2, OP_INTER, argv[1] as string, false),
  },
  {
    name: 'zdiffstore',
    handler: (client, argv) => setAlgebra(client, argv, 2, OP_DIFF, argv[1] as string, false),
  },
  { name: 'zintercard', handler: (client, argv) => setAlgebra(client, argv, 1, OP_INTER, undefined, true) },
  { name: 'zscan', handler: zscan },
];
