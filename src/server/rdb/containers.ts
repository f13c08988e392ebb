// The compact blobs Redis stores inside RDB strings: ziplist (Redis <= 6.2), listpack (7.0+),
// intset and zipmap (Redis < 2.6). Decoders walk the blob with bounds checks and return the
// elements as latin1 strings; encoders build the ziplists and intsets that Redis 3.2 reads.
import { encodeString } from '../keyspace/value.ts';
import { backlenBytes as backlenSize } from '../types/listpack-size.ts';
import { RdbFormatError } from './errors.ts';

function corrupt(what: string): never {
  throw new RdbFormatError(`corrupt ${what}`);
}

function view(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
}

const ZIPLIST_HEADER_SIZE = 10;
const ZIP_END = 0xff;

/** The elements of a ziplist, integers printed in decimal. */
export function ziplistItems(bytes: Uint8Array): string[] {
  const zl = view(bytes);
  const size = zl.length;
  if (size < ZIPLIST_HEADER_SIZE + 1 || zl.readUInt32LE(0) !== size) corrupt('ziplist header');
  if (zl[size - 1] !== ZIP_END) corrupt('ziplist end');
  const items: string[] = [];
  let p = ZIPLIST_HEADER_SIZE;
  const last = size - 1;
  while (p < last) {
    // prevlen: one byte, or 0xFE and four bytes.
    if (zl[p] === 0xfe) p += 5;
    else p += 1;
    if (p >= last) corrupt('ziplist entry');
    const encoding = zl[p] as number;
    const kind = encoding >>> 6;
    if (kind < 3) {
      let length: number;
      if (kind === 0) {
        length = encoding & 0x3f;
        p += 1;
      } else if (kind === 1) {
        if (p + 2 > last) corrupt('ziplist entry');
        length = ((encoding & 0x3f) << 8) | (zl[p + 1] as number);
        p += 2;
      } else {
        if (encoding !== 0x80 || p + 5 > last) corrupt('ziplist entry');
        length = zl.readUInt32BE(p + 1);
        p += 5;
      }
      if (p + length > last) corrupt('ziplist entry');
      items.push(zl.latin1Slice(p, p + length));
      p += length;
      continue;
    }
    p += 1;
    let value: number | bigint;
    if (encoding === 0xc0) {
      if (p + 2 > last) corrupt('ziplist entry');
      value = zl.readInt16LE(p);
      p += 2;
    } else if (encoding === 0xd0) {
      if (p + 4 > last) corrupt('ziplist entry');
      value = zl.readInt32LE(p);
      p += 4;
    } else if (encoding === 0xe0) {
      if (p + 8 > last) corrupt('ziplist entry');
      value = zl.readBigInt64LE(p);
      p += 8;
    } else if (encoding === 0xf0) {
      if (p + 3 > last) corrupt('ziplist entry');
      value = zl.readIntLE(p, 3);
      p += 3;
    } else if (encoding === 0xfe) {
      if (p + 1 > last) corrupt('ziplist entry');
      value = zl.readInt8(p);
      p += 1;
    } else if (encoding >= 0xf1 && encoding <= 0xfd) {
      value = (encoding & 0x0f) - 1;
    } else {
      corrupt('ziplist encoding');
    }
    items.push(String(value));
  }
  if (p !== last) corrupt('ziplist entry');
  return items;
}

const LISTPACK_HEADER_SIZE = 6;

