// Incremental decoder of client requests with Codis 3.2's rules (spec/proxy.md §2.1), which differ
// from Redis's: lines must end in CR LF, `*0`/`*-1` and non-bulk elements are errors, `$-1`
// elements are accepted, inline lines split on spaces only. The request's raw bytes are kept as a
// view of the input whenever they stay contiguous, so the proxy forwards them without re-encoding;
// its arguments are then only located (offsets into the raw bytes) and become latin1 strings only
// when asked for: a value the proxy merely forwards is never converted. Requests that arrive
// scattered (nil elements, very large arguments, inline requests) get their strings at once.

import { constants } from 'node:buffer';

const MAX_STRING_LENGTH = constants.MAX_STRING_LENGTH;
const CR = 13;
const LF = 10;
const STAR = 42;
const DOLLAR = 36;
const SPACE = 32;

/** Codis's limits (pkg/proxy/redis/decoder.go). */
export const MAX_ARRAY_LENGTH = 1024 * 1024;
export const MAX_BULK_LENGTH = 512 * 1024 * 1024;
/** Longest header or inline line we buffer before calling it a protocol error. */
const MAX_LINE = 64 * 1024;
/** Bulk payloads at least this long, split across chunks, are gathered as parts and joined once. */
const BIG_ARGUMENT = 32 * 1024;
/** A partial request larger than this stops tracking its raw bytes (no quadratic re-buffering). */
const MAX_RAW_CARRY = 256 * 1024;

export const DECODE_INCOMPLETE = 0;
export const DECODE_REQUEST = 1;
export const DECODE_ERROR = 2;
/** An empty inline line: no request (§2.1). */
export const DECODE_EMPTY = 3;
export type DecodeResult =
  | typeof DECODE_INCOMPLETE
  | typeof DECODE_REQUEST
  | typeof DECODE_ERROR
  | typeof DECODE_EMPTY;

export class RequestDecoder {
  /** The raw bytes of the last request, or undefined when they were not kept contiguous. */
  raw: Buffer | undefined;
  /**
   * With `raw`: where each argument of the last request lies in it, [start, end) pairs (a fresh
   * array per request: requests keep it). Null when `strings` holds the arguments instead.
   */
  offsets: number[] | null = null;
  /** The arguments as strings when they could not be kept as offsets (fresh per request). */
  strings: string[] | null = null;
  /** Set with DECODE_ERROR. */
  error = '';

  private buffer: Buffer = Buffer.alloc(0);
  private position = 0;
  /** Start of the current request in buffer, or -1 when its raw bytes are no longer tracked. */
  private start = 0;
  private argumentsLeft = 0;
  private bulkLength = -2;
  private bigParts: Buffer[] = [];
  private bigBytes = 0;

  /** Arguments of the last request as latin1 strings (converted on first use). */
  get argv(): string[] {
    if (this.strings === null) this.strings = argumentStrings(this.raw as Buffer, this.offsets as number[]);
    this.offsets = null;
    return this.strings;
  }

  /** Bytes buffered and not yet decoded. */
  get pendingBytes(): number {
    return this.buffer.length - this.position + this.bigBytes;
  }

  feed(chunk: Buffer): void {
    if (this.bigParts.length > 0) {
      this.bigParts.push(chunk);
      this.bigBytes += chunk.length;
      return;
    }
    const inRequest = this.argumentsLeft > 0 && this.start >= 0;
    const keepFrom = inRequest && this.position - this.start <= MAX_RAW_CARRY ? this.start : this.position;
    if (keepFrom !== this.start) {
      if (inRequest) this.scatter();
      else this.start = -1;
    }
    const left = this.buffer.length - keepFrom;
    if (left === 0) {
      this.buffer = chunk;
      this.position = 0;
      if (this.start >= 0) this.start = 0;
      return;
    }
    if (this.bulkLength >= BIG_ARGUMENT) {
      // A big argument spanning chunks: gather the parts and join once when complete.
      this.scatter();
      this.bigParts.push(this.buffer.subarray(this.position), chunk);
      this.bigBytes = this.buffer.length - this.position + chunk.length;
      this.buffer = Buffer.alloc(0);
      this.position = 0;
      return;
    }
    const joined = Buffer.allocUnsafe(left + chunk.length);
    this.buffer.copy(joined, 0, keepFrom);
    chunk.copy(joined, left);
    this.position -= keepFrom;
    if (this.start >= 0) this.start = 0;
    this.buffer = joined;
  }

