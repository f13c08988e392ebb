// Incremental parser of client requests: RESP multibulk (`*N\r\n$len\r\narg\r\n...`) and inline
// commands (`SET k v\n`). Arguments are produced as latin1 strings (one char per byte, binary safe),
// decoded straight from the socket's chunks; each request gets an argument array of its own.
import { splitInlineArguments } from './inline.ts';
import { SHORT_LATIN1, shortLatin1 } from './short-latin1.ts';

/** Largest inline request or `*`/`$` header line, as Redis's PROTO_INLINE_MAX_SIZE. */
export const INLINE_MAX_SIZE = 64 * 1024;
/** Above this bulk length, the bytes are gathered as parts instead of re-buffered (PROTO_MBULK_BIG_ARG). */
const BIG_ARGUMENT = 32 * 1024;
const MAX_MULTIBULK = 2147483647;
const UNAUTHENTICATED_MAX_MULTIBULK = 10;
const UNAUTHENTICATED_MAX_BULK = 16384;

const CR = 13;
const LF = 10;
const DOLLAR = 36;
const STAR = 42;
const EMPTY = Buffer.alloc(0);

export const PARSE_INCOMPLETE = 0;
export const PARSE_COMMAND = 1;
export const PARSE_ERROR = 2;
export type ParseResult = typeof PARSE_INCOMPLETE | typeof PARSE_COMMAND | typeof PARSE_ERROR;

/**
 * Values of SET and MSET of this many bytes are not decoded into strings while parsing (see
 * RequestParser.deferValues): the value arena's range (server/keyspace/value-arena.ts).
 */
const DEFERRED_MIN = 128;
const DEFERRED_MAX = 128 * 1024;

export interface RequestParserLimits {
  /** proto-max-bulk-len */
  maxBulkLength: number;
}

export class RequestParser {
  /** The arguments of the last complete request (valid until the next call of next()). */
  argv: string[] = [];
  /** Set when next() returned PARSE_ERROR: the message after `-ERR `, e.g. `Protocol error: ...`. */
  error = '';
  /** Whether the last request was inline (Redis treats empty inline lines as no request). */
  inline = false;
  /** Whether the connection has authenticated; before that, Redis caps request sizes. */
  authenticated = true;
  limits: RequestParserLimits;
  /**
   * Leaves the values of a plain `SET key value` and of `MSET key value ...` (those of 128 B to
   * 128 KB) as bytes: their places in argv hold undefined, and the deferred* arrays locate them in
   * the input, until materialize() or the next request. The server sets this, and SET and MSET
   * store the bytes straight into the value arena; every other reader of argv calls materialize()
   * first. A 1 KB value decoded into a string cost a young-generation allocation and a copy that
   * the arena then copied again (bench/RESULTS.md, session 14).
   */
  deferValues = false;
  /** The argv whose values are deferred (the array of the last request), or undefined. */
  deferredArgv: string[] | undefined = undefined;
  /** How many values are deferred. */
  deferredCount = 0;
  /**
   * Per deferred value, in argv order (the first deferredCount entries): its index in argv and
   * where its bytes are. Kept between requests, not truncated: setting an array's length is a
   * runtime call, paid per SET otherwise.
   */
  readonly deferredIndexes: number[] = [];
  readonly deferredBuffers: Buffer[] = [];
  readonly deferredStarts: number[] = [];
  readonly deferredLengths: number[] = [];
  /** The request being parsed is a SET or MSET whose values may be deferred. */
  private deferring = false;

  private buffer: Buffer = Buffer.alloc(0);
  private position = 0;
  private argumentsLeft = 0;
  private bulkLength = -1;
  private bigParts: Buffer[] = [];
  private bigBytes = 0;
  /** The argument count of the multibulk request being parsed. */
  private argumentCount = 0;
  /**
   * Command names seen lately, by a hash of their first bytes and length (commandName): a client
   * sends the same few names again and again, and the string it got last time needs no new
   * allocation, and its hash, which the command table's lookup reads, is already computed.
   */
  private readonly recentNames: string[] = ['', '', '', '', '', '', '', ''];

  constructor(limits: RequestParserLimits) {
    this.limits = limits;
  }

  /** Bytes received but not yet consumed (for the query buffer statistics and limits). */
  get pendingBytes(): number {
    return this.buffer.length - this.position + this.bigBytes;
  }

