// Stream entry IDs: two unsigned 64-bit numbers, milliseconds and sequence, ordered as one 128-bit
// number (Redis's streamID). Kept as bigints: explicit IDs may use the whole 64-bit range.

export interface StreamId {
  readonly ms: bigint;
  readonly seq: bigint;
}

export const UINT64_MAX = 0xffffffffffffffffn;
export const MIN_ID: StreamId = { ms: 0n, seq: 0n };
export const MAX_ID: StreamId = { ms: UINT64_MAX, seq: UINT64_MAX };

export function streamId(ms: bigint, seq: bigint): StreamId {
  return { ms, seq };
}

/** -1, 0 or 1 as a is before, equal to or after b. */
export function compareIds(a: StreamId, b: StreamId): number {
  if (a.ms !== b.ms) return a.ms < b.ms ? -1 : 1;
  if (a.seq !== b.seq) return a.seq < b.seq ? -1 : 1;
  return 0;
}

export function isZeroId(id: StreamId): boolean {
  return id.ms === 0n && id.seq === 0n;
}

/** `<ms>-<seq>`, as replies print IDs. */
export function formatId(id: StreamId): string {
  return `${id.ms}-${id.seq}`;
}

/** The next ID (undefined after the largest one, which Redis's streamIncrID reports as an error). */
export function nextId(id: StreamId): StreamId | undefined {
  if (id.seq !== UINT64_MAX) return { ms: id.ms, seq: id.seq + 1n };
  if (id.ms !== UINT64_MAX) return { ms: id.ms + 1n, seq: 0n };
  return undefined;
}

/** The previous ID (undefined before 0-0). */
export function previousId(id: StreamId): StreamId | undefined {
  if (id.seq !== 0n) return { ms: id.ms, seq: id.seq - 1n };
  if (id.ms !== 0n) return { ms: id.ms - 1n, seq: UINT64_MAX };
  return undefined;
}

/**
 * The ID as 16 latin1 characters, big-endian: strings that sort as the IDs do (Redis's rax key),
 * used to key pending-entry lists.
 */
export function idKey(id: StreamId): string {
  return halfKey(id.ms) + halfKey(id.seq);
}

function halfKey(value: bigint): string {
  const high = Number(value >> 32n);
  const low = Number(value & 0xffffffffn);
  return String.fromCharCode(
    high >>> 24,
    (high >>> 16) & 255,
    (high >>> 8) & 255,
    high & 255,
    low >>> 24,
    (low >>> 16) & 255,
    (low >>> 8) & 255,
    low & 255,
  );
}

/** The inverse of idKey. */
export function idOfKey(key: string): StreamId {
  return { ms: halfOfKey(key, 0), seq: halfOfKey(key, 8) };
}

function halfOfKey(key: string, at: number): bigint {
  let high = 0;
  let low = 0;
  for (let i = 0; i < 4; i++) high = high * 256 + key.charCodeAt(at + i);
  for (let i = 4; i < 8; i++) low = low * 256 + key.charCodeAt(at + i);
  return (BigInt(high) << 32n) | BigInt(low);
}

/**
 * Redis's streamParseID: `<ms>`, `<ms>-<seq>`, `-` and `+` (when allowed). `missingSeq` fills a
 * bare `<ms>`. `<ms>-*` is accepted only when `allowAutoSeq`, and then seq is undefined. Returns
 * undefined for anything else (the caller replies "Invalid stream ID...").
 */
export function parseStreamId(
  text: string,
  missingSeq: bigint,
  strict: boolean,
  allowAutoSeq = false,
): { id: StreamId; autoSeq: boolean } | undefined {
  if (text.length > 127) return undefined;
  if (!strict && text.length === 1) {
    if (text === '-') return { id: MIN_ID, autoSeq: false };
    if (text === '+') return { id: MAX_ID, autoSeq: false };
  }
  const dash = text.indexOf('-');
  if (dash < 0) {
    const ms = parseUint64(text);
    return ms === undefined ? undefined : { id: { ms, seq: missingSeq }, autoSeq: false };
  }
  const ms = parseUint64(text.slice(0, dash));
  if (ms === undefined) return undefined;
  const rest = text.slice(dash + 1);
  if (allowAutoSeq && rest === '*') return { id: { ms, seq: 0n }, autoSeq: true };
  const seq = parseUint64(rest);
  return seq === undefined ? undefined : { id: { ms, seq }, autoSeq: false };
}

/**
 * Redis's string2ull: a strict decimal, else what C's strtoull reads whole (leading white space and
 * a '+' allowed, leading zeros too), within 2^64-1.
 */
export function parseUint64(text: string): bigint | undefined {
  let i = 0;
  while (i < text.length && isSpace(text.charCodeAt(i))) i++;
  if (i < text.length && text.charCodeAt(i) === 43) i++;
  if (i === text.length) return undefined;
  for (let j = i; j < text.length; j++) {
    const c = text.charCodeAt(j);
    if (c < 48 || c > 57) return undefined;
  }
  const value = BigInt(text.slice(i));
  return value > UINT64_MAX ? undefined : value;
}

function isSpace(c: number): boolean {
  return c === 32 || (c >= 9 && c <= 13);
}
