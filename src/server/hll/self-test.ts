// PFSELFTEST (hyperloglog.c pfselftestCommand of Redis 7.0): checks this HyperLogLog implementation
// from the inside. First, random values written to every dense register read back unchanged (the
// 6-bit registers straddle bytes, so a wrong mask would spill into a neighbour). Then 10 million
// elements go into a dense and a sparse HLL at once; at cardinalities 1, 10, 100... the sparse one
// must still be sparse while under hll-sparse-max-bytes / 2, both must estimate the same, and the
// error must stay within 6 standard errors (1 at cardinality 10).
import { HLL_REGISTER_MAX, HLL_REGISTERS, HLL_SPARSE, HllBuffer } from './hyperloglog.ts';

const TEST_CYCLES = 1000;
const ELEMENTS = 10_000_000;

/** C's rand(): an integer in [0, 2^31 - 1]. */
export type Random = () => number;

const systemRandom: Random = () => Math.floor(Math.random() * 0x80000000);

/** The error Redis replies when a check fails, undefined when every check passes. */
export function hllSelfTest(sparseMaxBytes: number, random: Random = systemRandom): string | undefined {
  // Test 1: register access.
  const dense = HllBuffer.create();
  dense.toDense();
  const expected = new Uint8Array(HLL_REGISTERS);
  for (let cycle = 0; cycle < TEST_CYCLES; cycle++) {
    for (let i = 0; i < HLL_REGISTERS; i++) {
      const value = random() & HLL_REGISTER_MAX;
      expected[i] = value;
      dense.setRegister(i, value);
    }
    for (let i = 0; i < HLL_REGISTERS; i++) {
      const value = dense.register(i);
      if (value !== expected[i])
        return `ERR TESTFAILED Register ${i} should be ${expected[i]} but is ${value}`;
    }
  }

  // Test 2: approximation error, dense and sparse side by side.
  for (let i = 0; i < HLL_REGISTERS; i++) dense.setRegister(i, 0);
  const sparse = HllBuffer.create();
  const relativeError = 1.04 / Math.sqrt(HLL_REGISTERS);
  // The elements are the 8 little-endian bytes of j ^ seed, seed = rand() | rand() << 32; j stays
  // below 2^32, so only the low half varies.
  const seedLow = random() >>> 0;
  const high = bytesOf(random() >>> 0);
  let checkpoint = 1;
  for (let j = 1; j <= ELEMENTS; j++) {
    const element = bytesOf((j ^ seedLow) >>> 0) + high;
    dense.add(element, sparseMaxBytes);
    sparse.add(element, sparseMaxBytes);
    if (j !== checkpoint) continue;
    // Small cardinalities must use the sparse encoding.
    if (j < Math.floor(sparseMaxBytes / 2) && sparse.encoding !== HLL_SPARSE)
      return 'ERR TESTFAILED sparse encoding not used';
    const estimate = dense.count();
    if (estimate !== sparse.count()) return 'ERR TESTFAILED dense/sparse disagree';
    let maxError = Math.ceil(relativeError * 6 * checkpoint);
    // Redis pins cardinality 10's bound to 1 (what the formula gives there anyway).
    if (j === 10) maxError = 1;
    const error = Math.abs(checkpoint - estimate);
    if (error > maxError) return `ERR TESTFAILED Too big error. card:${checkpoint} abserr:${error}`;
    checkpoint *= 10;
  }
  return undefined;
}

function bytesOf(word: number): string {
  return String.fromCharCode(word & 0xff, (word >>> 8) & 0xff, (word >>> 16) & 0xff, word >>> 24);
}
