// Generic key commands that move, copy or inspect keys: RENAME, RENAMENX, MOVE, COPY, SWAPDB,
// SCAN and OBJECT. The entry record (value, TTL, access statistics) travels with a renamed or
// moved key, as Redis moves its robj; COPY makes a fresh entry with a deep copy of the value.
import { isKeyword, parseCursor, parseInt64 } from '../arguments.ts';
import type { Client } from '../client.ts';
import type { CommandDefinition } from '../command-registry.ts';
import { DB_INDEX_OUT_OF_RANGE, NO_SUCH_KEY, NOT_INTEGER, SYNTAX } from '../errors.ts';
import { globMatch } from '../glob.ts';
import type { Database } from '../keyspace/database.ts';
import type { Entry } from '../keyspace/entry.ts';
import { encodingOf, isIntEncodable, type StoredValue, typeName } from '../keyspace/value.ts';
import { replyHelp } from './command-introspection.ts';
import {
  accessTracking,
  keyChanged,
  lfuDecrement,
  lookupRead,
  lookupWrite,
  notify,
} from './keyspace-access.ts';

const SAME_OBJECT = 'ERR source and destination objects are the same';
const INT_MIN = -2147483648;
const INT_MAX = 2147483647;

/**
 * Redis's getIntFromObjectOrReply: a 32-bit integer argument, or undefined after replying the
 * error (`message` replaces the generic one for text that is not an integer at all).
 */
export function parseIntArgument(client: Client, text: string, message?: string): number | undefined {
  const value = parseInt64(text);
  if (value === undefined) {
    client.replyError(message === undefined ? NOT_INTEGER : `ERR ${message}`);
    return undefined;
  }
  if (typeof value === 'bigint' || value < INT_MIN || value > INT_MAX) {
    client.replyError(
      message === undefined
        ? `ERR value is out of range, value must between ${INT_MIN} and ${INT_MAX}`
        : `ERR ${message}`,
    );
    return undefined;
  }
  return value;
}

/** A keyspace event in a database other than the client's selected one (MOVE, COPY, SWAPDB). */
function notifyIn(client: Client, database: Database, type: string, event: string, key: string): void {
  const notifier = client.server.keyspaceNotifier;
  if (notifier !== undefined) notifier(type, event, key, database.index);
}

function renameGeneric(client: Client, argv: string[], nx: boolean): void {
  const source = argv[1] as string;
  const target = argv[2] as string;
  const entry = lookupWrite(client, source);
  if (entry === undefined) {
    client.replyError(NO_SUCH_KEY);
    return;
  }
  if (source === target) {
    if (nx) client.out.integer(0);
    else client.out.ok();
    return;
  }
  const database = client.database;
  if (lookupWrite(client, target) !== undefined) {
    if (nx) {
      client.out.integer(0);
      return;
    }
    database.delete(target);
  }
  database.detach(source);
  database.putEntry(target, entry);
  keyChanged(client, source);
  client.server.signalModifiedKey(database, target);
  notify(client, 'g', 'rename_from', source);
  notify(client, 'g', 'rename_to', target);
  if (nx) client.out.integer(1);
  else client.out.ok();
}

/** The database at an index, or undefined after replying `ERR DB index is out of range`. */
function databaseAt(client: Client, index: number): Database | undefined {
  const database = index >= 0 ? client.server.databases[index] : undefined;
  if (database === undefined) client.replyError(DB_INDEX_OUT_OF_RANGE);
  return database;
}

function move(client: Client, argv: string[]): void {
  const key = argv[1] as string;
  const index = parseIntArgument(client, argv[2] as string);
  if (index === undefined) return;
  const target = databaseAt(client, index);
  if (target === undefined) return;
  const source = client.database;
  if (source === target) {
    client.replyError(SAME_OBJECT);
    return;
  }
  const entry = lookupWrite(client, key);
  if (entry === undefined || target.lookup(key, client.server.cachedNow) !== undefined) {
    client.out.integer(0);
    return;
  }
  source.detach(key);
  target.putEntry(key, entry);
  keyChanged(client, key);
  client.server.signalModifiedKey(target, key);
  notify(client, 'g', 'move_from', key);
  notifyIn(client, target, 'g', 'move_to', key);
  client.out.integer(1);
}

