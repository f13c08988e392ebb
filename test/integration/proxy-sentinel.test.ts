// codis-proxy following a redis-sentinel failover (spec/proxy.md §6.8): the group's slots are
// re-filled with the promoted replica and flagged as switched; writes through the proxy land on it.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { type Daemon, requireExecutable, startDaemon } from '../helpers/daemon.ts';
import { freePort } from '../helpers/free-port.ts';
import { type ProxyFixture, sleep, slotRange, startProxy } from '../helpers/proxy-fixture.ts';
import { RawConnection } from '../helpers/raw-connection.ts';
import { type RunningServer, startServer } from '../helpers/redis-servers.ts';

const SENTINEL = '/usr/bin/redis-sentinel';
const cleanup: Array<() => Promise<void> | void> = [];

after(async () => {
  for (const step of cleanup.reverse()) await step();
});

async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs = 20000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

async function call(port: number, ...args: string[]): Promise<string> {
  const c = await RawConnection.open(port);
  try {
    return await c.call(...args);
  } finally {
    c.close();
  }
}

test('the proxy follows a sentinel failover', { timeout: 60000 }, async () => {
  requireExecutable(SENTINEL, 'redis-sentinel');
  const master: RunningServer = await startServer('codis-server');
  cleanup.push(() => master.stop());
  const replica: RunningServer = await startServer('codis-server', {
    args: ['--replicaof', '127.0.0.1', String(master.port)],
  });
  cleanup.push(() => replica.stop());
  await waitFor('replica link', async () =>
    (await call(replica.port, 'INFO', 'replication')).includes('master_link_status:up'),
  );

  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'proxy-sentinel-'));
  cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
  const group = 'codis-demo-1';
  writeFileSync(
    join(dir, 'sentinel.conf'),
    [
      `port ${port}`,
      'bind 127.0.0.1',
      `dir ${dir}`,
      `sentinel monitor ${group} 127.0.0.1 ${master.port} 1`,
      `sentinel down-after-milliseconds ${group} 2000`,
      `sentinel failover-timeout ${group} 5000`,
      '',
    ].join('\n'),
  );
  const sentinel: Daemon = await startDaemon({
    command: SENTINEL,
    args: [join(dir, 'sentinel.conf')],
    ready: async () => (await call(port, 'PING')) === '+PONG\r\n',
    ports: [port],
  });
  cleanup.push(() => sentinel.stop());
  await waitFor('sentinel sees the replica', async () =>
    (await call(port, 'SENTINEL', 'replicas', group)).includes(String(replica.port)),
  );

  const fixture: ProxyFixture = await startProxy({ product_name: 'codis-demo' });
  cleanup.push(() => fixture.close());
  const masterAddr = `127.0.0.1:${master.port}`;
  const replicaAddr = `127.0.0.1:${replica.port}`;
  fixture.proxy.fillSlots(slotRange(0, 1023, masterAddr, { backend_addr_group_id: 1 }));
  fixture.proxy.start();
  fixture.proxy.setSentinels([`127.0.0.1:${port}`]);
  await waitFor('masters known', async () => fixture.proxy.stats().sentinels.masters['1'] === masterAddr);
  assert.equal(fixture.proxy.stats().sentinels.switched, false);

  assert.equal(await call(fixture.port, 'SET', 'before', '1'), '+OK\r\n');
  assert.equal(await call(port, 'SENTINEL', 'FAILOVER', group), '+OK\r\n');
  await waitFor('slots switched', async () => fixture.proxy.slots()[0]?.backend_addr === replicaAddr);
  const stats = fixture.proxy.stats();
  assert.equal(stats.sentinels.switched, true);
  assert.equal(stats.sentinels.masters['1'], replicaAddr);
  assert.deepEqual(stats.sentinels.servers, [`127.0.0.1:${port}`]);
  await waitFor('writes accepted', async () => (await call(fixture.port, 'SET', 'after', '2')) === '+OK\r\n');
  assert.equal(await call(replica.port, 'GET', 'after'), '$1\r\n2\r\n');
  assert.equal(await call(fixture.port, 'GET', 'before'), '$1\r\n1\r\n');
  // A normal fill clears the switched flag.
  fixture.proxy.fillSlots(slotRange(0, 1023, replicaAddr, { backend_addr_group_id: 1 }));
  assert.equal(fixture.proxy.stats().sentinels.switched, false);
  fixture.proxy.setSentinels([]);
});
