// The bytes of pub/sub replies the proxy answers itself (a single redis-server 7's confirmations,
// PING in subscribe mode, the refusal of other commands), and the recognition of the pushes a
// subscribed backend connection relays.
import { parseCodisInteger } from '../request-decoder.ts';

export const KIND_CHANNEL = 0;
export const KIND_PATTERN = 1;
export const KIND_SHARD = 2;

/** By kind: the confirmation words of a subscribe and an unsubscribe. */
export const SUBSCRIBE_WORDS = ['subscribe', 'psubscribe', 'ssubscribe'] as const;
export const UNSUBSCRIBE_WORDS = ['unsubscribe', 'punsubscribe', 'sunsubscribe'] as const;

/**
 * `*3 <word> <name> :<count>` as a latin1 string, appended to a reply being built; a push
 * (`>3 ...`) for a RESP3 client.
 */
export function confirmation(word: string, name: string, count: number, resp3 = false): string {
  return `${resp3 ? '>' : '*'}3\r\n$${word.length}\r\n${word}\r\n$${name.length}\r\n${name}\r\n:${count}\r\n`;
}

/** The confirmation of an unsubscribe without arguments when nothing was subscribed. */
export function emptyConfirmation(word: string, count: number, resp3 = false): string {
  return resp3
    ? `>3\r\n$${word.length}\r\n${word}\r\n_\r\n:${count}\r\n`
    : `*3\r\n$${word.length}\r\n${word}\r\n$-1\r\n:${count}\r\n`;
}

/** PING in RESP2 subscribe mode: `*2 pong <argument or "">`. */
export function subscribedPong(argument: string): Buffer {
  return Buffer.from(`*2\r\n$4\r\npong\r\n$${argument.length}\r\n${argument}\r\n`, 'latin1');
}

/** redis-server 7's refusal of a command a RESP2 client sends in subscribe mode. */
export function subscribeModeError(name: string): string {
  return `ERR Can't execute '${name.toLowerCase()}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context`;
}

const MESSAGE = Buffer.from('*3\r\n$7\r\nmessage\r\n', 'latin1');
const PMESSAGE = Buffer.from('*4\r\n$8\r\npmessage\r\n', 'latin1');
const SMESSAGE = Buffer.from('*3\r\n$8\r\nsmessage\r\n', 'latin1');
const PONG = Buffer.from('*2\r\n$4\r\npong\r\n', 'latin1');
const PLAIN_PONG = Buffer.from('+PONG\r\n', 'latin1');

/** What a frame from a subscribed backend connection is. */
export const FRAME_OTHER = -1;
export const FRAME_PONG = 3;

function startsWith(raw: Buffer, prefix: Buffer): boolean {
  return raw.length > prefix.length && prefix.compare(raw, 0, prefix.length) === 0;
}

/**
 * The kind of a push frame (KIND_CHANNEL for `message`, KIND_PATTERN for `pmessage`, KIND_SHARD
 * for `smessage`), FRAME_PONG for the reply to PING in or out of subscribe mode, FRAME_OTHER for
 * anything else (the backend's own confirmations, errors).
 */
export function frameKind(raw: Buffer): number {
  if (raw[0] === 43) return raw.equals(PLAIN_PONG) ? FRAME_PONG : FRAME_OTHER;
  if (raw[0] !== 42) return FRAME_OTHER;
  if (raw[1] === 51) {
    if (startsWith(raw, MESSAGE)) return KIND_CHANNEL;
    if (startsWith(raw, SMESSAGE)) return KIND_SHARD;
  } else if (raw[1] === 52) {
    if (startsWith(raw, PMESSAGE)) return KIND_PATTERN;
  } else if (raw[1] === 50 && startsWith(raw, PONG)) return FRAME_PONG;
  return FRAME_OTHER;
}

/**
 * The channel (message, smessage) or pattern (pmessage) a push is for: the first bulk after the
 * frame's word, as a latin1 string; undefined when the frame is malformed.
 */
export function pushSubject(raw: Buffer, kind: number): string | undefined {
  const at =
    kind === KIND_CHANNEL ? MESSAGE.length : kind === KIND_PATTERN ? PMESSAGE.length : SMESSAGE.length;
  if (raw[at] !== 36) return undefined;
  const lineEnd = raw.indexOf(13, at);
  if (lineEnd < 0) return undefined;
  const length = parseCodisInteger(raw, at + 1, lineEnd);
  if (!(length >= 0) || lineEnd + 2 + length > raw.length) return undefined;
  return raw.latin1Slice(lineEnd + 2, lineEnd + 2 + length);
}
