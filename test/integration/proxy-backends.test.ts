// codis-proxy against failing and changing backends: offline proxy, session_auth and product_auth,
// client limits, break-on-failure, slot fills (errors, offline, locked slots with a bounded wait),
// replica reads, a backend killed mid-pipeline and restarted (spec/proxy.md §5, §6, §7, §14.5–14.8).
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { ProxyError } from '../../src/proxy/index.ts';
import { slotOf } from '../../src/slots/index.ts';
import { freePort } from '../helpers/free-port.ts';
import { sleep, slotRange, startProxy } from '../helpers/proxy-fixture.ts';
import { RawConnection } from '../helpers/raw-connection.ts';
import { type RunningServer, startServer } from '../helpers/redis-servers.ts';

describe('codis-proxy backends and sessions', () => {
  let a: RunningServer;
  let b: RunningServer;
  let addrA: string;
  let addrB: string;

  before(async () => {
    [a, b] = await Promise.all([startServer('codis-server'), startServer('codis-server')]);
    addrA = `127.0.0.1:${a.port}`;
    addrB = `127.0.0.1:${b.port}`;
  });
  after(async () => {
    await Promise.all([a.stop(), b.stop()]);
  });

  it('refuses sessions before start and beyond proxy_max_clients (§5.1)', async () => {
    const fixture = await startProxy({ proxy_max_clients: 2 });
    const early = await RawConnection.open(fixture.port);
    assert.equal((await early.reply()).raw, '-ERR router is not online\r\n');
    await early.waitClosed();
    fixture.proxy.fillSlots(slotRange(0, 1023, addrA));
    fixture.proxy.start();
    assert.equal(fixture.proxy.online, true);
    const one = await RawConnection.open(fixture.port);
    const two = await RawConnection.open(fixture.port);
    assert.equal(await one.call('PING'), '+PONG\r\n');
    assert.equal(await two.call('PING'), '+PONG\r\n');
    const three = await RawConnection.open(fixture.port);
    assert.equal((await three.reply()).raw, '-ERR max number of clients reached\r\n');
    await three.waitClosed();
    const stats = fixture.proxy.stats();
    assert.equal(stats.ops.fails, 2);
    assert.deepEqual(stats.sessions, { total: 4, alive: 2 });
    one.close();
    two.close();
    await fixture.close();
    assert.equal(fixture.proxy.closed, true);
    assert.throws(() => fixture.proxy.fillSlots([{ id: 1 }]), { message: 'use of closed router' });
  });

  it('closes idle sessions after session_recv_timeout, silently (§5.4)', async () => {
    const fixture = await startProxy({ session_recv_timeout: 300 });
    fixture.proxy.fillSlots(slotRange(0, 1023, addrA));
    fixture.proxy.start();
    const idle = await RawConnection.open(fixture.port);
    const busy = await RawConnection.open(fixture.port);
    const started = Date.now();
    for (let i = 0; i < 6; i++) {
      assert.equal(await busy.call('PING'), '+PONG\r\n');
      await sleep(100);
    }
    await idle.waitClosed();
    assert.ok(Date.now() - started >= 250);
    assert.equal(busy.closed, false);
    assert.equal(fixture.proxy.stats().sessions.alive, 1);
    busy.close();
    await fixture.close();
  });

  it('keeps a session in order over parallel backend connections', async () => {
    const fixture = await startProxy({ backend_primary_parallel: 4 });
    fixture.proxy.fillSlots(slotRange(0, 1023, addrA));
    fixture.proxy.start();
    const c = await RawConnection.open(fixture.port);
    await sleep(100);
    let pipeline = '';
    for (let i = 0; i < 2000; i++) pipeline += `SET par ${i}\r\nGET par\r\n`;
    c.sendRaw(pipeline);
    for (let i = 0; i < 2000; i++) {
      assert.equal((await c.reply()).raw, '+OK\r\n');
      assert.equal((await c.reply()).raw, `$${String(i).length}\r\n${i}\r\n`);
    }
    c.close();
    await fixture.close();
  });

  it('fillSlots validates in order and stops at the first invalid record (§6.2)', async () => {
    const fixture = await startProxy();
    const invalidId = (): void =>
      fixture.proxy.fillSlots([{ id: 3, backend_addr: addrA }, { id: 1024 }, { id: 4 }]);
    assert.throws(
      invalidId,
      (error: unknown) => error instanceof ProxyError && error.code === 'INVALID_SLOT_ID',
    );
    assert.throws(() => fixture.proxy.fillSlots([{ id: 5, forward_method: 7 }]), {
      message: 'use of invalid forwarder method',
    });
    const slots = fixture.proxy.slots();
    assert.equal(slots.length, 1024);
    assert.deepEqual(slots[3], { id: 3, backend_addr: addrA });
    assert.deepEqual(slots[4], { id: 4 });
    fixture.proxy.fillSlots([
      {
        id: 7,
        backend_addr: addrA,
        backend_addr_group_id: 1,
        forward_method: 1,
        replica_groups: [[addrB], []],
      },
    ]);
    assert.deepEqual(fixture.proxy.slots()[7], {
      id: 7,
      backend_addr: addrA,
      backend_addr_group_id: 1,
      forward_method: 1,
      replica_groups: [[addrB]],
    });
    await fixture.close();
  });

  it('session_auth, product_auth, break-on-failure and the pipeline limit (§14.5)', async () => {
    const secure = await startServer('codis-server', { args: ['--requirepass', 'pauth'] });
    const fixture = await startProxy({
      session_auth: 'secret',
      product_auth: 'pauth',
      session_break_on_failure: true,
      session_max_pipeline: 5,
    });
    fixture.proxy.fillSlots(slotRange(0, 1023, `127.0.0.1:${secure.port}`));
    fixture.proxy.start();
    const c = await RawConnection.open(fixture.port);
    assert.equal(await c.call('GET', 'a'), '-NOAUTH Authentication required\r\n');
    assert.equal(
      await c.call('AUTH', 'a', 'b', 'c'),
      "-ERR wrong number of arguments for 'AUTH' command\r\n",
    );
    // Better than Codis: Redis 6's AUTH <user> <password>, for the one user a proxy has.
    const wrongpass = '-WRONGPASS invalid username-password pair or user is disabled.\r\n';
    assert.equal(await c.call('AUTH', 'a', 'secret'), wrongpass);
    assert.equal(await c.call('AUTH', 'default', 'wrong'), wrongpass);
    assert.equal(await c.call('GET', 'a'), '-NOAUTH Authentication required\r\n');
    assert.equal(await c.call('AUTH', 'default', 'secret'), '+OK\r\n');
    assert.equal(await c.call('GET', 'a'), '$-1\r\n');
    assert.equal(await c.call('AUTH', 'wrong'), '-ERR invalid password\r\n');
    assert.equal(await c.call('AUTH', 'secret'), '+OK\r\n');
    assert.equal(await c.call('SELECT', '3'), '+OK\r\n');
    assert.equal(await c.call('SELECT', '4'), '-ERR invalid DB index, only accept DB [0,4)\r\n');
    assert.equal(await c.call('SET', 'a', '1'), '+OK\r\n');
    assert.equal(await c.call('AUTH', 'wrong'), '-ERR invalid password\r\n');
    assert.equal(await c.call('GET', 'a'), '-NOAUTH Authentication required\r\n');
    assert.equal(await c.call('KEYS', '*'), "-ERR handle request, command 'KEYS' is not allowed\r\n");
    await c.waitClosed();
    // Pipeline limit: the requests accepted are answered, then a clear error and close.
    const p = await RawConnection.open(fixture.port);
    p.sendRaw(`AUTH secret\r\n${'GET a\r\n'.repeat(50)}`);
    const replies: string[] = [];
    try {
      for (;;) replies.push((await p.reply(2000)).raw);
    } catch {}
    assert.equal(replies[0], '+OK\r\n');
    assert.match(replies[replies.length - 1] as string, /^-ERR too many pipelined requests/);
    assert.ok(replies.length < 52);
    assert.equal(p.closed, true);
    await fixture.close();
    await secure.stop();
  });

  it('a backend that refuses the handshake gives backend conn errors (§7.2)', async () => {
    const fixture = await startProxy({ product_auth: 'nopass-on-server' });
    fixture.proxy.fillSlots(slotRange(0, 1023, addrA));
    fixture.proxy.start();
    const c = await RawConnection.open(fixture.port);
    const reply = await c.call('GET', 'a');
    assert.match(reply, /^-ERR handle response, backend conn (reset|failure, error resp: )/);
    assert.equal(await c.call('PING', addrA), `-ERR backend server '${addrA}' not found\r\n`);
    c.close();
    await fixture.close();
  });

  it('offline and locked slots; a locked slot is waited for at most the configured time', async () => {
    const fixture = await startProxy({}, { slotWaitTimeout: 400 });
    fixture.proxy.fillSlots(slotRange(0, 1023, addrA));
    fixture.proxy.start();
    const k1 = slotOf('k1');
    const conn1 = await RawConnection.open(fixture.port);
    const conn2 = await RawConnection.open(fixture.port);
    assert.equal(await conn1.call('SET', 'k1', 'v1'), '+OK\r\n');
    fixture.proxy.fillSlots([{ id: k1, locked: true, backend_addr: addrA }]);
    conn1.send('GET', 'k1');
    conn1.send('GET', 'a');
    assert.equal(await conn2.call('GET', 'a'), '$-1\r\n');
    await sleep(100);
    fixture.proxy.fillSlots([{ id: k1, backend_addr: addrA }]);
    assert.equal((await conn1.reply()).raw, '$2\r\nv1\r\n');
    assert.equal((await conn1.reply()).raw, '$-1\r\n');
    // A client that half-closes behind a locked slot still gets every reply, then EOF.
    fixture.proxy.fillSlots([{ id: k1, locked: true, backend_addr: addrA }]);
    const halfClosed = connect({ port: fixture.port, host: '127.0.0.1', allowHalfOpen: true });
    let received = '';
    halfClosed.on('data', (chunk: Buffer) => {
      received += chunk.latin1Slice();
    });
    const ended = new Promise((resolve) => halfClosed.on('end', resolve));
    halfClosed.end('GET k1\r\nGET a\r\nPING\r\n');
    await sleep(50);
    fixture.proxy.fillSlots([{ id: k1, backend_addr: addrA }]);
    await ended;
    assert.equal(received, '$2\r\nv1\r\n$-1\r\n+PONG\r\n');
    halfClosed.destroy();
    // Locked for longer than the bound: a clear error, and the session goes on.
    fixture.proxy.fillSlots([{ id: k1, locked: true, backend_addr: addrA }]);
    conn1.send('GET', 'k1');
    conn1.send('GET', 'a');
    assert.match((await conn1.reply()).raw, /^-ERR handle request, slot \d+ is locked, gave up after 400 ms/);
    assert.equal((await conn1.reply()).raw, '$-1\r\n');
    // A malformed address behaves as an unreachable backend.
    fixture.proxy.fillSlots([{ id: k1, backend_addr: 'nonsense' }]);
    assert.match(await conn1.call('GET', 'k1'), /^-ERR handle response, backend conn (reset|failure)/);
    fixture.proxy.fillSlots([{ id: k1 }]);
    const offline = '-ERR handle request, slot is not ready, may be offline\r\n';
    assert.equal(await conn1.call('GET', 'k1'), offline);
    assert.equal(await conn1.call('MGET', 'a', 'k1'), offline);
    assert.equal(await conn1.call('SLOTSSCAN', String(k1), '0'), offline);
    assert.equal(await conn1.call('SLOTSMAPPING', String(k1)), `*4\r\n+${k1}\r\n+\r\n+\r\n*-1\r\n`);
    // PING picks a slot with a backend (Codis may pick an offline one and fail).
    fixture.proxy.fillSlots(slotRange(0, 1000, ''));
    for (let i = 0; i < 20; i++) assert.equal(await conn1.call('PING'), '+PONG\r\n');
    conn1.close();
    conn2.close();
    await fixture.close();
  });

  it('reads from replicas, writes and scans on the primary (§6.4)', async () => {
    const replica = await startServer('codis-server');
    const addrR = `127.0.0.1:${replica.port}`;
    const direct = await RawConnection.open(replica.port);
    assert.equal(await direct.call('SET', 'rk', 'from-replica'), '+OK\r\n');
    const fixture = await startProxy();
    fixture.proxy.fillSlots(slotRange(0, 1023, addrA, { replica_groups: [[addrR]] }));
    fixture.proxy.start();
    const c = await RawConnection.open(fixture.port);
    assert.equal(await c.call('SET', 'rk', 'from-primary'), '+OK\r\n');
    // Replica connections start in the background.
    for (let i = 0; i < 50 && (await c.call('GET', 'rk')) !== '$12\r\nfrom-replica\r\n'; i++) await sleep(20);
    for (let i = 0; i < 10; i++) assert.equal(await c.call('GET', 'rk'), '$12\r\nfrom-replica\r\n');
    assert.equal(await c.call('STRLEN', 'rk'), ':12\r\n');
    assert.equal(await c.call('GETSET', 'rk', 'x'), '$12\r\nfrom-primary\r\n');
    assert.equal(
      await c.call('HSCAN', 'rk', '0'),
      '-WRONGTYPE Operation against a key holding the wrong kind of value\r\n',
    );
    // A replica that goes away: reads fall back to the primary.
    await replica.stop();
    let reply = '';
    for (let i = 0; i < 50; i++) {
      reply = await c.call('GET', 'rk');
      if (reply === '$1\r\nx\r\n') break;
      await sleep(20);
    }
    assert.equal(reply, '$1\r\nx\r\n');
    direct.close();
    c.close();
    await fixture.close();
  });

  it('a replica answering MASTERDOWN is skipped until keepalive INFO sees it healthy (§7.5)', async () => {
    const dead = await freePort();
    const replica = await startServer('codis-server', {
      args: ['--replicaof', '127.0.0.1', String(dead), '--replica-serve-stale-data', 'no'],
    });
    const direct = await RawConnection.open(a.port);
    assert.equal(await direct.call('SET', 'stale', 'primary'), '+OK\r\n');
    const fixture = await startProxy({ backend_ping_period: 1000 });
    fixture.proxy.fillSlots(slotRange(0, 1023, addrA, { replica_groups: [[`127.0.0.1:${replica.port}`]] }));
    fixture.proxy.start();
    const c = await RawConnection.open(fixture.port);
    let reply = '';
    for (let i = 0; i < 100 && !reply.startsWith('-MASTERDOWN'); i++) {
      reply = await c.call('GET', 'stale');
      if (!reply.startsWith('-MASTERDOWN')) await sleep(20);
    }
    assert.match(reply, /^-MASTERDOWN/);
    for (let i = 0; i < 5; i++) assert.equal(await c.call('GET', 'stale'), '$7\r\nprimary\r\n');
    const onReplica = await RawConnection.open(replica.port);
    assert.equal(await onReplica.call('REPLICAOF', 'NO', 'ONE'), '+OK\r\n');
    const deadline = Date.now() + 5000;
    while (Date.now() < deadline && reply !== '$-1\r\n') {
      reply = await c.call('GET', 'stale');
      await sleep(50);
    }
    assert.equal(reply, '$-1\r\n');
    for (const conn of [c, direct, onReplica]) conn.close();
    await fixture.close();
    await replica.stop();
  });

  it('a backend killed mid-pipeline: every request answered, other slots unaffected, recovery after restart', async () => {
    const victim = await startServer('codis-server');
    const addrV = `127.0.0.1:${victim.port}`;
    const logged: string[] = [];
    const logger = pino({ level: 'info' }, { write: (line: string) => logged.push(line) });
    const fixture = await startProxy({}, { logger });
    fixture.proxy.fillSlots([...slotRange(0, 511, addrV), ...slotRange(512, 1023, addrB)]);
    fixture.proxy.start();
    const c = await RawConnection.open(fixture.port);
    const onVictim = ['k1', 'x1', 'y1', 'z1', 'w1', 'q1'].filter((key) => slotOf(key) < 512)[0] as string;
    assert.equal(await c.call('SET', onVictim, 'v'), '+OK\r\n');
    assert.equal(await c.call('SET', 'a', 'va'), '+OK\r\n');
    const requests = 9000;
    let pipeline = '';
    for (let i = 0; i < requests; i++)
      pipeline += `*2\r\n$3\r\nGET\r\n$${onVictim.length}\r\n${onVictim}\r\n`;
    c.sendRaw(pipeline);
    await sleep(5);
    victim.process.kill('SIGKILL');
    let ok = 0;
    let failed = 0;
    for (let i = 0; i < requests; i++) {
      const reply = (await c.reply(10000)).raw;
      if (reply === '$1\r\nv\r\n') ok++;
      else {
        assert.match(reply, /^-ERR handle response, backend conn (reset|failure, )/);
        failed++;
      }
    }
    assert.equal(ok + failed, requests);
    assert.equal(await c.call('GET', 'a'), '$2\r\nva\r\n');
    assert.match(await c.call('GET', onVictim), /^-ERR handle (response|request), backend conn/);
    const restarted = await startServer('codis-server', { port: victim.port });
    let reply = '';
    const deadline = Date.now() + 10000;
    while (Date.now() < deadline) {
      reply = await c.call('GET', onVictim);
      if (reply === '$-1\r\n') break;
      await sleep(50);
    }
    assert.equal(reply, '$-1\r\n');
    assert.ok(logged.some((line) => line.includes(`backend conn [${addrV}] db=0: backend conn failure`)));
    assert.ok(logged.some((line) => line.includes(`backend conn [${addrV}] db=0: connected again`)));
    c.close();
    await fixture.close();
    await restarted.stop();
    await victim.stop();
  });
});
