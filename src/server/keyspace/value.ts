// What a key can hold. Strings are latin1 JS strings (binary safe, one char per byte) or, for the
// integer encoding, JS numbers (safe integers only); collections are objects with a `type`.

export type CollectionType = 'list' | 'hash' | 'set' | 'zset' | 'stream';

export interface CollectionValue {
  readonly type: CollectionType;
  /** OBJECT ENCODING, e.g. listpack, quicklist, hashtable, intset, skiplist. */
  encoding(): string;
  /** Number of elements (fields, members). */
  readonly size: number;
  /** Approximate bytes used, for MEMORY USAGE and eviction. */
  memoryUsage(): number;
  /** A deep copy (COPY command). */
  clone(): CollectionValue;
}

export type StoredValue = string | number | CollectionValue;

/** TYPE of a value: string, list, hash, set or zset. */
export function typeName(value: StoredValue): string {
  return typeof value === 'object' ? value.type : 'string';
}

/** A string value as its bytes in a latin1 string (int-encoded values are printed). */
export function stringOf(value: string | number): string {
  return typeof value === 'number' ? String(value) : value;
}

/**
 * Stores a string the way Redis chooses an encoding: a canonical integer that fits a double
 * exactly becomes a number (OBJECT ENCODING int), anything else stays a string.
 */
export function encodeString(text: string): string | number {
  const length = text.length;
  if (length === 0 || length > 16) return text;
  const first = text.charCodeAt(0);
  if (first === 48) return length === 1 ? 0 : text;
  let i = first === 45 ? 1 : 0;
  if (i === 1 && (length === 1 || text.charCodeAt(1) === 48)) return text;
  let value = 0;
  for (; i < length; i++) {
    const digit = text.charCodeAt(i) - 48;
    if (digit < 0 || digit > 9) return text;
    value = value * 10 + digit;
  }
  if (value > Number.MAX_SAFE_INTEGER) return text;
  return first === 45 ? -value : value;
}

const INT64_TEXT = /^-?[1-9]\d{0,18}$/;

/** Whether Redis would store this string with the int encoding (string2l succeeds, <= 20 bytes). */
export function isIntEncodable(text: string): boolean {
  if (text === '0') return true;
  if (!INT64_TEXT.test(text)) return false;
  if (text.length < 18) return true;
  const value = BigInt(text);
  return value <= 9223372036854775807n && value >= -9223372036854775808n;
}

/**
 * OBJECT ENCODING of a value; `stringForm` (an entry's STRING_* form) says how a string was
 * written: as SET writes it (int, embstr up to 44 bytes, raw), raw, or a string that is never int.
 */
export function encodingOf(value: StoredValue, stringForm = 0): string {
  if (typeof value === 'object') return value.encoding();
  if (stringForm === 1) return 'raw';
  if (stringForm === 0 && (typeof value === 'number' || isIntEncodable(value))) return 'int';
  return stringOf(value).length <= 44 ? 'embstr' : 'raw';
}
