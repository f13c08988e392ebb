import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { CHUNK_SIZE, ChunkedList } from './chunked-list.ts';

test('behaves as an array through pushes, pops and writes across chunk boundaries', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: 3 }),
      fc.array(
        fc.oneof(
          fc.record({ op: fc.constant('push' as const), count: fc.integer({ min: 1, max: CHUNK_SIZE + 5 }) }),
          fc.record({ op: fc.constant('pop' as const), count: fc.integer({ min: 1, max: CHUNK_SIZE + 5 }) }),
          fc.record({ op: fc.constant('write' as const), count: fc.nat() }),
        ),
        { maxLength: 12 },
      ),
      (startChunks, operations) => {
        const list = new ChunkedList<number>();
        const reference: number[] = [];
        let next = 0;
        for (let i = 0; i < startChunks * CHUNK_SIZE - 1; i++) {
          list.push(next);
          reference.push(next++);
        }
        for (const { op, count } of operations) {
          if (op === 'push')
            for (let i = 0; i < count; i++) {
              list.push(next);
              reference.push(next++);
            }
          else if (op === 'pop')
            for (let i = 0; i < count && reference.length > 0; i++) assert.equal(list.pop(), reference.pop());
          else if (reference.length > 0) {
            const at = count % reference.length;
            list.setAt(at, -at);
            reference[at] = -at;
          }
          assert.equal(list.length, reference.length);
          if (reference.length > 0) {
            assert.equal(list.at(0), reference[0]);
            assert.equal(list.at(reference.length - 1), reference[reference.length - 1]);
          }
        }
        assert.deepEqual([...list.values()], reference);
      },
    ),
    { numRuns: 40 },
  );
});
