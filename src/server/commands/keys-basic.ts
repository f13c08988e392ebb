// Generic key commands: existence, deletion, expiry and whole-database operations.

import { INT64_LIMIT, isKeyword, parseInt64 } from '../arguments.ts';
import type { Client } from '../client.ts';
import type { CommandDefinition } from '../command-registry.ts';
import { INVALID_EXPIRE, NOT_INTEGER, SYNTAX } from '../errors.ts';
import { globMatch } from '../glob.ts';
import { typeName } from '../keyspace/value.ts';
import { trackingFeature } from '../tracking/index.ts';
import { deleteKey, keyChanged, lookupRead, lookupWrite, notify } from './keyspace-access.ts';

function del(client: Client, argv: string[]): void {
  let deleted = 0;
  for (let i = 1; i < argv.length; i++) {
    const key = argv[i] as string;
    if (deleteKey(client, key)) {
      notify(client, 'g', 'del', key);
      deleted++;
    }
  }
  client.out.integer(deleted);
}

function exists(client: Client, argv: string[]): void {
  let count = 0;
  const now = client.server.cachedNow;
  for (let i = 1; i < argv.length; i++)
    if (client.database.lookup(argv[i] as string, now) !== undefined) count++;
  client.out.integer(count);
}

function touch(client: Client, argv: string[]): void {
  let count = 0;
  for (let i = 1; i < argv.length; i++) if (lookupRead(client, argv[i] as string) !== undefined) count++;
  client.out.integer(count);
}

function type(client: Client, argv: string[]): void {
  const entry = client.database.lookup(argv[1] as string, client.server.cachedNow);
  client.out.status(entry === undefined ? 'none' : typeName(entry.value));
}

/** TTL, PTTL, EXPIRETIME, PEXPIRETIME. */
function ttlGeneric(client: Client, key: string, milliseconds: boolean, absolute: boolean): void {
  const entry = client.database.lookup(key, client.server.cachedNow);
  if (entry === undefined) {
    client.out.integer(-2);
    return;
  }
  if (entry.expireAt === 0) {
    client.out.integer(-1);
    return;
  }
  let ttl = absolute ? entry.expireAt : entry.expireAt - client.server.cachedNow;
  if (ttl < 0) ttl = 0;
  client.out.integer(milliseconds ? ttl : Math.floor((ttl + 500) / 1000));
}

const EXPIRE_NX = 1;
const EXPIRE_XX = 2;
const EXPIRE_GT = 4;
const EXPIRE_LT = 8;

/** EXPIRE, PEXPIRE, EXPIREAT, PEXPIREAT with NX | XX | GT | LT. */
function expireGeneric(client: Client, argv: string[], unitMs: number, absolute: boolean): void {
  const key = argv[1] as string;
  const commandName = (argv[0] as string).toLowerCase();
  let flags = 0;
  for (let i = 3; i < argv.length; i++) {
    const option = (argv[i] as string).toLowerCase();
    if (option === 'nx') flags |= EXPIRE_NX;
    else if (option === 'xx') flags |= EXPIRE_XX;
    else if (option === 'gt') flags |= EXPIRE_GT;
    else if (option === 'lt') flags |= EXPIRE_LT;
    else {
      client.replyError(`ERR Unsupported option ${argv[i]}`);
      return;
    }
  }
  if (flags & EXPIRE_NX && flags & (EXPIRE_XX | EXPIRE_GT | EXPIRE_LT)) {
    client.replyError('ERR NX and XX, GT or LT options at the same time are not compatible');
    return;
  }
  if (flags & EXPIRE_GT && flags & EXPIRE_LT) {
    client.replyError('ERR GT and LT options at the same time are not compatible');
    return;
  }
  const parsed = parseInt64(argv[2] as string);
  if (parsed === undefined) {
    client.replyError(NOT_INTEGER);
    return;
  }
  let when = Number(parsed);
  const limit = INT64_LIMIT / unitMs;
  if (when > limit || when < -limit) {
    client.replyError(INVALID_EXPIRE(commandName));
    return;
  }
  when *= unitMs;
  if (!absolute) {
    when += client.server.cachedNow;
    if (when > INT64_LIMIT || when < -INT64_LIMIT) {
      client.replyError(INVALID_EXPIRE(commandName));
      return;
    }
  }
  const entry = lookupWrite(client, key);
  if (entry === undefined) {
    client.out.integer(0);
    return;
  }
  const current = entry.expireAt;
  if (flags & EXPIRE_NX && current !== 0) return void client.out.integer(0);
  if (flags & EXPIRE_XX && current === 0) return void client.out.integer(0);
  // A key without TTL counts as an infinite TTL for GT and LT.
  if (flags & EXPIRE_GT && (current === 0 || when <= current)) return void client.out.integer(0);
  if (flags & EXPIRE_LT && current !== 0 && when >= current) return void client.out.integer(0);
  if (when <= client.server.cachedNow) {
    client.database.delete(key);
    keyChanged(client, key);
    notify(client, 'g', 'del', key);
  } else {
    client.database.setExpire(key, entry, when);
    keyChanged(client, key);
    notify(client, 'g', 'expire', key);
  }
  client.out.integer(1);
}

