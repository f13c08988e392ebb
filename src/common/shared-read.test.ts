import assert from 'node:assert/strict';
import { once } from 'node:events';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { adoptWithSharedRead, SharedReadBuffer } from './shared-read.ts';

describe('adoptWithSharedRead', () => {
  let server: Server;
  let port: number;
  const accepted: Socket[] = [];
  let onAccept: (socket: Socket) => void = () => {};

  before(async () => {
    server = createServer({ pauseOnConnect: true, allowHalfOpen: true }, (socket) => {
      accepted.push(socket);
      onAccept(socket);
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    port = (server.address() as { port: number }).port;
  });
  after(() => server.close());

  /** A connection adopted with `onRead`; resolves with the reader once accepted. */
  async function adopted(onRead: (shared: Buffer, length: number) => boolean, allowHalfOpen = false) {
    const shared = Buffer.alloc(16);
    const reader = new Promise<Socket>((resolve) => {
      onAccept = (socket) => {
        const socketOfOurs = adoptWithSharedRead(
          socket,
          shared,
          (length) => onRead(shared, length),
          allowHalfOpen,
        );
        socketOfOurs.resume();
        resolve(socketOfOurs);
      };
    });
    const client = connect(port, '127.0.0.1');
    await once(client, 'connect');
    return { client, reader: await reader };
  }

  it('hands every read over in the shared buffer, and destroys the emptied socket', async () => {
    let received = '';
    let done: () => void = () => {};
    const all = new Promise<void>((resolve) => {
      done = resolve;
    });
    const { client, reader } = await adopted((shared, length) => {
      assert.ok(length <= shared.length);
      received += shared.latin1Slice(0, length);
      if (received.length === 40) done();
      return true;
    });
    assert.notEqual(reader, accepted.at(-1));
    assert.equal(accepted.at(-1)?.destroyed, true);
    client.write('a'.repeat(40));
    await all;
    assert.equal(received, 'a'.repeat(40));
    client.destroy();
    reader.destroy();
  });

  it('stops reading when the callback answers false, until resume()', async () => {
    const reads: string[] = [];
    const { client, reader } = await adopted((shared, length) => {
      reads.push(shared.latin1Slice(0, length));
      return false;
    });
    client.write('first');
    while (reads.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    client.write('second');
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.deepEqual(reads, ['first']);
    reader.resume();
    while (reads.length === 1) await new Promise((resolve) => setTimeout(resolve, 5));
    assert.deepEqual(reads, ['first', 'second']);
    client.destroy();
    reader.destroy();
  });

  it('keeps the write side open after the client ends, when asked to', async () => {
    const { client, reader } = await adopted(() => true, true);
    const ended = once(reader, 'end');
    client.end('bye');
    await ended;
    reader.end('+OK\r\n');
    const [reply] = (await once(client, 'data')) as [Buffer];
    assert.equal(reply.latin1Slice(), '+OK\r\n');
    client.destroy();
  });
});

describe('SharedReadBuffer', () => {
  it('views its first bytes, the same view while the length repeats', () => {
    const shared = new SharedReadBuffer(16);
    assert.equal(shared.memory, shared.bytes.buffer);
    shared.bytes.latin1Write('abcdefgh', 0);
    const four = shared.view(4);
    assert.equal(four.latin1Slice(), 'abcd');
    assert.equal(shared.view(4), four);
    shared.bytes.latin1Write('wxyz', 0);
    assert.equal(shared.view(4).latin1Slice(), 'wxyz', 'a view shows what the last read put there');
    const six = shared.view(6);
    assert.equal(six.latin1Slice(), 'wxyzef');
    assert.equal(shared.view(16).latin1Slice(0, 8), 'wxyzefgh');
    assert.equal(shared.view(4).length, 4);
    assert.equal(shared.view(0).length, 0);
  });
});
