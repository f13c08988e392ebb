// Slot migration through codis-proxy, driven as the dashboard drives it (spec/proxy.md §6.5–§6.7):
// fill the slots locked with migrate_from, unlock, move the keys with SLOTSMGRTTAGSLOT (sync
// method) or SLOTSMGRTTAGSLOT-ASYNC (semi-async method) on the source, then fill without
// migrate_from. Clients write throughout; every acknowledged write must be on the target at the
// end, and nothing stays on the source.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { slotOf } from '../../src/slots/index.ts';
import { freePort } from '../helpers/free-port.ts';
import { type ProxyFixture, sleep, slotRange, startProxy } from '../helpers/proxy-fixture.ts';
import { RawConnection } from '../helpers/raw-connection.ts';
import { type RunningServer, startServer } from '../helpers/redis-servers.ts';
import { moveSlot } from '../helpers/slot-mover.ts';

const MOVING = 8;

function keysInSlots(prefix: string, count: number): string[] {
  const keys: string[] = [];
  for (let i = 0; keys.length < count; i++) if (slotOf(`${prefix}${i}`) < MOVING) keys.push(`${prefix}${i}`);
  return keys;
}

describe('codis-proxy migration', () => {
  let a: RunningServer;
  let b: RunningServer;
  let addrA: string;
  let addrB: string;
  let fixture: ProxyFixture;

  before(async () => {
    [a, b] = await Promise.all([startServer('codis-server'), startServer('codis-server')]);
    addrA = `127.0.0.1:${a.port}`;
    addrB = `127.0.0.1:${b.port}`;
    fixture = await startProxy();
    fixture.proxy.start();
  });
  after(async () => {
    await fixture.close();
    await Promise.all([a.stop(), b.stop()]);
  });

  for (const [method, name] of [
    [0, 'sync (SLOTSMGRTTAGONE before forwarding)'],
    [1, 'semi-async (SLOTSMGRT-EXEC-WRAPPER)'],
  ] as const) {
    it(`moves slots under writes, nothing lost: ${name}`, async () => {
      const [source, target, sourceAddr, targetAddr] =
        method === 0 ? [a, b, addrA, addrB] : [b, a, addrB, addrA];
      const proxy = fixture.proxy;
      proxy.fillSlots(slotRange(0, 1023, sourceAddr, { forward_method: method }));
      const prefix = `m${method}:`;
      const counters = keysInSlots(`${prefix}c`, 40);
      const filler = keysInSlots(`${prefix}f`, 600);
      const setup = await RawConnection.open(fixture.port);
      for (let i = 0; i < filler.length; i += 100) {
        const chunk = filler.slice(i, i + 100);
        assert.equal(await setup.call('MSET', ...chunk.flatMap((key) => [key, 'x'.repeat(200)])), '+OK\r\n');
      }
      // Writers: INCR on counters and RPUSH on a tagged list, counting acknowledgements.
      const acknowledged = new Map<string, number>();
      let pushes = 0;
      let running = true;
      const errors: string[] = [];
      const writer = async (id: number): Promise<void> => {
        const c = await RawConnection.open(fixture.port);
        for (let n = 0; running; n++) {
          const key = counters[(n * 7 + id) % counters.length] as string;
          const reply = await c.call('INCR', key);
          if (reply.startsWith(':')) acknowledged.set(key, (acknowledged.get(key) ?? 0) + 1);
          else errors.push(reply);
          const push = await c.call('RPUSH', `${prefix}{list}`, `${id}:${n}`);
          if (push.startsWith(':')) pushes++;
          else errors.push(push);
          const mget = await c.call('MGET', key, 'elsewhere', counters[0] as string);
          if (!mget.startsWith('*3')) errors.push(mget);
        }
        c.close();
      };
      const writers = [writer(0), writer(1), writer(2), writer(3)];
      await sleep(100);
      // Dashboard: prepared (locked), migrating (unlocked), move, finished.
      const moving = slotRange(0, MOVING - 1, targetAddr, {
        migrate_from: sourceAddr,
        forward_method: method,
      });
      proxy.fillSlots(moving.map((slot) => ({ ...slot, locked: true })));
      await sleep(20);
      proxy.fillSlots(moving);
      for (let slot = 0; slot < MOVING; slot++) {
        await moveSlot(source.port, target.port, slot, { method, numkeys: 50 });
      }
      proxy.fillSlots(slotRange(0, MOVING - 1, targetAddr, { forward_method: method }));
      await sleep(100);
      running = false;
      await Promise.all(writers);
      assert.deepEqual(errors, []);
      // Everything acknowledged is on the target, nothing is left on the source.
      const check = await RawConnection.open(fixture.port);
      for (const key of counters) {
        const count = acknowledged.get(key) ?? 0;
        const expected = count === 0 ? '$-1\r\n' : `$${String(count).length}\r\n${count}\r\n`;
        assert.equal(await check.call('GET', key), expected);
      }
      assert.equal(await check.call('LLEN', `${prefix}{list}`), `:${pushes}\r\n`);
      const onTarget = await RawConnection.open(target.port);
      assert.equal(await onTarget.call('EXISTS', ...filler), `:${filler.length}\r\n`);
      const onSource = await RawConnection.open(source.port);
      for (let slot = 0; slot < MOVING; slot++) {
        assert.equal(
          await onSource.call('SLOTSSCAN', String(slot), '0', 'COUNT', '1000'),
          '*2\r\n$1\r\n0\r\n*0\r\n',
        );
      }
      for (const c of [setup, check, onTarget, onSource]) c.close();
    });
  }

  it('migration steps that fail give Codis errors (§14.7)', async () => {
    const proxy = fixture.proxy;
    const dead = `127.0.0.1:${await freePort()}`;
    const slot = slotOf('e');
    const direct = await RawConnection.open(a.port);
    assert.equal(await direct.call('SET', 'e', 'ev'), '+OK\r\n');
    const c = await RawConnection.open(fixture.port);
    // Sync, target unreachable: the source's SLOTSMGRTTAGONE error is relayed.
    proxy.fillSlots([{ id: slot, backend_addr: dead, migrate_from: addrA, forward_method: 0 }]);
    assert.match(await c.call('GET', 'e'), /^-ERR handle request, bad slotsmgrt resp: /);
    // Semi-async, source unreachable.
    proxy.fillSlots([{ id: slot, backend_addr: addrA, migrate_from: dead, forward_method: 1 }]);
    assert.match(await c.call('GET', 'e'), /^-ERR handle request, backend conn (reset|failure)/);
    // A pipeline behind an unreachable source: every request answered in order.
    c.sendRaw('GET e\r\n'.repeat(500));
    for (let i = 0; i < 500; i++) assert.match((await c.reply()).raw, /^-ERR handle request, backend conn/);
    // Semi-async, key present on the source: the wrapper runs the command there.
    proxy.fillSlots([{ id: slot, backend_addr: dead, migrate_from: addrA, forward_method: 1 }]);
    assert.equal(await c.call('GET', 'e'), '$2\r\nev\r\n');
    proxy.fillSlots([{ id: slot, backend_addr: addrA }]);
    assert.equal(await c.call('GET', 'e'), '$2\r\nev\r\n');
    c.close();
    direct.close();
  });

  it('a multi-key request on several tags of a migrating slot moves every tag first (sync) or asks to retry (semi-async)', async () => {
    const proxy = fixture.proxy;
    const first = 'mt:0';
    const slot = slotOf(first);
    let second = '';
    for (let i = 1; second === ''; i++) if (slotOf(`mt:${i}`) === slot) second = `mt:${i}`;
    const source = await RawConnection.open(a.port);
    const target = await RawConnection.open(b.port);
    assert.equal(await source.call('SADD', first, 'x', 'y'), ':2\r\n');
    assert.equal(await source.call('SADD', second, 'y'), ':1\r\n');
    const c = await RawConnection.open(fixture.port);
    proxy.fillSlots([{ id: slot, backend_addr: addrB, migrate_from: addrA, forward_method: 1 }]);
    assert.equal(
      await c.call('SDIFF', first, second),
      '-TRYAGAIN Multiple keys request during rehashing of slot\r\n',
    );
    // Split commands go per key while the slot migrates.
    assert.equal(await c.call('EXISTS', first, second), ':2\r\n');
    proxy.fillSlots([{ id: slot, backend_addr: addrB, migrate_from: addrA, forward_method: 0 }]);
    assert.equal(await c.call('SDIFFSTORE', first, first, second), ':1\r\n');
    assert.equal(await source.call('EXISTS', first, second), ':0\r\n');
    assert.equal(await target.call('SMEMBERS', first), '*1\r\n$1\r\nx\r\n');
    assert.equal(await target.call('SMEMBERS', second), '*1\r\n$1\r\ny\r\n');
    proxy.fillSlots([{ id: slot, backend_addr: addrB }]);
    for (const conn of [c, source, target]) conn.close();
  });
});
