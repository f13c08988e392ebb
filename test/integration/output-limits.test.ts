// client-output-buffer-limit, against redis-server 7 and codis-server: a pub/sub subscriber that
// stops reading is closed once its pending output passes the class's hard limit; a normal client
// under the default limits (none) is not; CONFIG SET changes one class.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { type Socket, connect as tcpConnect } from 'node:net';
import { conformanceSuite } from '../helpers/conformance.ts';

/** A subscriber that reads nothing after its SUBSCRIBE reply. */
async function stalledSubscriber(port: number, channel: string): Promise<Socket> {
  const socket = tcpConnect({ host: '127.0.0.1', port });
  await once(socket, 'connect');
  socket.write(`*2\r\n$9\r\nSUBSCRIBE\r\n$${channel.length}\r\n${channel}\r\n`);
  await once(socket, 'data');
  socket.pause();
  return socket;
}

conformanceSuite('client-output-buffer-limit', (it) => {
  it('a subscriber that does not read is closed past the pubsub hard limit', async ({
    connection: c,
    port,
  }) => {
    assert.equal(await c.call('CONFIG', 'SET', 'client-output-buffer-limit', 'pubsub 1mb 0 0'), '+OK\r\n');
    try {
      const subscriber = await stalledSubscriber(port, 'news');
      const closed = once(subscriber, 'close');
      // 64 MB of messages: far more than the kernel's socket buffers take, so the server's own
      // output buffer for the subscriber grows past 1 MB.
      const message = 'm'.repeat(64 * 1024);
      let gone = false;
      for (let i = 0; i < 1024 && !gone; i++) {
        const receivers = await c.call('PUBLISH', 'news', message);
        if (receivers === ':0\r\n') gone = true;
      }
      assert.ok(gone, 'the subscriber was dropped');
      assert.equal(await c.call('PUBSUB', 'NUMSUB', 'news'), '*2\r\n$4\r\nnews\r\n:0\r\n');
      subscriber.resume();
      await closed;
    } finally {
      await c.call('CONFIG', 'SET', 'client-output-buffer-limit', 'pubsub 32mb 8mb 60');
    }
  });

  it('CONFIG GET shows every class; a bad class or size is refused', async ({ connection: c }) => {
    assert.equal(
      await c.call('CONFIG', 'GET', 'client-output-buffer-limit'),
      '*2\r\n$26\r\nclient-output-buffer-limit\r\n$67\r\nnormal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60\r\n',
    );
    assert.match(
      await c.call('CONFIG', 'SET', 'client-output-buffer-limit', 'normal 1 2'),
      /^-ERR CONFIG SET failed/,
    );
    assert.match(
      await c.call('CONFIG', 'SET', 'client-output-buffer-limit', 'nosuch 1 2 3'),
      /^-ERR CONFIG SET failed/,
    );
  });
});
