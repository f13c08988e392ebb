// Full resynchronization of a large dataset without stalling the master: the RDB payload is made
// by the incremental snapshot engine (the one BGSAVE uses) while clients keep being served, and one
// snapshot serves a BGSAVE and a full sync at the same time.
import assert from 'node:assert/strict';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { RawConnection } from '../helpers/raw-connection.ts';
import { type RunningServer, startServer } from '../helpers/redis-servers.ts';

const running: RunningServer[] = [];
const connections: RawConnection[] = [];

after(async () => {
  for (const c of connections) c.close();
  await Promise.all(running.map((server) => server.stop()));
});

async function start(args: string[] = []): Promise<{ server: RunningServer; c: RawConnection }> {
  const server = await startServer('codis-server', { args: ['--repl-ping-replica-period', '1', ...args] });
  running.push(server);
  const c = await RawConnection.open(server.port);
  connections.push(c);
  return { server, c };
}

/** `count` keys key:0..key:<count-1> with ~100-byte values, in MSET batches. */
async function populate(c: RawConnection, count: number): Promise<void> {
  const batch = 1000;
  const value = 'v'.repeat(96);
  for (let from = 0; from < count; from += batch * 20) {
    let sent = 0;
    for (let at = from; at < Math.min(count, from + batch * 20); at += batch) {
      const args: string[] = ['MSET'];
      for (let i = at; i < Math.min(count, at + batch); i++) args.push(`key:${i}`, `${value}${i}`);
      c.send(...args);
      sent++;
    }
    for (let i = 0; i < sent; i++) assert.equal((await c.reply(30000)).raw, '+OK\r\n');
  }
}

/** A command's reply, waiting long enough for a replica loading its payload. */
async function slowReply(c: RawConnection, ...args: string[]): Promise<{ raw: string; value: unknown }> {
  c.send(...args);
  return await c.reply(60000);
}

async function slowValue(c: RawConnection, ...args: string[]): Promise<unknown> {
  return (await slowReply(c, ...args)).value;
}

async function infoField(c: RawConnection, section: string, field: string): Promise<string | undefined> {
  const text = String(await slowValue(c, 'INFO', section));
  return new RegExp(`^${field}:(.*)\\r?$`, 'm').exec(text)?.[1]?.trim();
}

async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs = 60000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** PINGs `c` one at a time until `stop()` turns true; returns the longest reply delay in ms. */
async function pingWhile(c: RawConnection, stop: () => boolean): Promise<number> {
  let longest = 0;
  while (!stop()) {
    const sent = performance.now();
    assert.equal(await c.call('PING'), '+PONG\r\n');
    longest = Math.max(longest, performance.now() - sent);
    await new Promise((resolve) => setImmediate(resolve));
  }
  return longest;
}

