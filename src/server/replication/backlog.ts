// The replication backlog: a ring buffer of the last repl-backlog-size bytes of the replication
// stream, so a replica that reconnects can continue from its offset (PSYNC → +CONTINUE).

export class Backlog {
  private buffer: Buffer;
  /** Next write position in the ring. */
  private index = 0;
  /** Bytes of history held (at most the buffer's size). */
  historyLength = 0;
  /** Offset of the last byte written (master_repl_offset). */
  offset: number;

  constructor(size: number, offset: number) {
    this.buffer = Buffer.alloc(Math.max(1, size));
    this.offset = offset;
  }

  get size(): number {
    return this.buffer.length;
  }

  /** Offset of the oldest byte held (repl_backlog_first_byte_offset). */
  get firstByteOffset(): number {
    return this.offset - this.historyLength + 1;
  }

  append(bytes: Uint8Array): void {
    this.offset += bytes.length;
    const size = this.buffer.length;
    let source = bytes;
    if (source.length > size) source = source.subarray(source.length - size);
    const first = Math.min(size - this.index, source.length);
    this.buffer.set(source.subarray(0, first), this.index);
    if (first < source.length) this.buffer.set(source.subarray(first), 0);
    this.index = (this.index + source.length) % size;
    this.historyLength = Math.min(size, this.historyLength + source.length);
  }

  /** Whether the bytes from `from` (inclusive) up to the current offset are all held. */
  covers(from: number): boolean {
    return from >= this.firstByteOffset && from <= this.offset + 1;
  }

  /** The bytes from offset `from` to the end, assuming covers(from). */
  readFrom(from: number): Buffer {
    const count = this.offset + 1 - from;
    if (count <= 0) return Buffer.alloc(0);
    const size = this.buffer.length;
    const start = (this.index - count + size * 2) % size;
    if (start + count <= size) return Buffer.from(this.buffer.subarray(start, start + count));
    return Buffer.concat([this.buffer.subarray(start), this.buffer.subarray(0, count - (size - start))]);
  }

  /** Changes the size (CONFIG SET repl-backlog-size), keeping the newest history that fits. */
  resize(size: number): void {
    const keep = Math.min(this.historyLength, size);
    const history = this.readFrom(this.offset + 1 - keep);
    this.buffer = Buffer.alloc(Math.max(1, size));
    this.index = 0;
    this.historyLength = 0;
    const offset = this.offset - keep;
    this.offset = offset;
    this.append(history);
  }
}