/** A deep copy of a value: strings are immutable, collections clone themselves. */
function copyValue(value: StoredValue): StoredValue {
  return typeof value === 'object' ? value.clone() : value;
}

function copy(client: Client, argv: string[]): void {
  const source = argv[1] as string;
  const target = argv[2] as string;
  let replace = false;
  let index = client.database.index;
  for (let i = 3; i < argv.length; i++) {
    const option = argv[i] as string;
    if (isKeyword(option, 'replace')) replace = true;
    else if (isKeyword(option, 'db') && i + 1 < argv.length) {
      const parsed = parseIntArgument(client, argv[++i] as string);
      if (parsed === undefined) return;
      index = parsed;
    } else {
      client.replyError(SYNTAX);
      return;
    }
  }
  const targetDatabase = databaseAt(client, index);
  if (targetDatabase === undefined) return;
  if (targetDatabase === client.database && source === target) {
    client.replyError(SAME_OBJECT);
    return;
  }
  const entry = lookupRead(client, source);
  if (entry === undefined) {
    client.out.integer(0);
    return;
  }
  const now = client.server.cachedNow;
  if (targetDatabase.lookup(target, now) !== undefined) {
    if (!replace) {
      client.out.integer(0);
      return;
    }
    targetDatabase.delete(target);
  }
  const created = targetDatabase.add(target, copyValue(entry.value), now);
  created.stringForm = entry.stringForm;
  if (entry.expireAt !== 0) targetDatabase.setExpire(target, created, entry.expireAt);
  client.server.dirty++;
  client.server.signalModifiedKey(targetDatabase, target);
  notifyIn(client, targetDatabase, 'g', 'copy_to', target);
  client.out.integer(1);
}

function swapdb(client: Client, argv: string[]): void {
  const first = parseIntArgument(client, argv[1] as string, 'invalid first DB index');
  if (first === undefined) return;
  const second = parseIntArgument(client, argv[2] as string, 'invalid second DB index');
  if (second === undefined) return;
  const databases = client.server.databases;
  const a = first >= 0 ? databases[first] : undefined;
  const b = second >= 0 ? databases[second] : undefined;
  if (a === undefined || b === undefined) {
    client.replyError(DB_INDEX_OUT_OF_RANGE);
    return;
  }
  if (a !== b) {
    // WATCHed keys of both databases change meaning, whether they existed before or after.
    const server = client.server;
    if (server.keyModifiedListeners.length > 0) {
      for (const [key] of a.entries()) server.signalModifiedKey(a, key);
      for (const [key] of b.entries()) server.signalModifiedKey(b, key);
    }
    a.swapContents(b);
    server.blocking.signalDatabaseReplaced(a);
    server.blocking.signalDatabaseReplaced(b);
    if (server.keyModifiedListeners.length > 0) {
      for (const [key] of a.entries()) server.signalModifiedKey(a, key);
      for (const [key] of b.entries()) server.signalModifiedKey(b, key);
    }
  }
  client.server.dirty++;
  client.out.ok();
}

function scan(client: Client, argv: string[]): void {
  const cursor = parseCursor(argv[1] as string);
  if (cursor === undefined) {
    client.replyError('ERR invalid cursor');
    return;
  }
  let count = 10;
  let pattern: string | undefined;
  let type: string | undefined;
  for (let i = 2; i < argv.length; i += 2) {
    const option = argv[i] as string;
    const value = argv[i + 1];
    if (value === undefined) {
      client.replyError(SYNTAX);
      return;
    }
    if (isKeyword(option, 'count')) {
      const parsed = parseInt64(value);
      if (parsed === undefined) {
        client.replyError(NOT_INTEGER);
        return;
      }
      if (parsed < 1) {
        client.replyError(SYNTAX);
        return;
      }
      count = typeof parsed === 'bigint' ? Number.MAX_SAFE_INTEGER : parsed;
    } else if (isKeyword(option, 'match')) {
      pattern = value === '*' ? undefined : value;
    } else if (isKeyword(option, 'type')) {
      type = value.toLowerCase();
    } else {
      client.replyError(SYNTAX);
      return;
    }
  }
  const database = client.database;
  const now = client.server.cachedNow;
  const found: string[] = [];
  const next = client.server.scanCursors.scan<[string, Entry]>(
    database,
    cursor,
    count,
    () => database.entries(),
    ([key, entry]) => {
      if (entry.expireAt !== 0 && entry.expireAt <= now) return;
      if (pattern !== undefined && !globMatch(pattern, key)) return;
      if (type !== undefined && typeName(entry.value) !== type) return;
      found.push(key);
    },
  );
  client.out.arrayHeader(2);
  client.out.bulk(next.toString());
  client.out.bulkArray(found);
}

