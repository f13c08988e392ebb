import type { Socket } from 'node:net';

// One socket write per connection per event-loop turn: connections collect their output and ask
// for a flush; a single setImmediate per turn flushes every connection that asked.

export interface Flushable {
  flushQueued: boolean;
  flush(): void;
}

let queue: Flushable[] = [];
let scheduled = false;

function runFlushes(): void {
  scheduled = false;
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

/** Writes an output batch in one system call: small parts joined, large batches via writev. */
export function writeBatch(socket: Socket, parts: Buffer[], bytes: number): void {
  if (parts.length === 1) socket.write(parts[0] as Buffer);
  else if (bytes <= COPY_LIMIT) socket.write(Buffer.concat(parts, bytes));
  else {
    socket.cork();
    for (const part of parts) socket.write(part);
    socket.uncork();
  }
}
