// Short latin1 strings decoded from bytes in JavaScript, for the request parser's hot path.

/** The longest string shortLatin1 decodes. */
export const SHORT_LATIN1 = 16;

/**
 * bytes[s, s + length) as a latin1 string, for length <= SHORT_LATIN1: command names and most
 * keys. Buffer#latin1Slice is a call into C++ that costs ~130 ns whatever the length;
 * String.fromCharCode with a fixed count of arguments is compiled inline (~30-60 ns). Up to 12
 * bytes, 12 are read (past the buffer's end they read as undefined) and the string cut to length,
 * which copies it; 13 to 16 bytes are read exactly, as V8 makes a longer string's prefix a view
 * that keeps the whole alive (a stored key would then cost its parent and an indirection).
 */
export function shortLatin1(b: Buffer, s: number, length: number): string {
  if (length <= 12) {
    const text = latin1Of12(b, s);
    return length === 12 ? text : text.slice(0, length);
  }
  if (length === 13) return latin1Of13(b, s);
  if (length === 14) return latin1Of14(b, s);
  if (length === 15) return latin1Of15(b, s);
  return latin1Of16(b, s);
}

function latin1Of12(b: Buffer, s: number): string {
  return String.fromCharCode(
    b[s] as number,
    b[s + 1] as number,
    b[s + 2] as number,
    b[s + 3] as number,
    b[s + 4] as number,
    b[s + 5] as number,
    b[s + 6] as number,
    b[s + 7] as number,
    b[s + 8] as number,
    b[s + 9] as number,
    b[s + 10] as number,
    b[s + 11] as number,
  );
}

function latin1Of13(b: Buffer, s: number): string {
  return String.fromCharCode(
    b[s] as number,
    b[s + 1] as number,
    b[s + 2] as number,
    b[s + 3] as number,
    b[s + 4] as number,
    b[s + 5] as number,
    b[s + 6] as number,
    b[s + 7] as number,
    b[s + 8] as number,
    b[s + 9] as number,
    b[s + 10] as number,
    b[s + 11] as number,
    b[s + 12] as number,
  );
}

function latin1Of14(b: Buffer, s: number): string {
  return String.fromCharCode(
    b[s] as number,
    b[s + 1] as number,
    b[s + 2] as number,
    b[s + 3] as number,
    b[s + 4] as number,
    b[s + 5] as number,
    b[s + 6] as number,
    b[s + 7] as number,
    b[s + 8] as number,
    b[s + 9] as number,
    b[s + 10] as number,
    b[s + 11] as number,
    b[s + 12] as number,
    b[s + 13] as number,
  );
}

function latin1Of15(b: Buffer, s: number): string {
  return String.fromCharCode(
    b[s] as number,
    b[s + 1] as number,
    b[s + 2] as number,
    b[s + 3] as number,
    b[s + 4] as number,
    b[s + 5] as number,
    b[s + 6] as number,
    b[s + 7] as number,
    b[s + 8] as number,
    b[s + 9] as number,
    b[s + 10] as number,
    b[s + 11] as number,
    b[s + 12] as number,
    b[s + 13] as number,
    b[s + 14] as number,
  );
}

function latin1Of16(b: Buffer, s: number): string {
  return String.fromCharCode(
    b[s] as number,
    b[s + 1] as number,
    b[s + 2] as number,
    b[s + 3] as number,
    b[s + 4] as number,
    b[s + 5] as number,
    b[s + 6] as number,
    b[s + 7] as number,
    b[s + 8] as number,
    b[s + 9] as number,
    b[s + 10] as number,
    b[s + 11] as number,
    b[s + 12] as number,
    b[s + 13] as number,
    b[s + 14] as number,
    b[s + 15] as number,
  );
}
