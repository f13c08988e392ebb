// Random commands sent to Debian's redis-server and to our codis-server side by side: every reply
// must be the same bytes (test/helpers/random-commands.ts says what is generated and why), in RESP2
// and in RESP3.
import { after, before, describe, it } from 'node:test';
import { runDifferential } from '../helpers/differential.ts';
import { RawConnection } from '../helpers/raw-connection.ts';
import { type RunningServer, startServer } from '../helpers/redis-servers.ts';

/** Seed and protocol of each run. */
const RUNS: Array<[seed: number, protocol: 2 | 3, focus?: 'streams']> = [
  [1, 2],
  [2, 2],
  [3, 2],
  [4, 2],
  [5, 3],
  [6, 3],
  [7, 2, 'streams'],
  [8, 3, 'streams'],
];
const COMMANDS_PER_SEED = 4000;

describe('codis-server answers random commands as redis-server does', () => {
  let redis: RunningServer;
  let codis: RunningServer;

  before(async () => {
    [redis, codis] = await Promise.all([startServer('redis-server'), startServer('codis-server')]);
  });

  after(async () => {
    await Promise.all([redis?.stop(), codis?.stop()]);
  });

  for (const [seed, protocol, focus] of RUNS) {
    it(`seed ${seed}, RESP${protocol}: ${COMMANDS_PER_SEED} commands${focus ? `, mostly ${focus}` : ''}`, async () => {
      const [reference, ours] = await Promise.all([
        RawConnection.open(redis.port),
        RawConnection.open(codis.port),
      ]);
      try {
        if (protocol === 3) for (const connection of [reference, ours]) await connection.call('HELLO', '3');
        const target = {
          reference,
          subject: ours,
          async flush(): Promise<void> {
            for (const connection of [reference, ours]) connection.send('FLUSHALL');
            await Promise.all([reference.reply(), ours.reply()]);
          },
        };
        await runDifferential(target, seed, COMMANDS_PER_SEED, focus);
      } finally {
        reference.close();
        ours.close();
      }
    });
  }
});
