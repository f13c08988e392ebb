// The source's queue of messages awaiting their ACK: first in, first out, across wrap-arounds and
// growth, and emptied without losing its room.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AckQueue } from './ack-queue.ts';

function drain(queue: AckQueue): string[] {
  const out: string[] = [];
  while (queue.size > 0) {
    out.push(`${queue.expect() ?? '-'} ${String(queue.command())} ${String(queue.subcommand())}`);
    queue.shift();
  }
  return out;
}

describe('AckQueue', () => {
  it('answers in the order messages were sent, across wrap-arounds and growth', () => {
    const queue = new AckQueue();
    const expected: string[] = [];
    let next = 0;
    // Interleaved pushes and shifts move the start around the ring; bursts make it grow.
    for (let round = 0; round < 50; round++) {
      const burst = round % 7 === 0 ? 300 : 40;
      for (let i = 0; i < burst; i++, next++) {
        const expect = next % 2 === 0 ? undefined : String(next);
        queue.push(expect, 'SLOTSRESTORE-ASYNC', `sub${next}`);
        expected.push(`${expect ?? '-'} SLOTSRESTORE-ASYNC sub${next}`);
      }
      const take = round % 3 === 0 ? burst : burst - 5;
      for (let i = 0; i < take; i++) {
        assert.equal(
          `${queue.expect() ?? '-'} ${String(queue.command())} ${String(queue.subcommand())}`,
          expected.shift(),
        );
        queue.shift();
      }
      assert.equal(queue.size, expected.length);
    }
    assert.deepEqual(drain(queue), expected);
  });

  it('is empty after clear and takes messages again', () => {
    const queue = new AckQueue();
    for (let i = 0; i < 100; i++) queue.push('1', 'A', 'b');
    queue.clear();
    assert.equal(queue.size, 0);
    queue.shift();
    assert.equal(queue.size, 0);
    queue.push('7', Buffer.from('C'), 'd');
    assert.deepEqual(drain(queue), ['7 C d']);
  });
});
