// DUMP and RESTORE: a key's value in Redis's serialization (src/server/rdb), so values move between
// our servers, Codis 3.2's codis-server and stock Redis.
import { isKeyword, parseInt64 } from '../arguments.ts';
import type { Client } from '../client.ts';
import type { CommandDefinition } from '../command-registry.ts';
import { NOT_INTEGER, SYNTAX } from '../errors.ts';
import type { StoredValue } from '../keyspace/value.ts';
import {
  createDumpPayload,
  decodeDumpPayload,
  materialize,
  RdbFormatError,
  verifyDumpPayload,
} from '../rdb/index.ts';
import { accessTracking, keyChanged, lookupRead, lookupWrite, notify } from './keyspace-access.ts';

export const BUSY_KEY = 'BUSYKEY Target key name already exists.';
export const BAD_PAYLOAD = 'ERR DUMP payload version or checksum are wrong';
export const BAD_DATA_FORMAT = 'ERR Bad data format';

function dump(client: Client, argv: string[]): void {
  const entry = lookupRead(client, argv[1] as string);
  if (entry === undefined) {
    client.out.nullBulk();
    return;
  }
  client.out.bulkBytes(createDumpPayload(entry.value));
}

interface RestoreOptions {
  replace: boolean;
  absoluteTtl: boolean;
  idleSeconds: number;
  frequency: number;
}

/** RESTORE's options after the payload; an error text when they are invalid. */
function parseRestoreOptions(argv: string[]): RestoreOptions | string {
  const options: RestoreOptions = { replace: false, absoluteTtl: false, idleSeconds: -1, frequency: -1 };
  for (let i = 4; i < argv.length; i++) {
    const option = argv[i] as string;
    const hasValue = i + 1 < argv.length;
    if (isKeyword(option, 'replace')) options.replace = true;
    else if (isKeyword(option, 'absttl')) options.absoluteTtl = true;
    else if (isKeyword(option, 'idletime') && hasValue && options.frequency === -1) {
      const value = parseInt64(argv[++i] as string);
      if (value === undefined) return NOT_INTEGER;
      if (value < 0) return 'ERR Invalid IDLETIME value, must be >= 0';
      options.idleSeconds = Number(value);
    } else if (isKeyword(option, 'freq') && hasValue && options.idleSeconds === -1) {
      const value = parseInt64(argv[++i] as string);
      if (value === undefined) return NOT_INTEGER;
      if (value < 0 || value > 255) return 'ERR Invalid FREQ value, must be >= 0 and <= 255';
      options.frequency = Number(value);
    } else return SYNTAX;
  }
  return options;
}

/** The value of a RESTORE payload; an error text when it is refused. */
function restoredValue(payloadText: string): { value: StoredValue } | string {
  const payload = Buffer.from(payloadText, 'latin1');
  if (!verifyDumpPayload(payload)) return BAD_PAYLOAD;
  try {
    return { value: materialize(decodeDumpPayload(payload)) };
  } catch (error) {
    if (error instanceof RdbFormatError) return BAD_DATA_FORMAT;
    throw error;
  }
}

function restore(client: Client, argv: string[]): void {
  const key = argv[1] as string;
  const options = parseRestoreOptions(argv);
  if (typeof options === 'string') {
    client.replyError(options);
    return;
  }
  const { replace, absoluteTtl, idleSeconds, frequency } = options;
  if (!replace && lookupWrite(client, key) !== undefined) {
    client.replyError(BUSY_KEY);
    return;
  }
  const ttlValue = parseInt64(argv[2] as string);
  if (ttlValue === undefined || ttlValue < 0) {
    client.replyError(ttlValue === undefined ? NOT_INTEGER : 'ERR Invalid TTL value, must be >= 0');
    return;
  }
  const restored = restoredValue(argv[3] as string);
  if (typeof restored === 'string') {
    client.replyError(restored);
    return;
  }

  const database = client.database;
  const now = client.server.cachedNow;
  const deleted = replace && database.delete(key);
  let ttl = Number(ttlValue);
  if (ttl !== 0 && !absoluteTtl) ttl += now;
  if (ttl !== 0 && ttl <= now) {
    // Already expired (ABSTTL in the past): the key is not created, only the old one deleted.
    if (deleted) {
      keyChanged(client, key);
      notify(client, 'g', 'del', key);
    }
    client.out.ok();
    return;
  }
  const entry = database.add(key, restored.value, now);
  if (ttl !== 0) database.setExpire(key, entry, ttl);
  // FREQ applies under an LFU maxmemory-policy, IDLETIME under the others (objectSetLRUOrLFU).
  if (accessTracking.lfu) {
    if (frequency >= 0) entry.frequency = frequency;
  } else if (idleSeconds >= 0) {
    entry.accessedAt = now - idleSeconds * 1000;
  }
  keyChanged(client, key);
  notify(client, 'g', 'restore', key);
  client.out.ok();
}

export const dumpRestoreCommands: CommandDefinition[] = [
  { name: 'dump', handler: dump },
  { name: 'restore', handler: restore },
  // Outside a cluster Redis runs RESTORE-ASKING as RESTORE (Codis 3.2's servers answer it too).
  { name: 'restore-asking', handler: restore },
];
