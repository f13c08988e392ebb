// Bitmap commands: SETBIT, GETBIT, BITCOUNT, BITPOS, BITOP, BITFIELD, BITFIELD_RO (Redis 7.0's
// bitops.c). Bits are numbered from the most significant bit of byte 0. Values stay latin1 strings:
// a write rebuilds the string (O(length) per command), a known limit for very large bitmaps.

import { isKeyword, parseInt64, parseLongLong } from '../arguments.ts';
import type { Client } from '../client.ts';
import type { CommandDefinition } from '../command-registry.ts';
import { NOT_INTEGER, SYNTAX, WRONG_TYPE } from '../errors.ts';
import type { Entry } from '../keyspace/entry.ts';
import { STRING_RAW } from '../keyspace/entry.ts';
import { stringOf } from '../keyspace/value.ts';
import { keyChanged, lookupRead, lookupWrite, notify, readString } from './keyspace-access.ts';

const BIT_OFFSET_ERROR = 'ERR bit offset is not an integer or out of range';
const BIT_VALUE_ERROR = 'ERR bit is not an integer or out of range';
const BITFIELD_TYPE_ERROR =
  'ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.';

/** Set bits of every byte value. */
const POPCOUNT = new Uint8Array(256);
for (let i = 1; i < 256; i++) POPCOUNT[i] = (i & 1) + (POPCOUNT[i >> 1] as number);

/**
 * Redis's getBitOffsetFromArgument: a non-negative 64-bit integer (or `#n`, n × bits, for
 * BITFIELD) whose byte index is below proto-max-bulk-len. Undefined after replying the error.
 */
function parseBitOffset(client: Client, text: string, bits: number): number | undefined {
  const usesHash = bits > 0 && text.charCodeAt(0) === 35;
  const value = parseLongLong(usesHash ? text.slice(1) : text);
  if (value === undefined) {
    client.replyError(BIT_OFFSET_ERROR);
    return undefined;
  }
  const offset = usesHash ? value * bits : value;
  if (offset < 0 || Math.floor(offset / 8) >= client.server.config.getNumber('proto-max-bulk-len')) {
    client.replyError(BIT_OFFSET_ERROR);
    return undefined;
  }
  return offset;
}

/**
 * Redis's lookupStringForBitCommand: the key's string bytes grown with zero bytes to hold `maxBit`,
 * creating the key when missing. Undefined after a WRONGTYPE error.
 */
function bytesForBitWrite(
  client: Client,
  key: string,
  maxBit: number,
): { entry: Entry | undefined; bytes: string; grown: boolean } | undefined {
  const needed = Math.floor(maxBit / 8) + 1;
  const entry = lookupWrite(client, key);
  if (entry === undefined) return { entry, bytes: '\0'.repeat(needed), grown: true };
  const value = entry.value;
  if (typeof value === 'object') {
    client.replyError(WRONG_TYPE);
    return undefined;
  }
  const bytes = stringOf(value);
  if (bytes.length >= needed) return { entry, bytes, grown: false };
  return { entry, bytes: bytes + '\0'.repeat(needed - bytes.length), grown: true };
}

/** Stores the bytes of a bit command back (creating the key when it was missing). */
/** Bit commands write their strings in place: Redis's raw encoding, however short. */
function storeBitResult(client: Client, key: string, entry: Entry | undefined, bytes: string): void {
  if (entry === undefined) client.database.add(key, bytes, client.server.cachedNow).stringForm = STRING_RAW;
  else {
    entry.value = bytes;
    entry.stringForm = STRING_RAW;
  }
}

