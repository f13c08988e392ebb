// RDB files: Redis's snapshot format. A file is "REDIS" + 4-digit version, aux fields, then per
// database SELECTDB, RESIZEDB and its keys ([EXPIRETIME_MS] type key value), EOF and a CRC-64 of
// everything before it (8 bytes LE; zero when rdbchecksum is off).
//
// We write version 9 (Redis 5/6's) with the object encodings of the codec (RDB 7's quicklist,
// ziplist and intset types, which every later version still loads): Redis 6 and 7 load our files
// and redis-check-rdb accepts them. We read versions 1 to 10 (Redis 7.0's). Function libraries
// are saved after the aux fields as Redis 7 saves them (RDB_OPCODE_FUNCTION2 and the code), and
// streams as Redis 7.0's type 19, both in the same version-9 file: Redis 7.0 checks a file's
// version only against its own and takes every type it knows in it (redis-server 7.0.15 and its
// redis-check-rdb load such files), so a file holding either loads in Redis 7 but not in Redis 6.
// Announcing version 10 only when one is present would need a walk of the dataset before the
// header is written; it would change no outcome, only Redis 6's error message.
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import type { Database } from '../keyspace/database.ts';
import { encodeString, type StoredValue } from '../keyspace/value.ts';
import { crc64Halves } from '../rdb/crc64.ts';
import { RdbFormatError } from '../rdb/errors.ts';
import { materialize } from '../rdb/materialize.ts';
import { type RdbValue, readObject, writeObject } from '../rdb/object.ts';
import { RdbReader } from '../rdb/reader.ts';
import { RdbWriter } from '../rdb/writer.ts';
import { HashValue } from '../types/hash.ts';
import { SetValue } from '../types/set.ts';
import { REDIS_COMPATIBLE_VERSION } from '../version.ts';
import type { SnapshotSink } from './snapshot.ts';

export const RDB_FILE_VERSION = 9;
const RDB_MAX_READ_VERSION = 10;

const OPCODE_FUNCTION_PRE_GA = 246;
const OPCODE_FUNCTION2 = 245;
const OPCODE_MODULE_AUX = 247;
const OPCODE_IDLE = 248;
const OPCODE_FREQ = 249;
const OPCODE_AUX = 250;
const OPCODE_RESIZEDB = 251;
const OPCODE_EXPIRETIME_MS = 252;
const OPCODE_EXPIRETIME = 253;
const OPCODE_SELECTDB = 254;
const OPCODE_EOF = 255;

/** Written data is handed to the file in chunks of about this size. */
const CHUNK_BYTES = 1 << 20;

/** A file that cannot be loaded: the message names the file and what is wrong. */
export class RdbFileError extends Error {
  readonly code = 'RDB_FILE';
  constructor(message: string) {
    super(message);
    this.name = 'RdbFileError';
  }
}

export interface RdbFileOptions {
  compress: boolean;
  checksum: boolean;
  /** Whether this file is the base of an AOF (aux field aof-base). */
  aofBase?: boolean;
  /** More aux fields after the standard ones (repl-stream-db, repl-id, repl-offset). */
  aux?: ReadonlyArray<readonly [string, string]>;
  /** The code of each Redis 7 function library, saved after the aux fields as Redis 7 does. */
  functions?: readonly string[];
}

/**
 * Encodes a snapshot as an RDB image, handing it out in chunks of about 1 MB (with the running
 * CRC-64) to `output`. A chunk is a view of the encoder's buffer, valid only during the call.
 */
export class RdbEncoder implements SnapshotSink {
  private readonly output: (chunk: Buffer) => void;
  private readonly writer: RdbWriter;
  private readonly objectWriter: RdbWriter;
  private readonly checksum: boolean;
  private crcLo = 0;
  private crcHi = 0;
  /** Bytes handed out so far. */
  bytes = 0;