  feed(chunk: Buffer): void {
    if (this.bigParts.length > 0) {
      this.bigParts.push(chunk);
      this.bigBytes += chunk.length;
      return;
    }
    const left = this.buffer.length - this.position;
    if (left === 0) {
      this.buffer = chunk;
    } else if (this.bulkLength >= BIG_ARGUMENT) {
      // A big argument spanning chunks: gather the parts, join once when it is complete.
      this.bigParts.push(this.buffer.subarray(this.position), chunk);
      this.bigBytes = left + chunk.length;
      this.buffer = Buffer.alloc(0);
    } else {
      const joined = Buffer.allocUnsafe(left + chunk.length);
      this.buffer.copy(joined, 0, this.position);
      chunk.copy(joined, left);
      this.buffer = joined;
    }
    this.position = 0;
  }

  /**
   * Copies out the pending bytes that are still views of `memory`, a read buffer the socket refills
   * on its next read (a request cut between reads, or the requests of a client that must wait).
   */
  detach(memory: ArrayBufferLike): void {
    if (this.deferredArgv !== undefined) {
      const buffers = this.deferredBuffers;
      for (let i = 0; i < this.deferredCount; i++)
        if ((buffers[i] as Buffer).buffer === memory) {
          this.materialize();
          break;
        }
    }
    // Usually every byte was parsed; then no view's ArrayBuffer is asked for (a call into V8's runtime).
    if (this.position >= this.buffer.length) {
      this.buffer = EMPTY;
      this.position = 0;
    } else if (this.buffer.buffer === memory) {
      this.buffer = Buffer.from(this.buffer.subarray(this.position));
      this.position = 0;
    }
    const parts = this.bigParts;
    for (let i = 0; i < parts.length; i++) {
      const part = parts[i] as Buffer;
      if (part.buffer === memory) parts[i] = Buffer.from(part);
    }
  }

  /** Decodes the deferred values into their places in argv (a no-op when none is deferred). */
  materialize(): void {
    const argv = this.deferredArgv;
    if (argv === undefined) return;
    const indexes = this.deferredIndexes;
    for (let i = 0; i < this.deferredCount; i++) {
      const start = this.deferredStarts[i] as number;
      argv[indexes[i] as number] = (this.deferredBuffers[i] as Buffer).latin1Slice(
        start,
        start + (this.deferredLengths[i] as number),
      );
    }
    this.forgetDeferred();
  }

  /** Drops the references to deferred values' bytes (their request is done). */
  forgetDeferred(): void {
    this.deferredArgv = undefined;
    const buffers = this.deferredBuffers;
    for (let i = 0; i < this.deferredCount; i++) buffers[i] = EMPTY;
    this.deferredCount = 0;
  }

  /** Parses the next request out of the bytes fed so far. */
  next(): ParseResult {
    // The values of the last request are done with (not those of a request still arriving).
    if (this.deferredArgv !== undefined && this.argumentsLeft === 0) this.forgetDeferred();
    if (this.bigParts.length > 0) {
      if (this.bigBytes < this.bulkLength + 2) return PARSE_INCOMPLETE;
      this.buffer = Buffer.concat(this.bigParts, this.bigBytes);
      this.position = 0;
      this.bigParts = [];
      this.bigBytes = 0;
    }
    for (;;) {
      if (this.argumentsLeft === 0) {
        if (this.position >= this.buffer.length) return PARSE_INCOMPLETE;
        if (this.buffer[this.position] !== STAR) {
          const inline = this.parseInline();
          if (inline !== PARSE_COMMAND || this.argv.length > 0) return inline;
          continue;
        }
        const header = this.parseMultibulkHeader();
        if (header !== PARSE_COMMAND) return header;
        if (this.argumentsLeft === 0) continue;
      }
      const argument = this.parseArguments();
      if (argument !== PARSE_COMMAND) return argument;
      this.inline = false;
      return PARSE_COMMAND;
    }
  }

  /**
   * The buffered bytes when the parser sits between requests (undefined in the middle of one), for
   * a consumer that recognises some requests itself: it reads them from `offset` and calls
   * consumeTo with where the requests it handled end.
   */
  get idleBuffer(): Buffer | undefined {
    return this.argumentsLeft === 0 && this.bigParts.length === 0 ? this.buffer : undefined;
  }

  get offset(): number {
    return this.position;
  }

  consumeTo(position: number): void {
    this.position = position;
  }

