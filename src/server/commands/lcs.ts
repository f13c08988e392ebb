// LCS key1 key2 [LEN] [IDX] [MINMATCHLEN n] [WITHMATCHLEN] (Redis 7.0's t_string.c): the longest
// common subsequence by the classic dynamic-programming table, with Redis's exact walk-back, so
// the match ranges come out in the same order and shape.
import { isKeyword, parseLongLong } from '../arguments.ts';
import type { Client } from '../client.ts';
import type { CommandDefinition } from '../command-registry.ts';
import { NOT_INTEGER, SYNTAX } from '../errors.ts';
import { stringOf } from '../keyspace/value.ts';
import { lookupRead } from './keyspace-access.ts';

/** Above this many table cells we refuse, as Redis does when its allocation fails. */
const MAX_TABLE_CELLS = 256 * 1024 * 1024;

function lcs(client: Client, argv: string[]): void {
  const first = lookupRead(client, argv[1] as string);
  const second = lookupRead(client, argv[2] as string);
  if (
    (first !== undefined && typeof first.value === 'object') ||
    (second !== undefined && typeof second.value === 'object')
  ) {
    client.replyError('ERR The specified keys must contain string values');
    return;
  }
  const a = first === undefined ? '' : stringOf(first.value as string | number);
  const b = second === undefined ? '' : stringOf(second.value as string | number);
  let getLength = false;
  let getIndexes = false;
  let withMatchLength = false;
  let minMatchLength = 0;
  for (let j = 3; j < argv.length; j++) {
    const option = argv[j] as string;
    const more = argv.length - 1 - j;
    if (isKeyword(option, 'idx')) getIndexes = true;
    else if (isKeyword(option, 'len')) getLength = true;
    else if (isKeyword(option, 'withmatchlen')) withMatchLength = true;
    else if (isKeyword(option, 'minmatchlen') && more > 0) {
      const parsed = parseLongLong(argv[j + 1] as string);
      if (parsed === undefined) {
        client.replyError(NOT_INTEGER);
        return;
      }
      minMatchLength = Math.max(parsed, 0);
      j++;
    } else {
      client.replyError(SYNTAX);
      return;
    }
  }
  if (getIndexes && getLength) {
    client.replyError('ERR If you want both the length and indexes, please just use IDX.');
    return;
  }
  const aLength = a.length;
  const bLength = b.length;
  const width = bLength + 1;
  if ((aLength + 1) * width > MAX_TABLE_CELLS) {
    client.replyError('ERR Insufficient memory, failed allocating transient memory for LCS');
    return;
  }
  // table[j + i * width] = LCS length of a[0..i) and b[0..j).
  const table = new Uint32Array((aLength + 1) * width);
  for (let i = 1; i <= aLength; i++) {
    const charA = a.charCodeAt(i - 1);
    const row = i * width;
    const previousRow = row - width;
    for (let j = 1; j <= bLength; j++) {
      if (charA === b.charCodeAt(j - 1)) table[row + j] = (table[previousRow + j - 1] as number) + 1;
      else {
        table[row + j] = Math.max(table[previousRow + j] as number, table[row + j - 1] as number);
      }
    }
  }
  const total = table[aLength * width + bLength] as number;
  const out = client.out;
  if (getLength) {
    out.integer(total);
    return;
  }

  // Walk back from the end: the LCS text, and the ranges of contiguous matches.
  const result: number[] = new Array<number>(total);
  const ranges: number[][] = [];
  let index = total;
  let aStart = aLength; // aLength = no range open
  let aEnd = 0;
  let bStart = 0;
  let bEnd = 0;
  let i = aLength;
  let j = bLength;
  while (i > 0 && j > 0) {
    let emit = false;
    if (a.charCodeAt(i - 1) === b.charCodeAt(j - 1)) {
      result[index - 1] = a.charCodeAt(i - 1);
      if (aStart === aLength) {
        aStart = i - 1;
        aEnd = i - 1;
        bStart = j - 1;
        bEnd = j - 1;
      } else if (aStart === i && bStart === j) {
        aStart--;
        bStart--;
      } else emit = true;
      if (aStart === 0 || bStart === 0) emit = true;
      index--;
      i--;
      j--;
    } else {
      const up = table[(i - 1) * width + j] as number;
      const left = table[i * width + j - 1] as number;
      if (up > left) i--;
      else j--;
      if (aStart !== aLength) emit = true;
    }
    if (emit) {
      const matchLength = aEnd - aStart + 1;
      if (getIndexes && (minMatchLength === 0 || matchLength >= minMatchLength))
        ranges.push([aStart, aEnd, bStart, bEnd, matchLength]);
      aStart = aLength;
    }
  }

  if (getIndexes) {
    out.mapHeader(2);
    out.bulk('matches');
    out.arrayHeader(ranges.length);
    for (const range of ranges) {
      out.arrayHeader(withMatchLength ? 3 : 2);
      out.arrayHeader(2);
      out.integer(range[0] as number);
      out.integer(range[1] as number);
      out.arrayHeader(2);
      out.integer(range[2] as number);
      out.integer(range[3] as number);
      if (withMatchLength) out.integer(range[4] as number);
    }
    out.bulk('len');
    out.integer(total);
    return;
  }
  out.bulk(Buffer.from(result).latin1Slice());
}

export const lcsCommands: CommandDefinition[] = [{ name: 'lcs', handler: lcs }];
