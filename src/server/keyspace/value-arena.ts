// String values of 128 bytes to 128 KB live outside V8's heap, in chunks of big Buffers, the way
// Redis keeps them in jemalloc's size classes. As JS strings they were the server's main garbage:
// every SET made a young string the scavenger copied twice before it reached the old generation,
// and every overwrite left the old value there, so the heap grew to hundreds of megabytes over
// ten megabytes of data and each full collection paused for ~50 ms (bench/RESULTS.md, session 13).
// A chunk is copied in once and freed at once when the value is replaced; reads copy the bytes
// straight into a reply, or make a string only for commands that work on one.
//
// Sizes: 4 classes per power of two (at most 25% of a chunk unused), each class in pages of at
// least 1 MB. A freed chunk is reused by the next value of its class; a class's pages are released
// when it holds no value (FLUSHALL, DEL of everything), as jemalloc keeps freed runs for reuse.

/** Shortest value kept in the arena: shorter strings cost V8 little to copy. */
export const ARENA_MIN_LENGTH = 128;
/** Longest value kept in the arena: V8 puts strings above 128 KB in its large-object space, uncopied. */
export const ARENA_MAX_LENGTH = 128 * 1024;

const PAGE_BYTES = 1024 * 1024;
const MIN_CHUNKS_PER_PAGE = 8;
/** A chunk handle is (class << CLASS_SHIFT) | index within the class. */
const CLASS_SHIFT = 24;
const INDEX_MASK = (1 << CLASS_SHIFT) - 1;
/** Class lookup granularity: lengths are rounded up to this many bytes first. */
const UNIT_SHIFT = 5;

class SizeClass {
  readonly chunkBytes: number;
  readonly chunksPerPage: number;
  readonly pageBytes: number;
  pages: Buffer[] = [];
  /** Freed chunk indexes, a stack. */
  private freed = new Int32Array(16);
  private freedCount = 0;
  /** Chunks handed out so far from the pages (the next never-used index). */
  private used = 0;
  /** Chunks holding a value. */
  private live = 0;

  /** How many chunks the class may hand out (a handle's index bits; fewer in tests). */
  private readonly maxChunks: number;

  constructor(chunkBytes: number, maxChunks: number) {
    this.chunkBytes = chunkBytes;
    this.maxChunks = maxChunks;
    this.chunksPerPage = Math.max(MIN_CHUNKS_PER_PAGE, Math.floor(PAGE_BYTES / chunkBytes));
    this.pageBytes = this.chunksPerPage * chunkBytes;
  }

  /** A free chunk's index, or -1 when the class has handed out all the indexes a handle holds. */
  allocate(): number {
    if (this.freedCount > 0) {
      this.live++;
      return this.freed[--this.freedCount] as number;
    }
    const index = this.used;
    if (index === this.pages.length * this.chunksPerPage) {
      if (index + this.chunksPerPage > this.maxChunks) return -1;
      this.pages.push(Buffer.allocUnsafeSlow(this.pageBytes));
    }
    this.used++;
    this.live++;
    return index;
  }

  release(index: number): void {
    if (--this.live === 0) {
      // Nothing left in this class: give its memory back instead of keeping a free list of it.
      this.pages = [];
      this.freed = new Int32Array(16);
      this.freedCount = 0;
      this.used = 0;
      return;
    }
    if (this.freedCount === this.freed.length) {
      const grown = new Int32Array(this.freed.length * 2);
      grown.set(this.freed);
      this.freed = grown;
    }
    this.freed[this.freedCount++] = index;
  }

  page(index: number): Buffer {
    return this.pages[(index / this.chunksPerPage) | 0] as Buffer;
  }

  offset(index: number): number {
    return (index % this.chunksPerPage) * this.chunkBytes;
  }
}

/** The chunk sizes: ARENA_MIN_LENGTH, then 4 steps per power of two up to ARENA_MAX_LENGTH. */
function chunkSizes(): number[] {
  const sizes: number[] = [];
  for (let size = ARENA_MIN_LENGTH; size <= ARENA_MAX_LENGTH; ) {
    sizes.push(size);
    size += 2 ** Math.floor(Math.log2(size)) / 4;
  }
  return sizes;
}

