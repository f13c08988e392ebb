// How command handlers reach keys: lookups that apply lazy expiry, count hits and misses, and
// keep the access statistics that LRU/LFU eviction and OBJECT IDLETIME/FREQ read.
import type { Client } from '../client.ts';
import { WRONG_TYPE } from '../errors.ts';
import type { Entry } from '../keyspace/entry.ts';
import { accessClockOf, LFU_INIT_VALUE } from '../keyspace/entry.ts';
import type { CollectionType, CollectionValue, StoredValue } from '../keyspace/value.ts';
import { valueArena } from '../keyspace/value-arena.ts';

/** Policy-dependent access bookkeeping, set from maxmemory-policy. */
export const accessTracking = { lfu: false, lfuLogFactor: 10, lfuDecayMinutes: 1 };

function touch(entry: Entry, now: number): void {
  if (accessTracking.lfu) {
    entry.frequency = lfuIncrement(lfuDecrement(entry, now), accessTracking.lfuLogFactor);
  }
  entry.accessClock = accessClockOf(now);
}

/** Redis's LFULogIncr: the counter grows ever more slowly (a logarithmic, probabilistic counter). */
function lfuIncrement(counter: number, logFactor: number): number {
  if (counter >= 255) return 255;
  const base = Math.max(0, counter - LFU_INIT_VALUE);
  const probability = 1 / (base * logFactor + 1);
  return Math.random() < probability ? counter + 1 : counter;
}

/** Redis's LFUDecrAndReturn: one step down per lfu-decay-time minutes idle. */
export function lfuDecrement(entry: Entry, now: number): number {
  const minutes = accessTracking.lfuDecayMinutes;
  if (minutes <= 0) return entry.frequency;
  const periods = Math.floor((now - entry.accessedAt) / 60000 / minutes);
  return periods > entry.frequency ? 0 : entry.frequency - periods;
}

/** A read lookup (keyspace hits/misses, access time). */
export function lookupRead(client: Client, key: string): Entry | undefined {
  const server = client.server;
  const entry = client.database.lookup(key, server.cachedNow);
  if (entry === undefined) {
    server.stats.keyspaceMisses++;
    const notifier = server.keyspaceNotifier;
    if (notifier !== undefined) notifier('m', 'keymiss', key, client.database.index);
    return undefined;
  }
  server.stats.keyspaceHits++;
  touch(entry, server.cachedNow);
  return entry;
}

/** A write lookup (access time, no hit statistics). */
export function lookupWrite(client: Client, key: string): Entry | undefined {
  const database = client.database;
  const entry = database.lookup(key, client.server.cachedNow);
  if (entry !== undefined) {
    // The caller may change the value in place: a running snapshot keeps its pre-image first.
    if (database.writeObserver !== undefined) database.beforeWrite(key);
    touch(entry, client.server.cachedNow);
  }
  return entry;
}

/**
 * The string value of a key for reading: the string, null when missing, or undefined after a
 * WRONGTYPE error was sent.
 */
export function readString(client: Client, key: string): string | null | undefined {
  const entry = lookupRead(client, key);
  if (entry === undefined) return null;
  const value = entry.value;
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return String(value);
  client.replyError(WRONG_TYPE);
  return undefined;
}

/**
 * Replies with a key's string value (GET, MGET's elements): the bytes straight from the value
 * arena when they are there, a null bulk for a missing key. Returns false, having replied nothing,
 * when the key holds another type.
 */
export function replyString(client: Client, key: string): boolean {
  const entry = lookupRead(client, key);
  const out = client.out;
  if (entry === undefined) out.nullBulk();
  else if (entry.chunk >= 0)
    out.bulkFrom(valueArena.pageOf(entry.chunk), valueArena.offsetOf(entry.chunk), entry.chunkLength);
  else {
    const value = entry.value;
    if (typeof value === 'object') return false;
    out.bulk(typeof value === 'number' ? String(value) : value);
  }
  return true;
}

/**
 * A collection of the given type for reading: the value, null when the key is missing, or
 * undefined after a WRONGTYPE error was sent.
 */
export function readCollection<T extends CollectionValue>(
  client: Client,
  key: string,
  type: CollectionType,
): T | null | undefined {
  const entry = lookupRead(client, key);
  if (entry === undefined) return null;
  return checkType<T>(client, entry.value, type);
}

/** Same as readCollection, with a write lookup. */
export function writeCollection<T extends CollectionValue>(
  client: Client,
  key: string,
  type: CollectionType,
): T | null | undefined {
  const entry = lookupWrite(client, key);
  if (entry === undefined) return null;
  return checkType<T>(client, entry.value, type);
}

function checkType<T extends CollectionValue>(
  client: Client,
  value: StoredValue,
  type: CollectionType,
): T | undefined {
  if (typeof value === 'object' && value.type === type) return value as T;
  client.replyError(WRONG_TYPE);
  return undefined;
}

/** Marks a key changed by a write: dirty counter and WATCH/notification listeners. */
export function keyChanged(client: Client, key: string, changes = 1): void {
  const server = client.server;
  server.dirty += changes;
  server.signalModifiedKey(client.database, key);
}

/** Deletes a key as a command does (counts as a change). Returns whether it existed. */
export function deleteKey(client: Client, key: string): boolean {
  const database = client.database;
  if (database.lookup(key, client.server.cachedNow) === undefined) return false;
  database.delete(key);
  keyChanged(client, key);
  return true;
}

/**
 * A keyspace event of class `type` (Redis's letters: g generic, $ string, l list, s set, h hash,
 * z sorted set, x expired, e evicted, n new key) named `event`, e.g. notify(client, 'g', 'del', key).
 */
export function notify(client: Client, type: string, event: string, key: string): void {
  const notifier = client.server.keyspaceNotifier;
  if (notifier !== undefined) notifier(type, event, key, client.database.index);
}
