// Client-side caching (CLIENT TRACKING), against redis-server 7 and codis-server with the same
// expectations: invalidation pushes (RESP3) and redirected messages (RESP2), BCAST prefixes,
// OPTIN/OPTOUT, NOLOOP, flushes, broken redirects, expiry and the tracking table's limit.
import assert from 'node:assert/strict';
import { conformanceSuite } from '../helpers/conformance.ts';
import type { RawConnection } from '../helpers/raw-connection.ts';
import { bulk } from '../helpers/resp-text.ts';

function invalidate(...keys: string[]): string {
  return `>2\r\n${bulk('invalidate')}*${keys.length}\r\n${keys.map(bulk).join('')}`;
}

async function resp3(c: RawConnection): Promise<void> {
  assert.match(await c.call('HELLO', '3'), /^%7/);
}

async function idOf(c: RawConnection): Promise<string> {
  return (await c.call('CLIENT', 'ID')).slice(1, -2);
}

conformanceSuite('client tracking', (it) => {
  it('default mode: a key read is invalidated once, when another client changes it', async ({
    connection: c,
    connect,
  }) => {
    const writer = await connect();
    await resp3(c);
    assert.equal(await c.call('CLIENT', 'TRACKING', 'ON'), '+OK\r\n');
    await writer.call('SET', 'k', '1');
    assert.equal(await c.call('GET', 'k'), bulk('1'));
    assert.equal(await c.call('MGET', 'k', 'other'), `*2\r\n${bulk('1')}_\r\n`);
    await writer.call('SET', 'k', '2');
    await writer.call('SET', 'k', '3');
    assert.equal(await c.call('PING'), invalidate('k'));
    assert.equal((await c.reply()).raw, '+PONG\r\n');
    // Its own write: the push follows the reply.
    await c.call('GET', 'k');
    assert.equal(await c.call('SET', 'k', '4'), '+OK\r\n');
    assert.equal((await c.reply()).raw, invalidate('k'));
    assert.equal(
      await c.call('CLIENT', 'TRACKINGINFO'),
      `%3\r\n${bulk('flags')}~1\r\n${bulk('on')}${bulk('redirect')}:0\r\n${bulk('prefixes')}*0\r\n`,
    );
    assert.match(await c.call('CLIENT', 'INFO'), / flags=t /);
  });

  it('RESP2 with REDIRECT: messages on __redis__:invalidate of the subscribed client', async ({
    connection: c,
    connect,
  }) => {
    const subscriber = await connect();
    const writer = await connect();
    const id = await idOf(subscriber);
    await subscriber.call('SUBSCRIBE', '__redis__:invalidate');
    assert.equal(await c.call('CLIENT', 'TRACKING', 'ON', 'REDIRECT', id), '+OK\r\n');
    assert.equal(await c.call('CLIENT', 'GETREDIR'), `:${id}\r\n`);
    await c.call('GET', 'k');
    await writer.call('SET', 'k', 'v');
    assert.equal(
      (await subscriber.reply()).raw,
      `*3\r\n${bulk('message')}${bulk('__redis__:invalidate')}*1\r\n${bulk('k')}`,
    );
    await writer.call('FLUSHALL');
    assert.equal(
      (await subscriber.reply()).raw,
      `*3\r\n${bulk('message')}${bulk('__redis__:invalidate')}$-1\r\n`,
    );
    assert.equal(
      await c.call('CLIENT', 'TRACKING', 'ON', 'REDIRECT', '99999'),
      '-ERR The client ID you want redirect to does not exist\r\n',
    );
  });

  it('a redirect to a client that left is reported, and shown in the flags', async ({
    connection: c,
    connect,
  }) => {
    const target = await connect();
    const writer = await connect();
    const id = await idOf(target);
    await resp3(c);
    await c.call('CLIENT', 'TRACKING', 'ON', 'REDIRECT', id);
    await c.call('GET', 'k');
    target.close();
    await new Promise((resolve) => setTimeout(resolve, 100));
    await writer.call('SET', 'k', 'v');
    assert.equal((await c.reply()).raw, `>2\r\n${bulk('tracking-redir-broken')}:${id}\r\n`);
    assert.match(await c.call('CLIENT', 'TRACKINGINFO'), /broken_redirect/);
    assert.match(await c.call('CLIENT', 'INFO'), new RegExp(` flags=tR .* redir=${id} `));
  });

  it('BCAST: changes under the prefixes, batched per turn in key order; NOLOOP', async ({
    connection: c,
    connect,
  }) => {
    const writer = await connect();
    await resp3(c);
    assert.equal(
      await c.call('CLIENT', 'TRACKING', 'ON', 'BCAST', 'PREFIX', 'a', 'PREFIX', 'b', 'NOLOOP'),
      '+OK\r\n',
    );
    assert.equal(
      await c.call('CLIENT', 'TRACKING', 'ON', 'BCAST', 'PREFIX', 'ab'),
      "-ERR Prefix 'ab' overlaps with an existing prefix 'a'. Prefixes for a single client must not overlap.\r\n",
    );
    assert.equal(
      await c.call('CLIENT', 'TRACKING', 'ON', 'BCAST', 'PREFIX', 'x', 'PREFIX', 'xy'),
      "-ERR Prefix 'x' overlaps with another provided prefix 'xy'. Prefixes for a single client must not overlap.\r\n",
    );
    await writer.call('MULTI');
    for (const key of ['a2', 'zz', 'b1', 'a1', 'a2']) await writer.call('SET', key, 'v');
    await writer.call('EXEC');
    assert.equal((await c.reply()).raw, invalidate('a1', 'a2'));
    assert.equal((await c.reply()).raw, invalidate('b1'));
    // NOLOOP: its own changes are not sent back.
    assert.equal(await c.call('SET', 'a9', 'v'), '+OK\r\n');
    assert.equal(await c.call('PING'), '+PONG\r\n');
    assert.equal(
      await c.call('CLIENT', 'TRACKING', 'ON'),
      "-ERR You can't switch BCAST mode on/off before disabling tracking for this client, and then re-enabling it with a different mode.\r\n",
    );
    assert.match(await c.call('INFO', 'stats'), /tracking_total_prefixes:2\r\n/);
  });

  it('OPTIN and OPTOUT: CLIENT CACHING decides for the next command', async ({ connection: c, connect }) => {
    const writer = await connect();
    await resp3(c);
    await c.call('CLIENT', 'TRACKING', 'ON', 'OPTIN');
    await c.call('GET', 'not-cached');
    assert.equal(await c.call('CLIENT', 'CACHING', 'YES'), '+OK\r\n');
    await c.call('GET', 'cached');
    await writer.call('SET', 'not-cached', 'v');
    await writer.call('SET', 'cached', 'v');
    assert.equal((await c.reply()).raw, invalidate('cached'));
    assert.equal(
      await c.call('CLIENT', 'CACHING', 'NO'),
      '-ERR CLIENT CACHING NO is only valid when tracking is enabled in OPTOUT mode.\r\n',
    );
    await c.call('CLIENT', 'TRACKING', 'OFF');
    await c.call('CLIENT', 'TRACKING', 'ON', 'OPTOUT');
    await c.call('CLIENT', 'CACHING', 'NO');
    await c.call('GET', 'skipped');
    await c.call('GET', 'kept');
    await writer.call('SET', 'skipped', 'v');
    await writer.call('SET', 'kept', 'v');
    assert.equal((await c.reply()).raw, invalidate('kept'));
    assert.equal(
      await c.call('CLIENT', 'CACHING', 'YES'),
      '-ERR CLIENT CACHING YES is only valid when tracking is enabled in OPTIN mode.\r\n',
    );
    await c.call('CLIENT', 'TRACKING', 'OFF');
    assert.equal(
      await c.call('CLIENT', 'CACHING', 'YES'),
      '-ERR CLIENT CACHING can be called only when the client is in tracking mode with OPTIN or OPTOUT mode enabled\r\n',
    );
    assert.equal(await c.call('CLIENT', 'GETREDIR'), ':-1\r\n');
  });

  it('flushes, expiries and the table limit invalidate too', async ({ connection: c, connect }) => {
    const writer = await connect();
    await resp3(c);
    await c.call('CLIENT', 'TRACKING', 'ON');
    await writer.call('SET', 'short', 'v', 'PX', '100');
    await c.call('GET', 'short');
    assert.equal((await c.reply(3000)).raw, invalidate('short'));
    await c.call('GET', 'x');
    await writer.call('FLUSHDB');
    assert.equal((await c.reply()).raw, '>2\r\n$10\r\ninvalidate\r\n_\r\n');
    assert.match(await c.call('INFO', 'stats'), /tracking_total_keys:0\r\n/);
    await writer.call('CONFIG', 'SET', 'tracking-table-max-keys', '2');
    try {
      await c.call('MGET', 'k1', 'k2', 'k3', 'k4', 'k5');
      const invalidated: string[] = [];
      while (invalidated.length < 3) {
        const push = (await c.reply(3000)).raw;
        const match = /^>2\r\n\$10\r\ninvalidate\r\n\*1\r\n\$2\r\n(k\d)\r\n$/.exec(push);
        assert.ok(match, push);
        invalidated.push(match[1] as string);
      }
      assert.match(await c.call('INFO', 'stats'), /tracking_total_keys:2\r\n/);
    } finally {
      await writer.call('CONFIG', 'SET', 'tracking-table-max-keys', '1000000');
    }
    assert.match(await writer.call('INFO', 'clients'), /tracking_clients:1\r\n/);
  });
});
