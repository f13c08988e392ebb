// Per-key memory estimates for MEMORY USAGE and eviction: what one key costs in V8's heap, plus its
// value's chunk when the value is kept in the arena.
import type { Entry } from '../keyspace/entry.ts';
import type { StoredValue } from '../keyspace/value.ts';
import { valueArena } from '../keyspace/value-arena.ts';

/**
 * Fixed cost of a key besides its bytes: the Map slot in its slot map (hash table entry and
 * bucket), the Entry object (header plus seven fields) and the key string's header.
 */
export const KEY_OVERHEAD = 104;
/** Header of a V8 sequential one-byte string. */
const STRING_HEADER = 16;
/** A heap number, for integers outside V8's small-integer range. */
const HEAP_NUMBER = 16;
const SMALL_INTEGER_LIMIT = 2 ** 30;

/** Bytes of a latin1 string in V8: header plus one byte per char, 8-byte aligned. */
export function stringBytes(length: number): number {
  return (STRING_HEADER + length + 7) & ~7;
}

/** Bytes of a stored value (collections report their own estimate). */
export function valueBytes(value: StoredValue): number {
  if (typeof value === 'string') return stringBytes(value.length);
  if (typeof value === 'number')
    return Number.isInteger(value) && Math.abs(value) < SMALL_INTEGER_LIMIT ? 0 : HEAP_NUMBER;
  return value.memoryUsage();
}

/** Bytes of one key with its value and bookkeeping. */
export function entryBytes(key: string, value: StoredValue): number {
  return KEY_OVERHEAD + stringBytes(key.length) + valueBytes(value);
}

/** A key's bytes in V8's heap: everything but a value kept in the arena. */
export function heapBytesOf(key: string, entry: Entry): number {
  return entry.chunk >= 0 ? KEY_OVERHEAD + stringBytes(key.length) : entryBytes(key, entry.value);
}

/** A key's bytes in all (MEMORY USAGE): an arena value counts its chunk. */
export function keyBytes(key: string, entry: Entry): number {
  return heapBytesOf(key, entry) + arenaBytesOf(entry);
}

/** The arena chunk of a key's value, freed with the key (0 for a value in V8's heap). */
export function arenaBytesOf(entry: Entry): number {
  return entry.chunk >= 0 ? valueArena.chunkBytes(entry.chunk) : 0;
}
