// writeBatch joins a batch's parts in a shared slab and reuses those bytes for the next batch when
// the socket took the write at once. A write the kernel could not take must keep its bytes: this
// test fills one loopback connection that nobody reads, then writes batches on a second one (they
// reuse the slab), and checks that every byte of both arrives as it was sent.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { connect, createServer, type Socket } from 'node:net';
import { describe, it } from 'node:test';
import { SocketWriter } from '../common/socket-writer.ts';
import { busyTurn, noteSender, scheduleFlush, type TurnSender, writeBatch } from './flush.ts';

function batch(index: number): Buffer[] {
  // 2-3 parts of 1-1,500 bytes, their content derived from the batch index.
  const parts: Buffer[] = [];
  const count = 2 + (index % 2);
  for (let p = 0; p < count; p++) {
    const part = Buffer.alloc(1 + ((index * 7919 + p * 104729) % 1500));
    for (let i = 0; i < part.length; i++) part[i] = (index * 31 + p * 17 + i) & 0xff;
    parts.push(part);
  }
  return parts;
}

function send(writer: SocketWriter, parts: Buffer[], expected: Buffer[]): void {
  expected.push(...parts);
  writeBatch(
    writer,
    parts,
    parts.reduce((sum, part) => sum + part.length, 0),
  );
}

interface Pair {
  writer: SocketWriter;
  reader: Socket;
  received: Buffer[];
}

describe('writeBatch', () => {
  it('keeps the bytes of a write the socket queued while other batches reuse the slab', async () => {
    const accepted: Socket[] = [];
    const server = createServer((socket) => {
      socket.pause();
      accepted.push(socket);
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const { port } = server.address() as { port: number };
    const pairs: Pair[] = [];
    for (let n = 0; n < 2; n++) {
      const socket = connect({ host: '127.0.0.1', port });
      await once(socket, 'connect');
      const writer = new SocketWriter(socket);
      while (accepted.length <= n) await new Promise((resolve) => setImmediate(resolve));
      const reader = accepted[n] as Socket;
      const received: Buffer[] = [];
      reader.on('data', (chunk: Buffer) => received.push(chunk));
      pairs.push({ writer, reader, received });
    }
    const [stuck, flowing] = pairs as [Pair, Pair];
    flowing.reader.resume();

    const expectedStuck: Buffer[] = [];
    let index = 0;
    // The first connection takes batches until the kernel's buffers are full: its last write is
    // left (partly) queued in the socket, pointing into the slab.
    while (stuck.writer.queued === 0) send(stuck.writer, batch(index++), expectedStuck);
    assert.ok(index > 10, 'batches were written at once before the connection backed up');
    // Batches on the other connection are taken at once, each reusing slab bytes.
    const expectedFlowing: Buffer[] = [];
    for (let more = 0; more < 300; more++) {
      send(flowing.writer, batch(index++), expectedFlowing);
      await new Promise((resolve) => setImmediate(resolve));
    }

    for (const pair of pairs) pair.writer.socket.end();
    stuck.reader.resume();
    await Promise.all(pairs.map((pair) => once(pair.reader, 'end')));
    server.close();
    assert.ok(
      Buffer.concat(stuck.received).equals(Buffer.concat(expectedStuck)),
      'the queued write is intact',
    );
    assert.ok(
      Buffer.concat(flowing.received).equals(Buffer.concat(expectedFlowing)),
      'later batches are intact',
    );
  });
});

describe('busyTurn', () => {
  /** Runs one flush turn and returns busyTurn() as the flush saw it. */
  async function flushTurn(): Promise<boolean> {
    let seen: boolean | undefined;
    scheduleFlush({
      flushQueued: false,
      flush() {
        seen = busyTurn();
      },
    });
    while (seen === undefined) await new Promise((resolve) => setImmediate(resolve));
    return seen;
  }

  it('is busy after requests from 20 sessions within a millisecond, never for a few', async () => {
    const sessions: TurnSender[] = Array.from({ length: 20 }, () => ({ sentInWindow: -1 }));
    const pastWindow = () => new Promise((resolve) => setTimeout(resolve, 5));
    /** Two windows without senders: whatever came before is forgotten. */
    async function quiet(): Promise<void> {
      await pastWindow();
      await flushTurn();
      await pastWindow();
      assert.equal(await flushTurn(), false);
    }
    await quiet();
    // One session's pipeline, however long, is not a busy proxy.
    for (let i = 0; i < 100; i++) noteSender(sessions[0] as TurnSender);
    assert.equal(busyTurn(), false);
    await quiet();
    // 19 sessions are not enough; the 20th in the same window is.
    for (const session of sessions.slice(0, 19)) noteSender(session);
    assert.equal(busyTurn(), false);
    noteSender(sessions[19] as TurnSender);
    assert.equal(busyTurn(), true);
    // The window that follows stays busy; then the proxy is quiet again.
    await pastWindow();
    assert.equal(await flushTurn(), true);
    await pastWindow();
    assert.equal(await flushTurn(), false);
  });
});
