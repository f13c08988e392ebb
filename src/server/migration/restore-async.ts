// Target side of the async migration (spec §9.6): SLOTSRESTORE-ASYNC and its -AUTH / -SELECT
// messages. Every message is answered with ["SLOTSRESTORE-ASYNC-ACK", errno, message]; after an
// error ACK the connection is closed, as Codis does, so a source never keeps sending into a failed
// batch.
import { parseInt64 } from '../arguments.ts';
import type { Client } from '../client.ts';
import { keyChanged, lookupWrite, notify } from '../commands/keyspace-access.ts';
import type { Entry } from '../keyspace/entry.ts';
import { encodeString, type StoredValue } from '../keyspace/value.ts';
import * as rdbConstants from '../rdb/constants.ts';
import { decodeDumpPayload, materialize, RdbFormatError, verifyDumpPayload } from '../rdb/index.ts';
import { HashValue } from '../types/hash.ts';
import { ListValue } from '../types/list.ts';
import { SetValue } from '../types/set.ts';
import { ZSetValue } from '../types/zset.ts';
import type { AsyncMigrator } from './async-migration.ts';

const INT32_MAX = 2147483647;
/** Codis 3.2 reads DUMP payloads up to RDB version 7 only; we accept what our RESTORE accepts. */
const KNOWN_TYPES = new Set<number>(
  Object.entries(rdbConstants)
    .filter(([name, value]) => name.startsWith('RDB_TYPE_') && typeof value === 'number')
    .map(([, value]) => value as number),
);

/** The whole success ACKs of the common messages, encoded once. */
function encodedAck(message: string): Buffer {
  return Buffer.from(
    `*3\r\n$22\r\nSLOTSRESTORE-ASYNC-ACK\r\n$1\r\n0\r\n$${message.length}\r\n${message}\r\n`,
    'latin1',
  );
}
const ACK_0 = encodedAck('0');
const ACK_1 = encodedAck('1');
const ACK_OK = encodedAck('OK');

function ack(client: Client, errno: number, message: string): void {
  const out = client.out;
  if (errno === 0) {
    const encoded = message === '1' ? ACK_1 : message === '0' ? ACK_0 : message === 'OK' ? ACK_OK : undefined;
    if (encoded !== undefined) {
      out.rawBytes(encoded);
      return;
    }
  }
  out.arrayHeader(3);
  out.bulk('SLOTSRESTORE-ASYNC-ACK');
  out.bulk(String(errno));
  out.bulk(message);
}

function errorAck(client: Client, message: string): void {
  ack(client, -1, message);
  client.closeAfterReply = true;
}

/** Redis's internal type/encoding codes, for the `wrong type` messages. */
function typeAndEncoding(value: StoredValue): string {
  if (typeof value === 'number') return '0/1';
  if (typeof value === 'string') return value.length <= 44 ? '0/8' : '0/0';
  const encoding = value.encoding();
  switch (value.type) {
    case 'list':
      return '1/9';
    case 'set':
      return encoding === 'intset' ? '2/6' : '2/2';
    case 'zset':
      return encoding === 'skiplist' ? '3/7' : '3/5';
    default:
      return encoding === 'hashtable' ? '4/2' : '4/5';
  }
}

function parseNonNegative(text: string): number | undefined {
  const value = parseInt64(text);
  if (value === undefined || typeof value === 'bigint' || value < 0) return undefined;
  return value;
}

/** The common tail: TTL (0 removes it), change signalled, success ACK. */
function finish(client: Client, key: string, entry: Entry, ttl: number, message: string): void {
  const database = client.database;
  if (ttl > 0) database.setExpire(key, entry, client.server.cachedNow + ttl);
  else database.removeExpire(key, entry);
  keyChanged(client, key);
  ack(client, 0, message);
}