function setbit(client: Client, argv: string[]): void {
  const key = argv[1] as string;
  const offset = parseBitOffset(client, argv[2] as string, 0);
  if (offset === undefined) return;
  const on = parseInt64(argv[3] as string);
  if (on !== 0 && on !== 1) {
    client.replyError(BIT_VALUE_ERROR);
    return;
  }
  const target = bytesForBitWrite(client, key, offset);
  if (target === undefined) return;
  const byteIndex = Math.floor(offset / 8);
  const mask = 1 << (7 - (offset & 7));
  const byte = target.bytes.charCodeAt(byteIndex);
  const old = byte & mask ? 1 : 0;
  if (target.grown || old !== on) {
    const updated = on ? byte | mask : byte & ~mask;
    const bytes = target.bytes;
    storeBitResult(
      client,
      key,
      target.entry,
      bytes.slice(0, byteIndex) + String.fromCharCode(updated) + bytes.slice(byteIndex + 1),
    );
    keyChanged(client, key);
    notify(client, '$', 'setbit', key);
  } else if (target.entry !== undefined) {
    // Redis unshares the string before it looks at the bit: raw even when nothing changed.
    target.entry.stringForm = STRING_RAW;
  }
  client.out.integer(old);
}

function getbit(client: Client, argv: string[]): void {
  const offset = parseBitOffset(client, argv[2] as string, 0);
  if (offset === undefined) return;
  const bytes = readString(client, argv[1] as string);
  if (bytes === undefined) return;
  const byteIndex = Math.floor(offset / 8);
  if (bytes === null || byteIndex >= bytes.length) {
    client.out.integer(0);
    return;
  }
  client.out.integer(bytes.charCodeAt(byteIndex) & (1 << (7 - (offset & 7))) ? 1 : 0);
}

function popcount(bytes: string, start: number, end: number): number {
  let count = 0;
  for (let i = start; i <= end; i++) count += POPCOUNT[bytes.charCodeAt(i)] as number;
  return count;
}

/** The bit value at a position of a latin1 byte string. */
function bitAt(bytes: string, position: number): number {
  return (bytes.charCodeAt(position >> 3) >> (7 - (position & 7))) & 1;
}

/**
 * Resolves a [start, end] range argument pair of BITCOUNT/BITPOS into an inclusive bit range, as
 * Redis normalizes it (negative indexes from the end, clamped). Returns [startBit, endBit].
 */
function bitRange(start: number, end: number, length: number, isBit: boolean): [number, number] {
  const total = isBit ? length * 8 : length;
  let from = start < 0 ? total + start : start;
  let to = end < 0 ? total + end : end;
  if (from < 0) from = 0;
  if (to < 0) to = 0;
  if (to >= total) to = total - 1;
  if (isBit) return [from, to];
  return [from * 8, to * 8 + 7];
}

function parseUnit(client: Client, text: string): boolean | undefined {
  if (isKeyword(text, 'bit')) return true;
  if (isKeyword(text, 'byte')) return false;
  client.replyError(SYNTAX);
  return undefined;
}

function bitcount(client: Client, argv: string[]): void {
  // Redis 7.0 looks the key up before parsing the range: a missing key answers 0 whatever follows.
  const bytes = readString(client, argv[1] as string);
  if (bytes === undefined) return;
  if (bytes === null) {
    client.out.integer(0);
    return;
  }
  if (argv.length === 2) {
    client.out.integer(popcount(bytes, 0, bytes.length - 1));
    return;
  }
  if (argv.length !== 4 && argv.length !== 5) {
    client.replyError(SYNTAX);
    return;
  }
  const start = parseLongLong(argv[2] as string);
  const end = parseLongLong(argv[3] as string);
  if (start === undefined || end === undefined) {
    client.replyError(NOT_INTEGER);
    return;
  }
  let isBit = false;
  if (argv.length === 5) {
    const unit = parseUnit(client, argv[4] as string);
    if (unit === undefined) return;
    isBit = unit;
  }
  if (start < 0 && end < 0 && start > end) {
    client.out.integer(0);
    return;
  }
  const [from, to] = bitRange(start, end, bytes.length, isBit);
  if (from > to) {
    client.out.integer(0);
    return;
  }
  client.out.integer(countBits(bytes, from, to));
}

