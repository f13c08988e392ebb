// Stream commands through codis-proxy: two codis-servers (slots 0..511 on A, 512..1023 on B) behind
// two proxies, and a third codis-server on its own that gets the same commands directly: every
// reply through the proxy must be the same bytes (idle times and timestamps aside). XREAD and
// XREADGROUP are routed by their keys after STREAMS (CROSSSLOT across slots, a malformed request
// answered by a backend as redis-server answers it); with BLOCK they block on a dedicated
// connection, are woken by an XADD through another proxy, time out, follow their slot to a new
// master, and read nothing for a client that went away. Reads may be served by replicas, writes
// (XREADGROUP included) never.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { slotOf } from '../../src/slots/index.ts';
import {
  type ProxyFixture,
  sleep,
  slotRange,
  startProxy,
  startTwoGroups,
  type TwoGroups,
} from '../helpers/proxy-fixture.ts';
import { RawConnection } from '../helpers/raw-connection.ts';
import { type RunningServer, startServer } from '../helpers/redis-servers.ts';
import { moveSlot } from '../helpers/slot-mover.ts';

const CROSSSLOT = "-CROSSSLOT Keys in request don't hash to the same slot\r\n";

let counter = 0;
/** A fresh hash tag whose slot is in [from, to]. */
function tagIn(from: number, to: number): string {
  for (;;) {
    const tag = `x${counter++}`;
    const slot = slotOf(tag);
    if (slot >= from && slot <= to) return tag;
  }
}

/** A tag on group A (slots 0..511) or B. */
function tagOn(group: 'A' | 'B'): string {
  return group === 'A' ? tagIn(0, 511) : tagIn(512, 1023);
}

/** The parts of a reply that differ between two servers running the same commands: times. */
function withoutTimes(raw: string): string {
  return (
    raw
      // Unix milliseconds (XINFO STREAM FULL's seen-time and delivery times).
      .replace(/:1\d{12}\r\n/g, ':<time>\r\n')
      // XINFO CONSUMERS's idle.
      .replace(/(\$4\r\nidle\r\n):\d+\r\n/g, '$1:<idle>\r\n')
      // XPENDING's extended form: [id, consumer, idle, deliveries].
      .replace(/(\*4\r\n\$\d+\r\n\d+-\d+\r\n\$\d+\r\n[^\r]*\r\n):\d+\r\n/g, '$1:<idle>\r\n')
  );
}

