// Incremental parser of server replies (RESP2 and RESP3), for the components that talk to servers
// as clients: the proxy's backends, migration, replication, tests. Each reply is returned with its
// exact byte span so callers can forward the raw bytes without re-encoding.

export type RespValue =
  | string
  | number
  | bigint
  | boolean
  | null
  | RespError
  | RespStatus
  | RespValue[]
  | RespMap
  | RespSet
  | RespPush
  | RespVerbatim;

export class RespError {
  readonly message: string;
  constructor(message: string) {
    this.message = message;
  }
}
export class RespStatus {
  readonly text: string;
  constructor(text: string) {
    this.text = text;
  }
}
export class RespMap {
  readonly entries: Array<[RespValue, RespValue]>;
  constructor(entries: Array<[RespValue, RespValue]>) {
    this.entries = entries;
  }
}
export class RespSet {
  readonly items: RespValue[];
  constructor(items: RespValue[]) {
    this.items = items;
  }
}
export class RespPush {
  readonly items: RespValue[];
  constructor(items: RespValue[]) {
    this.items = items;
  }
}
export class RespVerbatim {
  readonly format: string;
  readonly text: string;
  constructor(format: string, text: string) {
    this.format = format;
    this.text = text;
  }
}

export class ReplyProtocolError extends Error {
  readonly code = 'RESP_PROTOCOL_ERROR';
}

/** Thrown internally when the buffer ends inside a reply. */
const INCOMPLETE = Symbol('incomplete');

export interface ParsedReply {
  value: RespValue;
  /** The reply's bytes (a view into the parser's buffer; copy to keep). */
  raw: Buffer;
}

export class ReplyParser {
  private buffer: Buffer = Buffer.alloc(0);
  private position = 0;
  private readonly maxDepth: number;

  constructor(maxDepth = 512) {
    this.maxDepth = maxDepth;
  }

  feed(chunk: Buffer): void {
    const left = this.buffer.length - this.position;
    if (left === 0) this.buffer = chunk;
    else this.buffer = Buffer.concat([this.buffer.subarray(this.position), chunk]);
    this.position = 0;
  }

  /** The next complete reply, or undefined when more bytes are needed. */
  next(): ParsedReply | undefined {
    if (this.position >= this.buffer.length) return undefined;
    const start = this.position;
    try {
      const value = this.parseValue(0);
      return { value, raw: this.buffer.subarray(start, this.position) };
    } catch (error) {
      if (error === INCOMPLETE) {
        this.position = start;
        return undefined;
      }
      throw error;
    }
  }

  private line(): string {
    const end = this.buffer.indexOf('\r\n', this.position);
    if (end < 0) throw INCOMPLETE;
    const text = this.buffer.latin1Slice(this.position + 1, end);
    this.position = end + 2;
    return text;
  }

  private integerLine(): number {
    const text = this.line();
    if (!/^-?\d+$/.test(text)) throw new ReplyProtocolError(`invalid length or integer '${text}'`);
    return Number(text);
  }

  private bytes(length: number): string {
    if (this.position + length + 2 > this.buffer.length) throw INCOMPLETE;
    const text = this.buffer.latin1Slice(this.position, this.position + length);
    this.position += length + 2;
    return text;
  }

  private items(count: number, depth: number): RespValue[] {
    const items: RespValue[] = [];
    for (let i = 0; i < count; i++) items.push(this.parseValue(depth + 1));
    return items;
  }

  private parseValue(depth: number): RespValue {
    if (depth > this.maxDepth) throw new ReplyProtocolError('reply nested too deeply');
    if (this.position >= this.buffer.length) throw INCOMPLETE;
    const type = this.buffer[this.position];
    switch (type) {
      case 43: // +
        return new RespStatus(this.line());
      case 45: // -
        return new RespError(this.line());
      case 58: {
        // :
        const text = this.line();
        const value = Number(text);
        return Number.isSafeInteger(value) ? value : BigInt(text);
      }
      case 36: {
        // $
        const length = this.integerLine();
        if (length < 0) return null;
        return this.bytes(length);
      }
      case 42: {
        // *
        const count = this.integerLine();
        if (count < 0) return null;
        return this.items(count, depth);
      }
      case 95: // _
        this.line();
        return null;
      case 44: {
        // ,
        const text = this.line();
        if (text === 'inf') return Number.POSITIVE_INFINITY;
        if (text === '-inf') return Number.NEGATIVE_INFINITY;
        return Number(text);
      }
      case 35: // #
        return this.line() === 't';
      case 40: // ( big number
        return BigInt(this.line());
      case 33: // ! blob error
        return new RespError(this.bytes(this.integerLine()));
      case 61: {
        // = verbatim
        const text = this.bytes(this.integerLine());
        return new RespVerbatim(text.slice(0, 3), text.slice(4));
      }
      case 37: {
        // % map
        const count = this.integerLine();
        const entries: Array<[RespValue, RespValue]> = [];
        for (let i = 0; i < count; i++)
          entries.push([this.parseValue(depth + 1), this.parseValue(depth + 1)]);
        return new RespMap(entries);
      }
      case 126: // ~ set
        return new RespSet(this.items(this.integerLine(), depth));
      case 62: // > push
        return new RespPush(this.items(this.integerLine(), depth));
      case 124: {
        // | attribute: parsed and dropped, the value follows
        const count = this.integerLine();
        for (let i = 0; i < count * 2; i++) this.parseValue(depth + 1);
        return this.parseValue(depth);
      }
      default:
        throw new ReplyProtocolError(`unexpected reply type byte 0x${(type ?? 0).toString(16)}`);
    }
  }
}
