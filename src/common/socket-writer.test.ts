import assert from 'node:assert/strict';
import { once } from 'node:events';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { SocketWriter } from './socket-writer.ts';

describe('SocketWriter', () => {
  let server: Server;
  let port: number;
  const accepted: Array<(socket: Socket) => void> = [];

  before(async () => {
    server = createServer((socket) => accepted.shift()?.(socket));
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    port = (server.address() as { port: number }).port;
  });
  after(() => server.close());

  /** A connected pair: `writer` on our side, `peer` the accepted end (paused when asked). */
  async function pair(pausePeer = false) {
    const peer = new Promise<Socket>((resolve) => {
      accepted.push((socket) => {
        if (pausePeer) socket.pause();
        resolve(socket);
      });
    });
    const socket = connect(port, '127.0.0.1');
    await once(socket, 'connect');
    return { socket, writer: new SocketWriter(socket), peer: await peer };
  }

  function collect(peer: Socket): () => Buffer {
    const chunks: Buffer[] = [];
    peer.on('data', (chunk: Buffer) => chunks.push(chunk));
    return () => Buffer.concat(chunks);
  }

  function bytes(length: number, seed: number): Buffer {
    const data = Buffer.allocUnsafe(length);
    for (let i = 0; i < length; i++) data[i] = (seed * 131 + i * 7) & 0xff;
    return data;
  }

  it('writes through the handle, not net.Socket#write, when nothing is queued', async () => {
    const { socket, writer, peer } = await pair();
    const received = collect(peer);
    let socketWrites = 0;
    const original = socket.write.bind(socket);
    socket.write = ((...args: Parameters<Socket['write']>) => {
      socketWrites++;
      return original(...args);
    }) as Socket['write'];
    for (let i = 0; i < 100; i++) {
      assert.equal(writer.write(Buffer.from(`message ${i};`)), true);
      await new Promise((resolve) => setImmediate(resolve));
    }
    assert.equal(writer.queued, 0);
    socket.end();
    await once(peer, 'end');
    const expected = Array.from({ length: 100 }, (_, i) => `message ${i};`).join('');
    assert.equal(received().toString(), expected);
    assert.ok(socketWrites <= 1, `${socketWrites} writes went through net.Socket`);
  });

  it('keeps order and bytes across queued writes, mixed with net.Socket writes', async () => {
    const { socket, writer, peer } = await pair(true);
    const received = collect(peer);
    peer.pause();
    const expected: Buffer[] = [];
    let drains = 0;
    socket.on('drain', () => drains++);
    // Fill the kernel's buffers: later writes are queued by libuv (the writer's) or by net.Socket.
    let index = 0;
    let refused = 0;
    while (writer.queued < 4 * 1024 * 1024) {
      const data = bytes(1 + ((index * 7919) % 60_000), index);
      expected.push(data);
      if (index % 5 === 4) socket.write(data);
      else if (!writer.write(data)) refused++;
      index++;
    }
    assert.ok(refused > 0, 'writes past the high-water mark return false');
    assert.ok(writer.needsDrain);
    peer.resume();
    await once(socket, 'drain');
    while (writer.queued > 0) await once(socket, 'drain');
    assert.equal(writer.needsDrain, false);
    socket.end();
    await once(peer, 'end');
    assert.ok(received().equals(Buffer.concat(expected)), 'every byte arrives, in order');
    assert.ok(drains >= 1);
  });

  it('reports a failed queued write as an error on the socket, and survives its close', async () => {
    const { socket, writer, peer } = await pair(true);
    const errors: Error[] = [];
    socket.on('error', (error) => errors.push(error));
    while (writer.queued === 0) writer.write(bytes(64 * 1024, 1));
    const closed = new Promise((resolve) => socket.once('close', resolve));
    peer.resetAndDestroy();
    await closed;
    assert.equal(writer.write(Buffer.from('after close')), false);
    assert.ok(errors.length <= 1);
    if (errors.length === 1) assert.match((errors[0] as NodeJS.ErrnoException).code ?? '', /^E[A-Z]+$/);
  });

  it('lets a socket destroyed with writes queued close quietly', async () => {
    const { socket, writer } = await pair(true);
    while (writer.queued === 0) writer.write(bytes(64 * 1024, 2));
    const errors: Error[] = [];
    socket.on('error', (error) => errors.push(error));
    socket.destroy();
    await once(socket, 'close');
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.deepEqual(errors, []);
  });

  it('leaves writes after end() to net.Socket, which reports them', async () => {
    const { socket, writer, peer } = await pair();
    const received = collect(peer);
    writer.write(Buffer.from('last'));
    socket.end();
    const error = once(socket, 'error');
    writer.write(Buffer.from('too late'));
    const [reported] = (await error) as [NodeJS.ErrnoException];
    assert.equal(reported.code, 'ERR_STREAM_WRITE_AFTER_END');
    await once(peer, 'end');
    assert.equal(received().toString(), 'last');
  });
});
