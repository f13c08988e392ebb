// A list with O(1) access by position whose growth never copies more than one chunk. A JS array
// grows by allocating one 1.5 times larger and copying every element: past a million elements
// that copy stopped the server for tens of milliseconds (46 ms for a hash's two lists at
// 1,956,331 fields). Elements live in chunks of CHUNK_SIZE; only the last one grows or shrinks.

const CHUNK_BITS = 16;
export const CHUNK_SIZE = 1 << CHUNK_BITS;
const CHUNK_MASK = CHUNK_SIZE - 1;

export class ChunkedList<T> {
  private chunks: T[][] = [[]];
  private count = 0;

  get length(): number {
    return this.count;
  }

  /** The element at 0 <= index < length. */
  at(index: number): T {
    return (this.chunks[index >>> CHUNK_BITS] as T[])[index & CHUNK_MASK] as T;
  }

  /** Replaces the element at 0 <= index < length. */
  setAt(index: number, value: T): void {
    (this.chunks[index >>> CHUNK_BITS] as T[])[index & CHUNK_MASK] = value;
  }

  push(value: T): void {
    const chunks = this.chunks;
    const chunk = this.count >>> CHUNK_BITS;
    if (chunk === chunks.length) chunks.push([value]);
    else (chunks[chunk] as T[]).push(value);
    this.count++;
  }

  /** Removes the last element (the list must not be empty). */
  pop(): T {
    const chunks = this.chunks;
    const last = chunks[chunks.length - 1] as T[];
    const value = last.pop() as T;
    this.count--;
    if (last.length === 0 && chunks.length > 1) chunks.pop();
    return value;
  }

  /** Every element in order. */
  *values(): IterableIterator<T> {
    const chunks = this.chunks;
    for (let c = 0; c < chunks.length; c++) yield* chunks[c] as T[];
  }
}
