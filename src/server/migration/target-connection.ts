// A small non-blocking RESP client over one TCP socket, used by the source side of a migration to
// talk to the target: commands are encoded into one buffer and written once per event-loop turn,
// replies are parsed incrementally with the shared ReplyParser and handed to the owner in order.
import { connect, type Socket } from 'node:net';
import { ReplyParser, type RespValue } from '../../resp/index.ts';

export type CommandArgument = string | Buffer;

/** `*<n>\r\n` for the small arrays every message is. */
const ARRAY_HEADERS = Array.from({ length: 16 }, (_, n) => Buffer.from(`*${n}\r\n`, 'latin1'));
/** Bulk strings sent with (nearly) every message. */
const ENCODED_BULKS = new Map<string, Buffer>(
  [
    'SLOTSRESTORE-ASYNC',
    'delete',
    'string',
    'object',
    'expire',
    'list',
    'hash',
    'dict',
    'zset',
    '0',
    '1',
  ].map((text) => [text, Buffer.from(`$${text.length}\r\n${text}\r\n`, 'latin1')]),
);

const INITIAL_OUTPUT = 64 * 1024;
/** Output buffers kept for reuse once no pending write holds them (bigger ones are let go). */
const MAX_SPARES = 32;
const MAX_SPARE_BYTES = 4 * 1024 * 1024;
/** `*3 SLOTSRESTORE-ASYNC delete` and `*5 SLOTSRESTORE-ASYNC string`, up to the key. */
const DELETE_HEAD = Buffer.from('*3\r\n$18\r\nSLOTSRESTORE-ASYNC\r\n$6\r\ndelete\r\n', 'latin1');
const STRING_HEAD = Buffer.from('*5\r\n$18\r\nSLOTSRESTORE-ASYNC\r\n$6\r\nstring\r\n', 'latin1');

/**
 * The bytes queued for the target, encoded straight into a buffer (lengths as digits, short strings
 * byte by byte) and handed to the socket as views of it. A view the kernel did not take at once
 * stays referenced by the pending write, so the writer goes on after it in the same buffer and
 * moves to another buffer only when this one is full; a buffer is reused once every write that
 * holds a view of it has completed. Giving each pending write a fresh 64 KB buffer instead (a
 * write every 16 KB, many of them pending while a big key moves) made hundreds of MB of external
 * memory, and V8 answered one allocation in a thousand with a 200 ms collection.
 */
class MessageWriter {
  buffer: Buffer = Buffer.allocUnsafe(INITIAL_OUTPUT);
  /** The bytes not yet handed to the socket are buffer[start, length). */
  start = 0;
  length = 0;
  /** Pending writes per buffer holding views of it. */
  private readonly lent = new Map<Buffer, number>();
  private readonly spares: Buffer[] = [];

  /** Bytes queued and not yet handed to the socket. */
  get queued(): number {
    return this.length - this.start;
  }

  reserve(extra: number): void {
    const needed = this.length + extra;
    const current = this.buffer;
    if (needed <= current.length) return;
    const unsent = this.length - this.start;
    const free = !this.lent.has(current);
    if (free && unsent + extra <= current.length) {
      current.copyWithin(0, this.start, this.length);
      this.start = 0;
      this.length = unsent;
      return;
    }
    let size = INITIAL_OUTPUT;
    while (size < unsent + extra) size *= 2;
    let next = this.spares.pop();
    if (next !== undefined && next.length < size) {
      this.spares.push(next);
      next = undefined;
    }
    next ??= Buffer.allocUnsafe(size);
    current.copy(next, 0, this.start, this.length);
    if (free) this.giveBack(current);
    this.buffer = next;
    this.start = 0;
    this.length = unsent;
  }

  /** The queued bytes, as a view of the buffer; they count as handed over from now on. */
  view(): Buffer {
    const view = this.buffer.subarray(this.start, this.length);
    this.start = this.length;
    return view;
  }

