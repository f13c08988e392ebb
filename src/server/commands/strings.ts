// String commands: GET, SET and its variants, counters, ranges. Values are latin1 strings, or
// numbers for the integer encoding.

import { INT64_LIMIT, parseInt64, parseLongLong } from '../arguments.ts';
import type { Client } from '../client.ts';
import type { CommandDefinition } from '../command-registry.ts';
import { INVALID_EXPIRE, NOT_FLOAT, NOT_INTEGER, OVERFLOW, SYNTAX, WRONG_TYPE } from '../errors.ts';
import { STRING_AUTO, STRING_NOT_INT, STRING_RAW } from '../keyspace/entry.ts';
import { encodeString, stringOf } from '../keyspace/value.ts';
import { addLongDouble, formatLongDoubleHuman, type LongDouble, parseLongDouble } from '../long-double.ts';
import { keyChanged, lookupRead, lookupWrite, notify, readString, replyString } from './keyspace-access.ts';

const INT64_MAX = 9223372036854775807n;
const INT64_MIN = -9223372036854775808n;
/** Redis refuses strings over 512 MB built by APPEND/SETRANGE. */
const MAX_STRING_LENGTH = 512 * 1024 * 1024;

function get(client: Client, argv: string[]): void {
  if (!replyString(client, argv[1] as string)) client.replyError(WRONG_TYPE);
}

const SET_NX = 1;
const SET_XX = 2;
const SET_GET = 4;
const SET_KEEPTTL = 8;
const SET_EXPIRE = 16;

interface SetOptions {
  flags: number;
  /** With SET_EXPIRE: the option (ex, px, exat, pxat) and its still unchecked value. */
  expireOption: string;
  expireValue: string;
}

/**
 * Parses SET/GETEX style options from argv[from...]: syntax only, as Redis does; the expire value
 * is checked by expireAtOf (SET at once, GETEX only once the key is found to hold a string).
 * Returns undefined after replying an error.
 */
function parseSetOptions(
  client: Client,
  argv: string[],
  from: number,
  isGetEx: boolean,
): SetOptions | undefined {
  let flags = 0;
  let expireOption = '';
  let expireValue = '';
  for (let i = from; i < argv.length; i++) {
    const option = (argv[i] as string).toLowerCase();
    const next = argv[i + 1];
    if (!isGetEx && option === 'nx' && !(flags & SET_XX)) flags |= SET_NX;
    else if (!isGetEx && option === 'xx' && !(flags & SET_NX)) flags |= SET_XX;
    else if (!isGetEx && option === 'get') flags |= SET_GET;
    else if (!isGetEx && option === 'keepttl' && !(flags & SET_EXPIRE)) flags |= SET_KEEPTTL;
    else if (isGetEx && option === 'persist' && !(flags & SET_EXPIRE)) flags |= SET_KEEPTTL;
    else if (
      (option === 'ex' || option === 'px' || option === 'exat' || option === 'pxat') &&
      !(flags & (SET_EXPIRE | SET_KEEPTTL)) &&
      next !== undefined
    ) {
      expireOption = option;
      expireValue = next;
      flags |= SET_EXPIRE;
      i++;
    } else {
      client.replyError(SYNTAX);
      return undefined;
    }
  }
  return { flags, expireOption, expireValue };
}

/** The absolute expiry (ms) an EX/PX/EXAT/PXAT option asks for, or undefined after replying an error. */
function expireAtOf(client: Client, options: SetOptions, commandName: string): number | undefined {
  const amount = parseInt64(options.expireValue);
  if (amount === undefined) {
    client.replyError(NOT_INTEGER);
    return undefined;
  }
  const option = options.expireOption;
  const now = client.server.cachedNow;
  const value = Number(amount);
  const unitMs = option === 'ex' || option === 'exat' ? 1000 : 1;
  const absolute = option.endsWith('at');
  if (value <= 0 || value * unitMs > INT64_LIMIT || (!absolute && value * unitMs + now > INT64_LIMIT)) {
    client.replyError(INVALID_EXPIRE(commandName));
    return undefined;
  }
  return absolute ? value * unitMs : now + value * unitMs;
}

