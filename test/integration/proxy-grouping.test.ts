// codis-proxy groups the keys of MGET/MSET/DEL/EXISTS/TOUCH/UNLINK by backend connection: a 20-key
// command over slots of two codis-servers becomes one sub-request per server, and the merged
// reply keeps the client's key order.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { slotOf } from '../../src/slots/index.ts';
import { type ProxyFixture, startTwoGroups, type TwoGroups } from '../helpers/proxy-fixture.ts';
import { RawConnection } from '../helpers/raw-connection.ts';
import type { RunningServer } from '../helpers/redis-servers.ts';

describe('codis-proxy split commands grouped by backend', () => {
  let cluster: TwoGroups;
  let a: RunningServer;
  let b: RunningServer;
  let fixture: ProxyFixture;
  let c: RawConnection;
  let directA: RawConnection;
  let directB: RawConnection;

  before(async () => {
    cluster = await startTwoGroups({ proxies: [{}] });
    ({ a, b } = cluster);
    fixture = cluster.proxies[0] as ProxyFixture;
    c = await RawConnection.open(fixture.port);
    directA = await RawConnection.open(a.port);
    directB = await RawConnection.open(b.port);
  });
  after(async () => {
    for (const conn of [c, directA, directB]) conn.close();
    await cluster.close();
  });

  /** `cmdstat_<name>` calls of one backend. */
  async function calls(conn: RawConnection, name: string): Promise<number> {
    const info = await conn.call('INFO', 'commandstats');
    const match = new RegExp(`cmdstat_${name}:calls=(\\d+)`).exec(info);
    return match === null ? 0 : Number(match[1]);
  }

  it('sends one MGET/MSET/DEL/EXISTS/TOUCH/UNLINK per backend and merges in key order', async () => {
    const keys = Array.from({ length: 20 }, (_, i) => `k${i}`);
    const onA = (key: string) => slotOf(key) < 512;
    assert.ok(new Set(keys.filter(onA).map(slotOf)).size > 1, 'several slots on A');
    assert.ok(new Set(keys.filter((key) => !onA(key)).map(slotOf)).size > 1, 'several slots on B');
    const shuffled = [...keys.slice(10), ...keys.slice(0, 10)].sort((x, y) => (x < y ? -1 : 1));
    const commands: Array<[string, string[], string]> = [
      ['MSET', keys.flatMap((key, i) => [key, `value-${i}`]), '+OK\r\n'],
      [
        'MGET',
        [...shuffled, 'missing'],
        `*21\r\n${shuffled.map((key) => `$${`value-${key.slice(1)}`.length}\r\nvalue-${key.slice(1)}\r\n`).join('')}$-1\r\n`,
      ],
      ['EXISTS', [...keys, keys[3] as string], ':21\r\n'],
      ['TOUCH', keys, ':20\r\n'],
      ['DEL', keys.filter((_, i) => i % 2 === 0), ':10\r\n'],
      ['UNLINK', keys, ':10\r\n'],
    ];
    for (const [name, args, reply] of commands) {
      const lower = name.toLowerCase();
      const [beforeA, beforeB] = [await calls(directA, lower), await calls(directB, lower)];
      assert.equal(await c.call(name, ...args), reply, name);
      const width = name === 'MSET' ? 2 : 1;
      const routed = args.filter((_, i) => i % width === 0);
      assert.equal((await calls(directA, lower)) - beforeA, routed.some(onA) ? 1 : 0, `${name} on A`);
      assert.equal(
        (await calls(directB, lower)) - beforeB,
        routed.some((key) => !onA(key)) ? 1 : 0,
        `${name} on B`,
      );
    }
    assert.equal(await c.call('MGET', 'k0', 'k19'), '*2\r\n$-1\r\n$-1\r\n');
  });
});
