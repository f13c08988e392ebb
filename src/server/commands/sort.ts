// SORT and SORT_RO: sort the elements of a list, set or sorted set numerically or
// lexicographically, by themselves or by weights found through a BY pattern (string keys or hash
// fields with `->`), optionally fetching GET patterns, limited with LIMIT, stored with STORE.
// The parsing, LIMIT arithmetic and tie-breaking follow Redis's sort.c.
import { hexFloatValue, isKeyword, parseHexFloat, parseInt64 } from '../arguments.ts';
import type { Client } from '../client.ts';
import type { CommandDefinition } from '../command-registry.ts';
import { NOT_INTEGER, SYNTAX, WRONG_TYPE } from '../errors.ts';
import type { Database } from '../keyspace/database.ts';
import type { CollectionValue } from '../keyspace/value.ts';
import { stringOf } from '../keyspace/value.ts';
import { ListValue } from '../types/list.ts';
import type { ZSetValue } from '../types/zset.ts';
import { keyChanged, lookupRead, notify } from './keyspace-access.ts';

/** What SORT needs of a set: its members. */
interface SetLike extends CollectionValue {
  members(): Iterable<string>;
}

/** What SORT needs of a hash: one field's value. */
interface HashLike extends CollectionValue {
  get(field: string): string | number | undefined;
}

interface SortItem {
  element: string;
  score: number;
  /** The BY value for ALPHA sorting by pattern; null when the weight key is missing. */
  compareWith: string | null;
}

/**
 * Redis's lookupKeyByPattern: `#` is the element itself; otherwise the first `*` is replaced by
 * the element and the key's string value is returned, or with `key->field` a hash field's.
 * Patterns without `*` find nothing.
 */
function lookupByPattern(database: Database, now: number, pattern: string, element: string): string | null {
  if (pattern === '#') return element;
  const star = pattern.indexOf('*');
  if (star < 0) return null;
  const arrow = pattern.indexOf('->', star + 1);
  const hasField = arrow >= 0 && arrow + 2 < pattern.length;
  const key = pattern.slice(0, star) + element + pattern.slice(star + 1, hasField ? arrow : pattern.length);
  const entry = database.lookup(key, now);
  if (entry === undefined) return null;
  const value = entry.value;
  if (hasField) {
    if (typeof value !== 'object' || value.type !== 'hash') return null;
    const field = (value as HashLike).get(pattern.slice(arrow + 2));
    return field === undefined ? null : stringOf(field);
  }
  return typeof value === 'object' ? null : stringOf(value);
}

