// Keyspace notifications (`notify-keyspace-events`): the class letters, their parsing and printing
// as Redis 7.0 does, and the notifier that publishes `__keyspace@<db>__:<key>` and
// `__keyevent@<db>__:<event>` messages through pub/sub.

const KEYSPACE = 1 << 0; // K
const KEYEVENT = 1 << 1; // E
const GENERIC = 1 << 2; // g
const STRING = 1 << 3; // $
const LIST = 1 << 4; // l
const SET = 1 << 5; // s
const HASH = 1 << 6; // h
const ZSET = 1 << 7; // z
const EXPIRED = 1 << 8; // x
const EVICTED = 1 << 9; // e
const STREAM = 1 << 10; // t
const KEY_MISS = 1 << 11; // m
const MODULE = 1 << 12; // d
const NEW = 1 << 13; // n
/** `A`: every class but key-miss and new-key events. */
const ALL = GENERIC | STRING | LIST | SET | HASH | ZSET | EXPIRED | EVICTED | STREAM | MODULE;

const CLASS_BITS: Record<string, number> = {
  A: ALL,
  g: GENERIC,
  $: STRING,
  l: LIST,
  s: SET,
  h: HASH,
  z: ZSET,
  x: EXPIRED,
  e: EVICTED,
  K: KEYSPACE,
  E: KEYEVENT,
  t: STREAM,
  m: KEY_MISS,
  d: MODULE,
  n: NEW,
};

/** Redis's keyspaceEventsStringToFlags: the bits, or -1 on an unknown letter. */
export function parseKeyspaceEvents(text: string): number {
  let flags = 0;
  for (const letter of text) {
    const bit = CLASS_BITS[letter];
    if (bit === undefined) return -1;
    flags |= bit;
  }
  return flags;
}

/** Redis 7.0's keyspaceEventsFlagsToString (with its quirk: `n` is not printed next to `A`). */
export function formatKeyspaceEvents(flags: number): string {
  let text = '';
  if ((flags & ALL) === ALL) text = 'A';
  else {
    const order: Array<[string, number]> = [
      ['g', GENERIC],
      ['$', STRING],
      ['l', LIST],
      ['s', SET],
      ['h', HASH],
      ['z', ZSET],
      ['x', EXPIRED],
      ['e', EVICTED],
      ['t', STREAM],
      ['d', MODULE],
      ['n', NEW],
    ];
    for (const [letter, bit] of order) if (flags & bit) text += letter;
  }
  if (flags & KEYSPACE) text += 'K';
  if (flags & KEYEVENT) text += 'E';
  if (flags & KEY_MISS) text += 'm';
  return text;
}

/** CONFIG SET's check and normalization; throws the message Redis gives. */
export function normalizeKeyspaceEvents(raw: string): string {
  const flags = parseKeyspaceEvents(raw);
  if (flags < 0) throw new Error("Invalid event class character. Use 'Ag$lshzxeKEtmdn'.");
  return formatKeyspaceEvents(flags);
}

export type KeyspaceNotifier = (type: string, event: string, key: string, databaseIndex: number) => void;

/**
 * A notifier for the configured classes, or undefined when nothing would ever be published
 * (so command handlers skip the call entirely).
 */
export function createKeyspaceNotifier(
  configured: string,
  publish: (channel: string, message: string) => void,
): KeyspaceNotifier | undefined {
  const flags = parseKeyspaceEvents(configured);
  if (flags <= 0 || (flags & (KEYSPACE | KEYEVENT)) === 0) return undefined;
  const keyspace = (flags & KEYSPACE) !== 0;
  const keyevent = (flags & KEYEVENT) !== 0;
  return (type, event, key, databaseIndex) => {
    const bit = CLASS_BITS[type];
    if (bit === undefined || (flags & bit) === 0) return;
    if (keyspace) publish(`__keyspace@${databaseIndex}__:${key}`, event);
    if (keyevent) publish(`__keyevent@${databaseIndex}__:${event}`, key);
  };
}