  /** The view just taken was left pending: its buffer is held until returned() is called. */
  lend(): Buffer {
    const buffer = this.buffer;
    this.lent.set(buffer, (this.lent.get(buffer) ?? 0) + 1);
    return buffer;
  }

  /** The view just taken was written at once: when nothing else holds the buffer, start over. */
  written(): void {
    if (this.start === this.length && !this.lent.has(this.buffer)) {
      this.start = 0;
      this.length = 0;
    }
  }

  /** A pending write holding a view of `buffer` completed. */
  returned(buffer: Buffer): void {
    const holders = (this.lent.get(buffer) ?? 1) - 1;
    if (holders > 0) {
      this.lent.set(buffer, holders);
      return;
    }
    this.lent.delete(buffer);
    if (buffer !== this.buffer) this.giveBack(buffer);
    else this.written();
  }

  /** Drops everything queued (the connection is closing). */
  clear(): void {
    this.start = 0;
    this.length = 0;
  }

  private giveBack(buffer: Buffer): void {
    if (this.spares.length < MAX_SPARES && buffer.length <= MAX_SPARE_BYTES) this.spares.push(buffer);
  }

  bytes(bytes: Uint8Array): void {
    this.reserve(bytes.length);
    this.buffer.set(bytes, this.length);
    this.length += bytes.length;
  }

  /** `<prefix><n>\r\n` (array header or bulk length); room must be reserved. */
  private counted(prefix: number, n: number): void {
    const buffer = this.buffer;
    buffer[this.length++] = prefix;
    if (n < 10) buffer[this.length++] = 48 + n;
    else if (n < 100) {
      // Keys and small values: two digits without a string and a native write per bulk.
      const tens = (n / 10) | 0;
      buffer[this.length++] = 48 + tens;
      buffer[this.length++] = 48 + n - 10 * tens;
    } else this.length += buffer.latin1Write(String(n), this.length);
    buffer[this.length++] = 13;
    buffer[this.length++] = 10;
  }

  header(count: number): void {
    this.reserve(16);
    this.counted(42, count);
  }

  bulk(value: string): void {
    const size = value.length;
    this.reserve(size + 16);
    this.counted(36, size);
    const buffer = this.buffer;
    if (size < 24) {
      for (let i = 0; i < size; i++) buffer[this.length + i] = value.charCodeAt(i);
      this.length += size;
    } else this.length += buffer.latin1Write(value, this.length);
    buffer[this.length++] = 13;
    buffer[this.length++] = 10;
  }

  bulkBytes(value: Uint8Array): void {
    this.reserve(value.length + 16);
    this.counted(36, value.length);
    this.buffer.set(value, this.length);
    this.length += value.length;
    this.buffer[this.length++] = 13;
    this.buffer[this.length++] = 10;
  }
}

export interface TargetConnectionEvents {
  /** One reply, in the order of the commands sent. */
  onReply(value: RespValue): void;
  /**
   * Optional fast path for the async migration: a success ACK
   * (`*3 SLOTSRESTORE-ASYNC-ACK 0 <message>`) is handed over as its message's bytes,
   * `buffer[start, end)`, without building a reply value; anything else still goes to onReply.
   */
  onSuccessAck?(buffer: Buffer, start: number, end: number): void;
  /** After the success ACKs of one read were handed over (one clock read per read, not per ACK). */
  onSuccessAcksRead?(): void;
  /** The TCP connection is established. */
  onConnect?(): void;
  /** The connection is gone (EOF, socket error, protocol error); `error` is the cause if any. */
  onClose(error: NodeJS.ErrnoException | undefined): void;
}

