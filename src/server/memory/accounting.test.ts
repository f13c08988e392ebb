import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MemoryAccounting, type MemorySample } from './accounting.ts';

/** A heap that held 1 MB at start-up and `heapUsed` bytes after, all in the old generation. */
function grownHeap(heapUsed: number): () => MemorySample {
  let reads = 0;
  return () => {
    const used = reads++ === 0 ? 1_000_000 : heapUsed;
    return { heapUsed: used, heapTotal: used, external: 0, young: 0 };
  };
}

test('dropped keys count as gone until a full collection that started after the drop', () => {
  const accounting = new MemoryAccounting(() => 0, grownHeap(50_000_000));
  accounting.noteFreed(1_000, 10);
  accounting.noteFreed(2_000, 20);
  accounting.noteFreed(4_000, 30);
  assert.equal(accounting.unreclaimed(), 7_000);
  assert.equal(accounting.used(), 50_000_000 - 7_000);
  // V8 reports a collection late: one that started at 25 reclaimed only the drops before it.
  accounting.fullCollectionSeen(25);
  assert.equal(accounting.unreclaimed(), 4_000);
  accounting.fullCollectionSeen(25);
  assert.equal(accounting.unreclaimed(), 4_000);
  accounting.fullCollectionSeen(31);
  assert.equal(accounting.unreclaimed(), 0);
  accounting.noteFreed(500, 40);
  assert.equal(accounting.unreclaimed(), 500);
});

test('drops within a millisecond share one record; nothing dropped counts nothing', () => {
  const accounting = new MemoryAccounting(() => 0, grownHeap(50_000_000));
  accounting.noteFreed(0, 5);
  accounting.noteFreed(100, 10);
  accounting.noteFreed(100, 10.5);
  accounting.noteFreed(100, 11.5);
  accounting.fullCollectionSeen(11);
  assert.equal(accounting.unreclaimed(), 100);
});

test('used memory never drops below start-up for an over-estimate of what was dropped', () => {
  const accounting = new MemoryAccounting(() => 0, grownHeap(1_000_000));
  accounting.noteFreed(5_000_000, 1);
  assert.equal(accounting.used(), 1_000_000);
});

test('a forced collection reclaims what was dropped before it, not what is dropped after', () => {
  const accounting = new MemoryAccounting(() => 0, grownHeap(50_000_000));
  accounting.noteFreed(3_000);
  if (!accounting.collectGarbage(true, true)) return; // no collector in this runtime
  assert.equal(accounting.unreclaimed(), 0);
  accounting.noteFreed(2_000);
  assert.equal(accounting.unreclaimed(), 2_000);
});