  next(): DecodeResult {
    if (this.bigParts.length > 0) {
      if (this.bigBytes < this.bulkLength + 2) return DECODE_INCOMPLETE;
      this.buffer = Buffer.concat(this.bigParts, this.bigBytes);
      this.position = 0;
      this.bigParts = [];
      this.bigBytes = 0;
    }
    if (this.argumentsLeft === 0) {
      if (this.position >= this.buffer.length) return DECODE_INCOMPLETE;
      this.start = this.position;
      if (this.buffer[this.position] !== STAR) return this.decodeInline();
      const header = this.decodeHeader();
      if (header !== DECODE_REQUEST) return header;
    }
    return this.decodeArguments();
  }

  private fail(message: string): DecodeResult {
    this.error = message;
    this.buffer = Buffer.alloc(0);
    this.position = 0;
    this.argumentsLeft = 0;
    this.bigParts = [];
    this.bigBytes = 0;
    return DECODE_ERROR;
  }

  private decodeInline(): DecodeResult {
    const buffer = this.buffer;
    const newline = buffer.indexOf(LF, this.position);
    if (newline < 0) {
      if (buffer.length - this.position > MAX_LINE) return this.fail('too big inline request');
      return DECODE_INCOMPLETE;
    }
    if (newline === this.position || buffer[newline - 1] !== CR) return this.fail('bad CRLF end');
    const from = this.position;
    this.position = newline + 1;
    const argv: string[] = [];
    let word = -1;
    for (let i = from; i < newline - 1; i++) {
      if (buffer[i] === SPACE) {
        if (word >= 0) argv.push(buffer.latin1Slice(word, i));
        word = -1;
      } else if (word < 0) word = i;
    }
    if (word >= 0) argv.push(buffer.latin1Slice(word, newline - 1));
    if (argv.length === 0) {
      if (newline - 1 === from) return DECODE_EMPTY;
      return this.fail('bad inline request, only spaces');
    }
    this.strings = argv;
    this.offsets = null;
    // Inline requests are re-encoded as multibulk for the backend.
    this.raw = undefined;
    return DECODE_REQUEST;
  }

  /** The integer of a `*`/`$` line at position; -3 (needs more) or NaN (invalid). */
  private headerLine(): number {
    const buffer = this.buffer;
    let cr = -1;
    const end = Math.min(buffer.length, this.position + 24);
    for (let i = this.position + 1; i < end; i++) {
      if (buffer[i] === CR || buffer[i] === LF) {
        cr = i;
        break;
      }
    }
    if (cr < 0) {
      if (end < buffer.length) return Number.NaN;
      return -3;
    }
    if (buffer[cr] !== CR) return Number.NaN;
    if (cr + 1 >= buffer.length) return -3;
    if (buffer[cr + 1] !== LF) return Number.NaN;
    const value = parseCodisInteger(buffer, this.position + 1, cr);
    if (!Number.isNaN(value)) this.position = cr + 2;
    return value;
  }

  private decodeHeader(): DecodeResult {
    const count = this.headerLine();
    if (count === -3) return DECODE_INCOMPLETE;
    if (Number.isNaN(count)) return this.fail('bad array len');
    if (count <= 0) return this.fail('bad array len, too short');
    if (count > MAX_ARRAY_LENGTH) return this.fail('bad array len, too long');
    this.argumentsLeft = count;
    this.offsets = [];
    this.strings = null;
    this.bulkLength = -2;
    return DECODE_REQUEST;
  }

