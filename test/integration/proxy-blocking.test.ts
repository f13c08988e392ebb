// Blocking commands through codis-proxy: two codis-servers (slots 0..511 on A, 512..1023 on B)
// behind two proxies. A blocked BLPOP is woken by a push through the other proxy, times out, leaves
// the other clients of its proxy served, follows its slot to a new master, and pops nothing once
// its client is gone; BZPOPMIN/BZPOPMAX, BLMOVE and BLMPOP within one slot; CROSSSLOT otherwise.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { ProxySlot } from '../../src/proxy/index.ts';
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
import type { RunningServer } from '../helpers/redis-servers.ts';
import { moveSlot } from '../helpers/slot-mover.ts';

let counter = 0;
/** A fresh hash tag whose slot is in [from, to]. */
function tagIn(from: number, to: number): string {
  for (;;) {
    const tag = `b${counter++}`;
    const slot = slotOf(tag);
    if (slot >= from && slot <= to) return tag;
  }
}

describe('codis-proxy blocking commands', () => {
  let cluster: TwoGroups;
  let a: RunningServer;
  let b: RunningServer;
  let reference: RunningServer;
  let one: ProxyFixture;
  let two: ProxyFixture;
  let addrA: string;
  let addrB: string;
  let direct: { a: RawConnection; b: RawConnection };
  let pusher: RawConnection;

  before(async () => {
    // Short lock and semi-async waits: the tests that reach them stay quick.
    cluster = await startTwoGroups({ reference: true, proxyOptions: { slotWaitTimeout: 1000 } });
    ({ a, b, addrA, addrB } = cluster);
    [one, two] = cluster.proxies as [ProxyFixture, ProxyFixture];
    reference = cluster.reference as RunningServer;
    direct = { a: await RawConnection.open(a.port), b: await RawConnection.open(b.port) };
    pusher = await RawConnection.open(two.port);
  });
  after(async () => {
    direct.a.close();
    direct.b.close();
    pusher.close();
    await cluster.close();
  });

  /** Waits until `server` has `count` clients blocked. */
  async function blockedOn(server: RawConnection, count: number): Promise<void> {
    for (let i = 0; i < 500; i++) {
      const info = await server.call('INFO', 'clients');
      if (info.includes(`blocked_clients:${count}\r\n`)) return;
      await sleep(5);
    }
    throw new Error(`never saw ${count} blocked clients`);
  }

  function fillBoth(records: ProxySlot[]): void {
    cluster.fillAll(records);
  }

  it('wakes a BLPOP with a push through the other proxy', async () => {
    const k = `{${tagIn(0, 511)}}queue`;
    const c = await RawConnection.open(one.port);
    try {
      c.send('BLPOP', k, '0');
      await blockedOn(direct.a, 1);
      assert.equal(await pusher.call('RPUSH', k, 'job'), ':1\r\n');
      assert.equal((await c.reply()).raw, `*2\r\n$${k.length}\r\n${k}\r\n$3\r\njob\r\n`);
      assert.equal(await c.call('EXISTS', k), ':0\r\n');
    } finally {
      c.close();
    }
  });

  it('answers as redis-server 7 does, byte for byte', async () => {
    const t = tagIn(0, 1023);
    const k = (name: string) => `{${t}}${name}`;
    const script: string[][] = [
      ['RPUSH', k('l'), 'a', 'b', 'c'],
      ['BLPOP', k('none'), k('l'), '0'],
      ['BRPOP', k('l'), '0'],
      ['BRPOPLPUSH', k('l'), k('d'), '0'],
      ['BLPOP', k('l'), '0.05'],
      ['BRPOPLPUSH', k('l'), k('d'), '0.05'],
      ['BLMOVE', k('d'), k('l'), 'RIGHT', 'LEFT', '0'],
      ['BLMOVE', k('none'), k('l'), 'RIGHT', 'LEFT', '0.05'],
      ['BLMPOP', '0', '2', k('none'), k('l'), 'LEFT', 'COUNT', '5'],
      ['BLMPOP', '0.05', '1', k('l'), 'LEFT'],
      ['ZADD', k('z'), '1', 'a', '2', 'b'],
      ['BZPOPMIN', k('z'), '0'],
      ['BZPOPMAX', k('none'), k('z'), '0'],
      ['BZPOPMIN', k('z'), '0.05'],
      ['BZMPOP', '0.05', '1', k('z'), 'MIN'],
      ['SET', k('s'), 'x'],
      ['BLPOP', k('s'), '0'],
      ['BLPOP', k('l'), 'soon'],
      ['BLPOP', k('l'), '-1'],
      ['BLPOP', k('l')],
      ['BLMOVE', k('l'), k('d'), 'UP', 'LEFT', '0'],
      ['BZMPOP', '0', '0', k('z'), 'MIN'],
      ['BZMPOP', '0', '1', k('z'), 'SIDEWAYS'],
      ['BLMPOP', '0', 'abc', k('l'), 'LEFT'],
      ['BLMPOP', '0', '1', k('l'), 'LEFT', 'COUNT', '0'],
      ['BRPOPLPUSH', k('l'), k('d')],
      ['BZPOPMAX', k('z'), '1e-1'],
    ];
    const run = async (port: number): Promise<string[]> => {
      const c = await RawConnection.open(port);
      const replies: string[] = [];
      try {
        for (const command of script) replies.push(await c.call(...command));
      } finally {
        c.close();
      }
      return replies;
    };
    const ours = await run(one.port);
    const theirs = await run(reference.port);
    for (let i = 0; i < script.length; i++)
      assert.equal(ours[i], theirs[i], `reply to ${JSON.stringify(script[i])}`);
  });

  it('delivers once an element pushed on the old master as the slot starts moving', async () => {
    const tag = tagIn(0, 511);
    const slot = slotOf(tag);
    const k = `{${tag}}raced`;
    const c = await RawConnection.open(one.port);
    try {
      c.send('BLPOP', k, '0');
      await blockedOn(direct.a, 1);
      // Whichever comes first on A, the push or the cancel, the element is popped exactly once:
      // by the blocked command on A, or after SLOTSMGRTTAGONE moved the list to B.
      direct.a.send('RPUSH', k, 'once');
      fillBoth([{ id: slot, backend_addr: addrB, migrate_from: addrA, forward_method: 0 }]);
      assert.equal((await c.reply()).raw, `*2\r\n$${k.length}\r\n${k}\r\n$4\r\nonce\r\n`);
      assert.equal((await direct.a.reply()).raw, ':1\r\n');
      assert.equal(await direct.a.call('EXISTS', k), ':0\r\n');
      assert.equal(await direct.b.call('EXISTS', k), ':0\r\n');
    } finally {
      c.close();
      fillBoth([{ id: slot, backend_addr: addrA }]);
    }
  });

  it('times out with a null reply, and serves the requests pipelined behind it afterwards', async () => {
    const tag = tagIn(512, 1023);
    const k = `{${tag}}empty`;
    const c = await RawConnection.open(one.port);
    try {
      c.send('BRPOP', k, '0.2');
      c.send('PING');
      c.send('BRPOPLPUSH', k, `{${tag}}x`, '0.1');
      assert.equal((await c.reply()).raw, '*-1\r\n');
      assert.equal((await c.reply()).raw, '+PONG\r\n');
      // Redis 7 answers a timed out BRPOPLPUSH with a null array too.
      assert.equal((await c.reply()).raw, '*-1\r\n');
      assert.equal(await c.call('BLPOP', k, 'soon'), '-ERR timeout is not a float or out of range\r\n');
      assert.equal(await c.call('BLPOP', k, '-1'), '-ERR timeout is negative\r\n');
    } finally {
      c.close();
    }
  });

  it('keeps serving other clients of the proxy while one is blocked', async () => {
    const k = `{${tagIn(0, 511)}}slow`;
    const blocked = await RawConnection.open(one.port);
    const busy = await RawConnection.open(one.port);
    try {
      blocked.send('BLPOP', k, '0');
      // Behind the blocked command in its own session: answered only after it.
      blocked.send('SET', `{${k}}after`, 'yes');
      await blockedOn(direct.a, 1);
      for (let i = 0; i < 50; i++) assert.equal(await busy.call('SET', `key${i}`, String(i)), '+OK\r\n');
      assert.equal(await busy.call('GET', `{${k}}after`), '$-1\r\n');
      assert.equal(await busy.call('LPUSH', k, 'done'), ':1\r\n');
      assert.equal((await blocked.reply()).raw, `*2\r\n$${k.length}\r\n${k}\r\n$4\r\ndone\r\n`);
      assert.equal((await blocked.reply()).raw, '+OK\r\n');
    } finally {
      blocked.close();
      busy.close();
    }
  });

  it('serves BZPOPMIN, BZPOPMAX, BLMOVE and BLMPOP within one slot, CROSSSLOT across slots', async () => {
    const t = tagIn(512, 1023);
    const z = `{${t}}z`;
    const c = await RawConnection.open(one.port);
    try {
      c.send('BZPOPMIN', z, `{${t}}z2`, '0');
      await blockedOn(direct.b, 1);
      assert.equal(await pusher.call('ZADD', z, '2', 'two', '1', 'one', '3', 'three'), ':3\r\n');
      assert.equal((await c.reply()).raw, `*3\r\n$${z.length}\r\n${z}\r\n$3\r\none\r\n$1\r\n1\r\n`);
      assert.equal(
        await c.call('BZPOPMAX', z, '0'),
        `*3\r\n$${z.length}\r\n${z}\r\n$5\r\nthree\r\n$1\r\n3\r\n`,
      );
      const src = `{${t}}src`;
      const dst = `{${t}}dst`;
      c.send('BLMOVE', src, dst, 'LEFT', 'RIGHT', '0');
      await blockedOn(direct.b, 1);
      assert.equal(await pusher.call('RPUSH', src, 'moved'), ':1\r\n');
      assert.equal((await c.reply()).raw, '$5\r\nmoved\r\n');
      assert.equal(await c.call('LRANGE', dst, '0', '-1'), '*1\r\n$5\r\nmoved\r\n');
      c.send('BLMPOP', '0', '2', `{${t}}m1`, `{${t}}m2`, 'RIGHT');
      await blockedOn(direct.b, 1);
      assert.equal(await pusher.call('RPUSH', `{${t}}m2`, 'x', 'y'), ':2\r\n');
      assert.equal((await c.reply()).raw, `*2\r\n$${t.length + 4}\r\n{${t}}m2\r\n*1\r\n$1\r\ny\r\n`);
      const other = `{${tagIn(0, 511)}}q`;
      const crossslot = "-CROSSSLOT Keys in request don't hash to the same slot\r\n";
      assert.equal(await c.call('BLPOP', src, other, '0'), crossslot);
      assert.equal(await c.call('BLMOVE', src, other, 'LEFT', 'LEFT', '0'), crossslot);
      assert.equal(await c.call('BLMPOP', '0', '2', src, other, 'LEFT'), crossslot);
      assert.equal(await c.call('BZPOPMIN', z, other, '0'), crossslot);
    } finally {
      c.close();
    }
  });

  it('follows its slot to the new master: the push to the new owner wakes it', async () => {
    const tag = tagIn(0, 511);
    const slot = slotOf(tag);
    const k = `{${tag}}moving`;
    const c = await RawConnection.open(one.port);
    try {
      c.send('BLPOP', k, '0');
      await blockedOn(direct.a, 1);
      // The migration starts (sync method): blocked on A, the command is moved to B.
      fillBoth([{ id: slot, backend_addr: addrB, migrate_from: addrA, forward_method: 0 }]);
      await blockedOn(direct.a, 0);
      await blockedOn(direct.b, 1);
      assert.equal(await pusher.call('RPUSH', k, 'v1'), ':1\r\n');
      assert.equal((await c.reply()).raw, `*2\r\n$${k.length}\r\n${k}\r\n$2\r\nv1\r\n`);
      // Blocked on B, the end of the migration (same master) leaves it there.
      c.send('BLPOP', k, '0');
      await blockedOn(direct.b, 1);
      fillBoth([{ id: slot, backend_addr: addrB }]);
      await sleep(50);
      assert.equal(
        await direct.b.call('INFO', 'clients').then((t) => t.includes('blocked_clients:1\r\n')),
        true,
      );
      assert.equal(await pusher.call('RPUSH', k, 'v2'), ':1\r\n');
      assert.equal((await c.reply()).raw, `*2\r\n$${k.length}\r\n${k}\r\n$2\r\nv2\r\n`);
      // Moved back to A while blocked with a timeout: the time left carries over, then null.
      c.send('BLPOP', k, '0.5');
      await blockedOn(direct.b, 1);
      fillBoth([{ id: slot, backend_addr: addrA }]);
      await blockedOn(direct.a, 1);
      assert.equal((await c.reply(3000)).raw, '*-1\r\n');
      assert.equal(await direct.a.call('EXISTS', k), ':0\r\n');
      assert.equal(await direct.b.call('EXISTS', k), ':0\r\n');
    } finally {
      c.close();
      fillBoth([{ id: slot, backend_addr: addrA }]);
    }
  });

  it('follows its slot in a RESP3 session, whose cancelled command gets a RESP3 null', async () => {
    const tag = tagIn(0, 511);
    const slot = slotOf(tag);
    const k = `{${tag}}resp3`;
    const c = await RawConnection.open(one.port);
    try {
      assert.match(await c.call('HELLO', '3'), /^%/);
      c.send('BLPOP', k, '0');
      await blockedOn(direct.a, 1);
      fillBoth([{ id: slot, backend_addr: addrB, migrate_from: addrA, forward_method: 0 }]);
      await blockedOn(direct.b, 1);
      assert.equal(await pusher.call('RPUSH', k, 'v'), ':1\r\n');
      assert.equal((await c.reply()).raw, `*2\r\n$${k.length}\r\n${k}\r\n$1\r\nv\r\n`);
    } finally {
      c.close();
      fillBoth([{ id: slot, backend_addr: addrA }]);
    }
  });

  it('follows a slot that moves while its command is still on the way to the old master', async () => {
    const tag = tagIn(0, 511);
    const slot = slotOf(tag);
    const k = `{${tag}}early`;
    const c = await RawConnection.open(one.port);
    try {
      for (const delay of [0, 1, 2, 3, 5, 8, 0, 1, 2, 4]) {
        c.send('BLPOP', k, '0');
        await sleep(delay);
        fillBoth([{ id: slot, backend_addr: addrB }]);
        await sleep(20);
        assert.equal(await pusher.call('RPUSH', k, 'x'), ':1\r\n');
        assert.equal((await c.reply(2000)).raw, `*2\r\n$${k.length}\r\n${k}\r\n$1\r\nx\r\n`);
        fillBoth([{ id: slot, backend_addr: addrA }]);
      }
    } finally {
      c.close();
      fillBoth([{ id: slot, backend_addr: addrA }]);
    }
  });

  it('cancels a command that reached the old master only after the cancel did', async () => {
    const tag = tagIn(0, 511);
    const slot = slotOf(tag);
    const k = `{${tag}}late`;
    const c = await RawConnection.open(one.port);
    try {
      // Writes wait on A: the BLPOP arrives there but blocks only once the pause ends, after the
      // first CLIENT UNBLOCK found nothing to cancel.
      assert.equal(await direct.a.call('CLIENT', 'PAUSE', '300', 'WRITE'), '+OK\r\n');
      c.send('BLPOP', k, '0');
      await sleep(100);
      fillBoth([{ id: slot, backend_addr: addrB }]);
      await blockedOn(direct.b, 1);
      assert.equal(
        await direct.a.call('INFO', 'clients').then((t) => t.includes('blocked_clients:0\r\n')),
        true,
      );
      assert.equal(await pusher.call('RPUSH', k, 'x'), ':1\r\n');
      assert.equal((await c.reply()).raw, `*2\r\n$${k.length}\r\n${k}\r\n$1\r\nx\r\n`);
    } finally {
      c.close();
      fillBoth([{ id: slot, backend_addr: addrA }]);
    }
  });

  it('blocks on the target of a semi-async migration, waits while the list is on the source', async () => {
    const tag = tagIn(0, 511);
    const slot = slotOf(tag);
    const k = `{${tag}}async`;
    const c = await RawConnection.open(one.port);
    try {
      fillBoth([{ id: slot, backend_addr: addrB, migrate_from: addrA, forward_method: 1 }]);
      c.send('BLPOP', k, '0');
      await blockedOn(direct.b, 1);
      assert.equal(await pusher.call('RPUSH', k, 'x'), ':1\r\n');
      assert.equal((await c.reply()).raw, `*2\r\n$${k.length}\r\n${k}\r\n$1\r\nx\r\n`);
      // The list still on the source: nothing moves it (slotWaitTimeout is 1 s here), TRYAGAIN.
      assert.equal(await direct.a.call('RPUSH', k, 'old'), ':1\r\n');
      assert.match(await c.call('BLPOP', k, '0'), /^-TRYAGAIN /);
      assert.equal(await direct.a.call('LLEN', k), ':1\r\n');
      // The migrator moves it while BLPOP waits: popped on the target.
      c.send('BLPOP', k, '0');
      await sleep(100);
      await moveSlot(a.port, b.port, slot, { method: 1, numkeys: 10 });
      assert.equal((await c.reply()).raw, `*2\r\n$${k.length}\r\n${k}\r\n$3\r\nold\r\n`);
      assert.equal(await direct.a.call('EXISTS', k), ':0\r\n');
      assert.equal(await direct.b.call('EXISTS', k), ':0\r\n');
    } finally {
      c.close();
      await direct.a.call('DEL', k);
      // Whatever the move took to B goes back to A for the other tests.
      const back = await RawConnection.open(b.port);
      while (
        !(await back.call('SLOTSMGRTTAGSLOT', '127.0.0.1', String(a.port), '3000', String(slot))).endsWith(
          ':0\r\n',
        )
      );
      back.close();
      fillBoth([{ id: slot, backend_addr: addrA }]);
    }
  });

  it('pops nothing for a client that went away while blocked', async () => {
    const k = `{${tagIn(0, 511)}}orphan`;
    const c = await RawConnection.open(one.port);
    c.send('BLPOP', k, '0');
    await blockedOn(direct.a, 1);
    c.close();
    await blockedOn(direct.a, 0);
    assert.equal(await pusher.call('RPUSH', k, 'kept'), ':1\r\n');
    assert.equal(await pusher.call('LRANGE', k, '0', '-1'), '*1\r\n$4\r\nkept\r\n');
    await pusher.call('DEL', k);
  });

  it('refuses blocking commands as Codis does when proxy_blocking_enabled is false', async () => {
    const off = await startProxy({ proxy_blocking_enabled: false });
    off.proxy.fillSlots([...slotRange(0, 511, addrA), ...slotRange(512, 1023, addrB)]);
    off.proxy.start();
    const c = await RawConnection.open(off.port);
    try {
      assert.equal(
        await c.call('BLPOP', 'k', '0'),
        "-ERR handle request, command 'BLPOP' is not allowed\r\n",
      );
      assert.equal(
        await c.call('BLMOVE', 'k', 'l', 'LEFT', 'LEFT', '0'),
        "-ERR handle request, command 'BLMOVE' is not allowed\r\n",
      );
      assert.equal(
        await c.call('BZPOPMIN', 'k', '0'),
        "-ERR handle request, command 'BZPOPMIN' is not allowed\r\n",
      );
    } finally {
      c.close();
      await off.close();
    }
  });
});