function set(client: Client, argv: string[]): void {
  const key = argv[1] as string;
  const parser = client.parser;
  if (parser.deferredArgv === argv) {
    // A plain SET whose value the parser left as bytes: into the value arena without a string.
    storeDeferred(client, key, 0);
    keyChanged(client, key);
    notify(client, '$', 'set', key);
    client.out.ok();
    return;
  }
  const options = parseSetOptions(client, argv, 3, false);
  if (options === undefined) return;
  let expireAt = 0;
  if (options.flags & SET_EXPIRE) {
    const at = expireAtOf(client, options, 'set');
    if (at === undefined) return;
    expireAt = at;
  }
  setGeneric(client, key, argv[2] as string, options.flags, expireAt);
}

/**
 * Sets `key` to the parser's deferred value number `which` (RequestParser.deferValues), copied from
 * the request's bytes into the value arena. The bytes stay deferred: the hooks after the command
 * may still decode them.
 */
function storeDeferred(client: Client, key: string, which: number): void {
  const parser = client.parser;
  const entry = client.database.set(key, '', client.server.cachedNow);
  entry.assignBytes(
    parser.deferredBuffers[which] as Buffer,
    parser.deferredStarts[which] as number,
    parser.deferredLengths[which] as number,
  );
}

function setGeneric(client: Client, key: string, value: string, flags: number, expireAt: number): void {
  const database = client.database;
  const now = client.server.cachedNow;
  let previous: string | null = null;
  if (flags & SET_GET) {
    const found = readString(client, key);
    if (found === undefined) return;
    previous = found;
  }
  const exists =
    flags & SET_GET
      ? previous !== null
      : (flags & (SET_NX | SET_XX)) !== 0 && database.lookup(key, now) !== undefined;
  if ((flags & SET_NX && exists) || (flags & SET_XX && !exists)) {
    if (flags & SET_GET) {
      if (previous === null) client.out.nullBulk();
      else client.out.bulk(previous);
    } else client.out.nullBulk();
    return;
  }
  const entry = database.set(key, encodeString(value), now, (flags & SET_KEEPTTL) !== 0);
  if (flags & SET_EXPIRE) database.setExpire(key, entry, expireAt);
  keyChanged(client, key);
  notify(client, '$', 'set', key);
  if (flags & SET_EXPIRE) notify(client, 'g', 'expire', key);
  if (flags & SET_GET) {
    if (previous === null) client.out.nullBulk();
    else client.out.bulk(previous);
  } else client.out.ok();
}

function setnx(client: Client, argv: string[]): void {
  const key = argv[1] as string;
  const database = client.database;
  if (database.lookup(key, client.server.cachedNow) !== undefined) {
    client.out.integer(0);
    return;
  }
  database.add(key, encodeString(argv[2] as string), client.server.cachedNow);
  keyChanged(client, key);
  notify(client, '$', 'set', key);
  client.out.integer(1);
}

function setexGeneric(client: Client, argv: string[], unitMs: number, name: string): void {
  const amount = parseInt64(argv[2] as string);
  if (amount === undefined) {
    client.replyError(NOT_INTEGER);
    return;
  }
  const value = Number(amount);
  if (value <= 0 || value * unitMs + client.server.cachedNow > INT64_LIMIT) {
    client.replyError(INVALID_EXPIRE(name));
    return;
  }
  setGeneric(
    client,
    argv[1] as string,
    argv[3] as string,
    SET_EXPIRE,
    client.server.cachedNow + value * unitMs,
  );
}

function getset(client: Client, argv: string[]): void {
  setGeneric(client, argv[1] as string, argv[2] as string, SET_GET, 0);
}

function getdel(client: Client, argv: string[]): void {
  const key = argv[1] as string;
  const value = readString(client, key);
  if (value === undefined) return;
  if (value === null) {
    client.out.nullBulk();
    return;
  }
  client.database.delete(key);
  keyChanged(client, key);
  notify(client, 'g', 'del', key);
  client.out.bulk(value);
}

