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

/** Concatenates an output batch for one write (a single buffer is written as it is). */
export function joinOutput(parts: Buffer[], bytes: number): Buffer {
  return parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts, bytes);
}
