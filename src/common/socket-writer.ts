// Writes to a socket straight through its libuv handle when nothing is queued in front of them.
// net.Socket#write runs the Writable state machine, builds a WriteWrap and schedules an afterWrite
// tick for every write, even when the kernel takes every byte at once, which is what a small reply
// almost always does. That bookkeeping was a fifth of the proxy's allocations and about 0.3 µs of
// CPU per write (bench/RESULTS.md, session 15). Here the handle's writeBuffer is called with one
// reusable request object: a write the kernel takes whole never touches it; a write left partly
// queued by libuv binds it, and the writer tracks that write until its completion arrives.
import type { Socket } from 'node:net';
import { getSystemErrorName } from 'node:util';

/** Node's stream_wrap binding: what lib/internal/stream_base_commons.js uses for the same job. */
interface StreamWrapBinding {
  WriteWrap: new () => PendingWrite;
  streamBaseState: Int32Array;
  kLastWriteWasAsync: number;
}

interface StreamHandle {
  writeBuffer(request: PendingWrite, data: Uint8Array): number;
}

/** A write libuv queued: kept alive with its bytes until `oncomplete`. */
interface PendingWrite {
  oncomplete?: (this: PendingWrite, status: number) => void;
  buffer?: Uint8Array | undefined;
  writer?: SocketWriter | undefined;
  bytes?: number;
}

function loadBinding(): StreamWrapBinding | undefined {
  try {
    const binding = (process as unknown as { binding?: (name: string) => unknown }).binding?.(
      'stream_wrap',
    ) as Partial<StreamWrapBinding> | undefined;
    if (
      typeof binding?.WriteWrap === 'function' &&
      binding.streamBaseState instanceof Int32Array &&
      typeof binding.kLastWriteWasAsync === 'number'
    ) {
      return binding as StreamWrapBinding;
    }
  } catch {
    // Another runtime, or a Node without the binding: every write goes through net.Socket.
  }
  return undefined;
}

const binding = loadBinding();
const streamState = binding?.streamBaseState;
const LAST_WRITE_WAS_ASYNC = binding?.kLastWriteWasAsync ?? 0;

function onWriteComplete(this: PendingWrite, status: number): void {
  const writer = this.writer as SocketWriter;
  const bytes = this.bytes as number;
  this.buffer = undefined;
  this.writer = undefined;
  writer.completed(bytes, status);
}

export class SocketWriter {
  readonly socket: Socket;
  /** Bytes of direct writes that libuv still holds. */
  private pending = 0;
  private spare: PendingWrite | undefined;
  private drainWanted = false;

  constructor(socket: Socket) {
    this.socket = socket;
    this.spare = binding === undefined ? undefined : new binding.WriteWrap();
  }

  /**
   * Writes `data`, which must stay unchanged until `queued` is back to 0 (it is not copied).
   * Returns false when the output is over the socket's high-water mark: 'drain' follows.
   */
  write(data: Uint8Array): boolean {
    const socket = this.socket;
    const handle = (socket as unknown as { _handle?: StreamHandle | null })._handle;
    const request = this.spare;
    // Behind a write still queued (a direct one, or net.Socket's own), net.Socket takes over: it
    // gathers the writes made meanwhile into one writev when the one in progress completes, where
    // direct writes would each be queued in libuv as a write request of its own. A socket that is
    // connecting, ended or closed keeps net.Socket's behaviour too (buffering, errors).
    if (
      request === undefined ||
      handle == null ||
      this.pending !== 0 ||
      socket.writableLength !== 0 ||
      socket.connecting ||
      socket.writableEnded ||
      socket.destroyed
    ) {
      return socket.write(data);
    }
    const error = handle.writeBuffer(request, data);
    // A failed write (the peer is gone) sent nothing: net.Socket sends it again and reports the
    // error its usual way ('error', then 'close').
    if (error !== 0) return socket.write(data);
    if ((streamState as Int32Array)[LAST_WRITE_WAS_ASYNC] === 0) return true;
    // libuv kept the rest: the request is bound to that write now.
    request.buffer = data;
    request.writer = this;
    request.bytes = data.length;
    request.oncomplete = onWriteComplete;
    this.spare = new (binding as StreamWrapBinding).WriteWrap();
    this.pending += data.length;
    if (this.queued < socket.writableHighWaterMark) return true;
    this.drainWanted = true;
    return false;
  }

  /** Bytes handed over and not yet taken by the kernel. */
  get queued(): number {
    return this.pending + this.socket.writableLength;
  }

  /** A write returned false and 'drain' has not followed yet. */
  get needsDrain(): boolean {
    return this.drainWanted || this.socket.writableNeedDrain;
  }

  /** @internal A direct write finished (status < 0: it failed). */
  completed(bytes: number, status: number): void {
    this.pending -= bytes;
    const socket = this.socket;
    if (socket.destroyed) return;
    if (status < 0) {
      const code = getSystemErrorName(status);
      socket.destroy(Object.assign(new Error(`write ${code}`), { errno: status, code, syscall: 'write' }));
      return;
    }
    if (this.pending === 0 && this.drainWanted) {
      this.drainWanted = false;
      // When net.Socket holds a backlog of its own, its 'drain' comes once that is written too.
      if (!socket.writableNeedDrain) socket.emit('drain');
    }
  }
}