function getex(client: Client, argv: string[]): void {
  const key = argv[1] as string;
  // Redis's order: syntax, then the key (nil, WRONGTYPE), then the expire value.
  const options = parseSetOptions(client, argv, 2, true);
  if (options === undefined) return;
  const entry = lookupRead(client, key);
  if (entry === undefined) {
    client.out.nullBulk();
    return;
  }
  const value = entry.value;
  if (typeof value === 'object') {
    client.replyError(WRONG_TYPE);
    return;
  }
  const database = client.database;
  if (options.flags & SET_EXPIRE) {
    const expireAt = expireAtOf(client, options, 'getex');
    if (expireAt === undefined) return;
    if (expireAt <= client.server.cachedNow) {
      database.delete(key);
      keyChanged(client, key);
      notify(client, 'g', 'del', key);
    } else {
      database.setExpire(key, entry, expireAt);
      keyChanged(client, key);
      notify(client, 'g', 'expire', key);
    }
  } else if (options.flags & SET_KEEPTTL) {
    if (database.removeExpire(key, entry)) {
      keyChanged(client, key);
      notify(client, 'g', 'persist', key);
    }
  }
  client.out.bulk(stringOf(value));
}

function mget(client: Client, argv: string[]): void {
  const out = client.out;
  out.arrayHeader(argv.length - 1);
  for (let i = 1; i < argv.length; i++) if (!replyString(client, argv[i] as string)) out.nullBulk();
}

function mset(client: Client, argv: string[]): void {
  if (argv.length % 2 === 0) {
    client.replyError(`ERR wrong number of arguments for '${(argv[0] as string).toLowerCase()}' command`);
    return;
  }
  const now = client.server.cachedNow;
  // Values the parser left as bytes (RequestParser.deferValues), in argv order.
  const parser = client.parser;
  const deferred = parser.deferredArgv === argv ? parser.deferredCount : 0;
  let next = 0;
  for (let i = 1; i < argv.length; i += 2) {
    const key = argv[i] as string;
    if (next < deferred && parser.deferredIndexes[next] === i + 1) storeDeferred(client, key, next++);
    else client.database.set(key, encodeString(argv[i + 1] as string), now);
    keyChanged(client, key);
    notify(client, '$', 'set', key);
  }
  client.out.ok();
}

function msetnx(client: Client, argv: string[]): void {
  if (argv.length % 2 === 0) {
    client.replyError(`ERR wrong number of arguments for '${(argv[0] as string).toLowerCase()}' command`);
    return;
  }
  const now = client.server.cachedNow;
  for (let i = 1; i < argv.length; i += 2) {
    if (client.database.lookup(argv[i] as string, now) !== undefined) {
      client.out.integer(0);
      return;
    }
  }
  for (let i = 1; i < argv.length; i += 2) {
    const key = argv[i] as string;
    client.database.set(key, encodeString(argv[i + 1] as string), now);
    keyChanged(client, key);
    notify(client, '$', 'set', key);
  }
  client.out.integer(1);
}

function checkStringLength(client: Client, length: number): boolean {
  if (length > MAX_STRING_LENGTH) {
    client.replyError('ERR string exceeds maximum allowed size (proto-max-bulk-len)');
    return false;
  }
  return true;
}

function append(client: Client, argv: string[]): void {
  const key = argv[1] as string;
  const entry = lookupWrite(client, key);
  let length: number;
  if (entry === undefined) {
    // A new key takes the argument as SET would (tryObjectEncoding); appends to it make it raw.
    client.database.add(key, encodeString(argv[2] as string), client.server.cachedNow);
    length = (argv[2] as string).length;
  } else {
    const value = entry.value;
    if (typeof value === 'object') {
      client.replyError(WRONG_TYPE);
      return;
    }
    const current = stringOf(value);
    const addition = argv[2] as string;
    if (!checkStringLength(client, current.length + addition.length)) return;
    const combined = current + addition;
    // A string built by many appends is a V8 rope; flatten it so reads stay cheap.
    entry.value = combined.length > 64 ? flatten(combined) : combined;
    entry.stringForm = STRING_RAW;
    length = combined.length;
  }
  keyChanged(client, key);
  notify(client, '$', 'append', key);
  client.out.integer(length);
}