describe('codis-proxy stream commands', () => {
  let cluster: TwoGroups;
  let solo: RunningServer;
  let one: ProxyFixture;
  let two: ProxyFixture;
  let addrA: string;
  let addrB: string;
  /** Through proxy one, and straight to the codis-server on its own. */
  let p: RawConnection;
  let s: RawConnection;
  /** Writes through proxy two. */
  let pusher: RawConnection;
  let direct: { a: RawConnection; b: RawConnection };

  /** Sends a command through the proxy and to the lone server; asserts the same reply bytes. */
  async function same(...args: string[]): Promise<string> {
    const [viaProxy, viaServer] = await Promise.all([p.call(...args), s.call(...args)]);
    assert.equal(withoutTimes(viaProxy), withoutTimes(viaServer), args.join(' '));
    return viaProxy;
  }

  /** Waits until `server` has `count` clients blocked. */
  async function blockedOn(server: RawConnection, count: number): Promise<void> {
    for (let i = 0; i < 500; i++) {
      const info = await server.call('INFO', 'clients');
      if (info.includes(`blocked_clients:${count}\r\n`)) return;
      await sleep(5);
    }
    throw new Error(`never saw ${count} blocked clients`);
  }

  before(async () => {
    [cluster, solo] = await Promise.all([
      startTwoGroups({ proxyOptions: { slotWaitTimeout: 1000 } }),
      startServer('codis-server'),
    ]);
    addrA = cluster.addrA;
    addrB = cluster.addrB;
    [one, two] = cluster.proxies as [ProxyFixture, ProxyFixture];
    [p, s, pusher, direct] = await Promise.all([
      RawConnection.open(one.port),
      RawConnection.open(solo.port),
      RawConnection.open(two.port),
      Promise.all([RawConnection.open(cluster.a.port), RawConnection.open(cluster.b.port)]).then(
        ([a, b]) => ({ a, b }),
      ),
    ]);
  });
  after(async () => {
    for (const connection of [p, s, pusher, direct?.a, direct?.b]) connection?.close();
    await Promise.all([cluster?.close(), solo?.stop()]);
  });

  for (const group of ['A', 'B'] as const) {
    it(`answers every stream command as a codis-server does, on group ${group}`, async () => {
      const t = tagOn(group);
      const k = `{${t}}s`;
      const k2 = `{${t}}s2`;
      const none = `{${t}}none`;
      const script: string[][] = [
        ['XADD', k, '1-1', 'f', 'v'],
        ['XADD', k, '1-2', 'a', '1', 'b', '2'],
        ['XADD', k, '2-*', 'x', 'y'],
        ['XADD', k, 'NOMKSTREAM', '3-0', 'f', 'v'],
        ['XADD', none, 'NOMKSTREAM', '1-1', 'f', 'v'],
        ['XADD', k, '1-1', 'f', 'v'],
        ['XADD', k, 'MAXLEN', 'x', '*', 'f', 'v'],
        ['XADD', k, 'MAXLEN', '~', '100', '4-0', 'g', 'h'],
        ['XLEN', k],
        ['XLEN', none],
        ['XRANGE', k, '-', '+'],
        ['XRANGE', k, '-', '+', 'COUNT', '2'],
        ['XRANGE', k, '(1-1', '+'],
        ['XREVRANGE', k, '+', '-', 'COUNT', '1'],
        ['XREVRANGE', k, '+', '-', 'COUNT', 'x'],
        ['XDEL', k, '1-2', '9-9'],
        ['XTRIM', k, 'MAXLEN', '=', '10'],
        ['XTRIM', k, 'MINID', '0'],
        ['XINFO', 'STREAM', k],
        ['XINFO', 'STREAM', none],
        ['XGROUP', 'CREATE', k, 'g', '0'],
        ['XGROUP', 'CREATE', k, 'g', '0'],
        ['XGROUP', 'CREATE', none, 'g', '$'],
        ['XGROUP', 'CREATE', k2, 'g2', '$', 'MKSTREAM'],
        ['XGROUP', 'CREATECONSUMER', k, 'g', 'alice'],
        ['XREADGROUP', 'GROUP', 'g', 'alice', 'COUNT', '1', 'STREAMS', k, '>'],
        ['XREADGROUP', 'GROUP', 'g', 'bob', 'STREAMS', k, '>'],
        ['XREADGROUP', 'GROUP', 'g', 'alice', 'STREAMS', k, '0'],
        ['XREADGROUP', 'GROUP', 'g', 'bob', 'STREAMS', k, '>'],
        ['XREADGROUP', 'GROUP', 'nogroup', 'bob', 'STREAMS', k, '>'],
        ['XPENDING', k, 'g'],
        ['XPENDING', k, 'g', '-', '+', '10'],
        ['XPENDING', k, 'g', '-', '+', '10', 'bob'],
        ['XPENDING', k, 'g', 'IDLE', '0', '-', '+', '10'],
        ['XCLAIM', k, 'g', 'carol', '0', '1-1'],
        ['XCLAIM', k, 'g', 'carol', '0', '2-0', 'JUSTID'],
        ['XAUTOCLAIM', k, 'g', 'dave', '0', '0-0', 'COUNT', '1'],
        ['XAUTOCLAIM', k, 'g', 'dave', '0', '0-0', 'JUSTID'],
        ['XACK', k, 'g', '1-1', '2-0'],
        ['XINFO', 'GROUPS', k],
        ['XINFO', 'CONSUMERS', k, 'g'],
        ['XINFO', 'STREAM', k, 'FULL'],
        ['XINFO', 'STREAM', k, 'FULL', 'COUNT', '1'],
        ['XGROUP', 'SETID', k, 'g', '0', 'ENTRIESREAD', '0'],
        ['XINFO', 'GROUPS', k],
        ['XGROUP', 'DELCONSUMER', k, 'g', 'bob'],
        ['XGROUP', 'DESTROY', k, 'g'],
        ['XGROUP', 'DESTROY', k, 'g'],
        ['XSETID', k, '5-0'],
        ['XSETID', k, '1-0'],
        ['XREAD', 'COUNT', '10', 'STREAMS', k, '0'],
        ['XREAD', 'STREAMS', k, k2, '0', '0'],
        ['XREAD', 'STREAMS', k, '$'],
        ['XINFO', 'HELP'],
        ['XGROUP', 'HELP'],
        ['TYPE', k],
        ['DEL', k, k2],
      ];
      for (const command of script) await same(...command);
    });
  }

  it('gives malformed XREAD and XREADGROUP the errors a codis-server gives', async () => {
    const k = `{${tagOn('B')}}bad`;
    const script: string[][] = [
      ['XADD', k, '1-1', 'f', 'v'],
      ['XREAD', 'COUNT', '2', k, '0'],
      ['XREAD', 'STREAMS', k, `${k}2`, '0'],
      ['XREAD', 'STREAMS', k],
      ['XREAD', 'BLOCK', '0', 'STREAMS', k],
      ['XREAD', 'BLOCK', '0', 'STREAMS', k, '0', '0'],
      ['XREAD', 'COUNT', '1', 'BLOCK'],
      ['XREAD', 'BLOCK', 'abc', 'STREAMS', k, '0'],
      ['XREAD', 'BLOCK', '-1', 'STREAMS', k, '0'],
      ['XREAD', 'BLOCK', '1.5', 'STREAMS', k, '0'],
      ['XREAD', 'COUNT', 'x', 'STREAMS', k, '0'],
      ['XREAD', 'GROUP', 'g', 'c', 'STREAMS', k, '0'],
      ['XREAD', 'NOACK', 'STREAMS', k, '0'],
      ['XREAD', 'STREAMS', k, '>'],
      ['XREAD', 'STREAMS', k, 'bad-id'],
      ['XREADGROUP', 'STREAMS', k, '>'],
      ['XREADGROUP', 'COUNT', '1', 'STREAMS', k, '>'],
      ['XREADGROUP', 'GROUP', 'g', 'c', 'STREAMS', k],
      ['XREADGROUP', 'GROUP', 'g', 'c', 'STREAMS', k, '>'],
      ['XREADGROUP', 'GROUP', 'g', 'c', 'BLOCK', '0', 'STREAMS', k, '>'],
      ['XREADGROUP', 'GROUP', 'g', 'c', 'STREAMS', k, '$'],
      ['XREADGROUP', 'GROUP', 'g'],
      ['XGROUP', 'CREATE', k, 'g', 'bad-id'],
      ['XGROUP', 'NOSUCH', k],
      ['XINFO', 'STREAM'],
      ['XINFO', 'NOSUCH', k],
      ['XADD', k, 'MAXLEN', 'x', '*', 'f', 'v'],
      ['XRANGE', k, 'x', '+'],
      ['SET', `${k}str`, 'v'],
      ['XREAD', 'STREAMS', `${k}str`, '0'],
      ['XLEN', `${k}str`],
      ['DEL', k, `${k}str`],
    ];
    for (const command of script) await same(...command);
  });

  it('reads several hash-tagged streams of one slot at once, CROSSSLOT across slots', async () => {
    const t = tagOn('A');
    const a1 = `{${t}}1`;
    const a2 = `{${t}}2`;
    const b = `{${tagOn('B')}}1`;
    await same('XADD', a1, '1-0', 'n', '1');
    await same('XADD', a2, '2-0', 'n', '2');
    await same('XADD', a2, '3-0', 'n', '3');
    await same('XREAD', 'STREAMS', a1, a2, '0', '0');
    await same('XREAD', 'COUNT', '1', 'STREAMS', a1, a2, '0', '2-0');
    await same('XREAD', 'count', '5', 'streams', a2, a1, '$', '0');
    await same('XGROUP', 'CREATE', a1, 'g', '0');
    await same('XGROUP', 'CREATE', a2, 'g', '0');
    await same('XREADGROUP', 'GROUP', 'g', 'c', 'STREAMS', a1, a2, '>', '>');
    await same('XREADGROUP', 'GROUP', 'g', 'c', 'NOACK', 'STREAMS', a1, a2, '0', '0');
    await same('XPENDING', a2, 'g');
    assert.equal(await p.call('XREAD', 'STREAMS', a1, b, '0', '0'), CROSSSLOT);
    assert.equal(await p.call('XREAD', 'BLOCK', '0', 'STREAMS', b, a1, '$', '$'), CROSSSLOT);
    assert.equal(await p.call('XREADGROUP', 'GROUP', 'g', 'c', 'STREAMS', a1, b, '>', '>'), CROSSSLOT);
    assert.equal(
      await p.call('XREADGROUP', 'GROUP', 'g', 'c', 'BLOCK', '10', 'STREAMS', a1, a2, b, '>', '>', '>'),
      CROSSSLOT,
    );
    // The connection goes on.
    await same('XLEN', a2);
    await same('DEL', a1, a2);
  });

  it('wakes a blocked XREAD with an XADD through the other proxy', async () => {
    const t = tagOn('A');
    const k = `{${t}}wake`;
    const c = await RawConnection.open(one.port);
    try {
      c.send('XREAD', 'BLOCK', '0', 'STREAMS', k, '$');
      await blockedOn(direct.a, 1);
      assert.equal(await pusher.call('XADD', k, '7-1', 'f', 'v'), '$3\r\n7-1\r\n');
      assert.equal(
        (await c.reply()).raw,
        `*1\r\n*2\r\n$${k.length}\r\n${k}\r\n*1\r\n*2\r\n$3\r\n7-1\r\n*2\r\n$1\r\nf\r\n$1\r\nv\r\n`,
      );
      // Two keys of one slot: the first that gets an entry answers.
      const other = `{${t}}wake2`;
      c.send('XREAD', 'COUNT', '5', 'BLOCK', '5000', 'STREAMS', k, other, '$', '$');
      await blockedOn(direct.a, 1);
      assert.equal(await pusher.call('XADD', other, '1-1', 'a', 'b'), '$3\r\n1-1\r\n');
      assert.equal(
        (await c.reply()).raw,
        `*1\r\n*2\r\n$${other.length}\r\n${other}\r\n*1\r\n*2\r\n$3\r\n1-1\r\n*2\r\n$1\r\na\r\n$1\r\nb\r\n`,
      );
      // Data there already: answered at once, as a plain read.
      assert.equal((await c.call('XREAD', 'BLOCK', '0', 'STREAMS', k, '0')).startsWith('*1\r\n'), true);
      await c.call('DEL', k, other);
    } finally {
      c.close();
    }
  });

  it('times out with a null reply, and keeps the other clients and the pipeline in order', async () => {
    const t = tagOn('B');
    const k = `{${t}}slow`;
    const blocked = await RawConnection.open(one.port);
    const busy = await RawConnection.open(one.port);
    try {
      blocked.send('XREAD', 'BLOCK', '200', 'STREAMS', k, '$');
      blocked.send('SET', `{${t}}after`, 'yes');
      blocked.send('XREAD', 'STREAMS', k, '0');
      await blockedOn(direct.b, 1);
      // Other sessions of the proxy are served meanwhile; the pipelined SET waits its turn.
      for (let i = 0; i < 20; i++)
        assert.equal(await busy.call('XADD', `busy${i}`, '1-1', 'f', 'v'), '$3\r\n1-1\r\n');
      assert.equal(await busy.call('GET', `{${t}}after`), '$-1\r\n');
      assert.equal((await blocked.reply()).raw, '*-1\r\n');
      assert.equal((await blocked.reply()).raw, '+OK\r\n');
      assert.equal((await blocked.reply()).raw, '*-1\r\n');
      // A blocked XREADGROUP times out the same way.
      assert.equal(await blocked.call('XGROUP', 'CREATE', k, 'g', '$', 'MKSTREAM'), '+OK\r\n');
      assert.equal(
        await blocked.call('XREADGROUP', 'GROUP', 'g', 'c', 'BLOCK', '50', 'STREAMS', k, '>'),
        '*-1\r\n',
      );
      for (let i = 0; i < 20; i++) await busy.call('DEL', `busy${i}`);
      await busy.call('DEL', k, `{${t}}after`);
    } finally {
      blocked.close();
      busy.close();
    }
  });

  it('wakes a blocked XREADGROUP with an XADD through the other proxy; XACK, XPENDING after', async () => {
    const k = `{${tagOn('B')}}jobs`;
    const c = await RawConnection.open(one.port);
    try {
      assert.equal(await c.call('XGROUP', 'CREATE', k, 'workers', '$', 'MKSTREAM'), '+OK\r\n');
      c.send('XREADGROUP', 'GROUP', 'workers', 'w1', 'COUNT', '1', 'BLOCK', '0', 'STREAMS', k, '>');
      await blockedOn(direct.b, 1);
      assert.equal(await pusher.call('XADD', k, '10-0', 'job', 'one'), '$4\r\n10-0\r\n');
      assert.equal(
        (await c.reply()).raw,
        `*1\r\n*2\r\n$${k.length}\r\n${k}\r\n*1\r\n*2\r\n$4\r\n10-0\r\n*2\r\n$3\r\njob\r\n$3\r\none\r\n`,
      );
      assert.equal(
        await pusher.call('XPENDING', k, 'workers'),
        '*4\r\n:1\r\n$4\r\n10-0\r\n$4\r\n10-0\r\n*1\r\n*2\r\n$2\r\nw1\r\n$1\r\n1\r\n',
      );
      assert.equal(await pusher.call('XACK', k, 'workers', '10-0'), ':1\r\n');
      assert.equal(await pusher.call('XPENDING', k, 'workers'), '*4\r\n:0\r\n$-1\r\n$-1\r\n*-1\r\n');
      // The group destroyed while a consumer waits: the consumer gets Redis's error.
      c.send('XREADGROUP', 'GROUP', 'workers', 'w1', 'BLOCK', '0', 'STREAMS', k, '>');
      await blockedOn(direct.b, 1);
      assert.equal(await pusher.call('XGROUP', 'DESTROY', k, 'workers'), ':1\r\n');
      assert.match((await c.reply()).raw, /^-NOGROUP /);
      await c.call('DEL', k);
    } finally {
      c.close();
    }
  });

  it('delivers nothing to a consumer that went away while blocked', async () => {
    const k = `{${tagOn('A')}}orphan`;
    assert.equal(await pusher.call('XGROUP', 'CREATE', k, 'g', '$', 'MKSTREAM'), '+OK\r\n');
    const c = await RawConnection.open(one.port);
    c.send('XREADGROUP', 'GROUP', 'g', 'gone', 'BLOCK', '0', 'STREAMS', k, '>');
    await blockedOn(direct.a, 1);
    c.close();
    await blockedOn(direct.a, 0);
    assert.equal(await pusher.call('XADD', k, '1-1', 'f', 'v'), '$3\r\n1-1\r\n');
    assert.equal(await pusher.call('XPENDING', k, 'g'), '*4\r\n:0\r\n$-1\r\n$-1\r\n*-1\r\n');
    await pusher.call('DEL', k);
  });

  it('follows its slot to the new master, the time left in milliseconds', async () => {
    const tag = tagOn('A');
    const slot = slotOf(tag);
    const k = `{${tag}}moving`;
    const c = await RawConnection.open(one.port);
    try {
      c.send('XREAD', 'BLOCK', '0', 'STREAMS', k, '$');
      await blockedOn(direct.a, 1);
      cluster.fillAll([{ id: slot, backend_addr: addrB, migrate_from: addrA, forward_method: 0 }]);
      await blockedOn(direct.a, 0);
      await blockedOn(direct.b, 1);
      assert.equal(await pusher.call('XADD', k, '1-1', 'f', 'v'), '$3\r\n1-1\r\n');
      assert.equal((await c.reply()).raw.startsWith(`*1\r\n*2\r\n$${k.length}\r\n${k}\r\n`), true);
      cluster.fillAll([{ id: slot, backend_addr: addrB }]);
      assert.equal(await c.call('DEL', k), ':1\r\n');
      // Moved back to A while blocked with a timeout: sent again with the milliseconds left (a
      // seconds form would be refused).
      const started = Date.now();
      c.send('XREAD', 'BLOCK', '600', 'STREAMS', k, '$');
      await blockedOn(direct.b, 1);
      cluster.fillAll([{ id: slot, backend_addr: addrA, migrate_from: addrB, forward_method: 0 }]);
      await blockedOn(direct.a, 1);
      assert.equal((await c.reply(3000)).raw, '*-1\r\n');
      const elapsed = Date.now() - started;
      assert.ok(elapsed >= 550 && elapsed < 2000, `timed out after ${elapsed} ms`);
      cluster.fillAll([{ id: slot, backend_addr: addrA }]);
      assert.equal(await pusher.call('XADD', k, '2-2', 'f', 'v'), '$3\r\n2-2\r\n');
      assert.equal(await direct.a.call('XLEN', k), ':1\r\n');
      assert.equal(await c.call('DEL', k), ':1\r\n');
    } finally {
      c.close();
      cluster.fillAll([{ id: slot, backend_addr: addrA }]);
    }
  });

  it('serves streams of a slot being migrated (sync and semi-async methods)', async () => {
    for (const method of [0, 1] as const) {
      const tag = tagOn('A');
      const slot = slotOf(tag);
      const k = `{${tag}}m`;
      const k2 = `{${tag}}m2`;
      try {
        for (let i = 1; i <= 5; i++)
          assert.equal(await p.call('XADD', k, `${i}-0`, 'i', String(i)), `$3\r\n${i}-0\r\n`);
        assert.equal(await p.call('XGROUP', 'CREATE', k, 'g', '0'), '+OK\r\n');
        assert.match(
          await p.call('XREADGROUP', 'GROUP', 'g', 'c', 'COUNT', '2', 'STREAMS', k, '>'),
          /^\*1\r\n/,
        );
        assert.equal(await p.call('XADD', k2, '1-0', 'f', 'v'), '$3\r\n1-0\r\n');
        cluster.fillAll([{ id: slot, backend_addr: addrB, migrate_from: addrA, forward_method: method }]);
        // The group's state moves with the stream.
        assert.equal(
          await p.call('XPENDING', k, 'g'),
          '*4\r\n:2\r\n$3\r\n1-0\r\n$3\r\n2-0\r\n*1\r\n*2\r\n$1\r\nc\r\n$1\r\n2\r\n',
        );
        assert.match(await p.call('XREADGROUP', 'GROUP', 'g', 'c', 'STREAMS', k, '>'), /^\*1\r\n/);
        assert.equal(await p.call('XLEN', k), ':5\r\n');
        if (method === 0) {
          // Two keys of one slot, each moved before the read.
          assert.match(await p.call('XREAD', 'STREAMS', k, k2, '0', '0'), /^\*2\r\n/);
        } else {
          await moveSlot(cluster.a.port, cluster.b.port, slot, { method: 1, numkeys: 10 });
          assert.match(await p.call('XREAD', 'STREAMS', k, k2, '0', '0'), /^\*2\r\n/);
        }
        assert.equal(await direct.a.call('EXISTS', k), ':0\r\n');
        assert.equal(await direct.b.call('XLEN', k), ':5\r\n');
        assert.equal(await p.call('DEL', k, k2), ':2\r\n');
      } finally {
        const back = await RawConnection.open(cluster.b.port);
        while (
          !(
            await back.call('SLOTSMGRTTAGSLOT', '127.0.0.1', String(cluster.a.port), '3000', String(slot))
          ).endsWith(':0\r\n')
        );
        back.close();
        cluster.fillAll([{ id: slot, backend_addr: addrA }]);
      }
    }
  });

  it('serves stream reads from replicas, never XREADGROUP or writes', async () => {
    const t = tagOn('A');
    const k = `{${t}}replica`;
    const slot = slotOf(t);
    try {
      // Only the "replica" (B) holds the stream: the replies show which server answered.
      assert.equal(await direct.b.call('XADD', k, '1-1', 'on', 'replica'), '$3\r\n1-1\r\n');
      assert.equal(await direct.b.call('XGROUP', 'CREATE', k, 'g', '0'), '+OK\r\n');
      cluster.fillAll([{ id: slot, backend_addr: addrA, replica_groups: [[addrB]] }]);
      let reply = '';
      for (let i = 0; i < 200 && reply !== ':1\r\n'; i++) {
        reply = await p.call('XLEN', k);
        if (reply !== ':1\r\n') await sleep(5);
      }
      assert.equal(reply, ':1\r\n');
      assert.match(await p.call('XRANGE', k, '-', '+'), /replica/);
      assert.match(await p.call('XREVRANGE', k, '+', '-'), /replica/);
      assert.match(await p.call('XREAD', 'STREAMS', k, '0'), /replica/);
      assert.match(await p.call('XINFO', 'STREAM', k), /replica/);
      assert.equal(await p.call('XPENDING', k, 'g'), '*4\r\n:0\r\n$-1\r\n$-1\r\n*-1\r\n');
      // The master (A) has no such stream or group: XREADGROUP writes.
      assert.match(await p.call('XREADGROUP', 'GROUP', 'g', 'c', 'STREAMS', k, '>'), /^-NOGROUP /);
      assert.match(await p.call('XINFO', 'GROUPS', k), /\$1\r\ng\r\n/);
      assert.equal(await p.call('XADD', k, '2-2', 'on', 'master'), '$3\r\n2-2\r\n');
      assert.equal(await direct.a.call('XLEN', k), ':1\r\n');
      assert.equal(await direct.b.call('XLEN', k), ':1\r\n');
      // A blocking read goes to the master too.
      assert.match(await p.call('XREAD', 'BLOCK', '10', 'STREAMS', k, '0'), /master/);
    } finally {
      cluster.fillAll([{ id: slot, backend_addr: addrA }]);
      await direct.a.call('DEL', k);
      await direct.b.call('DEL', k);
    }
  });

  it('runs XREAD with BLOCK inside MULTI without blocking, as Redis does', async () => {
    const k = `{${tagOn('B')}}tx`;
    await same('MULTI');
    await same('XREAD', 'BLOCK', '0', 'STREAMS', k, '$');
    await same('XADD', k, '1-1', 'f', 'v');
    await same('XREADGROUP', 'GROUP', 'g', 'c', 'BLOCK', '0', 'STREAMS', k, '>');
    await same('EXEC');
    await same('DEL', k);
  });

  describe('in RESP3', () => {
    let p3: RawConnection;
    let s3: RawConnection;

    async function same3(...args: string[]): Promise<string> {
      const [viaProxy, viaServer] = await Promise.all([p3.call(...args), s3.call(...args)]);
      assert.equal(withoutTimes(viaProxy), withoutTimes(viaServer), args.join(' '));
      return viaProxy;
    }

    before(async () => {
      [p3, s3] = await Promise.all([RawConnection.open(one.port), RawConnection.open(solo.port)]);
      await p3.call('HELLO', '3');
      await s3.call('HELLO', '3');
    });
    after(() => {
      p3.close();
      s3.close();
    });

    it('relays XREAD as a map, and the other stream replies, byte for byte', async () => {
      const t = tagOn('A');
      const k1 = `{${t}}r1`;
      const k2 = `{${t}}r2`;
      await same3('XADD', k1, '1-1', 'f', 'v');
      await same3('XADD', k2, '2-2', 'g', 'w');
      const map = await same3('XREAD', 'STREAMS', k1, k2, '0', '0');
      assert.equal(map.startsWith('%2\r\n'), true);
      await same3('XREAD', 'STREAMS', k1, '$');
      await same3('XGROUP', 'CREATE', k1, 'g', '0');
      assert.equal(
        (await same3('XREADGROUP', 'GROUP', 'g', 'c', 'STREAMS', k1, '>')).startsWith('%1\r\n'),
        true,
      );
      await same3('XPENDING', k1, 'g');
      await same3('XPENDING', k1, 'g', '-', '+', '5');
      await same3('XAUTOCLAIM', k1, 'g', 'd', '0', '0-0');
      await same3('XINFO', 'STREAM', k1);
      await same3('XINFO', 'STREAM', k1, 'FULL');
      await same3('XINFO', 'GROUPS', k1);
      await same3('XINFO', 'CONSUMERS', k1, 'g');
      await same3('XRANGE', k2, '-', '+');
      assert.equal(await same3('XREAD', 'BLOCK', '20', 'STREAMS', k1, '$'), '_\r\n');
      await same3('DEL', k1, k2);
    });

    it('wakes a blocked XREAD', async () => {
      const woken = `{${tagOn('A')}}r3wake`;
      p3.send('XREAD', 'BLOCK', '0', 'STREAMS', woken, '$');
      await blockedOn(direct.a, 1);
      assert.equal(await pusher.call('XADD', woken, '1-1', 'f', 'v'), '$3\r\n1-1\r\n');
      assert.equal(
        (await p3.reply()).raw,
        `%1\r\n$${woken.length}\r\n${woken}\r\n*1\r\n*2\r\n$3\r\n1-1\r\n*2\r\n$1\r\nf\r\n$1\r\nv\r\n`,
      );
      assert.equal(await p3.call('DEL', woken), ':1\r\n');
    });

    it('follows its slot to the new master after a cancel answered with a RESP3 null', async () => {
      const tag = tagOn('A');
      const slot = slotOf(tag);
      const k = `{${tag}}r3moving`;
      try {
        // Cancelled on A (which answers RESP3's null), sent again to B.
        p3.send('XREAD', 'BLOCK', '0', 'STREAMS', k, '1-0');
        await blockedOn(direct.a, 1);
        cluster.fillAll([{ id: slot, backend_addr: addrB, migrate_from: addrA, forward_method: 0 }]);
        await blockedOn(direct.b, 1);
        assert.equal(await pusher.call('XADD', k, '2-2', 'g', 'w'), '$3\r\n2-2\r\n');
        assert.equal(
          (await p3.reply()).raw,
          `%1\r\n$${k.length}\r\n${k}\r\n*1\r\n*2\r\n$3\r\n2-2\r\n*2\r\n$1\r\ng\r\n$1\r\nw\r\n`,
        );
      } finally {
        // Emptied before the slot goes back: nothing to move.
        await p3.call('DEL', k);
        cluster.fillAll([{ id: slot, backend_addr: addrA }]);
      }
    });
  });

  it('refuses XREAD and XREADGROUP with BLOCK when proxy_blocking_enabled is false', async () => {
    const off = await startProxy({ proxy_blocking_enabled: false });
    off.proxy.fillSlots([...slotRange(0, 511, addrA), ...slotRange(512, 1023, addrB)]);
    off.proxy.start();
    const c = await RawConnection.open(off.port);
    const k = `{${tagOn('B')}}off`;
    try {
      assert.equal(
        await c.call('XREAD', 'BLOCK', '0', 'STREAMS', k, '$'),
        "-ERR handle request, command 'XREAD' is not allowed\r\n",
      );
      assert.equal(
        await c.call('xreadgroup', 'GROUP', 'g', 'c', 'BLOCK', '10', 'STREAMS', k, '>'),
        "-ERR handle request, command 'XREADGROUP' is not allowed\r\n",
      );
      assert.equal(await c.call('XADD', k, '1-1', 'f', 'v'), '$3\r\n1-1\r\n');
      assert.match(await c.call('XREAD', 'STREAMS', k, '0'), /^\*1\r\n/);
      // Malformed: the backend's error, not a refusal.
      assert.match(await c.call('XREAD', 'BLOCK', '0', 'STREAMS', k), /^-ERR Unbalanced /);
      assert.equal(await c.call('DEL', k), ':1\r\n');
    } finally {
      c.close();
      await off.close();
    }
  });
});
