// DUMP payloads: <type byte> <object body> <RDB version, 2 bytes LE> <CRC-64 of all before, 8 bytes LE>.
// We write version 7 so Codis 3.2's codis-server (Redis 3.2) accepts our payloads, except for
// streams (Redis 7.0's type 19, version 10), and read up to version 10, Redis 7.0's.
import type { StoredValue } from '../keyspace/value.ts';
import { RDB_READ_VERSION, RDB_STREAM_WRITE_VERSION, RDB_WRITE_VERSION } from './constants.ts';
import { crc64Halves } from './crc64.ts';
import { RdbFormatError } from './errors.ts';
import { objectSizeHint, type RdbValue, readObject, writeObject } from './object.ts';
import { RdbReader } from './reader.ts';
import { RdbWriter } from './writer.ts';

const FOOTER_SIZE = 10;

/** Serializes a value as DUMP does. */
export function createDumpPayload(value: StoredValue, compress = true): Buffer {
  const hint = objectSizeHint(value);
  const writer = hint > 0 ? new RdbWriter(compress, hint + FOOTER_SIZE) : new RdbWriter(compress);
  writeObject(writer, value);
  const version =
    typeof value === 'object' && value.type === 'stream' ? RDB_STREAM_WRITE_VERSION : RDB_WRITE_VERSION;
  return sealPayload(writer, version);
}

/** Appends the footer (RDB version, CRC-64 of everything before) to a payload body; the payload. */
export function sealPayload(writer: RdbWriter, version: number): Buffer {
  writer.ensure(FOOTER_SIZE);
  writer.buffer.writeUInt16LE(version, writer.length);
  writer.length += 2;
  const crc = crc64Halves(writer.buffer, 0, 0, 0, writer.length);
  writer.buffer.writeUInt32LE(crc[0] as number, writer.length);
  writer.buffer.writeUInt32LE(crc[1] as number, writer.length + 4);
  writer.length += 8;
  return writer.view();
}

/** The footer's RDB version (payloads of at least 10 bytes). */
export function payloadVersion(payload: Uint8Array): number {
  const at = payload.length - FOOTER_SIZE;
  return (payload[at] as number) | ((payload[at + 1] as number) << 8);
}

/**
 * Redis's verifyDumpPayload: at least 10 bytes, a version we read, and a matching CRC-64.
 * `maxVersion` lets a caller be stricter (Codis 3.2 refuses versions above 7).
 */
export function verifyDumpPayload(payload: Uint8Array, maxVersion = RDB_READ_VERSION): boolean {
  const length = payload.length;
  if (length < FOOTER_SIZE) return false;
  if (payloadVersion(payload) > maxVersion) return false;
  const crc = crc64Halves(payload, 0, 0, 0, length - 8);
  const at = length - 8;
  const lo =
    (payload[at] as number) |
    ((payload[at + 1] as number) << 8) |
    ((payload[at + 2] as number) << 16) |
    ((payload[at + 3] as number) << 24);
  const hi =
    (payload[at + 4] as number) |
    ((payload[at + 5] as number) << 8) |
    ((payload[at + 6] as number) << 16) |
    ((payload[at + 7] as number) << 24);
  return crc[0] === lo >>> 0 && crc[1] === hi >>> 0;
}

/**
 * Decodes a verified payload's value. Like Redis, the body is read from the whole payload, so a
 * body that overruns into the footer is read from it and trailing bytes are ignored. Throws
 * RdbFormatError when the body cannot be decoded.
 */
export function decodeDumpPayload(payload: Buffer): RdbValue {
  const reader = new RdbReader(payload);
  const type = reader.readByte();
  return readObject(reader, type);
}

export { RdbFormatError };