/** Forces V8 to flatten a concatenated string (ropes make repeated reads slow). */
function flatten(text: string): string {
  // Number() on a string flattens it as a side effect; the result is ignored.
  void Number(text);
  return text;
}

function strlen(client: Client, argv: string[]): void {
  const entry = lookupRead(client, argv[1] as string);
  if (entry === undefined) client.out.integer(0);
  else if (entry.chunk >= 0) client.out.integer(entry.chunkLength);
  else {
    const value = entry.value;
    if (typeof value === 'object') client.replyError(WRONG_TYPE);
    else client.out.integer(stringOf(value).length);
  }
}

function incrementBy(client: Client, key: string, increment: number | bigint): void {
  const entry = lookupWrite(client, key);
  let current: number | bigint = 0;
  if (entry !== undefined) {
    const value = entry.value;
    if (typeof value === 'number') current = value;
    else if (typeof value === 'string') {
      const parsed = parseInt64(value);
      if (parsed === undefined) {
        client.replyError(NOT_INTEGER);
        return;
      }
      current = parsed;
    } else {
      client.replyError(WRONG_TYPE);
      return;
    }
  }
  let result: number | bigint;
  if (typeof current === 'number' && typeof increment === 'number') {
    result = current + increment;
    if (!Number.isSafeInteger(result)) result = BigInt(current) + BigInt(increment);
  } else {
    result = BigInt(current) + BigInt(increment);
  }
  if (typeof result === 'bigint') {
    if (result > INT64_MAX || result < INT64_MIN) {
      client.replyError(OVERFLOW);
      return;
    }
    if (result <= BigInt(Number.MAX_SAFE_INTEGER) && result >= BigInt(Number.MIN_SAFE_INTEGER))
      result = Number(result);
  }
  const stored = typeof result === 'number' ? result : result.toString();
  if (entry === undefined) client.database.add(key, stored, client.server.cachedNow);
  else {
    entry.value = stored;
    entry.stringForm = STRING_AUTO;
  }
  keyChanged(client, key);
  notify(client, '$', 'incrby', key);
  client.out.integer(result);
}

function incr(client: Client, argv: string[]): void {
  incrementBy(client, argv[1] as string, 1);
}

function decr(client: Client, argv: string[]): void {
  incrementBy(client, argv[1] as string, -1);
}

function incrby(client: Client, argv: string[]): void {
  const increment = parseInt64(argv[2] as string);
  if (increment === undefined) {
    client.replyError(NOT_INTEGER);
    return;
  }
  incrementBy(client, argv[1] as string, increment);
}

function decrby(client: Client, argv: string[]): void {
  const decrement = parseInt64(argv[2] as string);
  if (decrement === undefined) {
    client.replyError(NOT_INTEGER);
    return;
  }
  if (typeof decrement === 'bigint' && decrement === INT64_MIN) {
    client.replyError('ERR decrement would overflow');
    return;
  }
  incrementBy(client, argv[1] as string, typeof decrement === 'bigint' ? -decrement : -decrement);
}

