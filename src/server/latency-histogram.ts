// Per-command latency histograms (Redis 7.0's latency tracking): an HDR histogram with Redis's
// parameters (1 ns to 1 s, 2 significant digits), laid out as hdr_histogram lays its counts, so
// percentiles (INFO latencystats) and the cumulative distribution (LATENCY HISTOGRAM) come out
// exactly as Redis computes them from the same samples.

/** 2 significant digits: 256 sub-buckets, half of them per bucket after the first. */
const SUB_BUCKET_COUNT = 256;
const SUB_BUCKET_HALF_COUNT = 128;
const SUB_BUCKET_HALF_MAGNITUDE = 7;
const SUB_BUCKET_MASK = SUB_BUCKET_COUNT - 1;
/** Buckets needed to reach 1 s in nanoseconds (hdr_init's buckets_needed_to_cover_value). */
const BUCKET_COUNT = 23;
const COUNTS_LENGTH = (BUCKET_COUNT + 1) * SUB_BUCKET_HALF_COUNT;
export const LATENCY_MIN_NS = 1;
export const LATENCY_MAX_NS = 1_000_000_000;

function bucketIndex(value: number): number {
  // 64 - clz64(value | mask) - (half magnitude + 1), for values below 2^31 here.
  return 32 - Math.clz32(value | SUB_BUCKET_MASK) - (SUB_BUCKET_HALF_MAGNITUDE + 1);
}

/** The counts index of a value (counts_index_for). */
function indexOf(value: number): number {
  const bucket = bucketIndex(value);
  // A shift, not value / 2 ** bucket: values are integers below 2^31, and the power was a call to
  // the C library's pow() for every command recorded.
  const sub = value >>> bucket;
  return ((bucket + 1) << SUB_BUCKET_HALF_MAGNITUDE) + (sub - SUB_BUCKET_HALF_COUNT);
}

/** The lowest value counted at an index (hdr_value_at_index). */
function valueAtIndex(index: number): number {
  let bucket = (index >> SUB_BUCKET_HALF_MAGNITUDE) - 1;
  let sub = (index & (SUB_BUCKET_HALF_COUNT - 1)) + SUB_BUCKET_HALF_COUNT;
  if (bucket < 0) {
    sub -= SUB_BUCKET_HALF_COUNT;
    bucket = 0;
  }
  return sub * 2 ** bucket;
}

/** The lowest value equivalent to `value` (the start of its bucket's range). */
function lowestEquivalent(value: number): number {
  const bucket = bucketIndex(value);
  return Math.floor(value / 2 ** bucket) * 2 ** bucket;
}

/** The highest value equivalent to `value`. */
export function highestEquivalent(value: number): number {
  const bucket = bucketIndex(value);
  const sub = Math.floor(value / 2 ** bucket);
  const adjusted = sub >= SUB_BUCKET_COUNT ? bucket + 1 : bucket;
  return lowestEquivalent(value) + 2 ** adjusted - 1;
}

export class LatencyHistogram {
  private readonly counts = new Float64Array(COUNTS_LENGTH);
  totalCount = 0;
  private maxIndex = 0;

  /** Records a latency in nanoseconds (clamped to Redis's range). */
  record(nanoseconds: number): void {
    const value = Math.min(LATENCY_MAX_NS, Math.max(LATENCY_MIN_NS, Math.floor(nanoseconds)));
    const index = indexOf(value);
    (this.counts as Float64Array)[index] = (this.counts[index] as number) + 1;
    this.totalCount++;
    if (index > this.maxIndex) this.maxIndex = index;
  }

  /** hdr_value_at_percentile, in nanoseconds. */
  valueAtPercentile(percentile: number): number {
    const requested = Math.min(percentile, 100);
    const target = Math.max(1, Math.floor((requested / 100) * this.totalCount + 0.5));
    let count = 0;
    for (let index = 0; index <= this.maxIndex; index++) {
      count += this.counts[index] as number;
      if (count >= target) {
        const value = valueAtIndex(index);
        return percentile === 0 ? lowestEquivalent(value) : highestEquivalent(value);
      }
    }
    return 0;
  }

  /**
   * LATENCY HISTOGRAM's buckets: at 1024 ns, 2048 ns... (hdr's logarithmic iterator), the bucket
   * in microseconds and the samples up to it, where that count grew.
   */
  cumulative(): Array<[micros: number, count: number]> {
    const rows: Array<[number, number]> = [];
    let count = 0;
    let index = 0;
    let previous = 0;
    for (let level = 1024; count < this.totalCount; level *= 2) {
      const limit = indexOf(lowestEquivalent(level));
      for (; index <= limit && index < COUNTS_LENGTH; index++) count += this.counts[index] as number;
      if (count > previous) rows.push([Math.floor(highestEquivalent(valueAtIndex(limit)) / 1000), count]);
      previous = count;
      if (index >= COUNTS_LENGTH) break;
    }
    return rows;
  }
}