export class TargetConnection {
  readonly host: string;
  readonly port: number;
  connected = false;
  closed = false;
  private readonly socket: Socket;
  private readonly parser = new ReplyParser();
  private readonly out = new MessageWriter();
  private flushScheduled = false;
  private events: TargetConnectionEvents;
  private error: NodeJS.ErrnoException | undefined;
  /** Bytes given to the generic parser and bytes of the replies it returned (idle when equal). */
  private parserFed = 0;
  private parserUsed = 0;
  /** The start of a success ACK cut by the end of the last chunk (fast path). */
  private tail: Buffer | undefined;

  constructor(host: string, port: number, events: TargetConnectionEvents) {
    this.host = host;
    this.port = port;
    this.events = events;
    const socket = connect({ host, port, noDelay: true });
    this.socket = socket;
    socket.on('connect', () => {
      this.connected = true;
      this.events.onConnect?.();
    });
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (error: NodeJS.ErrnoException) => {
      this.error ??= error;
      this.close();
    });
    socket.on('close', () => this.close());
  }

  /** Replaces who is told about replies and the close (the connection cache hands it over). */
  setEvents(events: TargetConnectionEvents): void {
    this.events = events;
  }

  /** Queues one command as a RESP array of bulk strings; written at the end of this turn. */
  send(args: readonly CommandArgument[]): void {
    if (this.closed) return;
    const out = this.out;
    const count = args.length;
    const header = ARRAY_HEADERS[count];
    if (header !== undefined) out.bytes(header);
    else out.header(count);
    for (let i = 0; i < count; i++) {
      const arg = args[i] as CommandArgument;
      if (typeof arg !== 'string') out.bulkBytes(arg);
      else {
        // The command names and subcommands of the migration messages, encoded once.
        const encoded = arg.length <= 32 ? ENCODED_BULKS.get(arg) : undefined;
        if (encoded !== undefined) out.bytes(encoded);
        else out.bulk(arg);
      }
    }
    this.scheduleFlush();
  }

  /**
   * A small string key's two messages, `SLOTSRESTORE-ASYNC delete <key>` and
   * `SLOTSRESTORE-ASYNC string <key> <ttl> <value>`, encoded straight into the output.
   */
  sendString(key: string, ttl: string, value: string): void {
    if (this.closed) return;
    const out = this.out;
    out.bytes(DELETE_HEAD);
    out.bulk(key);
    out.bytes(STRING_HEAD);
    out.bulk(key);
    out.bulk(ttl);
    out.bulk(value);
    this.scheduleFlush();
  }

  /**
   * A message written piece by piece: its array header here, then `count` bulks through
   * messageBulk / messageBytes (a big collection's chunk, without an argument array).
   */
  beginMessage(count: number): void {
    this.out.header(count);
    this.scheduleFlush();
  }

  messageBulk(value: string): void {
    const encoded = value.length <= 32 ? ENCODED_BULKS.get(value) : undefined;
    if (encoded !== undefined) this.out.bytes(encoded);
    else this.out.bulk(value);
  }

  messageBytes(value: Uint8Array): void {
    this.out.bulkBytes(value);
  }

  private scheduleFlush(): void {
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(this.flushBound);
    }
  }

  private readonly flushBound = (): void => this.flush();

  /** Bytes queued in this event-loop turn (not yet handed to the socket). */
  get queuedBytes(): number {
    return this.out.queued;
  }

  /** Bytes queued and not yet handed to the kernel. */
  get pendingBytes(): number {
    return this.out.queued + this.socket.writableLength;
  }

  flush(): void {
    this.flushScheduled = false;
    this.write();
  }

  /** Hands the queued bytes to the socket now (the flush already scheduled for the turn stays). */
  write(): void {
    if (this.closed || this.out.queued === 0) return;
    const socket = this.socket;
    socket.write(this.out.view(), this.writtenBound);
    // Usually the kernel takes every byte at once and the buffer is written from its start again;
    // a write left pending (or queued behind one) holds its view until its callback.
    if (socket.writableLength > 0) this.lentTo.push(this.out.lend());
    else {
      this.lentTo.push(undefined);
      this.out.written();
    }
  }

  /** Per write in flight, in write order: the buffer its view belongs to if it was left pending. */
  private readonly lentTo: Array<Buffer | undefined> = [];

  /** Write callbacks run in write order. */
  private readonly writtenBound = (): void => {
    const buffer = this.lentTo.shift();
    if (buffer !== undefined) this.out.returned(buffer);
  };

  private onData(chunk: Buffer): void {
    const onSuccessAck = this.events.onSuccessAck;
    if (onSuccessAck !== undefined && this.parserFed === this.parserUsed) {
      let buffer = chunk;
      if (this.tail !== undefined) {
        buffer = Buffer.concat([this.tail, chunk]);
        this.tail = undefined;
      }
      const length = buffer.length;
      let at = 0;
      while (at < length) {
        if (this.closed) return;
        const end = successAckEnd(buffer, at);
        if (end === INCOMPLETE_ACK) {
          this.tail = buffer.subarray(at);
          if (at > 0) this.events.onSuccessAcksRead?.();
          return;
        }
        if (end < 0) break;
        // The message sits between its length line and the final CRLF.
        onSuccessAck(buffer, messageStart, end - 2);
        at = end;
      }
      if (at > 0) this.events.onSuccessAcksRead?.();
      if (at >= length) return;
      chunk = buffer.subarray(at);
    }
    this.parserFed += chunk.length;
    this.parser.feed(chunk);
    for (;;) {
      if (this.closed) return;
      let parsed: ReturnType<ReplyParser['next']>;
      try {
        parsed = this.parser.next();
      } catch (error) {
        this.error ??= error as NodeJS.ErrnoException;
        this.close();
        return;
      }
      if (parsed === undefined) return;
      this.parserUsed += parsed.raw.length;
      this.events.onReply(parsed.value);
    }
  }

  /** Closes the socket; the owner's onClose runs once. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.out.clear();
    this.socket.destroy();
    this.events.onClose(this.error);
  }
}

/** `*3 $22 SLOTSRESTORE-ASYNC-ACK $1 0 $`: every success ACK starts with these bytes. */
const ACK_PREFIX = Buffer.from('*3\r\n$22\r\nSLOTSRESTORE-ASYNC-ACK\r\n$1\r\n0\r\n$', 'latin1');
const INCOMPLETE_ACK = -2;
/** Where the message of the last ACK matched by successAckEnd starts. */
let messageStart = 0;