function incrbyfloat(client: Client, argv: string[]): void {
  const key = argv[1] as string;
  const entry = lookupWrite(client, key);
  let current: LongDouble | undefined = parseLongDouble('0');
  if (entry !== undefined) {
    const value = entry.value;
    if (typeof value === 'object') {
      client.replyError(WRONG_TYPE);
      return;
    }
    current = parseLongDouble(stringOf(value));
  }
  const increment = parseLongDouble(argv[2] as string);
  if (current === undefined || increment === undefined) {
    client.replyError(NOT_FLOAT);
    return;
  }
  const result = addLongDouble(current, increment);
  if (result.infinite) {
    client.replyError('ERR increment would produce NaN or Infinity');
    return;
  }
  const text = formatLongDoubleHuman(result);
  // INCRBYFLOAT stores a string, never an int, even when the result is integral.
  if (entry === undefined)
    client.database.add(key, encodeString(text), client.server.cachedNow).stringForm = STRING_NOT_INT;
  else {
    entry.value = encodeString(text);
    entry.stringForm = STRING_NOT_INT;
  }
  keyChanged(client, key);
  notify(client, '$', 'incrbyfloat', key);
  client.out.bulk(text);
}

/** Redis's range normalisation for GETRANGE: negative indexes count from the end. */
function getrange(client: Client, argv: string[]): void {
  const start = parseLongLong(argv[2] as string);
  const end = parseLongLong(argv[3] as string);
  if (start === undefined || end === undefined) {
    client.replyError(NOT_INTEGER);
    return;
  }
  const value = readString(client, argv[1] as string);
  if (value === undefined) return;
  const text = value ?? '';
  const length = text.length;
  if (start < 0 && end < 0 && start > end) {
    client.out.bulk('');
    return;
  }
  let from = start < 0 ? length + start : start;
  let to = end < 0 ? length + end : end;
  if (from < 0) from = 0;
  if (to < 0) to = 0;
  if (to >= length) to = length - 1;
  if (from > to || length === 0) {
    client.out.bulk('');
    return;
  }
  client.out.bulk(text.slice(from, to + 1));
}

function setrange(client: Client, argv: string[]): void {
  const key = argv[1] as string;
  const offset = parseLongLong(argv[2] as string);
  if (offset === undefined) {
    client.replyError(NOT_INTEGER);
    return;
  }
  if (offset < 0) {
    client.replyError('ERR offset is out of range');
    return;
  }
  const patch = argv[3] as string;
  const entry = lookupWrite(client, key);
  let current = '';
  if (entry !== undefined) {
    const value = entry.value;
    if (typeof value === 'object') {
      client.replyError(WRONG_TYPE);
      return;
    }
    current = stringOf(value);
  }
  if (patch.length === 0) {
    client.out.integer(current.length);
    return;
  }
  if (!checkStringLength(client, offset + patch.length)) return;
  const padded = current.length < offset ? current + '\0'.repeat(offset - current.length) : current;
  const result = padded.slice(0, offset) + patch + padded.slice(offset + patch.length);
  if (entry === undefined) client.database.add(key, result, client.server.cachedNow).stringForm = STRING_RAW;
  else {
    entry.value = encodeString(result);
    entry.stringForm = STRING_RAW;
  }
  keyChanged(client, key);
  notify(client, '$', 'setrange', key);
  client.out.integer(result.length);
}

function psetex(client: Client, argv: string[]): void {
  setexGeneric(client, argv, 1, 'psetex');
}

function setex(client: Client, argv: string[]): void {
  setexGeneric(client, argv, 1000, 'setex');
}

export const stringCommands: CommandDefinition[] = [
  { name: 'get', handler: get },
  { name: 'set', handler: set },
  { name: 'setnx', handler: setnx },
  { name: 'setex', handler: setex },
  { name: 'psetex', handler: psetex },
  { name: 'getset', handler: getset },
  { name: 'getdel', handler: getdel },
  { name: 'getex', handler: getex },
  { name: 'mget', handler: mget },
  { name: 'mset', handler: mset },
  { name: 'msetnx', handler: msetnx },
  { name: 'append', handler: append },
  { name: 'strlen', handler: strlen },
  { name: 'incr', handler: incr },
  { name: 'decr', handler: decr },
  { name: 'incrby', handler: incrby },
  { name: 'decrby', handler: decrby },
  { name: 'incrbyfloat', handler: incrbyfloat },
  { name: 'getrange', handler: getrange },
  { name: 'substr', handler: getrange },
  { name: 'setrange', handler: setrange },
];
