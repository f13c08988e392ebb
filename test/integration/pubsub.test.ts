import assert from 'node:assert/strict';
import { once } from 'node:events';
import { connect } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { conformanceSuite } from '../helpers/conformance.ts';
import type { RawConnection } from '../helpers/raw-connection.ts';
import { bulk } from '../helpers/resp-text.ts';

/** A RESP2 push-shaped array of bulks followed by an integer: `*3 subscribe ch :1`. */
function confirm(kind: string, name: string | null, count: number, header = '*'): string {
  return `${header}3\r\n${bulk(kind)}${name === null ? '$-1\r\n' : bulk(name)}:${count}\r\n`;
}

function message(channel: string, payload: string, header = '*'): string {
  return `${header}3\r\n${bulk('message')}${bulk(channel)}${bulk(payload)}`;
}

function pmessage(pattern: string, channel: string, payload: string): string {
  return `*4\r\n${bulk('pmessage')}${bulk(pattern)}${bulk(channel)}${bulk(payload)}`;
}

async function replies(c: RawConnection, count: number): Promise<string[]> {
  const all: string[] = [];
  for (let i = 0; i < count; i++) all.push((await c.reply()).raw);
  return all;
}

/** Waits until PUBSUB NUMSUB reports `count` subscribers of a channel. */
async function waitNumsub(c: RawConnection, channel: string, count: number): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if ((await c.call('PUBSUB', 'NUMSUB', channel)) === `*2\r\n${bulk(channel)}:${count}\r\n`) return;
    await sleep(5);
  }
  throw new Error(`never saw ${count} subscribers of ${channel}`);
}

