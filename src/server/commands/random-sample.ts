// Helpers for the commands that return random elements (HRANDFIELD, SRANDMEMBER, SPOP).
import { parseInt64 } from '../arguments.ts';
import type { Client } from '../client.ts';
import { NOT_INTEGER } from '../errors.ts';

const INT64_MIN = -9223372036854775808n;

/**
 * The count of HRANDFIELD/SRANDMEMBER: any long but LONG_MIN (its negation would overflow). Returns
 * undefined after replying the error.
 */
export function parseRandomCount(client: Client, text: string): number | undefined {
  const value = parseInt64(text);
  if (value === undefined) {
    client.replyError(NOT_INTEGER);
    return undefined;
  }
  if (value === INT64_MIN) {
    client.replyError(
      'ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807',
    );
    return undefined;
  }
  return Number(value);
}

/**
 * `count` distinct indexes in 0..size-1 (count < size), in random order. A partial Fisher-Yates
 * shuffle when the sample is a large part of the collection, rejection sampling when it is small
 * (so a few picks from a huge collection cost O(count), as in Redis).
 */
export function sampleDistinctIndices(size: number, count: number): number[] {
  const picked: number[] = [];
  if (count * 3 > size) {
    const indexes = new Array<number>(size);
    for (let i = 0; i < size; i++) indexes[i] = i;
    for (let i = 0; i < count; i++) {
      const j = i + Math.floor(Math.random() * (size - i));
      const chosen = indexes[j] as number;
      indexes[j] = indexes[i] as number;
      indexes[i] = chosen;
      picked.push(chosen);
    }
    return picked;
  }
  const seen = new Set<number>();
  while (picked.length < count) {
    const index = Math.floor(Math.random() * size);
    if (seen.has(index)) continue;
    seen.add(index);
    picked.push(index);
  }
  return picked;
}