/**
 * The end of the success ACK at `at` (its message starts at `messageStart`), INCOMPLETE_ACK when
 * the bytes so far are the start of one, -1 when they are something else.
 */
function successAckEnd(buffer: Buffer, at: number): number {
  const length = buffer.length;
  const prefix = ACK_PREFIX.length;
  let i = 0;
  for (; i < prefix && at + i < length; i++) if (buffer[at + i] !== ACK_PREFIX[i]) return -1;
  if (i < prefix) return INCOMPLETE_ACK;
  let position = at + prefix;
  let size = 0;
  let digits = 0;
  for (;;) {
    if (position >= length) return INCOMPLETE_ACK;
    const byte = buffer[position] as number;
    if (byte < 48 || byte > 57) break;
    size = size * 10 + byte - 48;
    position++;
    if (++digits > 9) return -1;
  }
  if (digits === 0 || buffer[position] !== 13) return -1;
  if (position + 1 >= length) return INCOMPLETE_ACK;
  if (buffer[position + 1] !== 10) return -1;
  const start = position + 2;
  const end = start + size + 2;
  if (end > length) return INCOMPLETE_ACK;
  if (buffer[end - 2] !== 13 || buffer[end - 1] !== 10) return -1;
  messageStart = start;
  return end;
}

/** A host name that cannot be resolved (Codis reports these when connecting). */
export function isResolutionError(error: NodeJS.ErrnoException | undefined): boolean {
  return error !== undefined && (error.code === 'ENOTFOUND' || error.code === 'EAI_AGAIN');
}