  /** Drops everything buffered (after a protocol error, or when the connection closes). */
  reset(): void {
    this.buffer = Buffer.alloc(0);
    this.position = 0;
    this.argumentsLeft = 0;
    this.bulkLength = -1;
    this.bigParts = [];
    this.bigBytes = 0;
    this.forgetDeferred();
  }

  private fail(message: string): ParseResult {
    this.error = `Protocol error: ${message}`;
    this.reset();
    return PARSE_ERROR;
  }

  /** bytes[start, start + length) (length <= SHORT_LATIN1) as a string, the one of last time if the same. */
  private commandName(bytes: Buffer, start: number, length: number): string {
    const slot = ((bytes[start] as number) + 3 * ((bytes[start + 1] as number) | 0) + length) & 7;
    const recent = this.recentNames[slot] as string;
    if (recent.length === length) {
      let same = true;
      for (let i = 0; i < length; i++) {
        if (recent.charCodeAt(i) !== bytes[start + i]) {
          same = false;
          break;
        }
      }
      if (same) return recent;
    }
    const name = shortLatin1(bytes, start, length);
    this.recentNames[slot] = name;
    return name;
  }

  private parseInline(): ParseResult {
    const buffer = this.buffer;
    const newline = buffer.indexOf(LF, this.position);
    if (newline < 0) {
      if (buffer.length - this.position > INLINE_MAX_SIZE) return this.fail('too big inline request');
      return PARSE_INCOMPLETE;
    }
    let end = newline;
    if (end > this.position && buffer[end - 1] === CR) end--;
    const line = buffer.latin1Slice(this.position, end);
    this.position = newline + 1;
    const args = splitInlineArguments(line);
    if (args === undefined) return this.fail('unbalanced quotes in request');
    this.argv = args;
    this.inline = true;
    return PARSE_COMMAND;
  }

  /** Reads `*N\r\n`; sets argumentsLeft (0 for an empty or negative count, which Redis skips). */
  private parseMultibulkHeader(): ParseResult {
    const buffer = this.buffer;
    const cr = findCarriageReturn(buffer, this.position);
    if (cr < 0 || cr + 1 >= buffer.length) {
      if (buffer.length - this.position > INLINE_MAX_SIZE) return this.fail('too big mbulk count string');
      return PARSE_INCOMPLETE;
    }
    if (cr - this.position > INLINE_MAX_SIZE) return this.fail('too big mbulk count string');
    const count = parseStrictInteger(buffer, this.position + 1, cr);
    if (Number.isNaN(count) || count > MAX_MULTIBULK) return this.fail('invalid multibulk length');
    if (count > UNAUTHENTICATED_MAX_MULTIBULK && !this.authenticated) {
      return this.fail('unauthenticated multibulk length');
    }
    this.position = cr + 2;
    if (count <= 0) return PARSE_COMMAND;
    this.argumentsLeft = count;
    // Short requests get an array of their size; longer ones grow as their arguments arrive, so a
    // hostile `*2147483647` costs nothing. Growing from empty made a 17-slot backing store for
    // every GET and SET: 174 of the 375 bytes a SET allocated (bench/RESULTS.md, session 16).
    this.argv = count <= PRESIZED_MAX ? presizedArgv(count) : [];
    this.argumentCount = count;
    this.deferring = false;
    this.bulkLength = -1;
    return PARSE_COMMAND;
  }