const OBJECT_HELP = [
  'OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
  'ENCODING <key>',
  '    Return the kind of internal representation used in order to store the value',
  '    associated with a <key>.',
  'FREQ <key>',
  '    Return the access frequency index of the <key>. The returned integer is',
  '    proportional to the logarithm of the recent access frequency of the key.',
  'IDLETIME <key>',
  '    Return the idle time of the <key>, that is the approximated number of',
  '    seconds elapsed since the last access to the key.',
  'REFCOUNT <key>',
  '    Return the number of references of the value associated with the specified',
  '    <key>.',
  'HELP',
  '    Prints this help.',
];

/** OBJECT's lookup: no access-time update, no hit/miss statistics; null reply when missing. */
function objectLookup(client: Client, key: string): Entry | undefined {
  const entry = client.database.lookup(key, client.server.cachedNow);
  if (entry === undefined) client.out.nullBulk();
  return entry;
}

/** Shared integer objects (0..9999) are not used when LRU/LFU eviction needs per-key metadata. */
const SHARED_INTEGERS = 10000;

function objectRefcount(client: Client, argv: string[]): void {
  const entry = objectLookup(client, argv[2] as string);
  if (entry === undefined) return;
  const value = entry.value;
  const policy = client.server.config.get('maxmemory-policy');
  const sharedAllowed = client.server.maxMemory === 0 || !(policy.includes('lru') || policy.includes('lfu'));
  // Only an int-encoded value can be one of the shared integers.
  const text =
    entry.stringForm !== 0
      ? undefined
      : typeof value === 'number'
        ? value
        : typeof value === 'string'
          ? value
          : undefined;
  const number = typeof text === 'string' ? (isIntEncodable(text) ? Number(text) : -1) : text;
  const shared =
    sharedAllowed &&
    number !== undefined &&
    Number.isInteger(number) &&
    number >= 0 &&
    number < SHARED_INTEGERS;
  client.out.integer(shared ? INT_MAX : 1);
}

function objectEncoding(client: Client, argv: string[]): void {
  const entry = objectLookup(client, argv[2] as string);
  if (entry === undefined) return;
  client.out.bulk(encodingOf(entry.value, entry.stringForm));
}

function objectIdletime(client: Client, argv: string[]): void {
  const entry = objectLookup(client, argv[2] as string);
  if (entry === undefined) return;
  if (accessTracking.lfu) {
    client.replyError(
      'ERR An LFU maxmemory policy is selected, idle time not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.',
    );
    return;
  }
  client.out.integer(Math.max(0, Math.floor((client.server.cachedNow - entry.accessedAt) / 1000)));
}

function objectFreq(client: Client, argv: string[]): void {
  const entry = objectLookup(client, argv[2] as string);
  if (entry === undefined) return;
  if (!accessTracking.lfu) {
    client.replyError(
      'ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.',
    );
    return;
  }
  client.out.integer(lfuDecrement(entry, client.server.cachedNow));
}

export const keyCommands: CommandDefinition[] = [
  { name: 'rename', handler: (client, argv) => renameGeneric(client, argv, false) },
  { name: 'renamenx', handler: (client, argv) => renameGeneric(client, argv, true) },
  { name: 'move', handler: move },
  { name: 'copy', handler: copy },
  { name: 'swapdb', handler: swapdb },
  { name: 'scan', handler: scan },
  { name: 'object|encoding', handler: objectEncoding },
  { name: 'object|refcount', handler: objectRefcount },
  { name: 'object|idletime', handler: objectIdletime },
  { name: 'object|freq', handler: objectFreq },
  { name: 'object|help', handler: (client) => replyHelp(client, OBJECT_HELP) },
];