/** Set bits in the inclusive bit range [from, to]. */
function countBits(bytes: string, from: number, to: number): number {
  const firstByte = from >> 3;
  const lastByte = to >> 3;
  let count = popcount(bytes, firstByte, lastByte);
  const headMask = (0xff00 >> (from & 7)) & 0xff; // bits before `from` in its byte
  const tailMask = (1 << (7 - (to & 7))) - 1; // bits after `to` in its byte
  // The edge masks are disjoint even when both edges fall in one byte.
  count -= POPCOUNT[bytes.charCodeAt(firstByte) & headMask] as number;
  count -= POPCOUNT[bytes.charCodeAt(lastByte) & tailMask] as number;
  return count;
}

/** The first bit equal to `bit` in the inclusive range [from, to], or -1. */
function findBit(bytes: string, from: number, to: number, bit: number): number {
  let position = from;
  // Bit by bit up to a byte boundary, then whole bytes, then bit by bit again.
  while (position <= to && (position & 7) !== 0) {
    if (bitAt(bytes, position) === bit) return position;
    position++;
  }
  const skip = bit ? 0 : 0xff;
  while (position + 7 <= to && bytes.charCodeAt(position >> 3) === skip) position += 8;
  for (; position <= to; position++) if (bitAt(bytes, position) === bit) return position;
  return -1;
}

function bitpos(client: Client, argv: string[]): void {
  const bit = parseInt64(argv[2] as string);
  if (bit === undefined) {
    client.replyError(NOT_INTEGER);
    return;
  }
  if (bit !== 0 && bit !== 1) {
    client.replyError('ERR The bit argument must be 1 or 0.');
    return;
  }
  const bytes = readString(client, argv[1] as string);
  if (bytes === undefined) return;
  if (bytes === null) {
    client.out.integer(bit ? -1 : 0);
    return;
  }
  let from = 0;
  let to = bytes.length * 8 - 1;
  let endGiven = false;
  if (argv.length >= 4 && argv.length <= 6) {
    const start = parseLongLong(argv[3] as string);
    if (start === undefined) {
      client.replyError(NOT_INTEGER);
      return;
    }
    let isBit = false;
    if (argv.length === 6) {
      const unit = parseUnit(client, argv[5] as string);
      if (unit === undefined) return;
      isBit = unit;
    }
    let end = isBit ? bytes.length * 8 + 7 : bytes.length - 1;
    if (argv.length >= 5) {
      const parsed = parseLongLong(argv[4] as string);
      if (parsed === undefined) {
        client.replyError(NOT_INTEGER);
        return;
      }
      end = parsed;
      endGiven = true;
    }
    [from, to] = bitRange(start, end, bytes.length, isBit);
  } else if (argv.length !== 3) {
    client.replyError(SYNTAX);
    return;
  }
  if (from > to) {
    client.out.integer(-1);
    return;
  }
  const found = findBit(bytes, from, to, bit);
  if (found >= 0) client.out.integer(found);
  // No clear bit in range: without an explicit end the string is taken as zero-padded on the right.
  else if (bit === 0 && !endGiven) client.out.integer(to + 1);
  else client.out.integer(-1);
}