function persist(client: Client, argv: string[]): void {
  const key = argv[1] as string;
  const entry = lookupWrite(client, key);
  if (entry === undefined || !client.database.removeExpire(key, entry)) {
    client.out.integer(0);
    return;
  }
  keyChanged(client, key);
  notify(client, 'g', 'persist', key);
  client.out.integer(1);
}

function dbsize(client: Client): void {
  client.out.integer(client.database.size);
}

/** Parses the optional ASYNC|SYNC of FLUSHDB/FLUSHALL; false after replying an error. */
function flushModeValid(client: Client, argv: string[]): boolean {
  if (
    argv.length > 2 ||
    (argv.length === 2 && !isKeyword(argv[1] as string, 'async') && !isKeyword(argv[1] as string, 'sync'))
  ) {
    client.replyError(SYNTAX);
    return false;
  }
  return true;
}

/** Runs a flush; tracking clients get one null invalidation instead of one per key. */
function asFlush(client: Client, flush: () => void): void {
  const tracking = trackingFeature(client.server);
  if (tracking === undefined) flush();
  else tracking.duringFlush(flush);
}

function flushdb(client: Client, argv: string[]): void {
  if (!flushModeValid(client, argv)) return;
  asFlush(client, () => flushDatabase(client, client.database.index));
  client.server.blocking.signalDatabaseReplaced(client.database);
  client.out.ok();
}

function flushall(client: Client, argv: string[]): void {
  if (!flushModeValid(client, argv)) return;
  asFlush(client, () => {
    for (const database of client.server.databases) flushDatabase(client, database.index);
  });
  for (const hook of client.server.flushAllHooks) hook();
  for (const database of client.server.databases) client.server.blocking.signalDatabaseReplaced(database);
  client.out.ok();
}

function flushDatabase(client: Client, index: number): void {
  const server = client.server;
  const database = server.databases[index];
  if (database === undefined) return;
  // WATCH must see every key that existed as modified.
  if (server.keyModifiedListeners.length > 0)
    for (const [key] of database.entries()) server.signalModifiedKey(database, key);
  server.dirty += database.flush();
  server.dirty++;
}

function keys(client: Client, argv: string[]): void {
  const pattern = argv[1] as string;
  const matchAll = pattern === '*';
  const now = client.server.cachedNow;
  const found: string[] = [];
  for (const [key, entry] of client.database.entries()) {
    if (entry.expireAt !== 0 && entry.expireAt <= now) continue;
    if (matchAll || globMatch(pattern, key)) found.push(key);
  }
  client.out.bulkArray(found);
}

function randomkey(client: Client): void {
  const database = client.database;
  const now = client.server.cachedNow;
  // Expired keys found on the way are reclaimed; give up after many tries like Redis does on replicas.
  for (let tries = 0; tries < 100 && database.size > 0; tries++) {
    const key = database.randomKey();
    if (key === undefined) break;
    if (database.lookup(key, now) !== undefined) {
      client.out.bulk(key);
      return;
    }
  }
  client.out.nullBulk();
}

export const basicKeyCommands: CommandDefinition[] = [
  { name: 'del', handler: del },
  { name: 'unlink', handler: del },
  { name: 'exists', handler: exists },
  { name: 'touch', handler: touch },
  { name: 'type', handler: type },
  { name: 'ttl', handler: (client, argv) => ttlGeneric(client, argv[1] as string, false, false) },
  { name: 'pttl', handler: (client, argv) => ttlGeneric(client, argv[1] as string, true, false) },
  { name: 'expiretime', handler: (client, argv) => ttlGeneric(client, argv[1] as string, false, true) },
  { name: 'pexpiretime', handler: (client, argv) => ttlGeneric(client, argv[1] as string, true, true) },
  { name: 'expire', handler: (client, argv) => expireGeneric(client, argv, 1000, false) },
  { name: 'pexpire', handler: (client, argv) => expireGeneric(client, argv, 1, false) },
  { name: 'expireat', handler: (client, argv) => expireGeneric(client, argv, 1000, true) },
  { name: 'pexpireat', handler: (client, argv) => expireGeneric(client, argv, 1, true) },
  { name: 'persist', handler: persist },
  { name: 'dbsize', handler: dbsize },
  { name: 'flushdb', handler: flushdb },
  { name: 'flushall', handler: flushall },
  { name: 'keys', handler: keys },
  { name: 'randomkey', handler: randomkey },
];