/** The elements of a listpack, integers printed in decimal. */
export function listpackItems(bytes: Uint8Array): string[] {
  const lp = view(bytes);
  const size = lp.length;
  if (size < LISTPACK_HEADER_SIZE + 1 || lp.readUInt32LE(0) !== size) corrupt('listpack header');
  if (lp[size - 1] !== ZIP_END) corrupt('listpack end');
  const items: string[] = [];
  let p = LISTPACK_HEADER_SIZE;
  const last = size - 1;
  while (p < last) {
    const start = p;
    const b = lp[p] as number;
    if (b < 0x80) {
      items.push(String(b));
      p += 1;
    } else if (b >>> 6 === 2) {
      const length = b & 0x3f;
      p += 1;
      if (p + length > last) corrupt('listpack entry');
      items.push(lp.latin1Slice(p, p + length));
      p += length;
    } else if (b >>> 5 === 6) {
      if (p + 2 > last) corrupt('listpack entry');
      const raw = ((b & 0x1f) << 8) | (lp[p + 1] as number);
      items.push(String(raw >= 1 << 12 ? raw - (1 << 13) : raw));
      p += 2;
    } else if (b >>> 4 === 14) {
      if (p + 2 > last) corrupt('listpack entry');
      const length = ((b & 0x0f) << 8) | (lp[p + 1] as number);
      p += 2;
      if (p + length > last) corrupt('listpack entry');
      items.push(lp.latin1Slice(p, p + length));
      p += length;
    } else if (b === 0xf0) {
      if (p + 5 > last) corrupt('listpack entry');
      const length = lp.readUInt32LE(p + 1);
      p += 5;
      if (length > last - p) corrupt('listpack entry');
      items.push(lp.latin1Slice(p, p + length));
      p += length;
    } else if (b === 0xf1) {
      if (p + 3 > last) corrupt('listpack entry');
      items.push(String(lp.readInt16LE(p + 1)));
      p += 3;
    } else if (b === 0xf2) {
      if (p + 4 > last) corrupt('listpack entry');
      items.push(String(lp.readIntLE(p + 1, 3)));
      p += 4;
    } else if (b === 0xf3) {
      if (p + 5 > last) corrupt('listpack entry');
      items.push(String(lp.readInt32LE(p + 1)));
      p += 5;
    } else if (b === 0xf4) {
      if (p + 9 > last) corrupt('listpack entry');
      items.push(String(lp.readBigInt64LE(p + 1)));
      p += 9;
    } else {
      corrupt('listpack encoding');
    }
    // Skip the back-length: the size of encoding + data in 7-bit groups.
    p += backlenSize(p - start);
    if (p > last) corrupt('listpack entry');
  }
  return items;
}

/** The members of an intset, ascending, as decimal strings. */
export function intsetMembers(bytes: Uint8Array): string[] {
  const is = view(bytes);
  if (is.length < 8) corrupt('intset header');
  const width = is.readUInt32LE(0);
  const count = is.readUInt32LE(4);
  if ((width !== 2 && width !== 4 && width !== 8) || is.length !== 8 + width * count) corrupt('intset');
  const members = new Array<string>(count);
  for (let i = 0, p = 8; i < count; i++, p += width) {
    members[i] = String(
      width === 2 ? is.readInt16LE(p) : width === 4 ? is.readInt32LE(p) : is.readBigInt64LE(p),
    );
  }
  return members;
}

/** The field/value pairs of a zipmap (hashes saved by Redis < 2.6). */
export function zipmapEntries(bytes: Uint8Array): Array<[string, string]> {
  const zm = view(bytes);
  const size = zm.length;
  const entries: Array<[string, string]> = [];
  let p = 1;
  const readLength = (): number => {
    if (p >= size) corrupt('zipmap');
    const first = zm[p] as number;
    if (first < 254) {
      p += 1;
      return first;
    }
    if (first === 254 && p + 5 <= size) {
      const length = zm.readUInt32LE(p + 1);
      p += 5;
      return length;
    }
    return corrupt('zipmap');
  };
  for (;;) {
    if (p >= size) corrupt('zipmap');
    if (zm[p] === ZIP_END) break;
    const fieldLength = readLength();
    if (fieldLength > size - p) corrupt('zipmap');
    const field = zm.latin1Slice(p, p + fieldLength);
    p += fieldLength;
    const valueLength = readLength();
    if (p >= size) corrupt('zipmap');
    const free = zm[p] as number;
    p += 1;
    if (valueLength + free > size - p) corrupt('zipmap');
    entries.push([field, zm.latin1Slice(p, p + valueLength)]);
    p += valueLength + free;
  }
  return entries;
}