function bitop(client: Client, argv: string[]): void {
  const operation = (argv[1] as string).toLowerCase();
  if (operation !== 'and' && operation !== 'or' && operation !== 'xor' && operation !== 'not') {
    client.replyError(SYNTAX);
    return;
  }
  if (operation === 'not' && argv.length !== 4) {
    client.replyError('ERR BITOP NOT must be called with a single source key.');
    return;
  }
  const destination = argv[2] as string;
  const sources: string[] = [];
  let maxLength = 0;
  for (let i = 3; i < argv.length; i++) {
    const entry = lookupRead(client, argv[i] as string);
    if (entry === undefined) {
      sources.push('');
      continue;
    }
    if (typeof entry.value === 'object') {
      client.replyError(WRONG_TYPE);
      return;
    }
    const bytes = stringOf(entry.value);
    sources.push(bytes);
    if (bytes.length > maxLength) maxLength = bytes.length;
  }
  if (maxLength === 0) {
    if (client.database.delete(destination)) {
      keyChanged(client, destination);
      notify(client, 'g', 'del', destination);
    }
    client.out.integer(0);
    return;
  }
  const result = Buffer.alloc(maxLength);
  const first = sources[0] as string;
  result.latin1Write(first, 0);
  if (operation === 'not') {
    for (let i = 0; i < maxLength; i++) result[i] = ~(result[i] as number) & 0xff;
  } else {
    for (let s = 1; s < sources.length; s++) {
      const source = sources[s] as string;
      const length = source.length;
      for (let i = 0; i < maxLength; i++) {
        const byte = i < length ? source.charCodeAt(i) : 0;
        const current = result[i] as number;
        result[i] =
          operation === 'and' ? current & byte : operation === 'or' ? current | byte : current ^ byte;
      }
    }
  }
  client.database.set(destination, result.latin1Slice(0, maxLength), client.server.cachedNow).stringForm =
    STRING_RAW;
  keyChanged(client, destination);
  notify(client, '$', 'set', destination);
  client.out.integer(maxLength);
}

const OVERFLOW_WRAP = 0;
const OVERFLOW_SAT = 1;
const OVERFLOW_FAIL = 2;
const OP_GET = 0;
const OP_SET = 1;
const OP_INCRBY = 2;

interface BitfieldOperation {
  opcode: number;
  offset: number;
  bits: number;
  signed: boolean;
  value: bigint;
  overflow: number;
}

/** Reads `bits` bits (MSB first) at a bit offset, as an unsigned integer. */
function readBits(bytes: Buffer, offset: number, bits: number): bigint {
  let value = 0n;
  for (let i = 0; i < bits; i++) {
    const position = offset + i;
    const byte = bytes[position >> 3] ?? 0;
    value = (value << 1n) | BigInt((byte >> (7 - (position & 7))) & 1);
  }
  return value;
}

function writeBits(bytes: Buffer, offset: number, bits: number, value: bigint): void {
  for (let i = 0; i < bits; i++) {
    const position = offset + i;
    const bit = Number((value >> BigInt(bits - 1 - i)) & 1n);
    const index = position >> 3;
    const mask = 1 << (7 - (position & 7));
    const byte = bytes[index] as number;
    bytes[index] = bit ? byte | mask : byte & ~mask;
  }
}

/** Applies overflow handling: [new value, overflowed]. */
function applyOverflow(sum: bigint, bits: number, signed: boolean, mode: number): [bigint, boolean] {
  const big = BigInt(bits);
  const max = signed ? (1n << (big - 1n)) - 1n : (1n << big) - 1n;
  const min = signed ? -(1n << (big - 1n)) : 0n;
  if (sum >= min && sum <= max) return [sum, false];
  if (mode === OVERFLOW_SAT) return [sum > max ? max : min, true];
  return [signed ? BigInt.asIntN(bits, sum) : BigInt.asUintN(bits, sum), true];
}

function parseBitfieldType(client: Client, text: string): { signed: boolean; bits: number } | undefined {
  const kind = text.charCodeAt(0);
  const bits = parseInt64(text.slice(1));
  const signed = kind === 0x69; // 'i'
  if (
    (kind !== 0x69 && kind !== 0x75) ||
    typeof bits !== 'number' ||
    bits < 1 ||
    (signed && bits > 64) ||
    (!signed && bits > 63)
  ) {
    client.replyError(BITFIELD_TYPE_ERROR);
    return undefined;
  }
  return { signed, bits };
}

