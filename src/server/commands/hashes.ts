// Hash commands with Redis 7.0's replies and errors: HSET and friends, counters, HRANDFIELD, HSCAN.
import { isKeyword, parseInt64 } from '../arguments.ts';
import type { Client } from '../client.ts';
import type { CommandDefinition } from '../command-registry.ts';
import { NOT_FLOAT, NOT_INTEGER, OVERFLOW, SYNTAX, wrongArity } from '../errors.ts';
import { addLongDouble, formatLongDoubleHuman, type LongDouble, parseLongDouble } from '../long-double.ts';
import { HashValue } from '../types/hash.ts';
import { parseScanCursor, parseScanOptions, replyEmptyScan, replyScan } from './collection-scan.ts';
import { keyChanged, notify, readCollection, writeCollection } from './keyspace-access.ts';
import { parseRandomCount, sampleDistinctIndices } from './random-sample.ts';

const INT64_MAX = 9223372036854775807n;
const INT64_MIN = -9223372036854775808n;
/** HRANDFIELD WITHVALUES refuses counts whose doubled reply length would overflow a long. */
const HALF_LONG_MAX = 4611686018427387903n;

/** The hash at `key` for writing, created when missing; undefined after a WRONGTYPE error. */
function hashForWrite(client: Client, key: string): HashValue | undefined {
  const found = writeCollection<HashValue>(client, key, 'hash');
  if (found === undefined) return undefined;
  if (found !== null) return found;
  const created = new HashValue();
  client.database.add(key, created, client.server.cachedNow);
  return created;
}

/** Deletes the key when its hash became empty (Redis never keeps empty collections). */
function deleteIfEmpty(client: Client, key: string, hash: HashValue): boolean {
  if (hash.size !== 0) return false;
  client.database.delete(key);
  notify(client, 'g', 'del', key);
  return true;
}

function hsetGeneric(client: Client, argv: string[], isHmset: boolean): void {
  if (argv.length % 2 === 1) {
    client.replyError(wrongArity(isHmset ? 'hmset' : 'hset'));
    return;
  }
  const key = argv[1] as string;
  const hash = hashForWrite(client, key);
  if (hash === undefined) return;
  let created = 0;
  for (let i = 2; i < argv.length; i += 2) if (hash.set(argv[i] as string, argv[i + 1] as string)) created++;
  keyChanged(client, key, (argv.length - 2) / 2);
  notify(client, 'h', 'hset', key);
  if (isHmset) client.out.ok();
  else client.out.integer(created);
}

function hset(client: Client, argv: string[]): void {
  hsetGeneric(client, argv, false);
}

function hmset(client: Client, argv: string[]): void {
  hsetGeneric(client, argv, true);
}

function hsetnx(client: Client, argv: string[]): void {
  const key = argv[1] as string;
  const field = argv[2] as string;
  const hash = hashForWrite(client, key);
  if (hash === undefined) return;
  if (hash.has(field)) {
    client.out.integer(0);
    return;
  }
  hash.set(field, argv[3] as string);
  keyChanged(client, key);
  notify(client, 'h', 'hset', key);
  client.out.integer(1);
}

function hget(client: Client, argv: string[]): void {
  const hash = readCollection<HashValue>(client, argv[1] as string, 'hash');
  if (hash === undefined) return;
  const value = hash?.get(argv[2] as string);
  if (value === undefined) client.out.nullBulk();
  else client.out.bulk(value);
}

function hmget(client: Client, argv: string[]): void {
  const hash = readCollection<HashValue>(client, argv[1] as string, 'hash');
  if (hash === undefined) return;
  const out = client.out;
  out.arrayHeader(argv.length - 2);
  for (let i = 2; i < argv.length; i++) {
    const value = hash?.get(argv[i] as string);
    if (value === undefined) out.nullBulk();
    else out.bulk(value);
  }
}

function hdel(client: Client, argv: string[]): void {
  const key = argv[1] as string;
  const hash = writeCollection<HashValue>(client, key, 'hash');
  if (hash === undefined) return;
  if (hash === null) {
    client.out.integer(0);
    return;
  }
  let deleted = 0;
  for (let i = 2; i < argv.length; i++) {
    if (hash.delete(argv[i] as string)) {
      deleted++;
      if (hash.size === 0) break;
    }
  }
  if (deleted > 0) {
    keyChanged(client, key, deleted);
    notify(client, 'h', 'hdel', key);
    deleteIfEmpty(client, key, hash);
  }
  client.out.integer(deleted);
}

