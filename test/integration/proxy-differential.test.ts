// Random commands sent to Debian's redis-server and, side by side, through our codis-proxy to two
// codis-servers (slots 0-511 on one, 512-1023 on the other): every reply must be the same bytes,
// split commands (MGET, MSET, DEL, EXISTS, TOUCH, UNLINK) included. What the proxy does otherwise
// by design is checked for its own reply: a command whose keys span slots gets CROSSSLOT, one
// Codis refuses gets its refusal, and the split commands' arity errors name the command in capitals
// (spec/proxy.md §4.5).
import { after, before, describe, it } from 'node:test';
import {
  FLAG_NOT_ALLOWED,
  lookupCommand,
  SPECIAL_MGET,
  SPECIAL_MSET,
  SPECIAL_NONE,
  SPECIAL_SUM,
} from '../../src/proxy/command-table.ts';
import { CROSS_SLOT, hashKeyOf } from '../../src/proxy/routing-keys.ts';
import { runDifferential } from '../helpers/differential.ts';
import { startTwoGroups, type TwoGroups } from '../helpers/proxy-fixture.ts';
import { RawConnection } from '../helpers/raw-connection.ts';

/** Seed and protocol of each run; 'streams': mostly stream commands (XREAD's keys, BLOCK). */
const RUNS: Array<[seed: number, protocol: 2 | 3, focus?: 'streams']> = [
  [1, 2],
  [2, 2],
  [3, 3],
  [4, 2, 'streams'],
  [5, 3, 'streams'],
];
const COMMANDS_PER_SEED = 4000;
const SPLIT = new Set([SPECIAL_MGET, SPECIAL_MSET, SPECIAL_SUM]);
const TRANSACTIONS = new Set(['MULTI', 'EXEC', 'DISCARD', 'WATCH', 'UNWATCH']);

describe('codis-proxy answers random commands as redis-server does', () => {
  let cluster: TwoGroups;
  let reference: RawConnection;
  let proxy: RawConnection;
  let backends: RawConnection[];

  before(async () => {
    cluster = await startTwoGroups({ proxies: [{}], reference: true });
    [reference, proxy, ...backends] = await Promise.all([
      RawConnection.open((cluster.reference as NonNullable<TwoGroups['reference']>).port),
      RawConnection.open((cluster.proxies[0] as TwoGroups['proxies'][number]).port),
      RawConnection.open(cluster.a.port),
      RawConnection.open(cluster.b.port),
    ]);
  });

  after(async () => {
    for (const connection of [reference, proxy, ...(backends ?? [])]) connection?.close();
    await cluster?.close();
  });

  for (const [seed, protocol, focus] of RUNS) {
    it(`seed ${seed}, RESP${protocol}: ${COMMANDS_PER_SEED} commands${focus ? `, mostly ${focus}` : ''}`, async () => {
      if (protocol === 3) for (const connection of [reference, proxy]) await connection.call('HELLO', '3');
      const target = {
        reference,
        subject: proxy,
        async flush(): Promise<void> {
          // FLUSHALL is one of the commands Codis refuses: each backend is emptied directly.
          const all = [reference, ...backends];
          for (const connection of all) connection.send('FLUSHALL');
          await Promise.all(all.map((connection) => connection.reply()));
        },
        skip(command: readonly string[]): boolean {
          const name = (command[0] as string).toUpperCase();
          // Transactions pin a backend connection (proxy-transactions.test.ts); SORT's BY and GET
          // patterns name keys that may live in the other group.
          return TRANSACTIONS.has(name) || (name === 'SORT' && command.length > 2);
        },
        ownReply(command: readonly string[]): RegExp | undefined {
          const info = lookupCommand(command[0] as string);
          if (info === undefined) return undefined;
          // Codis refuses it, unless this proxy serves it (DBSIZE, blocking commands...).
          if ((info.flags & FLAG_NOT_ALLOWED) !== 0 && info.special === SPECIAL_NONE)
            return new RegExp(`^-ERR handle request, command '${info.name}' is not allowed\\r\\n$`);
          if (!SPLIT.has(info.special) && hashKeyOf(info.name, command) === CROSS_SLOT)
            return /^-CROSSSLOT Keys in request don't hash to the same slot\r\n$/;
          return undefined;
        },
        normalize(raw: string): string {
          return raw.replace(
            /^(-ERR wrong number of arguments for ')([^']*)/,
            (_, head, name) => head + name.toLowerCase(),
          );
        },
      };
      await runDifferential(target, seed, COMMANDS_PER_SEED, focus);
    });
  }
});
