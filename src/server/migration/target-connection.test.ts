// The async migration's fast path reads success ACKs straight from the socket bytes: whatever the
// TCP chunking, it must hand over exactly the ACKs and replies a generic parser would, in order.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { RespError } from '../../resp/index.ts';
import { TargetConnection } from './target-connection.ts';

function ack(errno: string, message: string): string {
  return `*3\r\n$22\r\nSLOTSRESTORE-ASYNC-ACK\r\n$${errno.length}\r\n${errno}\r\n$${message.length}\r\n${message}\r\n`;
}

// Success ACKs, then replies the fast path leaves to the generic parser (an error, another array,
// an ACK with a lowercase name), then success ACKs again.
const STREAM = Buffer.from(
  ack('0', '1') +
    ack('0', '0') +
    ack('0', 'OK') +
    ack('0', '123456') +
    ack('0', '') +
    '-ERR something\r\n' +
    ack('0', '7') +
    '*2\r\n$1\r\na\r\n$1\r\nb\r\n' +
    ack('0', '8').replace('SLOTSRESTORE-ASYNC-ACK', 'slotsrestore-async-ack') +
    ack('-1', 'failed') +
    ack('0', '9'),
  'latin1',
);
const EXPECTED = [
  'fast 1',
  'fast 0',
  'fast OK',
  'fast 123456',
  'fast ',
  'error ERR something',
  'fast 7',
  'reply ["a","b"]',
  'reply ["slotsrestore-async-ack","0","8"]',
  'reply ["SLOTSRESTORE-ASYNC-ACK","-1","failed"]',
  'fast 9',
];

describe('TargetConnection: success ACKs read from the bytes', () => {
  let server: Server;
  let port = 0;
  before(async () => {
    server = createServer((socket) => socket.on('error', () => {}));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as { port: number }).port;
  });
  after(() => server.close());

  it('gives the same ACKs and replies in order however the bytes are split', () => {
    const seen: string[] = [];
    const connection = new TargetConnection('127.0.0.1', port, {
      // Once a chunk needed the generic parser, the rest of it is parsed there too: a success ACK
      // then arrives as a reply value, which the migration treats the same.
      onReply: (value) => {
        if (Array.isArray(value) && value[0] === 'SLOTSRESTORE-ASYNC-ACK' && value[1] === '0')
          seen.push(`fast ${String(value[2])}`);
        else
          seen.push(value instanceof RespError ? `error ${value.message}` : `reply ${JSON.stringify(value)}`);
      },
      onSuccessAck: (buffer, start, end) => seen.push(`fast ${buffer.latin1Slice(start, end)}`),
      onClose: () => {},
    });
    const feed = (chunk: Buffer): void =>
      (connection as unknown as { onData(b: Buffer): void }).onData(chunk);
    try {
      for (let first = 0; first <= STREAM.length; first++) {
        for (const second of [
          first,
          Math.min(STREAM.length, first + 1),
          Math.min(STREAM.length, first + 40),
        ]) {
          seen.length = 0;
          // Fresh copies: the connection may keep views of what it was given.
          feed(Buffer.from(STREAM.subarray(0, first)));
          feed(Buffer.from(STREAM.subarray(first, second)));
          feed(Buffer.from(STREAM.subarray(second)));
          assert.deepEqual(seen, EXPECTED, `split at ${first} and ${second}`);
        }
      }
      seen.length = 0;
      for (let i = 0; i < STREAM.length; i++) feed(STREAM.subarray(i, i + 1));
      assert.deepEqual(seen, EXPECTED, 'one byte at a time');
    } finally {
      connection.close();
    }
  });
});

/**
 * A target that reads in bursts with pauses of `pauseMs`, so the sender's writes stay pending;
 * `bytes(n)` resolves with everything received once n bytes have arrived.
 */