  private decodeArguments(): DecodeResult {
    while (this.argumentsLeft > 0) {
      const buffer = this.buffer;
      if (this.bulkLength === -2) {
        if (this.position >= buffer.length) return DECODE_INCOMPLETE;
        if (buffer[this.position] !== DOLLAR) {
          return this.fail(`bad resp type ${String.fromCharCode(buffer[this.position] as number)}`);
        }
        const length = this.headerLine();
        if (length === -3) return DECODE_INCOMPLETE;
        if (Number.isNaN(length) || length < -1) return this.fail('bad bulk bytes len');
        // Arguments become strings: V8's longest string is 24 bytes short of Codis's limit.
        if (length > MAX_BULK_LENGTH || length > MAX_STRING_LENGTH)
          return this.fail('bad bulk bytes len, too long');
        if (length === -1) {
          // A nil element is not valid in a request to Redis: re-encode it as an empty string,
          // rather than break the shared backend connection with a protocol error.
          this.scatter();
          (this.strings as string[]).push('');
          this.argumentsLeft--;
          continue;
        }
        this.bulkLength = length;
      }
      const end = this.position + this.bulkLength;
      if (end + 2 > buffer.length) {
        if (this.bulkLength >= BIG_ARGUMENT && this.position < buffer.length) {
          this.scatter();
          this.bigParts.push(buffer.subarray(this.position));
          this.bigBytes = buffer.length - this.position;
          this.buffer = Buffer.alloc(0);
          this.position = 0;
        }
        return DECODE_INCOMPLETE;
      }
      if (buffer[end] !== CR || buffer[end + 1] !== LF) return this.fail('bad CRLF end');
      if (this.start >= 0) (this.offsets as number[]).push(this.position - this.start, end - this.start);
      else (this.strings as string[]).push(buffer.latin1Slice(this.position, end));
      this.position = end + 2;
      this.bulkLength = -2;
      this.argumentsLeft--;
    }
    this.raw = this.start >= 0 ? this.buffer.subarray(this.start, this.position) : undefined;
    return DECODE_REQUEST;
  }

  /**
   * The current request's bytes stop being tracked as one view: the arguments located so far
   * become strings while the buffer holding them is still at hand.
   */
  private scatter(): void {
    if (this.start < 0) return;
    if (this.strings === null) {
      const offsets = this.offsets ?? [];
      const strings: string[] = [];
      const buffer = this.buffer;
      const base = this.start;
      for (let i = 0; i < offsets.length; i += 2) {
        strings.push(buffer.latin1Slice(base + (offsets[i] as number), base + (offsets[i + 1] as number)));
      }
      this.strings = strings;
      this.offsets = null;
    }
    this.start = -1;
  }
}

/** The arguments located by `offsets` in `raw`, as latin1 strings. */
export function argumentStrings(raw: Buffer, offsets: readonly number[]): string[] {
  const strings: string[] = [];
  for (let i = 0; i < offsets.length; i += 2) {
    strings.push(raw.latin1Slice(offsets[i] as number, offsets[i + 1] as number));
  }
  return strings;
}

/** Codis's btoi: optional `+` or `-`, then decimal digits only. NaN when invalid. */
export function parseCodisInteger(bytes: Uint8Array, start: number, end: number): number {
  let i = start;
  let negative = false;
  if (bytes[i] === 45 || bytes[i] === 43) {
    negative = bytes[i] === 45;
    i++;
  }
  if (i >= end || end - i > 18) return Number.NaN;
  let value = 0;
  for (; i < end; i++) {
    const digit = (bytes[i] as number) - 48;
    if (digit < 0 || digit > 9) return Number.NaN;
    value = value * 10 + digit;
  }
  return negative ? -value : value;
}

/** Encodes argv (latin1 strings) as a RESP multibulk. */
export function encodeRequest(argv: readonly string[]): Buffer {
  let size = 1 + String(argv.length).length + 2;
  for (const arg of argv) size += 1 + String(arg.length).length + 2 + arg.length + 2;
  const out = Buffer.allocUnsafe(size);
  let at = out.latin1Write(`*${argv.length}\r\n`, 0);
  for (const arg of argv) {
    at += out.latin1Write(`$${arg.length}\r\n`, at);
    at += out.latin1Write(arg, at);
    out[at++] = CR;
    out[at++] = LF;
  }
  return out;
}
