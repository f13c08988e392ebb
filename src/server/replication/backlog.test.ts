import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { Backlog } from './backlog.ts';

test('the backlog holds the last `size` bytes of the stream, addressed by offset', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 64 }),
      fc.integer({ min: 0, max: 1000 }),
      fc.array(fc.uint8Array({ maxLength: 100 }), { maxLength: 30 }),
      (size, start, chunks) => {
        const backlog = new Backlog(size, start);
        let stream = Buffer.alloc(0);
        for (const chunk of chunks) {
          backlog.append(chunk);
          stream = Buffer.concat([stream, chunk]);
        }
        assert.equal(backlog.offset, start + stream.length);
        assert.equal(backlog.historyLength, Math.min(size, stream.length));
        assert.equal(backlog.firstByteOffset, backlog.offset - backlog.historyLength + 1);
        // Every offset still held reads back as the stream's tail from there.
        for (let from = backlog.firstByteOffset; from <= backlog.offset + 1; from++) {
          assert.ok(backlog.covers(from));
          assert.deepEqual(backlog.readFrom(from), stream.subarray(from - start - 1));
        }
        assert.equal(backlog.covers(backlog.firstByteOffset - 1), false);
        assert.equal(backlog.covers(backlog.offset + 2), false);
      },
    ),
  );
});

test('resizing keeps the newest history that fits', () => {
  const backlog = new Backlog(8, 100);
  backlog.append(Buffer.from('abcdefghij'));
  assert.equal(backlog.readFrom(backlog.firstByteOffset).toString(), 'cdefghij');
  backlog.resize(4);
  assert.equal(backlog.offset, 110);
  assert.equal(backlog.readFrom(backlog.firstByteOffset).toString(), 'ghij');
  backlog.resize(16);
  backlog.append(Buffer.from('klm'));
  assert.equal(backlog.readFrom(backlog.firstByteOffset).toString(), 'ghijklm');
  assert.equal(backlog.offset, 113);
});