describe('full resync of a large dataset', { timeout: 180000 }, () => {
  test('300,000 keys reach a replica while the master keeps answering PING', async () => {
    const master = await start();
    const replica = await start();
    const KEYS = 300_000;
    await populate(master.c, KEYS);
    await master.c.call('SET', 'ttl-key', 'x', 'EX', '1000');
    await master.c.call('SELECT', '5');
    await master.c.call('RPUSH', 'in5', 'a', 'b');
    await master.c.call('SELECT', '0');
    const pinger = await RawConnection.open(master.server.port);
    connections.push(pinger);
    // The garbage of the writes above is collected now, not during the measure; then the delay of
    // an idle server on this machine (scheduling noise, allowed on top of the 200 ms).
    assert.equal((await slowReply(master.c, 'MEMORY', 'PURGE')).raw, '+OK\r\n');
    let idle = false;
    setTimeout(() => {
      idle = true;
    }, 2000);
    const idleLongest = await pingWhile(pinger, () => idle);
    let synced = false;
    const syncStarted = performance.now();
    const pinging = pingWhile(pinger, () => synced);
    assert.equal(await replica.c.call('REPLICAOF', '127.0.0.1', String(master.server.port)), '+OK\r\n');
    // Writes while the snapshot is produced reach the replica through the stream.
    for (let i = 0; i < 50; i++) await master.c.call('SET', `during:${i}`, String(i));
    await master.c.call('DEL', 'key:7');
    // Until the master has sent the payload: the replica then loads it, taking a core of the two
    // the test machine may have, which would measure the scheduler rather than the master.
    await waitFor('the payload sent', async () =>
      /Synchronization with replica \S+ succeeded/.test(master.server.output()),
    );
    synced = true;
    const longest = await pinging;
    const window = performance.now() - syncStarted;
    await waitFor(
      'the replica link',
      async () => (await infoField(replica.c, 'replication', 'master_link_status')) === 'up',
    );
    console.log(
      `full sync of ${KEYS} keys in ${window.toFixed(0)} ms: longest PING delay on the master ${longest.toFixed(1)} ms (idle: ${idleLongest.toFixed(1)} ms)`,
    );
    // A snapshot made in one go blocks the master for most of the sync. The absolute bound alone
    // failed on a machine so loaded that a GC pause took longer; the share of the sync does not.
    assert.ok(
      longest < 200 + idleLongest || longest < window / 3,
      `the master stalled ${longest.toFixed(1)} ms of a ${window.toFixed(0)} ms sync`,
    );
    await waitFor(
      'the replica to hold every key',
      async () => Number(await slowValue(replica.c, 'DBSIZE')) === KEYS + 50,
    );
    assert.equal(await replica.c.value('GET', 'key:123456'), `${'v'.repeat(96)}123456`);
    assert.equal(await replica.c.value('EXISTS', 'key:7'), 0);
    assert.equal(await replica.c.value('GET', 'during:49'), '49');
    assert.ok(Number(await replica.c.value('PTTL', 'ttl-key')) > 900_000);
    await replica.c.call('SELECT', '5');
    assert.deepEqual(await replica.c.value('LRANGE', 'in5', '0', '-1'), ['a', 'b']);
    await replica.c.call('SELECT', '0');
    await master.c.call('SET', 'after', '1');
    await waitFor('the stream after the sync', async () => (await replica.c.value('GET', 'after')) === '1');
  });

  test('one snapshot serves a BGSAVE and a full sync at the same time, in either order', async () => {
    const master = await start();
    const first = await start();
    const second = await start();
    const KEYS = 200_000;
    await populate(master.c, KEYS);
    const started = async (): Promise<number> =>
      Number(await infoField(master.c, 'persistence', 'rdb_snapshots_started'));
    const log = (pattern: RegExp): Promise<void> =>
      waitFor(`the master's log to match ${pattern}`, async () => pattern.test(master.server.output()));
    const linkUp = (c: RawConnection): Promise<void> =>
      waitFor(
        'the replica link',
        async () => (await infoField(c, 'replication', 'master_link_status')) === 'up',
      );
    const bgsaveDone = (): Promise<void> =>
      waitFor(
        'the BGSAVE',
        async () => (await infoField(master.c, 'persistence', 'rdb_bgsave_in_progress')) === '0',
      );

    // A full sync runs; BGSAVE joins its snapshot.
    assert.equal(await first.c.call('REPLICAOF', '127.0.0.1', String(master.server.port)), '+OK\r\n');
    await log(/Starting the snapshot for the full sync/);
    assert.equal(await master.c.call('BGSAVE'), '+Background saving started\r\n');
    await master.c.call('SET', 'written-during-1', '1');
    await linkUp(first.c);
    await bgsaveDone();
    assert.match(master.server.output(), /Background saving shares the running snapshot/);
    assert.equal(await infoField(master.c, 'persistence', 'rdb_last_bgsave_status'), 'ok');
    assert.equal(await started(), 1);
    const file = join(master.server.dir, 'dump.rdb');
    assert.ok(existsSync(file) && statSync(file).size > 1_000_000);
    assert.equal(readFileSync(file).latin1Slice(0, 9), 'REDIS0009');
    // The same image: the file and the payload sent to the replica.
    const sent = /succeeded: sent (\d+) bytes/.exec(master.server.output())?.[1];
    assert.equal(Number(sent), statSync(file).size);

    // A BGSAVE runs (replication already has a history); a full sync joins its snapshot.
    assert.equal(await master.c.call('BGSAVE'), '+Background saving started\r\n');
    assert.equal(await second.c.call('REPLICAOF', '127.0.0.1', String(master.server.port)), '+OK\r\n');
    await master.c.call('SET', 'written-during-2', '2');
    await linkUp(second.c);
    await bgsaveDone();
    assert.match(master.server.output(), /Full sync of replica \S+ shares the running snapshot/);
    assert.equal(await started(), 2);
    for (const replica of [first, second]) {
      await waitFor(
        'the replica data',
        async () => Number(await slowValue(replica.c, 'DBSIZE')) === KEYS + 2,
      );
      assert.equal(await replica.c.value('GET', 'written-during-1'), '1');
      assert.equal(await replica.c.value('GET', 'written-during-2'), '2');
      assert.equal(await replica.c.value('GET', 'key:199999'), `${'v'.repeat(96)}199999`);
    }
  });
});
