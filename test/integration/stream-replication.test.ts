// Stream writes reach replicas as Redis 7.0 sends them (generated IDs, exact trims, XCLAIM and
// XGROUP SETID for deliveries and claims), both ways with Debian's redis-server: a replica ends
// with the same entries, node layout, groups, pending entries and delivery counts as its master.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { RawConnection } from '../helpers/raw-connection.ts';
import { type RunningServer, type ServerKind, startServer } from '../helpers/redis-servers.ts';

const running: RunningServer[] = [];
const connections: RawConnection[] = [];

async function start(kind: ServerKind): Promise<[RunningServer, RawConnection]> {
  const server = await startServer(kind, { args: ['--repl-ping-replica-period', '1'] });
  running.push(server);
  const connection = await RawConnection.open(server.port);
  connections.push(connection);
  return [server, connection];
}

after(async () => {
  for (const connection of connections) connection.close();
  await Promise.all(running.map((server) => server.stop()));
});

async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs = 10000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function attach(replica: RawConnection, master: RunningServer): Promise<void> {
  assert.equal(await replica.call('REPLICAOF', '127.0.0.1', String(master.port)), '+OK\r\n');
  await waitFor('the link', async () =>
    /master_link_status:up/.test(await replica.call('INFO', 'replication')),
  );
}

/** A stream's whole state; consumers' seen-times are each server's own clock. */
async function state(connection: RawConnection, key: string): Promise<string> {
  const full = await connection.call('XINFO', 'STREAM', key, 'FULL', 'COUNT', '0');
  return full.replace(/(\$9\r\nseen-time\r\n):\d+/g, '$1:t');
}

/** Stream writes of every kind, with `*` IDs, approximate trims, deliveries and claims. */
async function streamLoad(c: RawConnection): Promise<void> {
  for (let i = 0; i < 300; i++) c.send('XADD', 's', '*', 'n', String(i), 'pad', 'p'.repeat(i % 50));
  for (let i = 0; i < 300; i++) await c.reply();
  assert.equal(await c.call('XGROUP', 'CREATE', 's', 'g1', '0'), '+OK\r\n');
  assert.equal(await c.call('XGROUP', 'CREATE', 's', 'g2', '$'), '+OK\r\n');
  await c.call('XREADGROUP', 'GROUP', 'g1', 'alice', 'COUNT', '40', 'STREAMS', 's', '>');
  await c.call('XREADGROUP', 'GROUP', 'g1', 'bob', 'COUNT', '30', 'STREAMS', 's', '>');
  await c.call('XREADGROUP', 'GROUP', 'g1', 'carol', 'NOACK', 'COUNT', '5', 'STREAMS', 's', '>');
  // (A history read, XREADGROUP ... 0, is left out: it counts a delivery that Redis does not propagate.)
  const pending = await c.call('XPENDING', 's', 'g1', '-', '+', '12');
  const ids = [...pending.matchAll(/\$\d+\r\n(\d+-\d+)\r\n/g)].map((match) => match[1] as string);
  assert.equal(ids.length, 12);
  await c.call('XACK', 's', 'g1', ...ids.slice(0, 4));
  await c.call('XCLAIM', 's', 'g1', 'dave', '0', ...ids.slice(4, 8), 'IDLE', '5000');
  await c.call('XDEL', 's', ids[8] as string);
  await c.call('XAUTOCLAIM', 's', 'g1', 'erin', '0', '0', 'COUNT', '20');
  await c.call('XGROUP', 'CREATECONSUMER', 's', 'g2', 'frank');
  await c.call('XGROUP', 'DELCONSUMER', 's', 'g1', 'bob');
  for (let i = 0; i < 50; i++) c.send('XADD', 's', 'MAXLEN', '~', '200', '*', 'more', String(i));
  for (let i = 0; i < 50; i++) await c.reply();
  assert.match(
    await c.call('XTRIM', 's', 'MINID', '~', (await firstId(c, 's', 120)) as string),
    /^:\d+\r\n$/,
  );
  await c.call('XREADGROUP', 'GROUP', 'g2', 'frank', 'COUNT', '3', 'STREAMS', 's', '>');
  await c.call('XGROUP', 'SETID', 's', 'g2', '$');
  await c.call('XSETID', 's', '99999999999999-0', 'ENTRIESADDED', '1000');
  await c.call('XADD', 'other', '5-*', 'a', 'b');
}

/** The ID of the entry at `index` in ID order. */
async function firstId(c: RawConnection, key: string, index: number): Promise<string | undefined> {
  const range = await c.call('XRANGE', key, '-', '+', 'COUNT', String(index + 1));
  return [...range.matchAll(/\*2\r\n\$\d+\r\n(\d+-\d+)\r\n/g)].map((match) => match[1])[index];
}

async function inSync(master: RawConnection, replica: RawConnection): Promise<void> {
  let last = '';
  try {
    await waitFor('the replica to match the master', async () => {
      const [a, b] = [await state(master, 's'), await state(replica, 's')];
      let at = 0;
      while (at < a.length && a[at] === b[at]) at++;
      last = `first difference at ${at}:\n${JSON.stringify(a.slice(Math.max(0, at - 200), at + 100))}\n---\n${JSON.stringify(b.slice(Math.max(0, at - 200), at + 100))}`;
      return (
        a === b &&
        (await master.call('XRANGE', 'other', '-', '+')) === (await replica.call('XRANGE', 'other', '-', '+'))
      );
    });
  } catch (error) {
    throw new Error(`${(error as Error).message}:\n${last}`);
  }
}

describe('stream replication', () => {
  test('a codis-server master: a codis-server and a redis-server replica end with its streams', async () => {
    const [master, m] = await start('codis-server');
    const [, ours] = await start('codis-server');
    const [, theirs] = await start('redis-server');
    await attach(ours, master);
    await attach(theirs, master);
    await streamLoad(m);
    await inSync(m, ours);
    await inSync(m, theirs);
  });

  test('a redis-server master: a codis-server replica applies what it sends', async () => {
    const [master, m] = await start('redis-server');
    const [, ours] = await start('codis-server');
    await attach(ours, master);
    await streamLoad(m);
    await inSync(m, ours);
  });
});