function bitfieldGeneric(client: Client, argv: string[], readOnlyCommand: boolean): void {
  const key = argv[1] as string;
  const operations: BitfieldOperation[] = [];
  let overflow = OVERFLOW_WRAP;
  let readOnly = true;
  let highestWrite = 0;
  for (let j = 2; j < argv.length; j++) {
    const remaining = argv.length - j - 1;
    const sub = (argv[j] as string).toLowerCase();
    let opcode: number;
    if (sub === 'get' && remaining >= 2) opcode = OP_GET;
    else if (sub === 'set' && remaining >= 3) opcode = OP_SET;
    else if (sub === 'incrby' && remaining >= 3) opcode = OP_INCRBY;
    else if (sub === 'overflow' && remaining >= 1) {
      const mode = (argv[++j] as string).toLowerCase();
      if (mode === 'wrap') overflow = OVERFLOW_WRAP;
      else if (mode === 'sat') overflow = OVERFLOW_SAT;
      else if (mode === 'fail') overflow = OVERFLOW_FAIL;
      else {
        client.replyError('ERR Invalid OVERFLOW type specified');
        return;
      }
      continue;
    } else {
      client.replyError(SYNTAX);
      return;
    }
    const type = parseBitfieldType(client, argv[j + 1] as string);
    if (type === undefined) return;
    const offset = parseBitOffset(client, argv[j + 2] as string, type.bits);
    if (offset === undefined) return;
    let value = 0n;
    if (opcode !== OP_GET) {
      readOnly = false;
      if (highestWrite < offset + type.bits - 1) highestWrite = offset + type.bits - 1;
      const parsed = parseInt64(argv[j + 3] as string);
      if (parsed === undefined) {
        client.replyError(NOT_INTEGER);
        return;
      }
      value = BigInt(parsed);
    }
    operations.push({ opcode, offset, bits: type.bits, signed: type.signed, value, overflow });
    j += opcode === OP_GET ? 2 : 3;
  }

  if (readOnly) {
    const bytes = readString(client, key);
    if (bytes === undefined) return;
    const buffer = Buffer.from(bytes ?? '', 'latin1');
    client.out.arrayHeader(operations.length);
    for (const op of operations) client.out.integer(getField(buffer, op));
    return;
  }
  if (readOnlyCommand) {
    client.replyError('ERR BITFIELD_RO only supports the GET subcommand');
    return;
  }
  const target = bytesForBitWrite(client, key, highestWrite);
  if (target === undefined) return;
  const buffer = Buffer.from(target.bytes, 'latin1');
  let changes = 0;
  client.out.arrayHeader(operations.length);
  for (const op of operations) {
    if (op.opcode === OP_GET) {
      client.out.integer(getField(buffer, op));
      continue;
    }
    const old = getField(buffer, op);
    const operand =
      op.opcode === OP_INCRBY ? old + op.value : op.signed ? op.value : BigInt.asUintN(64, op.value);
    const [updated, overflowed] = applyOverflow(operand, op.bits, op.signed, op.overflow);
    if (overflowed && op.overflow === OVERFLOW_FAIL) {
      client.out.nullBulk();
      continue;
    }
    client.out.integer(op.opcode === OP_INCRBY ? updated : old);
    writeBits(buffer, op.offset, op.bits, updated);
    if (target.grown || old !== updated) changes++;
  }
  // The key exists from here on, even when every write failed (Redis creates it first).
  storeBitResult(
    client,
    key,
    target.entry,
    changes > 0 || target.grown ? buffer.latin1Slice() : target.bytes,
  );
  if (changes > 0) {
    keyChanged(client, key, changes);
    notify(client, '$', 'setbit', key);
  }
}

function getField(bytes: Buffer, op: BitfieldOperation): bigint {
  const raw = readBits(bytes, op.offset, op.bits);
  return op.signed ? BigInt.asIntN(op.bits, raw) : raw;
}

export const bitmapCommands: CommandDefinition[] = [
  { name: 'setbit', handler: setbit },
  { name: 'getbit', handler: getbit },
  { name: 'bitcount', handler: bitcount },
  { name: 'bitpos', handler: bitpos },
  { name: 'bitop', handler: bitop },
  { name: 'bitfield', handler: (client, argv) => bitfieldGeneric(client, argv, false) },
  { name: 'bitfield_ro', handler: (client, argv) => bitfieldGeneric(client, argv, true) },
];
