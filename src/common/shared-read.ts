// Accepted connections that read into one shared buffer (Node's `onread`) instead of a fresh 64 KB
// allocation per read: no ArrayBuffer per read for the collector to track and free, and no Readable
// stream between the socket and the parser. Node takes `onread` only when it builds a socket, so
// the accepted connection's handle moves to a socket of ours (net.Socket's `handle` option, as
// net.Server builds the ones it accepts), and the emptied socket is destroyed so that the listener
// does not count it as open forever.
import { Socket, type SocketConstructorOpts } from 'node:net';

/**
 * The reads of the returned socket land in `buffer`, and `onRead(length)` takes them before the
 * next read reuses it; false from onRead stops reading until the socket's resume(). `socket` must
 * come from a server made with `pauseOnConnect` (nothing read yet). Without Node's private
 * `_handle` (another runtime), `socket` is returned as it is and its reads arrive as 'data' events.
 */
export function adoptWithSharedRead(
  socket: Socket,
  buffer: Buffer,
  onRead: (length: number) => boolean,
  allowHalfOpen = false,
): Socket {
  const accepted = socket as unknown as { _handle?: SocketConstructorOpts['handle'] | null };
  if (!accepted._handle) return socket;
  const reader = new Socket({
    handle: accepted._handle,
    allowHalfOpen,
    onread: { buffer, callback: onRead },
  });
  accepted._handle = null;
  socket.destroy();
  return reader;
}

/**
 * A shared read buffer and views of its first bytes. Each view built costs two calls into V8's
 * runtime (the buffer's ArrayBuffer, then the new view): with the reply's view, ~5% of a
 * codis-server's user time under small unpipelined requests (bench/RESULTS.md, session 17).
 * Requests of one shape arrive in reads of one length, so the last view is handed out again while
 * the length repeats.
 */
export class SharedReadBuffer {
  readonly bytes: Buffer;
  /** The ArrayBuffer under `bytes`, read once (see RequestParser.detach). */
  readonly memory: ArrayBufferLike;
  private lastView: Buffer;

  constructor(size: number) {
    this.bytes = Buffer.allocUnsafeSlow(size);
    this.memory = this.bytes.buffer;
    this.lastView = this.bytes;
  }

  /** The first `length` bytes read, valid until the next read. */
  view(length: number): Buffer {
    const last = this.lastView;
    if (last.length === length) return last;
    const view = this.bytes.subarray(0, length);
    this.lastView = view;
    return view;
  }
}