export class ValueArena {
  private readonly classes: SizeClass[];
  /** Bytes of the chunks holding values (read per write under maxmemory: kept, not summed). */
  private used = 0;
  /** Class index by ceil(length / 2^UNIT_SHIFT). */
  private readonly classByUnits: Uint8Array;

  constructor(maxChunksPerClass = INDEX_MASK + 1) {
    const sizes = chunkSizes();
    this.classes = sizes.map((size) => new SizeClass(size, maxChunksPerClass));
    this.classByUnits = new Uint8Array((ARENA_MAX_LENGTH >> UNIT_SHIFT) + 1);
    let sizeClass = 0;
    for (let units = 0; units < this.classByUnits.length; units++) {
      while ((sizes[sizeClass] as number) < units << UNIT_SHIFT) sizeClass++;
      this.classByUnits[units] = sizeClass;
    }
  }

  /** Whether a string of this length belongs in the arena. */
  static fits(length: number): boolean {
    return length >= ARENA_MIN_LENGTH && length <= ARENA_MAX_LENGTH;
  }

  /**
   * Copies a latin1 string (ValueArena.fits its length) into a new chunk; returns its handle, or
   * -1 when its class is full (2^24 chunks: 2 GB of the smallest values, 2 TB of the largest),
   * and the value stays a string in V8's heap.
   */
  store(text: string): number {
    const classIndex = this.classByUnits[(text.length + (1 << UNIT_SHIFT) - 1) >> UNIT_SHIFT] as number;
    const sizeClass = this.classes[classIndex] as SizeClass;
    const index = sizeClass.allocate();
    if (index < 0) return -1;
    this.used += sizeClass.chunkBytes;
    sizeClass.page(index).latin1Write(text, sizeClass.offset(index), text.length);
    return (classIndex << CLASS_SHIFT) | index;
  }

  /** store() for bytes[start, start + length): the same chunk, copied without a string. */
  storeBytes(bytes: Buffer, start: number, length: number): number {
    const classIndex = this.classByUnits[(length + (1 << UNIT_SHIFT) - 1) >> UNIT_SHIFT] as number;
    const sizeClass = this.classes[classIndex] as SizeClass;
    const index = sizeClass.allocate();
    if (index < 0) return -1;
    this.used += sizeClass.chunkBytes;
    bytes.copy(sizeClass.page(index), sizeClass.offset(index), start, start + length);
    return (classIndex << CLASS_SHIFT) | index;
  }

  free(chunk: number): void {
    const sizeClass = this.classes[chunk >>> CLASS_SHIFT] as SizeClass;
    this.used -= sizeClass.chunkBytes;
    sizeClass.release(chunk & INDEX_MASK);
  }

  /** The first `length` bytes of a chunk as a latin1 string. */
  read(chunk: number, length: number): string {
    const sizeClass = this.classes[chunk >>> CLASS_SHIFT] as SizeClass;
    const index = chunk & INDEX_MASK;
    const start = sizeClass.offset(index);
    return sizeClass.page(index).latin1Slice(start, start + length);
  }

  /** The Buffer holding a chunk (its bytes start at offsetOf(chunk)). */
  pageOf(chunk: number): Buffer {
    return (this.classes[chunk >>> CLASS_SHIFT] as SizeClass).page(chunk & INDEX_MASK);
  }

  offsetOf(chunk: number): number {
    return (this.classes[chunk >>> CLASS_SHIFT] as SizeClass).offset(chunk & INDEX_MASK);
  }

  /** Bytes a chunk occupies (its class's size: what MEMORY USAGE counts for the value). */
  chunkBytes(chunk: number): number {
    return (this.classes[chunk >>> CLASS_SHIFT] as SizeClass).chunkBytes;
  }

  /** Bytes of the chunks holding values. */
  get usedBytes(): number {
    return this.used;
  }

  /** Bytes of all pages (held values, freed chunks kept for reuse, never-used chunks). */
  get reservedBytes(): number {
    let bytes = 0;
    for (const sizeClass of this.classes) bytes += sizeClass.pages.length * sizeClass.pageBytes;
    return bytes;
  }
}

/**
 * The process's arena: keys of every database share it, as Redis's databases share one allocator
 * (an Entry stores its value without knowing its server).
 */
export const valueArena = new ValueArena();
