// A bare RESP connection for tests: sends commands (or arbitrary bytes) and returns each reply's
// exact bytes, so a test can assert byte-for-byte what a server answered.
import { connect, type Socket } from 'node:net';
import { ReplyParser, type RespValue } from '../../src/resp/index.ts';

export interface RawReply {
  /** The reply's bytes as a latin1 string, e.g. '+OK\r\n'. */
  raw: string;
  value: RespValue;
}

export class RawConnection {
  private readonly socket: Socket;
  private readonly parser = new ReplyParser();
  private readonly replies: RawReply[] = [];
  private waiter: (() => void) | undefined;
  private ended = false;

  private constructor(socket: Socket) {
    this.socket = socket;
    socket.on('data', (chunk: Buffer) => {
      this.parser.feed(chunk);
      for (let reply = this.parser.next(); reply !== undefined; reply = this.parser.next()) {
        this.replies.push({ raw: reply.raw.latin1Slice(), value: reply.value });
      }
      this.wake();
    });
    socket.on('close', () => {
      this.ended = true;
      this.wake();
    });
    socket.on('error', () => {
      this.ended = true;
      this.wake();
    });
  }

  static open(port: number): Promise<RawConnection> {
    return new Promise((resolve, reject) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => resolve(new RawConnection(socket)));
      socket.once('error', reject);
    });
  }

  private wake(): void {
    const waiter = this.waiter;
    this.waiter = undefined;
    waiter?.();
  }

  /** Whether the server closed the connection. */
  get closed(): boolean {
    return this.ended;
  }

  /** Sends a command as a RESP multibulk (arguments are latin1 strings or Buffers). */
  send(...args: Array<string | number | Buffer>): void {
    const parts: Buffer[] = [Buffer.from(`*${args.length}\r\n`)];
    for (const arg of args) {
      const bytes = Buffer.isBuffer(arg) ? arg : Buffer.from(String(arg), 'latin1');
      parts.push(Buffer.from(`$${bytes.length}\r\n`), bytes, Buffer.from('\r\n'));
    }
    this.socket.write(Buffer.concat(parts));
  }

  /** Sends bytes as they are (inline commands, malformed frames). */
  sendRaw(bytes: string | Buffer): void {
    this.socket.write(typeof bytes === 'string' ? Buffer.from(bytes, 'latin1') : bytes);
  }

  /** The next reply; rejects when the connection closes first or after timeoutMs. */
  async reply(timeoutMs = 5000): Promise<RawReply> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const reply = this.replies.shift();
      if (reply !== undefined) return reply;
      if (this.ended) throw new Error('connection closed before a reply');
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no reply within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiter = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  }

  /** Sends a command and returns its reply's bytes. */
  async call(...args: Array<string | number | Buffer>): Promise<string> {
    this.send(...args);
    return (await this.reply()).raw;
  }

  /** Sends a command and returns its decoded reply. */
  async value(...args: Array<string | number | Buffer>): Promise<RespValue> {
    this.send(...args);
    return (await this.reply()).value;
  }

  /** Resolves once the server has closed the connection (or after timeoutMs, rejecting). */
  async waitClosed(timeoutMs = 5000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.ended) {
      if (Date.now() > deadline) throw new Error('connection still open');
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  /** Stops reading from the socket (a client that does not read its replies). */
  pauseReading(): void {
    this.socket.pause();
  }

  close(): void {
    this.socket.destroy();
  }
}
