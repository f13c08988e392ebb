// HSCAN/SSCAN option parsing and reply shape, as Redis's scanGenericCommand: the cursor is parsed
// before the key is looked up, options (COUNT, MATCH) after, and the reply is always a two-element
// array of the next cursor and a flat array of items.
import { isKeyword, parseCursor, parseLongLong } from '../arguments.ts';
import type { Client } from '../client.ts';
import { NOT_INTEGER, SYNTAX } from '../errors.ts';
import { globMatch } from '../glob.ts';

export interface ScanOptions {
  count: number;
  /** undefined when every element matches (no MATCH, or MATCH *). */
  pattern: string | undefined;
}

/** The cursor argument, or undefined after replying the error. */
export function parseScanCursor(client: Client, text: string): bigint | undefined {
  const cursor = parseCursor(text);
  if (cursor === undefined) client.replyError('ERR invalid cursor');
  return cursor;
}

/** COUNT and MATCH from argv[from...], or undefined after replying the error. */
export function parseScanOptions(client: Client, argv: string[], from: number): ScanOptions | undefined {
  let count = 10;
  let pattern: string | undefined;
  for (let i = from; i < argv.length; i += 2) {
    const option = argv[i] as string;
    const value = argv[i + 1];
    if (value !== undefined && isKeyword(option, 'count')) {
      const parsed = parseLongLong(value);
      if (parsed === undefined) {
        client.replyError(NOT_INTEGER);
        return undefined;
      }
      if (parsed < 1) {
        client.replyError(SYNTAX);
        return undefined;
      }
      count = parsed;
    } else if (value !== undefined && isKeyword(option, 'match')) {
      pattern = value === '*' ? undefined : value;
    } else {
      client.replyError(SYNTAX);
      return undefined;
    }
  }
  return { count, pattern };
}

/** The reply of a scan of a missing key. */
export function replyEmptyScan(client: Client): void {
  client.out.raw('*2\r\n$1\r\n0\r\n*0\r\n');
}

/**
 * Replies a scan step: `items` holds the elements found (pairs for hashes, where only the first of
 * each `stride` items is matched against the pattern).
 */
export function replyScan(
  client: Client,
  cursor: bigint,
  items: string[],
  stride: number,
  pattern: string | undefined,
): void {
  const out = client.out;
  out.arrayHeader(2);
  out.bulk(cursor.toString());
  if (pattern === undefined) {
    out.arrayHeader(items.length);
    for (const item of items) out.bulk(item);
    return;
  }
  let kept = 0;
  for (let i = 0; i < items.length; i += stride) {
    if (globMatch(pattern, items[i] as string)) {
      for (let j = 0; j < stride; j++) items[kept++] = items[i + j] as string;
    }
  }
  out.arrayHeader(kept);
  for (let i = 0; i < kept; i++) out.bulk(items[i] as string);
}