function hlen(client: Client, argv: string[]): void {
  const hash = readCollection<HashValue>(client, argv[1] as string, 'hash');
  if (hash === undefined) return;
  client.out.integer(hash === null ? 0 : hash.size);
}

function hstrlen(client: Client, argv: string[]): void {
  const hash = readCollection<HashValue>(client, argv[1] as string, 'hash');
  if (hash === undefined) return;
  client.out.integer(hash?.get(argv[2] as string)?.length ?? 0);
}

function hexists(client: Client, argv: string[]): void {
  const hash = readCollection<HashValue>(client, argv[1] as string, 'hash');
  if (hash === undefined) return;
  client.out.integer(hash?.has(argv[2] as string) ? 1 : 0);
}

const WITH_FIELDS = 1;
const WITH_VALUES = 2;

/** HKEYS, HVALS, HGETALL: `what` picks fields, values or both (a map reply). */
function hgetallGeneric(client: Client, argv: string[], what: number): void {
  const hash = readCollection<HashValue>(client, argv[1] as string, 'hash');
  if (hash === undefined) return;
  const out = client.out;
  const size = hash === null ? 0 : hash.size;
  if (what === (WITH_FIELDS | WITH_VALUES)) out.mapHeader(size);
  else out.arrayHeader(size);
  if (hash === null) return;
  for (const [field, value] of hash.entries()) {
    if (what & WITH_FIELDS) out.bulk(field);
    if (what & WITH_VALUES) out.bulk(value);
  }
}

function hkeys(client: Client, argv: string[]): void {
  hgetallGeneric(client, argv, WITH_FIELDS);
}

function hvals(client: Client, argv: string[]): void {
  hgetallGeneric(client, argv, WITH_VALUES);
}

function hgetall(client: Client, argv: string[]): void {
  hgetallGeneric(client, argv, WITH_FIELDS | WITH_VALUES);
}

function hincrby(client: Client, argv: string[]): void {
  const key = argv[1] as string;
  const field = argv[2] as string;
  const increment = parseInt64(argv[3] as string);
  if (increment === undefined) {
    client.replyError(NOT_INTEGER);
    return;
  }
  const hash = hashForWrite(client, key);
  if (hash === undefined) return;
  const existing = hash.get(field);
  let current: number | bigint = 0;
  if (existing !== undefined) {
    const parsed = parseInt64(existing);
    if (parsed === undefined) {
      client.replyError('ERR hash value is not an integer');
      return;
    }
    current = parsed;
  }
  let result: number | bigint;
  if (typeof current === 'number' && typeof increment === 'number') {
    result = current + increment;
    if (!Number.isSafeInteger(result)) result = BigInt(current) + BigInt(increment);
  } else result = BigInt(current) + BigInt(increment);
  if (typeof result === 'bigint' && (result > INT64_MAX || result < INT64_MIN)) {
    client.replyError(OVERFLOW);
    return;
  }
  const text = String(result);
  hash.set(field, text);
  keyChanged(client, key);
  notify(client, 'h', 'hincrby', key);
  client.out.integer(result);
}

function hincrbyfloat(client: Client, argv: string[]): void {
  const key = argv[1] as string;
  const field = argv[2] as string;
  const increment = parseLongDouble(argv[3] as string);
  if (increment === undefined) {
    client.replyError(NOT_FLOAT);
    return;
  }
  if (increment.infinite) {
    client.replyError('ERR value is NaN or Infinity');
    return;
  }
  const hash = hashForWrite(client, key);
  if (hash === undefined) return;
  const existing = hash.get(field);
  let current: LongDouble | undefined = parseLongDouble('0');
  if (existing !== undefined) {
    current = parseLongDouble(existing);
    if (current === undefined) {
      client.replyError('ERR hash value is not a float');
      return;
    }
  }
  const result = addLongDouble(current as LongDouble, increment);
  if (result.infinite) {
    client.replyError('ERR increment would produce NaN or Infinity');
    return;
  }
  const text = formatLongDoubleHuman(result);
  hash.set(field, text);
  keyChanged(client, key);
  notify(client, 'h', 'hincrbyfloat', key);
  client.out.bulk(text);
}

