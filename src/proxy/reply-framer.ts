// Splits a backend's byte stream into whole RESP2 or RESP3 replies without decoding them: each reply is
// handed on as its raw bytes (a view of the socket's chunk when it arrived in one, else the parts
// joined once), so the proxy relays replies byte for byte. The scan is resumable across chunks,
// so a large reply costs linear time. Codis's decoder limits apply (§2.3).
import { MAX_ARRAY_LENGTH, MAX_BULK_LENGTH, parseCodisInteger } from './request-decoder.ts';

const CR = 13;
const LF = 10;

/**
 * The index of the next LF at or after `from`, or -1. Header lines are a few bytes long: a loop
 * beats Buffer.indexOf's native call; long lines (large simple strings) go to indexOf.
 */
function lineEnd(chunk: Buffer, from: number, length: number): number {
  const end = Math.min(length, from + 32);
  for (let i = from; i < end; i++) if (chunk[i] === LF) return i;
  return end === length ? -1 : chunk.indexOf(LF, end);
}

export interface ReplySink {
  onReply(raw: Buffer): void;
}

export class ReplyFramer {
  /** Set when feed() returned false: the decoder error, e.g. `bad CRLF end`. */
  error = '';
  private parts: Buffer[] = [];
  private partsBytes = 0;
  /** Unfinished header line carried from the previous chunk. */
  private line: Buffer | undefined;
  /** Elements left in each open array, innermost last. */
  private readonly stack: number[] = [];
  /** Payload bytes (and CR LF) of the current bulk still to skip. */
  private skip = 0;
  private completeAfterSkip = false;
  private readonly sink: ReplySink;

  constructor(sink: ReplySink) {
    this.sink = sink;
  }

  reset(): void {
    this.parts = [];
    this.partsBytes = 0;
    this.line = undefined;
    this.stack.length = 0;
    this.skip = 0;
    this.completeAfterSkip = false;
  }

  /** Scans a chunk, emitting every completed reply; false on a protocol error. */
  feed(chunk: Buffer): boolean {
    let start = 0;
    let position = 0;
    const length = chunk.length;
    while (position < length) {
      if (this.skip > 0) {
        const take = Math.min(this.skip, length - position);
        this.skip -= take;
        position += take;
        if (this.skip > 0) break;
        if (chunk[position - 1] !== LF) return this.fail('bad CRLF end');
        if (this.completeAfterSkip) {
          this.emit(chunk, start, position);
          start = position;
        }
        continue;
      }
      const newline = lineEnd(chunk, position, length);
      if (newline < 0) {
        const rest = chunk.subarray(position);
        this.line = this.line === undefined ? rest : Buffer.concat([this.line, rest]);
        if (this.line.length > 64 * 1024) return this.fail('bad line, too long');
        position = length;
        break;
      }
      let header: Buffer;
      let from: number;
      let end: number;
      if (this.line !== undefined) {
        header = Buffer.concat([this.line, chunk.subarray(position, newline + 1)]);
        this.line = undefined;
        from = 0;
        end = header.length - 1;
      } else {
        header = chunk;
        from = position;
        end = newline;
      }
      position = newline + 1;
      if (end === from || header[end - 1] !== CR) return this.fail('bad CRLF end');
      const type = header[from];
      let done: boolean;
      if (type === 43 || type === 45 || type === 58) {
        done = this.elementDone();
      } else if (type === 36 || type === 33 || type === 61) {
        const n = parseCodisInteger(header, from + 1, end - 1);
        if (Number.isNaN(n) || n < -1) return this.fail('bad bulk bytes len');
        if (n > MAX_BULK_LENGTH) return this.fail('bad bulk bytes len, too long');
        done = this.elementDone();
        if (n >= 0) {
          this.skip = n + 2;
          this.completeAfterSkip = done;
          done = false;
        }
      } else if (type === 42) {
        const n = parseCodisInteger(header, from + 1, end - 1);
        if (Number.isNaN(n) || n < -1) return this.fail('bad array len');
        if (n > MAX_ARRAY_LENGTH) return this.fail('bad array len, too long');
        if (n <= 0) done = this.elementDone();
        else {
          this.stack.push(n);
          done = false;
        }
      } else if (type === 95 || type === 35 || type === 44 || type === 40) {
        // RESP3 one-line types (from backend connections that spoke HELLO 3): null, boolean,
        // double, big number.
        done = this.elementDone();
      } else if (type === 37 || type === 126 || type === 62 || type === 124) {
        // RESP3 aggregates: a map or an attribute counts its keys and values; an attribute is
        // followed by the value it describes, framed with it as one reply.
        const n = parseCodisInteger(header, from + 1, end - 1);
        if (Number.isNaN(n) || n < 0) return this.fail('bad array len');
        const count = type === 37 ? 2 * n : type === 124 ? 2 * n + 1 : n;
        if (count > MAX_ARRAY_LENGTH) return this.fail('bad array len, too long');
        if (count === 0) done = this.elementDone();
        else {
          this.stack.push(count);
          done = false;
        }
      } else {
        return this.fail(`bad resp type ${String.fromCharCode(type ?? 0)}`);
      }
      if (done) {
        this.emit(chunk, start, position);
        start = position;
      }
    }
    if (start < length) {
      this.parts.push(start === 0 ? chunk : chunk.subarray(start));
      this.partsBytes += length - start;
    }
    return true;
  }

  private fail(message: string): boolean {
    this.error = message;
    this.reset();
    return false;
  }

  /** Counts one finished element; true when it finished the top-level reply. */
  private elementDone(): boolean {
    const stack = this.stack;
    while (stack.length > 0) {
      const top = stack.length - 1;
      const left = (stack[top] as number) - 1;
      if (left > 0) {
        stack[top] = left;
        return false;
      }
      stack.pop();
    }
    return true;
  }

  private emit(chunk: Buffer, start: number, end: number): void {
    let raw: Buffer;
    if (this.partsBytes === 0) raw = chunk.subarray(start, end);
    else {
      this.parts.push(chunk.subarray(start, end));
      raw = Buffer.concat(this.parts, this.partsBytes + end - start);
      this.parts = [];
      this.partsBytes = 0;
    }
    this.completeAfterSkip = false;
    this.sink.onReply(raw);
  }
}