export function createRestoreAsyncHandlers(migrator: AsyncMigrator) {
  function slotsrestoreAsync(client: Client, argv: string[]): void {
    const argc = argv.length;
    const sub = argv[1] as string;
    const name = sub.toLowerCase();
    const wrongNumber = (): string => `wrong number of arguments (argc=${argc},cmd=${sub})`;
    if (migrator.batchOf(client.database) !== undefined) {
      errorAck(client, 'the specified DB is being migrated');
      return;
    }
    if (argc < 3) {
      errorAck(client, wrongNumber());
      return;
    }
    const key = argv[2] as string;
    const database = client.database;
    if (name === 'delete') {
      if (argc !== 3) {
        errorAck(client, wrongNumber());
        return;
      }
      const existed = lookupWrite(client, key) !== undefined;
      if (existed) {
        database.delete(key);
        keyChanged(client, key);
        notify(client, 'g', 'del', key);
      }
      ack(client, 0, existed ? '1' : '0');
      return;
    }
    if (argc < 4) {
      errorAck(client, wrongNumber());
      return;
    }
    const ttl = parseNonNegative(argv[3] as string);
    if (ttl === undefined) {
      errorAck(client, `invalid TTL value (TTL=${argv[3]})`);
      return;
    }
    const now = client.server.cachedNow;
    if (name === 'expire') {
      if (argc !== 4) {
        errorAck(client, wrongNumber());
        return;
      }
      const entry = lookupWrite(client, key);
      if (entry === undefined) {
        errorAck(client, `the specified key doesn't exist (${key})`);
        return;
      }
      finish(client, key, entry, ttl, '1');
      return;
    }
    if (name === 'string' || name === 'object') {
      if (argc !== 5) {
        errorAck(client, wrongNumber());
        return;
      }
      if (lookupWrite(client, key) !== undefined) {
        errorAck(client, `the specified key already exists (${key})`);
        return;
      }
      let value: StoredValue;
      if (name === 'string') value = encodeString(argv[4] as string);
      else {
        const payload = Buffer.from(argv[4] as string, 'latin1');
        if (!verifyDumpPayload(payload)) {
          errorAck(client, 'invalid payload checksum');
          return;
        }
        try {
          value = materialize(decodeDumpPayload(payload));
        } catch (error) {
          if (!(error instanceof RdbFormatError)) throw error;
          errorAck(
            client,
            KNOWN_TYPES.has(payload[0] as number) ? 'invalid payload body' : 'invalid payload type',
          );
          return;
        }
      }
      finish(client, key, database.add(key, value, now), ttl, '1');
      return;
    }
    if (argc < 5) {
      errorAck(client, wrongNumber());
      return;
    }
    const hint = parseNonNegative(argv[4] as string);
    if (hint === undefined) {
      errorAck(client, `invalid Hint value (Hint=${argv[4]})`);
      return;
    }
    if ((name === 'hash' || name === 'zset') && (argc - 5) % 2 !== 0) {
      errorAck(client, wrongNumber());
      return;
    }
    const items = argc - 5;
    switch (name) {
      case 'list': {
        let entry = lookupWrite(client, key);
        if (entry !== undefined && (typeof entry.value !== 'object' || entry.value.type !== 'list')) {
          errorAck(client, `wrong type (expect=1/9,got=${typeAndEncoding(entry.value)})`);
          return;
        }
        if (entry === undefined && items === 0) {
          errorAck(client, `the specified key doesn't exist (${key})`);
          return;
        }
        entry ??= database.add(key, new ListValue(), now);
        const list = entry.value as ListValue;
        for (let i = 5; i < argc; i++) list.pushTail(argv[i] as string);
        finish(client, key, entry, ttl, String(list.size));
        return;
      }
      case 'hash': {
        let entry = lookupWrite(client, key);
        if (entry !== undefined && typeAndEncoding(entry.value) !== '4/2') {
          errorAck(client, `wrong type (expect=4/2,got=${typeAndEncoding(entry.value)})`);
          return;
        }
        if (entry === undefined && items === 0) {
          errorAck(client, `the specified key doesn't exist (${key})`);
          return;
        }
        if (entry === undefined) {
          const hash = new HashValue();
          hash.convertToHashtable();
          entry = database.add(key, hash, now);
        }
        const hash = entry.value as HashValue;
        for (let i = 5; i < argc; i += 2) hash.set(argv[i] as string, argv[i + 1] as string);
        finish(client, key, entry, ttl, String(hash.size));
        return;
      }
      case 'dict': {
        let entry = lookupWrite(client, key);
        if (entry !== undefined && typeAndEncoding(entry.value) !== '2/2') {
          errorAck(client, `wrong type (expect=2/2,got=${typeAndEncoding(entry.value)})`);
          return;
        }
        if (entry === undefined && items === 0) {
          errorAck(client, `the specified key doesn't exist (${key})`);
          return;
        }
        if (entry === undefined) {
          const set = new SetValue();
          set.convertToHashtable();
          entry = database.add(key, set, now);
        }
        const set = entry.value as SetValue;
        for (let i = 5; i < argc; i++) set.add(argv[i] as string);
        finish(client, key, entry, ttl, String(set.size));
        return;
      }
      case 'zset': {
        const scores: number[] = [];
        for (let i = 6, pair = 0; i < argc; i += 2, pair++) {
          const raw = argv[i] as string;
          if (raw.length !== 8) {
            errorAck(client, `invalid zset score ([${pair}]), bad raw bits`);
            return;
          }
          scores.push(Buffer.from(raw, 'latin1').readDoubleLE(0));
        }
        let entry = lookupWrite(client, key);
        if (entry !== undefined && typeAndEncoding(entry.value) !== '3/7') {
          errorAck(client, `wrong type (expect=3/7,got=${typeAndEncoding(entry.value)})`);
          return;
        }
        if (entry === undefined && items === 0) {
          errorAck(client, `the specified key doesn't exist (${key})`);
          return;
        }
        if (entry === undefined) {
          const zset = new ZSetValue();
          zset.convertToSkiplist();
          entry = database.add(key, zset, now);
        }
        const zset = entry.value as ZSetValue;
        for (let i = 5, pair = 0; i < argc; i += 2, pair++)
          zset.set(argv[i] as string, scores[pair] as number);
        finish(client, key, entry, ttl, String(zset.size));
        return;
      }
      default:
        errorAck(client, `unknown command (argc=${argc},cmd=${sub})`);
    }
  }

  function slotsrestoreAsyncAuth(client: Client, argv: string[]): void {
    const password = client.server.config.get('requirepass');
    if (password === '') {
      errorAck(client, 'Client sent AUTH, but no password is set');
      return;
    }
    const given = argv[1] as string;
    const same =
      given.length === password.length &&
      Buffer.from(given, 'latin1').equals(Buffer.from(password, 'latin1'));
    client.authenticated = same;
    client.parser.authenticated = same;
    if (same) ack(client, 0, 'OK');
    else errorAck(client, 'invalid password');
  }

  function slotsrestoreAsyncSelect(client: Client, argv: string[]): void {
    const text = argv[1] as string;
    const index = parseNonNegative(text);
    const database = index === undefined || index > INT32_MAX ? undefined : client.server.databases[index];
    if (database === undefined) {
      errorAck(client, `invalid DB index (${text})`);
      return;
    }
    client.database = database;
    ack(client, 0, 'OK');
  }

  return { slotsrestoreAsync, slotsrestoreAsyncAuth, slotsrestoreAsyncSelect };
}
