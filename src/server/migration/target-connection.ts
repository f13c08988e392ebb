// A small non-blocking RESP client over one TCP socket, used by the source side of a migration to
// talk to the target: commands are encoded into one buffer and written once per event-loop turn,
// replies are parsed incrementally with the shared ReplyParser and handed to the owner in order.
import { connect, type Socket } from 'node:net';
import { ReplyParser, ReplyWriter, type RespValue } from '../../resp/index.ts';

export type CommandArgument = string | Buffer;

export interface TargetConnectionEvents {
  /** One reply, in the order of the commands sent. */
  onReply(value: RespValue): void;
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
  private readonly out = new ReplyWriter();
  private flushScheduled = false;
  private events: TargetConnectionEvents;
  private error: NodeJS.ErrnoException | undefined;

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
    out.arrayHeader(args.length);
    for (const arg of args) {
      if (typeof arg === 'string') out.bulk(arg);
      else out.bulkBytes(arg);
    }
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => this.flush());
    }
  }

  /** Bytes queued in this event-loop turn (not yet handed to the socket). */
  get queuedBytes(): number {
    return this.out.length;
  }

  /** Bytes queued and not yet handed to the kernel. */
  get pendingBytes(): number {
    return this.out.length + this.socket.writableLength;
  }

  flush(): void {
    this.flushScheduled = false;
    if (this.closed || this.out.length === 0) return;
    this.socket.write(this.out.take());
  }

  private onData(chunk: Buffer): void {
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
      this.events.onReply(parsed.value);
    }
  }

  /** Closes the socket; the owner's onClose runs once. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.out.length = 0;
    this.socket.destroy();
    this.events.onClose(this.error);
  }
}

/** A host name that cannot be resolved (Codis reports these when connecting). */
export function isResolutionError(error: NodeJS.ErrnoException | undefined): boolean {
  return error !== undefined && (error.code === 'ENOTFOUND' || error.code === 'EAI_AGAIN');
}