/** One HRANDFIELD element: the field, and its value as a pair (RESP3) or flat (RESP2). */
function replyRandomField(
  client: Client,
  hash: HashValue,
  index: number,
  withValues: boolean,
  resp3Pairs: boolean,
): void {
  const out = client.out;
  if (resp3Pairs) out.arrayHeader(2);
  out.bulk(hash.fieldAt(index));
  if (withValues) out.bulk(hash.valueAt(index));
}

function hrandfield(client: Client, argv: string[]): void {
  const key = argv[1] as string;
  if (argv.length === 2) {
    const hash = readCollection<HashValue>(client, key, 'hash');
    if (hash === undefined) return;
    if (hash === null) client.out.nullBulk();
    else client.out.bulk(hash.fieldAt(Math.floor(Math.random() * hash.size)));
    return;
  }
  const count = parseRandomCount(client, argv[2] as string);
  if (count === undefined) return;
  let withValues = false;
  if (argv.length > 4 || (argv.length === 4 && !isKeyword(argv[3] as string, 'withvalues'))) {
    client.replyError(SYNTAX);
    return;
  }
  if (argv.length === 4) {
    withValues = true;
    const exact = parseInt64(argv[2] as string);
    if (typeof exact === 'bigint' && (exact < -HALF_LONG_MAX || exact > HALF_LONG_MAX)) {
      client.replyError('ERR value is out of range');
      return;
    }
  }
  const hash = readCollection<HashValue>(client, key, 'hash');
  if (hash === undefined) return;
  const out = client.out;
  if (hash === null || count === 0) {
    out.arrayHeader(0);
    return;
  }
  const size = hash.size;
  const resp3Pairs = withValues && out.protocol === 3;
  // Negative count: that many independent draws, repetitions allowed.
  if (count < 0) {
    const draws = -count;
    out.arrayHeader(withValues && !resp3Pairs ? draws * 2 : draws);
    for (let i = 0; i < draws; i++)
      replyRandomField(client, hash, Math.floor(Math.random() * size), withValues, resp3Pairs);
    return;
  }
  // A count covering the whole hash returns all of it, in the hash's own order.
  if (count >= size) {
    out.arrayHeader(withValues && !resp3Pairs ? size * 2 : size);
    for (const [field, value] of hash.entries()) {
      if (resp3Pairs) out.arrayHeader(2);
      out.bulk(field);
      if (withValues) out.bulk(value);
    }
    return;
  }
  const picked = sampleDistinctIndices(size, count);
  out.arrayHeader(withValues && !resp3Pairs ? count * 2 : count);
  for (const index of picked) replyRandomField(client, hash, index, withValues, resp3Pairs);
}

function hscan(client: Client, argv: string[]): void {
  const key = argv[1] as string;
  const cursor = parseScanCursor(client, argv[2] as string);
  if (cursor === undefined) return;
  const hash = readCollection<HashValue>(client, key, 'hash');
  if (hash === undefined) return;
  if (hash === null) {
    replyEmptyScan(client);
    return;
  }
  const options = parseScanOptions(client, argv, 3);
  if (options === undefined) return;
  const items: string[] = [];
  if (hash.isListpack()) {
    // A listpack is scanned whole in one call, as Redis does.
    for (const [field, value] of hash.entries()) items.push(field, value);
    replyScan(client, 0n, items, 2, options.pattern);
    return;
  }
  const next = client.server.scanCursors.scan(
    hash,
    cursor,
    options.count,
    () => hash.fields(),
    (field: string) => {
      const value = hash.get(field);
      if (value !== undefined) items.push(field, value);
    },
  );
  replyScan(client, next, items, 2, options.pattern);
}

export const hashCommands: CommandDefinition[] = [
  { name: 'hset', handler: hset },
  { name: 'hmset', handler: hmset },
  { name: 'hsetnx', handler: hsetnx },
  { name: 'hget', handler: hget },
  { name: 'hmget', handler: hmget },
  { name: 'hdel', handler: hdel },
  { name: 'hlen', handler: hlen },
  { name: 'hstrlen', handler: hstrlen },
  { name: 'hexists', handler: hexists },
  { name: 'hkeys', handler: hkeys },
  { name: 'hvals', handler: hvals },
  { name: 'hgetall', handler: hgetall },
  { name: 'hincrby', handler: hincrby },
  { name: 'hincrbyfloat', handler: hincrbyfloat },
  { name: 'hrandfield', handler: hrandfield },
  { name: 'hscan', handler: hscan },
];
