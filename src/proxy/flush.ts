import type { SocketWriter } from '../common/socket-writer.ts';

// One socket write per connection per event-loop turn: connections collect their output and ask
// for a flush; a single setImmediate per turn flushes every connection that asked.

export interface Flushable {
  flushQueued: boolean;
  flush(): void;
}

let queue: Flushable[] = [];
let scheduled = false;

/** Whoever sends requests to backends (a session): counted once per window in busyTurn. */
export interface TurnSender {
  sentInWindow: number;
}

/** Sessions that sent to backends in the current window; the window's number and start. */
let sendersThisWindow = 0;
let window = 0;
let windowStartedAt = 0;
let busy = false;
/** performance.now() at the start of the current flush turn (see turnTime). */
let turnStartedAt = 0;

/** A request of `sender` is on its way to a backend. */
export function noteSender(sender: TurnSender): void {
  if (sender.sentInWindow === window) return;
  sender.sentInWindow = window;
  if (++sendersThisWindow >= BUSY_SENDERS) busy = true;
}

/** The windows (ms) in which sessions are counted (see busyTurn). */
const WINDOW = 1;
/** Requests from this many sessions in a window make the proxy busy, for the next window too. */
const BUSY_SENDERS = 20;

/**
 * Whether the proxy is busy: requests from many sessions in this window or the last one. A small
 * backend batch may then wait for the requests arriving meanwhile (BackendConnection#flush). With
 * a few sessions, their requests would be the ones waiting, and nothing more would come: with 4 or
 * 10 clients, waiting cost a third of their requests/s (bench/RESULTS.md, session 17).
 */
export function busyTurn(): boolean {
  return busy;
}

/** The time (performance.now() ms) the current flush turn started: one clock read per turn. */
export function turnTime(): number {
  return turnStartedAt;
}

function runFlushes(): void {
  scheduled = false;
  const now = performance.now();
  turnStartedAt = now;
  // Every request brings a turn, so a window ends within a turn of its millisecond.
  if (now - windowStartedAt >= WINDOW) {
    busy = sendersThisWindow >= BUSY_SENDERS;
    sendersThisWindow = 0;
    window++;
    windowStartedAt = now;
  }
  const batch = queue;
  queue = [];
  for (let i = 0; i < batch.length; i++) {
    const item = batch[i] as Flushable;
    item.flushQueued = false;
    item.flush();
  }
}

export function scheduleFlush(item: Flushable): void {
  if (item.flushQueued) return;
  item.flushQueued = true;
  queue.push(item);
  if (!scheduled) {
    scheduled = true;
    setImmediate(runFlushes);
  }
}

/** Above this, a batch is written as its parts (one writev) instead of being copied into one. */
const COPY_LIMIT = 256 * 1024;
/**
 * Batches are copied into slices of a shared slab rather than a fresh Buffer each (Buffer.concat
 * allocates a new backing store for anything over 4 KB, the common case for 1 KB values). A slice
 * is never reused: a socket may hold it until its write completes, and the slab is freed once no
 * slice of it is referenced. A socket that is already backed up gets a buffer of its own, so a slow
 * reader cannot pin many slabs.
 */
const SLAB_SIZE = 1024 * 1024;
let slab = Buffer.allocUnsafeSlow(SLAB_SIZE);
let slabUsed = 0;

/** Pieces up to this size are cut from the slab; larger ones get their own buffer. */
const SLAB_PIECE_LIMIT = 64 * 1024;

/**
 * A buffer of `size` bytes for request bytes bound for a backend (split sub-requests), which live
 * until the backend answers. Node's own pool serves only up to 4 KB: beyond that each
 * Buffer.allocUnsafe is a new backing store for the garbage collector to track and free, per
 * request. A slice is never handed out twice (see the slab above). Not for client replies: one
 * stuck in a slow client's socket would pin a whole slab.
 */
export function slabBuffer(size: number): Buffer {
  if (size > SLAB_PIECE_LIMIT) return Buffer.allocUnsafe(size);
  if (slabUsed + size > SLAB_SIZE) {
    slab = Buffer.allocUnsafeSlow(SLAB_SIZE);
    slabUsed = 0;
  }
  const from = slabUsed;
  slabUsed = (from + size + 7) & ~7;
  return slab.subarray(from, from + size);
}

/** Writes an output batch in one system call: small parts joined, large batches via writev. */
export function writeBatch(writer: SocketWriter, parts: Buffer[], bytes: number): void {
  const count = parts.length;
  if (count === 1) writer.write(parts[0] as Buffer);
  else if (bytes <= COPY_LIMIT && writer.queued > 0) writer.write(Buffer.concat(parts, bytes));
  else if (bytes <= COPY_LIMIT) {
    if (slabUsed + bytes > SLAB_SIZE) {
      slab = Buffer.allocUnsafeSlow(SLAB_SIZE);
      slabUsed = 0;
    }
    const from = slabUsed;
    let at = from;
    for (let i = 0; i < count; i++) {
      const part = parts[i] as Buffer;
      slab.set(part, at);
      at += part.length;
    }
    // Slices start on 8-byte boundaries, as Node's own pool does.
    const end = (at + 7) & ~7;
    slabUsed = end;
    writer.write(slab.subarray(from, at));
    // Handed to the kernel at once (the usual case): nothing holds the slice any more, so the next
    // batch reuses the same, cache-warm bytes. Without this every 1 MB of output took a new slab,
    // and those slabs, kept past two scavenges, made V8 run a full mark-compact every ~4,000
    // 10-key MSETs (bench/RESULTS.md, session 10).
    if (writer.queued === 0 && slabUsed === end) slabUsed = from;
  } else {
    const socket = writer.socket;
    socket.cork();
    for (const part of parts) socket.write(part);
    socket.uncork();
  }
}