/** The bytes of one ziplist entry after its prevlen (encoding and data). */
function ziplistEntrySize(item: string): number {
  const number = item.length <= 32 ? encodeString(item) : item;
  if (typeof number === 'number') {
    if (number >= 0 && number <= 12) return 1;
    if (number >= -128 && number <= 127) return 2;
    if (number >= -32768 && number <= 32767) return 3;
    if (number >= -8388608 && number <= 8388607) return 4;
    if (number >= -2147483648 && number <= 2147483647) return 5;
    return 9;
  }
  const length = item.length;
  return length + (length <= 0x3f ? 1 : length <= 0x3fff ? 2 : 5);
}

/** An upper bound of the bytes one item takes in a ziplist (entry and a 5-byte prevlen). */
export function ziplistEntryBytes(item: string): number {
  return ziplistEntrySize(item) + 5;
}

/** The bytes a ziplist of these items takes. */
export function ziplistSize(items: readonly string[]): number {
  let size = ZIPLIST_HEADER_SIZE + 1;
  let previous = 0;
  for (const item of items) {
    const entry = ziplistEntrySize(item);
    size += (previous < 254 ? 1 : 5) + entry;
    previous = (previous < 254 ? 1 : 5) + entry;
  }
  return size;
}

/** A ziplist as Redis 3.2 builds it (integers in their smallest encoding). */
export function ziplistEncode(items: readonly string[]): Buffer {
  const zl = Buffer.allocUnsafe(ziplistSize(items));
  let p = ZIPLIST_HEADER_SIZE;
  let previous = 0;
  let tail = ZIPLIST_HEADER_SIZE;
  for (const item of items) {
    tail = p;
    if (previous < 254) zl[p++] = previous;
    else {
      zl[p++] = 0xfe;
      zl.writeUInt32LE(previous, p);
      p += 4;
    }
    const entryStart = p;
    const number = item.length <= 32 ? encodeString(item) : item;
    if (typeof number === 'number') {
      if (number >= 0 && number <= 12) zl[p++] = 0xf1 + number;
      else if (number >= -128 && number <= 127) {
        zl[p++] = 0xfe;
        p = zl.writeInt8(number, p);
      } else if (number >= -32768 && number <= 32767) {
        zl[p++] = 0xc0;
        p = zl.writeInt16LE(number, p);
      } else if (number >= -8388608 && number <= 8388607) {
        zl[p++] = 0xf0;
        p = zl.writeIntLE(number, p, 3);
      } else if (number >= -2147483648 && number <= 2147483647) {
        zl[p++] = 0xd0;
        p = zl.writeInt32LE(number, p);
      } else {
        zl[p++] = 0xe0;
        p = zl.writeBigInt64LE(BigInt(number), p);
      }
    } else {
      const length = item.length;
      if (length <= 0x3f) zl[p++] = length;
      else if (length <= 0x3fff) {
        zl[p++] = 0x40 | (length >>> 8);
        zl[p++] = length & 0xff;
      } else {
        zl[p++] = 0x80;
        p = zl.writeUInt32BE(length, p);
      }
      p += zl.latin1Write(item, p);
    }
    previous = p - entryStart + (previous < 254 ? 1 : 5);
  }
  zl[p++] = ZIP_END;
  zl.writeUInt32LE(p, 0);
  zl.writeUInt32LE(tail, 4);
  zl.writeUInt16LE(Math.min(items.length, 0xffff), 8);
  return zl;
}

/** An intset of integer members (decimal strings), sorted, in the narrowest width. */
export function intsetEncode(members: Iterable<string>): Buffer {
  const values: bigint[] = [];
  for (const member of members) values.push(BigInt(member));
  values.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  let width = 2;
  for (const value of values) {
    if (value < -2147483648n || value > 2147483647n) width = 8;
    else if ((value < -32768n || value > 32767n) && width < 4) width = 4;
  }
  const is = Buffer.allocUnsafe(8 + width * values.length);
  is.writeUInt32LE(width, 0);
  is.writeUInt32LE(values.length, 4);
  let p = 8;
  for (const value of values) {
    if (width === 2) p = is.writeInt16LE(Number(value), p);
    else if (width === 4) p = is.writeInt32LE(Number(value), p);
    else p = is.writeBigInt64LE(value, p);
  }
  return is;
}