  constructor(options: RdbFileOptions, output: (chunk: Buffer) => void) {
    this.output = output;
    this.checksum = options.checksum;
    this.writer = new RdbWriter(options.compress, CHUNK_BYTES * 2);
    this.objectWriter = new RdbWriter(options.compress, 4096);
    const writer = this.writer;
    writer.latin1(`REDIS${String(RDB_FILE_VERSION).padStart(4, '0')}`);
    const aux: Array<readonly [string, string]> = [
      ['redis-ver', REDIS_COMPATIBLE_VERSION],
      ['redis-bits', '64'],
      ['ctime', String(Math.floor(Date.now() / 1000))],
      ['used-mem', String(process.memoryUsage().heapUsed)],
      ['aof-base', options.aofBase === true ? '1' : '0'],
      ...(options.aux ?? []),
    ];
    for (const [name, value] of aux) {
      writer.byte(OPCODE_AUX);
      writer.writeString(name);
      writer.writeString(value);
    }
    for (const code of options.functions ?? []) {
      writer.byte(OPCODE_FUNCTION2);
      writer.writeString(code);
    }
  }

  beginDatabase(index: number, size: number, expires: number): void {
    const writer = this.writer;
    writer.byte(OPCODE_SELECTDB);
    writer.writeLength(index);
    writer.byte(OPCODE_RESIZEDB);
    writer.writeLength(size);
    writer.writeLength(expires);
  }

  key(key: string, value: StoredValue, expireAt: number): void {
    const writer = this.writer;
    if (expireAt !== 0) {
      writer.byte(OPCODE_EXPIRETIME_MS);
      writer.ensure(8);
      writer.buffer.writeBigUInt64LE(BigInt(expireAt), writer.length);
      writer.length += 8;
    }
    // The key sits between the object's type byte and its body.
    const object = this.objectWriter;
    object.length = 0;
    writeObject(object, value);
    writer.byte(object.buffer[0] as number);
    writer.writeString(key);
    writer.bytes(object.buffer.subarray(1, object.length));
    if (writer.length >= CHUNK_BYTES) this.flush();
  }

  private flush(): void {
    const writer = this.writer;
    if (writer.length === 0) return;
    if (this.checksum) {
      const halves = crc64Halves(writer.buffer, this.crcLo, this.crcHi, 0, writer.length);
      this.crcLo = halves[0] as number;
      this.crcHi = halves[1] as number;
    }
    const length = writer.length;
    writer.length = 0;
    this.bytes += length;
    this.output(writer.buffer.subarray(0, length));
  }

  /** EOF and the checksum: the last chunk goes out. */
  end(): void {
    this.writer.byte(OPCODE_EOF);
    this.flush();
    const footer = Buffer.alloc(8);
    footer.writeUInt32LE(this.crcLo >>> 0, 0);
    footer.writeUInt32LE(this.crcHi >>> 0, 4);
    this.bytes += 8;
    this.output(footer);
  }
}

/** Writes a chunk completely to a file descriptor. */
export function writeFully(fd: number, chunk: Uint8Array): void {
  let offset = 0;
  while (offset < chunk.length) offset += writeSync(fd, chunk, offset, chunk.length - offset);
}

/** Streams a snapshot into an open file descriptor (SAVE, the AOF base at start). */
export class RdbFileWriter extends RdbEncoder {
  constructor(fd: number, options: RdbFileOptions) {
    super(options, (chunk) => writeFully(fd, chunk));
  }
}

/** Opens `temporary` for a new RDB file. */
export function openTemporary(temporary: string): number {
  // Readable too: a full sync that joins a running BGSAVE reads the part already written.
  return openSync(temporary, 'w+', 0o644);
}

/** fsyncs (unless already done), closes and renames the temporary file into place (an atomic replacement). */
export function commitTemporary(fd: number, temporary: string, path: string, sync = true): void {
  if (sync) fsyncSync(fd);
  closeSync(fd);
  renameSync(temporary, path);
}

export function discardTemporary(fd: number | undefined, temporary: string): void {
  try {
    if (fd !== undefined) closeSync(fd);
  } catch {}
  try {
    unlinkSync(temporary);
  } catch {}
}

/** The server's value for a decoded RDB value. */
export function storedValueOf(value: RdbValue): StoredValue {
  switch (value.type) {
    case 'string':
      return encodeString(value.value);
    case 'hash':
      return HashValue.fromEntries(value.entries);
    case 'set':
      return SetValue.fromMembers(value.members);
    default:
      return materialize(value);
  }
}

export interface LoadResult {
  keys: number;
  expired: number;
  /** Aux fields found (redis-ver, ctime, aof-base, repl-stream-db...). */
  aux: Map<string, string>;
  /** The aux field repl-stream-db (the database the replication stream that follows writes to), -1 when absent. */
  streamDatabase: number;
  /** The code of each function library in the image (loaded by the scripting engine). */
  functions: string[];
}