const STRTOD_PATTERN =
  /^[\t\n\v\f\r ]*([+-]?(?:inf(?:inity)?|nan|0x(?:[0-9a-f]+\.?[0-9a-f]*|\.[0-9a-f]+)(?:p[+-]?\d+)?|(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?))$/i;

/**
 * A weight as C's strtod reads it, with SORT's checks: the whole text must be consumed and the
 * value must be a number in double range. Undefined when it cannot be a score.
 */
export function parseSortScore(value: string): number | undefined {
  // Redis hands strtod the value as a C string: it ends at the first NUL byte.
  const nul = value.indexOf('\0');
  const text = nul < 0 ? value : value.slice(0, nul);
  // strtod on "" consumes nothing and stops at the terminator: Redis accepts it as 0.
  if (text.length === 0) return 0;
  const match = STRTOD_PATTERN.exec(text);
  if (match === null) return undefined;
  const body = (match[1] as string).toLowerCase();
  const unsigned = body.replace(/^[+-]/, '');
  const negative = body.startsWith('-');
  if (unsigned.startsWith('nan')) return undefined;
  if (unsigned.startsWith('inf')) return negative ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY;
  const hex = unsigned.startsWith('0x') ? parseHexFloat(unsigned) : undefined;
  const magnitude = hex !== undefined ? hexFloatValue(hex) : Number(unsigned);
  if (hex !== undefined && magnitude === 0 && hex.mantissa !== 0n) return undefined;
  // Overflow to infinity and underflow of a non-zero literal to zero are ERANGE for strtod.
  if (!Number.isFinite(magnitude)) return undefined;
  if (magnitude === 0 && /[1-9]/.test(unsigned.replace(/e.*$/, ''))) return undefined;
  return negative ? -magnitude : magnitude;
}

function compareBytes(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

interface SortOptions {
  desc: boolean;
  alpha: boolean;
  limitStart: number;
  limitCount: number;
  dontSort: boolean;
  sortBy: string | undefined;
  storeKey: string | undefined;
  getPatterns: string[];
}

/** Parses SORT's options; undefined after replying an error. */
function parseOptions(client: Client, argv: string[], readonly: boolean): SortOptions | undefined {
  const options: SortOptions = {
    desc: false,
    alpha: false,
    limitStart: 0,
    limitCount: -1,
    dontSort: false,
    sortBy: undefined,
    storeKey: undefined,
    getPatterns: [],
  };
  for (let j = 2; j < argv.length; j++) {
    const option = argv[j] as string;
    const left = argv.length - j - 1;
    if (isKeyword(option, 'asc')) options.desc = false;
    else if (isKeyword(option, 'desc')) options.desc = true;
    else if (isKeyword(option, 'alpha')) options.alpha = true;
    else if (isKeyword(option, 'limit') && left >= 2) {
      const start = parseInt64(argv[j + 1] as string);
      const count = start === undefined ? undefined : parseInt64(argv[j + 2] as string);
      if (start === undefined || count === undefined) {
        client.replyError(NOT_INTEGER);
        return undefined;
      }
      options.limitStart = Number(start);
      options.limitCount = Number(count);
      j += 2;
    } else if (!readonly && isKeyword(option, 'store') && left >= 1) {
      options.storeKey = argv[++j] as string;
    } else if (isKeyword(option, 'by') && left >= 1) {
      const pattern = argv[++j] as string;
      options.sortBy = pattern;
      // A BY pattern without '*' is constant: nothing to sort nor to look up.
      if (!pattern.includes('*')) options.dontSort = true;
    } else if (isKeyword(option, 'get') && left >= 1) {
      options.getPatterns.push(argv[++j] as string);
    } else {
      client.replyError(SYNTAX);
      return undefined;
    }
  }
  return options;
}

/** Orders the elements per the options; undefined after replying a conversion error. */
function sortElements(
  client: Client,
  elements: string[],
  options: SortOptions,
  database: Database,
  now: number,
): string[] | undefined {
  const { alpha, sortBy } = options;
  const items: SortItem[] = elements.map((element) => ({ element, score: 0, compareWith: null }));
  let conversionError = false;
  for (const item of items) {
    let by: string | null = item.element;
    if (sortBy !== undefined) {
      by = lookupByPattern(database, now, sortBy, item.element);
      if (by === null) continue;
    }
    if (alpha) {
      if (sortBy !== undefined) item.compareWith = by;
    } else {
      const score = parseSortScore(by);
      if (score === undefined) conversionError = true;
      else item.score = score;
    }
  }
  if (conversionError) {
    client.replyError("ERR One or more scores can't be converted into double");
    return undefined;
  }
  const byPattern = sortBy !== undefined;
  const sign = options.desc ? -1 : 1;
  items.sort((a, b) => {
    let cmp: number;
    if (!alpha) {
      // Equal scores fall back to the elements' bytes so the order is deterministic.
      cmp = a.score > b.score ? 1 : a.score < b.score ? -1 : compareBytes(a.element, b.element);
    } else if (byPattern) {
      if (a.compareWith === null || b.compareWith === null)
        cmp = a.compareWith === b.compareWith ? 0 : a.compareWith === null ? -1 : 1;
      else cmp = compareBytes(a.compareWith, b.compareWith);
    } else cmp = compareBytes(a.element, b.element);
    return sign * cmp;
  });
  return items.map((item) => item.element);
}

function sortGeneric(client: Client, argv: string[], readonly: boolean): void {
  const options = parseOptions(client, argv, readonly);
  if (options === undefined) return;
  const entry = lookupRead(client, argv[1] as string);
  const value = entry?.value;
  let type: 'list' | 'set' | 'zset' = 'list';
  if (value !== undefined) {
    if (typeof value !== 'object' || value.type === 'hash' || value.type === 'stream') {
      client.replyError(WRONG_TYPE);
      return;
    }
    type = value.type;
  }
  // A set has no order of its own: when the result is stored, sort it so replicas agree.
  if (options.dontSort && type === 'set' && options.storeKey !== undefined) {
    options.dontSort = false;
    options.alpha = true;
    options.sortBy = undefined;
  }
  // Redis converts a sorted set it sorts to a skiplist for good (OBJECT ENCODING, SCAN, DUMP).
  if (type === 'zset') (value as ZSetValue).convertToSkiplist();

  const vectorLength = value === undefined ? 0 : value.size;
  let start = Math.min(Math.max(options.limitStart, 0), vectorLength);
  const count = Math.min(Math.max(options.limitCount, -1), vectorLength);
  let end = count < 0 ? vectorLength - 1 : start + count - 1;
  if (start >= vectorLength) {
    start = vectorLength - 1;
    end = vectorLength - 2;
  }
  if (end >= vectorLength) end = vectorLength - 1;

  let elements: string[];
  if (value === undefined) elements = [];
  else if (type === 'list') elements = (value as ListValue).toArray();
  else if (type === 'set') elements = Array.from((value as SetLike).members());
  else elements = Array.from((value as ZSetValue).entries(), ([member]) => member);

  const database = client.database;
  const now = client.server.cachedNow;
  if (options.dontSort) {
    // Lists and sorted sets keep their own order, which DESC reverses.
    if (options.desc && type !== 'set') elements.reverse();
  } else {
    const sorted = sortElements(client, elements, options, database, now);
    if (sorted === undefined) return;
    elements = sorted;
  }

  const getPatterns = options.getPatterns;
  const outputLength = getPatterns.length > 0 ? getPatterns.length * (end - start + 1) : end - start + 1;
  const storeKey = options.storeKey;
  if (storeKey === undefined) {
    const out = client.out;
    out.arrayHeader(outputLength);
    for (let j = start; j <= end; j++) {
      const element = elements[j] as string;
      if (getPatterns.length === 0) out.bulk(element);
      for (const pattern of getPatterns) {
        const found = lookupByPattern(database, now, pattern, element);
        if (found === null) out.nullBulk();
        else out.bulk(found);
      }
    }
    return;
  }
  const stored = new ListValue(outputLength);
  for (let j = start; j <= end; j++) {
    const element = elements[j] as string;
    if (getPatterns.length === 0) stored.pushTail(element);
    for (const pattern of getPatterns)
      stored.pushTail(lookupByPattern(database, now, pattern, element) ?? '');
  }
  if (outputLength > 0) {
    database.set(storeKey, stored, now);
    keyChanged(client, storeKey, outputLength);
    notify(client, 'l', 'sortstore', storeKey);
  } else if (database.lookup(storeKey, now) !== undefined) {
    database.delete(storeKey);
    keyChanged(client, storeKey);
    notify(client, 'g', 'del', storeKey);
  }
  client.out.integer(outputLength);
}

export const sortCommands: CommandDefinition[] = [
  { name: 'sort', handler: (client, argv) => sortGeneric(client, argv, false) },
  { name: 'sort_ro', handler: (client, argv) => sortGeneric(client, argv, true) },
];