async function slowTarget(
  pauseMs: number,
): Promise<{ port: number; bytes(n: number): Promise<Buffer>; close(): void }> {
  const received: Buffer[] = [];
  let total = 0;
  let wanted = Number.POSITIVE_INFINITY;
  let arrived: () => void = () => {};
  const server = createServer((socket) => {
    socket.on('error', () => {});
    socket.on('data', (chunk: Buffer) => {
      received.push(chunk);
      total += chunk.length;
      if (total >= wanted) arrived();
      socket.pause();
      setTimeout(() => socket.resume(), pauseMs);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as { port: number }).port,
    async bytes(n: number): Promise<Buffer> {
      wanted = n;
      if (total < n)
        await new Promise<void>((resolve) => {
          arrived = resolve;
        });
      return Buffer.concat(received);
    },
    close: () => server.close(),
  };
}

/**
 * Streams `turns` event-loop turns of `SLOTSRESTORE-ASYNC string` messages to a slow target (`fill`
 * queues a turn's messages with `send` and hands them to the socket with `write`) and checks that
 * the target got exactly their bytes, in order.
 */
async function checkStream(
  pauseMs: number,
  turns: number,
  fill: (turn: number, send: (key: string, value: string) => void, write: () => void) => void,
): Promise<void> {
  const target = await slowTarget(pauseMs);
  const connection = new TargetConnection('127.0.0.1', target.port, {
    onReply: () => {},
    onClose: () => {},
  });
  const expected: string[] = [];
  const send = (key: string, value: string): void => {
    const args = ['SLOTSRESTORE-ASYNC', 'string', key, '0', value];
    connection.send(args);
    expected.push(encoded(args));
  };
  const write = (): void => connection.write();
  try {
    for (let turn = 0; turn < turns; turn++) {
      fill(turn, send, write);
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    const wanted = Buffer.from(expected.join(''), 'latin1');
    const got = await target.bytes(wanted.length);
    assert.equal(got.length, wanted.length);
    assert.ok(got.equals(wanted), 'the bytes differ');
  } finally {
    connection.close();
    target.close();
  }
}

describe('TargetConnection: writes left pending', () => {
  it('delivers every byte in order while the target reads slowly (a lent buffer is reused only once written)', async () => {
    let sent = 0;
    // ~24 MB in ~48 KB turns: far more than the socket buffers hold, so most writes pend.
    await checkStream(5, 500, (turn, send, write) => {
      for (let i = 0; i < 200; i++) send(`k${sent++}`, `t${turn}m${i}:${'v'.repeat(200)}`);
      write();
    });
  });

  it('keeps every byte in order when small and large writes pend, share a buffer and outgrow it', async () => {
    let sent = 0;
    // Several writes per turn, a few bytes to a few KB each, and now and then a value bigger than a
    // whole output buffer: views of one buffer pend together, and the writer moves on (copying
    // what it had not handed over yet) while earlier views are still held.
    await checkStream(3, 300, (turn, send, write) => {
      for (let w = 0; w < 4; w++) {
        const count = 1 + ((turn * 7 + w * 3) % 40);
        for (let i = 0; i < count; i++) {
          const size = (turn + w + i) % 97 === 0 ? 70_000 + turn * 100 : (turn * 31 + i * 17) % 300;
          send(`k${sent++}`, String.fromCharCode(97 + (sent % 26)).repeat(size));
        }
        write();
      }
    });
  });
});

/** The RESP array of bulk strings a generic client would send. */
function encoded(args: readonly string[]): string {
  return `*${args.length}\r\n${args.map((arg) => `$${arg.length}\r\n${arg}\r\n`).join('')}`;
}

describe('TargetConnection: messages written straight into the output', () => {
  it('encodes every length (one, two, three and more digits) exactly as RESP, in order', async () => {
    let received = '';
    let done: () => void = () => {};
    const all = new Promise<void>((resolve) => {
      done = resolve;
    });
    const expected: string[] = [];
    const server = createServer((socket) => {
      socket.on('data', (chunk: Buffer) => {
        received += chunk.latin1Slice();
        if (received.length >= expected.join('').length) done();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    const connection = new TargetConnection('127.0.0.1', port, { onReply: () => {}, onClose: () => {} });
    try {
      for (const size of [0, 1, 9, 10, 11, 42, 99, 100, 101, 999, 1000, 70000]) {
        const key = 'k'.repeat(Math.min(size, 300));
        const value = String.fromCharCode(...Array.from({ length: size }, (_, i) => (i * 7) % 256));
        connection.sendString(key, String(size), value);
        expected.push(encoded(['SLOTSRESTORE-ASYNC', 'delete', key]));
        expected.push(encoded(['SLOTSRESTORE-ASYNC', 'string', key, String(size), value]));
        connection.send(['SLOTSRESTORE-ASYNC', 'expire', key, value]);
        expected.push(encoded(['SLOTSRESTORE-ASYNC', 'expire', key, value]));
        const members = Array.from({ length: size % 13 }, (_, i) => `m${i}`.repeat(i));
        connection.beginMessage(3 + members.length);
        connection.messageBulk('SLOTSRESTORE-ASYNC');
        connection.messageBulk('dict');
        connection.messageBytes(Buffer.from(key, 'latin1'));
        for (const member of members) connection.messageBulk(member);
        expected.push(encoded(['SLOTSRESTORE-ASYNC', 'dict', key, ...members]));
        // Some messages go out mid-turn, as the migration's producer writes every 16 KB.
        if (size % 2 === 1) connection.write();
      }
      await all;
      assert.equal(received, expected.join(''));
    } finally {
      connection.close();
      server.close();
    }
  });

  it('tells once per read that success ACKs were handed over', () => {
    const events: string[] = [];
    const connection = new TargetConnection('127.0.0.1', 1, {
      onReply: () => events.push('reply'),
      onSuccessAck: () => events.push('ack'),
      onSuccessAcksRead: () => events.push('read'),
      onClose: () => {},
    });
    const feed = (chunk: string): void =>
      (connection as unknown as { onData(b: Buffer): void }).onData(Buffer.from(chunk, 'latin1'));
    try {
      feed(ack('0', '1') + ack('0', '0'));
      const cut = ack('0', '1');
      feed(cut.slice(0, 10));
      feed(cut.slice(10) + ack('0', '1').slice(0, 5));
      feed(`${ack('0', '1').slice(5)}-ERR x\r\n`);
      assert.deepEqual(events, ['ack', 'ack', 'read', 'ack', 'read', 'ack', 'read', 'reply']);
    } finally {
      connection.close();
    }
  });
});