conformanceSuite('pubsub', (it) => {
  it('SUBSCRIBE, PUBLISH to another connection, UNSUBSCRIBE', async ({ connection: c, connect }) => {
    const sub = await connect();
    sub.send('SUBSCRIBE', 'a', 'b', 'a');
    assert.deepEqual(await replies(sub, 3), [
      confirm('subscribe', 'a', 1),
      confirm('subscribe', 'b', 2),
      confirm('subscribe', 'a', 2),
    ]);
    assert.equal(await c.call('PUBLISH', 'a', 'hello'), ':1\r\n');
    assert.equal((await sub.reply()).raw, message('a', 'hello'));
    assert.equal(await c.call('PUBLISH', 'nobody', 'x'), ':0\r\n');
    const binary = Buffer.from([0, 255, 13, 10]).latin1Slice();
    assert.equal(await c.call('PUBLISH', 'b', binary), ':1\r\n');
    assert.equal((await sub.reply()).raw, message('b', binary));
    assert.equal(
      await c.call('PUBSUB', 'NUMSUB', 'a', 'b', 'z'),
      `*6\r\n${bulk('a')}:1\r\n${bulk('b')}:1\r\n${bulk('z')}:0\r\n`,
    );
    assert.equal(await c.call('PUBSUB', 'CHANNELS', 'a*'), `*1\r\n${bulk('a')}`);
    assert.equal(await c.call('PUBSUB', 'NUMSUB'), '*0\r\n');
    assert.equal(await sub.call('UNSUBSCRIBE', 'a', 'zz'), confirm('unsubscribe', 'a', 1));
    assert.equal((await sub.reply()).raw, confirm('unsubscribe', 'zz', 1));
    assert.equal(await sub.call('UNSUBSCRIBE'), confirm('unsubscribe', 'b', 0));
    assert.equal(await sub.call('UNSUBSCRIBE'), confirm('unsubscribe', null, 0));
    // Out of the subscribed context, ordinary commands work again.
    assert.equal(await sub.call('PING'), '+PONG\r\n');
    assert.equal(await c.call('PUBSUB', 'CHANNELS'), '*0\r\n');
  });

  it('PSUBSCRIBE, pattern messages, NUMPAT, PUNSUBSCRIBE', async ({ connection: c, connect }) => {
    const sub = await connect();
    sub.send('PSUBSCRIBE', 'news.*', 'h?llo');
    assert.deepEqual(await replies(sub, 2), [
      confirm('psubscribe', 'news.*', 1),
      confirm('psubscribe', 'h?llo', 2),
    ]);
    assert.equal(await sub.call('SUBSCRIBE', 'news.sport'), confirm('subscribe', 'news.sport', 3));
    assert.equal(await c.call('PUBSUB', 'NUMPAT'), ':2\r\n');
    // A channel and a pattern both matching: two deliveries.
    assert.equal(await c.call('PUBLISH', 'news.sport', 'goal'), ':2\r\n');
    assert.deepEqual(await replies(sub, 2), [
      message('news.sport', 'goal'),
      pmessage('news.*', 'news.sport', 'goal'),
    ]);
    assert.equal(await c.call('PUBLISH', 'hallo', 'x'), ':1\r\n');
    assert.equal((await sub.reply()).raw, pmessage('h?llo', 'hallo', 'x'));
    assert.equal(await sub.call('PUNSUBSCRIBE', 'news.*'), confirm('punsubscribe', 'news.*', 2));
    assert.equal(await c.call('PUBSUB', 'NUMPAT'), ':1\r\n');
    assert.equal(await c.call('PUBSUB', 'NUMSUB', 'news.sport'), `*2\r\n${bulk('news.sport')}:1\r\n`);
    assert.equal(await sub.call('PUNSUBSCRIBE'), confirm('punsubscribe', 'h?llo', 1));
    assert.equal(await sub.call('PUNSUBSCRIBE'), confirm('punsubscribe', null, 1));
  });

  it('RESP2 subscribed context: only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET', async ({
    connect,
  }) => {
    const sub = await connect();
    assert.equal(await sub.call('SUBSCRIBE', 'ch'), confirm('subscribe', 'ch', 1));
    assert.equal(
      await sub.call('GET', 'k'),
      "-ERR Can't execute 'get': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context\r\n",
    );
    assert.equal(
      await sub.call('CONFIG', 'GET', 'port'),
      "-ERR Can't execute 'config|get': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context\r\n",
    );
    assert.equal(await sub.call('PING'), `*2\r\n${bulk('pong')}${bulk('')}`);
    assert.equal(await sub.call('PING', 'hi'), `*2\r\n${bulk('pong')}${bulk('hi')}`);
    assert.equal(await sub.call('PSUBSCRIBE', 'p*'), confirm('psubscribe', 'p*', 2));
    assert.match(await sub.call('CLIENT', 'INFO'), /^-ERR Can't execute 'client\|info'/);
    assert.equal(await sub.call('RESET'), '+RESET\r\n');
    assert.equal(await sub.call('PUBSUB', 'NUMPAT'), ':0\r\n');
    assert.equal(await sub.call('PUBSUB', 'NUMSUB', 'ch'), `*2\r\n${bulk('ch')}:0\r\n`);
    assert.equal(await sub.call('GET', 'k'), '$-1\r\n');
    assert.equal(await sub.call('SUBSCRIBE', 'ch'), confirm('subscribe', 'ch', 1));
    assert.equal(await sub.call('QUIT'), '+OK\r\n');
    await sub.waitClosed();
  });

  it('RESP3: pushes, and ordinary commands while subscribed', async ({ connection: c, connect }) => {
    const sub = await connect();
    await sub.value('HELLO', '3');
    assert.equal(await sub.call('SUBSCRIBE', 'ch'), confirm('subscribe', 'ch', 1, '>'));
    assert.equal(await sub.call('SET', 'k', 'v'), '+OK\r\n');
    assert.equal(await sub.call('PING'), '+PONG\r\n');
    assert.equal(await c.call('PUBLISH', 'ch', 'm'), ':1\r\n');
    assert.equal((await sub.reply()).raw, message('ch', 'm', '>'));
    assert.equal(await sub.call('UNSUBSCRIBE', 'x'), confirm('unsubscribe', 'x', 1, '>'));
    assert.equal(await sub.call('PUNSUBSCRIBE'), '>3\r\n$12\r\npunsubscribe\r\n_\r\n:1\r\n');
  });

  it('SSUBSCRIBE, SPUBLISH, SUNSUBSCRIBE, PUBSUB SHARDCHANNELS / SHARDNUMSUB', async ({
    connection: c,
    connect,
  }) => {
    const sub = await connect();
    sub.send('SSUBSCRIBE', 's1');
    assert.equal((await sub.reply()).raw, confirm('ssubscribe', 's1', 1));
    // Shard counts are kept apart from channel and pattern counts.
    assert.equal(await sub.call('SUBSCRIBE', 'c1'), confirm('subscribe', 'c1', 1));
    assert.equal(await c.call('SPUBLISH', 's1', 'hi'), ':1\r\n');
    assert.equal((await sub.reply()).raw, `*3\r\n${bulk('smessage')}${bulk('s1')}${bulk('hi')}`);
    assert.equal(await c.call('PUBLISH', 's1', 'hi'), ':0\r\n');
    assert.equal(await c.call('PUBSUB', 'SHARDCHANNELS'), `*1\r\n${bulk('s1')}`);
    assert.equal(await c.call('PUBSUB', 'SHARDCHANNELS', 'x*'), '*0\r\n');
    assert.equal(
      await c.call('PUBSUB', 'SHARDNUMSUB', 's1', 's2'),
      `*4\r\n${bulk('s1')}:1\r\n${bulk('s2')}:0\r\n`,
    );
    assert.equal(await c.call('PUBSUB', 'CHANNELS'), `*1\r\n${bulk('c1')}`);
    assert.match(await c.call('CLIENT', 'LIST'), / sub=1 psub=0 ssub=1 /);
    assert.match(await c.call('CLIENT', 'LIST'), /flags=P /);
    assert.equal(await sub.call('SUNSUBSCRIBE'), confirm('sunsubscribe', 's1', 0));
    assert.equal(await c.call('PUBSUB', 'SHARDCHANNELS'), '*0\r\n');
  });

  it('disconnecting unsubscribes; INFO counts channels and patterns', async ({ connection: c, connect }) => {
    const sub = await connect();
    sub.send('SUBSCRIBE', 'gone');
    await sub.reply();
    sub.send('PSUBSCRIBE', 'g*');
    await sub.reply();
    assert.match(await c.call('INFO', 'stats'), /pubsub_channels:1\r\npubsub_patterns:1\r\n/);
    sub.close();
    await waitNumsub(c, 'gone', 0);
    assert.equal(await c.call('PUBSUB', 'NUMPAT'), ':0\r\n');
    assert.equal(await c.call('PUBLISH', 'gone', 'x'), ':0\r\n');
  });

  it('errors: arity and PUBSUB syntax', async ({ connection: c }) => {
    assert.equal(await c.call('SUBSCRIBE'), "-ERR wrong number of arguments for 'subscribe' command\r\n");
    assert.equal(await c.call('PUBLISH', 'a'), "-ERR wrong number of arguments for 'publish' command\r\n");
    assert.equal(
      await c.call('PUBSUB', 'CHANNELS', 'a', 'b'),
      "-ERR unknown subcommand or wrong number of arguments for 'CHANNELS'. Try PUBSUB HELP.\r\n",
    );
    assert.equal(await c.call('PUBSUB', 'NOPE'), "-ERR unknown subcommand 'NOPE'. Try PUBSUB HELP.\r\n");
    assert.equal(
      await c.call('PUBSUB', 'NUMPAT', 'x'),
      "-ERR wrong number of arguments for 'pubsub|numpat' command\r\n",
    );
  });
  it('a subscriber that stops reading is disconnected past the pubsub output limit', async ({
    connection: c,
    port,
  }) => {
    const socket = connect(port, '127.0.0.1');
    await once(socket, 'connect');
    socket.write('*2\r\n$9\r\nSUBSCRIBE\r\n$4\r\nslow\r\n');
    await once(socket, 'data');
    socket.pause();
    let closed = false;
    socket.on('close', () => {
      closed = true;
    });
    socket.on('error', () => {});
    const payload = 'x'.repeat(1024 * 1024);
    try {
      for (let i = 0; i < 80 && (await c.call('PUBSUB', 'NUMSUB', 'slow')).endsWith(':1\r\n'); i++)
        await c.call('PUBLISH', 'slow', payload);
      await waitNumsub(c, 'slow', 0);
      socket.resume();
      for (let i = 0; i < 500 && !closed; i++) await sleep(10);
      assert.ok(closed);
    } finally {
      socket.destroy();
    }
  });
});