  private parseArguments(): ParseResult {
    const buffer = this.buffer;
    while (this.argumentsLeft > 0) {
      if (this.bulkLength < 0) {
        if (this.position >= buffer.length) return PARSE_INCOMPLETE;
        const cr = findCarriageReturn(buffer, this.position);
        if (cr < 0 || cr + 1 >= buffer.length) {
          if (buffer.length - this.position > INLINE_MAX_SIZE) return this.fail('too big bulk count string');
          return PARSE_INCOMPLETE;
        }
        if (cr - this.position > INLINE_MAX_SIZE) return this.fail('too big bulk count string');
        const first = buffer[this.position] as number;
        if (first !== DOLLAR) return this.fail(`expected '$', got '${String.fromCharCode(first)}'`);
        const length = parseStrictInteger(buffer, this.position + 1, cr);
        if (Number.isNaN(length) || length < 0 || length > this.limits.maxBulkLength) {
          return this.fail('invalid bulk length');
        }
        if (length > UNAUTHENTICATED_MAX_BULK && !this.authenticated) {
          return this.fail('unauthenticated bulk length');
        }
        this.position = cr + 2;
        this.bulkLength = length;
      }
      const end = this.position + this.bulkLength;
      // Like Redis, the two bytes after the data are skipped, not checked.
      if (end + 2 > buffer.length) {
        if (this.bulkLength >= BIG_ARGUMENT && this.position < buffer.length) {
          this.bigParts.push(buffer.subarray(this.position));
          this.bigBytes = buffer.length - this.position;
          this.buffer = Buffer.alloc(0);
          this.position = 0;
        }
        return PARSE_INCOMPLETE;
      }
      const length = this.bulkLength;
      const argv = this.argv;
      // The arguments parsed so far: where this one goes, which is the array's length when it
      // grows as arguments arrive.
      const filled = this.argumentCount - this.argumentsLeft;
      if (filled === 0 && length <= SHORT_LATIN1) {
        argv[0] = this.commandName(buffer, this.position, length);
        if (this.deferValues) this.deferring = defersValues(argv[0] as string, this.argumentCount);
      } else if (
        this.deferring &&
        length >= DEFERRED_MIN &&
        length <= DEFERRED_MAX &&
        filled >= 2 &&
        (filled & 1) === 0
      ) {
        // A value (SET's third argument, MSET's every other one from the third).
        const which = this.deferredCount++;
        this.deferredArgv = argv;
        this.deferredIndexes[which] = filled;
        this.deferredBuffers[which] = buffer;
        this.deferredStarts[which] = this.position;
        this.deferredLengths[which] = length;
        argv[filled] = UNSET;
      } else if (length <= SHORT_LATIN1) argv[filled] = shortLatin1(buffer, this.position, length);
      else argv[filled] = buffer.latin1Slice(this.position, end);
      this.position = end + 2;
      this.bulkLength = -1;
      this.argumentsLeft--;
    }
    return PARSE_COMMAND;
  }
}

/** Requests of up to this many arguments get an argv of their size at once. */
const PRESIZED_MAX = 5;
/** An argv slot not parsed yet (or a deferred value's place). */
const UNSET = undefined as unknown as string;

/**
 * An array of `count` (1 to PRESIZED_MAX) undefined slots. Literals, not `new Array(count)`: that
 * one has holes, an elements kind V8 then keeps for the array, where every other argv (grown by
 * push, sliced, built by scripts) is packed, and the commands reading argv would see both.
 */
function presizedArgv(count: number): string[] {
  switch (count) {
    case 1:
      return [UNSET];
    case 2:
      return [UNSET, UNSET];
    case 3:
      return [UNSET, UNSET, UNSET];
    case 4:
      return [UNSET, UNSET, UNSET, UNSET];
    default:
      return [UNSET, UNSET, UNSET, UNSET, UNSET];
  }
}

/** Whether a request of `count` arguments named `name` is a plain SET or an MSET (any case). */
function defersValues(name: string, count: number): boolean {
  if (name.length === 3)
    return count === 3 && (name === 'SET' || name === 'set' || name.toLowerCase() === 'set');
  if (name.length === 4)
    return (
      count >= 3 && (count & 1) === 1 && (name === 'MSET' || name === 'mset' || name.toLowerCase() === 'mset')
    );
  return false;
}

/**
 * The index of the first CR at or after `from`, or -1. Header lines are a few bytes long, and a
 * JS loop beats the native Buffer#indexOf call for them; long scans fall back to it.
 */
function findCarriageReturn(buffer: Buffer, from: number): number {
  const end = Math.min(buffer.length, from + 32);
  for (let i = from; i < end; i++) if (buffer[i] === CR) return i;
  return end === buffer.length ? -1 : buffer.indexOf(CR, end);
}

/**
 * Redis's string2ll over bytes[start, end): optional '-', digits, no '+', no leading zeros, fits a
 * signed 64-bit integer (checked against the double range here: counts and lengths stay far below
 * 2^53). NaN when invalid.
 */
export function parseStrictInteger(bytes: Uint8Array, start: number, end: number): number {
  if (start >= end || end - start > 20) return Number.NaN;
  let i = start;
  let negative = false;
  if (bytes[i] === 45) {
    negative = true;
    i++;
    if (i === end) return Number.NaN;
  }
  if (bytes[i] === 48) return i + 1 === end && !negative ? 0 : Number.NaN;
  let value = 0;
  for (; i < end; i++) {
    const digit = (bytes[i] as number) - 48;
    if (digit < 0 || digit > 9) return Number.NaN;
    value = value * 10 + digit;
  }
  return negative ? -value : value;
}
