// A whole-dataset RDB image for full resynchronization: written from the databases in one go, and
// loaded (flush, then load) from a master's payload, Redis's or ours. Minimal on purpose: the RDB
// file feature (persistence/) is the full implementation; this is what replication needs.
import type { StoredValue } from '../keyspace/value.ts';
import {
  crc64,
  materialize,
  RdbFormatError,
  RdbReader,
  type RdbValue,
  RdbWriter,
  readObject,
  writeObject,
} from '../rdb/index.ts';
import type { CodisServer } from '../server.ts';
import { HashValue } from '../types/hash.ts';
import { SetValue } from '../types/set.ts';

const OPCODE_FUNCTION2 = 245;
const OPCODE_FUNCTION_PRE_GA = 246;
const OPCODE_MODULE_AUX = 247;
const OPCODE_IDLE = 248;
const OPCODE_FREQ = 249;
const OPCODE_AUX = 250;
const OPCODE_RESIZEDB = 251;
const OPCODE_EXPIRETIME_MS = 252;
const OPCODE_EXPIRETIME = 253;
const OPCODE_SELECTDB = 254;
const OPCODE_EOF = 255;
/** Our values are written in encodings of RDB 7 (Redis 3.2), which every later Redis reads. */
const WRITE_VERSION = 9;

export interface SnapshotInfo {
  replicationId: string;
  offset: number;
  /** The database the stream that follows the image writes to (repl-stream-db). */
  streamDatabase: number;
}

export interface LoadedSnapshot {
  keys: number;
  /** repl-stream-db of the image, -1 when absent. */
  streamDatabase: number;
}

function writeAux(writer: RdbWriter, name: string, value: string): void {
  writer.byte(OPCODE_AUX);
  writer.writeString(name);
  writer.writeString(value);
}

/** The RDB image of every database, with the replication id and offset as aux fields. */
export function writeSnapshot(server: CodisServer, info: SnapshotInfo): Buffer {
  const writer = new RdbWriter(true, 4096);
  writer.latin1(`REDIS${String(WRITE_VERSION).padStart(4, '0')}`);
  writeAux(writer, 'redis-ver', '7.0.15');
  writeAux(writer, 'redis-bits', '64');
  writeAux(writer, 'ctime', String(Math.floor(Date.now() / 1000)));
  writeAux(writer, 'repl-stream-db', String(info.streamDatabase));
  writeAux(writer, 'repl-id', info.replicationId);
  writeAux(writer, 'repl-offset', String(info.offset));
  const now = Date.now();
  for (const database of server.databases) {
    if (database.size === 0) continue;
    writer.byte(OPCODE_SELECTDB);
    writer.writeLength(database.index);
    writer.byte(OPCODE_RESIZEDB);
    writer.writeLength(database.size);
    writer.writeLength(database.volatileKeys.size);
    for (const [key, entry] of database.entries()) {
      if (entry.expireAt !== 0) {
        // An expired key goes out as it is: the replica gets its DEL from the stream.
        if (entry.expireAt <= now && !server.expiryHidesOnly) continue;
        writer.byte(OPCODE_EXPIRETIME_MS);
        writer.ensure(8);
        writer.buffer.writeBigUInt64LE(BigInt(entry.expireAt), writer.length);
        writer.length += 8;
      }
      // writeObject writes the type byte then the body; the key sits between them.
      const body = new RdbWriter(writer.compress, 64);
      writeObject(body, entry.value);
      const bytes = body.view();
      writer.byte(bytes[0] as number);
      writer.writeString(key);
      writer.bytes(bytes.subarray(1));
    }
  }
  writer.byte(OPCODE_EOF);
  const checksum = crc64(writer.buffer.subarray(0, writer.length));
  writer.ensure(8);
  writer.buffer.writeBigUInt64LE(checksum, writer.length);
  writer.length += 8;
  return Buffer.from(writer.buffer.subarray(0, writer.length));
}

function toStored(value: RdbValue): StoredValue {
  if (value.type === 'hash') return HashValue.fromEntries(value.entries);
  if (value.type === 'set') return SetValue.fromMembers(value.members);
  return materialize(value);
}

/** Empties every database and loads an RDB image into them. */
export function loadSnapshot(server: CodisServer, payload: Buffer): LoadedSnapshot {
  if (payload.length < 9 || payload.latin1Slice(0, 5) !== 'REDIS')
    throw new RdbFormatError('not an RDB payload');
  const version = Number(payload.latin1Slice(5, 9));
  if (!(version >= 1 && version <= 10)) throw new RdbFormatError(`unsupported RDB version ${version}`);
  for (const database of server.databases) database.flush();
  const reader = new RdbReader(payload, 9);
  let database = server.databases[0];
  let expireAt = 0;
  let loaded = 0;
  let streamDatabase = -1;
  const now = Date.now();
  for (;;) {
    const type = reader.readByte();
    switch (type) {
      case OPCODE_EOF:
        return { keys: loaded, streamDatabase };
      case OPCODE_SELECTDB: {
        const index = reader.readLength();
        database = server.databases[index];
        if (database === undefined) throw new RdbFormatError(`database ${index} out of range`);
        continue;
      }
      case OPCODE_RESIZEDB:
        reader.readLength();
        reader.readLength();
        continue;
      case OPCODE_AUX: {
        const name = reader.readString();
        const value = reader.readString();
        if (name === 'repl-stream-db') streamDatabase = Number(value);
        continue;
      }
      case OPCODE_EXPIRETIME_MS:
        expireAt = Number(reader.readBytes(8).readBigUInt64LE(0));
        continue;
      case OPCODE_EXPIRETIME:
        expireAt = reader.readBytes(4).readUInt32LE(0) * 1000;
        continue;
      case OPCODE_IDLE:
        reader.readLength();
        continue;
      case OPCODE_FREQ:
        reader.readByte();
        continue;
      case OPCODE_MODULE_AUX:
      case OPCODE_FUNCTION2:
      case OPCODE_FUNCTION_PRE_GA:
        throw new RdbFormatError('RDB modules and functions are not supported');
      default: {
        const key = reader.readString();
        const value = toStored(readObject(reader, type));
        const target = database as NonNullable<typeof database>;
        if (target.findRaw(key) !== undefined) target.delete(key);
        const entry = target.add(key, value, now);
        if (expireAt !== 0) target.setExpire(key, entry, expireAt);
        expireAt = 0;
        loaded++;
      }
    }
  }
}