export interface LoadOptions {
  /**
   * Keep keys already expired (a replica loading its master's payload: the master's DEL removes
   * them), rather than dropping them as a master does.
   */
  keepExpired?: boolean;
}

/**
 * Loads an RDB image (a file, an AOF base or a master's full-sync payload) into the databases
 * (which are expected empty). Keys already expired at `now` are dropped unless `keepExpired`.
 * Throws RdbFileError naming `name` on any defect.
 */
export function loadRdb(
  buffer: Buffer,
  name: string,
  databases: Database[],
  now: number,
  options: LoadOptions = {},
): LoadResult {
  const keepExpired = options.keepExpired === true;
  const fail = (message: string): never => {
    throw new RdbFileError(`Bad RDB file ${name}: ${message}`);
  };
  if (buffer.length < 9 || buffer.latin1Slice(0, 5) !== 'REDIS') fail('wrong signature (not an RDB file)');
  const versionText = buffer.latin1Slice(5, 9);
  const version = /^\d{4}$/.test(versionText) ? Number(versionText) : -1;
  if (version < 1 || version > RDB_MAX_READ_VERSION) fail(`can't handle RDB format version ${versionText}`);
  const hasChecksum = version >= 5;
  const end = buffer.length - (hasChecksum ? 8 : 0);
  // The checksum first: a corrupt or truncated file is refused before anything is loaded.
  if (hasChecksum) {
    if (end < 10) fail('truncated file');
    const stored = buffer.readBigUInt64LE(end);
    if (stored !== 0n) {
      const halves = crc64Halves(buffer, 0, 0, 0, end);
      const computed = (BigInt(halves[1] as number) << 32n) | BigInt(halves[0] as number);
      if (computed !== stored) fail('wrong RDB checksum (the file is corrupt or truncated)');
    }
  }
  const reader = new RdbReader(buffer, 9, Math.max(9, end));
  const result: LoadResult = { keys: 0, expired: 0, aux: new Map(), streamDatabase: -1, functions: [] };
  let database = databases[0] as Database;
  let expireAt = 0;
  try {
    for (;;) {
      const type = reader.readByte();
      if (type === OPCODE_EOF) break;
      switch (type) {
        case OPCODE_AUX:
          result.aux.set(reader.readString(), reader.readString());
          continue;
        case OPCODE_SELECTDB: {
          const index = reader.readLength();
          const selected = databases[index];
          if (selected === undefined)
            fail(`it was created with a server configured for more than ${databases.length} databases`);
          database = selected as Database;
          continue;
        }
        case OPCODE_RESIZEDB:
          reader.readLength();
          reader.readLength();
          continue;
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
        case OPCODE_FUNCTION2:
          result.functions.push(reader.readString());
          continue;
        case OPCODE_FUNCTION_PRE_GA:
        case OPCODE_MODULE_AUX:
          fail(`it holds ${type === OPCODE_MODULE_AUX ? 'module' : 'function'} data this server cannot load`);
      }
      const key = reader.readString();
      const decoded = readObject(reader, type);
      const keyExpireAt = expireAt;
      expireAt = 0;
      if (keyExpireAt !== 0 && keyExpireAt <= now && !keepExpired) {
        result.expired++;
        continue;
      }
      if (database.findRaw(key) !== undefined) fail(`duplicate key '${key}' in database ${database.index}`);
      const entry = database.add(key, storedValueOf(decoded), now);
      if (keyExpireAt !== 0) database.setExpire(key, entry, keyExpireAt);
      result.keys++;
    }
  } catch (error) {
    if (error instanceof RdbFileError) throw error;
    if (error instanceof RdbFormatError)
      fail(`${error.message} (at offset ${reader.position} of ${buffer.length})`);
    throw error;
  }
  if (reader.position !== end) fail(`unexpected data after EOF (offset ${reader.position})`);
  const streamDatabase = result.aux.get('repl-stream-db');
  if (streamDatabase !== undefined && /^\d+$/.test(streamDatabase))
    result.streamDatabase = Number(streamDatabase);
  return result;
}

/** Reads and loads a file; see loadRdb. */
export function loadRdbFile(path: string, databases: Database[], now: number): LoadResult {
  return loadRdb(readFileSync(path), path, databases, now);
}
