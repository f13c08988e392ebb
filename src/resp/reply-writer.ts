// Encodes replies into one growable buffer per connection; the connection flushes it once per
// event-loop turn. RESP2 and RESP3 share the writer: `protocol` picks the framing of nulls, maps,
// sets, doubles, booleans and pushes exactly as Redis 7 does for each.
import { formatDouble } from './double.ts';

const INITIAL_SIZE = 16 * 1024;
/** Flushed buffers larger than this are handed to the socket instead of copied. */
const COPY_LIMIT = 64 * 1024;
const EMPTY_VIEW = Buffer.alloc(0);

export class ReplyWriter {
  protocol: 2 | 3 = 2;
  buffer: Buffer = Buffer.allocUnsafe(INITIAL_SIZE);
  length = 0;
  /** The last view() and the buffer it shows. */
  private lastView: Buffer = EMPTY_VIEW;
  private lastViewOf: Buffer = EMPTY_VIEW;

  private ensure(extra: number): void {
    const needed = this.length + extra;
    if (needed <= this.buffer.length) return;
    let size = this.buffer.length * 2;
    while (size < needed) size *= 2;
    const grown = Buffer.allocUnsafe(size);
    this.buffer.copy(grown, 0, 0, this.length);
    this.buffer = grown;
  }

  /** Takes the encoded bytes out of the writer (copied when small, so the big buffer is reused). */
  take(): Buffer {
    const length = this.length;
    this.length = 0;
    if (length <= COPY_LIMIT) {
      const out = Buffer.allocUnsafe(length);
      this.buffer.copy(out, 0, 0, length);
      return out;
    }
    const out = this.buffer.subarray(0, length);
    this.buffer = Buffer.allocUnsafe(INITIAL_SIZE);
    return out;
  }

  /**
   * The encoded bytes as a view of the writer's own buffer, without copying; the writer starts
   * over. The caller must call release() once the view may still be in use (an asynchronous
   * socket write), so the writer stops reusing that memory.
   */
  view(): Buffer {
    const length = this.length;
    this.length = 0;
    // Building a view costs two calls into V8's runtime; replies of one size (a workload of one
    // shape) get the last one again (see SharedReadBuffer).
    const last = this.lastView;
    if (last.length === length && this.lastViewOf === this.buffer) return last;
    const view = this.buffer.subarray(0, length);
    this.lastView = view;
    this.lastViewOf = this.buffer;
    return view;
  }

  /** Gives the current buffer away (to a pending write) and continues in a new one. */
  release(): void {
    this.buffer = Buffer.allocUnsafe(INITIAL_SIZE);
  }

  /**
   * Removes the bytes written since `mark` and returns a copy of them: a reply whose header is
   * only known after its elements (Redis's deferred lengths) is built, cut and written after it.
   */
  cut(mark: number): Buffer {
    const bytes = Buffer.from(this.buffer.subarray(mark, this.length));
    this.length = mark;
    return bytes;
  }

  /** Writes a latin1 string as raw bytes. */
  raw(text: string): void {
    this.ensure(text.length);
    this.length += this.buffer.latin1Write(text, this.length);
  }

  rawBytes(bytes: Uint8Array): void {
    this.ensure(bytes.length);
    this.buffer.set(bytes, this.length);
    this.length += bytes.length;
  }

  /** `+text` */
  status(text: string): void {
    this.raw(`+${text}\r\n`);
  }

  ok(): void {
    this.raw('+OK\r\n');
  }

  /** `-message`; message starts with its code, e.g. `ERR syntax error`. */
  error(message: string): void {
    this.raw(`-${message}\r\n`);
  }

  integer(value: number | bigint): void {
    this.raw(`:${value}\r\n`);
  }

  /** A bulk string from a latin1 string. */
  bulk(value: string): void {
    const size = value.length;
    const buffer = this.bulkHeader(size);
    if (size < 16) {
      for (let i = 0; i < size; i++) buffer[this.length + i] = value.charCodeAt(i);
      this.length += size;
    } else {
      this.length += buffer.latin1Write(value, this.length);
    }
    buffer[this.length++] = 13;
    buffer[this.length++] = 10;
  }

  /** A bulk string of `size` bytes copied from `bytes` at `start` (a value kept in the arena). */
  bulkFrom(bytes: Buffer, start: number, size: number): void {
    const buffer = this.bulkHeader(size);
    bytes.copy(buffer, this.length, start, start + size);
    this.length += size;
    buffer[this.length++] = 13;
    buffer[this.length++] = 10;
  }

  /**
   * Writes `$<size>\r\n` with room for the data and its CRLF after it; returns the buffer. The
   * digits are written here: String(size) and a latin1Write call cost twice as much (~38 ns).
   */
  private bulkHeader(size: number): Buffer {
    this.ensure(size + 16);
    const buffer = this.buffer;
    buffer[this.length++] = 36;
    let digits = 1;
    for (let rest = size; rest >= 10; rest = Math.floor(rest / 10)) digits++;
    let at = this.length + digits;
    this.length = at;
    let rest = size;
    do {
      buffer[--at] = 48 + (rest % 10);
      rest = Math.floor(rest / 10);
    } while (rest > 0);
    buffer[this.length++] = 13;
    buffer[this.length++] = 10;
    return buffer;
  }

  bulkBytes(value: Uint8Array): void {
    this.raw(`$${value.length}\r\n`);
    this.rawBytes(value);
    this.raw('\r\n');
  }

  /** A missing value: `$-1` in RESP2, `_` in RESP3. */
  nullBulk(): void {
    this.raw(this.protocol === 3 ? '_\r\n' : '$-1\r\n');
  }

  /** A missing aggregate: `*-1` in RESP2, `_` in RESP3. */
  nullArray(): void {
    this.raw(this.protocol === 3 ? '_\r\n' : '*-1\r\n');
  }

  arrayHeader(count: number): void {
    this.raw(`*${count}\r\n`);
  }

  /** A map of `count` pairs: `%count` in RESP3, a flat array of 2×count in RESP2. */
  mapHeader(count: number): void {
    this.raw(this.protocol === 3 ? `%${count}\r\n` : `*${count * 2}\r\n`);
  }

  setHeader(count: number): void {
    this.raw(this.protocol === 3 ? `~${count}\r\n` : `*${count}\r\n`);
  }

  pushHeader(count: number): void {
    this.raw(this.protocol === 3 ? `>${count}\r\n` : `*${count}\r\n`);
  }

  /** A double: `,d` in RESP3, a bulk string in RESP2 (Redis 7.0's %.17g formatting). */
  double(value: number): void {
    const text = formatDouble(value);
    if (this.protocol === 3) this.raw(`,${text}\r\n`);
    else this.bulk(text);
  }

  /** A boolean: `#t`/`#f` in RESP3, `:1`/`:0` in RESP2. */
  boolean(value: boolean): void {
    if (this.protocol === 3) this.raw(value ? '#t\r\n' : '#f\r\n');
    else this.raw(value ? ':1\r\n' : ':0\r\n');
  }

  /** Verbatim text (`=len\r\ntxt:...`) in RESP3, a bulk string in RESP2. */
  verbatim(text: string, format = 'txt'): void {
    if (this.protocol === 3) this.raw(`=${text.length + 4}\r\n${format}:${text}\r\n`);
    else this.bulk(text);
  }

  bulkArray(values: readonly string[]): void {
    this.arrayHeader(values.length);
    for (const value of values) this.bulk(value);
  }
}
