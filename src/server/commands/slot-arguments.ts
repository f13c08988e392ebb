// Argument rules shared by Codis's slot commands (spec/server-slots.md §4), as slots.c parses them.
import { MAX_SLOTS } from '../../slots/index.ts';
import { parseInt64 } from '../arguments.ts';
import type { Client } from '../client.ts';
import { NOT_INTEGER } from '../errors.ts';

export const INT32_MAX = 2147483647;
export const INT32_MIN = -2147483648;

/** slots.c's int argument: a strict 64-bit integer that must also fit 32 bits. */
export function parseIntArgument(client: Client, text: string): number | undefined {
  const value = parseInt64(text);
  if (value === undefined) {
    client.replyError(NOT_INTEGER);
    return undefined;
  }
  if (typeof value === 'bigint' || value > INT32_MAX || value < INT32_MIN) {
    client.replyError('ERR value is out of range');
    return undefined;
  }
  return value;
}

/** slots.c's slot argument: an int argument in 0..1023. */
export function parseSlotArgument(client: Client, text: string): number | undefined {
  const value = parseIntArgument(client, text);
  if (value === undefined) return undefined;
  if (value < 0 || value >= MAX_SLOTS) {
    client.replyError(`ERR invalid slot number = ${value}`);
    return undefined;
  }
  return value;
}
